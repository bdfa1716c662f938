/* SPDX-License-Identifier: MIT */
/* Routing: a route table {pattern, error format, handler, allowed query arguments} and the one
 * dispatcher that every program mode shares (the host daemon's routes in http-routes.c; another
 * mode brings its own table). Access control runs first, for every path; then the route is
 * looked up, the method and the query arguments are checked, and only then is the handler
 * called. Every route answers GET and HEAD (STYLE.md: GET and HEAD only); other methods get 405.
 * Free of libmicrohttpd, so tests and fuzzers route requests without a socket. */
#pragma once

#include <stddef.h>

#include "http-access.h"
#include "http-request.h"

/* Answer req into resp. userdata is the opaque context given to http_server_new() (or to
 * http_dispatch()); param is the path segment the pattern's "*" matched (decoded, non-empty), or
 * NULL for a pattern without one. resp arrives with status 200 and an empty body; a handler sets
 * content_type and body, or calls http_respond_error(). Handlers never see libmicrohttpd. */
typedef void (*HttpHandler)(void *userdata, const Request *req, const char *param,
                            Response *resp);

typedef struct HttpRoute {
        const char *pattern;      /* "/a/b": segments; a "*" segment matches one non-empty
                                   * segment, handed to the handler as param */
        HttpFormat errors;        /* format of the errors answered for this route (405, 400) */
        HttpHandler handler;
        const char *const *args;  /* query argument names the route accepts, NULL-terminated;
                                   * NULL: none. Any other argument is a 400 */
} HttpRoute;

typedef struct HttpRouteTable {
        const HttpRoute *routes;  /* tried in order; the first match wins */
        size_t n_routes;
        const char *json_prefix;  /* paths that match no route get JSON errors under this prefix
                                   * (e.g. "/api/"), HTML ones elsewhere; NULL: HTML always */
} HttpRouteTable;

/* Route req through table under access a and fill resp: refusals (421, 401), 405 for a method
 * other than GET/HEAD, the request's own parse error, 404, 400 for an unknown query argument,
 * else the handler's answer. resp must be zeroed or reset with http_response_reset(). Never
 * fails: errors become 4xx responses. */
void http_dispatch(const HttpRouteTable *table, const HttpAccess *a, void *userdata,
                   const Request *req, Response *resp);
