-- SPDX-License-Identifier: MIT
-- Schema 5: what blame compares with, kept across restarts of the daemon. Per unit, its files as
-- last scored (blame.c's blame_files_encode() text: paths, sizes, mtimes, SHA-256 and, within a
-- budget, their directives; bounded there to BLAME_SNAPSHOT_TEXT_MAX, a typical unit's is under
-- 2 KiB), and what its main process runs with: the exposure it was started with (tenths; NULL:
-- no main process) and its ExecMainStartTimestamp, which tells a process that kept running
-- across our restart (a restart still pending) from one started since. One row per unit, written
-- only when it changes; it goes with the unit's row.

CREATE TABLE snapshots (
        unit INTEGER PRIMARY KEY REFERENCES units (id) ON DELETE CASCADE,
        files TEXT NOT NULL,
        running INTEGER,
        running_start INTEGER NOT NULL DEFAULT 0
) STRICT;

PRAGMA user_version = 5;
