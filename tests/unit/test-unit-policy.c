/* SPDX-License-Identifier: MIT */
/* Unit policies (unit-policy.h): every key good and bad with FILE:LINE in the errors, all or
 * nothing per file, matching by name and glob, the ceiling's precedence, waivers in force and
 * expired, the allow-list rule, the baseline round trip (its text parses back and makes every
 * unit ok; anything worse is over policy), and load_dir on a real directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "unit-policy.h"
#include "util.h"

#define SEC UINT64_C(1000000)

static int parse(UnitPolicy *p, const char *text, PolicyError *e) {
        return unit_policy_parse(p, "/etc/exposured/policy.d/t.conf", text, strlen(text), e);
}

/* A report of the v252 table: every check passes except those named in failing (badness 1),
 * exposure as given (the judge reads it, it does not recompute it). */
static void report(ScoreReport *r, unsigned exposure, const char *const *failing) {
        const ScoreTable *t = score_table_for_version(252);

        *r = (ScoreReport) { .table = t, .n_checks = t->n_rows, .exposure = exposure };
        for (size_t i = 0; i < t->n_rows; i++) {
                r->checks[i] = (ScoreCheck) { .assessor = &t->rows[i], .weight = t->rows[i].weight,
                                              .range = t->rows[i].range };
                for (size_t k = 0; failing && failing[k]; k++)
                        if (streq(failing[k], t->rows[i].id))
                                r->checks[i].badness = 1;
        }
}

static size_t check_index(const ScoreReport *r, const char *id) {
        for (size_t i = 0; i < r->n_checks; i++)
                if (streq(r->checks[i].assessor->id, id))
                        return i;
        fail_msg("no check %s", id);
        return 0;
}

static void test_parse_keys(void **state) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        PolicyError e = {};

        (void) state;
        assert_int_equal(parse(p,
                               "# comment\n"
                               "\n"
                               "[nginx.service]\n"
                               "max_exposure = 7.5\n"
                               "accept = PrivateNetwork= RestrictAddressFamilies=~AF_(INET|INET6)\n"
                               "accept = PrivateNetwork=\n"
                               "reason = serves HTTP on :80 — by design\n"
                               "expires = 2027-03-31 00:00:00 UTC\n"
                               "  [ getty@*.service ]  \r\n"
                               "max_exposure=10\n"
                               "[x.service]\n"
                               "max_exposure = 0.0\n"
                               "reason = a ceiling may say why too\n",
                               &e),
                         0);
        assert_null(e.message);
        assert_int_equal(p->n_rules, 3);
        assert_string_equal(p->rules[0].pattern, "nginx.service");
        assert_false(p->rules[0].glob);
        assert_int_equal(p->rules[0].line, 3);
        assert_int_equal(p->rules[0].max_exposure, 75);
        assert_int_equal(strv_length(p->rules[0].accept), 2);
        assert_string_equal(p->rules[0].accept[1], "RestrictAddressFamilies=~AF_(INET|INET6)");
        assert_string_equal(p->rules[0].reason, "serves HTTP on :80 — by design");
        assert_int_equal(p->rules[0].expires_usec, UINT64_C(1806451200) * SEC);
        assert_string_equal(p->rules[0].expires, "2027-03-31 00:00:00 UTC");
        assert_string_equal(p->rules[0].file, "/etc/exposured/policy.d/t.conf");
        assert_string_equal(p->rules[1].pattern, "getty@*.service");
        assert_true(p->rules[1].glob);
        assert_int_equal(p->rules[1].max_exposure, 100);
        assert_null(p->rules[1].accept);
        assert_int_equal(p->rules[2].max_exposure, 0);
        assert_int_equal(strv_length(p->files), 1);
}

