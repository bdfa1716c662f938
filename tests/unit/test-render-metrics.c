/* SPDX-License-Identifier: MIT */
/* render-metrics.c: both exposition formats, HELP/TYPE on every family, label escaping, and, when
 * promtool is installed (Debian package prometheus), `promtool check metrics` on the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http-fixture.h"
#include "cleanup.h"
#include "util.h"

static char *render(const State *s, MetricsFormat f, bool per_check) {
        RenderOptions o = { .version = "0.1", .per_check_metrics = per_check };
        Buf b = {};
        render_metrics(s, &o, f, &b);
        return buf_steal(&b);
}

/* Every sample line's metric name belongs to a family announced by HELP and TYPE before it. */
static void check_families(const char *text, MetricsFormat f) {
        char **typed = NULL, **helped = NULL;
        const char *line = text;

        while (*line) {
                const char *end = strchr(line, '\n');
                assert_non_null(end); /* every line is terminated */
                _cleanup_free_ char *l = xstrndup(line, (size_t) (end - line));
                if (startswith(l, "# UNIT ")) {
                        assert_int_equal(f, METRICS_OPENMETRICS);
                } else if (startswith(l, "# TYPE ") || startswith(l, "# HELP ")) {
                        char *name = l + 7, *sp = strchr(name, ' ');
                        assert_non_null(sp);
                        *sp = 0;
                        strv_push(startswith(l, "# TYPE ") ? &typed : &helped, name);
                } else if (streq(l, "# EOF")) {
                        assert_int_equal(f, METRICS_OPENMETRICS);
                        assert_true(end[1] == 0);
                } else {
                        size_t n = strcspn(l, "{ ");
                        _cleanup_free_ char *name = xstrndup(l, n);
                        bool found = strv_contains(typed, name) && strv_contains(helped, name);
                        if (!found && f == METRICS_OPENMETRICS) {
                                /* counter samples carry _total, info samples _info */
                                if (endswith(name, "_total"))
                                        name[n - 6] = 0;
                                else if (endswith(name, "_info"))
                                        name[n - 5] = 0;
                                found = strv_contains(typed, name) && strv_contains(helped, name);
                        }
                        if (!found)
                                fail_msg("sample without HELP/TYPE: %s", l);
                        /* No raw newline can hide in a label value; a value follows the labels. */
                        assert_non_null(strrchr(l, ' '));
                }
                line = end + 1;
        }
        assert_true(strv_length(typed) >= 10);
        strv_free(typed);
        strv_free(helped);
}

static void test_prometheus(void **state) {
        State *s = fixture_state_new(5, true);
        _cleanup_free_ char *t = render(s, METRICS_PROMETHEUS, true);
        (void) state;

        check_families(t, METRICS_PROMETHEUS);
        assert_null(strstr(t, "# EOF"));
        assert_non_null(strstr(t, "# TYPE exposured_regressions_total counter\n"));
        assert_non_null(strstr(t, "# TYPE exposured_build_info gauge\n"));
        assert_non_null(strstr(t, "exposured_build_info{version=\"0.1\",systemd_version="
                                  "\"252.38-1~deb12u1\"} 1\n"));
        assert_non_null(strstr(t, "\nexposured_up 1\n"));
        assert_non_null(strstr(t, "\nexposured_scan_duration_seconds 0.123456\n"));
        assert_non_null(strstr(t, "\nexposured_last_scan_timestamp_seconds 1700000100.5\n"));
        assert_non_null(strstr(t, "exposured_unit_exposure{unit=\"a\\\\x2db.service\",oneshot=\"false\"} "));
        assert_non_null(strstr(t, "exposured_unit_exposure{unit=\"q\\\"uote'.service\",oneshot=\"false\"} "));
        assert_non_null(strstr(t, "exposured_unit_exposure{unit=\"new\\nline.service\",oneshot=\"false\"} "));
        assert_non_null(strstr(t, "exposured_unit_exposure{unit=\"bad\xef\xbf\xbd\xef\xbf\xbd"
                                  "utf8.service\",oneshot=\"false\"} "));
        assert_non_null(strstr(t, "exposured_unit_exposure{unit=\"getty@tty1.service\",oneshot=\"false\"} "));
        assert_null(strstr(t, "\nline.service"));
        /* svc-0000: everything passes -> 0.0, PERFECT; svc-0003: two checks fail. */
        assert_non_null(strstr(t, "exposured_unit_exposure{unit=\"svc-0000.service\",oneshot=\"false\"} 0.0\n"));
        assert_non_null(strstr(t, "exposured_unit_predicate{unit=\"svc-0000.service\",oneshot=\"false\","
                                  "predicate=\"PERFECT\"} 1\n"));
        assert_non_null(strstr(t, "exposured_unit_failed_checks{unit=\"svc-0003.service\",oneshot=\"false\"} 2\n"));
        assert_non_null(strstr(t, "exposured_unit_check_exposure{unit=\"svc-0001.service\","
                                  "oneshot=\"false\",check=\"PrivateNetwork\"} 2.5\n"));
        /* n/a checks are not exported */
        assert_null(strstr(t, "exposured_unit_check_exposure{unit=\"svc-0002.service\","
                              "oneshot=\"false\",check=\"SupplementaryGroups\"}"));
        assert_non_null(strstr(t, "exposured_units{predicate=\"EXPOSED\"} "));
        /* The check label is the json_field; no display name ("=") is exported. */
        assert_null(strstr(t, "check=\"PrivateNetwork=\""));
        fixture_state_free(s);
}

