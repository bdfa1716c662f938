/* SPDX-License-Identifier: MIT */
/* time-parse: systemd.time(7) timestamps and spans, with a fixed "now" and fixed time zones
 * (POSIX TZ strings, no tzdata needed): every form the header lists, and bad input refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "cleanup.h"
#include "time-parse.h"

#define S UINT64_C(1000000)
/* 2026-12-01 10:00:00 UTC, a Tuesday. */
#define NOW (UINT64_C(1796119200) * S)

static void set_tz(const char *tz) {
        assert_int_equal(setenv("TZ", tz, 1), 0);
        tzset();
}

static uint64_t ts(const char *s) {
        uint64_t t = 0;

        if (time_parse_timestamp(s, NOW, &t) != 0)
                fail_msg("did not parse: '%s'", s);
        return t;
}

static void test_span(void **state) {
        uint64_t v;

        (void) state;
        assert_int_equal(time_parse_span("1h 30min", &v), 0);
        assert_int_equal(v, 5400 * S);
        assert_int_equal(time_parse_span("2d3h", &v), 0);
        assert_int_equal(v, (2 * 86400 + 3 * 3600) * S);
        assert_int_equal(time_parse_span("1.5s", &v), 0);
        assert_int_equal(v, 1500000);
        assert_int_equal(time_parse_span("500ms", &v), 0);
        assert_int_equal(v, 500000);
        assert_int_equal(time_parse_span("90", &v), 0);
        assert_int_equal(v, 90 * S);
        assert_int_equal(time_parse_span("1w", &v), 0);
        assert_int_equal(v, 7 * 86400 * S);
        assert_int_equal(time_parse_span("1M", &v), 0);
        assert_int_equal(v, 2629800 * S);
        assert_int_equal(time_parse_span("1m", &v), 0);
        assert_int_equal(v, 60 * S);
        assert_int_equal(time_parse_span("1y", &v), 0);
        assert_int_equal(v, 31557600 * S);
        assert_int_equal(time_parse_span("3 hours 2 minutes", &v), 0);
        assert_int_equal(v, (3 * 3600 + 120) * S);
        assert_int_equal(time_parse_span("10us", &v), 0);
        assert_int_equal(v, 10);

        const char *bad[] = { "", " ", "h", "1x", "1 hourz", "-1h", "1..5s", "1h-" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(time_parse_span(bad[i], &v), -EINVAL);
        assert_int_equal(time_parse_span("99999999999999999999s", &v), -ERANGE);
        assert_int_equal(time_parse_span("999999999999y", &v), -ERANGE);
}

static void test_relative(void **state) {
        (void) state;
        set_tz("UTC0");
        assert_int_equal(ts("now"), NOW);
        assert_int_equal(ts("epoch"), 0);
        assert_int_equal(ts("-1h"), NOW - 3600 * S);
        assert_int_equal(ts("+1h"), NOW + 3600 * S);
        assert_int_equal(ts("2 days ago"), NOW - 2 * 86400 * S);
        assert_int_equal(ts("30min left"), NOW + 1800 * S);
        assert_int_equal(ts("2h"), NOW - 7200 * S); /* exposured's older form */
        assert_int_equal(ts("@1700000000"), UINT64_C(1700000000) * S);
        assert_int_equal(ts("@1700000000.25"), UINT64_C(1700000000) * S + 250000);
        assert_int_equal(ts("-100y"), 0); /* before the epoch: clamped */
        assert_int_equal(ts("today"), NOW - 10 * 3600 * S);
        assert_int_equal(ts("yesterday"), NOW - 34 * 3600 * S);
        assert_int_equal(ts("tomorrow"), NOW + 14 * 3600 * S);
}

static void test_absolute(void **state) {
        (void) state;
        set_tz("UTC0");
        assert_int_equal(ts("2026-12-01 10:00"), NOW);
        assert_int_equal(ts("2026-12-01 10:00:00"), NOW);
        assert_int_equal(ts("2026-12-01T10:00:00Z"), NOW);
        assert_int_equal(ts("2026-12-01 10:00:00.5"), NOW + 500000);
        assert_int_equal(ts("2026-12-01"), NOW - 10 * 3600 * S);
        assert_int_equal(ts("Tue 2026-12-01 10:00"), NOW);
        assert_int_equal(ts("10:00"), NOW);
        assert_int_equal(ts("09:30:15"), NOW - 1785 * S);

        /* Local time is the process's zone; " UTC" and offsets override it. */
        set_tz("<+02>-2");
        assert_int_equal(ts("2026-12-01 12:00"), NOW);
        assert_int_equal(ts("2026-12-01 10:00 UTC"), NOW);
        assert_int_equal(ts("2026-12-01 11:00:00+01:00"), NOW);
        assert_int_equal(ts("2026-12-01T05:00:00-05:00"), NOW);
        assert_int_equal(ts("today"), NOW - 12 * 3600 * S); /* local midnight: 22:00 UTC */
        assert_int_equal(ts("12:00"), NOW);
        set_tz("UTC0");

        uint64_t t;
        const char *bad[] = { "", "x", "yesterdayx", "2026-13-01", "2026-02-30", "2026-12-01 25:00",
                              "2026-12-01 10:60", "2026-12-01 junk", "2026-12-1", "12:00 junk",
                              "2026-12-01 10:00 +25:00", "@", "@x", "@-1", "2h30", "now+1h",
                              "Tuesday" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (time_parse_timestamp(bad[i], NOW, &t) != -EINVAL)
                        fail_msg("accepted: '%s'", bad[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_span),
                cmocka_unit_test(test_relative),
                cmocka_unit_test(test_absolute),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
