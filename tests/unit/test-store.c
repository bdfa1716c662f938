/* SPDX-License-Identifier: MIT */
/* The history store against real SQLite (":memory:" and temporary files): migrations from every
 * earlier schema, round trips, change-only semantics, events, retention, bounds, bad input,
 * batches, disk full, a read-only reader next to the writer, and kill -9 in the middle of writes.
 * The test talks to sqlite3 directly only to build old schemas and to inspect the file. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "blame.h"
#include "embed.h"
#include "store.h"
#include "util.h"

#define T0 1700000000000000ULL /* a CLOCK_REALTIME in usec */
#define SEC 1000000ULL
#define N_CHECKS 80

static char check_names[N_CHECKS][32];

static void init_names(void) {
        for (size_t i = 0; i < N_CHECKS; i++)
                (void) snprintf(check_names[i], sizeof check_names[i], "Check%zu=", i);
}

typedef struct Fixture {
        StoreVerdict v[N_CHECKS];
        StoreScore sc;
} Fixture;

/* A score of `unit` where every check has badness base (check i: (base + i) % 3; i % 7 == 0 is
 * not applicable). */
static void make_score(Fixture *f, const char *unit, uint64_t t, unsigned exposure, unsigned base) {
        for (size_t i = 0; i < N_CHECKS; i++)
                f->v[i] =
                        (StoreVerdict){ check_names[i], i % 7 == 0 ? BADNESS_NA : (base + i) % 3 };
        f->sc = (StoreScore){
                .unit = unit,
                .time_usec = t,
                .exposure = exposure,
                .predicate = exposure >= 90 ? PREDICATE_UNSAFE : PREDICATE_MEDIUM,
                .verdicts = f->v,
                .n_verdicts = N_CHECKS,
                .systemd_version = "252.38-1~deb12u1",
                .scorer_version = "1",
                .cause = CAUSE_STARTUP,
                .kind = EVENT_NONE,
        };
}

static char *temp_db(void) {
        char *dir = xstrdup("/tmp/test-store-XXXXXX");
        assert_non_null(mkdtemp(dir));
        char *p = NULL;
        assert_true(asprintf(&p, "%s/h.db", dir) > 0);
        free(dir);
        return p;
}

static void remove_db(char *p) {
        char *d = xstrdup(p);
        const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                char *f = NULL;
                assert_true(asprintf(&f, "%s%s", p, suffixes[i]) > 0);
                (void) unlink(f);
                free(f);
        }
        *strrchr(d, '/') = 0;
        (void) rmdir(d);
        free(d);
        free(p);
}

static unsigned n_migrations(void) {
        unsigned n = 0;
        while (sql_migrations[n].name)
                n++;
        return n;
}

static void test_open_memory(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        StoreStats st;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.schema_version, n_migrations());
        assert_true(st.schema_version >= 2);
        assert_int_equal(st.n_units, 0);
        assert_int_equal(st.n_changes, 0);
        assert_int_equal(store_check(s), 0);
        /* Migrations are numbered 1..N in order, each file named NNNN-*.sql. */
        for (unsigned i = 0; i < n_migrations(); i++) {
                char want[16];
                (void) snprintf(want, sizeof want, "%04u-", i + 1);
                assert_true(startswith(sql_migrations[i].name, want));
        }
}

/* Build a database at schema k with raw SQLite (the migrations as shipped), with one unit, one
 * check, a first score and a regression where the schema has the tables, then let store_open()
 * migrate it. */
static void test_migrate_from_every_version(void **state) {
        (void) state;
        for (unsigned k = 0; k < n_migrations(); k++) {
                char *p = temp_db();
                sqlite3 *db;

                assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
                for (unsigned i = 0; i < k; i++)
                        assert_int_equal(sqlite3_exec(db, sql_migrations[i].data, NULL, NULL, NULL),
                                         SQLITE_OK);
                if (k >= 1) {
                        /* v = 2+b encoding, check 1 went from badness 0 to 1: see store.c. */
                        const char *data =
                                "INSERT INTO versions VALUES (1, '252', '1', 1700000000000000);"
                                "INSERT INTO checks VALUES (1, 'PrivateNetwork=');"
                                "INSERT INTO units (id, name, first_seen, last_change, exposure,"
                                " predicate, version, verdicts) VALUES (1, 'a.service',"
                                " 1700000000000000, 1700000001000000, 50, 3, 1, x'0103');"
                                "INSERT INTO changes (unit, time, kind, cause, before, exposure,"
                                " predicate, version, checks) VALUES (1, 1700000000000000, 0, 0,"
                                " NULL, 40, 2, 1, NULL);"
                                "INSERT INTO changes (unit, time, kind, cause, before, exposure,"
                                " predicate, version, checks) VALUES (1, 1700000001000000, 1, 3,"
                                " 40, 50, 3, 1, x'010203');";
                        assert_int_equal(sqlite3_exec(db, data, NULL, NULL, NULL), SQLITE_OK);
                }
                assert_int_equal(sqlite3_close(db), SQLITE_OK);

                _cleanup_(store_freep) Store *s = NULL;
                StoreStats st;
                assert_int_equal(store_open(p, &s), 0);
                assert_int_equal(store_stats(s, &st), 0);
                assert_int_equal(st.schema_version, n_migrations());
                assert_int_equal(store_check(s), 0);
                if (k >= 1) {
                        StoreCurrent *c = NULL;
                        Change *h = NULL;
                        size_t n = 0;

                        assert_int_equal(store_load_current(s, &c), 0);
                        assert_int_equal(c->n_units, 1);
                        assert_string_equal(c->units[0].name, "a.service");
                        /* counted by 0002; rows written raw after it carry their own (0) */
                        assert_int_equal(c->units[0].regressions, k < 2 ? 1 : 0);
                        assert_int_equal(c->units[0].n_verdicts, 1);
                        assert_string_equal(c->units[0].verdicts[0].check, "PrivateNetwork=");
                        assert_int_equal(c->units[0].verdicts[0].badness, 1);
                        store_current_free(c);

                        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 10, &h, &n), 0);
                        assert_int_equal(n, 2);
                        assert_int_equal(h[0].kind, EVENT_REGRESSION);
                        assert_int_equal(h[0].n_checks, 1);
                        assert_int_equal(h[0].checks[0].old_badness, 0);
                        assert_int_equal(h[0].checks[0].new_badness, 1);
                        changes_free(h, n);

                        /* Every schema gets the snapshots table (0005) for its units. */
                        char *files = NULL;
                        int running = 0;
                        uint64_t start = 0;
                        assert_int_equal(store_put_snapshot(s, &(StoreSnapshot) {
                                .unit = "a.service", .files = "s1\n", .running_exposure = 50,
                                .running_start_usec = 9 }), 1);
                        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running,
                                                            &start), 1);
                        assert_string_equal(files, "s1\n");
                        assert_int_equal(running, 50);
                        free(files);
                }
                s = store_free(s);
                /* Opening again is a no-op. */
                assert_int_equal(store_open(p, &s), 0);
                remove_db(p);
        }
}

static void test_newer_schema_refused(void **state) {
        char *p = temp_db();
        sqlite3 *db;
        Store *s = NULL;

        (void) state;
        assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_close(db), SQLITE_OK);
        assert_int_equal(store_open(p, &s), -EPROTO);
        assert_null(s);
        assert_int_equal(store_open_readonly(p, &s), -EPROTO);

        /* Not a database at all. */
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        (void) fputs("this is not an SQLite database, not even close, really not...\n", f);
        for (int i = 0; i < 100; i++)
                (void) fputs("garbage garbage garbage garbage garbage garbage garbage garbage\n",
                             f);
        (void) fclose(f);
        assert_int_equal(store_open(p, &s), -EBADMSG);
        remove_db(p);

        assert_int_equal(store_open_readonly("/nonexistent/dir/x.db", &s), -ENOENT);
        assert_int_equal(store_open("/nonexistent/dir/x.db", &s), -ENOENT);
}

