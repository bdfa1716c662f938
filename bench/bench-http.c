/* SPDX-License-Identifier: MIT */
/* A real HttpServer over N synthetic units for load tests with wrk:
 *     bench-http [N] [PORT] [SECONDS] [WORD...] &  wrk -t1 -c8 -d10s http://127.0.0.1:PORT/metrics
 * WORDs: "hostile" (add the units with escapes, quotes, newlines, bad UTF-8), "per-check"
 * (per_check_metrics = yes), "nocache" (render every request, as before the render cache).
 * Runs the same sd-event loop as the daemon and exits after SECONDS. */
#include <stdio.h>
#include <stdlib.h>

#include "classify.h"
#include "http-fixture.h"
#include "http-routes.h"
#include "http-server.h"
#include "util.h"

/* changes per unit in a :memory: store, for the dashboard's sparklines and charts; their kinds
 * from the daemon's rules (classify.h), as if the rows were one unit's rescans */
static void fill(Store *st, const State *s, unsigned changes) {
        const ClassifyRules rules = { .cause = CAUSE_PERIODIC, .new_unit_threshold = 90 };
        uint64_t t0 = now_realtime_usec() - changes * UINT64_C(3600000000) * 6;

        (void) store_begin(st);
        for (size_t i = 0; i < s->n_units; i++) {
                int before = -1; /* no score yet */
                for (unsigned c = 0; c < changes; c++) {
                        StoreVerdict v[SCORE_ROWS_MAX];
                        unsigned e = (unsigned) (20 + (c * 37 + i * 11) % 80);
                        unsigned exposure = c + 1 == changes ? s->units[i]->report.exposure : e;
                        ClassifyScore old = { .exposure = before },
                                      new = { .exposure = (int) exposure };
                        StoreScore sc = {
                                .unit = s->units[i]->id,
                                .time_usec = t0 + c * UINT64_C(3600000000) * 6,
                                .exposure = exposure,
                                .predicate = PREDICATE_MEDIUM,
                                .verdicts = v,
                                .n_verdicts = store_verdicts_from_report(&s->units[i]->report, v),
                                .systemd_version = "252",
                                .scorer_version = "1",
                                .kind = classify_change(&rules, &old, &new).kind,
                        };
                        before = (int) exposure;
                        (void) store_add_score(st, &sc);
                }
        }
        (void) store_commit(st);
}

static int on_quit(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) usec, (void) userdata;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char *argv[]) {
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
        unsigned seconds = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10) : 30;
        ListenAddress l = fixture_listen("127.0.0.1",
                                         (uint16_t) (argc > 2 ? strtoul(argv[2], NULL, 10) : 0));
        /* wrk connects from one address: room for its -c100 (the daemon's defaults are 64 in all
         * and 16 per address, which would refuse most of them at accept) */
        HttpServerConfig config = { .listen = &l, .n_listen = 1, .connection_limit = 256,
                                    .per_ip_limit = 256, .readers_limit = 256 };
        bool hostile = false, per_check = false, nocache = false;
        for (int i = 4; i < argc; i++) {
                hostile = hostile || streq(argv[i], "hostile");
                per_check = per_check || streq(argv[i], "per-check");
                nocache = nocache || streq(argv[i], "nocache");
        }
        State *s = fixture_state_new(n, hostile);
        Store *st = NULL;
        if (store_open(":memory:", &st) < 0)
                return 1;
        fill(st, s, 12);
        RenderCache cache = {};
        HttpContext ctx = { .state = s, .store = &st, .cache = nocache ? NULL : &cache,
                            .render = { .version = "bench", .per_check_metrics = per_check } };
        sd_event *e = NULL;
        HttpServer *server = NULL;
        int r;

        if (sd_event_default(&e) < 0 ||
            http_server_new(e, &config, &http_host_routes, &ctx, &server) < 0)
                return 1;
        fixture_listen_done(&l);
        printf("listening on 127.0.0.1:%d with %zu units for %u s%s%s\n",
               http_server_port(server, 0), s->n_units, seconds, per_check ? ", per-check" : "",
               nocache ? ", no render cache" : "");
        fflush(stdout);
        (void) sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, seconds * UINT64_C(1000000), 0,
                                          on_quit, NULL);
        r = sd_event_loop(e);
        http_server_free(server);
        printf("render cache: %llu hits, %llu misses\n", (unsigned long long) cache.hits,
               (unsigned long long) cache.misses);
        render_cache_done(&cache);
        sd_event_unref(e);
        store_free(st);
        fixture_state_free(s);
        return r < 0 ? 1 : 0;
}
