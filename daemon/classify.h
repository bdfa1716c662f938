/* SPDX-License-Identifier: MIT */
/* classify: what a new score means, given the unit's previous one. A pure function of its inputs
 * (no I/O, no logging, no allocation, no clock), called by the manager before anything is stored,
 * so that what counts as a regression never depends on whether the database is up: the journal,
 * the counters and /metrics see the same events with the database down. The store records the
 * kind it is given and decides nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* The circumstances of a scan. */
typedef struct ClassifyRules {
        Cause cause;            /* SYSTEMD_UPGRADE: a changed exposure is the table's doing */
        bool baseline;               /* first scan with no history at all: no first score is news */
        unsigned new_unit_threshold; /* tenths: a new unit scoring >= this is NEW_EXPOSED */
} ClassifyRules;

/* One score of a unit. exposure < 0: there is none (the unit was never scored). verdicts are
 * every check of the score, unique names; NULL with n_verdicts 0 when they are not known (then
 * only the exposure is compared). */
typedef struct ClassifyScore {
        int exposure; /* tenths 0..100, or -1 */
        const StoreVerdict *verdicts;
        size_t n_verdicts;
} ClassifyScore;

typedef struct Classification {
        EventKind kind; /* NONE, REGRESSION, IMPROVEMENT, NEW_EXPOSED or RESCORED */
        bool changed;        /* a first score, or the exposure or any check's badness differs */
} Classification;

/* Classify the step from old to new (new->exposure must be >= 0):
 *  - no old score: NEW_EXPOSED when not in the baseline and new >= the threshold, else NONE;
 *  - exposure rose: REGRESSION; fell: IMPROVEMENT; either with cause SYSTEMD_UPGRADE: RESCORED
 *    (the unit did not change, systemd did: not blamed on it, not counted);
 *  - exposure equal: NONE (changed still tells whether some check's badness moved).
 * Only REGRESSION counts as a regression, only IMPROVEMENT as an improvement. */
Classification classify_change(const ClassifyRules *rules, const ClassifyScore *old,
                               const ClassifyScore *new);

/* True when the two verdict lists differ as sets of (check, badness): a check only one of them
 * has counts as a difference. Lists in the same order (the same table) cost one pass. */
bool classify_verdicts_differ(const StoreVerdict *a, size_t n_a, const StoreVerdict *b,
                              size_t n_b);
