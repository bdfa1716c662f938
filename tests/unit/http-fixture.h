/* SPDX-License-Identifier: MIT */
/* Test fixtures for the HTTP and renderer tests (and bench/): a hand-built State whose
 * ScoreReports come from a small local assessor table, so these tests do not depend on the
 * scorer's numbers. Units with hostile names and descriptions are included on request. */
#pragma once

#include <stdint.h>

#include "config.h"
#include "render.h"
#include "state.h"

#define FIXTURE_N_CHECKS 4

/* A State with n synthetic units "svc-NNNN.service" (sorted) plus, when hostile, the units of
 * fixture_hostile_ids[]. Free with fixture_state_free(). */
State *fixture_state_new(size_t n, bool hostile);
void fixture_state_free(State *s);
/* Give s user managers' units (State.user_units): alice's a.service and b.service, bob's
 * a.service, and q.service of a user whose name has a quote. */
void fixture_state_add_user_units(State *s);

/* Unit ids with \x2d escapes, @, quotes, a newline, bad UTF-8, markup. NULL-terminated. */
extern const char *const fixture_hostile_ids[];
/* The Description= given to every hostile unit: contains <script> and <img onerror>. */
extern const char fixture_hostile_description[];

/* A ListenAddress for ip4 (dotted quad) and port (0: any free port, which the config refuses
 * but tests need). Free its text with fixture_listen_done(). */
ListenAddress fixture_listen(const char *ip4, uint16_t port);
void fixture_listen_done(ListenAddress *a);
