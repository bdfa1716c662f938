/* SPDX-License-Identifier: MIT */
/* The daemon's in-memory view: the current score of every watched service. Owned by the Manager,
 * written only by the manager after a (re)scan, read by the HTTP handlers and renderers.
 * One thread: no locks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host-info.h"
#include "score.h"
#include "unit-props.h"

typedef struct UnitState {
        char *id;                   /* "foo.service" (canonical, as systemd reports it) */
        UnitProps props;            /* what was scored; report's offending pointers point here */
        ScoreReport report;         /* the current score */
        bool oneshot;               /* Type=oneshot: watched, but systemd-analyze would skip it */
        uint64_t first_seen_usec;   /* CLOCK_REALTIME */
        uint64_t last_change_usec;  /* CLOCK_REALTIME of the last exposure or verdict change */
        uint64_t regressions;       /* regression events counted (persisted in the DB) */
        uint64_t improvements;
} UnitState;

typedef struct State {
        UnitState **units;          /* sorted by id (strcmp), present units only */
        size_t n_units;
        char *systemd_version;      /* the manager's Version property, e.g. "252.38-1~deb12u1" */
        unsigned systemd_major;     /* 252 */
        HostInfo host;              /* the watched host's identity (host-info.h) */
        bool bus_up;                /* false while the bus connection is lost */
        uint64_t last_scan_usec;    /* CLOCK_REALTIME of the last completed scan */
        uint64_t scan_duration_usec;/* duration of the last completed scan */
        uint64_t n_scans;           /* completed scans since start */
        uint64_t start_usec;        /* CLOCK_REALTIME when the daemon started */
} State;

/* Binary search by id; NULL when absent. */
UnitState *state_find_unit(const State *s, const char *id);
/* Count present units by predicate (oneshot units included). */
void state_count_predicates(const State *s, size_t ret_counts[static _PREDICATE_MAX]);
