/* SPDX-License-Identifier: MIT */
/* The HTTP server (http-server.c serving http-routes.c's table, and another mode's table)
 * against a real libmicrohttpd server on 127.0.0.1 (ephemeral port) in an sd-event loop, driven
 * by a real client socket from this test, interleaving non-blocking I/O with sd_event_run() (one
 * thread, as in the daemon). No mocks: the history source is a real store on ":memory:". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "classify.h"
#include "http-fixture.h"
#include "http-routes.h"
#include "http-server.h"
#include "log.h"
#include "util.h"

typedef struct Fixture {
        sd_event *event;
        HttpServer *server;
        State *state;
        int port;
        Store *store;
        HttpContext ctx;  /* the routes' userdata: lives as long as the server */
} Fixture;

typedef struct Reply {
        unsigned status;
        char *head;   /* status line + headers */
        char *body;
        size_t body_len;
} Reply;

static void reply_done(Reply *r) {
        free(r->head);
        free(r->body);
        *r = (Reply) {};
}

/* A real store on ":memory:" with: 3 changes of svc-0003.service; 1200 alternating
 * regressions/improvements of "<b>x</b>.service" (more than any response may carry); and two
 * scans whose systemd versions differ, the first one hostile ("<i>252</i>"), which the store turns
 * into a systemd-upgrade event. */
static void add(Store *st, const char *unit, const ScoreReport *r, uint64_t t, int before,
                unsigned exposure) {
        StoreVerdict v[SCORE_ROWS_MAX];
        ClassifyRules rules = { .cause = CAUSE_STARTUP, .baseline = true,
                                .new_unit_threshold = 90 };
        StoreScore sc = {
                .unit = unit,
                .time_usec = t,
                .exposure = exposure,
                .predicate = exposure >= 90 ? PREDICATE_UNSAFE : PREDICATE_MEDIUM,
                .verdicts = v,
                .n_verdicts = store_verdicts_from_report(r, v),
                .systemd_version = "252.38-1~deb12u1",
                .scorer_version = "1",
                .cause = CAUSE_STARTUP,
                .kind = classify_change(&rules, &(ClassifyScore) { .exposure = before },
                                        &(ClassifyScore) { .exposure = (int) exposure })
                                .kind,
        };
        assert_true(store_add_score(st, &sc) >= 0);
}

static void fill_store(Store *st, const State *s) {
        const ScoreReport *r = &state_find_unit(s, "svc-0003.service")->report;
        uint64_t t0 = UINT64_C(1700000000000000);

        assert_int_equal(store_begin(st), 0);
        for (unsigned i = 0; i < 3; i++)
                add(st, "svc-0003.service", r, t0 + i * UINT64_C(3600000000),
                    i ? (int) (60 + 10 * i) : -1, 70 + 10 * i);
        /* three changes in the last hours: the dashboard's 30-day sparkline shows them */
        for (unsigned i = 0; i < 3; i++)
                add(st, "svc-0010.service", r, now_realtime_usec() - (3 - i) * UINT64_C(3600000000),
                    i ? (int) (10 + 20 * i) : -1, 30 + 20 * i);
        for (unsigned i = 0; i < 1200; i++)
                add(st, "<b>x</b>.service", r, t0 + i * UINT64_C(1000000),
                    i == 0 ? -1 : i % 2 ? 50 : 96, i % 2 ? 96 : 50);
        assert_int_equal(store_commit(st), 0);
        StoreScan scan = { .time_usec = t0 + UINT64_C(5000000000), .n_units = 2,
                           .systemd_version = "<i>252</i>", .scorer_version = "1" };
        assert_int_equal(store_add_scan(st, &scan), 0);
        scan.time_usec += 1000000;
        scan.systemd_version = "257.9-1";
        assert_int_equal(store_add_scan(st, &scan), 0);
}

static int setup(void **state) {
        Fixture *f = xcalloc(1, sizeof(*f));
        ListenAddress listen = fixture_listen("127.0.0.1", 0);
        HttpServerConfig config = { .listen = &listen, .n_listen = 1, .connection_limit = 8,
                                    .timeout_sec = 2 };

        f->state = fixture_state_new(20, true);
        assert_int_equal(store_open(":memory:", &f->store), 0);
        fill_store(f->store, f->state);
        f->ctx = (HttpContext) {
                .state = f->state,
                .store = &f->store,
                .render = { .version = "0.1-test" },
        };
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(http_server_new(f->event, &config, &http_host_routes, &f->ctx,
                                         &f->server),
                         0);
        fixture_listen_done(&listen); /* only read while starting */
        assert_int_equal(http_server_n_listeners(f->server), 1);
        assert_true(http_server_access(f->server)->loopback_only);
        f->port = http_server_port(f->server, 0);
        assert_true(f->port > 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        http_server_free(f->server);
        sd_event_unref(f->event);
        fixture_state_free(f->state);
        store_free(f->store);
        free(f);
        return 0;
}

static int connect_server(const Fixture *f) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) f->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(fd >= 0);
        if (connect(fd, (struct sockaddr *) &a, sizeof a) < 0)
                assert_int_equal(errno, EINPROGRESS);
        return fd;
}

