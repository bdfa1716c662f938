/* SPDX-License-Identifier: MIT */
/* The State container: sorted insert, replace, remove and lookup by id, in every order, checked
 * against the invariant (strictly increasing ids) after each step; predicate counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"
#include "util.h"

static UnitState *unit(const char *id, Predicate p) {
        UnitState *u = xcalloc(1, sizeof(UnitState));
        u->id = xstrdup(id);
        unit_props_init(&u->props);
        u->props.id = xstrdup(id); /* owned props are freed with the unit */
        u->report.predicate = p;
        return u;
}

static void assert_sorted(const State *s) {
        for (size_t i = 1; i < s->n_units; i++)
                assert_true(strcmp(s->units[i - 1]->id, s->units[i]->id) < 0);
}

static void test_empty(void **state) {
        State s = {};
        size_t counts[_PREDICATE_MAX];
        (void) state;

        assert_null(state_find_unit(&s, "a.service"));
        assert_null(state_take(&s, "a.service"));
        assert_int_equal(state_lower_bound(&s, "a.service"), 0);
        assert_int_equal(state_count_predicates(&s, false, counts), 0);
        for (size_t i = 0; i < _PREDICATE_MAX; i++)
                assert_int_equal(counts[i], 0);
        state_done(&s);
        assert_null(s.units);
        assert_null(unit_state_free(NULL));
}

static void test_put_orders(void **state) {
        /* Every insertion order of 5 ids (120 permutations) gives the same sorted array. */
        const char *ids[] = { "a.service", "b.service", "c.service", "d.service", "e.service" };
        unsigned perm[5] = { 0, 1, 2, 3, 4 };
        unsigned n_perms = 0;
        (void) state;

        for (;;) {
                State s = {};
                for (size_t i = 0; i < 5; i++) {
                        assert_null(state_put(&s, unit(ids[perm[i]], PREDICATE_OK)));
                        assert_sorted(&s);
                }
                assert_int_equal(s.n_units, 5);
                for (size_t i = 0; i < 5; i++) {
                        assert_string_equal(s.units[i]->id, ids[i]);
                        assert_ptr_equal(state_find_unit(&s, ids[i]), s.units[i]);
                        assert_int_equal(state_lower_bound(&s, ids[i]), i);
                }
                state_done(&s);
                n_perms++;

                /* next permutation (lexicographic) */
                int k = 3;
                while (k >= 0 && perm[k] > perm[k + 1])
                        k--;
                if (k < 0)
                        break;
                int l = 4;
                while (perm[l] < perm[k])
                        l--;
                unsigned t = perm[k];
                perm[k] = perm[l];
                perm[l] = t;
                for (int i = k + 1, j = 4; i < j; i++, j--) {
                        t = perm[i];
                        perm[i] = perm[j];
                        perm[j] = t;
                }
        }
        assert_int_equal(n_perms, 120);
}

static void test_replace_take(void **state) {
        State s = {};
        (void) state;

        assert_null(state_put(&s, unit("m.service", PREDICATE_OK)));
        assert_null(state_put(&s, unit("b.service", PREDICATE_OK)));
        assert_null(state_put(&s, unit("x.service", PREDICATE_OK)));

        /* Replacing returns the old unit and keeps the count. */
        UnitState *n = unit("m.service", PREDICATE_UNSAFE);
        UnitState *old = state_put(&s, n);
        assert_non_null(old);
        assert_ptr_not_equal(old, n);
        assert_int_equal(old->report.predicate, PREDICATE_OK);
        unit_state_free(old);
        assert_int_equal(s.n_units, 3);
        assert_ptr_equal(state_find_unit(&s, "m.service"), n);

        /* Lower bound of ids between and around the present ones. */
        assert_int_equal(state_lower_bound(&s, "a.service"), 0);
        assert_int_equal(state_lower_bound(&s, "c.service"), 1);
        assert_int_equal(state_lower_bound(&s, "n.service"), 2);
        assert_int_equal(state_lower_bound(&s, "z.service"), 3);

        /* Absent ids (including a prefix of a present one) are not taken. */
        assert_null(state_take(&s, "m.servic"));
        assert_null(state_take(&s, "m.service2"));
        assert_null(state_find_unit(&s, "m.servic"));
        assert_int_equal(s.n_units, 3);

        /* Take from the middle, the end and the start. */
        UnitState *u = state_take(&s, "m.service");
        assert_ptr_equal(u, n);
        unit_state_free(u);
        assert_null(state_find_unit(&s, "m.service"));
        assert_sorted(&s);
        u = state_take(&s, "x.service");
        assert_string_equal(u->id, "x.service");
        unit_state_free(u);
        u = state_take(&s, "b.service");
        assert_string_equal(u->id, "b.service");
        unit_state_free(u);
        assert_int_equal(s.n_units, 0);
        assert_null(state_take(&s, "b.service"));
        state_done(&s);
}

static void test_many(void **state) {
        /* 1000 ids inserted in a scrambled order, half taken again: lookups stay exact. */
        State s = {};
        char id[32];
        (void) state;

        for (unsigned i = 0; i < 1000; i++) {
                unsigned k = (i * 389) % 1000; /* 389 is prime to 1000: a permutation */
                (void) snprintf(id, sizeof id, "u%04u.service", k);
                assert_null(state_put(&s, unit(id, (Predicate) (k % _PREDICATE_MAX))));
        }
        assert_int_equal(s.n_units, 1000);
        assert_sorted(&s);
        for (unsigned k = 0; k < 1000; k += 2) {
                (void) snprintf(id, sizeof id, "u%04u.service", k);
                unit_state_free(state_take(&s, id));
        }
        assert_int_equal(s.n_units, 500);
        assert_sorted(&s);
        for (unsigned k = 0; k < 1000; k++) {
                (void) snprintf(id, sizeof id, "u%04u.service", k);
                UnitState *u = state_find_unit(&s, id);
                if (k % 2 == 0) {
                        assert_null(u);
                        continue;
                }
                assert_non_null(u);
                assert_string_equal(u->id, id);
        }

        size_t counts[_PREDICATE_MAX], total = 0, want[_PREDICATE_MAX] = {};
        for (unsigned k = 1; k < 1000; k += 2)
                want[k % _PREDICATE_MAX]++;
        assert_int_equal(state_count_predicates(&s, false, counts), 500);
        for (size_t i = 0; i < _PREDICATE_MAX; i++) {
                assert_int_equal(counts[i], want[i]);
                total += counts[i];
        }
        assert_int_equal(total, 500);
        /* a oneshot unit leaves systemd-analyze's set and is counted apart */
        s.units[0]->oneshot = true;
        assert_int_equal(state_count_predicates(&s, false, counts), 499);
        assert_int_equal(state_count_predicates(&s, true, counts), 1);
        assert_int_equal(counts[s.units[0]->report.predicate], 1);
        state_done(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_put_orders),
                cmocka_unit_test(test_replace_take),
                cmocka_unit_test(test_many),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
