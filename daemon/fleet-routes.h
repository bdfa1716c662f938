/* SPDX-License-Identifier: MIT */
/* `exposured fleet`'s HTTP routes: the pages (/, /units, /units/NAME, /regressions), the JSON API
 * under /api/v1/fleet/ and the shared /static/ assets. Serve them with
 * http_server_new(..., &fleet_routes, fleet, ...): the userdata is the Fleet (fleet.h). The
 * handlers turn a Request into a FleetQuery and defer the response (http_response_defer()) until
 * the Fleet's answer is back. */
#pragma once

#include "http-dispatch.h"

extern const HttpRouteTable fleet_routes;
