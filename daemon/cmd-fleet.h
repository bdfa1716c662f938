/* SPDX-License-Identifier: MIT */
/* `exposured fleet`: the fleet dashboard and JSON API over Prometheus (fleet.h), on the same
 * HTTP server as the host daemon with its own routes (fleet-routes.h). */
#pragma once

/* argv[0] is "fleet". Returns the process exit status. */
int cmd_fleet(int argc, char **argv);
