/* SPDX-License-Identifier: MIT */
/* HTTP: libmicrohttpd glue, the route table and the handlers. The only file that includes
 * microhttpd.h. MHD runs in external mode with MHD_USE_EPOLL: its epoll fd is an sd-event I/O
 * source, a prepare callback arms a timer from MHD_get_timeout() before every poll, and both call
 * MHD_run(). No MHD threads. One MHD daemon per listening socket (MHD takes one socket each).
 *
 * Handlers get (HttpContext, Request, Response), call the store (store_history/store_events)
 * and the renderers, and never touch MHD. Requests are parsed into a Request with every path
 * segment and query argument percent-decoded by us (MHD's own unescaping is switched off so that
 * %2F inside a unit name stays inside its segment). Never logs above debug for anything a client
 * sends.
 *
 * Access control happens in http_dispatch() before routing, so it covers every path, errors
 * included: first the Host header (a page on evil.example that rebinds its DNS name to
 * 127.0.0.1 still sends "Host: evil.example"), then the bearer token, compared in time that
 * depends only on HTTP_TOKEN_MAX. TLS is MHD's (GnuTLS): the PEM key and certificate are handed
 * to MHD_start_daemon(), which copies them into GnuTLS at start and never reads them again, so
 * the caller wipes its copies as soon as http_server_new() returns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cleanup.h"
#include "embed.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define CT_HTML "text/html; charset=utf-8"
#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"

/* ---- requests ---- */

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Percent-decode n bytes of s ('+' is a space in query components). NUL bytes are refused. */
static int decode(const char *s, size_t n, bool plus, char **ret) {
        _cleanup_free_ char *d = xmalloc(n + 1);
        size_t j = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%') {
                        int hi, lo;
                        if (i + 2 >= n)
                                return -EINVAL;
                        hi = unhex(s[i + 1]);
                        lo = hi >= 0 ? unhex(s[i + 2]) : -1;
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return -EINVAL;
                        d[j++] = (char) (hi * 16 + lo);
                        i += 2;
                } else if (plus && s[i] == '+') {
                        d[j++] = ' ';
                } else {
                        d[j++] = s[i];
                }
        }
        d[j] = 0;
        *ret = TAKE_PTR(d);
        return 0;
}

static void request_fail(Request *req, unsigned status, const char *msg) {
        if (req->error == 0) {
                req->error = status;
                req->error_message = msg;
        }
}

void http_request_init(Request *req, const char *method, const char *raw_path) {
        const char *p;

        *req = (Request) {};
        if (streq(method, "GET"))
                req->method = HTTP_GET;
        else if (streq(method, "HEAD"))
                req->method = HTTP_HEAD;
        else
                req->method = HTTP_OTHER;
        req->path = xstrdup(raw_path ? raw_path : "");

        if (strlen(req->path) > HTTP_PATH_MAX)
                return request_fail(req, 414, "URL too long");
        if (req->path[0] != '/')
                return request_fail(req, 400, "path must start with /");

        /* "/" has no segments; "/a/b" has two; empty segments ("//", a trailing "/") are kept
         * as "" and match no route. */
        p = req->path + 1;
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : strlen(p);
                char *seg;

                if (req->n_segments >= HTTP_SEGMENTS_MAX)
                        return request_fail(req, 404, "no such path");
                if (decode(p, n, false, &seg) < 0)
                        return request_fail(req, 400, "malformed percent-encoding in path");
                req->segments[req->n_segments++] = seg;
                if (!slash)
                        break;
                p = slash + 1;
                if (!*p) {
                        /* trailing slash */
                        if (req->n_segments >= HTTP_SEGMENTS_MAX)
                                return request_fail(req, 404, "no such path");
                        req->segments[req->n_segments++] = xstrdup("");
                        break;
                }
        }
}

void http_request_add_arg(Request *req, const char *raw_key, const char *raw_value) {
        char *k, *v;

        if (!raw_key)
                return request_fail(req, 400, "malformed query");
        if (strlen(raw_key) > HTTP_ARG_MAX || (raw_value && strlen(raw_value) > HTTP_ARG_MAX))
                return request_fail(req, 414, "query argument too long");
        if (req->n_args >= HTTP_ARGS_MAX)
                return request_fail(req, 400, "too many query arguments");
        if (decode(raw_key, strlen(raw_key), true, &k) < 0)
                return request_fail(req, 400, "malformed percent-encoding in query");
        if (decode(raw_value ? raw_value : "", raw_value ? strlen(raw_value) : 0, true, &v) < 0) {
                free(k);
                return request_fail(req, 400, "malformed percent-encoding in query");
        }
        for (size_t i = 0; i < req->n_args; i++)
                if (streq(req->args[i].key, k)) {
                        free(k);
                        free(v);
                        return request_fail(req, 400, "duplicate query argument");
                }
        req->args[req->n_args++] = (HttpArg) { k, v };
}

void http_request_done(Request *req) {
        free(req->path);
        for (size_t i = 0; i < req->n_segments; i++)
                free(req->segments[i]);
        for (size_t i = 0; i < req->n_args; i++) {
                free(req->args[i].key);
                free(req->args[i].value);
        }
        *req = (Request) {};
}

const char *http_request_arg(const Request *req, const char *key) {
        for (size_t i = 0; i < req->n_args; i++)
                if (streq(req->args[i].key, key))
                        return req->args[i].value;
        return NULL;
}

/* ---- responses ---- */

