/* SPDX-License-Identifier: MIT */
/* The host daemon's HTTP routes (docs/http.md): the dashboard (/, /units/NAME, /events,
 * /static/FILE), /metrics and the JSON API under /api/v1. Serve them with
 * http_server_new(..., &http_host_routes, &context, ...), or route one request with
 * http_dispatch(&http_host_routes, &access, &context, ...). */
#pragma once

#include <stdint.h>

#include "http-dispatch.h"
#include "render-cache.h"
#include "render.h"
#include "state.h"
#include "store.h"

#define HTTP_DASHBOARD_SPARK_ROWS 50 /* history rows per sparkline */
#define HTTP_DASHBOARD_EVENTS 10     /* regressions shown on the dashboard */
#define HTTP_UNIT_CHART_ROWS 500     /* history rows in a unit's chart */
#define HTTP_DASHBOARD_CACHE_USEC (1 * UINT64_C(1000000)) /* its "x min ago" and chart ends */
#define HTTP_DB_STATS_USEC (10 * UINT64_C(1000000)) /* /api/v1/status reuses store_stats() */

/* What the handlers read (the userdata of http_host_routes); filled by the manager, which owns
 * it: it must outlive the server. state must outlive the server too; the manager updates State
 * in place between requests (one thread). store points at the owner's Store pointer (e.g.
 * &manager->store), read at every request, so the owner may open, close and reopen its database
 * at any time; store or *store NULL means no database: the history endpoints then answer 503 and
 * the pages render without history. render.now_usec is ignored: each request uses the current
 * time. The db_* fields are the handlers' own cache (zero them at first). cache, when set (owned
 * by the caller, outliving the server), keeps the bodies of /metrics, /api/v1/units and the
 * argument-less dashboard per State.generation (so whoever changes the State must move it, see
 * state.h), the dashboard for at most HTTP_DASHBOARD_CACHE_USEC (it shows ages); NULL renders
 * every request. */
typedef struct HttpContext {
        const State *state;
        Store *const *store;
        RenderOptions render;
        RenderCache *cache;

        StoreStats db_stats;        /* internal: last store_stats() ... */
        int db_stats_error;         /* ... its result ... */
        uint64_t db_stats_usec;     /* ... and when (CLOCK_MONOTONIC; 0 = never) ... */
        const Store *db_stats_store;/* ... of which Store */
} HttpContext;

/* GET /static/NAME: an embedded web/ asset (CSS, JS, SVG; never a page template), with an ETag
 * and a day of caching. userdata is unused, so every program mode's table can route to it. */
void http_route_static(void *userdata, const Request *req, const char *param, Response *resp);

/* The route table; its handlers take an HttpContext* as userdata. */
extern const HttpRouteTable http_host_routes;
