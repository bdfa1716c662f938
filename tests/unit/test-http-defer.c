/* SPDX-License-Identifier: MIT */
/* Deferred responses (http_response_defer()) on the real server: a handler that answers later,
 * from a timer on the same loop, gets its answer to the client with the usual headers, while a
 * request that arrives meanwhile is answered at once (the loop is never held); HEAD works
 * deferred too; a server freed with a response still deferred frees it (valgrind: no leak). */
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

#include "http-fixture.h"
#include "http-server.h"
#include "util.h"

typedef struct Mode {
        sd_event *event;
        HttpDeferred *pending;
        sd_event_source *timer;
        unsigned deferred, finished;
} Mode;

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Mode *m = userdata;
        Response *r = http_deferred_response(m->pending);

        (void) s, (void) usec;
        r->content_type = HTTP_CT_TEXT;
        buf_puts(&r->body, "later\n");
        http_deferred_finish(TAKE_PTR(m->pending));
        m->finished++;
        return 0;
}

static void h_slow(void *userdata, const Request *req, const char *param, Response *resp) {
        Mode *m = userdata;

        (void) req, (void) param;
        m->pending = http_response_defer(resp);
        assert_non_null(m->pending);
        m->deferred++;
        m->timer = sd_event_source_disable_unref(m->timer);
        assert_int_equal(sd_event_add_time_relative(m->event, &m->timer, CLOCK_MONOTONIC, 300000,
                                                    1000, on_timer, m), 0);
}

static void h_fast(void *userdata, const Request *req, const char *param, Response *resp) {
        (void) userdata, (void) req, (void) param;
        resp->content_type = HTTP_CT_TEXT;
        buf_puts(&resp->body, "now\n");
}

static const HttpRoute routes[] = {
        { "/slow", HTTP_FORMAT_TEXT, h_slow, NULL },
        { "/fast", HTTP_FORMAT_TEXT, h_fast, NULL },
};
static const HttpRouteTable table = { .routes = routes, .n_routes = ELEMENTSOF(routes) };

typedef struct Client {
        int fd;
        Buf in;
        bool closed;
} Client;

static void client_open(Client *c, int port, const char *method, const char *path) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        char req[256];
        int n;

        *c = (Client) {};
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(c->fd >= 0);
        assert_int_equal(connect(c->fd, (struct sockaddr *) &a, sizeof a), 0);
        n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close"
                     "\r\n\r\n", method, path);
        assert_int_equal(send(c->fd, req, (size_t) n, MSG_NOSIGNAL), n);
}

/* Read what is there without blocking. */
static void client_poll(Client *c) {
        char b[4096];
        ssize_t n;

        while (!c->closed && (n = recv(c->fd, b, sizeof b, MSG_DONTWAIT)) != 0) {
                if (n < 0) {
                        assert_true(errno == EAGAIN);
                        return;
                }
                buf_append(&c->in, b, (size_t) n);
        }
        c->closed = true;
}

static void client_close(Client *c) {
        close(c->fd);
        buf_done(&c->in);
}

static void run_until_closed(sd_event *e, Client *c, Client *other) {
        uint64_t end = now_monotonic_usec() + 5000000;

        while (!c->closed) {
                assert_true(now_monotonic_usec() < end);
                assert_true(sd_event_run(e, 10000) >= 0);
                client_poll(c);
                if (other)
                        client_poll(other);
        }
}

static void test_deferred(void **state) {
        ListenAddress addr = fixture_listen("127.0.0.1", 0);
        HttpServerConfig config = { .listen = &addr, .n_listen = 1 };
        HttpServer *server = NULL;
        Mode m = {};
        Client slow, fast, head;
        (void) state;

        assert_int_equal(sd_event_new(&m.event), 0);
        assert_int_equal(http_server_new(m.event, &config, &table, &m, &server), 0);
        int port = http_server_port(server, 0);

        client_open(&slow, port, "GET", "/slow");
        while (m.deferred == 0)
                assert_true(sd_event_run(m.event, 10000) >= 0);
        /* the slow one waits; the fast one is answered meanwhile */
        client_open(&fast, port, "GET", "/fast");
        run_until_closed(m.event, &fast, &slow);
        assert_non_null(strstr(fast.in.data, "HTTP/1.1 200"));
        assert_non_null(strstr(fast.in.data, "\r\n\r\nnow\n"));
        assert_false(slow.closed);
        assert_int_equal(m.finished, 0);
        run_until_closed(m.event, &slow, NULL);
        assert_int_equal(m.finished, 1);
        assert_non_null(strstr(slow.in.data, "HTTP/1.1 200"));
        assert_non_null(strstr(slow.in.data, "Content-Security-Policy: default-src 'none'"));
        assert_non_null(strstr(slow.in.data, "\r\n\r\nlater\n"));

        client_open(&head, port, "HEAD", "/slow");
        run_until_closed(m.event, &head, NULL);
        assert_non_null(strstr(head.in.data, "HTTP/1.1 200"));
        assert_null(strstr(head.in.data, "later"));
        assert_int_equal(m.finished, 2);

        client_close(&slow);
        client_close(&fast);
        client_close(&head);
        sd_event_source_disable_unref(m.timer);
        http_server_free(server);
        sd_event_unref(m.event);
        fixture_listen_done(&addr);
}

static void test_free_while_deferred(void **state) {
        ListenAddress addr = fixture_listen("127.0.0.1", 0);
        HttpServerConfig config = { .listen = &addr, .n_listen = 1 };
        HttpServer *server = NULL;
        Mode m = {};
        Client slow;
        (void) state;

        assert_int_equal(sd_event_new(&m.event), 0);
        assert_int_equal(http_server_new(m.event, &config, &table, &m, &server), 0);
        client_open(&slow, http_server_port(server, 0), "GET", "/slow");
        while (m.deferred == 0)
                assert_true(sd_event_run(m.event, 10000) >= 0);
        /* the owner drops its handle first (as fleet_free() does), then the server goes */
        m.timer = sd_event_source_disable_unref(m.timer);
        m.pending = NULL;
        http_server_free(server);
        client_poll(&slow);
        client_close(&slow);
        sd_event_unref(m.event);
        fixture_listen_done(&addr);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_deferred),
                cmocka_unit_test(test_free_while_deferred),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
