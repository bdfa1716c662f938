/* SPDX-License-Identifier: MIT */
/* The in-memory State: a sorted array of UnitState pointers with insert, remove and lookup by id.
 * No I/O, no logging: the manager decides what goes in, this file only keeps it in order. */
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "util.h"

UnitState *unit_state_free(UnitState *u) {
        if (!u)
                return NULL;
        free(u->id);
        unit_props_done(&u->props);
        free(u);
        return NULL;
}

void state_done(State *s) {
        for (size_t i = 0; i < s->n_units; i++)
                unit_state_free(s->units[i]);
        free(s->units);
        free(s->systemd_version);
        *s = (State) {};
}

size_t state_lower_bound(const State *s, const char *id) {
        size_t lo = 0, hi = s->n_units;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(s->units[mid]->id, id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

UnitState *state_put(State *s, UnitState *u) {
        size_t i = state_lower_bound(s, u->id);
        if (i < s->n_units && streq(s->units[i]->id, u->id)) {
                UnitState *old = s->units[i];
                s->units[i] = u;
                return old;
        }
        s->units = xrealloc(s->units, (s->n_units + 1) * sizeof(UnitState *));
        memmove(s->units + i + 1, s->units + i, (s->n_units - i) * sizeof(UnitState *));
        s->units[i] = u;
        s->n_units++;
        return NULL;
}

UnitState *state_take(State *s, const char *id) {
        size_t i = state_lower_bound(s, id);
        if (i >= s->n_units || !streq(s->units[i]->id, id))
                return NULL;
        UnitState *u = s->units[i];
        memmove(s->units + i, s->units + i + 1, (s->n_units - i - 1) * sizeof(UnitState *));
        s->n_units--;
        return u;
}

static int cmp_id(const void *key, const void *elem) {
        const UnitState *const *u = elem;
        return strcmp(key, (*u)->id);
}

UnitState *state_find_unit(const State *s, const char *id) {
        UnitState **u;

        if (!s->units || s->n_units == 0)
                return NULL;
        u = bsearch(id, s->units, s->n_units, sizeof(UnitState *), cmp_id);
        return u ? *u : NULL;
}

void state_count_predicates(const State *s, size_t ret_counts[static _PREDICATE_MAX]) {
        memset(ret_counts, 0, sizeof(size_t) * _PREDICATE_MAX);
        for (size_t i = 0; i < s->n_units; i++) {
                Predicate p = s->units[i]->report.predicate;
                if (p >= 0 && p < _PREDICATE_MAX)
                        ret_counts[p]++;
        }
}