void http_response_reset(Response *resp) {
        Buf body = resp->body;

        free(resp->location);
        free(resp->etag);
        buf_clear(&body);
        *resp = (Response) { .body = body };
}

void http_response_done(Response *resp) {
        http_response_reset(resp);
        buf_done(&resp->body);
}

typedef enum RouteKind { KIND_HTML, KIND_JSON, KIND_TEXT } RouteKind;

/* ---- access: Host header and bearer token ---- */

/* The length of the name part of a Host header ("name", "name:port", "[v6]", "[v6]:port"), or
 * -EINVAL when it is none of those. */
static int host_name_len(const char *host, size_t *ret) {
        size_t n = strnlen(host, HTTP_HOST_MAX + 1);
        const char *end;

        if (n == 0 || n > HTTP_HOST_MAX)
                return -EINVAL;
        if (host[0] == '[') {
                end = strchr(host, ']');
                if (!end)
                        return -EINVAL;
                end++;
        } else {
                end = host + strcspn(host, ":");
        }
        if (end == host)
                return -EINVAL;
        if (*end == ':') {
                size_t digits = strspn(end + 1, "0123456789");
                if (digits > 5 || end[1 + digits] != 0)
                        return -EINVAL;
        } else if (*end != 0) {
                return -EINVAL;
        }
        *ret = (size_t) (end - host);
        return 0;
}

