/* SPDX-License-Identifier: MIT */
/* Access control (docs/http.md), checked before routing for every path and method: first the
 * Host header (DNS-rebinding defence: a page on evil.example that rebinds its name to 127.0.0.1
 * still sends "Host: evil.example"), then the bearer token, compared in time that depends only
 * on HTTP_TOKEN_MAX. Pure: no I/O, no logging, nothing kept between requests. */
#pragma once

#include <stdbool.h>

#include "http-request.h"

#define HTTP_TOKEN_MAX 256  /* bytes of a bearer token; compared over this length */
#define HTTP_HOST_MAX 300   /* longer Host headers are refused (421) */

typedef struct HttpAccess {
        const char *token;          /* bearer token every request must carry (1 to
                                     * HTTP_TOKEN_MAX bytes, borrowed), or NULL: no token */
        char *const *allowed_hosts; /* Host names (lower case, without port; "*" = any) accepted
                                     * besides loopback ones (strv, borrowed), or NULL: auto */
        bool loopback_only;         /* with allowed_hosts NULL: accept only loopback Host names
                                     * (http_server_new() sets it when every listening socket is
                                     * a loopback address) */
} HttpAccess;

/* Is host (a Host header: name or address, optional :port) a loopback name: localhost,
 * 127.0.0.0/8, [::1] or [::ffff:127.x.y.z]? Pure. */
bool http_host_is_loopback(const char *host);

/* May req be answered under a? true: go on routing. false: resp (reset by the caller) now holds
 * the JSON refusal: 421 for a Host not allowed, 401 with WWW-Authenticate for a missing or wrong
 * bearer token. Pure. */
bool http_access_check(const HttpAccess *a, const Request *req, Response *resp);
