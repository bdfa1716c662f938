/* SPDX-License-Identifier: MIT */
/* The unit read limits (see rescan-limit.h for the rules and why). It must never read a clock or
 * log: the manager passes the time in and acts on the verdicts; tests replay any timing. */
#include <stdlib.h>
#include <string.h>

#include "rescan-limit.h"
#include "util.h"

static size_t lower_bound(const RescanLimit *l, const char *name) {
        size_t lo = 0, hi = l->n_entries;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(l->entries[mid].name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static RescanEntry *find(const RescanLimit *l, const char *name) {
        size_t i = lower_bound(l, name);
        return i < l->n_entries && streq(l->entries[i].name, name) ? &l->entries[i] : NULL;
}

static void refill(RescanLimit *l, uint64_t now) {
        if (l->refill_usec == 0) {
                l->tokens = RESCAN_UNKNOWN_BURST;
                l->refill_usec = now;
                return;
        }
        if (now <= l->refill_usec)
                return;
        uint64_t add = (now - l->refill_usec) / RESCAN_UNKNOWN_REFILL_USEC;
        if (add == 0)
                return;
        l->tokens = add >= RESCAN_UNKNOWN_BURST - l->tokens ? RESCAN_UNKNOWN_BURST
                                                            : l->tokens + (unsigned) add;
        l->refill_usec += add * RESCAN_UNKNOWN_REFILL_USEC;
        if (l->tokens == RESCAN_UNKNOWN_BURST)
                l->refill_usec = now; /* full: the next refill period starts now */
}

RescanVerdict rescan_limit_check(RescanLimit *l, const char *name, bool unit_new, bool known,
                                 uint64_t now) {
        const RescanEntry *e = find(l, name);

        if (unit_new && e && e->absent && now - e->read_usec < RESCAN_ABSENT_HOLD_USEC)
                return RESCAN_ECHO;
        if (known)
                return RESCAN_ALLOW;
        refill(l, now);
        if (l->tokens == 0)
                return RESCAN_OVER_BUDGET;
        l->tokens--;
        return RESCAN_ALLOW;
}

uint64_t rescan_limit_not_before(const RescanLimit *l, const char *name) {
        const RescanEntry *e = find(l, name);
        return e ? e->read_usec + RESCAN_UNIT_INTERVAL_USEC : 0;
}

void rescan_limit_record(RescanLimit *l, const char *name, bool absent, uint64_t now) {
        RescanEntry *e = find(l, name);
        size_t i;

        if (e) {
                e->read_usec = now;
                e->absent = absent;
                return;
        }
        if (l->n_entries >= RESCAN_LIMIT_ENTRIES) {
                /* Full: forget the oldest read (a linear pass, once per new name past the cap). */
                size_t oldest = 0;
                for (size_t j = 1; j < l->n_entries; j++)
                        if (l->entries[j].read_usec < l->entries[oldest].read_usec)
                                oldest = j;
                free(l->entries[oldest].name);
                memmove(l->entries + oldest, l->entries + oldest + 1,
                        (l->n_entries - oldest - 1) * sizeof(RescanEntry));
                l->n_entries--;
        }
        l->entries = xrealloc(l->entries, (l->n_entries + 1) * sizeof(RescanEntry));
        i = lower_bound(l, name);
        memmove(l->entries + i + 1, l->entries + i, (l->n_entries - i) * sizeof(RescanEntry));
        l->entries[i] = (RescanEntry) { .name = xstrdup(name), .read_usec = now, .absent = absent };
        l->n_entries++;
}

void rescan_limit_done(RescanLimit *l) {
        for (size_t i = 0; i < l->n_entries; i++)
                free(l->entries[i].name);
        free(l->entries);
        *l = (RescanLimit) {};
}