static void test_roundtrip_change_only(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);

        make_score(&f, "a.service", T0, 50, 0);
        f.sc.kind = EVENT_NONE; /* as the manager classifies a baseline score */
        assert_int_equal(store_add_score(s, &f.sc), 1);
        /* The same score again, later, any cause: nothing written. */
        f.sc.time_usec = T0 + SEC;
        f.sc.cause = CAUSE_PERIODIC;
        assert_int_equal(store_add_score(s, &f.sc), 0);

        /* One check changes, exposure does not: a NONE row with just that check. */
        f.v[3].badness = 2;
        f.sc.time_usec = T0 + 2 * SEC;
        f.sc.kind = EVENT_NONE;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        /* Exposure up, two checks change (one to n/a): a regression. */
        f.v[3].badness = 0;
        f.v[4].badness = BADNESS_NA;
        f.sc.exposure = 72;
        f.sc.time_usec = T0 + 3 * SEC;
        f.sc.cause = CAUSE_UNIT_CHANGED;
        f.sc.kind = EVENT_REGRESSION;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        /* Down again: an improvement. */
        f.sc.exposure = 60;
        f.sc.time_usec = T0 + 4 * SEC;
        f.sc.kind = EVENT_IMPROVEMENT;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        /* Verdicts in another order are the same score. */
        StoreVerdict t = f.v[0];
        f.v[0] = f.v[N_CHECKS - 1];
        f.v[N_CHECKS - 1] = t;
        f.sc.time_usec = T0 + 5 * SEC;
        assert_int_equal(store_add_score(s, &f.sc), 0);

        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 100, &h, &n), 0);
        assert_int_equal(n, 4);
        assert_int_equal(h[0].time_usec, T0 + 4 * SEC);
        assert_int_equal(h[0].kind, EVENT_IMPROVEMENT);
        assert_int_equal(h[0].previous, 72);
        assert_int_equal(h[0].exposure, 60);
        assert_int_equal(h[0].n_checks, 0);
        assert_int_equal(h[1].kind, EVENT_REGRESSION);
        assert_int_equal(h[1].cause, CAUSE_UNIT_CHANGED);
        assert_int_equal(h[1].n_checks, 2);
        assert_string_equal(h[1].checks[0].check, "Check3=");
        assert_int_equal(h[1].checks[0].old_badness, 2);
        assert_int_equal(h[1].checks[0].new_badness, 0);
        assert_string_equal(h[1].checks[1].check, "Check4=");
        assert_int_equal(h[1].checks[1].old_badness, 1);
        assert_true(h[1].checks[1].new_badness == BADNESS_NA);
        assert_int_equal(h[2].n_checks, 1);
        assert_int_equal(h[2].previous, 50);
        assert_int_equal(h[3].previous, -1); /* first score */
        assert_int_equal(h[3].n_checks, 0);
        assert_string_equal(h[3].systemd_version, "252.38-1~deb12u1");
        assert_string_equal(h[3].scorer_version, "1");
        changes_free(h, n);

        /* Bounded: since/until/limit. */
        assert_int_equal(
                store_history(s, NULL, "a.service", T0 + 2 * SEC, T0 + 4 * SEC, 100, &h, &n), 0);
        assert_int_equal(n, 2);
        changes_free(h, n);
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 1, &h, &n), 0);
        assert_int_equal(n, 1);
        changes_free(h, n);

        StoreCurrent *c = NULL;
        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->n_units, 1);
        assert_int_equal(c->units[0].exposure, 60);
        assert_int_equal(c->units[0].regressions, 1);
        assert_int_equal(c->units[0].improvements, 1);
        assert_int_equal(c->units[0].first_seen_usec, T0);
        assert_int_equal(c->units[0].last_change_usec, T0 + 4 * SEC);
        assert_int_equal(c->units[0].gone_usec, 0);
        assert_int_equal(c->units[0].n_verdicts, N_CHECKS);
        for (size_t i = 0; i < N_CHECKS; i++) {
                /* sorted by check id, and ids were given in order of first use */
                const StoreVerdict *v = &c->units[0].verdicts[i];
                size_t j = (size_t) atoi(v->check + 5);
                assert_string_equal(v->check, check_names[j]);
                uint64_t want = j == 0              ? f.v[N_CHECKS - 1].badness
                                : j == N_CHECKS - 1 ? f.v[0].badness
                                                    : f.v[j].badness;
                assert_true(v->badness == want);
        }
        store_current_free(c);
}

/* The store judges nothing: a row carries the kind it is given (whatever the exposures), the
 * counters follow the kind, and kinds that are not a score's are refused. */
static void test_kind_as_given(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        StoreCurrent *c = NULL;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        assert_int_equal(store_load_current(s, &c), 0);
        assert_true(c->empty);
        c = store_current_free(c);

        /* A first score given NEW_EXPOSED below any threshold is stored as such. */
        make_score(&f, "a.service", T0, 10, 0);
        f.sc.kind = EVENT_NEW_EXPOSED;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        /* Exposure falls but the caller says REGRESSION (a retry after lost writes compares
         * with what the database holds; the caller knows): stored and counted as given. */
        make_score(&f, "a.service", T0 + SEC, 5, 1);
        f.sc.kind = EVENT_REGRESSION;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        make_score(&f, "a.service", T0 + 2 * SEC, 6, 2);
        f.sc.kind = EVENT_IMPROVEMENT;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        make_score(&f, "a.service", T0 + 3 * SEC, 7, 0);
        f.sc.kind = EVENT_RESCORED;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        /* An unchanged score writes nothing, whatever kind it carries. */
        f.sc.time_usec = T0 + 4 * SEC;
        f.sc.kind = EVENT_REGRESSION;
        assert_int_equal(store_add_score(s, &f.sc), 0);

        /* Kinds that are the store's own rows, or out of range, are refused. */
        const EventKind bad[] = { EVENT_GONE, EVENT_SYSTEMD_UPGRADE,
                                       EVENT_SCORER_UPGRADE, _EVENT_KIND_MAX,
                                       _EVENT_KIND_INVALID };
        make_score(&f, "a.service", T0 + 5 * SEC, 99, 1);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                f.sc.kind = bad[i];
                assert_int_equal(store_add_score(s, &f.sc), -EINVAL);
        }

        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 100, &h, &n), 0);
        assert_int_equal(n, 4);
        assert_int_equal(h[0].kind, EVENT_RESCORED);
        assert_int_equal(h[1].kind, EVENT_IMPROVEMENT);
        assert_int_equal(h[2].kind, EVENT_REGRESSION);
        assert_int_equal(h[2].previous, 10);
        assert_int_equal(h[2].exposure, 5);
        assert_int_equal(h[3].kind, EVENT_NEW_EXPOSED);
        changes_free(h, n);

        assert_int_equal(store_load_current(s, &c), 0);
        assert_false(c->empty);
        assert_int_equal(c->n_units, 1);
        assert_int_equal(c->units[0].regressions, 1);
        assert_int_equal(c->units[0].improvements, 1);
        store_current_free(c);
}

static void test_events_new_gone_upgrade(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *e = NULL;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        make_score(&f, "base.service", T0, 95, 0);
        f.sc.kind = EVENT_NONE; /* a baseline score, above the threshold */
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(
                store_add_scan(s, &(StoreScan){ T0, 1000, 1, 1, CAUSE_STARTUP, NULL, NULL }),
                0);

        make_score(&f, "new.service", T0 + SEC, 95, 1);
        f.sc.cause = CAUSE_UNIT_NEW;
        f.sc.kind = EVENT_NEW_EXPOSED;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        make_score(&f, "quiet.service", T0 + SEC, 89, 1);
        f.sc.kind = EVENT_NONE;
        assert_int_equal(store_add_score(s, &f.sc), 1);

        /* systemd upgrade: exposure changes, blamed on systemd, not counted. */
        make_score(&f, "base.service", T0 + 2 * SEC, 97, 0);
        f.sc.systemd_version = "257.9-1";
        f.sc.cause = CAUSE_SYSTEMD_UPGRADE;
        f.sc.kind = EVENT_RESCORED;
        assert_int_equal(store_add_score(s, &f.sc), 1);

        assert_int_equal(store_unit_gone(s, NULL, "new.service", T0 + 3 * SEC, CAUSE_UNIT_REMOVED),
                         1);
        assert_int_equal(store_unit_gone(s, NULL, "new.service", T0 + 4 * SEC, CAUSE_UNIT_REMOVED),
                         0);
        assert_int_equal(
                store_unit_gone(s, NULL, "never.service", T0 + 4 * SEC, CAUSE_UNIT_REMOVED), 0);

        assert_int_equal(store_events(s, NULL, NULL, 0, 0, 0, 100, &e, &n), 0);
        assert_int_equal(n, 4);
        assert_int_equal(e[0].kind, EVENT_GONE);
        assert_string_equal(e[0].unit, "new.service");
        assert_int_equal(e[0].previous, 95);
        assert_int_equal(e[0].exposure, -1);
        /* upgrade event and the rescored unit share a time: unit name descending, NULL last */
        assert_int_equal(e[1].kind, EVENT_RESCORED);
        assert_int_equal(e[2].kind, EVENT_SYSTEMD_UPGRADE);
        assert_null(e[2].unit);
        assert_string_equal(e[2].systemd_version, "257.9-1");
        assert_string_equal(e[2].systemd_version_before, "252.38-1~deb12u1");
        assert_int_equal(e[3].kind, EVENT_NEW_EXPOSED);
        changes_free(e, n);

        /* Filters: one kind, one unit, time range. */
        assert_int_equal(
                store_events(s, NULL, NULL, EVENT_KIND_MASK(EVENT_NEW_EXPOSED), 0, 0, 100, &e, &n),
                0);
        assert_int_equal(n, 1);
        assert_string_equal(e[0].unit, "new.service");
        changes_free(e, n);
        assert_int_equal(store_events(s, NULL, "base.service", 0, 0, 0, 100, &e, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(e[0].kind, EVENT_RESCORED);
        changes_free(e, n);
        assert_int_equal(store_events(s, NULL, NULL, 0, T0 + 3 * SEC, 0, 100, &e, &n), 0);
        assert_int_equal(n, 1);
        changes_free(e, n);
        assert_int_equal(store_events(s, NULL, NULL, 1U << 31, 0, 0, 100, &e, &n), -EINVAL);

        /* A scorer upgrade that changes no score is still an event, via the scan record. */
        StoreScan scan = { T0 + 4 * SEC, 1, 3, 0, CAUSE_PERIODIC, "257.9-1", "2" };
        assert_int_equal(store_add_scan(s, &scan), 0);
        scan.time_usec++;
        assert_int_equal(store_add_scan(s, &scan), 0);
        assert_int_equal(store_events(s, NULL, NULL, EVENT_KIND_MASK(EVENT_SCORER_UPGRADE), 0, 0,
                                      100, &e, &n),
                         0);
        assert_int_equal(n, 1);
        assert_int_equal(e[0].time_usec, T0 + 4 * SEC);
        assert_string_equal(e[0].scorer_version, "2");
        changes_free(e, n);
        scan.scorer_version = NULL;
        assert_int_equal(store_add_scan(s, &scan), -EINVAL);

        /* Gone units keep their state; a return is recorded even when the score is the same. */
        StoreCurrent *c = NULL;
        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->n_units, 3);
        assert_string_equal(c->units[1].name, "new.service");
        assert_int_equal(c->units[1].gone_usec, T0 + 3 * SEC);
        assert_int_equal(c->units[0].regressions, 0); /* base: rescored is not a regression */
        store_current_free(c);
        make_score(&f, "new.service", T0 + 5 * SEC, 95, 1);
        f.sc.kind = EVENT_NONE;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        f.sc.time_usec = T0 + 6 * SEC;
        assert_int_equal(store_add_score(s, &f.sc), 0);
}

static void test_bad_input(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        StoreStats a, b;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_stats(s, &a), 0);

#define BAD(stmt) \
        do { \
                make_score(&f, "a.service", T0 + SEC, 60, 0); \
                stmt; \
                assert_int_equal(store_add_score(s, &f.sc), -EINVAL); \
        } while (0)
        BAD(f.sc.unit = "");
        BAD(f.sc.unit = NULL);
        BAD(f.sc.unit = "a\nb.service");
        BAD(f.sc.exposure = 101);
        BAD(f.sc.predicate = _PREDICATE_MAX);
        BAD(f.sc.cause = _CAUSE_MAX);
        BAD(f.sc.time_usec = 0);
        BAD(f.sc.time_usec = UINT64_MAX);
        BAD(f.sc.systemd_version = NULL);
        BAD(f.sc.n_verdicts = STORE_VERDICTS_MAX + 1);
        BAD(f.v[5].badness = (uint64_t) STORE_BADNESS_MAX + 1);
        BAD(f.v[5].check = "");
        BAD(f.v[5].check = check_names[6]); /* duplicate check */
        char longname[300];
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        BAD(f.sc.unit = longname);
#undef BAD
        /* A unit's time is unique. */
        make_score(&f, "a.service", T0, 60, 0);
        assert_int_equal(store_add_score(s, &f.sc), -EEXIST);

        assert_int_equal(store_stats(s, &b), 0);
        assert_int_equal(a.n_changes, b.n_changes);
        assert_int_equal(a.n_units, b.n_units);
        assert_int_equal(a.n_checks, b.n_checks);
        assert_int_equal(b.last_error, -EEXIST);

        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 0, &h, &n), -ERANGE);
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, STORE_ROWS_MAX + 1, &h, &n),
                         -ERANGE);
        assert_int_equal(store_events(s, NULL, NULL, 0, 0, 0, STORE_ROWS_MAX + 1, &h, &n), -ERANGE);
        assert_int_equal(store_history(s, NULL, "b.service", 0, 0, 10, &h, &n), -ENOENT);
        assert_int_equal(store_history(s, NULL, "", 0, 0, 10, &h, &n), -EINVAL);
        assert_int_equal(
                store_add_scan(s, &(StoreScan){ 0, 0, 0, 0, CAUSE_STARTUP, NULL, NULL }),
                -EINVAL);
        assert_int_equal(store_commit(s), -EINVAL);

        assert_int_equal(cause_from_string("reload"), CAUSE_RELOAD);
        assert_int_equal(cause_from_string("nope"), _CAUSE_INVALID);
        assert_string_equal(event_kind_to_string(EVENT_NEW_EXPOSED),
                            "new-exposed-unit");
        assert_null(event_kind_to_string(_EVENT_KIND_MAX));
        for (int i = 0; i < _EVENT_KIND_MAX; i++)
                assert_int_equal(event_kind_from_string(event_kind_to_string(i)), i);
        for (int i = 0; i < _CAUSE_MAX; i++)
                assert_int_equal(cause_from_string(cause_to_string(i)), i);
}

