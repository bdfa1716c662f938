/* SPDX-License-Identifier: MIT */
/* The exit statuses of every exposured verb, as documented in exposured(8) EXIT STATUS. */
#pragma once

#include <stdlib.h>

/* EXIT_SUCCESS (0): done. */
/* EXIT_FAILURE (1): something failed (bus, database, a unit that cannot be analyzed); for scan
 * also a unit above --threshold, as systemd-analyze security --threshold= exits. */
#define EXIT_USAGE 2 /* a usage error: unknown option, bad option value, wrong arguments */
