/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd in external mode on the daemon's sd-event loop (no MHD threads),
 * a route table and the handlers behind /metrics, /api/v1 and the dashboard. http.c is the only
 * file that includes microhttpd.h; handlers see only (HttpContext, Request, Response) and the
 * renderers. GET and HEAD only. Everything a client controls is bounded (URL, query, connections,
 * rows per response) and answered with a clear 4xx; nothing a client sends is logged above debug.
 *
 * Listening: sockets passed by systemd (sd_listen_fds(), socket activation) when there are any,
 * else every --listen=ADDR:PORT address, else HTTP_LISTEN_DEFAULT (127.0.0.1:9573).
 *
 * Access (docs/http.md), checked before routing, in this order: the Host header (DNS-rebinding
 * defence: 421 for a name not allowed), then the bearer token when one is set (401 with
 * WWW-Authenticate). HTTPS when the caller hands in a PEM key and certificate. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "cleanup.h"
#include "render.h"
#include "state.h"
#include "store.h"

#define HTTP_PORT_DEFAULT 9573
#define HTTP_LISTEN_DEFAULT "127.0.0.1:9573"

#define HTTP_PATH_MAX 1024           /* longer paths get 414 */
#define HTTP_ARG_MAX 256             /* longer query keys/values get 414 */
#define HTTP_ARGS_MAX 16             /* more query arguments get 400 */
#define HTTP_SEGMENTS_MAX 8          /* deeper paths get 404 */
#define HTTP_CONNECTIONS_DEFAULT 64
#define HTTP_TIMEOUT_SEC_DEFAULT 15
#define HTTP_MEMORY_LIMIT_DEFAULT (16 * 1024) /* per connection: bounds request line + headers */
#define HTTP_DASHBOARD_SPARK_ROWS 50   /* history rows per sparkline */
#define HTTP_DASHBOARD_EVENTS 10       /* regressions shown on the dashboard */
#define HTTP_UNIT_CHART_ROWS 500       /* history rows in a unit's chart */
#define HTTP_TOKEN_MAX 256            /* bytes of a bearer token; compared over this length */
#define HTTP_HOST_MAX 300             /* longer Host headers are refused (421) */
#define HTTP_DB_STATS_USEC (10 * UINT64_C(1000000)) /* /api/v1/status reuses store_stats() */

/* What the handlers read; filled by the manager. state must outlive the server; the manager
 * updates State in place between requests (one thread). store points at the owner's Store
 * pointer (e.g. &manager->store), read at every request, so the owner may open, close and reopen
 * its database at any time; store or *store NULL means no database: the history endpoints then
 * answer 503 and the pages render without history. render.now_usec is ignored: each request uses
 * the current time. The db_* fields are the server's own cache. */
typedef struct HttpContext {
        const State *state;
        Store *const *store;
        RenderOptions render;
        const char *token;          /* bearer token every request must carry (1 to
                                     * HTTP_TOKEN_MAX bytes, borrowed), or NULL: no token */
        char *const *allowed_hosts; /* Host names (lower case, without port; "*" = any) accepted
                                     * besides loopback ones (strv, borrowed), or NULL: auto */
        bool loopback_only;         /* with allowed_hosts NULL: accept only loopback Host names.
                                     * http_server_new() sets it: true when every listening
                                     * socket is a loopback address */

        StoreStats db_stats;        /* internal: last store_stats() ... */
        int db_stats_error;         /* ... its result ... */
        uint64_t db_stats_usec;     /* ... and when (CLOCK_MONOTONIC; 0 = never) ... */
        const Store *db_stats_store;/* ... of which Store */
} HttpContext;

typedef struct HttpConfig {
        char **listen;              /* "ADDR:PORT" strings (strv) or NULL for the default */
        bool use_listen_fds;        /* take sockets passed by systemd when there are any */
        unsigned connection_limit;  /* 0: HTTP_CONNECTIONS_DEFAULT */
        unsigned timeout_sec;       /* idle connection timeout; 0: HTTP_TIMEOUT_SEC_DEFAULT */
        const char *tls_key;         /* PEM private key (unencrypted) and certificate (chain),
                                      * NUL-terminated: both set = HTTPS on every socket. Only */
        const char *tls_certificate; /* read by http_server_new(): wipe them after it returns */
} HttpConfig;