static size_t count_of(const char *t, const char *series) {
        const char *p = strstr(t, series);
        return p ? strtoul(p + strlen(series), NULL, 10) : (size_t) -1;
}

/* Oneshot services: labelled on every unit series, counted apart from systemd-analyze's set. */
static void test_oneshot_and_database(void **state) {
        State *s = fixture_state_new(5, true);
        size_t all[_PREDICATE_MAX], n_oneshot = 0;
        (void) state;

        (void) state_count_predicates(s, false, all); /* no oneshot unit yet: all of them */
        for (size_t i = 0; i < s->n_units; i += 2, n_oneshot++)
                s->units[i]->oneshot = true;
        Predicate p0 = s->units[0]->report.predicate;
        size_t oneshot_p0 = 0;
        for (size_t i = 0; i < s->n_units; i++)
                if (s->units[i]->oneshot && s->units[i]->report.predicate == p0)
                        oneshot_p0++;
        _cleanup_free_ char *t = render(s, METRICS_PROMETHEUS, true);
        check_families(t, METRICS_PROMETHEUS);
        _cleanup_free_ char *k1 = NULL, *k2 = NULL, *u0 = NULL, *u1 = NULL;
        assert_true(asprintf(&k1, "\nexposured_units{predicate=\"%s\"} ",
                             predicate_to_string(p0)) > 0);
        assert_true(asprintf(&k2, "\nexposured_oneshot_units{predicate=\"%s\"} ",
                             predicate_to_string(p0)) > 0);
        assert_int_equal(count_of(t, k2), oneshot_p0);
        assert_int_equal(count_of(t, k1) + count_of(t, k2), all[p0]);
        /* Two plain names (the fixture also has names that need escaping). */
        size_t even = 0, odd = 1;
        while (!startswith(s->units[even]->id, "svc-"))
                even += 2;
        while (!startswith(s->units[odd]->id, "svc-"))
                odd += 2;
        assert_true(asprintf(&u0, "exposured_unit_exposure{unit=\"%s\",oneshot=\"true\"} ",
                             s->units[even]->id) > 0);
        assert_true(asprintf(&u1, "exposured_unit_exposure{unit=\"%s\",oneshot=\"false\"} ",
                             s->units[odd]->id) > 0);
        assert_non_null(strstr(t, u0));
        assert_non_null(strstr(t, u1));
        assert_null(strstr(t, "exposured_database_"));

        /* The database's health, once the daemon has one. */
        s->db = (DbHealth) { .known = true, .write_ok = false, .size_bytes = 123456,
                             .last_write_usec = 1700000200250000ULL, .errors = 3 };
        _cleanup_free_ char *d = render(s, METRICS_PROMETHEUS, false);
        check_families(d, METRICS_PROMETHEUS);
        assert_non_null(strstr(d, "\nexposured_database_write_ok 0\n"));
        assert_non_null(strstr(d, "\nexposured_database_size_bytes 123456\n"));
        assert_non_null(strstr(d, "\nexposured_database_last_write_timestamp_seconds "
                                  "1700000200.25\n"));
        assert_non_null(strstr(d, "# TYPE exposured_database_errors_total counter\n"
                                  "exposured_database_errors_total 3\n"));
        _cleanup_free_ char *o = render(s, METRICS_OPENMETRICS, false);
        check_families(o, METRICS_OPENMETRICS);
        assert_non_null(strstr(o, "# TYPE exposured_database_errors counter\n"));
        fixture_state_free(s);
}

