/* SPDX-License-Identifier: MIT */
/* A real HttpServer over N synthetic units for load tests with wrk:
 *     bench-http [N] [PORT] [SECONDS] &  wrk -t1 -c8 -d10s http://127.0.0.1:PORT/metrics
 * Runs the same sd-event loop as the daemon and exits after SECONDS. */
#include <stdio.h>
#include <stdlib.h>

#include "http-fixture.h"
#include "http.h"
#include "util.h"

static int on_quit(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) usec, (void) userdata;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char *argv[]) {
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
        char listen[64];
        unsigned seconds = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10) : 30;
        char *l[] = { listen, NULL };
        HttpConfig config = { .listen = l };
        State *s = fixture_state_new(n, false);
        HttpContext ctx = { .state = s, .render = { .version = "bench" } };
        sd_event *e = NULL;
        HttpServer *server = NULL;
        int r;

        (void) snprintf(listen, sizeof listen, "127.0.0.1:%s", argc > 2 ? argv[2] : "0");
        if (sd_event_default(&e) < 0 || http_server_new(e, &config, &ctx, &server) < 0)
                return 1;
        printf("listening on 127.0.0.1:%d with %zu units for %u s\n", http_server_port(server, 0),
               s->n_units, seconds);
        fflush(stdout);
        (void) sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, seconds * UINT64_C(1000000), 0,
                                          on_quit, NULL);
        r = sd_event_loop(e);
        http_server_free(server);
        sd_event_unref(e);
        fixture_state_free(s);
        return r < 0 ? 1 : 0;
}