typedef struct HttpServer HttpServer;

/* Start listening and attach to event. ctx is copied (state, token and allowed_hosts are
 * borrowed). Logs its errors. Returns 0 or -errno (-EADDRINUSE, -EINVAL for a bad address,
 * -EOPNOTSUPP for TLS without TLS support in libmicrohttpd, -EBADMSG for a TLS key or
 * certificate that GnuTLS refuses, -EIO when MHD refuses otherwise). */
int http_server_new(sd_event *event, const HttpConfig *config, const HttpContext *ctx,
                    HttpServer **ret);
/* Stop listening, close every connection. Accepts NULL, returns NULL. */
HttpServer *http_server_free(HttpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);
/* Stop or resume answering. While paused, connections wait in the listening sockets' backlog
 * (the kernel accepts them; nobody is refused), so a client that arrives before the first scan is
 * answered with data as soon as it is done instead of with an empty list. */
void http_server_set_paused(HttpServer *s, bool paused);
/* Number of listening sockets and the local port of socket i (for tests on port 0). */
size_t http_server_n_listeners(const HttpServer *s);
int http_server_port(const HttpServer *s, size_t i);

/* Parse "127.0.0.1:9573", "[::1]:9573", "0.0.0.0:80" or a bare port "9573" (127.0.0.1).
 * Pure. Returns 0 or -EINVAL. */
int http_parse_listen(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);

/* ---- the MHD-free half: requests, responses, routing (used by tests and fuzzers too) ---- */

typedef enum HttpMethod {
        HTTP_GET,
        HTTP_HEAD,
        HTTP_OTHER,
        _HTTP_METHOD_MAX,
} HttpMethod;

typedef struct HttpArg {
        char *key;    /* decoded */
        char *value;  /* decoded; "" for a bare key */
} HttpArg;

typedef struct Request {
        HttpMethod method;
        char *path;                            /* raw, as sent (without the query) */
        char *segments[HTTP_SEGMENTS_MAX];     /* decoded path segments */
        size_t n_segments;
        HttpArg args[HTTP_ARGS_MAX];
        size_t n_args;
        const char *accept;                    /* Accept header or NULL (borrowed) */
        const char *if_none_match;             /* If-None-Match header or NULL (borrowed) */
        const char *host;                      /* Host header or NULL (borrowed) */
        const char *authorization;             /* Authorization header or NULL (borrowed) */
        unsigned error;                        /* 400/404/414 found while parsing, else 0 */
        const char *error_message;             /* static text for error */
} Request;

typedef struct Response {
        unsigned status;
        const char *content_type;      /* static string */
        Buf body;
        const void *static_body;       /* when set, sent instead of body; lives forever */
        size_t static_size;
        const char *cache_control;     /* static; NULL = "no-store" */
        const char *allow;             /* static; the Allow header of a 405 */
        char *location;                /* owned; Location of a redirect */
        char *etag;                    /* owned */
        const char *www_authenticate;  /* static; the WWW-Authenticate header of a 401 */
        bool vary_accept;
} Response;

/* Fill a Request from a method name, a raw path and raw query arguments. Problems are recorded
 * in req->error (dispatch answers them), never fatal. */
void http_request_init(Request *req, const char *method, const char *raw_path);
void http_request_add_arg(Request *req, const char *raw_key, const char *raw_value);
void http_request_done(Request *req);
/* The decoded value of query argument key, or NULL. */
const char *http_request_arg(const Request *req, const char *key);

/* Route req and fill resp (status, headers, body). resp must be zeroed or reused after
 * http_response_reset(). Never fails: errors become 4xx/5xx responses. */
void http_dispatch(HttpContext *ctx, const Request *req, Response *resp);
/* Is host (a Host header: name or address, optional :port) a loopback name: localhost,
 * 127.0.0.0/8, [::1] or [::ffff:127.x.y.z]? Pure. */
bool http_host_is_loopback(const char *host);
/* Forget everything but keep the body's memory. */
void http_response_reset(Response *resp);
void http_response_done(Response *resp);