static void test_batches(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        StoreStats st;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_begin(s), -EBUSY);
        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        store_rollback(s);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.n_units, 0);
        assert_int_equal(st.n_checks, 0); /* interned names went with the rollback */

        /* A failing write aborts the whole batch; later writes of it return the same error. */
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(
                store_add_scan(s, &(StoreScan){ T0, 1, 1, 1, CAUSE_STARTUP, NULL, NULL }), 0);
        assert_int_equal(
                store_add_scan(s, &(StoreScan){ T0, 1, 1, 1, CAUSE_STARTUP, NULL, NULL }),
                -EEXIST);
        make_score(&f, "b.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), -EEXIST);
        assert_int_equal(store_commit(s), -EEXIST);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.n_units, 0);
        assert_int_equal(st.n_scans, 0);

        /* The retry of the same batch works. */
        assert_int_equal(store_begin(s), 0);
        make_score(&f, "a.service", T0, 95, 0);
        f.sc.kind = EVENT_NONE;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(
                store_add_scan(s, &(StoreScan){ T0, 1, 1, 1, CAUSE_STARTUP, NULL, NULL }), 0);
        assert_int_equal(store_commit(s), 0);
        make_score(&f, "b.service", T0 + SEC, 95, 0);
        f.sc.kind = EVENT_NEW_EXPOSED;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.n_units, 2);
        assert_int_equal(st.n_scans, 1);
        assert_int_equal(st.last_error, 0);
}

static void test_prune(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        StoreStats st;
        uint64_t deleted = 0;
        size_t n;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        for (unsigned i = 0; i < 10; i++) {
                make_score(&f, "a.service", T0 + i * SEC, 50 + i, i);
                assert_int_equal(store_add_score(s, &f.sc), 1);
                assert_int_equal(
                        store_add_scan(s, &(StoreScan){ T0 + i * SEC, 5, 2, 1, CAUSE_PERIODIC,
                                                        NULL, NULL }),
                        0);
        }
        make_score(&f, "b.service", T0, 10, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_unit_gone(s, NULL, "b.service", T0 + 2 * SEC, CAUSE_UNIT_REMOVED),
                         1);

        assert_int_equal(store_prune(s, T0 + 5 * SEC, &deleted), 0);
        /* a: 5 changes; b: 2 changes + the unit; 5 scans */
        assert_int_equal(deleted, 5 + 2 + 1 + 5);
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 100, &h, &n), 0);
        assert_int_equal(n, 5);
        assert_int_equal(h[n - 1].time_usec, T0 + 5 * SEC);
        changes_free(h, n);
        assert_int_equal(store_history(s, NULL, "b.service", 0, 0, 100, &h, &n), -ENOENT);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.n_units, 1);
        assert_int_equal(st.n_scans, 5);
        /* Pruning everything keeps the present unit's current state. */
        assert_int_equal(store_prune(s, T0 + 100 * SEC, NULL), 0);
        StoreCurrent *c = NULL;
        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->n_units, 1);
        assert_int_equal(c->units[0].exposure, 59);
        store_current_free(c);
        make_score(&f, "a.service", T0 + 200 * SEC, 59, 9);
        assert_int_equal(store_add_score(s, &f.sc), 0);
        assert_int_equal(store_check(s), 0);
}

/* Disk full, simulated with SQLite's own page cap on a real file: the write fails cleanly, the
 * store stays usable, and the retry after the condition clears records the change exactly once. */
static void test_disk_full(void **state) {
        char *p = temp_db();
        _cleanup_(store_freep) Store *s = NULL;
        StoreStats st;
        Change *h = NULL;
        size_t n;
        Fixture f;
        char unit[64];
        int r = 0;

        (void) state;
        assert_int_equal(store_open(p, &s), 0);
        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_stats(s, &st), 0);
        /* The cap counts the WAL: its budget (64 KiB at least) comes off the main file's share. */
        assert_int_equal(store_set_size_limit(s, 4096), -ERANGE);
        assert_int_equal(store_set_size_limit(s, st.db_bytes + 4096 + 65536), 0);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.wal_budget_bytes, 65536);

        unsigned i;
        for (i = 0; i < 10000; i++) {
                (void) snprintf(unit, sizeof unit, "filler-%u.service", i);
                make_score(&f, unit, T0, 50, i);
                r = store_add_score(s, &f.sc);
                if (r < 0)
                        break;
        }
        assert_int_equal(r, -ENOSPC);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.last_error, -ENOSPC);
        assert_int_equal(st.n_units, i + 1);
        assert_int_equal(store_check(s), 0);
        /* Reads still work. */
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        changes_free(h, n);
        /* A batch fails as a whole. */
        assert_int_equal(store_begin(s), 0);
        make_score(&f, "a.service", T0 + SEC, 70, 1);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_add_score(s, &f.sc) == 0 ? 0 : 1, 0);
        assert_int_equal(store_add_score(s, &(StoreScore){ 0 }), -EINVAL);
        make_score(&f, unit, T0 + SEC, 50, i);
        assert_int_equal(store_add_score(s, &f.sc), -ENOSPC);
        assert_int_equal(store_commit(s), -ENOSPC);

        /* Space comes back: the same calls succeed, once. */
        assert_int_equal(store_set_size_limit(s, 0), 0);
        make_score(&f, "a.service", T0 + SEC, 70, 1);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_add_score(s, &f.sc), 0);
        make_score(&f, unit, T0 + SEC, 50, i);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.last_error, 0);
        assert_true(st.n_write_errors >= 2);
        assert_int_equal(store_check(s), 0);
        s = store_free(s);
        remove_db(p);
}

/* A read-only store (the admin CLI) next to the daemon's writer: it sees committed rows only,
 * never blocks the writer, and cannot write. */