bool http_host_is_loopback(const char *host) {
        char name[INET6_ADDRSTRLEN + 2];
        struct in6_addr a6;
        struct in_addr a4;
        size_t n;

        if (!host || host_name_len(host, &n) < 0)
                return false;
        if (n == strlen("localhost") && strncasecmp(host, "localhost", n) == 0)
                return true;
        if (n >= sizeof name)
                return false;
        if (host[0] == '[') {
                memcpy(name, host + 1, n - 2);
                name[n - 2] = 0;
                if (inet_pton(AF_INET6, name, &a6) != 1)
                        return false;
                return IN6_IS_ADDR_LOOPBACK(&a6) ||
                       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
        }
        memcpy(name, host, n);
        name[n] = 0;
        /* inet_pton() takes dotted quads only: no "0x7f.1" or "2130706433" */
        return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static bool host_allowed(const HttpContext *ctx, const char *host) {
        size_t n;

        if (!ctx->allowed_hosts && !ctx->loopback_only)
                return true;
        /* No Host header: HTTP/1.0 from a script; browsers always send one (and MHD refuses
         * HTTP/1.1 without it). */
        if (!host)
                return true;
        if (http_host_is_loopback(host))
                return true;
        if (host_name_len(host, &n) < 0)
                return false;
        for (char *const *a = ctx->allowed_hosts; a && *a; a++)
                if (streq(*a, "*") || (strlen(*a) == n && strncasecmp(*a, host, n) == 0))
                        return true;
        return false;
}

/* Does authorization ("Bearer <token>") carry token? The comparison runs over HTTP_TOKEN_MAX
 * bytes whatever the lengths and has no early exit: its time tells nothing about the token, not
 * even its length. Only a header longer than any token is refused at once. */
static bool bearer_matches(const char *token, const char *authorization) {
        size_t tlen = strlen(token), glen;
        const char *given;
        unsigned diff;

        if (strncasecmp(authorization, "Bearer ", 7) != 0)
                return false;
        given = authorization + 7;
        given += strspn(given, " ");
        glen = strnlen(given, HTTP_TOKEN_MAX + 1);
        if (glen > HTTP_TOKEN_MAX)
                return false;
        diff = (unsigned) (tlen != glen);
        for (size_t i = 0; i < HTTP_TOKEN_MAX; i++) {
                /* masks instead of branches on the lengths */
                unsigned char mt = (unsigned char) -(unsigned char) (i < tlen);
                unsigned char mg = (unsigned char) -(unsigned char) (i < glen);
                unsigned char t = (unsigned char) token[i < tlen ? i : 0] & mt;
                unsigned char g = (unsigned char) given[i < glen ? i : 0] & mg;
                diff |= (unsigned) (t ^ g);
        }
        return diff == 0;
}

static void respond_error(Response *resp, RouteKind kind, unsigned status, const char *msg) {
        buf_clear(&resp->body);
        resp->static_body = NULL;
        resp->status = status;
        if (kind == KIND_JSON) {
                resp->content_type = CT_JSON;
                if (render_json_error(msg, &resp->body) < 0)
                        buf_puts(&resp->body, "{\"error\":\"out of memory\"}");
        } else if (kind == KIND_HTML) {
                resp->content_type = CT_HTML;
                render_html_error(status, msg, &resp->body);
        } else {
                resp->content_type = CT_TEXT;
                buf_puts(&resp->body, msg);
                buf_putc(&resp->body, '\n');
        }
}

/* ---- handlers ---- */

typedef struct Route Route;
typedef void (*Handler)(HttpContext *ctx, const RenderOptions *o, const Request *req,
                        const char *param, Response *resp);

struct Route {
        const char *pattern;       /* segments; a "*" segment matches one non-empty segment */
        RouteKind kind;
        Handler handler;
        const char *const *args;   /* allowed query argument names, NULL-terminated */
};

static const char *const args_none[] = { NULL };
static const char *const args_dashboard[] = { "q", "predicate", "sort", NULL };
static const char *const args_history[] = { "since", "until", "limit", NULL };
static const char *const args_events[] = { "since", "until", "limit", "unit", "kind", NULL };

/* Parse since/until/limit (and unit/kind where allowed) into q. Returns NULL or the message of a
 * 400. */
static const char *parse_range(const Request *req, HistoryQuery *q) {
        const char *v;
        uint64_t limit;

        *q = (HistoryQuery) { .limit = RENDER_ROWS_DEFAULT, .kind = _EVENT_KIND_INVALID };
        if ((v = http_request_arg(req, "since")) && render_parse_time(v, &q->since_usec) < 0)
                return "since: expected unix seconds or an RFC 3339 time";
        if ((v = http_request_arg(req, "until")) && render_parse_time(v, &q->until_usec) < 0)
                return "until: expected unix seconds or an RFC 3339 time";
        if (q->until_usec && q->since_usec > q->until_usec)
                return "since is after until";
        if ((v = http_request_arg(req, "limit"))) {
                if (parse_uint(v, RENDER_ROWS_MAX, &limit) < 0 || limit == 0)
                        return "limit: expected an integer from 1 to 1000";
                q->limit = (size_t) limit;
        }
        if ((v = http_request_arg(req, "unit"))) {
                if (isempty(v))
                        return "unit: empty";
                q->unit = v;
        }
        if ((v = http_request_arg(req, "kind"))) {
                q->kind = event_kind_from_string(v);
                if (q->kind < 0)
                        return "kind: expected none, regression, improvement, new-exposed-unit, "
                               "gone, rescored, systemd-upgrade or scorer-upgrade";
        }
        return NULL;
}

static const UnitState *find_unit(HttpContext *ctx, const char *id, RouteKind kind,
                                  Response *resp) {
        const UnitState *u = state_find_unit(ctx->state, id);
        if (!u)
                respond_error(resp, kind, 404, "unknown unit");
        return u;
}

static void h_metrics(HttpContext *ctx, const RenderOptions *o, const Request *req,
                      const char *param, Response *resp) {
        MetricsFormat f = metrics_format_from_accept(req->accept);

        (void) param;
        render_metrics(ctx->state, o, f, &resp->body);
        resp->content_type = metrics_content_type(f);
        resp->vary_accept = true;
}

static void h_api_units(HttpContext *ctx, const RenderOptions *o, const Request *req,
                        const char *param, Response *resp) {
        (void) req, (void) param;
        if (render_json_units(ctx->state, o, &resp->body) < 0)
                return respond_error(resp, KIND_JSON, 500, "out of memory");
}

static void h_api_unit(HttpContext *ctx, const RenderOptions *o, const Request *req,
                       const char *param, Response *resp) {
        const UnitState *u = find_unit(ctx, param, KIND_JSON, resp);

        (void) req;
        if (!u)
                return;
        if (render_json_unit(ctx->state, u, o, &resp->body) < 0)
                return respond_error(resp, KIND_JSON, 500, "out of memory");
}

/* ---- the store, converted to the renderers' rows ---- */

static Store *get_store(const HttpContext *ctx) {
        return ctx->store ? *ctx->store : NULL;
}

/* A unit's history, newest first. -ENOENT for a unit the store never saw, -ENODATA without a
 * store, else -errno from the store. */
static int load_history(HttpContext *ctx, const HistoryQuery *q, HistoryRow **ret, size_t *ret_n) {
        StoreChange *c = NULL;
        HistoryRow *rows;
        size_t n = 0;
        int r;

        Store *store = get_store(ctx);

        if (!store)
                return -ENODATA;
        r = store_history(store, q->unit, q->since_usec, q->until_usec, q->limit, &c, &n);
        if (r == -EINVAL)
                return -ENOENT; /* a name the store cannot hold (control characters) was never
                                 * stored */
        if (r < 0)
                return r;
        rows = xcalloc(n, sizeof(*rows));
        for (size_t i = 0; i < n; i++)
                rows[i] = (HistoryRow) {
                        .time_usec = c[i].time_usec,
                        .exposure = c[i].exposure,
                        .predicate = c[i].predicate,
                        /* EventKind mirrors StoreEventKind (render.h) */
                        .kind = (EventKind) c[i].kind,
                };
        store_changes_free(c, n);
        *ret = rows;
        *ret_n = n;
        return 0;
}

static int load_events(HttpContext *ctx, const HistoryQuery *q, EventRow **ret, size_t *ret_n) {
        StoreChange *c = NULL;
        EventRow *rows;
        size_t n = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        Store *store = get_store(ctx);

        if (!store)
                return -ENODATA;
        r = store_events(store, q->unit, q->kind >= 0 ? STORE_EVENT_MASK(q->kind) : 0,
                         q->since_usec, q->until_usec, q->limit, &c, &n);
        if (r < 0)
                return r;
        rows = xcalloc(n, sizeof(*rows));
        for (size_t i = 0; i < n; i++) {
                Buf detail = {};

                if (c[i].kind == STORE_EVENT_SYSTEMD_UPGRADE && c[i].systemd_version) {
                        buf_puts(&detail, c[i].systemd_version_before ?
                                                  c[i].systemd_version_before : "?");
                        buf_puts(&detail, " -> ");
                        buf_puts(&detail, c[i].systemd_version);
                } else if (c[i].kind == STORE_EVENT_SCORER_UPGRADE && c[i].scorer_version) {
                        buf_puts(&detail, "scorer ");
                        buf_puts(&detail, c[i].scorer_version);
                }
                rows[i] = (EventRow) {
                        .time_usec = c[i].time_usec,
                        .unit = c[i].unit ? xstrdup(c[i].unit) : NULL,
                        .kind = (EventKind) c[i].kind,
                        .previous = c[i].before,
                        .exposure = c[i].exposure,
                        .predicate = c[i].predicate,
                        .detail = detail.data ? buf_steal(&detail) : NULL,
                };
        }
        store_changes_free(c, n);
        *ret = rows;
        *ret_n = n;
        return 0;
}

static void h_api_history(HttpContext *ctx, const RenderOptions *o, const Request *req,
                          const char *param, Response *resp) {
        _cleanup_free_ HistoryRow *rows = NULL;
        HistoryQuery q;
        const char *err;
        size_t n = 0;
        int r;

        (void) o;
        if ((err = parse_range(req, &q)))
                return respond_error(resp, KIND_JSON, 400, err);
        /* A unit that is gone may still have history: the store decides (-ENOENT: never seen). */
        q.unit = param;
        r = load_history(ctx, &q, &rows, &n);
        if (r == -ENOENT)
                return respond_error(resp, KIND_JSON, 404, "unknown unit");
        if (r == -ENODATA)
                return respond_error(resp, KIND_JSON, 503, "no history database");
        if (r < 0) {
                log_debug_errno(r, "History query failed: %m");
                return respond_error(resp, KIND_JSON, 503, "history database unavailable");
        }
        if (render_json_history(param, rows, n, &resp->body) < 0)
                return respond_error(resp, KIND_JSON, 500, "out of memory");
}

static void h_api_events(HttpContext *ctx, const RenderOptions *o, const Request *req,
                         const char *param, Response *resp) {
        EventRow *rows = NULL;
        HistoryQuery q;
        const char *err;
        size_t n = 0;
        int r;

        (void) o, (void) param;
        if ((err = parse_range(req, &q)))
                return respond_error(resp, KIND_JSON, 400, err);
        r = load_events(ctx, &q, &rows, &n);
        if (r == -ENODATA)
                return respond_error(resp, KIND_JSON, 503, "no history database");
        if (r == -EINVAL)
                return respond_error(resp, KIND_JSON, 400, "unit: not a valid unit name");
        if (r < 0) {
                log_debug_errno(r, "Events query failed: %m");
                return respond_error(resp, KIND_JSON, 503, "history database unavailable");
        }
        if (render_json_events(rows, n, &resp->body) < 0)
                respond_error(resp, KIND_JSON, 500, "out of memory");
        event_rows_free(rows, n);
}

static void h_api_status(HttpContext *ctx, const RenderOptions *o, const Request *req,
                         const char *param, Response *resp) {
        Store *store = get_store(ctx);
        StatusInfo st = { .db_available = store != NULL };
        uint64_t now = now_monotonic_usec();

        (void) req, (void) param;
        if (store != ctx->db_stats_store) {
                /* another (or a reopened) database: forget the cached numbers */
                ctx->db_stats_usec = 0;
                ctx->db_stats_store = store;
        }
        if (store) {
                /* store_stats() counts rows: at most every HTTP_DB_STATS_USEC, whatever the
                 * request rate. */
                if (ctx->db_stats_usec == 0 || now - ctx->db_stats_usec >= HTTP_DB_STATS_USEC) {
                        ctx->db_stats_error = store_stats(store, &ctx->db_stats);
                        ctx->db_stats_usec = now;
                }
                st.db_error = ctx->db_stats_error < 0 ? ctx->db_stats_error :
                                                        ctx->db_stats.last_error;
                st.schema_version = ctx->db_stats.schema_version;
                st.db_bytes = ctx->db_stats.db_bytes;
                st.wal_bytes = ctx->db_stats.wal_bytes;
                st.n_changes = ctx->db_stats.n_changes;
                st.n_events = ctx->db_stats.n_events;
                st.n_scans = ctx->db_stats.n_scans;
        }
        if (render_json_status(ctx->state, o, &st, &resp->body) < 0)
                return respond_error(resp, KIND_JSON, 500, "out of memory");
}

static void h_dashboard(HttpContext *ctx, const RenderOptions *o, const Request *req,
                        const char *param, Response *resp) {
        DashboardQuery dq = { .min_predicate = _PREDICATE_INVALID, .sort = SORT_EXPOSURE };
        const State *s = ctx->state;
        Sparkline *sparks = NULL;
        HistoryRow **spark_rows = NULL; /* what to free: Sparkline.rows is const */
        EventRow *events = NULL;
        size_t n_events = 0;
        const char *v;

        (void) param;
        dq.text = http_request_arg(req, "q");
        if (dq.text && strlen(dq.text) > 200)
                return respond_error(resp, KIND_HTML, 400, "filter text too long");
        if ((v = http_request_arg(req, "predicate")) && !isempty(v)) {
                dq.min_predicate = predicate_from_string(v);
                if (dq.min_predicate < 0)
                        return respond_error(resp, KIND_HTML, 400, "unknown predicate");
        }
        if ((v = http_request_arg(req, "sort")) && !isempty(v)) {
                if (streq(v, "exposure"))
                        dq.sort = SORT_EXPOSURE;
                else if (streq(v, "name"))
                        dq.sort = SORT_NAME;
                else if (streq(v, "change"))
                        dq.sort = SORT_CHANGE;
                else
                        return respond_error(resp, KIND_HTML, 400, "unknown sort order");
        }

        if (get_store(ctx) && s->n_units > 0) {
                /* One indexed query per unit; a failing store leaves the sparklines flat. */
                sparks = xcalloc(s->n_units, sizeof(*sparks));
                spark_rows = xcalloc(s->n_units, sizeof(*spark_rows));
                for (size_t i = 0; i < s->n_units; i++) {
                        HistoryQuery q = {
                                .unit = s->units[i]->id,
                                .since_usec = o->now_usec > 30 * 86400 * UINT64_C(1000000) ?
                                        o->now_usec - 30 * 86400 * UINT64_C(1000000) : 0,
                                .limit = HTTP_DASHBOARD_SPARK_ROWS,
                                .kind = _EVENT_KIND_INVALID,
                        };
                        HistoryRow *rows = NULL;
                        size_t n = 0;
                        /* -ENOENT: not stored yet (flat line); anything else: give up on the
                         * sparklines, the page still renders. */
                        int r = load_history(ctx, &q, &rows, &n);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                break;
                        spark_rows[i] = rows;
                        sparks[i] = (Sparkline) { rows, n };
                }
        }
        {
                HistoryQuery q = { .limit = HTTP_DASHBOARD_EVENTS, .kind = EVENT_REGRESSION };
                (void) load_events(ctx, &q, &events, &n_events);
        }
        render_html_dashboard(s, o, &dq, sparks, events, n_events, &resp->body);
        resp->content_type = CT_HTML;
        if (spark_rows)
                for (size_t i = 0; i < s->n_units; i++)
                        free(spark_rows[i]);
        free(spark_rows);
        free(sparks);
        event_rows_free(events, n_events);
}

static void h_unit_page(HttpContext *ctx, const RenderOptions *o, const Request *req,
                        const char *param, Response *resp) {
        const UnitState *u = find_unit(ctx, param, KIND_HTML, resp);
        _cleanup_free_ HistoryRow *rows = NULL;
        size_t n = 0;

        (void) req;
        if (!u)
                return;
        if (get_store(ctx)) {
                HistoryQuery q = { .unit = u->id, .limit = HTTP_UNIT_CHART_ROWS,
                                   .kind = _EVENT_KIND_INVALID };
                if (load_history(ctx, &q, &rows, &n) < 0) {
                        rows = NULL;
                        n = 0;
                }
        }
        render_html_unit(ctx->state, u, o, rows, n, &resp->body);
        resp->content_type = CT_HTML;
}

static void h_events_page(HttpContext *ctx, const RenderOptions *o, const Request *req,
                          const char *param, Response *resp) {
        EventRow *rows = NULL;
        HistoryQuery q;
        const char *err;
        size_t n = 0;
        int r;

        (void) param;
        if ((err = parse_range(req, &q)))
                return respond_error(resp, KIND_HTML, 400, err);
        r = load_events(ctx, &q, &rows, &n);
        if (r == -EINVAL)
                return respond_error(resp, KIND_HTML, 400, "unit: not a valid unit name");
        if (r < 0 && r != -ENODATA)
                return respond_error(resp, KIND_HTML, 503, "history database unavailable");
        render_html_events(o, rows, n, r != -ENODATA, &resp->body);
        resp->content_type = CT_HTML;
        event_rows_free(rows, n);
}

static const char *asset_type(const char *name) {
        static const struct { const char *ext, *type; } types[] = {
                { ".css", "text/css; charset=utf-8" },
                { ".js", "text/javascript; charset=utf-8" },
                { ".svg", "image/svg+xml" },
        };
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (endswith(name, types[i].ext))
                        return types[i].type;
        return NULL; /* page templates (.html) are not served */
}

static void h_static(HttpContext *ctx, const RenderOptions *o, const Request *req,
                     const char *param, Response *resp) {
        (void) ctx, (void) o;
        /* Exact lookup in the embedded table: "..", "/" or "%2e%2e" can never name a file. */
        for (const EmbeddedFile *f = web_assets; f->name; f++) {
                const char *type = asset_type(f->name);
                uint64_t h = UINT64_C(14695981039346656037);
                char tag[24];

                if (!type || !streq(f->name, param))
                        continue;
                /* FNV-1a of the content: a strong-enough validator for a few embedded files. */
                for (size_t i = 0; i < f->size; i++)
                        h = (h ^ (unsigned char) f->data[i]) * UINT64_C(1099511628211);
                (void) snprintf(tag, sizeof tag, "\"%016llx\"", (unsigned long long) h);
                resp->etag = xstrdup(tag);
                resp->content_type = type;
                resp->cache_control = "public, max-age=3600";
                if (req->if_none_match && strstr(req->if_none_match, tag)) {
                        resp->status = 304;
                        return;
                }
                resp->static_body = f->data;
                resp->static_size = f->size;
                return;
        }
        respond_error(resp, KIND_TEXT, 404, "no such file");
}

static const Route routes[] = {
        { "/", KIND_HTML, h_dashboard, args_dashboard },
        { "/units/*", KIND_HTML, h_unit_page, args_none },
        { "/events", KIND_HTML, h_events_page, args_events },
        { "/static/*", KIND_TEXT, h_static, args_none },
        { "/metrics", KIND_TEXT, h_metrics, args_none },
        { "/api/v1/units", KIND_JSON, h_api_units, args_none },
        { "/api/v1/units/*", KIND_JSON, h_api_unit, args_none },
        { "/api/v1/units/*/history", KIND_JSON, h_api_history, args_history },
        { "/api/v1/events", KIND_JSON, h_api_events, args_events },
        { "/api/v1/status", KIND_JSON, h_api_status, args_none },
};

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

void http_dispatch(HttpContext *ctx, const Request *req, Response *resp) {
        RouteKind kind = startswith(req->path, "/api/") ? KIND_JSON : KIND_HTML;
        RenderOptions o = ctx->render;
        const Route *route = NULL;
        const char *param = NULL;

        resp->status = 200;
        o.now_usec = now_realtime_usec();

        /* Access first, for every path and method, with JSON errors (the clients that get them
         * are scripts and scrapers, or an attacker). */
        if (!host_allowed(ctx, req->host))
                return respond_error(resp, KIND_JSON, 421,
                                     "Host not allowed: use localhost or an address in "
                                     "allowed_hosts (DNS-rebinding defence)");
        if (ctx->token && !req->authorization) {
                respond_error(resp, KIND_JSON, 401, "authorization required: Bearer token");
                resp->www_authenticate = "Bearer realm=\"exposured\"";
                return;
        }
        if (ctx->token && !bearer_matches(ctx->token, req->authorization)) {
                respond_error(resp, KIND_JSON, 401, "invalid token");
                resp->www_authenticate = "Bearer realm=\"exposured\", error=\"invalid_token\"";
                return;
        }

        for (size_t i = 0; i < ELEMENTSOF(routes) && !req->error; i++)
                if (route_match(routes[i].pattern, req, &param)) {
                        route = &routes[i];
                        kind = route->kind;
                        break;
                }
        if (req->method == HTTP_OTHER) {
                respond_error(resp, kind, 405, "method not allowed: use GET or HEAD");
                resp->allow = "GET, HEAD";
                return;
        }
        if (req->error)
                return respond_error(resp, kind, req->error, req->error_message);
        if (!route)
                return respond_error(resp, kind, 404, "no such path");
        for (size_t i = 0; i < req->n_args; i++) {
                const char *const *a = route->args;
                while (*a && !streq(*a, req->args[i].key))
                        a++;
                if (!*a)
                        return respond_error(resp, kind, 400, "unknown query argument");
        }
        route->handler(ctx, &o, req, param, resp);
}

/* ---- listening sockets ---- */

int http_parse_listen(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        struct sockaddr_storage ss = {};
        _cleanup_free_ char *host = NULL;
        const char *port_s;
        uint64_t port;

        if (isempty(s))
                return -EINVAL;
        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                host = xstrndup(s + 1, (size_t) (end - s - 1));
                port_s = end + 2;
        } else if (strchr(s, ':')) {
                const char *colon = strrchr(s, ':');
                host = xstrndup(s, (size_t) (colon - s));
                port_s = colon + 1;
                if (strchr(host, ':'))
                        return -EINVAL; /* IPv6 needs brackets */
        } else {
                host = xstrdup("127.0.0.1");
                port_s = s;
        }
        if (parse_uint(port_s, 65535, &port) < 0)
                return -EINVAL;

        struct sockaddr_in *in = (struct sockaddr_in *) &ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
        if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
                in->sin_family = AF_INET;
                in->sin_port = htons((uint16_t) port);
                *ret_len = sizeof(*in);
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t) port);
                *ret_len = sizeof(*in6);
        } else {
                return -EINVAL;
        }
        *ret = ss;
        return 0;
}

