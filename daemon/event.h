/* SPDX-License-Identifier: MIT */
/* The history vocabulary, defined once: why a scan happened (Cause), what a stored change means
 * (EventKind), their names as the store, the JSON API and the CLIs spell them, and the one row
 * type (Change) that the store returns and the renderers and CLIs consume. The numbers are stored
 * in the database (sql/): both enums are append only. Pure data: no I/O, no logging. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blame.h"
#include "score.h"

/* Why a scan or a single rescore happened. */
typedef enum Cause {
        CAUSE_STARTUP,         /* "startup" */
        CAUSE_RELOAD,          /* "reload": daemon-reload */
        CAUSE_UNIT_NEW,        /* "unit-new": a unit appeared */
        CAUSE_UNIT_CHANGED,    /* "unit-changed": a unit's properties changed (PropertiesChanged) */
        CAUSE_UNIT_REMOVED,    /* "unit-removed" */
        CAUSE_SYSTEMD_UPGRADE, /* "systemd-upgrade": the manager's version (and so the table) */
        CAUSE_PERIODIC,        /* "periodic" */
        CAUSE_POLICY,          /* "policy": the unit policy was reloaded, or a waiver expired */
        _CAUSE_MAX,
        _CAUSE_INVALID = -EINVAL,
} Cause;

/* What a change means. */
typedef enum EventKind {
        EVENT_NONE,            /* "none": verdicts changed, exposure did not; or a first score */
        EVENT_REGRESSION,      /* "regression": exposure rose */
        EVENT_IMPROVEMENT,     /* "improvement": exposure fell */
        EVENT_NEW_EXPOSED,     /* "new-exposed-unit": a new unit scored >= the threshold */
        EVENT_GONE,            /* "gone": the unit went away */
        EVENT_RESCORED,        /* "rescored": systemd changed, not the unit */
        EVENT_SYSTEMD_UPGRADE, /* "systemd-upgrade": a new systemd version (no unit) */
        EVENT_SCORER_UPGRADE,  /* "scorer-upgrade": a new scorer with the same systemd (no unit) */
        EVENT_DATABASE,        /* "database": about the history itself (no unit), see message */
        EVENT_OVER_POLICY,     /* "over-policy": the unit went over its policy (unit-policy.h) */
        EVENT_WITHIN_POLICY,   /* "back-within-policy": back within its policy */
        EVENT_WAIVER_EXPIRED,  /* "waiver-expired": an accept= of its policy expired */
        _EVENT_KIND_MAX,
        _EVENT_KIND_INVALID = -EINVAL,
} EventKind;

/* A unit's standing against the admin's policy (unit-policy.h): no rule matches it; within
 * every rule that matches; above a ceiling or failing a check no rule accepts. */
typedef enum PolicyStatus {
        POLICY_UNMANAGED, /* "unmanaged" */
        POLICY_OK,        /* "ok" */
        POLICY_OVER,      /* "over-policy" */
        _POLICY_STATUS_MAX,
        _POLICY_STATUS_INVALID = -EINVAL,
} PolicyStatus;

/* A set of kinds, as store_events() takes it. */
#define EVENT_KIND_MASK(k) (1U << (k))
/* Every kind but NONE: what "events" means when no kind is asked for. */
#define EVENT_KINDS_DEFAULT ((1U << _EVENT_KIND_MAX) - 2U)

/* The policy events (OVER_POLICY, WITHIN_POLICY, WAIVER_EXPIRED): their Change.previous is the
 * ceiling, not an exposure before (see Change). */
static inline bool event_kind_is_policy(EventKind k) {
        return k == EVENT_OVER_POLICY || k == EVENT_WITHIN_POLICY || k == EVENT_WAIVER_EXPIRED;
}

/* The names; NULL / _*_INVALID when out of range or unknown. */
const char *cause_to_string(Cause c);
Cause cause_from_string(const char *s);
const char *event_kind_to_string(EventKind k);
EventKind event_kind_from_string(const char *s);
const char *policy_status_to_string(PolicyStatus s);
PolicyStatus policy_status_from_string(const char *s);

/* A check's badness in a change where the check was not in that table (new to it, or gone). */
#define BADNESS_ABSENT (UINT64_MAX - 1)

/* A check whose badness changed: old/new are 0..range, BADNESS_NA or BADNESS_ABSENT. */
typedef struct ChangeCheck {
        char *check; /* the assessor's id, owned */
        uint64_t old_badness, new_badness;
} ChangeCheck;

/* One stored change of a unit, or an upgrade event (no unit). Every string is owned and freed by
 * changes_free(). */
typedef struct Change {
        char *unit;          /* NULL for SYSTEMD/SCORER_UPGRADE */
        char *user;          /* a user manager's unit: that user (store.h); NULL: the system's */
        uint64_t time_usec;  /* CLOCK_REALTIME */
        EventKind kind;
        Cause cause;
        int previous;        /* tenths, 0..100; -1 for a first score or an upgrade event; for
                              * policy events the ceiling in force (-1: none) */
        int exposure;        /* tenths, 0..100; -1 for GONE or an upgrade event */
        Predicate predicate; /* _PREDICATE_INVALID where exposure is -1 */
        char *systemd_version, *scorer_version; /* may be NULL */
        char *systemd_version_before;           /* upgrade events: the previous one; else NULL */
        char *message;                          /* DATABASE events: what happened; else NULL */
        bool broke_policy;   /* a score change that took the unit over its policy (an
                              * OVER_POLICY event was stored with it, 1 us later) */
        ChangeCheck *checks; /* the checks whose badness changed; for OVER_POLICY the failing
                              * checks no waiver covers, for WAIVER_EXPIRED the check whose
                              * waiver expired (old_badness BADNESS_ABSENT) */
        size_t n_checks;
        BlameRecord *blame;                     /* what changed in its files (blame.h), or NULL */
} Change;

/* Free an array of n changes and everything they own; accepts NULL. */
void changes_free(Change *c, size_t n);
