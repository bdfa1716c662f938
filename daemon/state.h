/* SPDX-License-Identifier: MIT */
/* The daemon's in-memory view: the current score of every watched service. Owned by the Manager,
 * written only by the manager after a (re)scan, read by the HTTP handlers and renderers.
 * One thread: no locks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blame.h"
#include "host-info.h"
#include "score.h"
#include "unit-policy.h"
#include "unit-props.h"

typedef struct UnitState {
        char *id;                   /* "foo.service" (canonical, as systemd reports it) */
        char *user;                 /* NULL: the system manager's; else the user manager's whose
                                     * report it came from (user-reports.h, in
                                     * State.user_units only) */
        UnitProps props;            /* what was scored; report's offending pointers point here */
        ScoreReport report;         /* the current score */
        bool oneshot;               /* Type=oneshot: watched, but systemd-analyze would skip it */
        uint64_t first_seen_usec;   /* CLOCK_REALTIME */
        uint64_t last_change_usec;  /* CLOCK_REALTIME of the last exposure or verdict change */
        uint64_t regressions;       /* regression events counted (persisted in the DB) */
        uint64_t improvements;
        int stored_exposure;        /* what the database holds for it (tenths), -1: nothing */
        BlameFiles files;           /* its unit files as this scan read them (blame-read.h); with
                                     * NeedDaemonReload=yes the previous scan's, which match what
                                     * the manager loaded */
        char *blame;                /* the stored text (blame.h) of its last change, or NULL */
        /* Configured vs running: the exposure its main process was started with (tenths) and
         * that process's ExecMainStartTimestamp, which identifies it across scans (0: no main
         * process; read them with unit_state_running()). */
        int running_exposure;
        uint64_t running_start_usec;
        bool unstored;              /* the database's row may differ: the next persist writes it */
        bool snapshot_unstored;     /* so may its stored files and running process (store.h's
                                     * StoreSnapshot, what blame compares with after a restart) */
        PolicyVerdict policy;       /* against State.policy (valid while that policy is) */
        bool unloaded;              /* PID 1 unloaded it (UnitRemoved) while its unit file stayed:
                                     * still installed, still watched as last read (manager.c) */
        /* user units (State.user_units) only, manager.c: */
        bool fresh;                 /* scored from a report just read, not judged yet */
        bool user_baseline;         /* first seen in its user's first report: no first score
                                     * of it is news (the user's baseline) */
} UnitState;

/* The exposure u's main process runs with (tenths), or -1 when it has none. */
static inline int unit_state_running(const UnitState *u) {
        return u->running_start_usec > 0 ? u->running_exposure : -1;
}

/* Its main process runs with another exposure than the configured one: a restart is pending. */
static inline bool unit_state_restart_pending(const UnitState *u) {
        int r = unit_state_running(u);
        return r >= 0 && r != (int) u->report.exposure;
}

/* What is kept of a unit that left (UnitRemoved, or absent from a rescan) while the daemon runs:
 * enough to classify its score when it comes back (systemd unloads inactive units and loads them
 * again on the next reference) as a change, not as a new unit, and to keep its counters. */
typedef struct UnitMemo {
        char *id;
        int exposure;               /* the last score (tenths) */
        int stored_exposure;        /* as UnitState */
        uint64_t first_seen_usec, last_change_usec, regressions, improvements;
        uint64_t seq;               /* when it was remembered, for eviction */
} UnitMemo;

/* At most this many units that left are remembered; past it the oldest is forgotten (and is then
 * judged against the database's view at start-up, as after a restart). */
#define STATE_GONE_MAX 4096U

/* The history database's health, for /metrics (the manager keeps it current). */
typedef struct DbHealth {
        bool known;                 /* the daemon has a database (set at start-up) */
        bool write_ok;              /* open and the last write succeeded */
        uint64_t size_bytes;        /* file + WAL, after the last write */
        uint64_t last_write_usec;   /* CLOCK_REALTIME of the last successful write; 0: none */
        uint64_t errors;            /* failed opens and writes since start */
} DbHealth;