static void test_openmetrics(void **state) {
        State *s = fixture_state_new(5, true);
        _cleanup_free_ char *t = render(s, METRICS_OPENMETRICS, false);
        (void) state;

        check_families(t, METRICS_OPENMETRICS);
        assert_true(endswith(t, "\n# EOF\n"));
        assert_non_null(strstr(t, "# TYPE exposured_regressions counter\n"));
        assert_non_null(strstr(t, "\nexposured_regressions_total{unit="));
        assert_non_null(strstr(t, "# TYPE exposured_build info\n"));
        assert_non_null(strstr(t, "# TYPE exposured_scans counter\n"));
        assert_non_null(strstr(t, "# TYPE exposured_scan_duration_seconds gauge\n"
                                  "# UNIT exposured_scan_duration_seconds seconds\n"));
        assert_null(strstr(t, "exposured_unit_check_exposure"));
        fixture_state_free(s);
}

static void test_empty(void **state) {
        State s = {};
        _cleanup_free_ char *t = render(&s, METRICS_PROMETHEUS, true);
        (void) state;
        check_families(t, METRICS_PROMETHEUS);
        assert_non_null(strstr(t, "\nexposured_up 0\n"));
        assert_non_null(strstr(t, "systemd_version=\"\"} 1\n"));
}

static void set_host(State *s, const char *hostname) {
        s->host = (HostInfo) {
                .hostname = xstrdup(hostname),
                .machine_id = xstrdup("0123456789abcdef0123456789abcdef"),
                .os_id = xstrdup("debian"),
                .os_version_id = NULL, /* sid has no VERSION_ID= */
                .kernel = xstrdup("6.1.0-13-amd64"),
                .known = true,
        };
}

/* exposured_host_info: one series, every label present (empty when unknown), values escaped,
 * an info family in OpenMetrics; absent until the identity is read. */
static void test_score_table(void **state) {
        State *s = fixture_state_new(1, false);
        (void) state;

        _cleanup_free_ char *before = render(s, METRICS_PROMETHEUS, false);
        assert_null(strstr(before, "exposured_score_table_info"));

        score_table_choose((ScoreRelease) { 252, 5 }, &s->table_choice);
        _cleanup_free_ char *t = render(s, METRICS_PROMETHEUS, false);
        check_families(t, METRICS_PROMETHEUS);
        assert_non_null(strstr(t, "# TYPE exposured_score_table_info gauge\n"
                                  "exposured_score_table_info{release=\"252.5\","
                                  "table=\"252.0-252.7\",checked=\"source\"} 1\n"));
        _cleanup_free_ char *om = render(s, METRICS_OPENMETRICS, false);
        check_families(om, METRICS_OPENMETRICS);
        assert_non_null(strstr(om, "# TYPE exposured_score_table info\n"));
        fixture_state_free(s);
}

static void test_host_info(void **state) {
        State *s = fixture_state_new(3, false);
        (void) state;

        _cleanup_free_ char *before = render(s, METRICS_PROMETHEUS, false);
        assert_null(strstr(before, "exposured_host_info"));

        set_host(s, "we\"ird\\host\nname");
        _cleanup_free_ char *t = render(s, METRICS_PROMETHEUS, false);
        check_families(t, METRICS_PROMETHEUS);
        assert_non_null(strstr(t, "# TYPE exposured_host_info gauge\n"
                                  "exposured_host_info{hostname=\"we\\\"ird\\\\host\\nname\","
                                  "machine_id=\"0123456789abcdef0123456789abcdef\",os_id=\"debian\","
                                  "os_version_id=\"\",systemd_version=\"252.38-1~deb12u1\","
                                  "kernel=\"6.1.0-13-amd64\"} 1\n"));
        const char *first = strstr(t, "exposured_host_info{");
        assert_null(strstr(first + 1, "exposured_host_info{"));

        _cleanup_free_ char *om = render(s, METRICS_OPENMETRICS, false);
        check_families(om, METRICS_OPENMETRICS);
        assert_non_null(strstr(om, "# TYPE exposured_host info\nexposured_host_info{hostname="));
        fixture_state_free(s);
}