/* Send raw bytes and read until the server closes (requests carry Connection: close), running
 * the server's event loop in between. Returns false when the server reset the connection
 * before answering. */
static bool exchange(Fixture *f, const char *req, size_t len, Reply *ret) {
        int fd = connect_server(f);
        size_t sent = 0;
        Buf in = {};
        bool reset = false;
        uint64_t deadline = now_monotonic_usec() + 5000000;

        for (;;) {
                char b[65536];
                ssize_t n;

                assert_true(now_monotonic_usec() < deadline);
                assert_true(sd_event_run(f->event, 1000) >= 0);
                if (sent < len) {
                        n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
                        if (n > 0)
                                sent += (size_t) n;
                        else if (n < 0 && errno != EAGAIN)
                                sent = len; /* the server gave up on us: read its answer */
                }
                n = recv(fd, b, sizeof b, 0);
                if (n > 0)
                        buf_append(&in, b, (size_t) n);
                else if (n == 0)
                        break;
                else if (errno != EAGAIN) {
                        reset = true;
                        break;
                }
        }
        close(fd);
        /* Let the server notice the close. */
        (void) sd_event_run(f->event, 0);

        *ret = (Reply) {};
        if (!in.data) {
                buf_done(&in);
                return !reset;
        }
        char *sep = strstr(in.data, "\r\n\r\n");
        assert_non_null(sep);
        ret->head = xstrndup(in.data, (size_t) (sep - in.data) + 2);
        ret->body_len = in.len - (size_t) (sep + 4 - in.data);
        ret->body = xstrndup(sep + 4, ret->body_len);
        assert_true(sscanf(in.data, "HTTP/1.1 %u ", &ret->status) == 1);
        buf_done(&in);
        return true;
}

static void get(Fixture *f, const char *method, const char *target, const char *extra,
                Reply *ret) {
        Buf b = {};
        buf_printf(&b, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s\r\n",
                   method, target, extra ? extra : "");
        assert_true(exchange(f, b.data, b.len, ret));
        buf_done(&b);
}

/* The value of header name in r (case-insensitive name), or NULL. */
static const char *header(const Reply *r, const char *name, char *buf, size_t size) {
        for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
                const char *line = p + 2, *end = strstr(line, "\r\n");
                size_t n = strlen(name);
                if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
                        const char *v = line + n + 1;
                        while (*v == ' ')
                                v++;
                        (void) snprintf(buf, size, "%.*s", (int) (end - v), v);
                        return buf;
                }
        }
        return NULL;
}

static void assert_json_error(const Reply *r, unsigned status) {
        char ct[128];
        assert_int_equal(r->status, status);
        assert_non_null(header(r, "Content-Type", ct, sizeof ct));
        assert_string_equal(ct, "application/json");
        json_object *j = json_tokener_parse(r->body);
        assert_non_null(j);
        assert_non_null(json_object_get_string(json_object_object_get(j, "error")));
        json_object_put(j);
}

static void test_metrics(void **state) {
        Fixture *f = *state;
        Reply r;
        char h[256];

        get(f, "GET", "/metrics", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Content-Type", h, sizeof h),
                            "text/plain; version=0.0.4; charset=utf-8");
        assert_string_equal(header(&r, "Vary", h, sizeof h), "Accept");
        assert_non_null(strstr(r.body, "\nexposured_up 1\n"));
        assert_non_null(strstr(r.body, "exposured_unit_exposure{unit=\"a\\\\x2db.service\","
                                       "oneshot=\"false\"} "));
        assert_null(strstr(r.body, "# EOF"));
        reply_done(&r);

        get(f, "GET", "/metrics",
            "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Content-Type", h, sizeof h),
                            "application/openmetrics-text; version=1.0.0; charset=utf-8");
        assert_true(r.body_len > 6 && streq(r.body + r.body_len - 6, "# EOF\n"));
        reply_done(&r);
}

static void test_head(void **state) {
        Fixture *f = *state;
        Reply g, r;
        char h[64], hg[64];

        get(f, "GET", "/api/v1/units", NULL, &g);
        get(f, "HEAD", "/api/v1/units", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, 0);
        assert_non_null(header(&r, "Content-Length", h, sizeof h));
        assert_string_equal(h, header(&g, "Content-Length", hg, sizeof hg));
        reply_done(&r);
        reply_done(&g);
}

