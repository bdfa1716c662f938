-- SPDX-License-Identifier: MIT
-- Schema 3: events about the history itself (store_add_notice()), kind 8 "database": it was reset
-- after corruption and where the old file went, writes were refused for a while, a clock jump held
-- retention back. No unit: the message says it all, for a person reading the events.

CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        message TEXT NOT NULL
) STRICT;

CREATE INDEX notices_time ON notices (time);

PRAGMA user_version = 3;
