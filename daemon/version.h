/* SPDX-License-Identifier: MIT */
/* exposured's version, and the scorer's: bump SCORER_VERSION whenever a change to score.c or
 * score-table.c can change a score, so that the history records such a change as a scorer upgrade
 * instead of blaming the unit. */
#pragma once

#define EXPOSURED_VERSION "0.1.0"
#define SCORER_VERSION "1"
