/* SPDX-License-Identifier: MIT */
/* Fuzz target for the whole HTTP request path: the input is the raw bytes a client sends (request
 * line, headers, anything), written over a real TCP connection on 127.0.0.1 into the real server
 * (libmicrohttpd's parser, then http-server.c's header collection, the connection bookkeeping,
 * the Host and bearer-token checks, the request decoding, the dispatcher and the host routes on a
 * fixture State with a token set). Crashes, sanitizer reports and broken invariants abort: an
 * answer, when there is one, is an HTTP/1.x status line with a status from 100 to 599 and every
 * security header; every 64 inputs a well-formed request must still get 200.
 *
 * Built as a libFuzzer target (clang -fsanitize=fuzzer -DFUZZ_LIBFUZZER, `make fuzz`) or, by
 * default, as a driver that runs every file named on the command line (or stdin); `make
 * check-unit` replays tests/fuzz/corpus/http/. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-fixture.h"
#include "http-routes.h"
#include "http-server.h"
#include "log.h"
#include "util.h"

#define TOKEN "fuzz-token"
#define INPUT_MAX (32 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Fuzz {
        sd_event *event;
        HttpServer *server;
        State *state;
        HttpContext ctx;
        int port;
        unsigned runs;
} Fuzz;

static Fuzz *fuzz_get(void) {
        static Fuzz f;
        ListenAddress addr;

        if (f.server)
                return &f;
        log_set_max_level(LOG_CRIT);
        addr = fixture_listen("127.0.0.1", 0);
        f.state = fixture_state_new(5, true);
        f.ctx = (HttpContext) { .state = f.state, .render = { .version = "fuzz" } };
        if (sd_event_new(&f.event) < 0)
                abort();
        /* timeout 1 s: an input that stops mid-head is closed by our EOF anyway */
        if (http_server_new(f.event,
                            &(HttpServerConfig) { .listen = &addr, .n_listen = 1,
                                                  .timeout_sec = 1, .token = TOKEN },
                            &http_host_routes, &f.ctx, &f.server) < 0)
                abort();
        fixture_listen_done(&addr);
        f.port = http_server_port(f.server, 0);
        if (f.port <= 0)
                abort();
        return &f;
}

/* Send the bytes, close our writing side, and collect the answer until the server closes. An
 * incomplete head gets no answer, and libmicrohttpd keeps a half-closed connection until its idle
 * timeout: after 5 ms without progress we reset the connection instead (SO_LINGER 0), which it
 * closes at once. A server that neither answers nor closes for two seconds is a finding. */
static void exchange(Fuzz *f, const uint8_t *data, size_t size, Buf *out) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) f->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        uint64_t deadline = now_monotonic_usec() + 2000000;
        size_t sent = 0;
        unsigned quiet = 0;
        bool shut = false;

        if (fd < 0)
                abort();
        if (connect(fd, (struct sockaddr *) &a, sizeof a) < 0 && errno != EINPROGRESS)
                abort();
        for (;;) {
                char b[65536];
                ssize_t n;

                if (now_monotonic_usec() > deadline) {
                        fprintf(stderr, "fuzz-http: no answer and no close after 2 s\n");
                        abort();
                }
                if (sd_event_run(f->event, 1000) < 0)
                        abort();
                if (sent < size) {
                        n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
                        if (n > 0)
                                sent += (size_t) n;
                        else if (n < 0 && errno != EAGAIN)
                                sent = size; /* the server closed on us: read what it said */
                }
                if (sent >= size && !shut) {
                        (void) shutdown(fd, SHUT_WR);
                        shut = true;
                }
                n = recv(fd, b, sizeof b, 0);
                if (n > 0) {
                        buf_append(out, b, (size_t) n);
                        quiet = 0;
                } else if (n == 0 || errno != EAGAIN)
                        break;
                else if (shut && ++quiet >= 5) {
                        struct linger l = { .l_onoff = 1, .l_linger = 0 };
                        (void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                        break;
                }
        }
        close(fd);
        (void) sd_event_run(f->event, 0);
}

static void check_answer(const Buf *out) {
        unsigned status;
        char *head_end;

        if (!out->data || out->data[0] == 0)
                return; /* closed without an answer: fine for garbage */
        if (sscanf(out->data, "HTTP/1.%*1[01] %u ", &status) != 1 || status < 100 || status > 599)
                abort();
        head_end = strstr(out->data, "\r\n\r\n");
        if (!head_end)
                abort();
        *head_end = 0;
        if (status != 400 && status != 413 && status != 414 && status != 431 &&
            status != 505 && status != 501 && status != 408 &&
            (!strstr(out->data, "\r\nContent-Security-Policy: ") ||
             !strstr(out->data, "\r\nX-Content-Type-Options: nosniff")))
                abort(); /* our answers all carry them; MHD's own refusals may not */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char good[] = "GET /api/v1/status HTTP/1.1\r\nHost: localhost\r\n"
                                   "Authorization: Bearer " TOKEN "\r\nConnection: close\r\n\r\n";
        Fuzz *f = fuzz_get();
        Buf out = {};

        if (size > INPUT_MAX)
                return 0;
        exchange(f, data, size, &out);
        buf_putc(&out, 0);
        check_answer(&out);
        buf_done(&out);

        if (++f->runs % 64 == 0) {
                exchange(f, (const uint8_t *) good, sizeof good - 1, &out);
                buf_putc(&out, 0);
                if (!startswith(out.data, "HTTP/1.1 200 "))
                        abort();
                buf_done(&out);
        }
        return 0;
}

#include "fuzz-main.h"
