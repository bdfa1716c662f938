/* SPDX-License-Identifier: MIT */
/* The HTTP server under hostile clients: the per-address connection limit, the deadline for a
 * whole request head, the cap on connections still reading (the oldest is evicted), shared
 * response bodies (memory does not grow with slow readers), and listen = empty. Real
 * libmicrohttpd on 127.0.0.1 in an sd-event loop, real client sockets from several loopback
 * source addresses (127.0.0.0/8 is all ours), one thread as in the daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-fixture.h"
#include "http-server.h"
#include "log.h"
#include "util.h"

#define BIG_SIZE (8 * 1024 * 1024)

typedef struct Fixture {
        sd_event *event;
        HttpServer *server;
        int port;
        unsigned calls;
        char *big;  /* the body of /big, BIG_SIZE bytes */
} Fixture;

static void h_small(void *userdata, const Request *req, const char *param, Response *resp) {
        Fixture *f = userdata;
        (void) req, (void) param;
        f->calls++;
        resp->content_type = HTTP_CT_TEXT;
        buf_puts(&resp->body, "ok\n");
}

/* A large body rendered fresh per request (as the dashboard and /metrics are); the "*" picks
 * one of two contents so sharing must tell them apart. */
static void h_big(void *userdata, const Request *req, const char *param, Response *resp) {
        Fixture *f = userdata;
        (void) req;
        f->calls++;
        resp->content_type = HTTP_CT_TEXT;
        f->big[0] = param[0];
        buf_append(&resp->body, f->big, BIG_SIZE);
}

static const HttpRoute routes[] = {
        { "/small", HTTP_FORMAT_TEXT, h_small, NULL },
        { "/big/*", HTTP_FORMAT_TEXT, h_big, NULL },
};
static const HttpRouteTable table = { routes, ELEMENTSOF(routes), NULL };

static void start(Fixture *f, HttpServerConfig config) {
        ListenAddress addr = fixture_listen("127.0.0.1", 0);

        *f = (Fixture) { .big = xmalloc(BIG_SIZE) };
        for (size_t i = 0; i < BIG_SIZE; i++)
                f->big[i] = (char) ('a' + i % 26);
        config.listen = &addr;
        config.n_listen = 1;
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(http_server_new(f->event, &config, &table, f, &f->server), 0);
        fixture_listen_done(&addr);
        f->port = http_server_port(f->server, 0);
        assert_true(f->port > 0);
}

static void stop(Fixture *f) {
        http_server_free(f->server);
        sd_event_unref(f->event);
        free(f->big);
}

/* A non-blocking connection to the server from source address 127.0.0.<src>. */
static int dial(const Fixture *f, unsigned src) {
        struct sockaddr_in from = { .sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl(0x7f000000 | src) };
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t) f->port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &from, sizeof from), 0);
        if (connect(fd, (struct sockaddr *) &to, sizeof to) < 0)
                assert_int_equal(errno, EINPROGRESS);
        return fd;
}

static void spin(Fixture *f, unsigned ms) {
        uint64_t end = now_monotonic_usec() + ms * UINT64_C(1000);
        while (now_monotonic_usec() < end)
                assert_true(sd_event_run(f->event, 10000) >= 0);
}

/* Has the server closed fd (EOF or reset)? Drains what was sent. */
static bool closed(int fd) {
        char b[65536];
        for (;;) {
                ssize_t n = recv(fd, b, sizeof b, 0);
                if (n > 0)
                        continue;
                return n == 0 || errno != EAGAIN;
        }
}

/* One complete GET of path from 127.0.0.<src>; returns the status (0: closed unanswered) and
 * the time it took, the loop running in between. */