static void test_parse_errors(void **state) {
        static const struct {
                const char *text;
                unsigned line;
                const char *message;
        } bad[] = {
                { "max_exposure = 5\n", 1, "outside a rule" },
                { "[a.service]\nmax_exposure = 10.1\n", 2, "not an exposure" },
                { "[a.service]\nmax_exposure = 7.55\n", 2, "not an exposure" },
                { "[a.service]\nmax_exposure = -1\n", 2, "not an exposure" },
                { "[a.service]\nmax_exposure = high\n", 2, "not an exposure" },
                { "[a.service]\nmax_exposure = 5\nmax_exposure = 6\n", 3, "given twice" },
                { "[a.service]\n\n# x\naccept = PrivateNetwork=\n", 4, "needs a reason=" },
                { "[a.service]\naccept = PrivateNetwork\nreason = x\n", 2, "unknown check" },
                { "[a.service]\naccept =\nreason = x\n", 2, "no check named" },
                { "[a.service]\naccept = PrivateNetwork=\nreason = x\nexpires = tomorrow\n", 4,
                  "not a date" },
                { "[a.service]\naccept = PrivateNetwork=\nreason = x\nexpires = +2d\n", 4,
                  "not a date" },
                { "[a.service]\naccept = PrivateNetwork=\nreason = x\nexpires = 2027-13-01\n", 4,
                  "not a date" },
                { "[a.service]\nmax_exposure = 5\nexpires = 2027-01-01\n", 3, "applies to" },
                { "[a.service]\nreason =\n", 2, "1..512 bytes" },
                { "[a.service]\nreason = a\x01z\n", 2, "not printable" },
                { "[a.service]\nreason = \xff\xfe\n", 2, "not printable" },
                { "[a.service]\nceiling = 5\n", 2, "unknown key 'ceiling'" },
                { "[a.service]\nmax_exposure 5\n", 2, "expected 'key = value'" },
                { "[a.service\nmax_exposure = 5\n", 1, "expected '[UNIT]'" },
                { "[a service]\nmax_exposure = 5\n", 1, "not a unit name" },
                { "[]\nmax_exposure = 5\n", 1, "not a unit name" },
                { "[a.service]\n[b.service]\nmax_exposure = 5\n", 1, "sets neither" },
                { "[a.service]\nmax_exposure = 5\n[b.service]\n", 3, "sets neither" },
                { "[a.service]\nmax_exposure = 5\0\n", 2, "NUL byte" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
                PolicyError e = {};
                size_t len = strlen(bad[i].text);
                if (strstr(bad[i].message, "NUL"))
                        len += 2; /* the text goes on after its NUL */
                int r = unit_policy_parse(p, "/p/t.conf", bad[i].text, len, &e);
                _cleanup_free_ char *msg = e.message ? policy_error_format(&e) : NULL;
                if (r != -EINVAL || e.line != bad[i].line || !e.message ||
                    !strstr(e.message, bad[i].message) || !streq_ptr(e.file, "/p/t.conf"))
                        fail_msg("case %zu: r=%d line %u '%s'", i, r, e.line, msg ?: "");
                /* FILE:LINE: message, as the daemon logs it */
                char want[64];
                (void) snprintf(want, sizeof want, "/p/t.conf:%u: ", bad[i].line);
                assert_true(startswith(msg, want));
                assert_int_equal(p->n_rules, 0);
                policy_error_done(&e);
        }
}

static void test_all_or_nothing(void **state) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        PolicyError e = {};

        (void) state;
        assert_int_equal(parse(p, "[a.service]\nmax_exposure = 5\n", &e), 0);
        assert_int_equal(parse(p, "[b.service]\nmax_exposure = 5\n[c.service]\nmax = 1\n", &e),
                         -EINVAL);
        assert_int_equal(e.line, 4);
        policy_error_done(&e);
        assert_int_equal(p->n_rules, 1);
        assert_string_equal(p->rules[0].pattern, "a.service");
        assert_int_equal(strv_length(p->files), 1);
}

static void test_match_and_ceiling(void **state) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        PolicyError e = {};
        PolicyVerdict v;
        ScoreReport r;

        (void) state;
        assert_int_equal(parse(p,
                               "[getty@tty1.service]\nmax_exposure = 8.0\n"
                               "[getty@*.service]\nmax_exposure = 9.0\n"
                               "[*.service]\nmax_exposure = 9.6\n"
                               "[ssh?.service]\nmax_exposure = 5.0\n"
                               "[a\\x2db.service]\nmax_exposure = 1.0\n",
                               &e),
                         0);
        report(&r, 85, NULL);
        /* an exact name beats every glob, read before or after it */
        unit_policy_evaluate(p, "getty@tty1.service", &r, 0, &v);
        assert_int_equal(v.ceiling, 80);
        assert_int_equal(v.ceiling_rule, 0);
        assert_int_equal(v.first_rule, 0);
        assert_int_equal(v.status, POLICY_OVER);
        assert_true(v.over_ceiling);
        assert_false(v.allow_list);
        /* among globs the last read wins */
        unit_policy_evaluate(p, "getty@tty2.service", &r, 0, &v);
        assert_int_equal(v.ceiling, 96);
        assert_int_equal(v.status, POLICY_OK);
        unit_policy_evaluate(p, "sshd.service", &r, 0, &v);
        assert_int_equal(v.ceiling, 50);
        assert_int_equal(v.ceiling_rule, 3);
        /* a backslash is a character of the name, not an escape */
        unit_policy_evaluate(p, "a\\x2db.service", &r, 0, &v);
        assert_int_equal(v.ceiling, 10);
        assert_int_equal(v.status, POLICY_OVER);
        /* exactly at the ceiling is within it */
        report(&r, 96, NULL);
        unit_policy_evaluate(p, "cron.service", &r, 0, &v);
        assert_int_equal(v.status, POLICY_OK);
        report(&r, 97, NULL);
        unit_policy_evaluate(p, "cron.service", &r, 0, &v);
        assert_int_equal(v.status, POLICY_OVER);
        /* no rule: unmanaged, with or without a policy */
        unit_policy_evaluate(p, "cron.socket", &r, 0, &v);
        assert_int_equal(v.status, POLICY_UNMANAGED);
        assert_int_equal(v.ceiling, -1);
        unit_policy_evaluate(NULL, "cron.service", &r, 0, &v);
        assert_int_equal(v.status, POLICY_UNMANAGED);
}

