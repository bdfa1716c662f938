-- SPDX-License-Identifier: MIT
-- exposured history, schema 1: interned names, the current state of every unit, a row per change.
-- Forward-only: never edit a migration that has shipped; add NNNN-what.sql instead. Each file runs
-- in its own transaction and must end by setting user_version to its own number.
-- Times are CLOCK_REALTIME microseconds; exposures are tenths (96 = "9.6"); the BLOB encodings
-- (verdict vectors, changed checks) are described in daemon/store.c.

-- Every (systemd version, scorer version) pair that scored something.
CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        systemd TEXT NOT NULL,
        scorer TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        UNIQUE (systemd, scorer)
) STRICT;

-- Check names ("PrivateNetwork="), interned so that a changed check costs a byte or two.
CREATE TABLE checks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
) STRICT;

-- One row per unit ever scored, updated in place: the last persisted state. A unit that goes away
-- keeps its row (gone = when) and its history until retention removes both.
CREATE TABLE units (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        first_seen INTEGER NOT NULL,
        last_change INTEGER NOT NULL,
        gone INTEGER,
        exposure INTEGER NOT NULL,
        predicate INTEGER NOT NULL,
        version INTEGER NOT NULL REFERENCES versions (id),
        verdicts BLOB NOT NULL
) STRICT;

-- A row per change of a unit's score (exposure or any check's verdict), per disappearance.
-- kind: 0 none (verdicts only, or a first score below the threshold), else an event kind.
CREATE TABLE changes (
        unit INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
        time INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        cause INTEGER NOT NULL,
        before INTEGER,
        exposure INTEGER,
        predicate INTEGER,
        version INTEGER NOT NULL REFERENCES versions (id),
        checks BLOB,
        PRIMARY KEY (unit, time)
) STRICT, WITHOUT ROWID;

-- A row per completed scan, changed or not.
CREATE TABLE scans (
        time INTEGER PRIMARY KEY,
        duration INTEGER NOT NULL,
        units INTEGER NOT NULL,
        changes INTEGER NOT NULL,
        cause INTEGER NOT NULL
) STRICT;

PRAGMA user_version = 1;