static int listen_on(const char *address, int *ret_fd) {
        struct sockaddr_storage ss;
        _cleanup_close_ int fd = -1;
        socklen_t len;
        int one = 1;

        if (http_parse_listen(address, &ss, &len) < 0)
                return log_error_errno(EINVAL, "Invalid listen address '%s', expected ADDR:PORT.",
                                       address);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create socket for '%s': %m", address);
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ss.ss_family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &ss, len) < 0)
                return log_error_errno(errno, "Failed to bind to '%s': %m", address);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Failed to listen on '%s': %m", address);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* ---- MHD glue ---- */

typedef struct Listener {
        HttpServer *server;
        struct MHD_Daemon *mhd;
        sd_event_source *io;
        sd_event_source *timer;
        int fd;            /* owned by MHD once mhd is set */
} Listener;

struct HttpServer {
        sd_event *event;
        HttpContext ctx;
        char mhd_error[256]; /* MHD's last message, for the error when it refuses to start */
        Listener *listeners;
        size_t n_listeners;
        Response resp;     /* reused between requests: its body Buf keeps its memory */
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
        (void) kind;
        http_request_add_arg(cls, key, value);
        return MHD_YES;
}

static enum MHD_Result add_header(struct MHD_Response *r, const char *name, const char *value) {
        return MHD_add_response_header(r, name, value);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        HttpServer *s = cls;
        Response *resp = &s->resp;
        struct MHD_Response *r;
        enum MHD_Result ok;
        Request req;

