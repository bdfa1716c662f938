/* SPDX-License-Identifier: MIT */
/* A simulated year of history in the daemon's own store (store.c, the real schema and
 * statements), for bench-scale.py: UNITS services scored once, then for DAYS days, once a day,
 * CHANGED of them change (a check flips, the exposure moves) in one batch as persist() writes
 * them, a scan row is added, and the retention prune runs with the daemon's cutoff (now - RETENTION
 * days; each present unit's newest change stays). Times are simulated: day DAYS is today, so that
 * a daemon started on the file sees the last 30 days in its sparklines. Prints per-day write and
 * prune times, the file size (closed, WAL checkpointed) and query times of what the pages ask:
 * a sparkline (30 days, 50 rows), a unit page's chart (500 rows), the dashboard's and the API's
 * event feeds. Not a test: nothing is asserted.
 * Usage: bench-store DB UNITS DAYS CHANGED RETENTION_DAYS [PREFIX] (units are PREFIX00000.service
 * and on; PREFIX defaults to "scale-", the names bench-scale.py loads). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "score.h"
#include "store.h"
#include "util.h"
#include "version.h"

#define DAY_USEC (86400 * UINT64_C(1000000))

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* "median / p95 / max" of n samples in usec, printed in ms (sorts v). */
static void stats(const char *what, uint64_t *v, size_t n) {
        if (n == 0)
                return;
        qsort(v, n, sizeof(*v), cmp_u64);
        printf("%-72s median %8.3f ms  p95 %8.3f ms  max %8.3f ms  (%zu)\n", what,
               (double) v[n / 2] / 1000.0, (double) v[(n * 95) / 100] / 1000.0,
               (double) v[n - 1] / 1000.0, n);
}

