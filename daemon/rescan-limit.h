/* SPDX-License-Identifier: MIT */
/* rescan-limit: how often the manager may read one unit, and how much reading unknown names may
 * cost. Pure bookkeeping over times the caller passes in (no clock, no I/O, no logging).
 *
 * Why (issue 16): any local user can make PID 1 load a unit by asking about it (`systemctl status
 * no-such.service`); PID 1 announces it with UnitNew, unloads it again shortly after (UnitRemoved),
 * and our read of it loads it once more, which PID 1 announces with UnitNew again: without these
 * rules one question made the daemon rescan twice a second forever. The rules:
 *  - a read that found the unit not loaded makes the UnitNew announcements of that name that
 *    follow within RESCAN_ABSENT_HOLD_USEC an echo, ignored (our own read loads it again);
 *  - one unit is read at most once per RESCAN_UNIT_INTERVAL_USEC (later requests wait);
 *  - requests for names the daemon does not watch (not a known service) draw on a budget of
 *    RESCAN_UNKNOWN_BURST reads, refilled by one every RESCAN_UNKNOWN_REFILL_USEC; beyond it they
 *    are refused, and the caller covers what it refused with one full rescan later (a real new
 *    unit is then found by ListUnits), so a storm of made-up names costs a bounded amount.
 * Memory is bounded too: at most RESCAN_LIMIT_ENTRIES names are remembered, the oldest read
 * forgotten first. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESCAN_ABSENT_HOLD_USEC (60U * 1000U * 1000U)
#define RESCAN_UNIT_INTERVAL_USEC (1000U * 1000U)
#define RESCAN_UNKNOWN_BURST 8U
#define RESCAN_UNKNOWN_REFILL_USEC (5U * 1000U * 1000U)
#define RESCAN_LIMIT_ENTRIES 1024U

typedef struct RescanEntry {
        char *name;
        uint64_t read_usec; /* CLOCK_MONOTONIC of the last read */
        bool absent;        /* that read found it not loaded (not-found, masked, ...) */
} RescanEntry;

typedef struct RescanLimit {
        RescanEntry *entries; /* sorted by name, at most RESCAN_LIMIT_ENTRIES */
        size_t n_entries;
        unsigned tokens;      /* budget left for unknown names */
        uint64_t refill_usec; /* when the last token was added (0: never: a full budget) */
} RescanLimit;

typedef enum RescanVerdict {
        RESCAN_ALLOW,       /* read it (not before rescan_limit_not_before()) */
        RESCAN_ECHO,        /* a UnitNew that our own read of an absent unit caused: ignore */
        RESCAN_OVER_BUDGET, /* an unknown name past the budget: refused */
        _RESCAN_VERDICT_MAX,
        _RESCAN_VERDICT_INVALID = -EINVAL,
} RescanVerdict;

/* A request to read name at now. unit_new: it comes from a UnitNew announcement. known: the
 * daemon watches a service of this name (it is in the State, or left during this run), which is
 * never budgeted. */
RescanVerdict rescan_limit_check(RescanLimit *l, const char *name, bool unit_new, bool known,
                                 uint64_t now);
/* The earliest time name may be read again (0: any time). */
uint64_t rescan_limit_not_before(const RescanLimit *l, const char *name);
/* Record a completed read of name at now, and whether it found the unit loaded. */
void rescan_limit_record(RescanLimit *l, const char *name, bool absent, uint64_t now);
void rescan_limit_done(RescanLimit *l);