static void test_waivers(void **state) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        const char *failing[] = { "PrivateNetwork=", "PrivateTmp=", NULL };
        PolicyError e = {};
        PolicyVerdict v;
        ScoreReport r;
        bool expired;

        (void) state;
        assert_int_equal(parse(p,
                               "[web.service]\n"
                               "accept = PrivateNetwork=\n"
                               "reason = it serves\n"
                               "[web.service]\n"
                               "accept = PrivateTmp=\n"
                               "reason = legacy temp files\n"
                               "expires = @1000\n"
                               "[web.service]\n"
                               "accept = PrivateTmp=\n"
                               "reason = extended\n"
                               "expires = @2000\n",
                               &e),
                         0);
        report(&r, 50, failing);
        size_t net = check_index(&r, "PrivateNetwork="), tmp = check_index(&r, "PrivateTmp=");

        /* both failing checks waived: ok; the later of two waivers in force covers PrivateTmp= */
        unit_policy_evaluate(p, "web.service", &r, 500 * SEC, &v);
        assert_int_equal(v.status, POLICY_OK);
        assert_true(v.allow_list);
        assert_int_equal(v.n_unaccepted, 0);
        assert_int_equal(v.ceiling, -1);
        assert_ptr_equal(unit_policy_waiver(p, &v, net, &expired), &p->rules[0]);
        assert_false(expired);
        assert_ptr_equal(unit_policy_waiver(p, &v, tmp, &expired), &p->rules[2]);
        assert_false(expired);
        assert_int_equal(v.next_expiry_usec, 1000 * SEC);

        /* the first waiver lapsed, the second still counts */
        unit_policy_evaluate(p, "web.service", &r, 1000 * SEC, &v);
        assert_int_equal(v.status, POLICY_OK);
        assert_ptr_equal(unit_policy_waiver(p, &v, tmp, &expired), &p->rules[2]);
        assert_false(expired);
        assert_int_equal(v.next_expiry_usec, 2000 * SEC);

        /* both lapsed: the check counts again, and the verdict says which waiver expired */
        unit_policy_evaluate(p, "web.service", &r, 2000 * SEC, &v);
        assert_int_equal(v.status, POLICY_OVER);
        assert_int_equal(v.n_unaccepted, 1);
        assert_ptr_equal(unit_policy_waiver(p, &v, tmp, &expired), &p->rules[2]);
        assert_true(expired);
        assert_int_equal(v.next_expiry_usec, 0);

        /* a failing check nobody accepted breaks an allow list */
        const char *more[] = { "PrivateNetwork=", "PrivateDevices=", NULL };
        report(&r, 50, more);
        unit_policy_evaluate(p, "web.service", &r, 0, &v);
        assert_int_equal(v.status, POLICY_OVER);
        assert_int_equal(v.n_unaccepted, 1);
        assert_null(unit_policy_waiver(p, &v, check_index(&r, "PrivateDevices="), NULL));
        /* a check that is not applicable does not fail */
        r.checks[check_index(&r, "PrivateDevices=")].badness = BADNESS_NA;
        unit_policy_evaluate(p, "web.service", &r, 0, &v);
        assert_int_equal(v.status, POLICY_OK);
}

static void test_ceiling_only_ignores_checks(void **state) {
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        const char *failing[] = { "PrivateNetwork=", "PrivateTmp=", NULL };
        PolicyError e = {};
        PolicyVerdict v;
        ScoreReport r;

        (void) state;
        assert_int_equal(parse(p, "[*]\nmax_exposure = 9.0\n", &e), 0);
        report(&r, 90, failing);
        unit_policy_evaluate(p, "web.service", &r, 0, &v);
        assert_int_equal(v.status, POLICY_OK);
        assert_false(v.allow_list);
}