static uint64_t file_bytes(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

/* Time what the pages ask, for units spread over the set. */
static void queries(Store *st, char **names, size_t n_units, uint64_t now, const char *prefix) {
        static const char *const what[] = {
                "sparkline: 30 days, <= 50 rows, one unit",
                "unit page chart: <= 500 rows, one unit",
                "dashboard feed: 10 newest regressions",
                "events API: 100 newest events",
        };
        uint64_t t_q[1000];
        char label[128];
        int r;

        for (unsigned kind = 0; kind < 4; kind++) {
                size_t iters = kind < 2 ? 1000 : 100;
                for (size_t k = 0; k < iters; k++) {
                        Change *c = NULL;
                        size_t n = 0;
                        uint64_t a = now_monotonic_usec();
                        const char *u = names[(k * 7919) % n_units];
                        if (kind == 0)
                                r = store_history(st, NULL, u, now - 30 * DAY_USEC, 0, 50, &c, &n);
                        else if (kind == 1)
                                r = store_history(st, NULL, u, 0, 0, 500, &c, &n);
                        else
                                r = store_events(st, NULL, NULL,
                                                 kind == 2 ? EVENT_KIND_MASK(EVENT_REGRESSION) : 0,
                                                 0, 0, kind == 2 ? 10 : 100, &c, &n);
                        t_q[k] = now_monotonic_usec() - a;
                        changes_free(c, n);
                        if (r < 0) {
                                fprintf(stderr, "query: %s\n", strerror(-r));
                                exit(1);
                        }
                }
                (void) snprintf(label, sizeof label, "%s%s", prefix, what[kind]);
                stats(label, t_q, iters);
        }
}

int main(int argc, char *argv[]) {
        const char *path, *prefix = argc > 6 ? argv[6] : "scale-";
        size_t n_units, days, changed, retention, n_v;
        StoreVerdict base[SCORE_ROWS_MAX], v[SCORE_ROWS_MAX];
        uint64_t now = now_realtime_usec(), t0, rows = 0, pruned = 0;
        uint64_t *t_write, *t_prune;
        UnitProps props;
        ScoreReport report;
        char **names;
        Store *st = NULL;
        int r;

        if (argc < 6) {
                fprintf(stderr, "usage: %s DB UNITS DAYS CHANGED RETENTION_DAYS [PREFIX]\n",
                        argv[0]);
                return 2;
        }
        path = argv[1];
        n_units = strtoul(argv[2], NULL, 10);
        days = strtoul(argv[3], NULL, 10);
        changed = strtoul(argv[4], NULL, 10);
        retention = strtoul(argv[5], NULL, 10);
        if (n_units == 0 || changed > n_units)
                return 2;
        t0 = now - days * DAY_USEC;

        /* One realistic check vector (every check of the 252 table, an unhardened service),
         * shared by all units; a unit's change flips one check of it. */
        unit_props_init(&props);
        if (score_unit(score_table_for_version(252), NULL, &props, &report) < 0)
                return 1;
        n_v = store_verdicts_from_report(&report, base);

        names = xcalloc(n_units, sizeof(*names));
        for (size_t i = 0; i < n_units; i++) {
                char b[128];
                (void) snprintf(b, sizeof b, "%s%05zu.service", prefix, i);
                names[i] = xstrdup(b);
        }
        for (size_t k = 0; k < 3; k++) {
                char b[4096];
                static const char *const sfx[] = { "", "-wal", "-shm" };
                (void) snprintf(b, sizeof b, "%s%s", path, sfx[k]);
                (void) unlink(b);
        }
        r = store_open(path, &st);
        if (r < 0) {
                fprintf(stderr, "store_open(%s): %s\n", path, strerror(-r));
                return 1;
        }

        t_write = xcalloc(days + 1, sizeof(uint64_t));
        t_prune = xcalloc(days + 1, sizeof(uint64_t));
        for (size_t d = 0; d <= days; d++) {
                const ClassifyRules rules = { .cause = CAUSE_PERIODIC, .baseline = d == 0,
                                              .new_unit_threshold = 90 };
                uint64_t t = t0 + d * DAY_USEC, a = now_monotonic_usec(), n_changes = 0, np = 0;

                if (store_begin(st) < 0)
                        return 1;
                /* day 0: every unit's first score; then `changed` units a day, in turn */
                for (size_t k = 0; k < (d == 0 ? n_units : changed); k++) {
                        size_t i = d == 0 ? k : ((d - 1) * changed + k) % n_units;
                        size_t round = d == 0 ? 0 : ((d - 1) * changed + k) / n_units + 1;
                        unsigned exposure = (unsigned) (40 + (round + i) % 2 * 7);
                        int before = d == 0 ? -1 : (int) (40 + (round + i + 1) % 2 * 7);
                        ClassifyScore old = { .exposure = before },
                                      new = { .exposure = (int) exposure };
                        for (size_t c = 0; c < n_v; c++) {
                                v[c] = base[c];
                                /* the check flipped on odd rounds: the scores alternate */
                                if (c == i % n_v && (round + i) % 2)
                                        v[c].badness = v[c].badness == 0 ? 1 : 0;
                        }
                        StoreScore sc = {
                                .unit = names[i],
                                .time_usec = t,
                                .exposure = exposure,
                                .predicate = predicate_from_exposure(exposure),
                                .verdicts = v,
                                .n_verdicts = n_v,
                                .systemd_version = "252.38-1~deb12u1",
                                .scorer_version = SCORER_VERSION,
                                .cause = CAUSE_PERIODIC,
                                .kind = classify_change(&rules, &old, &new).kind,
                        };
                        r = store_add_score(st, &sc);
                        if (r < 0) {
                                fprintf(stderr, "store_add_score: %s\n", strerror(-r));
                                return 1;
                        }
                        n_changes += (uint64_t) r;
                }
                r = store_add_scan(st, &(StoreScan) { .time_usec = t, .duration_usec = 1,
                                                      .n_units = n_units, .n_changes = n_changes,
                                                      .cause = CAUSE_PERIODIC });
                if (r < 0 || store_commit(st) < 0)
                        return 1;
                rows += n_changes;
                t_write[d] = now_monotonic_usec() - a;
                a = now_monotonic_usec();
                if (retention > 0 && t > retention * DAY_USEC) {
                        r = store_prune(st, t - retention * DAY_USEC, &np);
                        if (r < 0) {
                                fprintf(stderr, "store_prune: %s\n", strerror(-r));
                                return 1;
                        }
                }
                pruned += np;
                t_prune[d] = now_monotonic_usec() - a;
        }
        printf("%zu units, %zu days, %zu changed a day, retention %zu days: %" PRIu64
               " change rows written, %" PRIu64 " pruned\n", n_units, days, changed, retention,
               rows, pruned);
        stats("write of a day's changes (one transaction)", t_write + 1, days);
        stats("retention prune, daily", t_prune + 1, days);

        queries(st, names, n_units, now, "");

        /* A systemd upgrade rescores every unit in one scan: n_units RESCORED rows share one
         * time, the newest; the event feeds must look past them for regressions. */
        if (store_begin(st) < 0)
                return 1;
        for (size_t i = 0; i < n_units; i++) {
                for (size_t c = 0; c < n_v; c++)
                        v[c] = base[c];
                StoreScore sc = {
                        .unit = names[i], .time_usec = now - 3600 * UINT64_C(1000000),
                        .exposure = 99, .predicate = predicate_from_exposure(99),
                        .verdicts = v, .n_verdicts = n_v, .systemd_version = "257.9-1",
                        .scorer_version = SCORER_VERSION, .cause = CAUSE_SYSTEMD_UPGRADE,
                        .kind = EVENT_RESCORED,
                };
                if (store_add_score(st, &sc) < 0)
                        return 1;
        }
        if (store_commit(st) < 0)
                return 1;
        queries(st, names, n_units, now, "after an upgrade rescored all: ");

        /* What persist() cost before issue 12 on every scan, a one-unit rescan included: every
         * unit handed to the store, none changed (now only the units judge() saw change). */
        {
                uint64_t t_all[5], w = 0;
                for (size_t k = 0; k < ELEMENTSOF(t_all); k++) {
                        uint64_t a = now_monotonic_usec();
                        if (store_begin(st) < 0)
                                return 1;
                        for (size_t i = 0; i < n_units; i++) {
                                StoreScore sc = {
                                        .unit = names[i], .time_usec = now + k + 1,
                                        .exposure = 99, .predicate = predicate_from_exposure(99),
                                        .verdicts = base, .n_verdicts = n_v,
                                        .systemd_version = "257.9-1",
                                        .scorer_version = SCORER_VERSION,
                                        .cause = CAUSE_PERIODIC,
                                };
                                r = store_add_score(st, &sc);
                                if (r < 0)
                                        return 1;
                                w += (uint64_t) r;
                        }
                        if (store_commit(st) < 0)
                                return 1;
                        t_all[k] = now_monotonic_usec() - a;
                }
                stats("every unit handed to the store unchanged (persist() before)", t_all,
                      ELEMENTSOF(t_all));
                if (w != 0)
                        fprintf(stderr, "unexpected: %" PRIu64 " rows written\n", w);
        }
        {
                StoreStats ss;
                uint64_t a = now_monotonic_usec();
                if (store_stats(st, &ss) >= 0)
                        printf("store_stats (the status page's counts): %.3f ms; %" PRIu64
                               " change rows kept\n", (double) (now_monotonic_usec() - a) / 1000.0,
                               ss.n_changes);
        }
        st = store_free(st);
        printf("database file after close: %.1f MiB (%" PRIu64 " bytes)\n",
               (double) file_bytes(path) / 1048576.0, file_bytes(path));
        for (size_t i = 0; i < n_units; i++)
                free(names[i]);
        free(names);
        free(t_write);
        free(t_prune);
        unit_props_done(&props);
        return 0;
}
