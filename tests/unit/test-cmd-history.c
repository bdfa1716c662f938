/* SPDX-License-Identifier: MIT */
/* `exposured history` / `exposured events` against a real database file: time parsing, table and
 * JSON output (parsed back with json-c), escaping of unit-controlled text, usage errors. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd-history.h"
#include "store.h"
#include "event.h"
#include "util.h"

#define T0 1700000000000000ULL

static void test_parse_time(void **state) {
        uint64_t t;
        (void) state;
        assert_int_equal(cmd_history_parse_time("@1700000000", 0, &t), 0);
        assert_int_equal(t, T0);
        assert_int_equal(cmd_history_parse_time("2h", T0, &t), 0);
        assert_int_equal(t, T0 - 7200ULL * 1000000);
        assert_int_equal(cmd_history_parse_time("7d", 5, &t), 0);
        assert_int_equal(t, 0);
        assert_int_equal(cmd_history_parse_time("2023-11-14T22:13:20", 0, &t), 0);
        assert_int_equal(t, T0);
        assert_int_equal(cmd_history_parse_time("2023-11-14", 0, &t), 0);
        assert_int_equal(t, 1699920000ULL * 1000000);
        const char *bad[] = { "", "x", "2h30", "@-1", "2023-13-01", "2023-11-14 junk", "5q", "d" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(cmd_history_parse_time(bad[i], T0, &t), -EINVAL);
}

/* Run f(argv) with stdout captured into a string. */
static int capture(int (*f)(int, char **), char **argv, char **ret) {
        char path[] = "/tmp/test-cli-XXXXXX";
        int fd = mkstemp(path), saved = dup(STDOUT_FILENO), r;
        int argc = 0;

        assert_true(fd >= 0 && saved >= 0);
        while (argv[argc])
                argc++;
        (void) fflush(stdout);
        assert_true(dup2(fd, STDOUT_FILENO) >= 0);
        r = f(argc, argv);
        (void) fflush(stdout);
        assert_true(dup2(saved, STDOUT_FILENO) >= 0);
        close(saved);
        off_t len = lseek(fd, 0, SEEK_END);
        char *buf = xcalloc(1, (size_t) len + 1);
        assert_int_equal(pread(fd, buf, (size_t) len, 0), len);
        close(fd);
        unlink(path);
        *ret = buf;
        return r;
}

/* A fresh database h.db in a new directory made from the template dir (mkdtemp), opened; the
 * path and the --db= argument to pass. */
static void temp_db_open(char *dir, char **ret_db, char **ret_dbarg, Store **ret) {
        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(ret_db, "%s/h.db", dir) > 0);
        assert_true(asprintf(ret_dbarg, "--db=%s", *ret_db) > 0);
        assert_int_equal(store_open(*ret_db, ret), 0);
}

/* Remove what temp_db_open() made (the store closed first), and free its strings. */
static void temp_db_remove(const char *dir, char *db, char *dbarg) {
        static const char *const suffixes[] = { "-wal", "-shm", "" };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                char *f = NULL;
                assert_true(asprintf(&f, "%s%s", db, suffixes[i]) > 0);
                (void) unlink(f);
                free(f);
        }
        (void) rmdir(dir);
        free(db);
        free(dbarg);
}

