-- SPDX-License-Identifier: MIT
-- Schema 6: lingering users' units (user_managers = lingering) have a history too. A unit is now
-- (manager, name): manager '' for the system manager, else the user's name as the daemon labels
-- it ("alice"), so that the system's foo.service and alice's foo.service never share a row.
-- SQLite cannot change a UNIQUE constraint in place: the units table is rebuilt (ids kept, so
-- every change and snapshot row still points at its unit). The store runs migrations with
-- foreign_keys off, as SQLite's table-rebuild procedure requires (dropping the old table must
-- not cascade into changes and snapshots), and checks the keys before committing.

CREATE TABLE units_new (
        id INTEGER PRIMARY KEY,
        manager TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_change INTEGER NOT NULL,
        gone INTEGER,
        exposure INTEGER NOT NULL,
        predicate INTEGER NOT NULL,
        version INTEGER NOT NULL REFERENCES versions (id),
        verdicts BLOB NOT NULL,
        regressions INTEGER NOT NULL DEFAULT 0,
        improvements INTEGER NOT NULL DEFAULT 0,
        UNIQUE (manager, name)
) STRICT;

INSERT INTO units_new (id, manager, name, first_seen, last_change, gone, exposure, predicate,
                       version, verdicts, regressions, improvements)
        SELECT id, '', name, first_seen, last_change, gone, exposure, predicate, version,
               verdicts, regressions, improvements FROM units;

DROP TABLE units;
ALTER TABLE units_new RENAME TO units;

PRAGMA user_version = 6;