static void test_readonly_concurrent(void **state) {
        char *p = temp_db();
        _cleanup_(store_freep) Store *w = NULL, *r = NULL;
        Change *h = NULL;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(p, &w), 0);
        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(w, &f.sc), 1);

        assert_int_equal(store_open_readonly(p, &r), 0);
        assert_int_equal(store_begin(w), 0);
        make_score(&f, "a.service", T0 + SEC, 60, 1);
        assert_int_equal(store_add_score(w, &f.sc), 1);
        /* The reader, mid-batch: only the committed row. */
        assert_int_equal(store_history(r, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 1);
        changes_free(h, n);
        assert_int_equal(store_commit(w), 0);
        assert_int_equal(store_history(r, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 2);
        /* New check names written after the reader opened are resolved. */
        changes_free(h, n);
        f.v[1].check = "BrandNew=";
        f.sc.time_usec = T0 + 2 * SEC;
        assert_int_equal(store_add_score(w, &f.sc), 1);
        assert_int_equal(store_history(r, NULL, "a.service", 0, 0, 1, &h, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(h[0].n_checks, 2);
        assert_string_equal(h[0].checks[0].check, "Check1=");
        assert_true(h[0].checks[0].new_badness == BADNESS_ABSENT);
        assert_string_equal(h[0].checks[1].check, "BrandNew=");
        assert_true(h[0].checks[1].old_badness == BADNESS_ABSENT);
        changes_free(h, n);

        make_score(&f, "a.service", T0 + 9 * SEC, 70, 0);
        assert_int_equal(store_add_score(r, &f.sc), -EROFS);
        assert_int_equal(store_begin(r), -EROFS);
        assert_int_equal(store_prune(r, T0, NULL), -EROFS);
        assert_int_equal(store_check(r), 0);
        r = store_free(r);
        w = store_free(w);

        /* An old schema cannot be read without migrating it first. */
        sqlite3 *db;
        assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_close(db), SQLITE_OK);
        assert_int_equal(store_open_readonly(p, &r), -ESTALE);
        remove_db(p);
}

/* kill -9 while a child writes batches: the file stays sound and every batch the child reported
 * committed is there. */
static void test_crash(void **state) {
        char *p = temp_db();
        unsigned seed = (unsigned) time(NULL);

        unsigned checked = 0;

        (void) state;
        srand(seed);
        for (int round = 0; round < 6; round++) {
                int fds[2];
                assert_int_equal(pipe(fds), 0);
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        Store *s = NULL;
                        Fixture f;
                        close(fds[0]);
                        if (store_open(p, &s) < 0)
                                _exit(1);
                        for (unsigned i = 0;; i++) {
                                uint64_t t = T0 + ((uint64_t) round * 100000 + i) * SEC;
                                if (store_begin(s) < 0)
                                        _exit(2);
                                for (unsigned u = 0; u < 20; u++) {
                                        char unit[32];
                                        (void) snprintf(unit, sizeof unit, "u%u.service", u);
                                        make_score(&f, unit, t, (i + u) % 100, i + u);
                                        /* strictly increasing: every batch changes every unit */
                                        f.v[1].badness = (uint64_t) round * 100000 + i;
                                        if (store_add_score(s, &f.sc) < 0)
                                                _exit(3);
                                }
                                if (store_add_scan(s,
                                                   &(StoreScan){ t, 1, 20, 20, CAUSE_PERIODIC,
                                                                 NULL, NULL }) < 0 ||
                                    store_commit(s) < 0)
                                        _exit(4);
                                /* Reported only after the commit returned. */
                                if (write(fds[1], &t, sizeof t) != sizeof t)
                                        _exit(5);
                        }
                }
                close(fds[1]);
                uint64_t t, last = 0;
                /* Even rounds kill at any moment (maybe in open or a migration); odd rounds once
                 * the child committed a batch, so that most rounds check a committed row. */
                if (round % 2 == 1 && read(fds[0], &t, sizeof t) == sizeof t)
                        last = t;
                usleep((useconds_t) (rand() % 30000));
                assert_int_equal(kill(pid, SIGKILL), 0);
                int status;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFSIGNALED(status));
                while (read(fds[0], &t, sizeof t) == sizeof t)
                        last = t;
                close(fds[0]);

                _cleanup_(store_freep) Store *s = NULL;
                assert_int_equal(store_open(p, &s), 0);
                assert_int_equal(store_check(s), 0);
                if (last > 0) {
                        Change *h = NULL;
                        size_t n;
                        assert_int_equal(store_history(s, NULL, "u0.service", last, last + 1, 1,
                                                       &h, &n),
                                         0);
                        if (n != 1)
                                fail_msg("round %d (seed %u): committed batch %" PRIu64 " lost",
                                         round, seed, last);
                        changes_free(h, n);
                        checked++;
                }
        }
        /* Every odd round checks a committed batch. */
        assert_true(checked >= 3);
        sqlite3 *db;
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_string_equal((const char *) sqlite3_column_text(q, 0), "ok");
        sqlite3_finalize(q);
        sqlite3_close(db);
        remove_db(p);
}

/* A real full file system: a 256 KiB tmpfs in a private mount namespace (root only; skipped
 * otherwise). A filler file takes the space; removing it must make the same writes succeed. */
static int tmpfs_child(const char *dir) {
        _cleanup_free_ char *p = NULL, *filler = NULL;
        Store *s = NULL;
        Fixture f;
        char unit[64];
        int r = 0;
        unsigned i;

        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
                return 77;
        if (mount("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0700") < 0)
                return 77;
        if (asprintf(&p, "%s/h.db", dir) < 0 || asprintf(&filler, "%s/filler", dir) < 0)
                return 10;
        if (store_open(p, &s) < 0)
                return 11;
        FILE *fl = fopen(filler, "we");
        char block[4096] = {};
        while (fl && fwrite(block, 1, sizeof block, fl) == sizeof block && fflush(fl) == 0)
                ;
        if (!fl)
                return 12;
        (void) fclose(fl);
        for (i = 0; i < 100000; i++) {
                (void) snprintf(unit, sizeof unit, "filler-unit-with-a-long-name-%u.service", i);
                make_score(&f, unit, T0, 50, i);
                r = store_add_score(s, &f.sc);
                if (r < 0)
                        break;
        }
        if (r != -ENOSPC)
                return 13;
        if (store_add_score(s, &f.sc) != -ENOSPC)
                return 14;
        if (unlink(filler) < 0)
                return 15;
        if (store_add_score(s, &f.sc) != 1 || store_add_score(s, &f.sc) != 0)
                return 16;
        if (store_check(s) < 0)
                return 17;
        s = store_free(s);
        if (store_open(p, &s) < 0 || store_check(s) < 0)
                return 18;
        StoreStats st;
        r = store_stats(s, &st) < 0 || st.n_units != i + 1 ? 19 : 0;
        store_free(s);
        return r;
}

static void test_tmpfs_full(void **state) {
        char dir[] = "/tmp/test-store-tmpfs-XXXXXX";
        int status;
        pid_t pid;

        (void) state;
        if (geteuid() != 0)
                skip();
        assert_non_null(mkdtemp(dir));
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(tmpfs_child(dir));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        (void) rmdir(dir);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);
}

static uint64_t mono_usec(void) {
        struct timespec ts;
        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void exec_ok(sqlite3 *db, const char *sql) {
        char *err = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
        if (rc != SQLITE_OK)
                fail_msg("%s: %s", sql, err ? err : sqlite3_errstr(rc));
}

/* A second writer (another connection, as another process would) holds the write lock: a write
 * fails with -EBUSY after about STORE_BUSY_TIMEOUT_MS, the writes after it fail at once for the
 * backoff, reads go on, and once the lock is gone the same write succeeds, once. */
static void test_busy(void **state) {
        char *p = temp_db();
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        StoreStats st;
        sqlite3 *other;
        size_t n;
        Fixture f;
        uint64_t t0, worst = 0;

        (void) state;
        assert_int_equal(store_open(p, &s), 0);
        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);

        assert_int_equal(sqlite3_open(p, &other), SQLITE_OK);
        exec_ok(other, "BEGIN IMMEDIATE; INSERT INTO checks (name) VALUES ('Held=')");
        make_score(&f, "a.service", T0 + SEC, 60, 1);
        t0 = mono_usec();
        assert_int_equal(store_add_score(s, &f.sc), -EBUSY);
        worst = mono_usec() - t0;
        assert_true(worst >= STORE_BUSY_TIMEOUT_MS * 1000ULL / 2);
        assert_true(worst < STORE_BUSY_TIMEOUT_MS * 1000ULL + 200000);
        /* Backing off: at once, without waiting for the lock again; a batch too. 60 writes that
         * each waited for the lock would take at least 60 x STORE_BUSY_TIMEOUT_MS / 2; backing off,
         * they take a fraction of that even under valgrind on a loaded machine (one more bounded
         * wait per backoff period is allowed), so the bound is a quarter of it, not a speed. */
        t0 = mono_usec();
        for (int i = 0; i < 20; i++) {
                assert_int_equal(store_add_score(s, &f.sc), -EBUSY);
                assert_int_equal(store_begin(s), -EBUSY);
                assert_int_equal(store_add_notice(s, T0 + SEC, "x"), -EBUSY);
        }
        assert_true(mono_usec() - t0 < 60 * STORE_BUSY_TIMEOUT_MS * 1000ULL / 4);
        /* Reads are not blocked by a writer (WAL). */
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 1);
        changes_free(h, n);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.last_error, -EBUSY);
        /* After the backoff, still locked: one more bounded wait. */
        (void) usleep(STORE_BUSY_BACKOFF_USEC + 10000);
        t0 = mono_usec();
        assert_int_equal(store_add_score(s, &f.sc), -EBUSY);
        assert_true(mono_usec() - t0 < STORE_BUSY_TIMEOUT_MS * 1000ULL + 200000);

        exec_ok(other, "COMMIT");
        assert_int_equal(sqlite3_close(other), SQLITE_OK);
        (void) usleep(STORE_BUSY_BACKOFF_USEC + 10000);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_add_score(s, &f.sc), 0);
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 2);
        changes_free(h, n);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.last_error, 0);
        s = store_free(s);
        remove_db(p);
}