static void test_output(void **state) {
        char dir[] = "/tmp/test-cli-db-XXXXXX", *db = NULL, *dbarg = NULL, *out = NULL;
        Store *s = NULL;
        StoreVerdict v[2] = { { "PrivateNetwork=", 0 }, { "User=", 1 } };
        StoreScore sc = { "evil\\x1b.service", NULL, T0, 50, PREDICATE_MEDIUM, v, 2, "252", "1",
                          CAUSE_STARTUP, EVENT_NONE, NULL };

        (void) state;
        temp_db_open(dir, &db, &dbarg, &s);
        assert_int_equal(store_add_score(s, &sc), 1);
        v[0].badness = 1;
        sc.exposure = 74;
        sc.predicate = PREDICATE_EXPOSED;
        sc.time_usec = T0 + 1000000;
        sc.cause = CAUSE_RELOAD;
        sc.kind = EVENT_REGRESSION; /* 5.0 -> 7.4 */
        assert_int_equal(store_add_score(s, &sc), 1);

        char *h1[] = { "history", dbarg, "evil\\x1b.service", NULL };
        assert_int_equal(capture(cmd_history, h1, &out), 0);
        assert_non_null(strstr(out, "regression"));
        assert_non_null(strstr(out, "5.0"));
        assert_non_null(strstr(out, "7.4"));
        assert_non_null(strstr(out, "PrivateNetwork= 0->1"));
        /* The table, to the byte (column widths included). */
        assert_non_null(strstr(out, "TIME                 KIND             CAUSE         BEFORE  "
                                    "AFTER   CHECKS (name old->new)\n"
                                    "2023-11-14T22:13:21Z regression       reload        5.0     "
                                    "7.4     PrivateNetwork= 0->1\n"));
        /* Text from the database is escaped (the store refuses control characters; a tampered
         * file could still hold them): a backslash becomes \x5c. */
        free(out);
        char *e0[] = { "events", dbarg, NULL };
        assert_int_equal(capture(cmd_events, e0, &out), 0);
        assert_non_null(strstr(out, "evil\\x5cx1b.service"));
        free(out);

        char *h2[] = { "history", dbarg, "--json", "--limit=1", "evil\\x1b.service", NULL };
        assert_int_equal(capture(cmd_history, h2, &out), 0);
        json_object *j = json_tokener_parse(out), *o, *x;
        assert_non_null(j);
        assert_int_equal(json_object_array_length(j), 1);
        o = json_object_array_get_idx(j, 0);
        assert_true(json_object_object_get_ex(o, "kind", &x));
        assert_string_equal(json_object_get_string(x), "regression");
        assert_true(json_object_object_get_ex(o, "exposure", &x));
        assert_true(json_object_get_double(x) > 7.39 && json_object_get_double(x) < 7.41);
        assert_true(json_object_object_get_ex(o, "predicate", &x));
        assert_string_equal(json_object_get_string(x), "EXPOSED");
        assert_true(json_object_object_get_ex(o, "unit", &x));
        assert_string_equal(json_object_get_string(x), "evil\\x1b.service");
        /* The API's names (render_json_events()): "previous", not "exposure_before". */
        assert_true(json_object_object_get_ex(o, "previous", &x));
        assert_true(json_object_get_double(x) > 4.99 && json_object_get_double(x) < 5.01);
        assert_false(json_object_object_get_ex(o, "exposure_before", &x));
        assert_true(json_object_object_get_ex(o, "cause", &x));
        assert_string_equal(json_object_get_string(x), "reload");
        json_object_put(j);
        free(out);

        char *e1[] = {
                "events", dbarg, "--json", "--kind=regression", "--since=@1700000000", NULL
        };
        assert_int_equal(capture(cmd_events, e1, &out), 0);
        j = json_tokener_parse(out);
        assert_non_null(j);
        assert_int_equal(json_object_array_length(j), 1);
        json_object_put(j);
        free(out);

        char *e2[] = { "events", dbarg, "--kind=improvement", NULL };
        assert_int_equal(capture(cmd_events, e2, &out), 0);
        assert_null(strstr(out, "regression"));
        free(out);

        /* Errors: usage 2, runtime 1. */
        char *b1[] = { "history", dbarg, NULL };
        char *b2[] = { "history", dbarg, "--limit=0", "x.service", NULL };
        char *b3[] = { "events", dbarg, "--kind=none", NULL };
        char *b4[] = { "history", dbarg, "nope.service", NULL };
        char *b5[] = { "history", "--db=/nonexistent/x.db", "nope.service", NULL };
        char *b6[] = { "events", dbarg, "--since=yesterdayx", NULL };
        assert_int_equal(capture(cmd_history, b1, &out), 2);
        free(out);
        assert_int_equal(capture(cmd_history, b2, &out), 2);
        free(out);
        assert_int_equal(capture(cmd_events, b3, &out), 2);
        free(out);
        assert_int_equal(capture(cmd_history, b4, &out), 1);
        free(out);
        assert_int_equal(capture(cmd_history, b5, &out), 1);
        free(out);
        assert_int_equal(capture(cmd_events, b6, &out), 2);
        free(out);

        /* systemd.time(7) timestamps (test-time-parse.c has the grammar). */
        char *t1[] = { "events", dbarg, "--since=2023-11-14 22:13:21 UTC", "--until=now", NULL };
        assert_int_equal(capture(cmd_events, t1, &out), 0);
        assert_non_null(strstr(out, "regression"));
        assert_null(strstr(out, "startup"));
        free(out);
        char *t2[] = { "events", dbarg, "--since=-1h", NULL };
        assert_int_equal(capture(cmd_events, t2, &out), 0);
        assert_null(strstr(out, "regression")); /* T0 is long ago */
        free(out);

        /* Unit names are mangled as by scan and systemctl: "dbus" is dbus.service. */
        sc.unit = "dbus.service";
        sc.time_usec = T0 + 2000000;
        sc.kind = EVENT_NONE;
        assert_int_equal(store_add_score(s, &sc), 1);
        char *m1[] = { "history", dbarg, "dbus", NULL };
        assert_int_equal(capture(cmd_history, m1, &out), 0);
        assert_non_null(strstr(out, "2023-11-14T22:13:22Z"));
        free(out);
        char *m2[] = { "events", dbarg, "--unit=dbus", "--kind=gone,regression", NULL };
        assert_int_equal(capture(cmd_events, m2, &out), 0);
        assert_null(strstr(out, "evil"));
        free(out);

        /* --help and --version: stdout, exit 0. */
        char *v1[] = { "history", "--help", NULL };
        assert_int_equal(capture(cmd_history, v1, &out), 0);
        assert_true(startswith(out, "Usage: exposured history [OPTIONS] UNIT\n"));
        assert_non_null(strstr(out, "systemd.time(7)"));
        free(out);
        char *v2[] = { "events", "-h", NULL };
        assert_int_equal(capture(cmd_events, v2, &out), 0);
        assert_true(startswith(out, "Usage: exposured events [OPTIONS]\n"));
        free(out);
        char *v3[] = { "events", "--version", NULL };
        assert_int_equal(capture(cmd_events, v3, &out), 0);
        assert_true(startswith(out, "exposured "));
        free(out);

        s = store_free(s);
        temp_db_remove(dir, db, dbarg);
}

