/* SPDX-License-Identifier: MIT */
/* `exposured fleet`'s engine: answers one page (JSON or HTML) by asking Prometheus (and, for a
 * diff, two hosts' own exposured) over curl-event, building the fleet model and rendering it.
 * Never blocks: fleet_answer() returns at once and the answer arrives later through a callback.
 * Every question has a timeout and a size bound (the config's); when Prometheus cannot answer,
 * the last good answer for the same page is shown with its age and the reason, or, without one,
 * a 502/504 that names the problem. Fresh answers are reused for `cache` seconds. Logs (an edge
 * module): Prometheus failures at warning, once per change of state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "cleanup.h"
#include "fleet-config.h"

#define FLEET_CACHE_ENTRIES 64       /* pages whose last good answer is kept */
#define FLEET_SINCE_MAX_SEC (31U * 86400U)
#define FLEET_SINCE_DEFAULT_SEC 86400U

typedef enum FleetPage {
        FLEET_PAGE_HOSTS,
        FLEET_PAGE_UNITS,
        FLEET_PAGE_UNIT,        /* one unit across hosts (HTML: with the diff when a and b) */
        FLEET_PAGE_DIFF,        /* JSON only */
        FLEET_PAGE_REGRESSIONS,
        _FLEET_PAGE_MAX,
        _FLEET_PAGE_INVALID = -EINVAL,
} FleetPage;

/* One question, from a request (strings borrowed until fleet_answer() returns: they are
 * copied). */
typedef struct FleetQuery {
        FleetPage page;
        bool json;
        const char *unit;   /* FLEET_PAGE_UNIT, FLEET_PAGE_DIFF */
        const char *a, *b;  /* instances to compare (required for DIFF, optional for UNIT) */
        const char *since;  /* REGRESSIONS: unix seconds, RFC 3339 or a duration ago ("2h",
                             * "7d"), or NULL: 24 h ago */
} FleetQuery;

/* Check q's parameters. Returns NULL or the message of a 400 that names the problem. Sets
 * *ret_since (unix seconds) for REGRESSIONS. Pure but for nothing: now is passed in. */
const char *fleet_query_check(const FleetQuery *q, uint64_t now, uint64_t *ret_since);

typedef struct FleetAnswer {
        unsigned status;
        const char *content_type; /* static */
        Buf body;                 /* the callee may steal it */
} FleetAnswer;

/* Called once with the answer, from the event loop, unless cancelled. */
typedef void (*FleetDone)(FleetAnswer *answer, void *userdata);

typedef struct Fleet Fleet;
typedef struct FleetJob FleetJob;

/* Secrets read at start-up (credential.h), borrowed for the Fleet's lifetime. */
typedef struct FleetSecrets {
        const char *prometheus_token;
        const char *prometheus_ca; /* a path */
        const char *hosts_token;
        const char *hosts_ca;      /* a path */
} FleetSecrets;

/* config and secrets are borrowed and must outlive the Fleet. */
int fleet_new(sd_event *event, const FleetConfig *config, const FleetSecrets *secrets,
              Fleet **ret);
/* Cancels every job (no callbacks). Accepts NULL, returns NULL. */
Fleet *fleet_free(Fleet *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(Fleet *, fleet_free);

/* Answer q. Returns 1 when answered at once (bad parameters, a fresh cached answer: *answer is
 * filled and done is not called), or 0 when the answer will come through done (*ret_job, if
 * ret_job is not NULL, is the job for fleet_job_cancel()). */
int fleet_answer(Fleet *f, const FleetQuery *q, FleetAnswer *answer, FleetDone done,
                 void *userdata, FleetJob **ret_job);
/* Replace the userdata handed to done (before the event loop runs again). */
void fleet_job_set_userdata(FleetJob *j, void *userdata);
void fleet_job_cancel(FleetJob *j);
