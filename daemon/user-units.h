/* SPDX-License-Identifier: MIT */
/* User units: the lingering users' reports (user-reports.h) turned into the State's user_units,
 * scored with the daemon's own table as a user manager's units. Pure: no I/O, no logging, no
 * clock (the caller passes now). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "score.h"
#include "state.h"
#include "user-reports.h"

/* Build the new user_units from the reports l (n, as user_reports_read_dir() returns them; their
 * units are moved out) and the current ones, old (n_old, sorted by user then id):
 *  - a valid report gives its units, scored with table (user_manager set), each keeping the
 *    first_seen/last_change of the same (user, id) in old, else first seen now; last_change
 *    moves when the exposure or the predicate changes;
 *  - an incomplete report (-ENODATA: being written) keeps that user's units from old (the
 *    pointers move: their slots in old become NULL);
 *  - a refused report, or a user without a report, has no units.
 * *ret (sorted by user, then id) and *ret_n are the caller's. Returns 0, or -EINVAL when a unit
 * cannot be scored (only an override can make score_unit() fail; none is passed). */
int user_units_build(UserReport *l, size_t n, const ScoreTable *table, UnitState **old,
                     size_t n_old, uint64_t now_usec, UnitState ***ret, size_t *ret_n);