/* A lingering user's unit of the same name as a system unit (schema 6: a unit is (manager,
 * name)): --user= picks it in history and events; the events table names its user, the system's
 * rows unchanged. */
static void test_user_units(void **state) {
        char dir[] = "/tmp/test-cli-db-XXXXXX", *db = NULL, *dbarg = NULL, *out = NULL;
        Store *s = NULL;
        StoreVerdict v[2] = { { "PrivateNetwork=", 0 }, { "User=", 1 } };
        StoreScore sc = { "foo.service", NULL, T0, 50, PREDICATE_MEDIUM, v, 2, "252", "1",
                          CAUSE_STARTUP, EVENT_NONE, NULL };

        (void) state;
        temp_db_open(dir, &db, &dbarg, &s);
        /* the system's foo.service 5.0 -> 7.4 at T0+1s; alice's 3.0 -> 6.0 at T0+2s; bob's
         * bar.service 3.0 -> 6.0 at T0+3s */
        assert_int_equal(store_add_score(s, &sc), 1);
        sc.manager = "alice";
        sc.exposure = 30;
        assert_int_equal(store_add_score(s, &sc), 1);
        sc.manager = "bob";
        sc.unit = "bar.service";
        assert_int_equal(store_add_score(s, &sc), 1);
        v[0].badness = 1;
        sc.cause = CAUSE_RELOAD;
        sc.kind = EVENT_REGRESSION;
        sc.predicate = PREDICATE_EXPOSED;
        sc.unit = "foo.service";
        sc.manager = NULL;
        sc.exposure = 74;
        sc.time_usec = T0 + 1000000;
        assert_int_equal(store_add_score(s, &sc), 1);
        sc.manager = "alice";
        sc.exposure = 60;
        sc.time_usec = T0 + 2000000;
        assert_int_equal(store_add_score(s, &sc), 1);
        sc.manager = "bob";
        sc.unit = "bar.service";
        sc.time_usec = T0 + 3000000;
        assert_int_equal(store_add_score(s, &sc), 1);
        assert_int_equal(store_add_notice(s, T0 + 4000000, "a database notice"), 0);

        /* history: the system's by default, the user's with --user= */
        char *h1[] = { "history", dbarg, "foo", NULL };
        assert_int_equal(capture(cmd_history, h1, &out), 0);
        assert_non_null(strstr(out, "5.0     7.4"));
        assert_null(strstr(out, "6.0"));
        free(out);
        char *h2[] = { "history", dbarg, "--user=alice", "foo", NULL };
        assert_int_equal(capture(cmd_history, h2, &out), 0);
        assert_non_null(strstr(out, "2023-11-14T22:13:22Z regression       reload        3.0     "
                                    "6.0     PrivateNetwork= 0->1\n"));
        assert_null(strstr(out, "7.4"));
        assert_null(strstr(out, "5.0"));
        free(out);
        char *h3[] = { "history", dbarg, "--user=alice", "--json", "foo.service", NULL };
        assert_int_equal(capture(cmd_history, h3, &out), 0);
        json_object *j = json_tokener_parse(out), *x;
        assert_non_null(j);
        assert_int_equal(json_object_array_length(j), 2);
        for (size_t i = 0; i < 2; i++) {
                assert_true(json_object_object_get_ex(json_object_array_get_idx(j, i), "user",
                                                      &x));
                assert_string_equal(json_object_get_string(x), "alice");
        }
        json_object_put(j);
        free(out);
        /* another user, or a unit alice does not have: no history (1) */
        char *h4[] = { "history", dbarg, "--user=carol", "foo", NULL };
        assert_int_equal(capture(cmd_history, h4, &out), 1);
        free(out);
        char *h5[] = { "history", dbarg, "--user=alice", "bar", NULL };
        assert_int_equal(capture(cmd_history, h5, &out), 1);
        free(out);

        /* events: every manager's, a user's unit named with its user; the system's row and the
         * header as they always were */
        char *e1[] = { "events", dbarg, NULL };
        assert_int_equal(capture(cmd_events, e1, &out), 0);
        assert_true(startswith(out, "TIME                 UNIT                 KIND             "
                                    "CAUSE         BEFORE  AFTER   CHECKS (name old->new)\n"));
        assert_non_null(strstr(out, "\n2023-11-14T22:13:23Z bar.service (user bob) regression     "
                                    "  reload        3.0     6.0     PrivateNetwork= 0->1\n"
                                    "2023-11-14T22:13:22Z foo.service (user alice) regression   "
                                    "    reload        3.0     6.0     PrivateNetwork= 0->1\n"
                                    "2023-11-14T22:13:21Z foo.service         regression       "
                                    "reload        5.0     7.4     PrivateNetwork= 0->1\n"));
        assert_non_null(strstr(out, "2023-11-14T22:13:24Z - database "));
        free(out);
        /* --user=: that user's units only (no system rows, no notices) */
        char *e2[] = { "events", dbarg, "--user=alice", NULL };
        assert_int_equal(capture(cmd_events, e2, &out), 0);
        assert_non_null(strstr(out, "foo.service (user alice)"));
        assert_null(strstr(out, "7.4"));
        assert_null(strstr(out, "bob"));
        assert_null(strstr(out, "database"));
        free(out);
        char *e3[] = { "events", dbarg, "--user=bob", "--unit=foo", "--json", NULL };
        assert_int_equal(capture(cmd_events, e3, &out), 0);
        j = json_tokener_parse(out);
        assert_non_null(j);
        assert_int_equal(json_object_array_length(j), 0);
        json_object_put(j);
        free(out);
        char *e4[] = { "events", dbarg, "--user=bob", "--unit=bar", "--json", NULL };
        assert_int_equal(capture(cmd_events, e4, &out), 0);
        j = json_tokener_parse(out);
        assert_non_null(j);
        assert_int_equal(json_object_array_length(j), 1);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(j, 0), "user", &x));
        assert_string_equal(json_object_get_string(x), "bob");
        json_object_put(j);
        free(out);
        /* without --user=, --unit= is the system's unit */
        char *e5[] = { "events", dbarg, "--unit=foo", NULL };
        assert_int_equal(capture(cmd_events, e5, &out), 0);
        assert_non_null(strstr(out, "7.4"));
        assert_null(strstr(out, "(user"));
        free(out);

        /* a value the API's user= refuses is a usage error (2) */
        char long65[7 + 65 + 1] = "--user=", long64[7 + 64 + 1] = "--user=";
        memset(long65 + 7, 'a', 65);
        memset(long64 + 7, 'a', 64);
        char *bad[] = { "--user=",    "--user=-a",  "--user=.a", "--user=a/b",
                        "--user=a b", "--user=a\nb", long65 };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *b1[] = { "history", dbarg, bad[i], "foo", NULL };
                char *b2[] = { "events", dbarg, bad[i], NULL };
                assert_int_equal(capture(cmd_history, b1, &out), 2);
                free(out);
                assert_int_equal(capture(cmd_events, b2, &out), 2);
                free(out);
        }
        /* 64 bytes is the longest */
        char *b3[] = { "events", dbarg, long64, NULL };
        assert_int_equal(capture(cmd_events, b3, &out), 0);
        free(out);

        s = store_free(s);
        temp_db_remove(dir, db, dbarg);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_time),
                cmocka_unit_test(test_output),
                cmocka_unit_test(test_user_units),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
