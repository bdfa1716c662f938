/* SPDX-License-Identifier: MIT */
/* `exposured suggest [UNIT]`: fix plans (plan.h) for one service or the services that gain most. */
#pragma once

/* The subcommand. argv[0] is "suggest". Returns the exit status: 0, or 1 on any error (one line
 * on stderr). */
int cmd_suggest(int argc, char *argv[]);