static unsigned get(Fixture *f, unsigned src, const char *path, uint64_t *ret_usec) {
        uint64_t t0 = now_monotonic_usec(), deadline = t0 + 5000000;
        int fd = dial(f, src);
        Buf req = {}, in = {};
        unsigned status = 0;

        buf_printf(&req, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
        for (size_t sent = 0;;) {
                char b[65536];
                ssize_t n;

                assert_true(now_monotonic_usec() < deadline);
                assert_true(sd_event_run(f->event, 1000) >= 0);
                if (sent < req.len) {
                        n = send(fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);
                        if (n > 0)
                                sent += (size_t) n;
                }
                n = recv(fd, b, sizeof b, 0);
                if (n > 0)
                        buf_append(&in, b, (size_t) n);
                else if (n == 0 || errno != EAGAIN)
                        break;
        }
        close(fd);
        if (ret_usec)
                *ret_usec = now_monotonic_usec() - t0;
        if (in.data && sscanf(in.data, "HTTP/1.1 %u ", &status) != 1)
                status = 0;
        buf_done(&req);
        buf_done(&in);
        return status;
}

static void test_per_ip_limit(void **state) {
        Fixture f;
        int fds[6];
        (void) state;

        start(&f, (HttpServerConfig) { .connection_limit = 32, .per_ip_limit = 3,
                                       .readers_limit = 30 });
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = dial(&f, 2);
                spin(&f, 20);
        }
        spin(&f, 100);
        /* the first three are kept, the others closed at accept */
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (closed(fds[i]) != (i >= 3))
                        fail_msg("connection %zu from 127.0.0.2: closed=%d", i, !(i < 3));
        /* another address is served at once, and so is .2 again once it has room */
        assert_int_equal(get(&f, 3, "/small", NULL), 200);
        close(fds[0]);
        spin(&f, 50);
        assert_int_equal(get(&f, 2, "/small", NULL), 200);
        for (size_t i = 1; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
        spin(&f, 50);
        stop(&f);
}

/* A client that sends one header line every 200 ms is never idle, so MHD's idle timeout never
 * fires; the head deadline closes it anyway. */
static void test_head_deadline(void **state) {
        Fixture f;
        uint64_t t0;
        int fd;
        (void) state;

        start(&f, (HttpServerConfig) { .timeout_sec = 60, .head_deadline_sec = 1 });
        fd = dial(&f, 2);
        t0 = now_monotonic_usec();
        spin(&f, 20);
        assert_true(send(fd, "GET /small HTTP/1.1\r\n", 21, MSG_NOSIGNAL) == 21);
        for (unsigned i = 0;; i++) {
                spin(&f, 200);
                if (closed(fd))
                        break;
                if (now_monotonic_usec() - t0 > 3000000)
                        fail_msg("a slow head was still open after 3 s");
                (void) send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        }
        assert_true(now_monotonic_usec() - t0 >= 900000);
        close(fd);
        assert_int_equal(f.calls, 0);
        /* a head that is complete in time is answered */
        fd = dial(&f, 2);
        spin(&f, 500);
        assert_true(send(fd, "GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n", 40, MSG_NOSIGNAL) ==
                    40);
        spin(&f, 300);
        assert_int_equal(f.calls, 1);
        close(fd);
        spin(&f, 50);
        stop(&f);
}

/* 200 slowloris connections (more than the connection limit) from one address, and 40 from 40
 * others, each dribbling header lines: a legitimate client is still answered within a second,
 * every time. */
static void test_slowloris(void **state) {
        Fixture f;
        int fds[240];
        unsigned n = 0;
        (void) state;

        start(&f, (HttpServerConfig) {});
        for (unsigned i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = dial(&f, i < 200 ? 2 : 10 + i);
                (void) send(fds[i], "GET /small HTTP/1.1\r\n", 21, MSG_NOSIGNAL);
                if (i % 10 == 0)
                        assert_true(sd_event_run(f.event, 0) >= 0);
        }
        for (unsigned round = 0; round < 5; round++) {
                uint64_t usec;

                for (unsigned i = 0; i < ELEMENTSOF(fds); i++)
                        (void) send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
                spin(&f, 100);
                assert_int_equal(get(&f, 1, "/small", &usec), 200);
                if (usec > 1000000)
                        fail_msg("round %u: the legitimate client waited %" PRIu64 " ms", round,
                                 usec / 1000);
        }
        for (unsigned i = 0; i < ELEMENTSOF(fds); i++) {
                n += !closed(fds[i]);
                close(fds[i]);
        }
        /* at most HTTP_PER_IP_DEFAULT of the 200, and never more readers than the cap */
        assert_true(n <= HTTP_PER_IP_DEFAULT + HTTP_CONNECTIONS_DEFAULT / 2);
        spin(&f, 50);
        stop(&f);
}

/* With the readers cap reached, a newcomer evicts the oldest connection still reading. */
static void test_readers_evicted(void **state) {
        Fixture f;
        int fds[4];
        (void) state;

        start(&f, (HttpServerConfig) { .readers_limit = 3 });
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = dial(&f, 2 + (unsigned) i);
                spin(&f, 30);
        }
        spin(&f, 100);
        assert_true(closed(fds[0]));
        for (size_t i = 1; i < ELEMENTSOF(fds); i++)
                assert_false(closed(fds[i]));
        assert_int_equal(get(&f, 9, "/small", NULL), 200);
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
        spin(&f, 50);
        stop(&f);
}

