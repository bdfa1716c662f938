/* SPDX-License-Identifier: MIT */
/* The fleet renderers: the fleet model (fleet-model.h) -> JSON (json-c only) and HTML pages in
 * web/fleet.html's frame, server-rendered like the host dashboard: same escaping (render.h),
 * no inline script or style, everything works without JavaScript. Pure: no I/O, no logging, no
 * clock (FleetStatus carries "now"). Every name that came from Prometheus or a host (instances,
 * hostnames, unit names, check texts) is data and is escaped for its output. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "fleet-model.h"

/* Where a page's aggregates (a host's worst service; a unit's count, min, median, max) came
 * from: the recording rules' series (at most FLEET_RECORDED_WINDOW_SEC old), or computed by
 * Prometheus at the request from the raw series. */
typedef enum FleetSource {
        FLEET_SOURCE_NONE,     /* the page has no such aggregates */
        FLEET_SOURCE_RECORDED, /* all recorded */
        FLEET_SOURCE_RAW,      /* all raw: no rules loaded, or none evaluated in the window */
        FLEET_SOURCE_MIXED,    /* some of each */
        _FLEET_SOURCE_MAX,
} FleetSource;

/* "recorded", "raw", "mixed"; NULL for FLEET_SOURCE_NONE */
const char *fleet_source_to_string(FleetSource s);

/* Where the data of a page came from. */
typedef struct FleetStatus {
        uint64_t now;       /* unix seconds */
        uint64_t data_time; /* when the data shown was fetched from Prometheus (unix seconds) */
        const char *error;  /* NULL: the data is fresh; else why Prometheus could not be asked
                             * now (the data shown is then the last good answer, data_time old) */
        const char *host_url; /* template of a host's own dashboard: "http://{instance}",
                               * "https://{hostname}:9573"; a unit's page is template + /units/U */
        FleetSource source;     /* of the aggregates */
        uint64_t recorded_time; /* the rules' newest evaluation read (unix seconds); 0: unknown */
} FleetStatus;

/* Append the host dashboard URL for instance/hostname (hostname NULL: instance is used), plus
 * "/units/<unit>" when unit is not NULL. Placeholders: {instance}, {hostname}. A value with
 * characters outside A-Z a-z 0-9 . - _ : [ ] is percent-encoded; the unit always is. Not
 * HTML-escaped: the caller escapes the result for its context. */
void render_fleet_host_url(Buf *out, const char *template, const char *instance,
                           const char *hostname, const char *unit);
/* Is template usable by render_fleet_host_url(): http:// or https://, only known placeholders,
 * no control characters or spaces? */
bool render_fleet_host_url_valid(const char *template);

int render_fleet_json_hosts(const FleetHosts *h, const FleetStatus *st, Buf *out);
int render_fleet_json_units(const FleetUnits *u, const FleetStatus *st, Buf *out);
int render_fleet_json_unit(const FleetUnitHosts *u, const FleetStatus *st, Buf *out);
int render_fleet_json_diff(const FleetDiff *d, const char *a, const char *b,
                           const FleetStatus *st, Buf *out);
int render_fleet_json_regressions(const FleetRegressions *r, const FleetStatus *st, Buf *out);

void render_fleet_html_hosts(const FleetHosts *h, const FleetStatus *st, Buf *out);
void render_fleet_html_units(const FleetUnits *u, const FleetStatus *st, Buf *out);
/* diff NULL: no comparison asked for; diff_error: the comparison failed (shown on the page). */
void render_fleet_html_unit(const FleetUnitHosts *u, const FleetDiff *diff, const char *a,
                            const char *b, const char *diff_error, const FleetStatus *st,
                            Buf *out);
void render_fleet_html_regressions(const FleetRegressions *r, const FleetStatus *st, Buf *out);
/* An error page in the fleet frame (e.g. Prometheus unreachable and nothing cached). */
void render_fleet_html_error(unsigned status, const char *msg, const FleetStatus *st, Buf *out);
