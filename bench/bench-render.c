/* SPDX-License-Identifier: MIT */
/* Scrape cost at N synthetic units: time per render (both metrics formats, with and without
 * per-check series, /api/v1/units, the dashboard) into a reused Buf as the server does, then per
 * full request through http_dispatch() with a real in-memory Store holding CHANGES changes per
 * unit (history for the dashboard's sparklines and the events feed). No sockets: wrk against
 * bench-http measures those.
 * Build: see bench/README. Usage: bench-render [N] [ITERATIONS] [CHANGES] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "http-fixture.h"
#include "http-routes.h"
#include "util.h"

static void run(const char *what, size_t iters, const State *s, int kind, MetricsFormat f,
                bool per_check) {
        RenderOptions o = { .version = "bench", .per_check_metrics = per_check,
                            .now_usec = now_realtime_usec() };
        DashboardQuery q = { .min_predicate = _PREDICATE_INVALID };
        Buf b = {};
        uint64_t t0 = now_monotonic_usec(), t;

        for (size_t i = 0; i < iters; i++) {
                buf_clear(&b);
                if (kind == 0)
                        render_metrics(s, &o, f, &b);
                else if (kind == 1)
                        (void) render_json_units(s, &o, &b);
                else
                        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &b);
        }
        t = now_monotonic_usec() - t0;
        printf("render %-34s %8.1f us %9zu bytes\n", what, (double) t / (double) iters, b.len);
        buf_done(&b);
}

static void request(HttpContext *ctx, const char *path, size_t iters) {
        Response resp = {};
        uint64_t t0 = now_monotonic_usec(), t;
        unsigned status = 0;

        for (size_t i = 0; i < iters; i++) {
                Request req;
                char *p = xstrdup(path), *q = strchr(p, '?');
                if (q)
                        *q++ = 0;
                http_request_init(&req, "GET", p);
                for (char *amp; q && *q; q = amp ? amp + 1 : NULL) {
                        char *eq;
                        if ((amp = strchr(q, '&')))
                                *amp = 0;
                        if ((eq = strchr(q, '=')))
                                *eq++ = 0;
                        http_request_add_arg(&req, q, eq);
                }
                free(p);
                http_response_reset(&resp);
                http_dispatch(&http_host_routes, &(HttpAccess) {}, ctx, &req, &resp);
                status = resp.status;
                http_request_done(&req);
        }
        t = now_monotonic_usec() - t0;
        printf("dispatch %-32s %8.1f us %9zu bytes (HTTP %u)%s\n", path,
               (double) t / (double) iters, resp.shared ? resp.shared->size : resp.body.len,
               status, ctx->cache ? " cached" : "");
        http_response_done(&resp);
}

/* The kinds from the daemon's rules (classify.h), as if the rows were one unit's rescans. */
static void fill(Store *st, const State *s, unsigned changes) {
        const ClassifyRules rules = { .cause = CAUSE_PERIODIC, .new_unit_threshold = 90 };
        uint64_t t0 = now_realtime_usec() - changes * UINT64_C(3600000000);

        if (store_begin(st) < 0)
                abort();
        for (size_t i = 0; i < s->n_units; i++) {
                int before = -1; /* no score yet */
                for (unsigned c = 0; c < changes; c++) {
                        StoreVerdict v[SCORE_ROWS_MAX];
                        unsigned exposure = (unsigned) (40 + (c * 7 + i) % 60);
                        ClassifyScore old = { .exposure = before },
                                      new = { .exposure = (int) exposure };
                        StoreScore sc = {
                                .unit = s->units[i]->id,
                                .time_usec = t0 + c * UINT64_C(3600000000),
                                .exposure = exposure,
                                .predicate = PREDICATE_MEDIUM,
                                .verdicts = v,
                                .n_verdicts = store_verdicts_from_report(&s->units[i]->report, v),
                                .systemd_version = "252",
                                .scorer_version = "1",
                                .kind = classify_change(&rules, &old, &new).kind,
                        };
                        before = (int) exposure;
                        if (store_add_score(st, &sc) < 0)
                                abort();
                }
        }
        if (store_commit(st) < 0)
                abort();
}

int main(int argc, char *argv[]) {
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
        size_t iters = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
        unsigned changes = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10) : 10;
        State *s = fixture_state_new(n, false);
        Store *st = NULL;

        printf("%zu units, %zu iterations, %u stored changes per unit\n", s->n_units, iters,
               changes);
        run("metrics text 0.0.4", iters, s, 0, METRICS_PROMETHEUS, false);
        run("metrics OpenMetrics", iters, s, 0, METRICS_OPENMETRICS, false);
        run("metrics text + per-check series", iters, s, 0, METRICS_PROMETHEUS, true);
        run("/api/v1/units (json-c)", iters, s, 1, 0, false);
        run("dashboard HTML (no history)", iters, s, 2, 0, false);

        if (store_open(":memory:", &st) < 0)
                return 1;
        fill(st, s, changes);
        HttpContext ctx = { .state = s, .store = &st, .render = { .version = "bench" } };
        request(&ctx, "/metrics", iters);
        request(&ctx, "/api/v1/units", iters);
        request(&ctx, "/api/v1/units/svc-0003.service", iters);
        request(&ctx, "/api/v1/units/svc-0003.service/history", iters);
        request(&ctx, "/api/v1/events?limit=1000", iters / 10 + 1);
        request(&ctx, "/", iters / 10 + 1);
        request(&ctx, "/units/svc-0003.service", iters);

        /* The daemon's way (render-cache.h): one render per State generation, then the same
         * shared body for every request (each row: its first request renders, the rest hit). */
        RenderCache cache = {};
        ctx.cache = &cache;
        request(&ctx, "/metrics", iters);
        request(&ctx, "/api/v1/units", iters);
        request(&ctx, "/", iters / 10 + 1);
        ctx.render.per_check_metrics = true;
        state_changed(s);
        request(&ctx, "/metrics", iters);
        printf("cache: %" PRIu64 " hits, %" PRIu64 " misses\n", cache.hits, cache.misses);
        render_cache_done(&cache);
        store_free(st);
        fixture_state_free(s);
        return 0;
}
