-- SPDX-License-Identifier: MIT
-- Schema 4: blame. Each change row may carry what changed in the unit's files since its previous
-- score (the fragment and drop-ins with size, mtime and SHA-256, the directive lines added,
-- removed or changed), why the score moved when no file did (a systemd or scorer upgrade, a
-- runtime change, unknown), and the exposure the running process had: the text format is
-- blame.c's (blame_encode()), bounded there (a few KiB at most). NULL for rows from before this
-- schema and for GONE rows.

ALTER TABLE changes ADD COLUMN blame TEXT;

PRAGMA user_version = 4;
