/* SPDX-License-Identifier: MIT */
/* render.c: escaping for HTML, Prometheus labels and URLs, UTF-8 repair, time parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define FFFD "\xef\xbf\xbd"

static void check(void (*f)(Buf *, const char *), const char *in, const char *want) {
        Buf b = {};
        f(&b, in);
        assert_string_equal(b.data ? b.data : "", want);
        buf_done(&b);
}

static void test_html(void **state) {
        (void) state;
        check(render_html_escape, "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        check(render_html_escape, "<script>alert(1)</script>",
              "&lt;script&gt;alert(1)&lt;/script&gt;");
        check(render_html_escape, "<img src=x onerror=alert(1)>",
              "&lt;img src=x onerror=alert(1)&gt;");
        check(render_html_escape, "a\\x2db@c.service", "a\\x2db@c.service");
        check(render_html_escape, "tab\tnl\ncr\r", "tab\tnl\ncr\r");
        check(render_html_escape, "bell\a esc\x1b del\x7f", "bell" FFFD " esc" FFFD " del" FFFD);
        check(render_html_escape, "", "");
        check(render_html_escape, NULL, "");
        check(render_html_escape, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_utf8(void **state) {
        (void) state;
        check(render_utf8_sanitize, "bad\xff\xfe", "bad" FFFD FFFD);
        check(render_utf8_sanitize, "\xc0\xaf", FFFD FFFD);             /* overlong '/' */
        check(render_utf8_sanitize, "\xe0\x80\xaf", FFFD FFFD FFFD);    /* overlong */
        check(render_utf8_sanitize, "\xed\xa0\x80", FFFD FFFD FFFD);    /* surrogate */
        check(render_utf8_sanitize, "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
        check(render_utf8_sanitize, "cut\xe2\x82", "cut" FFFD FFFD);    /* truncated */
        check(render_utf8_sanitize, "\xe2\x82<", FFFD FFFD "<");
        check(render_html_escape, "\xe2\x82<", FFFD FFFD "&lt;");       /* no byte swallowed */
}

static void test_label(void **state) {
        (void) state;
        check(render_label_escape, "a\\x2db.service", "a\\\\x2db.service");
        check(render_label_escape, "q\"uote", "q\\\"uote");
        check(render_label_escape, "new\nline", "new\\nline");
        check(render_label_escape, "bad\xff", "bad" FFFD);
        check(render_label_escape, "getty@tty1.service", "getty@tty1.service");
}

static void test_url(void **state) {
        (void) state;
        check(render_url_encode, "getty@tty1.service", "getty%40tty1.service");
        check(render_url_encode, "a\\x2db.service", "a%5Cx2db.service");
        check(render_url_encode, "a b/c?d#e%\"<", "a%20b%2Fc%3Fd%23e%25%22%3C");
        check(render_url_encode, "A-Z_a.z~09", "A-Z_a.z~09");
        check(render_url_encode, "\xff\n", "%FF%0A");
}

static void test_numbers(void **state) {
        Buf b = {};
        (void) state;
        render_tenths(&b, 0);
        buf_putc(&b, ' ');
        render_tenths(&b, 96);
        buf_putc(&b, ' ');
        render_tenths(&b, 100);
        buf_putc(&b, ' ');
        render_rfc3339(&b, UINT64_C(1795000000000000));
        buf_putc(&b, ' ');
        render_rfc3339(&b, 0);
        assert_string_equal(b.data, "0.0 9.6 10.0 2026-11-18T11:06:40Z 1970-01-01T00:00:00Z");
        {
                char t[8];
                assert_string_equal(render_format_tenths(5, t), "0.5");
                assert_string_equal(render_format_tenths(UINT32_MAX, t), "99999.5");
        }
        buf_done(&b);
}

static void test_parse_time(void **state) {
        uint64_t t;
        (void) state;
        assert_int_equal(render_parse_time("1795000000", &t), 0);
        assert_true(t == UINT64_C(1795000000000000));
        assert_int_equal(render_parse_time("0", &t), 0);
        assert_true(t == 0);
        assert_int_equal(render_parse_time("2026-11-18T11:06:40Z", &t), 0);
        assert_true(t == UINT64_C(1795000000000000));
        assert_int_equal(render_parse_time("2026-11-18t12:06:40.25+01:00", &t), 0);
        assert_true(t == UINT64_C(1795000000250000));
        assert_int_equal(render_parse_time("2026-11-18T06:06:40-05:00", &t), 0);
        assert_true(t == UINT64_C(1795000000000000));
        assert_int_equal(render_parse_time("1970-01-01T00:00:00Z", &t), 0);
        assert_true(t == 0);
        assert_int_equal(render_parse_time("2024-02-29T00:00:00Z", &t), 0);

        static const char *const bad[] = {
                "", "-1", "1e9", "12a", "99999999999999999999", "2026-11-18", "2026-11-18T08:26Z",
                "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                "2026-11-18T24:00:00Z", "2026-11-18T08:26:40", "2026-11-18T08:26:40+1:00",
                "2026-11-18T08:26:40.Z", "2026-11-18T11:06:40Zjunk", "1969-12-31T23:59:59Z",
                "1970-01-01T00:00:00+01:00", " 1795000000", "2026-11-18 08:26:40Z", NULL,
        };
        for (size_t i = 0; bad[i]; i++) {
                t = 42;
                assert_true(render_parse_time(bad[i], &t) < 0);
                assert_true(t == 42); /* untouched on failure */
        }
}

static void test_accept(void **state) {
        (void) state;
        assert_int_equal(metrics_format_from_accept(NULL), METRICS_PROMETHEUS);
        assert_int_equal(metrics_format_from_accept("*/*"), METRICS_PROMETHEUS);
        assert_int_equal(metrics_format_from_accept("text/plain;version=0.0.4"),
                         METRICS_PROMETHEUS);
        /* What Prometheus 2.x sends. */
        assert_int_equal(metrics_format_from_accept(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
                METRICS_OPENMETRICS);
        assert_int_equal(metrics_format_from_accept("Application/OpenMetrics-Text"),
                         METRICS_OPENMETRICS);
        assert_int_equal(metrics_format_from_accept("application/openmetrics-text;q=0"),
                         METRICS_PROMETHEUS);
        assert_int_equal(metrics_format_from_accept(
                "application/openmetrics-text;q=0.2, text/plain"), METRICS_PROMETHEUS);
        assert_int_equal(metrics_format_from_accept(";;;,,,q=,"), METRICS_PROMETHEUS);
        assert_string_equal(metrics_content_type(METRICS_PROMETHEUS),
                            "text/plain; version=0.0.4; charset=utf-8");
        assert_string_equal(metrics_content_type(METRICS_OPENMETRICS),
                            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_html),   cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_label),  cmocka_unit_test(test_url),
                cmocka_unit_test(test_numbers), cmocka_unit_test(test_parse_time),
                cmocka_unit_test(test_accept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
