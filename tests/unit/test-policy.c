/* SPDX-License-Identifier: MIT */
/* Tests for the --security-policy parser (policy.c): systemd-analyze's tolerance rules (wrong types
 * and unknown keys ignored, reals that are integers accepted), our refusals (range 0, absurd
 * weights), JSON syntax errors with line:column as systemd-analyze reports them (the expected
 * positions were taken from systemd-analyze 252 on the same inputs), file reading and the default
 * lookup order. The ScoreTable here is a small local one: the parser only reads json_field. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "policy.h"
#include "util.h"

static const Assessor rows[] = {
        { .id = "UMask=", .json_field = "UMask", .weight = 100, .range = 10 },
        { .id = "NoNewPrivileges=", .json_field = "NoNewPrivileges", .weight = 1000, .range = 1 },
        { .id = "CapabilityBoundingSet=~CAP_(NET_BIND_SERVICE|NET_BROADCAST|NET_RAW)",
          .json_field = "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)",
          .weight = 500, .range = 1 },
        { .id = "NoJsonField=", .json_field = NULL, .weight = 10, .range = 1 },
};
static const ScoreTable table = { .version_min = 1, .version_max = 999, .rows = rows,
                                  .n_rows = ELEMENTSOF(rows) };

static Policy *parse_ok(const char *text) {
        Policy *p = NULL;
        unsigned line = 99, column = 99;

        assert_int_equal(policy_parse(text, strlen(text), &p, &line, &column), 0);
        assert_non_null(p);
        return p;
}

static void apply_ok(const char *text, ScoreOverride o[static ELEMENTSOF(rows)]) {
        _cleanup_(policy_freep) Policy *p = parse_ok(text);
        size_t row = SIZE_MAX;

        assert_int_equal(policy_apply(p, &table, o, &row), 0);
        assert_int_equal(row, SIZE_MAX);
        /* Descriptions point into p: copy-free checks only below, so test them here. */
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                o[i].description_good = o[i].description_good ? "set" : NULL;
                o[i].description_bad = o[i].description_bad ? "set" : NULL;
                o[i].description_na = o[i].description_na ? "set" : NULL;
        }
}

static void parse_fails(const char *text, size_t size, int error, unsigned line, unsigned column) {
        Policy *p = NULL;
        unsigned l = 99, c = 99;

        assert_int_equal(policy_parse(text, size, &p, &l, &c), error);
        assert_null(p);
        assert_int_equal(l, line);
        assert_int_equal(c, column);
}

/* Literal text, its size taken from the literal (so embedded NULs count). */
#define PARSE_FAILS(text, error, line, column) \
        parse_fails(text, sizeof(text) - 1, error, line, column)

static void test_overrides(void **state) {
        _cleanup_(policy_freep) Policy *p = parse_ok(
                "{ \"UMask\": { \"weight\": 7, \"range\": 20,"
                "  \"description_good\": \"good \\\"g\\\"\","
                "  \"description_bad\": \"bad\", \"description_na\": \"na\", \"unknown\": 1 },"
                "  \"NoNewPrivileges\": { \"weight\": 0 },"
                "  \"NoSuchCheck\": { \"weight\": 1 } }");
        ScoreOverride o[ELEMENTSOF(rows)];
        size_t row = SIZE_MAX;

        (void) state;
        assert_int_equal(policy_apply(p, &table, o, &row), 0);
        assert_true(o[0].has_weight);
        assert_int_equal(o[0].weight, 7);
        assert_true(o[0].has_range);
        assert_int_equal(o[0].range, 20);
        assert_string_equal(o[0].description_good, "good \"g\"");
        assert_string_equal(o[0].description_bad, "bad");
        assert_string_equal(o[0].description_na, "na");
        /* weight 0 excludes the row: it is an override, not "unset". */
        assert_true(o[1].has_weight);
        assert_int_equal(o[1].weight, 0);
        assert_false(o[1].has_range);
        assert_null(o[1].description_good);
        assert_false(o[2].has_weight);
        assert_false(o[3].has_weight);
}