static void test_methods(void **state) {
        Fixture *f = *state;
        static const char *const methods[] = { "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                                               "BREW", NULL };
        Reply r;
        char h[64];

        for (size_t i = 0; methods[i]; i++) {
                get(f, methods[i], "/api/v1/units", "Content-Length: 5\r\n\r\nhello", &r);
                assert_json_error(&r, 405);
                assert_string_equal(header(&r, "Allow", h, sizeof h), "GET, HEAD");
                reply_done(&r);
        }
        get(f, "POST", "/", "Content-Length: 0\r\n", &r);
        assert_int_equal(r.status, 405);
        assert_non_null(header(&r, "Allow", h, sizeof h));
        reply_done(&r);
}

static void test_api(void **state) {
        Fixture *f = *state;
        Reply r;
        json_object *j, *v;

        get(f, "GET", "/api/v1/units", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_non_null(j);
        assert_int_equal(json_object_get_int(json_object_object_get(j, "count")),
                         (int) f->state->n_units);
        json_object_put(j);
        reply_done(&r);

        /* Unit names with \x2d and @, percent-encoded in the path. */
        get(f, "GET", "/api/v1/units/a%5Cx2db.service", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_string_equal(json_object_get_string(json_object_object_get(j, "unit")),
                            "a\\x2db.service");
        v = json_object_object_get(j, "checks");
        assert_int_equal(json_object_array_length(v), FIXTURE_N_CHECKS);
        json_object_put(j);
        reply_done(&r);

        get(f, "GET", "/api/v1/units/getty%40tty1.service", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);
        get(f, "GET", "/api/v1/units/getty@tty1.service", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);
        get(f, "GET", "/api/v1/units/q%22uote%27.service", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);

        /* The fix plan route: the fixture's table has no assessors, so the planner refuses
         * (its plans are tested in test-plan.c and tests/integration/test_plan.py). */
        get(f, "GET", "/api/v1/units/a%5Cx2db.service/plan", NULL, &r);
        assert_json_error(&r, 500);
        reply_done(&r);
        get(f, "GET", "/api/v1/units/nope.service/plan", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);

        get(f, "GET", "/api/v1/units/nope.service", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        get(f, "GET", "/api/v1/units/svc-0001.service%2F..", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        get(f, "GET", "/api/v1/nothing", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        get(f, "GET", "/api/v1/units/", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);

        /* Pages: limit and a cursor, also one that is no valid unit name but a unit we hold
         * (a listing never ends at it); out of range or no unit at all: 400. */
        get(f, "GET", "/api/v1/units?limit=2", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "units")), 2);
        assert_string_equal(json_object_get_string(json_object_object_get(j, "next_cursor")),
                            f->state->units[1]->id);
        json_object_put(j);
        reply_done(&r);
        get(f, "GET", "/api/v1/units?limit=1&cursor=sp%20ace%26amp.service", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);
        get(f, "GET", "/api/v1/units?limit=5000&cursor=svc-0019.service", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"next_cursor\":null"));
        reply_done(&r);
        static const char *const bad_pages[] = {
                "/api/v1/units?limit=0", "/api/v1/units?limit=5001", "/api/v1/units?limit=x",
                "/api/v1/units?cursor=", "/api/v1/units?cursor=sp%20ace.service",
                "/api/v1/units?cursor=..%2Fetc", NULL,
        };
        for (size_t i = 0; bad_pages[i]; i++) {
                get(f, "GET", bad_pages[i], NULL, &r);
                assert_json_error(&r, 400);
                reply_done(&r);
        }

        get(f, "GET", "/api/v1/status", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_true(json_object_get_boolean(json_object_object_get(j, "bus_up")));
        assert_string_equal(json_object_get_string(json_object_object_get(j, "systemd_version")),
                            "252.38-1~deb12u1");
        json_object *db = json_object_object_get(j, "database");
        assert_true(json_object_get_boolean(json_object_object_get(db, "available")));
        assert_true(json_object_get_boolean(json_object_object_get(db, "ok")));
        assert_true(json_object_get_int(json_object_object_get(db, "changes")) >= 1203);
        json_object_put(j);
        reply_done(&r);
}

static void test_history(void **state) {
        Fixture *f = *state;
        Reply r;
        json_object *j;

        get(f, "GET", "/api/v1/units/svc-0003.service/history?limit=2&since=0", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "history")), 2);
        json_object_put(j);
        reply_done(&r);

        /* newest first, exactly what was stored */
        get(f, "GET", "/api/v1/units/svc-0003.service/history", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"exposure\":9.0,\"predicate\":\"UNSAFE\"},{"));
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "history")), 3);
        json_object_put(j);
        reply_done(&r);

        /* since/until (RFC 3339 and unix seconds): only the middle change, 1700003600 */
        get(f, "GET", "/api/v1/units/svc-0003.service/history?since=2023-11-14T23:00:00Z"
                      "&until=1700007000", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "history")), 1);
        assert_non_null(strstr(r.body, "\"exposure\":8.0"));
        json_object_put(j);
        reply_done(&r);

        get(f, "GET", "/api/v1/units/gone.service/history", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        /* The store refuses names with control characters: still just an unknown unit. */
        get(f, "GET", "/api/v1/units/new%0Aline.service/history", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        get(f, "GET", "/api/v1/events?unit=new%0Aline.service", NULL, &r);
        assert_json_error(&r, 400);
        reply_done(&r);

        /* The store holds 1200 events of one unit; responses stay within the limit. */
        get(f, "GET", "/api/v1/events?limit=1000", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "events")), 1000);
        json_object_put(j);
        reply_done(&r);
        get(f, "GET", "/api/v1/events", NULL, &r);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "events")),
                         RENDER_ROWS_DEFAULT);
        json_object_put(j);
        reply_done(&r);

        /* alice's svc-0003.service: its own history, its rows and events naming her; the
         * system's unit of that name is untouched */
        const ScoreReport *rep = &state_find_unit(f->state, "svc-0003.service")->report;
        StoreVerdict v[SCORE_ROWS_MAX];
        uint64_t t = now_realtime_usec();
        StoreScore sc = { .unit = "svc-0003.service", .manager = "alice", .time_usec = t,
                          .exposure = 20, .predicate = PREDICATE_OK, .verdicts = v,
                          .n_verdicts = store_verdicts_from_report(rep, v),
                          .systemd_version = "257.9-1", .scorer_version = "1",
                          .cause = CAUSE_UNIT_CHANGED };
        assert_int_equal(store_add_score(f->store, &sc), 1);
        sc.time_usec = t + 1;
        sc.exposure = 40;
        sc.kind = EVENT_REGRESSION;
        assert_int_equal(store_add_score(f->store, &sc), 1);
        get(f, "GET", "/api/v1/units/svc-0003.service/history?user=alice", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "history")), 2);
        json_object_put(j);
        assert_non_null(strstr(r.body, "\"user\":\"alice\",\"kind\":\"regression\""));
        reply_done(&r);
        get(f, "GET", "/api/v1/units/svc-0003.service/history", NULL, &r);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "history")), 3);
        json_object_put(j);
        assert_null(strstr(r.body, "\"user\""));
        reply_done(&r);
        get(f, "GET", "/api/v1/units/svc-0003.service/history?user=bob", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        get(f, "GET", "/api/v1/events?unit=svc-0003.service&user=alice", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_int_equal(json_object_array_length(json_object_object_get(j, "events")), 1);
        json_object_put(j);
        assert_non_null(strstr(r.body, "\"unit\":\"svc-0003.service\",\"user\":\"alice\""));
        reply_done(&r);
        get(f, "GET", "/api/v1/events?kind=regression&limit=1", NULL, &r);
        assert_non_null(strstr(r.body, "\"user\":\"alice\""));
        reply_done(&r);
}

static void test_bad_params(void **state) {
        Fixture *f = *state;
        static const char *const bad[] = {
                "/api/v1/events?limit=0", "/api/v1/events?limit=1001", "/api/v1/events?limit=-1",
                "/api/v1/events?limit=1e3", "/api/v1/events?limit=",
                "/api/v1/events?limit=10&limit=20",
                "/api/v1/events?since=yesterday", "/api/v1/events?since=2026-02-30T00:00:00Z",
                "/api/v1/events?since=20&until=10", "/api/v1/events?kind=bad",
                "/api/v1/events?unit=", "/api/v1/events?what=1", "/api/v1/units?x=1",
                "/api/v1/events?limit=%zz", "/api/v1/events?limit=1%00",
                "/api/v1/units/a%00b.service", "/api/v1/units/%", "/api/v1/units/%4",
                "/api/v1/events?user=alice", "/api/v1/events?unit=a.service&user=a%20b",
                "/api/v1/units/svc-0003.service/history?user=-x",
                NULL,
        };
        Reply r;

        for (size_t i = 0; bad[i]; i++) {
                get(f, "GET", bad[i], NULL, &r);
                if (r.status != 400)
                        fail_msg("%s: %u", bad[i], r.status);
                assert_json_error(&r, 400);
                reply_done(&r);
        }
        get(f, "GET", "/?predicate=NOPE", NULL, &r);
        assert_int_equal(r.status, 400);
        reply_done(&r);
        get(f, "GET", "/?sort=evil", NULL, &r);
        assert_int_equal(r.status, 400);
        reply_done(&r);
        get(f, "GET", "/?page=0", NULL, &r);
        assert_int_equal(r.status, 400);
        reply_done(&r);
        get(f, "GET", "/?limit=1001", NULL, &r);
        assert_int_equal(r.status, 400);
        reply_done(&r);
        get(f, "GET", "/?limit=5&page=99999999999", NULL, &r);
        assert_int_equal(r.status, 200); /* the last page */
        reply_done(&r);
}

static void test_static(void **state) {
        Fixture *f = *state;
        static const char *const missing[] = {
                "/static/../../etc/passwd", "/static/..%2F..%2Fetc%2Fpasswd",
                "/static/%2e%2e/http.c", "/static/", "/static/page.html", "/static/style.css/x",
                "/static/STYLE.CSS", "/static/style.css%00.js", "/../../etc/passwd", NULL,
        };
        Reply r;
        char h[128], etag[64], inm[128];

        get(f, "GET", "/static/style.css", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Content-Type", h, sizeof h), "text/css; charset=utf-8");
        assert_string_equal(header(&r, "Cache-Control", h, sizeof h), "public, max-age=3600");
        assert_non_null(header(&r, "ETag", etag, sizeof etag));
        assert_non_null(strstr(r.body, ".badge"));
        reply_done(&r);

        (void) snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
        get(f, "GET", "/static/style.css", inm, &r);
        assert_int_equal(r.status, 304);
        assert_int_equal(r.body_len, 0);
        reply_done(&r);

        get(f, "GET", "/static/app.js", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Content-Type", h, sizeof h),
                            "text/javascript; charset=utf-8");
        reply_done(&r);

        for (size_t i = 0; missing[i]; i++) {
                get(f, "GET", missing[i], NULL, &r);
                if (r.status != 404 && r.status != 400)
                        fail_msg("%s: %u", missing[i], r.status);
                assert_null(strstr(r.body, "SPDX"));
                reply_done(&r);
        }
}

static void test_html(void **state) {
        Fixture *f = *state;
        Reply r;
        char h[512];

        get(f, "GET", "/", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Content-Type", h, sizeof h), "text/html; charset=utf-8");
        assert_string_equal(header(&r, "Content-Security-Policy", h, sizeof h),
                            "default-src 'none'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                            "form-action 'self'; frame-ancestors 'none'");
        assert_string_equal(header(&r, "X-Content-Type-Options", h, sizeof h), "nosniff");
        assert_string_equal(header(&r, "Referrer-Policy", h, sizeof h), "no-referrer");
        assert_null(strstr(r.body, "<script>alert"));
        assert_null(strstr(r.body, "<img src=x"));
        assert_null(strstr(r.body, "<b>x</b>"));
        assert_null(strstr(r.body, "<i>"));
        assert_non_null(strstr(r.body, "href=\"/units/getty%40tty1.service\""));
        assert_non_null(strstr(r.body, "<svg class=\"spark\""));
        /* svc-0010 sorts after the hostile "new\nline.service", which the store refuses: its
         * sparkline still shows its three recent changes (6 points, not a flat 2-point line). */
        {
                const char *row = strstr(r.body, "<tr data-unit=\"svc-0010.service\"");
                assert_non_null(row);
                const char *pts = strstr(row, "points=\"");
                assert_non_null(pts);
                unsigned commas = 0;
                for (const char *c = pts + 8; *c != '"'; c++)
                        commas += *c == ',';
                assert_int_equal(commas, 6);
        }
        reply_done(&r);

        get(f, "GET", "/units/%3Cscript%3Ealert(1)%3C%2Fscript%3E.service", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "<script>alert"));
        assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;.service"));
        assert_non_null(strstr(r.body, "<svg class=\"chart\""));
        reply_done(&r);

        get(f, "GET", "/units/none%3Cb%3E.service", NULL, &r);
        assert_int_equal(r.status, 404);
        assert_null(strstr(r.body, "<b>"));
        reply_done(&r);

        get(f, "GET", "/?q=getty&predicate=PERFECT&sort=name", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "getty@tty1.service"));
        assert_null(strstr(r.body, "svc-0001.service\""));
        reply_done(&r);

        get(f, "GET", "/events?kind=regression&limit=5", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "&lt;b&gt;x&lt;/b&gt;.service"));
        reply_done(&r);

        /* The systemd-upgrade event carries the (hostile) version text, escaped. */
        get(f, "GET", "/events?kind=systemd-upgrade", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "<i>"));
        assert_non_null(strstr(r.body, "&lt;i&gt;252&lt;/i&gt; -&gt; 257.9-1"));
        reply_done(&r);

        get(f, "GET", "/api/v1/events?kind=systemd-upgrade", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"unit\":null,\"kind\":\"systemd-upgrade\""));
        assert_non_null(strstr(r.body, "\"detail\":\"<i>252</i> -> 257.9-1\""));
        reply_done(&r);
}

