/* SPDX-License-Identifier: MIT */
/* rescan-limit's rules with explicit times: the echo of a read that found nothing, its expiry,
 * the per-unit interval, the budget for unknown names and its refill, known units outside the
 * budget, and the bound on remembered names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rescan-limit.h"

#define SEC 1000000ULL
#define T0 (1000 * SEC)

static void test_echo(void **state) {
        RescanLimit l = {};
        (void) state;

        assert_int_equal(rescan_limit_check(&l, "x.service", true, false, T0), RESCAN_ALLOW);
        rescan_limit_record(&l, "x.service", true, T0);
        /* Every UnitNew within the hold is an echo of our read, known or not... */
        assert_int_equal(rescan_limit_check(&l, "x.service", true, false, T0 + 1), RESCAN_ECHO);
        assert_int_equal(rescan_limit_check(&l, "x.service", true, true, T0 + 59 * SEC),
                         RESCAN_ECHO);
        /* ... but a finished job is not (someone started it: read it). */
        assert_int_equal(rescan_limit_check(&l, "x.service", false, false, T0 + SEC),
                         RESCAN_ALLOW);
        /* After the hold, a UnitNew is a request like any other. */
        assert_int_equal(rescan_limit_check(&l, "x.service", true, false, T0 + 60 * SEC),
                         RESCAN_ALLOW);
        /* A read that found it loaded ends the echo at once. */
        rescan_limit_record(&l, "x.service", true, T0 + 61 * SEC);
        rescan_limit_record(&l, "x.service", false, T0 + 62 * SEC);
        assert_int_equal(rescan_limit_check(&l, "x.service", true, true, T0 + 62 * SEC),
                         RESCAN_ALLOW);
        assert_int_equal(l.n_entries, 1);
        rescan_limit_done(&l);
}

static void test_interval(void **state) {
        RescanLimit l = {};
        (void) state;

        assert_int_equal(rescan_limit_not_before(&l, "a.service"), 0);
        rescan_limit_record(&l, "a.service", false, T0);
        assert_int_equal(rescan_limit_not_before(&l, "a.service"),
                         T0 + RESCAN_UNIT_INTERVAL_USEC);
        rescan_limit_record(&l, "a.service", false, T0 + 5 * SEC);
        assert_int_equal(rescan_limit_not_before(&l, "a.service"),
                         T0 + 5 * SEC + RESCAN_UNIT_INTERVAL_USEC);
        assert_int_equal(rescan_limit_not_before(&l, "b.service"), 0);
        rescan_limit_done(&l);
}

static void test_budget(void **state) {
        RescanLimit l = {};
        char name[32];
        unsigned allowed = 0;
        (void) state;

        /* A burst of made-up names: RESCAN_UNKNOWN_BURST pass, the rest are refused. */
        for (unsigned i = 0; i < 1000; i++) {
                (void) snprintf(name, sizeof name, "r%u.service", i);
                allowed += rescan_limit_check(&l, name, true, false, T0 + i) == RESCAN_ALLOW;
        }
        assert_int_equal(allowed, RESCAN_UNKNOWN_BURST);
        /* Known units are never refused. */
        assert_int_equal(rescan_limit_check(&l, "a.service", false, true, T0 + SEC),
                         RESCAN_ALLOW);
        /* One token per refill period... */
        uint64_t t = T0 + RESCAN_UNKNOWN_REFILL_USEC;
        assert_int_equal(rescan_limit_check(&l, "s1.service", true, false, t), RESCAN_ALLOW);
        assert_int_equal(rescan_limit_check(&l, "s2.service", true, false, t), RESCAN_OVER_BUDGET);
        /* ... up to the burst after a long quiet time, never more. */
        t += 1000 * RESCAN_UNKNOWN_REFILL_USEC;
        allowed = 0;
        for (unsigned i = 0; i < 100; i++) {
                (void) snprintf(name, sizeof name, "q%u.service", i);
                allowed += rescan_limit_check(&l, name, true, false, t) == RESCAN_ALLOW;
        }
        assert_int_equal(allowed, RESCAN_UNKNOWN_BURST);
        /* Sustained: over 60 s of a storm (100 names a second), the burst plus one per period
         * begun within it (at 5, 10, ..., 55 s). */
        t += 1000 * RESCAN_UNKNOWN_REFILL_USEC;
        allowed = 0;
        for (uint64_t dt = 0; dt < 60 * SEC; dt += SEC / 100) {
                (void) snprintf(name, sizeof name, "z%llu.service", (unsigned long long) dt);
                allowed += rescan_limit_check(&l, name, true, false, t + dt) == RESCAN_ALLOW;
        }
        assert_int_equal(allowed, RESCAN_UNKNOWN_BURST + 60 * SEC / RESCAN_UNKNOWN_REFILL_USEC - 1);
        rescan_limit_done(&l);
}

static void test_bounded(void **state) {
        RescanLimit l = {};
        char name[32];
        (void) state;

        for (unsigned i = 0; i < 3 * RESCAN_LIMIT_ENTRIES; i++) {
                (void) snprintf(name, sizeof name, "n%05u.service", i);
                rescan_limit_record(&l, name, true, T0 + i);
        }
        assert_int_equal(l.n_entries, RESCAN_LIMIT_ENTRIES);
        /* The newest are kept, the oldest forgotten; the order holds. */
        assert_int_equal(rescan_limit_check(&l, "n00000.service", true, false, T0 + 4096),
                         RESCAN_ALLOW);
        (void) snprintf(name, sizeof name, "n%05u.service", 3 * RESCAN_LIMIT_ENTRIES - 1);
        assert_int_equal(rescan_limit_check(&l, name, true, false, T0 + 4096), RESCAN_ECHO);
        for (size_t i = 1; i < l.n_entries; i++)
                assert_true(strcmp(l.entries[i - 1].name, l.entries[i].name) < 0);
        rescan_limit_done(&l);
        assert_int_equal(l.n_entries, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_echo),
                cmocka_unit_test(test_interval),
                cmocka_unit_test(test_budget),
                cmocka_unit_test(test_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