/* 10 slow readers of an 8 MiB body rendered per request (larger than what the kernel's socket
 * buffers absorb): the heap holds one copy per distinct body, not 10 (each connection used to get
 * its own, MHD_RESPMEM_MUST_COPY: 80 MiB here); two different bodies in flight at once each
 * reach their own readers intact. */
static void test_shared_bodies(void **state) {
        Fixture f;
        int fds[10];
        size_t before, during;
        (void) state;

        start(&f, (HttpServerConfig) { .connection_limit = 64, .per_ip_limit = 64 });
        assert_int_equal(get(&f, 2, "/big/a", NULL), 200); /* warm up the render buffer */
        before = mallinfo2().uordblks + mallinfo2().hblkhd;
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                char req[96];
                int len = snprintf(req, sizeof req,
                                   "GET /big/%c HTTP/1.1\r\nHost: localhost\r\n\r\n",
                                   i % 2 ? 'b' : 'a');
                int rcv = 65536;
                fds[i] = dial(&f, 2);
                (void) setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
                spin(&f, 5);
                assert_true(send(fds[i], req, (size_t) len, MSG_NOSIGNAL) == len);
        }
        spin(&f, 300);
        assert_int_equal(f.calls, 1 + ELEMENTSOF(fds));
        during = mallinfo2().uordblks + mallinfo2().hblkhd;
        if (getenv("HTTP_TEST_DEBUG"))
                fprintf(stderr, "heap: %zu KiB more\n", (during - before) / 1024);
#if defined(__SANITIZE_ADDRESS__)
        (void) during, (void) before; /* ASan's allocator: mallinfo says nothing */
#else
        /* two bodies and the render buffer (up to twice a body) at most, not 10 copies */
        if (during > before + 9 * BIG_SIZE / 2)
                fail_msg("10 slow readers of an 8 MiB body: heap grew by %zu KiB",
                         (during - before) / 1024);
#endif
        /* now read every reply to the end: each has its own first byte and the rest intact */
        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                Buf in = {};
                uint64_t deadline = now_monotonic_usec() + 5000000;
                size_t head = 0;
                char *body;
                while (!head || in.len - head < BIG_SIZE) {
                        char b[65536];
                        ssize_t n;
                        if (now_monotonic_usec() > deadline)
                                fail_msg("reader %zu: %zu bytes after 5 s", i, in.len);
                        assert_true(sd_event_run(f.event, 1000) >= 0);
                        n = recv(fds[i], b, sizeof b, 0);
                        if (n > 0)
                                buf_append(&in, b, (size_t) n);
                        else
                                assert_true(n < 0 && errno == EAGAIN);
                        if (!head && in.data && (body = strstr(in.data, "\r\n\r\n")))
                                head = (size_t) (body + 4 - in.data);
                }
                body = in.data + head - 4;
                assert_int_equal(body[4], i % 2 ? 'b' : 'a');
                assert_memory_equal(body + 5, f.big + 1, BIG_SIZE - 1);
                buf_done(&in);
                close(fds[i]);
        }
        spin(&f, 50);
        stop(&f);
}

/* listen = empty: no socket of our own; without one from systemd, a clear error. */
static void test_only_listen_fds(void **state) {
        HttpServerConfig config = { .use_listen_fds = true, .only_listen_fds = true };
        HttpServer *s = NULL;
        sd_event *e = NULL;
        (void) state;

        (void) unsetenv("LISTEN_FDS");
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(http_server_new(e, &config, &table, NULL, &s), -EINVAL);
        assert_null(s);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_per_ip_limit),
                cmocka_unit_test(test_head_deadline),
                cmocka_unit_test(test_slowloris),
                cmocka_unit_test(test_readers_evicted),
                cmocka_unit_test(test_shared_bodies),
                cmocka_unit_test(test_only_listen_fds),
        };
        if (!getenv("HTTP_TEST_DEBUG"))
                log_set_max_level(LOG_CRIT);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
