/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd in external mode on the program's sd-event loop (no MHD
 * threads), serving a route table (http-dispatch.h) with an opaque context. Any program mode
 * uses it: the host daemon serves http_host_routes (http-routes.h), another mode its own table,
 * with the same listeners, access control, limits and security headers. http-server.c is the
 * only file that includes microhttpd.h. Everything a client controls is bounded (URL, query,
 * connections, memory per connection) and answered with a clear 4xx; nothing a client sends is
 * logged above debug.
 *
 * Listening: sockets passed by systemd (sd_listen_fds(), socket activation) when there are any,
 * else every configured address, else HTTP_LISTEN_DEFAULT (127.0.0.1:9573). HTTPS when the
 * caller hands in a PEM key and certificate. Every response carries a strict
 * Content-Security-Policy, nosniff, no-referrer, DENY framing and same-origin CORP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "cleanup.h"
#include "config.h"
#include "http-dispatch.h"

#define HTTP_PORT_DEFAULT 9573
#define HTTP_LISTEN_DEFAULT "127.0.0.1:9573"
#define HTTP_CONNECTIONS_DEFAULT 64
#define HTTP_TIMEOUT_SEC_DEFAULT 15
#define HTTP_MEMORY_LIMIT_DEFAULT (16 * 1024) /* per connection: bounds request line + headers */

typedef struct HttpServerConfig {
        const ListenAddress *listen; /* addresses to bind (borrowed; port 0 = any free port),
                                      * or NULL: HTTP_LISTEN_DEFAULT */
        size_t n_listen;
        bool use_listen_fds;         /* take sockets passed by systemd when there are any */
        unsigned connection_limit;   /* 0: HTTP_CONNECTIONS_DEFAULT */
        unsigned timeout_sec;        /* idle connection timeout; 0: HTTP_TIMEOUT_SEC_DEFAULT */
        const char *tls_key;         /* PEM private key (unencrypted) and certificate (chain),
                                      * NUL-terminated: both set = HTTPS on every socket. Only */
        const char *tls_certificate; /* read by http_server_new(): wipe them after it returns */
        const char *token;           /* bearer token (1 to HTTP_TOKEN_MAX bytes) or NULL; borrowed,
                                      * must outlive the server */
        char *const *allowed_hosts;  /* see HttpAccess; borrowed, must outlive the server */
} HttpServerConfig;

typedef struct HttpServer HttpServer;

/* Start listening and attach to event; every request is answered by
 * http_dispatch(routes, access, userdata, ...), the access being config's token and
 * allowed_hosts, loopback_only set when every listening socket is a loopback address. routes
 * and userdata are borrowed and must outlive the server. Logs its errors. Returns 0 or -errno
 * (-EADDRINUSE, -EINVAL for a bad token or no address, -EOPNOTSUPP for TLS without TLS support
 * in libmicrohttpd, -EBADMSG for a TLS key or certificate that GnuTLS refuses, -EIO when MHD
 * refuses otherwise). */
int http_server_new(sd_event *event, const HttpServerConfig *config, const HttpRouteTable *routes,
                    void *userdata, HttpServer **ret);
/* Stop listening, close every connection. Accepts NULL, returns NULL. */
HttpServer *http_server_free(HttpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);
/* Stop or resume answering. While paused, connections wait in the listening sockets' backlog
 * (the kernel accepts them; nobody is refused), so a client that arrives before the first scan is
 * answered with data as soon as it is done instead of with an empty list. */
void http_server_set_paused(HttpServer *s, bool paused);
/* Number of listening sockets. */
size_t http_server_n_listeners(const HttpServer *s);
/* The local port of listening socket i (for tests on port 0), or -EINVAL, -errno. */
int http_server_port(const HttpServer *s, size_t i);
/* The access control the server applies (token, allowed hosts, loopback_only as decided from
 * the listening sockets). Borrowed from s. */
const HttpAccess *http_server_access(const HttpServer *s);
