/* SPDX-License-Identifier: MIT */
/* curl-event.c against real loopback sockets served from the same sd-event loop: an answer
 * arrives, a silent server times out, an endless body stops at the bound, a closed port is
 * refused, a cancelled fetch never calls back, and the token and form reach the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "curl-event.h"
#include "util.h"

typedef enum Mode { MODE_OK, MODE_SILENT, MODE_ENDLESS } Mode;

typedef struct Server {
        sd_event *event;
        int fd;
        int port;
        Mode mode;
        Buf request;
        sd_event_source *listen_src, *client_src[4];
        int client[4];
        size_t n_clients;
} Server;

typedef struct Got {
        bool done;
        CurlResult r;
        char *body;
        char *message;
} Got;

static int on_client(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Server *s = userdata;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);

        (void) revents;
        if (n <= 0) {
                (void) sd_event_source_set_enabled(src, SD_EVENT_OFF);
                return 0;
        }
        buf_append(&s->request, buf, (size_t) n);
        if (!strstr(s->request.data, "\r\n\r\n") || s->mode == MODE_SILENT)
                return 0;
        if (s->mode == MODE_OK) {
                const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close"
                                   "\r\n\r\nhello";
                assert_int_equal(write(fd, resp, strlen(resp)), (ssize_t) strlen(resp));
        } else {
                /* far more than the bound, in one go (the kernel buffers what it can) */
                static char chunk[65536];
                const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n";
                memset(chunk, 'x', sizeof chunk);
                (void) !write(fd, head, strlen(head));
                (void) !write(fd, chunk, sizeof chunk);
        }
        return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Server *s = userdata;
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        (void) src, (void) revents;
        if (c < 0)
                return 0;
        assert_true(s->n_clients < 4);
        s->client[s->n_clients] = c;
        assert_int_equal(sd_event_add_io(s->event, &s->client_src[s->n_clients], c, EPOLLIN,
                                         on_client, s), 0);
        s->n_clients++;
        return 0;
}

static void server_start(Server *s, sd_event *e, Mode mode) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof a;

        *s = (Server) { .event = e, .mode = mode };
        s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(s->fd >= 0);
        assert_int_equal(bind(s->fd, (struct sockaddr *) &a, sizeof a), 0);
        assert_int_equal(listen(s->fd, 8), 0);
        assert_int_equal(getsockname(s->fd, (struct sockaddr *) &a, &len), 0);
        s->port = ntohs(a.sin_port);
        assert_int_equal(sd_event_add_io(e, &s->listen_src, s->fd, EPOLLIN, on_accept, s), 0);
}

static void server_stop(Server *s) {
        sd_event_source_disable_unref(s->listen_src);
        for (size_t i = 0; i < s->n_clients; i++) {
                sd_event_source_disable_unref(s->client_src[i]);
                close(s->client[i]);
        }
        close(s->fd);
        buf_done(&s->request);
}

static void on_done(const CurlResult *r, void *userdata) {
        Got *g = userdata;

        assert_false(g->done);
        g->done = true;
        g->r = *r;
        g->body = xstrdup(r->body);
        g->message = r->error_message ? xstrdup(r->error_message) : NULL;
}

static void got_done(Got *g) {
        free(g->body);
        free(g->message);
}

/* Run the loop until g is done or deadline_usec passes. */
static void run_until(sd_event *e, Got *g, uint64_t deadline_usec) {
        uint64_t end = now_monotonic_usec() + deadline_usec;

        while (!g->done && now_monotonic_usec() < end)
                assert_true(sd_event_run(e, 50 * 1000) >= 0);
}

static char *url(int port, const char *path) {
        char *u;
        assert_true(asprintf(&u, "http://127.0.0.1:%d%s", port, path) > 0);
        return u;
}

static void test_ok_token_form(void **state) {
        sd_event *e = NULL;
        CurlEvent *c = NULL;
        Server s;
        Got g = {};
        (void) state;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &c), 0);
        server_start(&s, e, MODE_OK);
        char *u = url(s.port, "/api/v1/query");
        CurlFetchOptions o = { .url = u, .post_form = "query=up", .bearer_token = "s3cret",
                               .accept = "application/json", .timeout_usec = 5000000,
                               .max_bytes = 1000 };
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), 0);
        assert_int_equal(curl_event_pending(c), 1);
        assert_false(g.done); /* never from inside curl_event_fetch() */
        run_until(e, &g, 5000000);
        assert_true(g.done);
        assert_int_equal(g.r.error, 0);
        assert_int_equal(g.r.status, 200);
        assert_string_equal(g.body, "hello");
        assert_int_equal(curl_event_pending(c), 0);
        assert_non_null(strstr(s.request.data, "POST /api/v1/query HTTP/1.1\r\n"));
        assert_non_null(strstr(s.request.data, "Authorization: Bearer s3cret\r\n"));
        assert_non_null(strstr(s.request.data, "Accept: application/json\r\n"));
        free(u);
        got_done(&g);
        server_stop(&s);
        curl_event_free(c);
        sd_event_unref(e);
}

