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
 * else every configured address, else HTTP_LISTEN_DEFAULT (127.0.0.1:9573) unless
 * only_listen_fds. HTTPS when the caller hands in a PEM key and certificate. Every response
 * carries a strict Content-Security-Policy, nosniff, no-referrer, DENY framing and same-origin
 * CORP, and Strict-Transport-Security with TLS.
 *
 * Hostile clients (docs in README "Limits"): connections are limited in total, per client
 * address, and while still sending their request head (a deadline for the whole head, and a cap
 * on connections in that state that evicts the oldest); response bodies of HTTP_SHARED_BODY_MIN
 * bytes or more are shared, refcounted, between the connections sending the same bytes, so slow
 * readers cost a connection's buffers, not a copy of the body each; a handler's Response.shared
 * (the render cache's HttpBody) is sent by reference without a copy at all. With a token, failed
 * logins are limited per address (http-access.h) and the warnings about them are bounded
 * (HTTP_LOGIN_WARNINGS_BURST a window). */
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
#define HTTP_PER_IP_DEFAULT 16        /* connections from one IPv4 address or IPv6 /64 */
#define HTTP_HEAD_DEADLINE_SEC_DEFAULT 10 /* whole request head, from accept (or the end of the
                                           * previous response) to its last header line */
#define HTTP_SHARED_BODY_MIN 4096     /* bodies this large are shared between connections */
#define HTTP_LOGIN_WARNINGS_BURST 10  /* "failed logins from ADDRESS" lines per window; the rest
                                       * are counted in one line */

typedef struct HttpServerConfig {
        const ListenAddress *listen; /* addresses to bind (borrowed; port 0 = any free port),
                                      * or NULL: HTTP_LISTEN_DEFAULT */
        size_t n_listen;
        bool use_listen_fds;         /* take sockets passed by systemd when there are any */
        unsigned connection_limit;   /* 0: HTTP_CONNECTIONS_DEFAULT */
        unsigned timeout_sec;        /* idle connection timeout; 0: HTTP_TIMEOUT_SEC_DEFAULT */
        bool only_listen_fds;        /* with n_listen 0: bind nothing of our own, serve only the
                                      * sockets systemd passes (listen = empty) */
        unsigned per_ip_limit;       /* connections per client address (IPv6: per /64) across all
                                      * listeners, more are closed at accept; 0: the default */
        unsigned head_deadline_sec;  /* a request head not complete by then is closed; 0:
                                      * HTTP_HEAD_DEADLINE_SEC_DEFAULT */
        unsigned readers_limit;      /* connections still reading a head, across all listeners:
                                      * beyond it the oldest is closed for a newcomer (slowloris
                                      * cannot lock anyone out); 0: half the connection limit */
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
 * allowed_hosts, loopback_only set per connection when it arrived on a loopback address (so a
 * loopback socket keeps its Host check next to a public one, and so does 127.0.0.1 reached
 * through a wildcard socket). routes
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
/* The access control the server applies (token, allowed hosts; loopback_only true when every
 * listening socket is a loopback address; connections decide it for themselves as said above).
 * Borrowed from s. */
const HttpAccess *http_server_access(const HttpServer *s);
