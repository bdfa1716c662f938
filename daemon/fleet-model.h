/* SPDX-License-Identifier: MIT */
/* The fleet model: Prometheus query results (prom-client.h) -> hosts, units, one unit across
 * hosts, regressions, and the check-by-check difference of one unit on two hosts. Prometheus does
 * the aggregation (count/min/max/quantile by instance or unit over the RAW series, no recording
 * rules needed); this module joins the results by instance or unit, converts values to tenths,
 * decides drift and staleness and sorts. Pure: no I/O, no logging, no clock (now is passed in).
 * Samples that make no sense (exposure outside 0..10, a missing label) are skipped, never
 * trusted. Also builds the PromQL of every page, so the queries and their readers sit together. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cleanup.h"
#include "prom-client.h"
#include "score.h"

#define FLEET_ROWS_MAX 1000U         /* rows of the regressions feed */
#define FLEET_UNIT_NAME_MAX 255U
#define FLEET_INSTANCE_MAX 255U

/* ---- hosts ---- */

typedef enum FleetHostQuery {
        FLEET_HQ_UP,       /* up{job} */
        FLEET_HQ_INFO,     /* exposured_host_info{job} */
        FLEET_HQ_SCAN,     /* exposured_last_scan_timestamp_seconds{job} */
        FLEET_HQ_BUS,      /* exposured_up{job} */
        FLEET_HQ_WORST,    /* max by (instance) (exposured_unit_exposure{job}) */
        FLEET_HQ_PRED,     /* exposured_units{job}: services per predicate, as each host counts;
                            * their sum is the host's services */
        _FLEET_HQ_MAX,
} FleetHostQuery;

typedef struct FleetHost {
        char *instance;
        char *hostname, *systemd_version, *os_id, *os_version_id, *kernel; /* NULL: no info */
        bool up;               /* Prometheus scrapes it (up == 1) */
        bool bus_up;           /* exposured_up == 1 (false also when unknown) */
        bool stale;            /* down, bus lost, no scan yet, or last scan too old */
        uint64_t last_scan;    /* unix seconds; 0 = unknown or none yet */
        unsigned services;     /* the sum of by_predicate */
        int worst;             /* tenths; -1 when no service is known */
        unsigned by_predicate[_PREDICATE_MAX];
} FleetHost;

typedef struct FleetHosts {
        FleetHost *hosts; /* worst first; hosts without data last */
        size_t n;
} FleetHosts;

FleetHosts *fleet_hosts_free(FleetHosts *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetHosts *, fleet_hosts_free);

/* res[q] is the result of query q (any may be NULL: treated as empty). A host is stale when it
 * is not up, its bus is lost, it never completed a scan, or its last scan is older than
 * stale_after seconds at now (unix seconds). */
FleetHosts *fleet_hosts_build(PromResult *const res[_FLEET_HQ_MAX], uint64_t now,
                              uint64_t stale_after);
/* The host with this instance, or NULL. */
const FleetHost *fleet_hosts_find(const FleetHosts *h, const char *instance);

/* ---- units ---- */

typedef enum FleetUnitQuery {
        FLEET_UQ_COUNT,  /* count by (unit) */
        FLEET_UQ_MIN,
        FLEET_UQ_MAX,
        FLEET_UQ_MEDIAN, /* quantile by (unit) (0.5, ...) */
        _FLEET_UQ_MAX,
} FleetUnitQuery;

typedef struct FleetUnit {
        char *unit;
        unsigned hosts;
        unsigned min, max;   /* tenths */
        unsigned median100;  /* hundredths: the median of an even count may fall between tenths */
        bool drift;          /* min != max: the unit scores differently on different hosts */
} FleetUnit;

typedef struct FleetUnits {
        FleetUnit *units; /* drift first, then by spread (max - min), max, name */
        size_t n;
} FleetUnits;