static bool file_exists(const char *p) {
        return access(p, F_OK) == 0;
}

/* Overwrite len bytes at off with a pattern. */
static void scribble(const char *p, long off, size_t len) {
        FILE *f = fopen(p, "r+");
        assert_non_null(f);
        assert_int_equal(fseek(f, off, SEEK_SET), 0);
        for (size_t i = 0; i < len; i++)
                assert_int_not_equal(fputc(0x5a ^ (int) (i & 0xff), f), EOF);
        assert_int_equal(fclose(f), 0);
}

static void fill(Store *s, unsigned n_units) {
        Fixture f;
        char unit[64];
        assert_int_equal(store_begin(s), 0);
        for (unsigned i = 0; i < n_units; i++) {
                (void) snprintf(unit, sizeof unit, "unit-%u.service", i);
                make_score(&f, unit, T0, i % 100, i);
                assert_int_equal(store_add_score(s, &f.sc), 1);
        }
        assert_int_equal(store_commit(s), 0);
}

/* A database whose pages are damaged is refused at open (-EBADMSG, by quick_check even when the
 * header is fine); store_quarantine() moves it and its WAL aside under a timestamped name, the
 * old bytes intact, and a fresh database opens in its place with a "database" event saying so. */
static void test_corrupt_at_open(void **state) {
        char *p = temp_db();
        _cleanup_free_ char *moved = NULL, *moved2 = NULL, *wal = NULL, *moved_wal = NULL;
        Store *s = NULL;
        Change *e = NULL;
        StoreStats st;
        struct stat before, after;
        size_t n;

        (void) state;
        assert_int_equal(store_open(p, &s), 0);
        fill(s, 400);
        s = store_free(s);
        assert_int_equal(stat(p, &before), 0);
        assert_true(before.st_size > 16 * 4096);
        /* Pages 3.. scribbled over, page 1 (the header, the schema) left alone. */
        scribble(p, 2 * 4096, (size_t) before.st_size - 3 * 4096);
        assert_int_equal(store_open(p, &s), -EBADMSG);
        assert_null(s);
        /* A stray WAL (from the damaged run) moves along. */
        assert_true(asprintf(&wal, "%s-wal", p) > 0);
        FILE *w = fopen(wal, "w");
        assert_non_null(w);
        assert_int_equal(fclose(w), 0);

        assert_int_equal(store_quarantine(p, T0, &moved), 0);
        /* T0 = 2023-11-14T22:13:20Z */
        assert_true(endswith(moved, ".corrupt-20231114T221320Z"));
        assert_true(startswith(moved, p));
        assert_false(file_exists(p));
        assert_false(file_exists(wal));
        assert_true(asprintf(&moved_wal, "%s-wal", moved) > 0);
        assert_true(file_exists(moved_wal));
        assert_int_equal(stat(moved, &after), 0);
        assert_int_equal(after.st_size, before.st_size);
        assert_int_equal(after.st_ino, before.st_ino);

        assert_int_equal(store_open(p, &s), 0);
        assert_int_equal(store_add_notice(s, T0 + SEC, "moved to x"), 0);
        assert_int_equal(store_events(s, NULL, NULL, 0, 0, 0, 10, &e, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(e[0].kind, EVENT_DATABASE);
        assert_null(e[0].unit);
        assert_string_equal(e[0].message, "moved to x");
        assert_int_equal(e[0].time_usec, T0 + SEC);
        changes_free(e, n);
        /* Not in a unit's events, and filtered by kind. */
        assert_int_equal(store_events(s, NULL, "a.service", 0, 0, 0, 10, &e, &n), 0);
        assert_int_equal(n, 0);
        changes_free(e, n);
        assert_int_equal(store_events(s, NULL, NULL, EVENT_KIND_MASK(EVENT_REGRESSION), 0, 0, 10,
                                      &e, &n), 0);
        assert_int_equal(n, 0);
        changes_free(e, n);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.notice_usec, T0 + SEC);
        assert_string_equal(st.notice, "moved to x");
        s = store_free(s);

        /* The same second again: the next free name. */
        scribble(p, 0, 100); /* the header: "not a database" */
        assert_int_equal(store_open(p, &s), -EBADMSG);
        assert_int_equal(store_quarantine(p, T0, &moved2), 0);
        assert_true(endswith(moved2, ".corrupt-20231114T221320Z-2"));
        assert_int_equal(store_quarantine(p, T0, &moved2), -ENOENT);
        assert_int_equal(store_quarantine(":memory:", T0, &moved2), -EINVAL);

        (void) unlink(moved);
        (void) unlink(moved_wal);
        (void) unlink(moved2);
        remove_db(p);
}

/* Damage done to the file while the store is open (behind its page cache) fails the next write
 * with -EBADMSG instead of being written over, and store_check() sees it. */
static void test_corrupt_while_open(void **state) {
        char *p = temp_db();
        _cleanup_(store_freep) Store *s = NULL;
        struct stat st;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(p, &s), 0);
        /* A small WAL budget: the store's own checkpoints copy everything into the main file,
         * while its page cache keeps the pages (nobody else touched the WAL). */
        assert_int_equal(store_set_size_limit(s, 1U << 20), 0);
        fill(s, 400);
        fill(s, 0);
        assert_int_equal(stat(p, &st), 0);
        scribble(p, 2 * 4096, (size_t) st.st_size - 3 * 4096);
        make_score(&f, "unit-7.service", T0 + SEC, 99, 5);
        assert_int_equal(store_add_score(s, &f.sc), -EBADMSG);
        assert_int_equal(store_check(s), -EBADMSG);
        /* Closed without a checkpoint into the damaged file: the WAL stays, to move with it. */
        _cleanup_free_ char *wal = NULL;
        assert_true(asprintf(&wal, "%s-wal", p) > 0);
        assert_int_equal(stat(wal, &st), 0);
        s = store_free(s);
        assert_int_equal(stat(wal, &st), 0); /* a checkpointing close would have removed it */
        remove_db(p);
}

/* The size cap counts the WAL: a reader that keeps the WAL from being checkpointed makes writes
 * fail with -ENOSPC once the WAL outgrows its budget; when the reader is gone the WAL is
 * truncated and writes work again. Without a reader the WAL stays within its budget. */
static void test_wal_budget(void **state) {
        char *p = temp_db();
        _cleanup_free_ char *wal = NULL;
        _cleanup_(store_freep) Store *s = NULL;
        StoreStats st;
        sqlite3 *reader;
        sqlite3_stmt *q;
        struct stat sw;
        Fixture f;
        char unit[64];
        int r = 0;
        unsigned i;

        (void) state;
        assert_true(asprintf(&wal, "%s-wal", p) > 0);
        assert_int_equal(store_open(p, &s), 0);
        assert_int_equal(store_set_size_limit(s, 4U << 20), 0); /* 4 MiB: a 512 KiB WAL budget */
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.wal_budget_bytes, 512U << 10);
        for (i = 0; i < 600; i++) {
                (void) snprintf(unit, sizeof unit, "u-%u.service", i);
                make_score(&f, unit, T0, 50, i);
                assert_int_equal(store_add_score(s, &f.sc), 1);
                assert_int_equal(stat(wal, &sw), 0);
                assert_true((uint64_t) sw.st_size <= (512U << 10) + 64 * 1024);
        }

        /* A reader holding a snapshot pins the WAL. */
        assert_int_equal(sqlite3_open(p, &reader), SQLITE_OK);
        exec_ok(reader, "BEGIN");
        assert_int_equal(sqlite3_prepare_v2(reader, "SELECT count(*) FROM units", -1, &q, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        for (; i < 100000; i++) {
                (void) snprintf(unit, sizeof unit, "u-%u.service", i);
                make_score(&f, unit, T0, 50, i);
                r = store_add_score(s, &f.sc);
                if (r < 0)
                        break;
        }
        assert_int_equal(r, -ENOSPC);
        assert_int_equal(stat(wal, &sw), 0);
        assert_true((uint64_t) sw.st_size > (512U << 10));
        assert_true((uint64_t) sw.st_size < (512U << 10) + 64 * 1024);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.last_error, -ENOSPC);
        assert_true(st.db_bytes + st.wal_bytes <= (4U << 20) + 64 * 1024);

        sqlite3_finalize(q);
        exec_ok(reader, "COMMIT");
        assert_int_equal(sqlite3_close(reader), SQLITE_OK);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(stat(wal, &sw), 0);
        assert_true((uint64_t) sw.st_size <= (512U << 10));
        assert_int_equal(store_check(s), 0);
        s = store_free(s);
        remove_db(p);
}

/* The cutoff of a prune pass, by the rules of store.h. */
static void test_retention_cutoff(void **state) {
        const uint64_t R = 90 * 86400 * SEC, NOW = T0 + 400 * 86400 * SEC, Y = 365 * 86400 * SEC;
        const uint64_t S = STORE_CUTOFF_SLACK_USEC;

        (void) state;
        /* First pass: the stored time bounds it; an empty history does not. */
        assert_true(store_retention_cutoff(NOW - R, R, NOW, true, 0, 0) == NOW - R);
        assert_true(store_retention_cutoff(NOW + 10 * Y - R, R, NOW, true, 0, 0) == NOW - R);
        assert_true(store_retention_cutoff(NOW - R, R, 0, true, 0, 0) == NOW - R);
        assert_true(store_retention_cutoff(NOW - R, R, R / 2, true, 0, 0) == 0);
        /* Later passes: no faster than the time that passed. */
        assert_true(store_retention_cutoff(NOW - R + 3600 * SEC, R, NOW, false, NOW - R,
                                           3600 * SEC) == NOW - R + 3600 * SEC);
        assert_true(store_retention_cutoff(NOW + 10 * Y - R, R, NOW, false, NOW - R, 3600 * SEC) ==
                    NOW - R + 3600 * SEC + S);
        /* A clock set back: the cutoff stays. */
        assert_true(store_retention_cutoff(NOW - Y - R, R, NOW, false, NOW - R, 3600 * SEC) ==
                    NOW - R);
        /* No overflow. */
        assert_true(store_retention_cutoff(UINT64_MAX - 1, R, NOW, false, UINT64_MAX - 10,
                                           UINT64_MAX / 2) == UINT64_MAX - 1);
}

