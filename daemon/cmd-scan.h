/* SPDX-License-Identifier: MIT */
/* `exposured scan`: score services once, the way `systemd-analyze security` does, and print a
 * table or one JSON array (the format is documented at the top of scan.c; render_json_scan() and
 * render_text_scan() write them). The pieces below the entry point are pure and exist separately
 * so that tests can drive them without a bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The subcommand. argv[0] is "scan". Returns the process exit status: 0, or 1 on any error or when
 * a unit's exposure is above --threshold. */
int cmd_scan(int argc, char *argv[]);
