/* SPDX-License-Identifier: MIT */
/* A client of Prometheus' HTTP API (prometheus.io/docs/prometheus/latest/querying/api/): instant
 * queries, range queries and the targets list, over curl-event (never blocking the loop). The
 * response parsers and the PromQL quoting are pure and exported for the tests. Queries are sent
 * as POST forms, so a long expression never meets a URL length limit. Never logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cleanup.h"
#include "curl-event.h"

#define PROM_LABELS_MAX 64         /* labels kept per series; more is malformed input */
#define PROM_ERROR_MAX 300         /* bytes of Prometheus' error text kept */

typedef struct PromLabel {
        char *name, *value;
} PromLabel;

typedef struct PromPoint {
        double time; /* unix seconds */
        double value;
} PromPoint;

typedef struct PromSample {
        PromLabel *labels;
        size_t n_labels;
        double time, value;  /* vector and scalar results */
        PromPoint *points;   /* matrix results: the samples, oldest first */
        size_t n_points;
} PromSample;

typedef struct PromTarget {
        char *instance, *job;
        char *scrape_url; /* as Prometheus scrapes it: "http://10.0.0.5:9573/metrics" */
        char *health;     /* "up", "down", "unknown" */
} PromTarget;

typedef enum PromResultType {
        PROM_VECTOR,
        PROM_MATRIX,
        PROM_SCALAR,
        PROM_TARGETS,
        _PROM_RESULT_TYPE_MAX,
} PromResultType;

typedef struct PromResult {
        PromResultType type;
        PromSample *samples; /* vector, matrix; a scalar is one sample without labels */
        size_t n_samples;
        PromTarget *targets; /* targets */
        size_t n_targets;
} PromResult;

PromResult *prom_result_free(PromResult *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(PromResult *, prom_result_free);

/* The value of label name of s, or NULL. */
const char *prom_sample_label(const PromSample *s, const char *name);

/* Parse a /api/v1/query or /api/v1/query_range body. Returns 0 and a result, or -EBADMSG (not
 * the API's JSON; *ret_error says what) or -EREMOTEIO (Prometheus answered "status":"error":
 * *ret_error is "errorType: error"). ret_error may be NULL; the caller frees it. Pure. */
int prom_parse_query(const char *body, size_t size, PromResult **ret, char **ret_error);
/* Parse a /api/v1/targets body (active targets only). Same returns. Pure. */
int prom_parse_targets(const char *body, size_t size, PromResult **ret, char **ret_error);

/* Append s as a PromQL double-quoted string literal ("..." with \\ \" \n \r \t escaped and
 * other control bytes as \xNN). Pure. */
void prom_quote(Buf *out, const char *s);

/* ---- the client ---- */

typedef struct PromClientConfig {
        const char *url;          /* base: "http://127.0.0.1:9090" (a path prefix is fine) */
        const char *bearer_token; /* or NULL */
        const char *ca_file;      /* or NULL */
        uint64_t timeout_usec;    /* per request */
        size_t max_bytes;         /* per response */
} PromClientConfig;

typedef struct PromClient PromClient;
typedef struct PromCall PromCall;

/* error: 0 with a result the callback owns (free it with prom_result_free()), or -errno with a
 * message (valid during the call): curl-event's errors, -EREMOTEIO (Prometheus said error, or
 * HTTP status other than 200), -EBADMSG (unparseable). */
typedef void (*PromDone)(int error, const char *message, PromResult *result, void *userdata);

/* The strings in config are copied. */
int prom_client_new(CurlEvent *curl, const PromClientConfig *config, PromClient **ret);
/* Cancels pending calls without callbacks. Accepts NULL, returns NULL. */
PromClient *prom_client_free(PromClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PromClient *, prom_client_free);

/* Evaluate expr at time (unix seconds; 0 = Prometheus' now). ret may be NULL. */
int prom_client_query(PromClient *c, const char *expr, uint64_t time, PromDone done,
                      void *userdata, PromCall **ret);
/* Evaluate expr over [start, end] every step seconds. */
int prom_client_query_range(PromClient *c, const char *expr, uint64_t start, uint64_t end,
                            uint64_t step, PromDone done, void *userdata, PromCall **ret);
/* The active targets. */
int prom_client_targets(PromClient *c, PromDone done, void *userdata, PromCall **ret);
/* Abort a call; no callback. Accepts NULL. Not from the call's own callback. */
void prom_call_cancel(PromCall *call);