/* Pruning never takes a present unit's newest change, takes a gone unit whole, and takes old
 * "database" events like the rest. */
static void test_prune_keeps_newest(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *h = NULL;
        StoreStats st;
        uint64_t deleted = 0, last = 0;
        size_t n;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        assert_int_equal(store_last_time(s, &last), 0);
        assert_int_equal(last, 0);
        for (unsigned i = 0; i < 3; i++) {
                make_score(&f, "a.service", T0 + i * SEC, 50 + i, i);
                assert_int_equal(store_add_score(s, &f.sc), 1);
                make_score(&f, "b.service", T0 + i * SEC, 20 + i, i);
                assert_int_equal(store_add_score(s, &f.sc), 1);
        }
        assert_int_equal(store_unit_gone(s, NULL, "b.service", T0 + 3 * SEC, CAUSE_UNIT_REMOVED),
                         1);
        assert_int_equal(store_add_notice(s, T0 + 4 * SEC, "something happened"), 0);
        assert_int_equal(store_last_time(s, &last), 0);
        assert_int_equal(last, T0 + 4 * SEC);
        /* A clock ten years ahead would prune "everything". */
        assert_int_equal(store_prune(s, T0 + 10ULL * 365 * 86400 * SEC, &deleted), 0);
        /* a: 2 of 3; b: 4 rows and the unit; the notice */
        assert_int_equal(deleted, 2 + 4 + 1 + 1);
        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(h[0].time_usec, T0 + 2 * SEC);
        assert_int_equal(h[0].exposure, 52);
        changes_free(h, n);
        assert_int_equal(store_history(s, NULL, "b.service", 0, 0, 10, &h, &n), -ENOENT);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.notice_usec, 0);
        assert_string_equal(st.notice, "");
        /* Bad notices. */
        assert_int_equal(store_add_notice(s, T0, ""), -EINVAL);
        assert_int_equal(store_add_notice(s, 0, "x"), -EINVAL);
        assert_int_equal(store_add_notice(s, T0, "line\nbreak"), -EINVAL);
        assert_int_equal(store_add_notice(s, T0, "bad \xff utf-8"), -EINVAL);
        char big[STORE_MESSAGE_MAX + 2];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        assert_int_equal(store_add_notice(s, T0, big), -EINVAL);
        big[STORE_MESSAGE_MAX] = 0;
        assert_int_equal(store_add_notice(s, T0, big), 0);
        assert_int_equal(store_add_notice(s, T0, "déjà vu — ok"), 0);
}

/* Policy events: rows of the unit's history and the events, with the ceiling in "previous" and
 * the checks concerned; the OVER_POLICY row 1 us after a regression marks it broke_policy; the
 * units last seen over policy; bad input refused; unknown units write nothing. */
/* Blame's snapshots: stored per unit, replaced, read back; none for a unit never stored; gone
 * with the unit's row; bounded. */
static void test_snapshots(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        char *files = NULL;
        int running = 0;
        uint64_t start = 0, deleted = 0;
        Fixture f;
        StoreSnapshot snap = { .unit = "a.service", .files = "s1\nt\t17\n",
                               .running_exposure = 42, .running_start_usec = T0 - SEC };

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        /* No row of the unit: nothing stored, nothing to read. */
        assert_int_equal(store_put_snapshot(s, &snap), 0);
        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running, &start), 0);
        assert_null(files);

        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        make_score(&f, "b.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_put_snapshot(s, &snap), 1);
        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running, &start), 1);
        assert_string_equal(files, "s1\nt\t17\n");
        assert_int_equal(running, 42);
        assert_int_equal(start, T0 - SEC);
        free(files);
        /* Replaced; no main process. */
        snap.files = "s1\n";
        snap.running_exposure = -1;
        snap.running_start_usec = 0;
        assert_int_equal(store_put_snapshot(s, &snap), 1);
        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running, &start), 1);
        assert_string_equal(files, "s1\n");
        assert_int_equal(running, -1);
        assert_int_equal(start, 0);
        free(files);
        files = NULL;
        assert_int_equal(store_get_snapshot(s, "b.service", &files, &running, &start), 0);

        /* Bad input. */
        StoreSnapshot bad[] = {
                { .unit = "a.service", .files = "", .running_exposure = -1 },
                { .unit = "a.service", .files = NULL, .running_exposure = -1 },
                { .unit = "", .files = "s1\n", .running_exposure = -1 },
                { .unit = "a.service", .files = "s1\n", .running_exposure = 101 },
                { .unit = "a.service", .files = "s1\n", .running_exposure = -2 },
                { .unit = "a.service", .files = "s1\n", .running_start_usec = UINT64_MAX },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(store_put_snapshot(s, &bad[i]), -EINVAL);
        char *big = xmalloc(BLAME_SNAPSHOT_TEXT_MAX + 2);
        memset(big, 'x', BLAME_SNAPSHOT_TEXT_MAX + 1);
        big[BLAME_SNAPSHOT_TEXT_MAX + 1] = 0;
        snap.files = big;
        assert_int_equal(store_put_snapshot(s, &snap), -EINVAL);
        free(big);
        assert_int_equal(store_get_snapshot(s, "", &files, &running, &start), -EINVAL);

        /* The unit's row goes (gone, then pruned): its snapshot with it. */
        snap.files = "s1\n";
        assert_int_equal(store_put_snapshot(s, &snap), 1);
        assert_int_equal(store_unit_gone(s, NULL, "a.service", T0 + SEC, CAUSE_UNIT_REMOVED), 1);
        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running, &start), 1);
        free(files);
        assert_int_equal(store_prune(s, T0 + 10 * SEC, &deleted), 0);
        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running, &start), 0);
        StoreCurrent *c = NULL;
        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->n_units, 1);
        store_current_free(c);
}

/* A unit whose files are huge and many costs the database at most BLAME_SNAPSHOT_TEXT_MAX,
 * however often it is stored (one row, replaced): measured on a file. */
static void test_snapshot_size_bounded(void **state) {
        char *p = temp_db();
        Buf t = {}, text = {};
        BlameFiles snap = {};
        StoreStats a, b;
        Fixture f;

        (void) state;
        /* 16 drop-ins of 1 MiB each (BLAME_READ_MAX), every line a distinct directive. */
        buf_puts(&t, "[Service]\n");
        for (unsigned i = 0; t.len < 1024U * 1024U; i++)
                buf_printf(&t, "Environment=VARIABLE_%u=%0200u\n", i, i);
        snap.n_files = BLAME_SNAPSHOT_FILES_MAX;
        snap.files = xcalloc(snap.n_files, sizeof(BlameFile));
        for (size_t i = 0; i < snap.n_files; i++) {
                BlameFile *file = &snap.files[i];
                assert_true(asprintf(&file->path, "/etc/systemd/system/big.service.d/%zu.conf",
                                     i) > 0);
                file->size = t.len;
                sha256(t.data, t.len, file->sha256);
                blame_parse(t.data, t.len, &file->directives, &file->n_directives);
        }
        blame_files_encode(&snap, &text);
        assert_true(text.len <= BLAME_SNAPSHOT_TEXT_MAX);
        assert_true(text.len < BLAME_SNAPSHOT_LINES_MAX + 16 * 200);

        {
                _cleanup_(store_freep) Store *s = NULL;
                assert_int_equal(store_open(p, &s), 0);
                make_score(&f, "big.service", T0, 50, 0);
                assert_int_equal(store_add_score(s, &f.sc), 1);
                assert_int_equal(store_stats(s, &a), 0);
                for (unsigned i = 0; i < 50; i++) {
                        StoreSnapshot sn = { .unit = "big.service", .files = text.data,
                                             .running_exposure = 50,
                                             .running_start_usec = T0 + i };
                        assert_int_equal(store_put_snapshot(s, &sn), 1);
                }
                assert_int_equal(store_stats(s, &b), 0);
        }
        /* 16 MiB of files, stored 50 times: the database grew by less than 100 KiB. */
        assert_true(b.db_bytes - a.db_bytes < 100U * 1024U);
        blame_files_done(&snap);
        buf_done(&t);
        buf_done(&text);
        remove_db(p);
}

/* A policy event of a unit the store has no row of (it went over policy and left while the
 * database was down): with the unit's score given, the score is stored first and the event is
 * in the history, marking that score as the one that broke the policy. */
