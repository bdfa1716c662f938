/* SPDX-License-Identifier: MIT */
/* Admin subcommands over the history database, opened read-only (safe while the daemon runs):
 *   exposured history UNIT [--since=T] [--until=T] [--limit=N] [--json] [--db=PATH] [--config=PATH]
 *   exposured events [--unit=UNIT] [--kind=K[,K...]] [--since=T] [--until=T] [--limit=N]
 *                    [--json] [--db=PATH] [--config=PATH]
 * T is an age with a unit (90m, 2h, 7d: that long ago), @EPOCH seconds, or YYYY-MM-DD[THH:MM[:SS]]
 * in UTC. Output: a table (unit-controlled text escaped) or a JSON array (json-c). */
#pragma once

#include <stdint.h>

/* argv[0] is the subcommand name. Return the process exit status (0, 1 error, 2 usage). */
int cmd_history(int argc, char **argv);
int cmd_events(int argc, char **argv);

/* Parse T as above against now_usec. 0 or -EINVAL. Exposed for tests. */
int cmd_history_parse_time(const char *s, uint64_t now_usec, uint64_t *ret);
