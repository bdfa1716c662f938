/* SPDX-License-Identifier: MIT */
/* The dispatcher: access control, then the route table, then the handler. Must know no route,
 * no renderer and no libmicrohttpd: the tables belong to the program modes (http-routes.c). */
#include <string.h>

#include "http-dispatch.h"
#include "util.h"

/* Match req's decoded segments against a pattern; the "*" segment goes to *ret_param. */
static bool route_match(const char *pattern, const Request *req, const char **ret_param) {
        const char *p = pattern + 1, *param = NULL;
        size_t i = 0;

        if (!*p)
                return req->n_segments == 0;
        for (;; i++) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : strlen(p);

                if (i >= req->n_segments)
                        return false;
                if (n == 1 && p[0] == '*') {
                        if (isempty(req->segments[i]))
                                return false;
                        param = req->segments[i];
                } else if (strlen(req->segments[i]) != n || strncmp(req->segments[i], p, n) != 0) {
                        return false;
                }
                if (!slash)
                        break;
                p = slash + 1;
        }
        if (i + 1 != req->n_segments)
                return false;
        *ret_param = param;
        return true;
}

void http_dispatch(const HttpRouteTable *table, const HttpAccess *a, void *userdata,
                   const Request *req, Response *resp) {
        HttpFormat f = table->json_prefix && startswith(req->path, table->json_prefix) ?
                               HTTP_FORMAT_JSON : HTTP_FORMAT_HTML;
        const HttpRoute *route = NULL;
        const char *param = NULL;

        resp->status = 200;
        if (!http_access_check(a, req, resp))
                return;

        for (size_t i = 0; i < table->n_routes && !req->error; i++)
                if (route_match(table->routes[i].pattern, req, &param)) {
                        route = &table->routes[i];
                        f = route->errors;
                        break;
                }
        if (req->method == HTTP_OTHER) {
                http_respond_error(resp, f, 405, "method not allowed: use GET or HEAD");
                resp->allow = "GET, HEAD";
                return;
        }
        if (req->error)
                return http_respond_error(resp, f, req->error, req->error_message);
        if (!route)
                return http_respond_error(resp, f, 404, "no such path");
        for (size_t i = 0; i < req->n_args; i++) {
                const char *const *arg = route->args;
                while (arg && *arg && !streq(*arg, req->args[i].key))
                        arg++;
                if (!arg || !*arg)
                        return http_respond_error(resp, f, 400, "unknown query argument");
        }
        route->handler(userdata, req, param, resp);
}