FleetUnits *fleet_units_free(FleetUnits *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetUnits *, fleet_units_free);
FleetUnits *fleet_units_build(PromResult *const res[_FLEET_UQ_MAX]);

/* ---- one unit across hosts ---- */

typedef enum FleetUnitHostQuery {
        FLEET_UHQ_EXPOSURE,  /* exposured_unit_exposure{job, unit} */
        FLEET_UHQ_PREDICATE, /* exposured_unit_predicate{job, unit} */
        FLEET_UHQ_INFO,      /* exposured_host_info{job} (hostnames) */
        _FLEET_UHQ_MAX,
} FleetUnitHostQuery;

typedef struct FleetUnitHost {
        char *instance, *hostname; /* hostname NULL when unknown */
        unsigned exposure;         /* tenths */
        Predicate predicate;
} FleetUnitHost;

typedef struct FleetUnitHosts {
        char *unit;
        FleetUnitHost *hosts; /* worst first, then by instance */
        size_t n;
        bool drift;
} FleetUnitHosts;

FleetUnitHosts *fleet_unit_hosts_free(FleetUnitHosts *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetUnitHosts *, fleet_unit_hosts_free);
FleetUnitHosts *fleet_unit_hosts_build(const char *unit, PromResult *const res[_FLEET_UHQ_MAX]);

/* ---- regressions ---- */

typedef enum FleetRegressionQuery {
        FLEET_RQ_RISES,    /* the rises: the recorded series, or the raw counters' subquery */
        FLEET_RQ_INFO,     /* exposured_host_info{job} */
        FLEET_RQ_RECORDED, /* since when the recording rule has run within the window */
        _FLEET_RQ_MAX,
} FleetRegressionQuery;

/* The interval of the rules group exposured-fleet-regressions, and the offset of its rise rule
 * (monitoring/exposured-fleet.rules.yml): the two must be equal. */
#define FLEET_REGRESSION_RULE_SEC 300U

typedef struct FleetRegression {
        char *instance, *hostname, *unit;
        uint64_t time;  /* unix seconds: the end of the step in which the counter rose */
        unsigned count; /* by how much it rose in that step */
} FleetRegression;

typedef struct FleetRegressions {
        FleetRegression *rows; /* newest first */
        size_t n;
        bool truncated;        /* more than FLEET_ROWS_MAX */
        bool recorded;         /* from the recorded series (else from the raw counters) */
        uint64_t since, step;  /* the window asked for, and its resolution in seconds */
} FleetRegressions;

FleetRegressions *fleet_regressions_free(FleetRegressions *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetRegressions *, fleet_regressions_free);
/* The feed over [since, now] from res: the recorded rises when fleet_regressions_recorded()
 * says they cover the window, else (res[FLEET_RQ_RISES] then holds the answer of
 * fleet_regressions_raw_expr()) the raw rises. */
FleetRegressions *fleet_regressions_build(PromResult *const res[_FLEET_RQ_MAX], uint64_t since,
                                          uint64_t now);
/* The step of the raw regressions subquery over [since, now]: at least 15 s, at most 1000 steps. */
uint64_t fleet_regressions_step(uint64_t since, uint64_t now);
/* Whether the recording rule ran through all of [since, ...]: probe is the answer of
 * res[FLEET_RQ_RECORDED] (the time of its first sample in the window). Pure. */
bool fleet_regressions_recorded(const PromResult *probe, uint64_t since);

/* ---- the difference of one unit on two hosts ---- */

typedef struct FleetDiffSide {
        bool present;      /* the check exists on this host's systemd */
        char *verdict;     /* "pass", "fail", "na" */
        int exposure;      /* tenths; -1 when not applicable or absent */
        char *description;
} FleetDiffSide;

typedef struct FleetDiffCheck {
        char *name;
        FleetDiffSide a, b;
} FleetDiffCheck;

