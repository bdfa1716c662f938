/* SPDX-License-Identifier: MIT */
/* user-units: reports -> scored UnitStates for State.user_units (user-units.h). It must never do
 * I/O or log: the manager reads the reports and reports what changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user-units.h"
#include "util.h"

static int cmp_key(const UnitState *a, const char *user, const char *id) {
        int c = strcmp(a->user, user);

        return c != 0 ? c : strcmp(a->id, id);
}

static int cmp_user_unit_p(const void *a, const void *b) {
        const UnitState *y = *(UnitState *const *) b;

        return cmp_key(*(UnitState *const *) a, y->user, y->id);
}

/* The unit of (user, id) in old (sorted, no slot moved out yet), or NULL. */
static const UnitState *find_old(UnitState *const *old, size_t n_old, const char *user,
                                 const char *id) {
        size_t lo = 0, hi = n_old;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = cmp_key(old[mid], user, id);

                if (c == 0)
                        return old[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static void push(UnitState ***l, size_t *n, UnitState *u) {
        *l = xrealloc(*l, (*n + 1) * sizeof(UnitState *));
        (*l)[(*n)++] = u;
}

int user_units_build(UserReport *l, size_t n, const ScoreTable *table, UnitState **old,
                     size_t n_old, uint64_t now_usec, UnitState ***ret, size_t *ret_n) {
        UnitState **units = NULL;
        size_t n_units = 0;

        for (size_t i = 0; i < n; i++) {
                if (l[i].error < 0)
                        continue;
                for (size_t k = 0; k < l[i].n_units; k++) {
                        UnitState *u = xcalloc(1, sizeof(UnitState));
                        const UnitState *prev;

                        u->id = xstrdup(l[i].units[k].id);
                        u->user = xstrdup(l[i].user);
                        u->props = l[i].units[k];
                        unit_props_init(&l[i].units[k]); /* moved */
                        u->props.user_manager = true;
                        u->oneshot = streq_ptr(u->props.type, "oneshot");
                        u->stored_exposure = -1;
                        u->fresh = true;
                        u->running_exposure = -1;
                        if (score_unit(table, NULL, &u->props, &u->report) < 0) {
                                unit_state_free(u);
                                for (size_t j = 0; j < n_units; j++)
                                        unit_state_free(units[j]);
                                free(units);
                                return -EINVAL;
                        }
                        prev = find_old(old, n_old, u->user, u->id);
                        u->first_seen_usec = prev ? prev->first_seen_usec : now_usec;
                        u->last_change_usec = prev ? prev->last_change_usec : now_usec;
                        if (prev && (prev->report.exposure != u->report.exposure ||
                                     prev->report.predicate != u->report.predicate))
                                u->last_change_usec = now_usec;
                        push(&units, &n_units, u);
                }
        }
        /* Units of incomplete reports last: moving them clears their slots in old, which the
         * lookups above binary-search. */
        for (size_t i = 0; i < n; i++)
                if (l[i].error == -ENODATA)
                        for (size_t j = 0; j < n_old; j++)
                                if (old[j] && streq(old[j]->user, l[i].user)) {
                                        push(&units, &n_units, old[j]);
                                        old[j] = NULL;
                                }
        if (n_units > 1)
                qsort(units, n_units, sizeof(UnitState *), cmp_user_unit_p);
        *ret = units;
        *ret_n = n_units;
        return 0;
}
