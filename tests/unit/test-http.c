/* SPDX-License-Identifier: MIT */
/* http.c against a real libmicrohttpd server on 127.0.0.1 (ephemeral port) in an sd-event loop,
 * driven by a real client socket from this test, interleaving non-blocking I/O with
 * sd_event_run() (one thread, as in the daemon). No mocks: the history source is a small
 * in-memory table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-fixture.h"
#include "http.h"
#include "log.h"
#include "util.h"

typedef struct Fixture {
        sd_event *event;
        HttpServer *server;
        State *state;
        int port;
        unsigned history_calls;
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

/* The in-memory "store": 3 history rows for every unit (newest first), 1200 events. It ignores
 * the limit on purpose, to prove the server bounds responses itself. */
static int history(void *userdata, const HistoryQuery *q, HistoryRow **ret, size_t *ret_n) {
        Fixture *f = userdata;
        HistoryRow *rows = xcalloc(3, sizeof(*rows));

        f->history_calls++;
        if (!state_find_unit(f->state, q->unit)) {
                free(rows);
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        for (size_t i = 0; i < 3; i++)
                rows[i] = (HistoryRow) { UINT64_C(1700000000000000) - i * 3600000000u,
                                         (unsigned) (90 - 10 * i), PREDICATE_UNSAFE, 2 };
        *ret = rows;
        *ret_n = 3;
        return 0;
}

static int events(void *userdata, const HistoryQuery *q, EventRow **ret, size_t *ret_n) {
        EventRow *rows = xcalloc(1200, sizeof(*rows));
        (void) userdata, (void) q;
        for (size_t i = 0; i < 1200; i++)
                rows[i] = (EventRow) { UINT64_C(1700000000000000) - i, xstrdup("<b>x</b>.service"),
                                       EVENT_REGRESSION, 96, 50, PREDICATE_UNSAFE,
                                       PREDICATE_MEDIUM };
        *ret = rows;
        *ret_n = 1200;
        return 0;
}

static int setup(void **state) {
        Fixture *f = xcalloc(1, sizeof(*f));
        char *listen[] = { (char *) "127.0.0.1:0", NULL };
        HttpConfig config = { .listen = listen, .connection_limit = 8, .timeout_sec = 2 };
        HttpContext ctx;

        f->state = fixture_state_new(20, true);
        ctx = (HttpContext) {
                .state = f->state,
                .source = { .userdata = f, .history = history, .events = events },
                .render = { .version = "0.1-test" },
        };
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(http_server_new(f->event, &config, &ctx, &f->server), 0);
        assert_int_equal(http_server_n_listeners(f->server), 1);
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
        assert_non_null(strstr(r.body, "exposured_unit_exposure{unit=\"a\\\\x2db.service\"} "));
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

        get(f, "GET", "/api/v1/status", NULL, &r);
        assert_int_equal(r.status, 200);
        j = json_tokener_parse(r.body);
        assert_true(json_object_get_boolean(json_object_object_get(j, "bus_up")));
        assert_string_equal(json_object_get_string(json_object_object_get(j, "systemd_version")),
                            "252.38-1~deb12u1");
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

        get(f, "GET", "/api/v1/units/svc-0003.service/history?since=2023-11-14T00:00:00Z", NULL,
            &r);
        assert_int_equal(r.status, 200);
        reply_done(&r);

        get(f, "GET", "/api/v1/units/gone.service/history", NULL, &r);
        assert_json_error(&r, 404);
        reply_done(&r);

        /* The source returns 1200 events; the response never holds more than the limit. */
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
}

static void test_bad_params(void **state) {
        Fixture *f = *state;
        static const char *const bad[] = {
                "/api/v1/events?limit=0", "/api/v1/events?limit=1001", "/api/v1/events?limit=-1",
                "/api/v1/events?limit=1e3", "/api/v1/events?limit=", "/api/v1/events?limit=10&limit=20",
                "/api/v1/events?since=yesterday", "/api/v1/events?since=2026-02-30T00:00:00Z",
                "/api/v1/events?since=20&until=10", "/api/v1/events?kind=bad",
                "/api/v1/events?unit=", "/api/v1/events?what=1", "/api/v1/units?x=1",
                "/api/v1/events?limit=%zz", "/api/v1/events?limit=1%00",
                "/api/v1/units/a%00b.service", "/api/v1/units/%", "/api/v1/units/%4",
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
        assert_non_null(strstr(r.body, "href=\"/units/getty%40tty1.service\""));
        assert_non_null(strstr(r.body, "<svg class=\"spark\""));
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

static void test_listen_parse(void **state) {
        struct sockaddr_storage ss;
        socklen_t len;
        (void) state;

        assert_int_equal(http_parse_listen("127.0.0.1:9573", &ss, &len), 0);
        assert_int_equal(ss.ss_family, AF_INET);
        assert_int_equal(ntohs(((struct sockaddr_in *) &ss)->sin_port), 9573);
        assert_int_equal(http_parse_listen("[::1]:80", &ss, &len), 0);
        assert_int_equal(ss.ss_family, AF_INET6);
        assert_int_equal(http_parse_listen("9573", &ss, &len), 0);
        assert_int_equal(ss.ss_family, AF_INET);
        static const char *const bad[] = { "", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                                           "::1:80", "[::1]80", "[::1", "host:80", "1.2.3.4:-1",
                                           "1.2.3.4:80x", NULL };
        for (size_t i = 0; bad[i]; i++)
                assert_true(http_parse_listen(bad[i], &ss, &len) < 0);
}

int main(void) {
        if (getenv("HTTP_TEST_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_listen_parse),
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
