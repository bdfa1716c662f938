/* SPDX-License-Identifier: MIT */
/* util.c's parsers that several modules share: parse_bool_n() (config, unit properties, the
 * scorer's ProtectHome=/ProtectSystem= reading) and unhex_char() (policy \uXXXX escapes). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cleanup.h"
#include "util.h"

static void test_user_name_valid(void **state) {
        (void) state;
        assert_true(user_name_valid("alice", 5));
        assert_true(user_name_valid("1000", 4));
        assert_true(user_name_valid("a.b-c_D", 7));
        assert_true(user_name_valid("alice/foo.service", 5)); /* the n bytes only */
        assert_false(user_name_valid("alice/foo.service", 6));
        assert_false(user_name_valid("", 0));
        assert_false(user_name_valid(NULL, 0));
        assert_false(user_name_valid("-a", 2));
        assert_false(user_name_valid(".a", 2));
        assert_false(user_name_valid("a b", 3));
        assert_false(user_name_valid("a\0b", 3));
        assert_false(user_name_valid("\xc3\xa9", 2));
        char l[66];
        memset(l, 'a', sizeof(l) - 1);
        l[65] = 0;
        assert_false(user_name_valid(l, 65));
        assert_true(user_name_valid(l, 64));
}

static void test_parse_bool(void **state) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on",
                                           "YES", "True", "On" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off",
                                          "NO", "False", "OFF" };
        static const char *const bad[] = { "", "2", "yess", "ye", "tru", "o", " yes", "yes ",
                                           "read-only", "strict", "auto" };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_int_equal(parse_bool(yes[i]), 1);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_int_equal(parse_bool(no[i]), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(parse_bool(bad[i]), -EINVAL);
        assert_int_equal(parse_bool(NULL), -EINVAL);
        /* Bounded: only the n bytes count, no NUL needed. */
        assert_int_equal(parse_bool_n("yes please", 3), 1);
        assert_int_equal(parse_bool_n("offset", 3), 0);
        assert_int_equal(parse_bool_n("offset", 4), -EINVAL);
        assert_int_equal(parse_bool_n("on", 0), -EINVAL);
}

static void test_unhex(void **state) {
        const char *digits = "0123456789abcdef";
        (void) state;

        for (int i = 0; i < 16; i++) {
                assert_int_equal(unhex_char(digits[i]), i);
                if (i >= 10)
                        assert_int_equal(unhex_char((char) (digits[i] - 'a' + 'A')), i);
        }
        assert_int_equal(unhex_char('g'), -EINVAL);
        assert_int_equal(unhex_char('G'), -EINVAL);
        assert_int_equal(unhex_char('\0'), -EINVAL);
        assert_int_equal(unhex_char('/'), -EINVAL);
        assert_int_equal(unhex_char(':'), -EINVAL);
}

/* text_error_set() replaces every field, may keep the error's own file, and accepts NULL. */
static void test_text_error(void **state) {
        TextError e = {};

        (void) state;
        text_error_set(NULL, "f", 1, "ignored");
        text_error_set(&e, "a.conf", 3, "bad %s at %d", "value", 7);
        assert_string_equal(e.file, "a.conf");
        assert_int_equal(e.line, 3);
        assert_string_equal(e.message, "bad value at 7");
        text_error_set(&e, e.file, 0, "again"); /* its own file: copied before it is freed */
        assert_string_equal(e.file, "a.conf");
        assert_int_equal(e.line, 0);
        assert_string_equal(e.message, "again");
        text_error_set(&e, NULL, 9, "no file");
        assert_null(e.file);
        assert_int_equal(e.line, 9);
        text_error_done(&e);
        assert_null(e.message);
        assert_int_equal(e.line, 0);
        text_error_done(&e);
        text_error_done(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_text_error),
                cmocka_unit_test(test_parse_bool),
                cmocka_unit_test(test_user_name_valid),
                cmocka_unit_test(test_unhex),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