typedef struct FleetDiff {
        char *unit;
        unsigned exposure_a, exposure_b; /* tenths */
        FleetDiffCheck *checks;          /* only the checks whose verdict or exposure differ,
                                          * in host a's order, then those only b has */
        size_t n;
        size_t n_compared;               /* checks looked at */
} FleetDiff;

FleetDiff *fleet_diff_free(FleetDiff *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetDiff *, fleet_diff_free);
/* a and b are the two hosts' /api/v1/units/{unit} bodies. -EBADMSG (with *ret_error naming the
 * side and the problem) when either is not that API's JSON. Pure. */
int fleet_diff_build(const char *unit, const char *a, size_t a_size, const char *b, size_t b_size,
                     FleetDiff **ret, char **ret_error);

/* ---- the queries (PromQL over the raw series, job as a matcher) ---- */

/* How old a recorded series may be and still be read: 15 minutes. A recorded series is read as
 * last_over_time(NAME[15m]), the newest value a rule wrote in that window, so a Prometheus whose
 * rule evaluation falls behind (one evaluation of the shipped fleet group took 204 s on a loaded
 * 2-core box at 1,000 hosts, and a recorded series drops out of a plain instant query once its
 * newest sample is older than the lookback, 5 minutes by default) still answers from its rules.
 * Older than that, or absent (no rules loaded), the page computes the aggregate from the raw
 * series instead and says so. The window also keeps a host or unit that disappeared within
 * it in the recorded answer until then. */
#define FLEET_RECORDED_WINDOW_SEC 900U

/* ret_recorded[q] (may be NULL: no such series) is the same answer from the series of the
 * shipped recording rules (monitoring/exposured-fleet.rules.yml), which Prometheus has computed
 * already: ask it first, and the raw ret[q] only when it is empty (no rules loaded, or none
 * within FLEET_RECORDED_WINDOW_SEC). Across 200,000 services one raw aggregation costs
 * Prometheus seconds; a recorded series, ms. The per-unit recorded series have no job label
 * (the rules aggregate every job). *ret_probe asks when the rules last wrote the page's
 * recorded series (fleet_recorded_time()). */
void fleet_hosts_exprs(const char *job, char *ret[_FLEET_HQ_MAX],
                       char *ret_recorded[_FLEET_HQ_MAX], char **ret_probe);
void fleet_units_exprs(const char *job, char *ret[_FLEET_UQ_MAX],
                       char *ret_recorded[_FLEET_UQ_MAX], char **ret_probe);
/* The unix time of the newest sample in the probe's answer, or 0 (no recorded series in the
 * window, or not the probe's answer). Pure. */
uint64_t fleet_recorded_time(const PromResult *probe);
void fleet_unit_hosts_exprs(const char *job, const char *unit, char *ret[_FLEET_UHQ_MAX]);
/* Regressions: one instant query whatever the window. The recording rule
 * exposured_unit:regressions:rise5m records, every 5 minutes, the counters that rose in those
 * 5 minutes and by how much: a sample only where there was a regression, so reading every sample
 * of the window (FLEET_RQ_RISES: a range selector) costs what the fleet regressed, not what it
 * has. FLEET_RQ_RECORDED asks since when that rule has run in the window; where it has not
 * (rules not loaded, or loaded after the window began) the feed asks
 * fleet_regressions_raw_expr() instead: the same rises computed from the raw counters step by
 * step, exact to the step but costly across a large fleet. A rise is counted against the value
 * one step (or one rule interval) before, so each is counted once; a counter reset is not a
 * regression, nor is a counter that first appears above 0 (a daemon with older regressions). */
void fleet_regressions_exprs(const char *job, uint64_t range, char *ret[_FLEET_RQ_MAX]);
char *fleet_regressions_raw_expr(const char *job, uint64_t range, uint64_t step);

/* Tenths from a Prometheus value: -ERANGE outside 0..10 or NaN. */
int fleet_tenths(double v, unsigned *ret);