typedef struct State {
        UnitState **units;          /* sorted by id (strcmp), present units only */
        size_t n_units;
        char *systemd_version;      /* the manager's Version property, e.g. "252.38-1~deb12u1" */
        unsigned systemd_major;     /* 252 */
        ScoreTableChoice table_choice; /* the table the units were last scored with, and how it
                                        * was checked; .table NULL before the first score */
        HostInfo host;              /* the watched host's identity (host-info.h) */
        bool bus_up;                /* false while the bus connection is lost */
        uint64_t last_scan_usec;    /* CLOCK_REALTIME of the last completed scan */
        uint64_t scan_duration_usec;/* duration of the last completed scan */
        uint64_t n_scans;           /* completed scans since start */
        uint64_t n_incremental_scans; /* ... of them incremental (after a reload) */
        uint64_t n_rescan_misses;   /* changes a periodic full rescan found that the incremental
                                     * rescans had not (each logged) */
        uint64_t start_usec;        /* CLOCK_REALTIME when the daemon started */
        const UnitPolicy *policy;   /* the policy in force (owned by the manager), or NULL */
        PolicyInfo policy_info;     /* its loading (strings owned by the manager) */
        DbHealth db;
        /* user_managers = lingering: the lingering users' units from their reports, sorted by
         * (user, id), replaced as a whole on each read (manager.c); in memory only: no history,
         * no policy, no blame. Kept apart from units, which mirror the system manager. */
        UnitState **user_units;
        size_t n_user_units;
        size_t n_user_managers;     /* reports read on the last pass (valid or not) */
        UnitMemo *gone;             /* units that left, sorted by id, at most STATE_GONE_MAX */
        size_t n_gone;
        uint64_t gone_seq;
        uint64_t generation;        /* moves on every change a reader could see: state_put() and
                                     * state_take() move it, other writers call state_changed()
                                     * (the render cache keys on it, render-cache.h) */
} State;

/* Note that s changed in a way its readers can see (anything but the memos of gone units). */
static inline void state_changed(State *s) {
        s->generation++;
}

/* Free a unit (its id and props); accepts NULL, returns NULL. */
UnitState *unit_state_free(UnitState *u);
/* Replace s->user_units with l (n units sorted by user then id; taken over), freeing the old. */
void state_set_user_units(State *s, UnitState **l, size_t n);
/* The first index in s->user_units of user's units (n_user_units when none); *ret_n their count. */
size_t state_user_range(const State *s, const char *user, size_t *ret_n);
/* Free every unit, memo and the version string; leaves *s empty (zeroed but for a new
 * generation). */
void state_done(State *s);
/* The index of the first unit whose id is >= id (strcmp), n_units when there is none. */
size_t state_lower_bound(const State *s, const char *id);
/* Insert u (ownership moves to s) keeping the order, or replace the unit with the same id.
 * Returns the replaced unit for the caller to free, or NULL. */
UnitState *state_put(State *s, UnitState *u);
/* Remove the unit with this id; returns it (the caller frees it), or NULL when absent. */
UnitState *state_take(State *s, const char *id);
/* Binary search by id; NULL when absent. */
UnitState *state_find_unit(const State *s, const char *id);
/* Count present units by predicate: systemd-analyze's set (Type=oneshot services aside), or,
 * with oneshot, the Type=oneshot services only. Returns the number counted. */
size_t state_count_predicates(const State *s, bool oneshot,
                              size_t ret_counts[static _PREDICATE_MAX]);
/* Remember a unit that left (copies id and the fields of UnitMemo), replacing an earlier memo of
 * the same id and forgetting the oldest when STATE_GONE_MAX are held. */
void state_remember_gone(State *s, const UnitState *u);
/* The memo of a unit that left, or NULL. Borrowed: valid until the next remember/forget. */
const UnitMemo *state_find_gone(const State *s, const char *id);
/* Drop the memo of id (it came back); no-op when there is none. */
void state_forget_gone(State *s, const char *id);