static void test_policy_event_unstored_unit(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Change *e = NULL;
        char **over = NULL;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        make_score(&f, "left.service", T0, 92, 0);
        f.sc.kind = EVENT_NEW_EXPOSED;
        StorePolicyEvent ev = {
                .unit = "left.service", .time_usec = T0 + 1, .kind = EVENT_OVER_POLICY,
                .cause = CAUSE_UNIT_NEW, .ceiling = 50, .exposure = 92,
                .predicate = PREDICATE_UNSAFE, .score = &f.sc,
        };
        /* The score must be this unit's and come before the event. */
        f.sc.time_usec = T0 + 1;
        assert_int_equal(store_add_policy_event(s, &ev), -EINVAL);
        f.sc.time_usec = T0;
        f.sc.exposure = 101;
        assert_int_equal(store_add_policy_event(s, &ev), -EINVAL);
        f.sc.exposure = 92;
        assert_int_equal(store_events(s, NULL, NULL, 0, 0, 0, 100, &e, &n), 0);
        assert_int_equal(n, 0);
        changes_free(e, n);

        assert_int_equal(store_add_policy_event(s, &ev), 1);
        assert_int_equal(store_history(s, NULL, "left.service", 0, 0, 10, &e, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(e[0].kind, EVENT_OVER_POLICY);
        assert_int_equal(e[0].time_usec, T0 + 1);
        assert_int_equal(e[0].previous, 50);
        assert_int_equal(e[1].kind, EVENT_NEW_EXPOSED);
        assert_int_equal(e[1].exposure, 92);
        assert_true(e[1].broke_policy);
        changes_free(e, n);
        assert_int_equal(store_policy_over_units(s, &over), 0);
        assert_int_equal(strv_length(over), 1);
        assert_string_equal(over[0], "left.service");
        strv_free(over);

        /* Stored now: a later event does not store the score again. */
        ev.kind = EVENT_WITHIN_POLICY;
        ev.time_usec = T0 + 2;
        assert_int_equal(store_add_policy_event(s, &ev), 1);
        assert_int_equal(store_history(s, NULL, "left.service", 0, 0, 10, &e, &n), 0);
        assert_int_equal(n, 3);
        changes_free(e, n);
}

static void test_policy_events(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        StorePolicyCheck checks[] = { { "PrivateNetwork=", 1 }, { "Check3=", 2 } };
        Change *e = NULL;
        char **over = NULL;
        size_t n = 0;
        Fixture f;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        make_score(&f, "a.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        make_score(&f, "b.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        make_score(&f, "a.service", T0 + SEC, 80, 1);
        f.sc.kind = EVENT_REGRESSION;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        StorePolicyEvent ev = {
                .unit = "a.service", .time_usec = T0 + SEC + 1, .kind = EVENT_OVER_POLICY,
                .cause = CAUSE_UNIT_CHANGED, .ceiling = 70, .exposure = 80,
                .predicate = PREDICATE_EXPOSED, .checks = checks, .n_checks = 2,
        };
        assert_int_equal(store_add_policy_event(s, &ev), 1);
        /* b: over, then back within */
        ev.unit = "b.service";
        ev.time_usec = T0 + 2 * SEC;
        ev.n_checks = 0;
        assert_int_equal(store_add_policy_event(s, &ev), 1);
        ev.kind = EVENT_WITHIN_POLICY;
        ev.time_usec = T0 + 3 * SEC;
        assert_int_equal(store_add_policy_event(s, &ev), 1);
        ev.kind = EVENT_WAIVER_EXPIRED;
        ev.time_usec = T0 + 4 * SEC;
        ev.ceiling = -1;
        ev.checks = checks;
        ev.n_checks = 1;
        assert_int_equal(store_add_policy_event(s, &ev), 1);
        /* the same time twice, a unit never stored, bad kinds and values */
        assert_int_equal(store_add_policy_event(s, &ev), -EEXIST);
        ev.unit = "never.service";
        assert_int_equal(store_add_policy_event(s, &ev), 0);
        ev.unit = "b.service";
        ev.kind = EVENT_REGRESSION;
        assert_int_equal(store_add_policy_event(s, &ev), -EINVAL);
        ev.kind = EVENT_OVER_POLICY;
        ev.exposure = 101;
        assert_int_equal(store_add_policy_event(s, &ev), -EINVAL);

        assert_int_equal(store_events(s, NULL, NULL, 0, 0, 0, 100, &e, &n), 0);
        assert_int_equal(n, 5);
        assert_int_equal(e[0].kind, EVENT_WAIVER_EXPIRED);
        assert_int_equal(e[0].previous, -1);
        assert_int_equal(e[0].n_checks, 1);
        assert_string_equal(e[0].checks[0].check, "PrivateNetwork=");
        assert_int_equal(e[0].checks[0].old_badness, BADNESS_ABSENT);
        assert_int_equal(e[0].checks[0].new_badness, 1);
        assert_int_equal(e[1].kind, EVENT_WITHIN_POLICY);
        assert_int_equal(e[2].kind, EVENT_OVER_POLICY);
        assert_string_equal(e[2].unit, "b.service");
        assert_int_equal(e[3].kind, EVENT_OVER_POLICY);
        assert_int_equal(e[3].previous, 70);
        assert_int_equal(e[3].exposure, 80);
        assert_int_equal(e[3].n_checks, 2);
        assert_int_equal(e[4].kind, EVENT_REGRESSION);
        assert_true(e[4].broke_policy);
        for (size_t i = 0; i < 4; i++)
                assert_false(e[i].broke_policy);
        changes_free(e, n);

        /* only these kinds */
        assert_int_equal(store_events(s, NULL, NULL, EVENT_KIND_MASK(EVENT_OVER_POLICY), 0, 0,
                                      100, &e, &n),
                         0);
        assert_int_equal(n, 2);
        changes_free(e, n);
        assert_int_equal(store_policy_over_units(s, &over), 0);
        assert_int_equal(strv_length(over), 1);
        assert_string_equal(over[0], "a.service");
        strv_free(over);
}

static mode_t mode_of(const char *db, const char *suffix) {
        _cleanup_free_ char *f = NULL;
        struct stat st;

        assert_true(asprintf(&f, "%s%s", db, suffix) > 0);
        assert_int_equal(stat(f, &st), 0);
        return st.st_mode & 0777;
}

/* The files are as readable as their directory lets them be: 0640 in a 0750 directory (the
 * admin group reads history), 0600 in a 0700 one; the WAL and its index outlive the daemon's
 * close, so that a reader who cannot create them finds them. Opening errors say their cause. */
static void test_file_modes_and_open_errors(void **state) {
        char *p = temp_db();
        _cleanup_free_ char *dir = xstrdup(p);
        Store *s = NULL;

        (void) state;
        *strrchr(dir, '/') = 0;
        assert_int_equal(chmod(dir, 0750), 0);
        assert_int_equal(store_open(p, &s), 0);
        assert_int_equal(mode_of(p, ""), 0640);
        assert_int_equal(mode_of(p, "-wal"), 0640);
        assert_int_equal(mode_of(p, "-shm"), 0640);
        s = store_free(s);
        assert_int_equal(mode_of(p, "-wal"), 0640); /* kept (SQLITE_FCNTL_PERSIST_WAL) */
        assert_int_equal(mode_of(p, "-shm"), 0640);
        /* An older 0600 set is opened up at the next start; a private directory closes it. */
        assert_int_equal(chmod(p, 0600), 0);
        assert_int_equal(store_open(p, &s), 0);
        assert_int_equal(mode_of(p, ""), 0640);
        s = store_free(s);
        assert_int_equal(chmod(dir, 0700), 0);
        assert_int_equal(store_open(p, &s), 0);
        assert_int_equal(mode_of(p, ""), 0600);
        assert_int_equal(mode_of(p, "-shm"), 0600);
        s = store_free(s);
        assert_int_equal(store_open_readonly(p, &s), 0);
        s = store_free(s);

        /* Missing: -ENOENT (file and directory); not a database: -EBADMSG. */
        _cleanup_free_ char *missing = NULL, *junk = NULL;
        assert_true(asprintf(&missing, "%s/nope.db", dir) > 0);
        assert_int_equal(store_open_readonly(missing, &s), -ENOENT);
        assert_int_equal(store_open_readonly("/nonexistent-dir/x.db", &s), -ENOENT);
        assert_true(asprintf(&junk, "%s/junk.db", dir) > 0);
        FILE *f = fopen(junk, "we");
        assert_non_null(f);
        assert_true(fputs("this is not a database, not at all, not even close.......\n", f) >= 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(store_open_readonly(junk, &s), -EBADMSG);
        assert_null(s);
        assert_int_equal(unlink(junk), 0);
        remove_db(p);
}

static int64_t query_int(sqlite3 *db, const char *sql) {
        sqlite3_stmt *q = NULL;
        int64_t v;

        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        v = sqlite3_column_int64(q, 0);
        assert_int_equal(sqlite3_finalize(q), SQLITE_OK);
        return v;
}

/* Schema 6 rebuilds the units table (a unit is (manager, name) now): a schema 5 database keeps
 * every row, its ids, counters, gone marks, history and snapshots, and the keys still cascade. */
static void test_migrate_0005_keeps_rows(void **state) {
        char *p = temp_db();
        sqlite3 *db;

        (void) state;
        assert_true(n_migrations() >= 6);
        assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
        for (unsigned i = 0; i < 5; i++)
                assert_int_equal(sqlite3_exec(db, sql_migrations[i].data, NULL, NULL, NULL),
                                 SQLITE_OK);
        const char *data =
                "INSERT INTO versions VALUES (1, '252', '1', 1700000000000000);"
                "INSERT INTO checks VALUES (1, 'PrivateNetwork=');"
                "INSERT INTO units (id, name, first_seen, last_change, exposure, predicate,"
                " version, verdicts, regressions, improvements) VALUES"
                " (7, 'a.service', 1700000000000000, 1700000001000000, 50, 3, 1, x'0103', 1, 2),"
                " (9, 'b.service', 1700000000000000, 1700000002000000, 40, 2, 1, x'0102', 0, 0);"
                "UPDATE units SET gone = 1700000002000000 WHERE id = 9;"
                "INSERT INTO changes (unit, time, kind, cause, before, exposure, predicate,"
                " version, checks) VALUES"
                " (7, 1700000000000000, 0, 0, NULL, 40, 2, 1, NULL),"
                " (7, 1700000001000000, 1, 3, 40, 50, 3, 1, x'010203'),"
                " (9, 1700000000000000, 0, 0, NULL, 40, 2, 1, NULL),"
                " (9, 1700000002000000, 4, 4, 40, NULL, NULL, 1, NULL);"
                "INSERT INTO snapshots VALUES (7, 's7\n', 50, 11), (9, 's9\n', NULL, 0);"
                "INSERT INTO notices (time, message) VALUES (1700000000500000, 'reset');";
        assert_int_equal(sqlite3_exec(db, data, NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_close(db), SQLITE_OK);

        _cleanup_(store_freep) Store *s = NULL;
        StoreStats st;
        StoreCurrent *c = NULL;
        Change *h = NULL;
        size_t n = 0;
        char *files = NULL;
        int running = 0;
        uint64_t start = 0;

        assert_int_equal(store_open(p, &s), 0);
        assert_int_equal(store_stats(s, &st), 0);
        assert_int_equal(st.schema_version, n_migrations());
        assert_int_equal(st.n_units, 2);
        assert_int_equal(st.n_units_gone, 1);
        assert_int_equal(st.n_changes, 4);
        assert_string_equal(st.notice, "reset");

        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->n_units, 2);
        assert_int_equal(c->n_user_units, 0);
        assert_string_equal(c->units[0].name, "a.service");
        assert_null(c->units[0].manager);
        assert_int_equal(c->units[0].regressions, 1);
        assert_int_equal(c->units[0].improvements, 2);
        assert_int_equal(c->units[0].gone_usec, 0);
        assert_int_equal(c->units[1].gone_usec, T0 + 2 * SEC);
        store_current_free(c);

        assert_int_equal(store_history(s, NULL, "a.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(h[0].kind, EVENT_REGRESSION);
        assert_null(h[0].user);
        assert_int_equal(h[0].checks[0].new_badness, 1);
        changes_free(h, n);
        assert_int_equal(store_history(s, NULL, "b.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(h[0].kind, EVENT_GONE);
        changes_free(h, n);

        assert_int_equal(store_get_snapshot(s, "a.service", &files, &running, &start), 1);
        assert_string_equal(files, "s7\n");
        assert_int_equal(running, 50);
        assert_int_equal(start, 11);
        free(files);

        /* The old system row goes on as before; a user's unit of the same name is another. */
        Fixture f;
        make_score(&f, "a.service", T0 + 5 * SEC, 50, 1);
        f.v[0].badness = 1; /* whatever: not compared with a row of the system's */
        f.sc.manager = "alice";
        assert_int_equal(store_add_score(s, &f.sc), 1);

        /* The keys still cascade: a gone unit pruned takes its snapshot with it. */
        uint64_t pruned = 0;
        assert_int_equal(store_prune(s, T0 + 3 * SEC, &pruned), 0);
        assert_true(pruned >= 3);
        s = store_free(s);

        assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
        assert_int_equal(query_int(db, "SELECT count(*) FROM units WHERE manager = ''"), 1);
        assert_int_equal(query_int(db, "SELECT count(*) FROM units WHERE manager = 'alice'"), 1);
        assert_int_equal(query_int(db, "SELECT count(*) FROM snapshots"), 1);
        assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
        assert_int_equal(query_int(db, "SELECT id FROM units WHERE name = 'a.service'"
                                       " AND manager = ''"), 7);
        assert_int_equal(sqlite3_close(db), SQLITE_OK);
        remove_db(p);
}

/* The same unit name under the system and two users: three units, never mixed. */
static void test_user_units_separate(void **state) {
        _cleanup_(store_freep) Store *s = NULL;
        Fixture f;
        Change *h = NULL;
        size_t n = 0;
        StoreCurrent *c = NULL;

        (void) state;
        assert_int_equal(store_open(":memory:", &s), 0);
        make_score(&f, "foo.service", T0, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 1);
        f.sc.manager = "alice";
        f.sc.exposure = 30;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        f.sc.manager = "bob";
        assert_int_equal(store_add_score(s, &f.sc), 1);

        /* alice's gets weaker; the system's and bob's are unchanged. */
        make_score(&f, "foo.service", T0 + SEC, 60, 1);
        f.sc.manager = "alice";
        f.sc.kind = EVENT_REGRESSION;
        f.sc.cause = CAUSE_UNIT_CHANGED;
        assert_int_equal(store_add_score(s, &f.sc), 1);
        assert_int_equal(store_add_score(s, &f.sc), 0);
        make_score(&f, "foo.service", T0 + SEC, 50, 0);
        assert_int_equal(store_add_score(s, &f.sc), 0);
        make_score(&f, "foo.service", T0 + SEC, 30, 0);
        f.sc.manager = "bob";
        assert_int_equal(store_add_score(s, &f.sc), 0);

        assert_int_equal(store_history(s, NULL, "foo.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 1);
        assert_null(h[0].user);
        assert_int_equal(h[0].exposure, 50);
        changes_free(h, n);
        assert_int_equal(store_history(s, "alice", "foo.service", 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(h[0].user, "alice");
        assert_int_equal(h[0].kind, EVENT_REGRESSION);
        assert_int_equal(h[0].previous, 30);
        assert_int_equal(h[0].exposure, 60);
        assert_true(h[0].n_checks > 0);
        changes_free(h, n);
        assert_int_equal(store_history(s, "carol", "foo.service", 0, 0, 10, &h, &n), -ENOENT);
        assert_int_equal(store_history(s, "", "foo.service", 0, 0, 10, &h, &n), -EINVAL);

        /* Every manager's events, the user named; one unit's, of its manager only. */
        assert_int_equal(store_events(s, NULL, NULL, EVENT_KIND_MASK(EVENT_REGRESSION), 0, 0, 10,
                                      &h, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(h[0].unit, "foo.service");
        assert_string_equal(h[0].user, "alice");
        changes_free(h, n);
        assert_int_equal(store_events(s, "alice", "foo.service", 0, 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 1);
        changes_free(h, n);
        assert_int_equal(store_events(s, NULL, "foo.service", 0, 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 0);
        changes_free(h, n);
        /* One manager's events, every unit of it (no upgrade or DATABASE events). */
        assert_int_equal(store_add_notice(s, T0 + 2 * SEC, "a notice"), 0);
        assert_int_equal(store_events(s, "alice", NULL, 0, 0, 0, 10, &h, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(h[0].user, "alice");
        assert_int_equal(h[0].kind, EVENT_REGRESSION);
        changes_free(h, n);
        assert_int_equal(store_events(s, "bob", NULL, EVENT_KIND_MASK(EVENT_REGRESSION), 0, 0,
                                      10, &h, &n), 0);
        assert_int_equal(n, 0);
        changes_free(h, n);
        assert_int_equal(store_events(s, NULL, NULL, EVENT_KIND_MASK(EVENT_DATABASE), 0, 0, 10,
                                      &h, &n), 0);
        assert_int_equal(n, 1);
        changes_free(h, n);

        /* The system's units and the users' apart, with their own counters. */
        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->n_units, 1);
        assert_null(c->units[0].manager);
        assert_int_equal(c->units[0].regressions, 0);
        assert_int_equal(c->n_user_units, 2);
        assert_string_equal(c->user_units[0].manager, "alice");
        assert_string_equal(c->user_units[0].name, "foo.service");
        assert_int_equal(c->user_units[0].regressions, 1);
        assert_int_equal(c->user_units[0].exposure, 60);
        assert_string_equal(c->user_units[1].manager, "bob");
        assert_int_equal(c->user_units[1].regressions, 0);
        store_current_free(c);

        /* Gone is per manager too. */
        assert_int_equal(store_unit_gone(s, "alice", "foo.service", T0 + 2 * SEC,
                                         CAUSE_UNIT_REMOVED), 1);
        assert_int_equal(store_unit_gone(s, "alice", "foo.service", T0 + 3 * SEC,
                                         CAUSE_UNIT_REMOVED), 0);
        assert_int_equal(store_load_current(s, &c), 0);
        assert_int_equal(c->units[0].gone_usec, 0);
        assert_int_equal(c->user_units[0].gone_usec, T0 + 2 * SEC);
        assert_int_equal(c->user_units[1].gone_usec, 0);
        store_current_free(c);

        /* Snapshots and policy are the system's units' only. */
        assert_int_equal(store_put_snapshot(s, &(StoreSnapshot) {
                .unit = "foo.service", .files = "f\n", .running_exposure = -1 }), 1);
        f.sc.manager = "";
        assert_int_equal(store_add_score(s, &f.sc), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_memory),
                cmocka_unit_test(test_file_modes_and_open_errors),
                cmocka_unit_test(test_migrate_from_every_version),
                cmocka_unit_test(test_migrate_0005_keeps_rows),
                cmocka_unit_test(test_user_units_separate),
                cmocka_unit_test(test_newer_schema_refused),
                cmocka_unit_test(test_roundtrip_change_only),
                cmocka_unit_test(test_kind_as_given),
                cmocka_unit_test(test_events_new_gone_upgrade),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_batches),
                cmocka_unit_test(test_prune),
                cmocka_unit_test(test_disk_full),
                cmocka_unit_test(test_readonly_concurrent),
                cmocka_unit_test(test_crash),
                cmocka_unit_test(test_tmpfs_full),
                cmocka_unit_test(test_busy),
                cmocka_unit_test(test_corrupt_at_open),
                cmocka_unit_test(test_corrupt_while_open),
                cmocka_unit_test(test_wal_budget),
                cmocka_unit_test(test_retention_cutoff),
                cmocka_unit_test(test_prune_keeps_newest),
                cmocka_unit_test(test_policy_events),
                cmocka_unit_test(test_policy_event_unstored_unit),
                cmocka_unit_test(test_snapshots),
                cmocka_unit_test(test_snapshot_size_bounded),
        };

        init_names();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