        (void) version, (void) upload_data, (void) upload_data_size, (void) con_cls;

        http_request_init(&req, method, url);
        (void) MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
        req.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        req.if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_IF_NONE_MATCH);
        req.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        req.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_AUTHORIZATION);

        http_response_reset(resp);
        http_dispatch(&s->ctx, &req, resp);

        if (resp->static_body)
                /* Embedded, read-only and never freed: MHD only reads a PERSISTENT buffer. */
                r = MHD_create_response_from_buffer(resp->static_size,
                                                    (void *) (uintptr_t) resp->static_body,
                                                    MHD_RESPMEM_PERSISTENT);
        else if (resp->body.len > 0)
                r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
                                                    MHD_RESPMEM_MUST_COPY);
        else
                r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r) {
                http_request_done(&req);
                return MHD_NO;
        }
        if (resp->content_type)
                (void) add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
        (void) add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                          resp->cache_control ? resp->cache_control : "no-store");
        (void) add_header(r, "Content-Security-Policy", CSP);
        (void) add_header(r, "X-Content-Type-Options", "nosniff");
        (void) add_header(r, "Referrer-Policy", "no-referrer");
        (void) add_header(r, "X-Frame-Options", "DENY");
        (void) add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
        if (resp->allow)
                (void) add_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
        if (resp->location)
                (void) add_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
        if (resp->etag)
                (void) add_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
        if (resp->www_authenticate)
                (void) add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp->www_authenticate);
        if (resp->vary_accept)
                (void) add_header(r, MHD_HTTP_HEADER_VARY, "Accept");

        log_debug("%s %s -> %u", req.method == HTTP_OTHER ? "(other)" : method, req.path,
                  resp->status);
        ok = MHD_queue_response(c, resp->status, r);
        MHD_destroy_response(r);
        http_request_done(&req);
        return ok;
}