static void test_timeout(void **state) {
        sd_event *e = NULL;
        CurlEvent *c = NULL;
        Server s;
        Got g = {};
        uint64_t t0;
        (void) state;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &c), 0);
        server_start(&s, e, MODE_SILENT);
        char *u = url(s.port, "/");
        CurlFetchOptions o = { .url = u, .timeout_usec = 300000, .max_bytes = 1000 };
        t0 = now_monotonic_usec();
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), 0);
        run_until(e, &g, 5000000);
        assert_true(g.done);
        assert_int_equal(g.r.error, -ETIMEDOUT);
        assert_non_null(g.message);
        /* the whole transfer is bounded: not much later than asked */
        assert_true(now_monotonic_usec() - t0 >= 290000);
        assert_true(now_monotonic_usec() - t0 < 2000000);
        free(u);
        got_done(&g);
        server_stop(&s);
        curl_event_free(c);
        sd_event_unref(e);
}

static void test_too_big(void **state) {
        sd_event *e = NULL;
        CurlEvent *c = NULL;
        Server s;
        Got g = {};
        (void) state;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &c), 0);
        server_start(&s, e, MODE_ENDLESS);
        char *u = url(s.port, "/");
        CurlFetchOptions o = { .url = u, .timeout_usec = 5000000, .max_bytes = 1000 };
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), 0);
        run_until(e, &g, 5000000);
        assert_true(g.done);
        assert_int_equal(g.r.error, -EFBIG);
        assert_true(g.r.size <= 1000);
        free(u);
        got_done(&g);
        server_stop(&s);
        curl_event_free(c);
        sd_event_unref(e);
}

static void test_refused_and_bad_options(void **state) {
        sd_event *e = NULL;
        CurlEvent *c = NULL;
        Server s;
        Got g = {};
        (void) state;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &c), 0);
        server_start(&s, e, MODE_OK);
        int port = s.port;
        server_stop(&s); /* nothing listens there now */
        char *u = url(port, "/");
        CurlFetchOptions o = { .url = u, .timeout_usec = 2000000, .max_bytes = 1000 };
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), 0);
        run_until(e, &g, 5000000);
        assert_true(g.done);
        assert_int_equal(g.r.error, -ECONNREFUSED);
        assert_int_equal(g.r.status, 0);
        got_done(&g);

        o.url = "file:///etc/passwd";
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), -EPROTONOSUPPORT);
        o.url = "gopher://x/";
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), -EPROTONOSUPPORT);
        o.url = u;
        o.timeout_usec = 0;
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), -EINVAL);
        o.timeout_usec = 1;
        o.max_bytes = 0;
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, NULL), -EINVAL);
        assert_int_equal(curl_event_pending(c), 0);
        free(u);
        curl_event_free(c);
        sd_event_unref(e);
}

static void test_cancel(void **state) {
        sd_event *e = NULL;
        CurlEvent *c = NULL;
        CurlFetch *f = NULL;
        Server s;
        Got g = {}, g2 = {};
        (void) state;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &c), 0);
        server_start(&s, e, MODE_SILENT);
        char *u = url(s.port, "/");
        CurlFetchOptions o = { .url = u, .timeout_usec = 300000, .max_bytes = 1000 };
        assert_int_equal(curl_event_fetch(c, &o, on_done, &g, &f), 0);
        /* a second one left pending when the CurlEvent goes: freed without a callback */
        CurlFetchOptions o2 = o;
        o2.timeout_usec = 10000000;
        assert_int_equal(curl_event_fetch(c, &o2, on_done, &g2, NULL), 0);
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(e, 10000) >= 0);
        curl_fetch_cancel(f);
        assert_int_equal(curl_event_pending(c), 1);
        run_until(e, &g, 600000);
        assert_false(g.done);
        curl_event_free(c);
        assert_false(g2.done);
        free(u);
        server_stop(&s);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ok_token_form),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_too_big),
                cmocka_unit_test(test_refused_and_bad_options),
                cmocka_unit_test(test_cancel),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