static void test_oversized(void **state) {
        Fixture *f = *state;
        Buf b = {};
        Reply r;

        /* A path over HTTP_PATH_MAX but within MHD's buffer: our 414, as JSON. */
        buf_puts(&b, "/api/v1/units/");
        for (size_t i = 0; i < HTTP_PATH_MAX; i++)
                buf_putc(&b, 'a');
        get(f, "GET", b.data, NULL, &r);
        assert_json_error(&r, 414);
        reply_done(&r);

        /* A query value over HTTP_ARG_MAX. */
        buf_clear(&b);
        buf_puts(&b, "/api/v1/events?unit=");
        for (size_t i = 0; i < HTTP_ARG_MAX + 1; i++)
                buf_putc(&b, 'u');
        get(f, "GET", b.data, NULL, &r);
        assert_json_error(&r, 414);
        reply_done(&r);

        /* Too many arguments. */
        buf_clear(&b);
        buf_puts(&b, "/api/v1/events?");
        for (size_t i = 0; i < HTTP_ARGS_MAX + 1; i++)
                buf_printf(&b, "a%zu=1&", i);
        get(f, "GET", b.data, NULL, &r);
        assert_json_error(&r, 400);
        reply_done(&r);

        /* A 100 KB URL: over MHD's per-connection memory; MHD answers 414 itself (or resets). */
        buf_clear(&b);
        buf_puts(&b, "GET /");
        for (size_t i = 0; i < 100 * 1024; i++)
                buf_putc(&b, 'x');
        buf_puts(&b, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        if (exchange(f, b.data, b.len, &r) && r.head) {
                assert_int_equal(r.status, 414);
                reply_done(&r);
        }

        /* 100 KB of headers. */
        buf_clear(&b);
        buf_puts(&b, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for (size_t i = 0; i < 2000; i++)
                buf_printf(&b, "X-Pad-%zu: %s\r\n", i, "0123456789012345678901234567890123456789");
        buf_puts(&b, "\r\n");
        if (exchange(f, b.data, b.len, &r) && r.head) {
                assert_true(r.status == 431 || r.status == 413 || r.status == 400);
                reply_done(&r);
        }

        /* Garbage. */
        get(f, "", "", NULL, &r);
        reply_done(&r);
        assert_true(exchange(f, "\x01\x02\r\n\r\n", 6, &r));
        reply_done(&r);

        /* Still serving after all of that. */
        get(f, "GET", "/api/v1/status", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);
        buf_done(&b);
}

static void test_idle_connections(void **state) {
        Fixture *f = *state;
        int fds[12];
        Reply r;

        /* More idle connections than the limit (8): the server must not wedge and must
         * recover once they go away. */
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = connect_server(f);
                (void) sd_event_run(f->event, 1000);
        }
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
        for (int i = 0; i < 10; i++)
                (void) sd_event_run(f->event, 1000);
        get(f, "GET", "/metrics", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);
}

/* Without a database (store NULL): the history API answers 503, every page still renders. Uses
 * http_dispatch() directly: the routing half needs no socket. */
static void test_no_store(void **state) {
        State *s = fixture_state_new(3, false);
        HttpContext ctx = { .state = s };
        static const struct { const char *path; unsigned status; const char *needle; } cases[] = {
                { "/api/v1/events", 503, "no history database" },
                { "/api/v1/units/svc-0001.service/history", 503, "no history database" },
                { "/api/v1/units/svc-0001.service", 200, "\"checks\"" },
                { "/api/v1/status", 200, "\"available\":false" },
                { "/units/svc-0001.service", 200, "No history recorded yet." },
                { "/events", 200, "No history database is configured." },
                { "/", 200, "None recorded." },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Request req;
                Response resp = {};
                http_request_init(&req, "GET", cases[i].path);
                http_dispatch(&http_host_routes, &(HttpAccess) {}, &ctx, &req, &resp);
                if (resp.status != cases[i].status || !strstr(resp.body.data, cases[i].needle))
                        fail_msg("%s: %u %.200s", cases[i].path, resp.status, resp.body.data);
                http_request_done(&req);
                http_response_done(&resp);
        }
        fixture_state_free(s);
}

/* The server reads the owner's Store pointer per request: closing and reopening the database
 * (as the manager does after failures) is seen at once, and /api/v1/status drops stale stats. */
static void test_store_swap(void **state) {
        Fixture *f = *state;
        Store *saved = f->store;
        Reply r;

        get(f, "GET", "/api/v1/status", NULL, &r);
        assert_non_null(strstr(r.body, "\"available\":true,\"ok\":true"));
        reply_done(&r);

        f->store = NULL;
        get(f, "GET", "/api/v1/events", NULL, &r);
        assert_json_error(&r, 503);
        reply_done(&r);
        get(f, "GET", "/api/v1/status", NULL, &r);
        assert_non_null(strstr(r.body, "\"database\":{\"available\":false"));
        reply_done(&r);
        get(f, "GET", "/units/svc-0003.service", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);

        /* a fresh, empty database */
        assert_int_equal(store_open(":memory:", &f->store), 0);
        get(f, "GET", "/api/v1/status", NULL, &r);
        assert_non_null(strstr(r.body, "\"changes\":0,"));
        reply_done(&r);
        get(f, "GET", "/api/v1/units/svc-0003.service/history", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        store_free(f->store);

        f->store = saved;
        get(f, "GET", "/api/v1/units/svc-0003.service/history", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);
}

/* Socket activation: a listening socket passed as fd 3 with LISTEN_FDS/LISTEN_PID is used
 * instead of any --listen address, and the environment is consumed. */
static void test_listen_fds(void **state) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof a;
        char pid[32];
        /* an address this host does not have: binding it would fail... */
        ListenAddress addr = fixture_listen("192.0.2.1", 9573);
        HttpServerConfig config = { .listen = &addr, .n_listen = 1, .use_listen_fds = true };
        State *s = fixture_state_new(2, false);
        HttpContext ctx = { .state = s };
        Fixture f = { .state = s };
        int fd, saved;
        Reply r;
        (void) state;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
        assert_int_equal(listen(fd, 16), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        saved = fcntl(3, F_DUPFD_CLOEXEC, 10); /* keep whatever fd 3 was */
        if (fd != 3) {
                assert_int_equal(dup2(fd, 3), 3);
                close(fd);
        }
        (void) snprintf(pid, sizeof pid, "%d", (int) getpid());
        assert_int_equal(setenv("LISTEN_PID", pid, 1), 0);
        assert_int_equal(setenv("LISTEN_FDS", "1", 1), 0);

        assert_int_equal(sd_event_new(&f.event), 0);
        assert_int_equal(http_server_new(f.event, &config, &http_host_routes, &ctx, &f.server),
                         0);
        assert_null(getenv("LISTEN_FDS"));
        assert_int_equal(http_server_n_listeners(f.server), 1);
        f.port = http_server_port(f.server, 0);
        assert_int_equal(f.port, ntohs(a.sin_port)); /* ... which it never tried */
        get(&f, "GET", "/api/v1/status", NULL, &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);

        http_server_free(f.server); /* closes fd 3 */
        sd_event_unref(f.event);
        fixture_state_free(s);
        fixture_listen_done(&addr);
        if (saved >= 0) {
                (void) dup2(saved, 3);
                close(saved);
        }
}

/* Several --listen addresses: one MHD daemon each, all on the same loop, all serving. */
static void test_two_listeners(void **state) {
        ListenAddress addrs[] = { fixture_listen("127.0.0.1", 0), fixture_listen("127.0.0.2", 0) };
        HttpServerConfig config = { .listen = addrs, .n_listen = 2 };
        State *s = fixture_state_new(2, false);
        HttpContext ctx = { .state = s };
        Fixture f = { .state = s };
        Reply r;
        (void) state;

        assert_int_equal(sd_event_new(&f.event), 0);
        assert_int_equal(http_server_new(f.event, &config, &http_host_routes, &ctx, &f.server),
                         0);
        assert_int_equal(http_server_n_listeners(f.server), 2);
        for (size_t i = 0; i < 2; i++) {
                f.port = http_server_port(f.server, i);
                assert_true(f.port > 0);
                if (i == 1) {
                        /* connect_server() dials 127.0.0.1; the second socket is on .2 */
                        struct sockaddr_in a = { .sin_family = AF_INET,
                                                 .sin_port = htons((uint16_t) f.port),
                                                 .sin_addr.s_addr = htonl(0x7f000002) };
                        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                        const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.2\r\n"
                                           "Connection: close\r\n\r\n";
                        char buf[64] = {};
                        assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof a), 0);
                        assert_true(write(fd, req, sizeof req - 1) == (ssize_t) sizeof req - 1);
                        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
                        for (int k = 0; k < 200 && !buf[0]; k++) {
                                (void) sd_event_run(f.event, 10000);
                                if (read(fd, buf, sizeof buf - 1) < 0 && errno != EAGAIN)
                                        break;
                        }
                        close(fd);
                        assert_true(startswith(buf, "HTTP/1.1 200 "));
                        continue;
                }
                get(&f, "GET", "/metrics", NULL, &r);
                assert_int_equal(r.status, 200);
                reply_done(&r);
        }
        /* an address in use: a clear error, nothing half-started (ASan checks the cleanup) */
        {
                HttpServer *other = NULL;
                ListenAddress busy[] = {
                        fixture_listen("127.0.0.1", 0),
                        fixture_listen("127.0.0.1", (uint16_t) http_server_port(f.server, 0)),
                };
                HttpServerConfig c2 = { .listen = busy, .n_listen = 2 };
                assert_int_equal(http_server_new(f.event, &c2, &http_host_routes, &ctx, &other),
                                 -EADDRINUSE);
                assert_null(other);
                fixture_listen_done(&busy[0]);
                fixture_listen_done(&busy[1]);
        }
        fixture_listen_done(&addrs[0]);
        fixture_listen_done(&addrs[1]);
        http_server_free(f.server);
        sd_event_unref(f.event);
        fixture_state_free(s);
}