/* Our own unescaping happens per segment in http_request_init(): keep MHD's hands off. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) {
        (void) cls, (void) c;
        return strlen(s);
}

/* MHD's messages: at debug level (they can be about clients), and the last one is kept for the
 * error message when MHD_start_daemon() fails (e.g. GnuTLS refusing a key). */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        HttpServer *s = cls;
        char msg[sizeof s->mhd_error];

        /* MHD's messages are printf formats from the library itself. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        (void) vsnprintf(msg, sizeof msg, fmt, ap);
#pragma GCC diagnostic pop
        msg[strcspn(msg, "\n")] = 0;
        memcpy(s->mhd_error, msg, sizeof msg);
        log_debug("libmicrohttpd: %s", msg);
}

static unsigned n_connections(struct MHD_Daemon *d) {
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        return info ? info->num_connections : 0;
}

/* MHD_run() once; and once more when connections were closed: MHD puts a listening socket that
 * it took out of its epoll set at the connection limit back only at the START of a run, and in
 * external mode nothing else would wake us for that (found by test-http's idle-connections
 * test: without the second run the server stops accepting for good). */
static void run(Listener *l) {
        unsigned before = n_connections(l->mhd);

        if (MHD_run(l->mhd) != MHD_YES)
                log_debug("MHD_run() failed, ignoring");
        if (n_connections(l->mhd) < before && MHD_run(l->mhd) != MHD_YES)
                log_debug("MHD_run() failed, ignoring");
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        (void) src, (void) fd, (void) revents;
        run(userdata);
        return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        (void) src, (void) usec;
        run(userdata);
        return 0;
}

