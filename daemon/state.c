/* SPDX-License-Identifier: MIT */
/* Lookups over the in-memory State. No I/O. */
#include <stdlib.h>
#include <string.h>

#include "state.h"

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
