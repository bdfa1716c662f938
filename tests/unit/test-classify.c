/* SPDX-License-Identifier: MIT */
/* classify_change(): every case of the table in classify.h (first score in and out of the
 * baseline, at, below and above the threshold; exposure up, down, equal; every cause, with
 * SYSTEMD_UPGRADE apart; verdicts equal, moved, added, reordered, unknown), plus the edges
 * (exposure 0 and 100, threshold 0 and 100). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "classify.h"
#include "util.h"

static Classification run(Cause cause, bool baseline, unsigned threshold, int before,
                          int after) {
        ClassifyRules r = { .cause = cause, .baseline = baseline, .new_unit_threshold = threshold };
        return classify_change(&r, &(ClassifyScore) { .exposure = before },
                               &(ClassifyScore) { .exposure = after });
}

static void test_first_score(void **state) {
        (void) state;
        for (Cause c = 0; c < _CAUSE_MAX; c++) {
                /* Outside the baseline: NEW_EXPOSED from the threshold up, whatever the cause. */
                assert_int_equal(run(c, false, 90, -1, 90).kind, EVENT_NEW_EXPOSED);
                assert_int_equal(run(c, false, 90, -1, 100).kind, EVENT_NEW_EXPOSED);
                assert_int_equal(run(c, false, 90, -1, 89).kind, EVENT_NONE);
                assert_int_equal(run(c, false, 90, -1, 0).kind, EVENT_NONE);
                /* In the baseline no first score is news. */
                assert_int_equal(run(c, true, 90, -1, 100).kind, EVENT_NONE);
                assert_int_equal(run(c, true, 0, -1, 0).kind, EVENT_NONE);
                /* A first score is always a change (it is written). */
                assert_true(run(c, false, 90, -1, 0).changed);
                assert_true(run(c, true, 90, -1, 95).changed);
        }
        /* Threshold edges: 0 makes every new unit exposed, 100 only a perfect 10.0. */
        assert_int_equal(run(CAUSE_UNIT_NEW, false, 0, -1, 0).kind, EVENT_NEW_EXPOSED);
        assert_int_equal(run(CAUSE_UNIT_NEW, false, 100, -1, 99).kind, EVENT_NONE);
        assert_int_equal(run(CAUSE_UNIT_NEW, false, 100, -1, 100).kind,
                         EVENT_NEW_EXPOSED);
}

static void test_direction(void **state) {
        (void) state;
        for (Cause c = 0; c < _CAUSE_MAX; c++) {
                bool upgrade = c == CAUSE_SYSTEMD_UPGRADE;
                for (int baseline = 0; baseline < 2; baseline++) {
                        Classification up = run(c, baseline, 90, 50, 51);
                        Classification down = run(c, baseline, 90, 51, 50);
                        Classification same = run(c, baseline, 90, 50, 50);

                        assert_int_equal(up.kind, upgrade ? EVENT_RESCORED
                                                          : EVENT_REGRESSION);
                        assert_int_equal(down.kind, upgrade ? EVENT_RESCORED
                                                            : EVENT_IMPROVEMENT);
                        assert_int_equal(same.kind, EVENT_NONE);
                        assert_true(up.changed);
                        assert_true(down.changed);
                        /* no verdicts known: equal exposure is no change */
                        assert_false(same.changed);
                }
        }
        /* The full range, both ways; the threshold plays no part once a unit is known. */
        assert_int_equal(run(CAUSE_RELOAD, false, 90, 0, 100).kind, EVENT_REGRESSION);
        assert_int_equal(run(CAUSE_RELOAD, false, 90, 100, 0).kind,
                         EVENT_IMPROVEMENT);
        assert_int_equal(run(CAUSE_RELOAD, false, 0, 95, 95).kind, EVENT_NONE);
        assert_int_equal(run(CAUSE_UNIT_NEW, false, 90, 0, 95).kind, EVENT_REGRESSION);
}

static void test_verdicts(void **state) {
        StoreVerdict a[] = { { "User=", 1 }, { "PrivateTmp=", 0 }, { "SystemCallFilter=~@swap", 5 },
                             { "RootDirectory=", BADNESS_NA } };
        StoreVerdict moved[] = { { "User=", 1 }, { "PrivateTmp=", 1 },
                                 { "SystemCallFilter=~@swap", 5 },
                                 { "RootDirectory=", BADNESS_NA } };
        StoreVerdict reordered[] = { { "RootDirectory=", BADNESS_NA },
                                     { "SystemCallFilter=~@swap", 5 },
                                     { "User=", 1 },
                                     { "PrivateTmp=", 0 } };
        StoreVerdict renamed[] = { { "User=", 1 }, { "PrivateTmp=", 0 },
                                   { "SystemCallFilter=~@swap", 5 },
                                   { "RootImage=", BADNESS_NA } };
        StoreVerdict na[] = { { "User=", 1 }, { "PrivateTmp=", 0 },
                              { "SystemCallFilter=~@swap", 5 }, { "RootDirectory=", 0 } };
        ClassifyRules r = { .cause = CAUSE_PERIODIC, .new_unit_threshold = 90 };
        ClassifyScore old = { 40, a, ELEMENTSOF(a) }, new = { 40, a, ELEMENTSOF(a) };
        Classification c;
        (void) state;

        assert_false(classify_verdicts_differ(a, ELEMENTSOF(a), a, ELEMENTSOF(a)));
        assert_false(classify_verdicts_differ(a, ELEMENTSOF(a), reordered, ELEMENTSOF(a)));
        assert_false(classify_verdicts_differ(reordered, ELEMENTSOF(a), a, ELEMENTSOF(a)));
        assert_true(classify_verdicts_differ(a, ELEMENTSOF(a), moved, ELEMENTSOF(a)));
        assert_true(classify_verdicts_differ(a, ELEMENTSOF(a), renamed, ELEMENTSOF(a)));
        assert_true(classify_verdicts_differ(a, ELEMENTSOF(a), na, ELEMENTSOF(a)));
        assert_true(classify_verdicts_differ(a, ELEMENTSOF(a), a, ELEMENTSOF(a) - 1));
        assert_true(classify_verdicts_differ(a, 1, a, 0));
        assert_false(classify_verdicts_differ(NULL, 0, NULL, 0));

        /* Same exposure, same checks: nothing. */
        c = classify_change(&r, &old, &new);
        assert_int_equal(c.kind, EVENT_NONE);
        assert_false(c.changed);
        /* Same exposure, a check moved: a change that is no event. */
        new.verdicts = moved;
        c = classify_change(&r, &old, &new);
        assert_int_equal(c.kind, EVENT_NONE);
        assert_true(c.changed);
        /* ... unless one side's checks are unknown: then only the exposure counts. */
        old.verdicts = NULL;
        old.n_verdicts = 0;
        c = classify_change(&r, &old, &new);
        assert_false(c.changed);
        /* A check moved along with the exposure: the exposure decides the kind. */
        old = (ClassifyScore) { 40, a, ELEMENTSOF(a) };
        new.exposure = 41;
        c = classify_change(&r, &old, &new);
        assert_int_equal(c.kind, EVENT_REGRESSION);
        assert_true(c.changed);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_score),
                cmocka_unit_test(test_direction),
                cmocka_unit_test(test_verdicts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