/* Before every poll: arm the timer from MHD's next timeout (connection timeouts, and 0 when MHD
 * has buffered work that epoll will not report). */
static int on_prepare(sd_event_source *src, void *userdata) {
        Listener *l = userdata;
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now;

        (void) src;
        if (MHD_get_timeout(l->mhd, &ms) != MHD_YES)
                return sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
        if (sd_event_now(l->server->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_monotonic_usec();
        if (ms > UINT64_MAX / 1000 - now)
                ms = (UINT64_MAX - now) / 1000 - 1;
        (void) sd_event_source_set_time(l->timer, now + ms * 1000);
        return sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

static int listener_start(HttpServer *s, Listener *l, const HttpConfig *config) {
        const bool tls = config->tls_key && config->tls_certificate;
        /* TLS 1.2 and 1.3 only, GnuTLS's NORMAL set otherwise. MHD copies nothing: the strings
         * are read during MHD_start_daemon() only. */
        struct MHD_OptionItem tls_options[] = {
                { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) (uintptr_t) config->tls_key },
                { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) (uintptr_t) config->tls_certificate },
                { MHD_OPTION_HTTPS_PRIORITIES, 0,
                  (void *) (uintptr_t) "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
                { MHD_OPTION_END, 0, NULL },
        };
        struct MHD_OptionItem no_options[] = { { MHD_OPTION_END, 0, NULL } };
        const union MHD_DaemonInfo *info;
        int r, flags;

        flags = fcntl(l->fd, F_GETFL);
        if (flags >= 0)
                (void) fcntl(l->fd, F_SETFL, flags | O_NONBLOCK);

        l->server = s;
        s->mhd_error[0] = 0;
        l->mhd = MHD_start_daemon(
                MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0), 0, NULL, NULL,
                on_request, s,
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                MHD_OPTION_ARRAY, tls ? tls_options : no_options,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) l->fd,
                MHD_OPTION_CONNECTION_LIMIT,
                (unsigned) (config->connection_limit ? config->connection_limit :
                                                       HTTP_CONNECTIONS_DEFAULT),
                MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned) (config->timeout_sec ? config->timeout_sec : HTTP_TIMEOUT_SEC_DEFAULT),
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_MEMORY_LIMIT_DEFAULT,
                MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                MHD_OPTION_END);
        if (!l->mhd) {
                /* MHD did not take the socket. */
                (void) close(TAKE_FD(l->fd));
                if (tls)
                        return log_error_errno(EBADMSG,
                                               "Failed to start the HTTPS server (is the TLS key "
                                               "an unencrypted PEM key matching the PEM "
                                               "certificate?): %s",
                                               s->mhd_error[0] ? s->mhd_error : "no details");
                return log_error_errno(EIO, "Failed to start the HTTP server: %s",
                                       s->mhd_error[0] ? s->mhd_error : "no details");
        }
        info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return log_error_errno(EIO, "Failed to get the HTTP server's epoll fd.");

        r = sd_event_add_io(s->event, &l->io, info->epoll_fd, EPOLLIN, on_io, l);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the HTTP server: %m");
        (void) sd_event_source_set_description(l->io, "http-io");
        r = sd_event_source_set_prepare(l->io, on_prepare);
        if (r < 0)
                return log_error_errno(r, "Failed to set the HTTP prepare callback: %m");
        r = sd_event_add_time(s->event, &l->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, l);
        if (r < 0)
                return log_error_errno(r, "Failed to add the HTTP timer: %m");
        (void) sd_event_source_set_description(l->timer, "http-timer");
        return sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
}