/* Wrong types are ignored, as systemd-analyze's access_*() do (with a debug message). */
static void test_wrong_types_ignored(void **state) {
        static const char *const values[] = {
                "\"abc\"", "-1", "1.5", "-0.5", "true", "null", "[1]", "{}", "1e300", "-1e3",
        };
        ScoreOverride o[ELEMENTSOF(rows)];
        char text[256];

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                (void) snprintf(text, sizeof(text),
                                "{\"UMask\": {\"weight\": %s, \"range\": %s,"
                                " \"description_good\": %s,"
                                " \"description_bad\": %s, \"description_na\": %s}}",
                                values[i], values[i], i == 0 ? "1" : values[i],
                                i == 0 ? "2" : values[i], i == 0 ? "[]" : values[i]);
                apply_ok(text, o);
                assert_false(o[0].has_weight);
                assert_false(o[0].has_range);
                assert_null(o[0].description_good);
                assert_null(o[0].description_bad);
                assert_null(o[0].description_na);
        }
}

/* json_variant_is_unsigned(): reals that convert losslessly count, as do big integers. */
static void test_unsigned_reals(void **state) {
        ScoreOverride o[ELEMENTSOF(rows)];

        (void) state;
        apply_ok("{\"UMask\": {\"weight\": 5.0, \"range\": 1e1}}", o);
        assert_true(o[0].has_weight);
        assert_int_equal(o[0].weight, 5);
        assert_true(o[0].has_range);
        assert_int_equal(o[0].range, 10);

        apply_ok("{\"UMask\": {\"weight\": -0, \"range\": 18446744073709551615}}", o);
        assert_true(o[0].has_weight);
        assert_int_equal(o[0].weight, 0);
        assert_int_equal(o[0].range, UINT64_MAX);

        apply_ok("{\"UMask\": {\"weight\": 4294967295}}", o);
        assert_int_equal(o[0].weight, POLICY_WEIGHT_MAX);
}

static void test_not_objects_ignored(void **state) {
        static const char *const texts[] = {
                "[1, 2]", "5", "\"x\"", "null", "{\"UMask\": 5}",
                "{\"UMask\": [ {\"weight\": 1} ]}",
                "{\"umask\": {\"weight\": 1}}", /* keys are case-sensitive */
                "{\"CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW\": {\"weight\": 1}}",
        };
        ScoreOverride o[ELEMENTSOF(rows)];

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                apply_ok(texts[i], o);
                for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                        assert_false(o[k].has_weight);
                        assert_false(o[k].has_range);
                }
        }
}

/* systemd's json_field for this row has a stray ')': only the verbatim key matches. */
static void test_verbatim_key(void **state) {
        ScoreOverride o[ELEMENTSOF(rows)];

        (void) state;
        apply_ok("{\"CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)\": {\"weight\": 3}}",
                 o);
        assert_true(o[2].has_weight);
        assert_int_equal(o[2].weight, 3);
}

static void test_null_policy(void **state) {
        ScoreOverride o[ELEMENTSOF(rows)];
        size_t row = SIZE_MAX;

        (void) state;
        memset(o, 0xff, sizeof(o));
        assert_int_equal(policy_apply(NULL, &table, o, &row), 0);
        for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                assert_false(o[k].has_weight);
                assert_null(o[k].description_bad);
        }
}

/* systemd-analyze aborts on an assertion for range 0; we refuse with the row named. */
static void test_refusals(void **state) {
        ScoreOverride o[ELEMENTSOF(rows)];
        size_t row = SIZE_MAX;

        (void) state;
        {
                _cleanup_(policy_freep) Policy *p =
                        parse_ok("{\"NoNewPrivileges\": {\"range\": 0}}");
                assert_int_equal(policy_apply(p, &table, o, &row), -EINVAL);
                assert_int_equal(row, 1);
        }
        {
                _cleanup_(policy_freep) Policy *p =
                        parse_ok("{\"UMask\": {\"weight\": 4294967296}}");
                assert_int_equal(policy_apply(p, &table, o, &row), -ERANGE);
                assert_int_equal(row, 0);
        }
        {
                _cleanup_(policy_freep) Policy *p =
                        parse_ok("{\"UMask\": {\"range\": 0.0}}");
                assert_int_equal(policy_apply(p, &table, o, &row), -EINVAL);
        }
}

/* Positions are those systemd-analyze 252 and 257 print for the same text ("at L:C"); each was
 * checked against the real tool (and a few hundred random inputs were compared by a differential
 * run, see the report). systemd 262 moved to sd-json, which refuses a top-level non-object and
 * reports grammar errors at the token start; we follow 252-257. */
