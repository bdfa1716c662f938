/* SPDX-License-Identifier: MIT */
/* Admin subcommands over the history database, opened read-only (safe while the daemon runs):
 *   exposured history UNIT [--since=T] [--until=T] [--limit=N] [--json] [--db=PATH] [--config=PATH]
 *   exposured events [--unit=UNIT] [--kind=K[,K...]] [--since=T] [--until=T] [--limit=N]
 *                    [--json] [--db=PATH] [--config=PATH]
 * T is a systemd.time(7) timestamp (time-parse.h: "2026-12-01 10:00", yesterday, -1h, "2 days ago",
 * @UNIX; local time unless a zone is given). UNIT is mangled as by scan ("dbus" -> dbus.service).
 * Output: a table (unit-controlled text escaped) or a JSON array (json-c). */
#pragma once

#include <stdint.h>

/* argv[0] is the subcommand name. Return the process exit status (cli.h: 0; 1 error; 2 usage).
 * --help and --version print on stdout and return 0. */
int cmd_history(int argc, char **argv);
int cmd_events(int argc, char **argv);

/* Parse T as above against now_usec (time_parse_timestamp()). 0, -EINVAL or -ERANGE. */
int cmd_history_parse_time(const char *s, uint64_t now_usec, uint64_t *ret);
