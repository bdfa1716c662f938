/* SPDX-License-Identifier: MIT */
/* Scrape cost at N synthetic units: time per /metrics render (both formats, with and without
 * per-check series), per /api/v1/units and per dashboard, into a reused Buf as the server does.
 * Build and run: make bench-render (see bench/README). Usage: bench-render [N] [ITERATIONS] */
#include <stdio.h>
#include <stdlib.h>

#include "http-fixture.h"
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
        printf("%-34s %8.1f us/render %9zu bytes\n", what, (double) t / (double) iters, b.len);
        buf_done(&b);
}

int main(int argc, char *argv[]) {
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
        size_t iters = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
        State *s = fixture_state_new(n, false);

        printf("%zu units, %zu iterations\n", s->n_units, iters);
        run("metrics text 0.0.4", iters, s, 0, METRICS_PROMETHEUS, false);
        run("metrics OpenMetrics", iters, s, 0, METRICS_OPENMETRICS, false);
        run("metrics text + per-check series", iters, s, 0, METRICS_PROMETHEUS, true);
        run("/api/v1/units (json-c)", iters, s, 1, 0, false);
        run("dashboard HTML (no history)", iters, s, 2, 0, false);
        fixture_state_free(s);
        return 0;
}