/* Run argv with text on stdin; returns its exit status, -1 when argv[0] is absent. */
static int run_with_stdin(char *const argv[], const char *text) {
        char path[] = "/tmp/exposured-metrics-XXXXXX";
        int fd, status;
        pid_t pid;

        if (access(argv[0], X_OK) < 0)
                return -1;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_true(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
        assert_true(lseek(fd, 0, SEEK_SET) == 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) dup2(fd, 0);
                execv(argv[0], argv);
                _exit(127);
        }
        close(fd);
        unlink(path);
        assert_true(waitpid(pid, &status, 0) == pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* `promtool check metrics` (Debian: prometheus) on the 0.0.4 text. */
/* user_managers = lingering: the exposure families and the regression counter get the user units
 * with a user label; the system's series keep none, and the other families are the system's
 * only. */
static void test_user_units(void **state) {
        State *s = fixture_state_new(2, false);
        _cleanup_free_ char *before = render(s, METRICS_PROMETHEUS, true), *after = NULL;
        (void) state;

        fixture_state_add_user_units(s);
        after = render(s, METRICS_PROMETHEUS, true);
        assert_non_null(strstr(after, "exposured_unit_exposure{unit=\"a.service\","
                                      "oneshot=\"false\",user=\"alice\"} "));
        assert_non_null(strstr(after, "exposured_unit_exposure{unit=\"q.service\","
                                      "oneshot=\"false\",user=\"al\\\"ice\"} "));
        assert_non_null(strstr(after, "exposured_unit_predicate{unit=\"a.service\","
                                      "oneshot=\"false\",user=\"bob\",predicate="));
        assert_non_null(strstr(after, "exposured_unit_failed_checks{unit=\"b.service\","
                                      "oneshot=\"false\",user=\"alice\"} "));
        assert_non_null(strstr(after, "exposured_unit_check_exposure{unit=\"b.service\","
                                      "oneshot=\"false\",user=\"alice\",check="));
        /* their regression counters are stored (schema 6): labelled like the exposures */
        assert_non_null(strstr(after, "exposured_regressions_total{unit=\"a.service\","
                                      "oneshot=\"false\",user=\"alice\"} 2\n"));
        assert_null(strstr(after, "exposured_regressions_total{unit=\"a.service\","
                                  "oneshot=\"false\"}"));
        assert_null(strstr(after, "exposured_unit_restart_pending{unit=\"a.service\""));
        assert_non_null(strstr(after, "exposured_unit_exposure{unit=\"svc-0000.service\","
                                      "oneshot=\"false\"} "));
        /* without user units, the output is what it was */
        state_set_user_units(s, NULL, 0);
        _cleanup_free_ char *again = render(s, METRICS_PROMETHEUS, true);
        assert_string_equal(before, again);
        fixture_state_free(s);
}

static void test_promtool(void **state) {
        State *s = fixture_state_new(50, true);
        fixture_state_add_user_units(s);
        set_host(s, "h\"1");
        _cleanup_free_ char *t = render(s, METRICS_PROMETHEUS, true);
        char *argv[] = { (char *) "/usr/bin/promtool", (char *) "check", (char *) "metrics", NULL };
        int r;
        (void) state;

        r = run_with_stdin(argv, t);
        fixture_state_free(s);
        if (r < 0)
                skip(); /* apt-get install prometheus */
        /* promtool exits 3 for lint problems, 1 for parse errors. */
        assert_int_equal(r, 0);
}

/* prometheus_client's strict OpenMetrics parser on the OpenMetrics text. */
static void test_openmetrics_parser(void **state) {
        State *s = fixture_state_new(50, true);
        fixture_state_add_user_units(s);
        set_host(s, "h\"1");
        _cleanup_free_ char *t = render(s, METRICS_OPENMETRICS, true);
        const char *top = getenv("TOP");
        _cleanup_free_ char *script = NULL;
        Buf b = {};
        int r;
        (void) state;

        buf_puts(&b, top ? top : ".");
        buf_puts(&b, "/tests/prometheus/check-openmetrics.py");
        script = buf_steal(&b);
        char *argv[] = { (char *) "/usr/bin/python3", script, NULL };
        r = run_with_stdin(argv, t);
        fixture_state_free(s);
        if (r < 0 || r == 77)
                skip(); /* apt-get install python3-prometheus-client */
        assert_int_equal(r, 0);

        /* The parser is strict enough to catch a missing # EOF: prove the check can fail. */
        s = fixture_state_new(1, false);
        _cleanup_free_ char *bad = render(s, METRICS_OPENMETRICS, false);
        fixture_state_free(s);
        bad[strlen(bad) - strlen("# EOF\n")] = 0;
        assert_int_equal(run_with_stdin(argv, bad), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prometheus),
                cmocka_unit_test(test_user_units),
                cmocka_unit_test(test_oneshot_and_database),
                cmocka_unit_test(test_openmetrics),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_host_info),
                cmocka_unit_test(test_score_table),
                cmocka_unit_test(test_promtool),
                cmocka_unit_test(test_openmetrics_parser),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
