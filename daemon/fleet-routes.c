/* SPDX-License-Identifier: MIT */
/* The fleet route table (see fleet-routes.h). Handlers only translate: path and query -> a
 * FleetQuery, a FleetAnswer -> the Response. Parameter checks live in fleet_query_check(). */
#include <string.h>

#include "fleet-routes.h"
#include "fleet.h"
#include "http-routes.h"
#include "util.h"

static const char *const args_none[] = { NULL };
static const char *const args_pair[] = { "a", "b", NULL };
static const char *const args_since[] = { "since", NULL };

static void copy_answer(FleetAnswer *a, Response *resp) {
        Buf tmp = resp->body;

        resp->status = a->status;
        resp->content_type = a->content_type;
        /* swap the bodies: no copy of a large page */
        resp->body = a->body;
        a->body = tmp;
}

static void on_answer(FleetAnswer *a, void *userdata) {
        HttpDeferred *d = userdata;

        copy_answer(a, http_deferred_response(d));
        http_deferred_finish(d);
}

static void answer(Fleet *f, const FleetQuery *q, Response *resp) {
        FleetAnswer a = {};
        FleetJob *job = NULL;
        HttpDeferred *d;

        if (fleet_answer(f, q, &a, on_answer, NULL, &job) > 0) {
                copy_answer(&a, resp);
                buf_done(&a.body);
                return;
        }
        d = http_response_defer(resp);
        if (!d) {
                /* a caller that cannot wait (http_dispatch() without a server) */
                fleet_job_cancel(job);
                return http_respond_error(resp, q->json ? HTTP_FORMAT_JSON : HTTP_FORMAT_HTML,
                                          503, "this caller cannot wait for Prometheus");
        }
        fleet_job_set_userdata(job, d);
}

static void h_hosts(void *userdata, const Request *req, const char *param, Response *resp) {
        (void) req, (void) param;
        answer(userdata, &(FleetQuery) { .page = FLEET_PAGE_HOSTS }, resp);
}

static void h_api_hosts(void *userdata, const Request *req, const char *param, Response *resp) {
        (void) req, (void) param;
        answer(userdata, &(FleetQuery) { .page = FLEET_PAGE_HOSTS, .json = true }, resp);
}

static void h_units(void *userdata, const Request *req, const char *param, Response *resp) {
        (void) req, (void) param;
        answer(userdata, &(FleetQuery) { .page = FLEET_PAGE_UNITS }, resp);
}

static void h_api_units(void *userdata, const Request *req, const char *param, Response *resp) {
        (void) req, (void) param;
        answer(userdata, &(FleetQuery) { .page = FLEET_PAGE_UNITS, .json = true }, resp);
}

static void unit_query(void *userdata, const Request *req, const char *param, FleetPage page,
                       bool json, Response *resp) {
        FleetQuery q = {
                .page = page,
                .json = json,
                .unit = param,
                .a = http_request_arg(req, "a"),
                .b = http_request_arg(req, "b"),
        };
        /* an empty form field is no choice */
        if (q.a && !q.a[0] && q.b && !q.b[0])
                q.a = q.b = NULL;
        answer(userdata, &q, resp);
}

static void h_unit(void *userdata, const Request *req, const char *param, Response *resp) {
        unit_query(userdata, req, param, FLEET_PAGE_UNIT, false, resp);
}

static void h_api_unit(void *userdata, const Request *req, const char *param, Response *resp) {
        unit_query(userdata, req, param, FLEET_PAGE_UNIT, true, resp);
}

static void h_api_diff(void *userdata, const Request *req, const char *param, Response *resp) {
        unit_query(userdata, req, param, FLEET_PAGE_DIFF, true, resp);
}

static void regressions(void *userdata, const Request *req, bool json, Response *resp) {
        FleetQuery q = {
                .page = FLEET_PAGE_REGRESSIONS,
                .json = json,
                .since = http_request_arg(req, "since"),
        };
        answer(userdata, &q, resp);
}

static void h_regressions(void *userdata, const Request *req, const char *param,
                          Response *resp) {
        (void) param;
        regressions(userdata, req, false, resp);
}

static void h_api_regressions(void *userdata, const Request *req, const char *param,
                              Response *resp) {
        (void) param;
        regressions(userdata, req, true, resp);
}

static const HttpRoute routes[] = {
        { "/", HTTP_FORMAT_HTML, h_hosts, args_none },
        { "/units", HTTP_FORMAT_HTML, h_units, args_none },
        { "/units/*", HTTP_FORMAT_HTML, h_unit, args_pair },
        { "/regressions", HTTP_FORMAT_HTML, h_regressions, args_since },
        { "/static/*", HTTP_FORMAT_TEXT, http_route_static, args_none },
        { "/api/v1/fleet/hosts", HTTP_FORMAT_JSON, h_api_hosts, args_none },
        { "/api/v1/fleet/units", HTTP_FORMAT_JSON, h_api_units, args_none },
        { "/api/v1/fleet/units/*", HTTP_FORMAT_JSON, h_api_unit, args_none },
        { "/api/v1/fleet/units/*/diff", HTTP_FORMAT_JSON, h_api_diff, args_pair },
        { "/api/v1/fleet/regressions", HTTP_FORMAT_JSON, h_api_regressions, args_since },
};

const HttpRouteTable fleet_routes = {
        .routes = routes,
        .n_routes = ELEMENTSOF(routes),
        .json_prefix = "/api/",
};