static void test_syntax_errors(void **state) {
        (void) state;
        PARSE_FAILS("{\n  \"UMask\": {\"weight\": 5,,}\n}\n", -EINVAL, 2, 25);
        PARSE_FAILS("", -ENODATA, 0, 0);
        PARSE_FAILS("  \n", -EINVAL, 2, 1);
        PARSE_FAILS("{} x", -EINVAL, 1, 4);
        PARSE_FAILS("{\"a\":1,}", -EINVAL, 1, 9);
        PARSE_FAILS("{'a':1}", -EINVAL, 1, 2);
        PARSE_FAILS("[NaN]", -EINVAL, 1, 2);
        PARSE_FAILS("[Infinity]", -EINVAL, 1, 2);
        PARSE_FAILS("[1.]", -EINVAL, 1, 2);
        PARSE_FAILS("[01]", -EINVAL, 1, 3);
        PARSE_FAILS("[0x1]", -EINVAL, 1, 3);
        PARSE_FAILS("[+1]", -EINVAL, 1, 2);
        PARSE_FAILS("[1e]", -EINVAL, 1, 2);
        PARSE_FAILS("[True]", -EINVAL, 1, 2);
        PARSE_FAILS("[nul]", -EINVAL, 1, 2);
        PARSE_FAILS("{\"a\":1 /* c */}", -EINVAL, 1, 8);
        PARSE_FAILS("{\"a\": [1, 2}", -EINVAL, 1, 13);
        PARSE_FAILS("{", -EINVAL, 1, 2);
        PARSE_FAILS("{\"a\": \"unterminated", -EINVAL, 1, 7);
        PARSE_FAILS("{\"a\": \"x\xff\"}", -EINVAL, 1, 7);
        PARSE_FAILS("{\"a\": 1}\0 ", -EBADMSG, 0, 0);
        /* json-c accepts these; systemd refuses them. */
        PARSE_FAILS("{\"a\": \"\\u0000\"}", -EINVAL, 1, 7);
        PARSE_FAILS("{\"a\": \"\x7f\"}", -EINVAL, 1, 7);
        PARSE_FAILS("[\"\\ud800\"]", -EINVAL, 1, 2);
        /* Columns count UTF-8 characters, not bytes. */
        PARSE_FAILS("[\"\xc3\xa9\xc3\xa9\" x]", -EINVAL, 1, 7);
        /* A grammar error is reported after the token, a lexical one at its start. */
        PARSE_FAILS("{}}", -EINVAL, 1, 4);
        PARSE_FAILS("{1:2}", -EINVAL, 1, 3);
        PARSE_FAILS("[1 2]", -EINVAL, 1, 4);
        PARSE_FAILS("[truex]", -EINVAL, 1, 6);
}

static void test_valid_corner_cases(void **state) {
        Policy *p;
        unsigned l, c;
        Buf deep = {};

        (void) state;
        policy_free(parse_ok(" {} \n\t"));
        policy_free(parse_ok("[\"x\\\"y\", -0.5e-3, 1E+2, true, false, null, \"\xc3\xa9\"]"));
        policy_free(parse_ok("{\"a\":\"'single' inside a string, NaN, 01\"}"));

        /* systemd nests up to 2048 levels; json-c's default of 32 must not be what decides. */
        for (int i = 0; i < 1000; i++)
                buf_putc(&deep, '[');
        for (int i = 0; i < 1000; i++)
                buf_putc(&deep, ']');
        assert_int_equal(policy_parse(deep.data, deep.len, &p, &l, &c), 0);
        policy_free(p);
        buf_done(&deep);
}

static void test_size_limit(void **state) {
        size_t n = POLICY_SIZE_MAX + 1;
        _cleanup_free_ char *big = xmalloc(n);
        Policy *p = NULL;
        unsigned l, c;

        (void) state;
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        assert_int_equal(policy_parse(big, n, &p, &l, &c), -EFBIG);
        assert_int_equal(policy_parse(big, n - 1, &p, &l, &c), -EINVAL); /* "{   " unterminated */
        big[n - 2] = '}';
        assert_int_equal(policy_parse(big, n - 1, &p, &l, &c), 0);
        policy_free(p);
}

static char tmpdir[] = "/tmp/test-policy-XXXXXX";

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static char *tmp_path(const char *suffix) {
        Buf b = {};

        buf_puts(&b, tmpdir);
        buf_puts(&b, suffix);
        return buf_steal(&b);
}

