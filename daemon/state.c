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
        free(u->user);
        unit_props_done(&u->props);
        blame_files_done(&u->files);
        free(u->blame);
        free(u);
        return NULL;
}

void state_done(State *s) {
        for (size_t i = 0; i < s->n_units; i++)
                unit_state_free(s->units[i]);
        free(s->units);
        state_set_user_units(s, NULL, 0);
        for (size_t i = 0; i < s->n_gone; i++)
                free(s->gone[i].id);
        free(s->gone);
        free(s->systemd_version);
        host_info_done(&s->host);
        /* the generation goes on: a cache must never take the emptied State for an old one */
        *s = (State) { .generation = s->generation + 1 };
}

void state_set_user_units(State *s, UnitState **l, size_t n) {
        for (size_t i = 0; i < s->n_user_units; i++)
                unit_state_free(s->user_units[i]);
        free(s->user_units);
        s->user_units = l;
        s->n_user_units = n;
        state_changed(s);
}

size_t state_user_range(const State *s, const char *user, size_t *ret_n) {
        size_t i = 0, n = 0;

        while (i < s->n_user_units && strcmp(s->user_units[i]->user, user) < 0)
                i++;
        while (i + n < s->n_user_units && streq(s->user_units[i + n]->user, user))
                n++;
        *ret_n = n;
        return i;
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

        state_changed(s);
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
        state_changed(s);
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

size_t state_count_predicates(const State *s, bool oneshot,
                              size_t ret_counts[static _PREDICATE_MAX]) {
        size_t n = 0;

        memset(ret_counts, 0, sizeof(size_t) * _PREDICATE_MAX);
        for (size_t i = 0; i < s->n_units; i++) {
                Predicate p = s->units[i]->report.predicate;
                if (s->units[i]->oneshot != oneshot)
                        continue;
                n++;
                if (p >= 0 && p < _PREDICATE_MAX)
                        ret_counts[p]++;
        }
        return n;
}

static size_t gone_lower_bound(const State *s, const char *id) {
        size_t lo = 0, hi = s->n_gone;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(s->gone[mid].id, id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

const UnitMemo *state_find_gone(const State *s, const char *id) {
        size_t i = gone_lower_bound(s, id);
        return i < s->n_gone && streq(s->gone[i].id, id) ? &s->gone[i] : NULL;
}

void state_forget_gone(State *s, const char *id) {
        size_t i = gone_lower_bound(s, id);
        if (i >= s->n_gone || !streq(s->gone[i].id, id))
                return;
        free(s->gone[i].id);
        memmove(s->gone + i, s->gone + i + 1, (s->n_gone - i - 1) * sizeof(UnitMemo));
        s->n_gone--;
}

void state_remember_gone(State *s, const UnitState *u) {
        size_t i;

        state_forget_gone(s, u->id);
        if (s->n_gone >= STATE_GONE_MAX) {
                /* Full: forget the oldest. A linear pass, but only once per unit that leaves. */
                size_t oldest = 0;
                for (size_t j = 1; j < s->n_gone; j++)
                        if (s->gone[j].seq < s->gone[oldest].seq)
                                oldest = j;
                state_forget_gone(s, s->gone[oldest].id);
        }
        s->gone = xrealloc(s->gone, (s->n_gone + 1) * sizeof(UnitMemo));
        i = gone_lower_bound(s, u->id);
        memmove(s->gone + i + 1, s->gone + i, (s->n_gone - i) * sizeof(UnitMemo));
        s->gone[i] = (UnitMemo) {
                .id = xstrdup(u->id),
                .exposure = (int) u->report.exposure,
                .stored_exposure = u->stored_exposure,
                .first_seen_usec = u->first_seen_usec,
                .last_change_usec = u->last_change_usec,
                .regressions = u->regressions,
                .improvements = u->improvements,
                .seq = ++s->gone_seq,
        };
        s->n_gone++;
}