static void test_baseline_roundtrip(void **state) {
        const char *f1[] = { "PrivateNetwork=", "User=/DynamicUser=",
                             "RestrictAddressFamilies=~AF_(INET|INET6)", NULL };
        ScoreReport a, b, worse;
        PolicyBaselineUnit units[2] = { { "a\\x2db.service", &a }, { "b.service", &b } };
        _cleanup_(unit_policy_freep) UnitPolicy *p = unit_policy_new();
        PolicyError e = {};
        PolicyVerdict v;
        Buf out = {};

        (void) state;
        report(&a, 83, f1);
        report(&b, 0, NULL);
        unit_policy_format_baseline(units, 2, "host h, 2026-12-02", "baseline 2026-12-02", &out);
        assert_non_null(strstr(out.data, "\n[a\\x2db.service]\nmax_exposure = 8.3\n"
                                         "accept = User=/DynamicUser=\n"));
        assert_non_null(strstr(out.data, "reason = baseline 2026-12-02\n"));
        assert_non_null(strstr(out.data, "\n[b.service]\nmax_exposure = 0.0\n"));
        assert_int_equal(unit_policy_parse(p, "base.conf", out.data, out.len, &e), 0);
        for (size_t i = 0; i < 2; i++) {
                unit_policy_evaluate(p, units[i].unit, units[i].report, 0, &v);
                assert_int_equal(v.status, POLICY_OK);
        }
        /* the ratchet: a higher exposure, or one more failing check, is over policy */
        report(&worse, 84, f1);
        unit_policy_evaluate(p, "a\\x2db.service", &worse, 0, &v);
        assert_int_equal(v.status, POLICY_OVER);
        assert_true(v.over_ceiling);
        const char *f2[] = { "PrivateNetwork=", "User=/DynamicUser=",
                             "RestrictAddressFamilies=~AF_(INET|INET6)", "PrivateTmp=", NULL };
        report(&worse, 83, f2);
        unit_policy_evaluate(p, "a\\x2db.service", &worse, 0, &v);
        assert_int_equal(v.status, POLICY_OVER);
        assert_false(v.over_ceiling);
        assert_int_equal(v.n_unaccepted, 1);
        /* and better is fine */
        report(&worse, 10, NULL);
        unit_policy_evaluate(p, "a\\x2db.service", &worse, 0, &v);
        assert_int_equal(v.status, POLICY_OK);
        buf_done(&out);
}

static void test_load_dir(void **state) {
        char dir[] = "/tmp/test-unit-policy-XXXXXX", path[128];
        UnitPolicy *p = NULL;
        PolicyError e = {};
        FILE *f;

        (void) state;
        assert_non_null(mkdtemp(dir));
        /* missing: an empty policy */
        (void) snprintf(path, sizeof path, "%s/none", dir);
        assert_int_equal(unit_policy_load_dir(path, &p, &e), 0);
        assert_int_equal(p->n_rules, 0);
        p = unit_policy_free(p);

        /* lexical order; other names ignored */
        (void) snprintf(path, sizeof path, "%s/20-b.conf", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs("[*.service]\nmax_exposure = 9.0\n", f);
        fclose(f);
        (void) snprintf(path, sizeof path, "%s/10-a.conf", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs("[*.service]\nmax_exposure = 5.0\n", f);
        fclose(f);
        (void) snprintf(path, sizeof path, "%s/notes.txt", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs("garbage\n", f);
        fclose(f);
        assert_int_equal(unit_policy_load_dir(dir, &p, &e), 0);
        assert_int_equal(p->n_rules, 2);
        assert_true(endswith(p->rules[0].file, "/10-a.conf"));
        assert_int_equal(p->rules[1].max_exposure, 90);
        p = unit_policy_free(p);

        /* a broken file: nothing, and its name and line */
        (void) snprintf(path, sizeof path, "%s/30-c.conf", dir);
        assert_non_null(f = fopen(path, "w"));
        fputs("[x.service]\n\nmax_exposure = 11\n", f);
        fclose(f);
        assert_int_equal(unit_policy_load_dir(dir, &p, &e), -EINVAL);
        assert_null(p);
        assert_true(endswith(e.file, "/30-c.conf"));
        assert_int_equal(e.line, 3);
        policy_error_done(&e);
        (void) unlink(path);

        /* not a regular file */
        (void) snprintf(path, sizeof path, "%s/40-d.conf", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(unit_policy_load_dir(dir, &p, &e), -EBADFD);
        assert_true(endswith(e.file, "/40-d.conf"));
        assert_non_null(strstr(e.message, "not a regular file"));
        policy_error_done(&e);
        (void) rmdir(path);

        static const char *const names[] = { "10-a.conf", "20-b.conf", "notes.txt" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                (void) snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                (void) unlink(path);
        }
        (void) rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_keys),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_all_or_nothing),
                cmocka_unit_test(test_match_and_ceiling),
                cmocka_unit_test(test_waivers),
                cmocka_unit_test(test_ceiling_only_ignores_checks),
                cmocka_unit_test(test_baseline_roundtrip),
                cmocka_unit_test(test_load_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
