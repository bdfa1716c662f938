-- SPDX-License-Identifier: MIT
-- Schema 2: event queries and per-unit event counters (the metrics read them).
-- The partial index holds only the rows that are events, so it costs nothing for plain changes.

CREATE INDEX changes_events ON changes (time) WHERE kind > 0;

ALTER TABLE units ADD COLUMN regressions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE units ADD COLUMN improvements INTEGER NOT NULL DEFAULT 0;

-- Count the events schema 1 already recorded (kinds: 1 regression, 2 improvement).
UPDATE units SET
        regressions = (SELECT count(*) FROM changes c WHERE c.unit = units.id AND c.kind = 1),
        improvements = (SELECT count(*) FROM changes c WHERE c.unit = units.id AND c.kind = 2);

PRAGMA user_version = 2;