static void test_load_file(void **state) {
        _cleanup_free_ char *good = tmp_path("/good.json"), *bad = tmp_path("/bad.json");
        _cleanup_free_ char *big = tmp_path("/big.json"), *none = tmp_path("/none.json");
        ScoreOverride o[ELEMENTSOF(rows)];
        Policy *p = NULL;
        unsigned l, c;
        size_t row;
        int fd;

        (void) state;
        write_file(good, "{\"UMask\": {\"weight\": 42}}\n");
        write_file(bad, "{\n\n   ]");

        assert_int_equal(policy_load(good, &p, &l, &c), 0);
        assert_int_equal(policy_apply(p, &table, o, &row), 0);
        assert_int_equal(o[0].weight, 42);
        p = policy_free(p);

        assert_int_equal(policy_load(bad, &p, &l, &c), -EINVAL);
        assert_int_equal(l, 3);
        assert_int_equal(c, 5);
        assert_int_equal(policy_load(none, &p, &l, &c), -ENOENT);
        assert_int_equal(policy_load(tmpdir, &p, &l, &c), -EISDIR);
        assert_null(p);

        fd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t) POLICY_SIZE_MAX * 3), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(policy_load(big, &p, &l, &c), -EFBIG);
        assert_null(p);
}

/* /etc/systemd wins over /run/systemd, which wins over /usr/lib/systemd; a broken file found
 * first is an error (systemd-analyze does not fall through either). */
static void test_load_default(void **state) {
        static const char *const dirs[] = { "/etc", "/etc/systemd", "/run", "/run/systemd",
                                            "/usr", "/usr/lib", "/usr/lib/systemd" };
        _cleanup_free_ char *etc = tmp_path("/etc/systemd/" POLICY_FILE_NAME);
        _cleanup_free_ char *run = tmp_path("/run/systemd/" POLICY_FILE_NAME);
        _cleanup_free_ char *usr = tmp_path("/usr/lib/systemd/" POLICY_FILE_NAME);
        ScoreOverride o[ELEMENTSOF(rows)];
        Policy *p = NULL;
        char *path = NULL;
        unsigned l, c;
        size_t row;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *d = tmp_path(dirs[i]);
                assert_int_equal(mkdir(d, 0755), 0);
        }

        assert_int_equal(policy_load_default(tmpdir, &p, &path, &l, &c), 0);
        assert_null(p);
        assert_null(path);

        write_file(usr, "{\"UMask\": {\"weight\": 3}}");
        assert_int_equal(policy_load_default(tmpdir, &p, &path, &l, &c), 1);
        assert_string_equal(path, usr);
        assert_int_equal(policy_apply(p, &table, o, &row), 0);
        assert_int_equal(o[0].weight, 3);
        p = policy_free(p);
        free(path);

        write_file(run, "{\"UMask\": {\"weight\": 2}}");
        write_file(etc, "{\"UMask\": {\"weight\": 1}}");
        assert_int_equal(policy_load_default(tmpdir, &p, &path, &l, &c), 1);
        assert_string_equal(path, etc);
        assert_int_equal(policy_apply(p, &table, o, &row), 0);
        assert_int_equal(o[0].weight, 1);
        p = policy_free(p);
        free(path);

        write_file(etc, "{");
        assert_int_equal(policy_load_default(tmpdir, &p, &path, &l, &c), -EINVAL);
        assert_string_equal(path, etc);
        assert_null(p);
        free(path);

        assert_int_equal(unlink(etc), 0);
        assert_int_equal(unlink(run), 0);
        assert_int_equal(unlink(usr), 0);
}

static int rm_tree(void **state) {
        static const char *const files[] = {
                "/good.json", "/bad.json", "/big.json", "/usr/lib/systemd", "/usr/lib", "/usr",
                "/run/systemd", "/run", "/etc/systemd", "/etc",
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *f = tmp_path(files[i]);
                (void) remove(f);
        }
        return rmdir(tmpdir) < 0 ? -1 : 0;
}

static int make_tree(void **state) {
        (void) state;
        return mkdtemp(tmpdir) ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_overrides),
                cmocka_unit_test(test_wrong_types_ignored),
                cmocka_unit_test(test_unsigned_reals),
                cmocka_unit_test(test_not_objects_ignored),
                cmocka_unit_test(test_verbatim_key),
                cmocka_unit_test(test_null_policy),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_valid_corner_cases),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_load_default),
        };
        return cmocka_run_group_tests(tests, make_tree, rm_tree);
}
