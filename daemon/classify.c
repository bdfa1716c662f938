/* SPDX-License-Identifier: MIT */
/* Regression classification (see classify.h). It must never do I/O, log, allocate or read a
 * clock: the manager calls it on every rescored unit, with or without a database, and the unit
 * tests call it on every case. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"

/* The index of check in l, looking first at hint: two lists from the same table hold the checks in
 * the same order, so a pass over both costs n comparisons, not n^2. SIZE_MAX when absent. */
static size_t find_check(const StoreVerdict *l, size_t n, const char *check, size_t hint) {
        for (size_t k = 0; k < n; k++) {
                size_t i = (hint + k) % n;
                if (strcmp(l[i].check, check) == 0)
                        return i;
        }
        return SIZE_MAX;
}

bool classify_verdicts_differ(const StoreVerdict *a, size_t n_a, const StoreVerdict *b,
                              size_t n_b) {
        /* Names are unique in each list, so equal sizes plus every check of a found in b with the
         * same badness means the sets are equal. */
        if (n_a != n_b)
                return true;
        for (size_t i = 0, hint = 0; i < n_a; i++) {
                size_t j = find_check(b, n_b, a[i].check, hint);
                if (j == SIZE_MAX || b[j].badness != a[i].badness)
                        return true;
                hint = j + 1;
        }
        return false;
}

Classification classify_change(const ClassifyRules *rules, const ClassifyScore *old,
                               const ClassifyScore *new) {
        Classification c = { .kind = EVENT_NONE };

        assert(rules && old && new && new->exposure >= 0);
        if (old->exposure < 0) {
                c.changed = true;
                if (!rules->baseline && (unsigned) new->exposure >= rules->new_unit_threshold)
                        c.kind = EVENT_NEW_EXPOSED;
                return c;
        }
        if (new->exposure != old->exposure) {
                c.changed = true;
                if (rules->cause == CAUSE_SYSTEMD_UPGRADE)
                        c.kind = EVENT_RESCORED;
                else
                        c.kind = new->exposure > old->exposure ? EVENT_REGRESSION
                                                               : EVENT_IMPROVEMENT;
                return c;
        }
        /* Unknown verdicts on either side: only the exposure can be compared. */
        if (old->verdicts && new->verdicts)
                c.changed = classify_verdicts_differ(old->verdicts, old->n_verdicts,
                                                     new->verdicts, new->n_verdicts);
        return c;
}