/* Another program mode serves its own table with the same server: its handler gets the opaque
 * context and the "*" segment; access control (the token), the limits, the method rule and the
 * security headers come from the server, not from the table. */
typedef struct OtherMode {
        unsigned calls;
        const char *greeting;
} OtherMode;

static void h_other_hello(void *userdata, const Request *req, const char *param,
                          Response *resp) {
        OtherMode *m = userdata;

        m->calls++;
        resp->content_type = HTTP_CT_TEXT;
        buf_printf(&resp->body, "%s %s%s\n", m->greeting, param,
                   http_request_arg(req, "loud") ? "!" : "");
}

static void test_other_routes(void **state) {
        static const char *const args_hello[] = { "loud", NULL };
        static const HttpRoute other_routes[] = {
                { "/hello/*", HTTP_FORMAT_TEXT, h_other_hello, args_hello },
        };
        static const HttpRouteTable other_table = {
                .routes = other_routes,
                .n_routes = ELEMENTSOF(other_routes),
                .json_prefix = "/api/",
        };
        ListenAddress addr = fixture_listen("127.0.0.1", 0);
        HttpServerConfig config = { .listen = &addr, .n_listen = 1, .token = "s3cret" };
        OtherMode mode = { .greeting = "hello" };
        Fixture f = {};
        Reply r;
        char h[256];
        (void) state;

        assert_int_equal(sd_event_new(&f.event), 0);
        assert_int_equal(http_server_new(f.event, &config, &other_table, &mode, &f.server), 0);
        f.port = http_server_port(f.server, 0);

        get(&f, "GET", "/hello/fleet?loud", "Authorization: Bearer s3cret\r\n", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "hello fleet!\n");
        assert_string_equal(header(&r, "Content-Security-Policy", h, sizeof h),
                            "default-src 'none'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                            "form-action 'self'; frame-ancestors 'none'");
        assert_string_equal(header(&r, "X-Frame-Options", h, sizeof h), "DENY");
        reply_done(&r);
        assert_int_equal(mode.calls, 1);

        /* the host daemon's routes are not there; the table's prefix picks the error format */
        get(&f, "GET", "/api/v1/units", "Authorization: Bearer s3cret\r\n", &r);
        assert_json_error(&r, 404);
        reply_done(&r);
        get(&f, "GET", "/metrics", "Authorization: Bearer s3cret\r\n", &r);
        assert_int_equal(r.status, 404);
        assert_string_equal(header(&r, "Content-Type", h, sizeof h), "text/html; charset=utf-8");
        reply_done(&r);
        /* the server's rules, before the table's handler is reached */
        get(&f, "GET", "/hello/fleet", NULL, &r);
        assert_json_error(&r, 401);
        reply_done(&r);
        get(&f, "GET", "/hello/fleet?quiet", "Authorization: Bearer s3cret\r\n", &r);
        assert_int_equal(r.status, 400);
        reply_done(&r);
        get(&f, "DELETE", "/hello/fleet", "Authorization: Bearer s3cret\r\n", &r);
        assert_int_equal(r.status, 405);
        assert_string_equal(header(&r, "Allow", h, sizeof h), "GET, HEAD");
        reply_done(&r);
        get(&f, "GET", "/hello/", "Authorization: Bearer s3cret\r\n", &r);
        assert_int_equal(r.status, 404);
        reply_done(&r);
        assert_int_equal(mode.calls, 1);

        http_server_free(f.server);
        sd_event_unref(f.event);
        fixture_listen_done(&addr);
}

int main(void) {
        if (getenv("HTTP_TEST_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_store),
                cmocka_unit_test(test_listen_fds),
                cmocka_unit_test(test_two_listeners),
                cmocka_unit_test(test_other_routes),
                cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
                cmocka_unit_test_setup_teardown(test_head, setup, teardown),
                cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
                cmocka_unit_test_setup_teardown(test_api, setup, teardown),
                cmocka_unit_test_setup_teardown(test_history, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_params, setup, teardown),
                cmocka_unit_test_setup_teardown(test_static, setup, teardown),
                cmocka_unit_test_setup_teardown(test_html, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_connections, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_swap, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
