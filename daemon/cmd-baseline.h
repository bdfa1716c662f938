/* SPDX-License-Identifier: MIT */
/* `exposured baseline [UNIT...]`: print a unit policy (unit-policy.h) that accepts today's state
 * exactly: per service its exposure as max_exposure= and every failing check as accept=. Installed
 * in /etc/exposured/policy.d/, it makes every service ok and anything worse over policy. */
#pragma once

/* The subcommand. argv[0] is "baseline". Returns the exit status: 0, 1 on an error (bus, a unit
 * that cannot be analyzed), 2 on a usage error. */
int cmd_baseline(int argc, char *argv[]);
