/* SPDX-License-Identifier: MIT */
/* The names of causes and event kinds (event.h), written once for the store, the JSON API and
 * the CLIs; and freeing change rows. Pure: no I/O, no logging. */
#include <stdlib.h>

#include "event.h"
#include "util.h"

static const char *const cause_names[_CAUSE_MAX] = {
        [CAUSE_STARTUP] = "startup",
        [CAUSE_RELOAD] = "reload",
        [CAUSE_UNIT_NEW] = "unit-new",
        [CAUSE_UNIT_CHANGED] = "unit-changed",
        [CAUSE_UNIT_REMOVED] = "unit-removed",
        [CAUSE_SYSTEMD_UPGRADE] = "systemd-upgrade",
        [CAUSE_PERIODIC] = "periodic",
        [CAUSE_POLICY] = "policy",
};

static const char *const event_kind_names[_EVENT_KIND_MAX] = {
        [EVENT_NONE] = "none",
        [EVENT_REGRESSION] = "regression",
        [EVENT_IMPROVEMENT] = "improvement",
        [EVENT_NEW_EXPOSED] = "new-exposed-unit",
        [EVENT_GONE] = "gone",
        [EVENT_RESCORED] = "rescored",
        [EVENT_SYSTEMD_UPGRADE] = "systemd-upgrade",
        [EVENT_SCORER_UPGRADE] = "scorer-upgrade",
        [EVENT_DATABASE] = "database",
        [EVENT_OVER_POLICY] = "over-policy",
        [EVENT_WITHIN_POLICY] = "back-within-policy",
        [EVENT_WAIVER_EXPIRED] = "waiver-expired",
};

static const char *const policy_status_names[_POLICY_STATUS_MAX] = {
        [POLICY_UNMANAGED] = "unmanaged",
        [POLICY_OK] = "ok",
        [POLICY_OVER] = "over-policy",
};

/* The index of s in names[0..n), or -EINVAL. */
static int lookup(const char *const *names, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (streq(s, names[i]))
                        return i;
        return -EINVAL;
}

const char *cause_to_string(Cause c) {
        return c >= 0 && c < _CAUSE_MAX ? cause_names[c] : NULL;
}

Cause cause_from_string(const char *s) {
        return (Cause) lookup(cause_names, _CAUSE_MAX, s);
}

const char *event_kind_to_string(EventKind k) {
        return k >= 0 && k < _EVENT_KIND_MAX ? event_kind_names[k] : NULL;
}

EventKind event_kind_from_string(const char *s) {
        return (EventKind) lookup(event_kind_names, _EVENT_KIND_MAX, s);
}

const char *policy_status_to_string(PolicyStatus s) {
        return s >= 0 && s < _POLICY_STATUS_MAX ? policy_status_names[s] : NULL;
}

PolicyStatus policy_status_from_string(const char *s) {
        return (PolicyStatus) lookup(policy_status_names, _POLICY_STATUS_MAX, s);
}

void changes_free(Change *c, size_t n) {
        if (!c)
                return;
        for (size_t i = 0; i < n; i++) {
                free(c[i].unit);
                free(c[i].user);
                free(c[i].systemd_version);
                free(c[i].scorer_version);
                free(c[i].systemd_version_before);
                free(c[i].message);
                for (size_t k = 0; k < c[i].n_checks; k++)
                        free(c[i].checks[k].check);
                free(c[i].checks);
                if (c[i].blame)
                        blame_record_done(c[i].blame);
                free(c[i].blame);
        }
        free(c);
}