/* Is fd bound to 127.0.0.0/8 or ::1 (a socket only this machine can reach)? */
static bool fd_is_loopback(int fd) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;

        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                return false;
        if (ss.ss_family == AF_INET)
                return (ntohl(((struct sockaddr_in *) &ss)->sin_addr.s_addr) >> 24) == 127;
        if (ss.ss_family == AF_INET6) {
                const struct in6_addr *a = &((struct sockaddr_in6 *) &ss)->sin6_addr;
                return IN6_IS_ADDR_LOOPBACK(a) ||
                       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        }
        return false; /* AF_UNIX: behind a proxy that passes its own Host */
}

static Listener *listener_add(HttpServer *s, int fd) {
        s->listeners = xrealloc(s->listeners, (s->n_listeners + 1) * sizeof(Listener));
        s->listeners[s->n_listeners] = (Listener) { .fd = fd };
        return &s->listeners[s->n_listeners++];
}

int http_server_new(sd_event *event, const HttpConfig *config, const HttpContext *ctx,
                    HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = xcalloc(1, sizeof(*s));
        int r, n = 0;

        s->event = sd_event_ref(event);
        s->ctx = *ctx;

        if (!!config->tls_key != !!config->tls_certificate)
                return log_error_errno(EINVAL, "TLS needs both a key and a certificate.");
        if (config->tls_key && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return log_error_errno(EOPNOTSUPP,
                                       "TLS requested, but libmicrohttpd was built without it.");
        if (s->ctx.token && (isempty(s->ctx.token) || strlen(s->ctx.token) > HTTP_TOKEN_MAX))
                return log_error_errno(EINVAL, "The bearer token must have 1 to %d bytes.",
                                       HTTP_TOKEN_MAX);

        if (config->use_listen_fds) {
                n = sd_listen_fds(true);
                if (n < 0)
                        return log_error_errno(n, "Failed to get sockets from systemd: %m");
                for (int i = 0; i < n; i++) {
                        int fd = SD_LISTEN_FDS_START + i;
                        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                                log_warning("Passed fd %d is not a listening stream socket, "
                                            "ignoring", fd);
                                (void) close(fd);
                                continue;
                        }
                        listener_add(s, fd);
                }
        }
        if (s->n_listeners == 0) {
                char *const defaults[] = { (char *) HTTP_LISTEN_DEFAULT, NULL };
                char *const *l = config->listen ? config->listen : defaults;
                for (; *l; l++) {
                        int fd = -1;
                        r = listen_on(*l, &fd);
                        if (r < 0)
                                return r;
                        listener_add(s, fd);
                }
        }
        if (s->n_listeners == 0)
                return log_error_errno(EINVAL, "No address to listen on.");
        s->ctx.loopback_only = true;
        for (size_t i = 0; i < s->n_listeners; i++)
                if (!fd_is_loopback(s->listeners[i].fd))
                        s->ctx.loopback_only = false;
        if (s->ctx.token && !config->tls_key && !s->ctx.loopback_only)
                log_warning("The bearer token crosses the network in clear text: no TLS on a "
                            "non-loopback socket (fine behind a TLS proxy on this host).");
        for (size_t i = 0; i < s->n_listeners; i++) {
                r = listener_start(s, &s->listeners[i], config);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_listeners; i++) {
                Listener *l = &s->listeners[i];
                sd_event_source_disable_unref(l->io);
                sd_event_source_disable_unref(l->timer);
                if (l->mhd)
                        MHD_stop_daemon(l->mhd); /* closes the listening socket */
                else if (l->fd >= 0)
                        (void) close(l->fd);
        }
        free(s->listeners);
        http_response_done(&s->resp);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

void http_server_set_paused(HttpServer *s, bool paused) {
        for (size_t i = 0; i < s->n_listeners; i++) {
                Listener *l = &s->listeners[i];
                (void) sd_event_source_set_enabled(l->io, paused ? SD_EVENT_OFF : SD_EVENT_ON);
                if (paused)
                        (void) sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
        }
}

size_t http_server_n_listeners(const HttpServer *s) {
        return s->n_listeners;
}

int http_server_port(const HttpServer *s, size_t i) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;

        if (i >= s->n_listeners)
                return -EINVAL;
        if (getsockname(s->listeners[i].fd, (struct sockaddr *) &ss, &len) < 0)
                return -errno;
        if (ss.ss_family == AF_INET)
                return ntohs(((struct sockaddr_in *) &ss)->sin_port);
        if (ss.ss_family == AF_INET6)
                return ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
        return -EAFNOSUPPORT;
}
