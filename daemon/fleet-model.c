/* SPDX-License-Identifier: MIT */
/* The fleet model (see fleet-model.h). Joins are by sorted key + bsearch, so a thousand hosts
 * or units cost n log n, not n^2. Values are converted to tenths exactly once (fleet_tenths());
 * everything after that is integer arithmetic. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-model.h"
#include "render-json.h"
#include "util.h"

#define REGRESSION_STEP_MIN 15U
#define REGRESSION_STEPS_MAX 1000U
#define DIFF_JSON_DEPTH 16

int fleet_tenths(double v, unsigned *ret) {
        if (!(v >= 0.0 && v <= 10.0))
                return -ERANGE; /* NaN too */
        *ret = (unsigned) lround(v * 10.0);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The distinct values of label key over every sample of every result, sorted. */
static const char **collect_keys(PromResult *const *res, size_t n_res, const char *key,
                                 size_t *ret_n) {
        const char **keys = NULL;
        size_t n = 0, cap = 0, u = 0;

        for (size_t q = 0; q < n_res; q++)
                for (size_t i = 0; res[q] && i < res[q]->n_samples; i++) {
                        const char *v = prom_sample_label(&res[q]->samples[i], key);
                        if (!v)
                                continue;
                        if (n == cap) {
                                cap = cap ? cap * 2 : 64;
                                keys = xrealloc(keys, cap * sizeof(const char *));
                        }
                        keys[n++] = v; /* borrowed from res */
                }
        if (n == 0) {
                free(keys);
                *ret_n = 0;
                return NULL;
        }
        qsort(keys, n, sizeof(const char *), cmp_str);
        for (size_t i = 0; i < n; i++)
                if (u == 0 || !streq(keys[u - 1], keys[i]))
                        keys[u++] = keys[i];
        *ret_n = u;
        return keys;
}

static ssize_t key_index(const char *const *keys, size_t n, const char *k) {
        const char *const *p;

        if (!k || n == 0)
                return -1;
        p = bsearch(&k, keys, n, sizeof(const char *), cmp_str);
        return p ? p - keys : -1;
}

static char *dup_or_null(const char *s) {
        return isempty(s) ? NULL : xstrdup(s);
}

/* ---- hosts ---- */

FleetHosts *fleet_hosts_free(FleetHosts *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n; i++) {
                FleetHost *x = &h->hosts[i];
                free(x->instance);
                free(x->hostname);
                free(x->systemd_version);
                free(x->os_id);
                free(x->os_version_id);
                free(x->kernel);
        }
        free(h->hosts);
        free(h);
        return NULL;
}

static int cmp_host(const void *a, const void *b) {
        const FleetHost *x = a, *y = b;

        if (x->worst != y->worst)
                return x->worst > y->worst ? -1 : 1;
        for (int p = _PREDICATE_MAX - 1; p >= 0; p--)
                if (x->by_predicate[p] != y->by_predicate[p])
                        return x->by_predicate[p] > y->by_predicate[p] ? -1 : 1;
        return strcmp(x->instance, y->instance);
}

FleetHosts *fleet_hosts_build(PromResult *const res[_FLEET_HQ_MAX], uint64_t now,
                              uint64_t stale_after) {
        FleetHosts *h = xcalloc(1, sizeof(*h));
        size_t n;
        const char **keys = collect_keys(res, _FLEET_HQ_MAX, "instance", &n);

        h->hosts = xcalloc(n ? n : 1, sizeof(FleetHost));
        h->n = n;
        for (size_t i = 0; i < n; i++)
                h->hosts[i] = (FleetHost) { .instance = xstrdup(keys[i]), .worst = -1 };
        for (int q = 0; q < _FLEET_HQ_MAX; q++)
                for (size_t i = 0; res[q] && i < res[q]->n_samples; i++) {
                        const PromSample *s = &res[q]->samples[i];
                        ssize_t k = key_index(keys, n, prom_sample_label(s, "instance"));
                        FleetHost *x;
                        unsigned t;
                        Predicate p;

                        if (k < 0)
                                continue;
                        x = &h->hosts[k];
                        switch (q) {
                        case FLEET_HQ_UP:
                                x->up = s->value == 1.0;
                                break;
                        case FLEET_HQ_INFO:
                                if (x->hostname)
                                        break; /* two info series: keep the first */
                                x->hostname = dup_or_null(prom_sample_label(s, "hostname"));
                                x->systemd_version =
                                        dup_or_null(prom_sample_label(s, "systemd_version"));
                                x->os_id = dup_or_null(prom_sample_label(s, "os_id"));
                                x->os_version_id =
                                        dup_or_null(prom_sample_label(s, "os_version_id"));
                                x->kernel = dup_or_null(prom_sample_label(s, "kernel"));
                                break;
                        case FLEET_HQ_SCAN:
                                if (s->value >= 1.0 && s->value < 1e11)
                                        x->last_scan = (uint64_t) s->value;
                                break;
                        case FLEET_HQ_BUS:
                                x->bus_up = s->value == 1.0;
                                break;
                        case FLEET_HQ_WORST:
                                if (fleet_tenths(s->value, &t) >= 0)
                                        x->worst = (int) t;
                                break;
                        case FLEET_HQ_PRED:
                                p = predicate_from_string(prom_sample_label(s, "predicate"));
                                if (p >= 0 && s->value >= 0.0 && s->value < 1e7)
                                        x->by_predicate[p] = (unsigned) s->value;
                                break;
                        }
                }
        for (size_t i = 0; i < n; i++) {
                FleetHost *x = &h->hosts[i];
                for (int p = 0; p < _PREDICATE_MAX; p++)
                        x->services += x->by_predicate[p];
                x->stale = !x->up || !x->bus_up || x->last_scan == 0 ||
                           (now > x->last_scan && now - x->last_scan > stale_after);
        }
        free(keys);
        qsort(h->hosts, n, sizeof(FleetHost), cmp_host);
        return h;
}

const FleetHost *fleet_hosts_find(const FleetHosts *h, const char *instance) {
        for (size_t i = 0; h && i < h->n; i++)
                if (streq(h->hosts[i].instance, instance))
                        return &h->hosts[i];
        return NULL;
}

/* ---- units ---- */

FleetUnits *fleet_units_free(FleetUnits *u) {
        if (!u)
                return NULL;
        for (size_t i = 0; i < u->n; i++)
                free(u->units[i].unit);
        free(u->units);
        free(u);
        return NULL;
}

static int cmp_unit(const void *a, const void *b) {
        const FleetUnit *x = a, *y = b;

        if (x->drift != y->drift)
                return x->drift ? -1 : 1;
        if (x->max - x->min != y->max - y->min)
                return x->max - x->min > y->max - y->min ? -1 : 1;
        if (x->max != y->max)
                return x->max > y->max ? -1 : 1;
        return strcmp(x->unit, y->unit);
}

FleetUnits *fleet_units_build(PromResult *const res[_FLEET_UQ_MAX]) {
        FleetUnits *u = xcalloc(1, sizeof(*u));
        size_t n, kept = 0;
        const char **keys = collect_keys(res, _FLEET_UQ_MAX, "unit", &n);
        /* which of the four values each unit got: a unit is kept only with all four */
        unsigned char *seen = xcalloc(n ? n : 1, 1);

        u->units = xcalloc(n ? n : 1, sizeof(FleetUnit));
        for (int q = 0; q < _FLEET_UQ_MAX; q++)
                for (size_t i = 0; res[q] && i < res[q]->n_samples; i++) {
                        const PromSample *s = &res[q]->samples[i];
                        ssize_t k = key_index(keys, n, prom_sample_label(s, "unit"));
                        FleetUnit *x;
                        unsigned t;

                        if (k < 0)
                                continue;
                        x = &u->units[k];
                        if (q == FLEET_UQ_COUNT) {
                                if (!(s->value >= 1.0 && s->value < 1e7))
                                        continue;
                                x->hosts = (unsigned) s->value;
                        } else if (q == FLEET_UQ_MEDIAN) {
                                if (!(s->value >= 0.0 && s->value <= 10.0))
                                        continue;
                                x->median100 = (unsigned) lround(s->value * 100.0);
                        } else {
                                if (fleet_tenths(s->value, &t) < 0)
                                        continue;
                                if (q == FLEET_UQ_MIN)
                                        x->min = t;
                                else
                                        x->max = t;
                        }
                        seen[k] |= (unsigned char) (1U << q);
                }
        for (size_t i = 0; i < n; i++) {
                FleetUnit x = u->units[i];
                if (seen[i] != (1U << _FLEET_UQ_MAX) - 1 || x.min > x.max)
                        continue;
                x.unit = xstrdup(keys[i]);
                x.drift = x.min != x.max;
                u->units[kept++] = x;
        }
        u->n = kept;
        free(seen);
        free(keys);
        qsort(u->units, u->n, sizeof(FleetUnit), cmp_unit);
        return u;
}

/* ---- one unit across hosts ---- */

FleetUnitHosts *fleet_unit_hosts_free(FleetUnitHosts *u) {
        if (!u)
                return NULL;
        for (size_t i = 0; i < u->n; i++) {
                free(u->hosts[i].instance);
                free(u->hosts[i].hostname);
        }
        free(u->hosts);
        free(u->unit);
        free(u);
        return NULL;
}

static int cmp_unit_host(const void *a, const void *b) {
        const FleetUnitHost *x = a, *y = b;

        if (x->exposure != y->exposure)
                return x->exposure > y->exposure ? -1 : 1;
        return strcmp(x->instance, y->instance);
}

FleetUnitHosts *fleet_unit_hosts_build(const char *unit, PromResult *const res[_FLEET_UHQ_MAX]) {
        FleetUnitHosts *u = xcalloc(1, sizeof(*u));
        const PromResult *e = res[FLEET_UHQ_EXPOSURE];
        size_t n_info = 0, n_pred = 0;
        PromResult *const info_res[1] = { res[FLEET_UHQ_INFO] };
        PromResult *const pred_res[1] = { res[FLEET_UHQ_PREDICATE] };
        const char **info = collect_keys(info_res, 1, "instance", &n_info);
        const char **pred = collect_keys(pred_res, 1, "instance", &n_pred);
        const char **hostname = xcalloc(n_info ? n_info : 1, sizeof(char *));
        Predicate *predicate = xcalloc(n_pred ? n_pred : 1, sizeof(Predicate));

        u->unit = xstrdup(unit);
        for (size_t i = 0; info_res[0] && i < info_res[0]->n_samples; i++) {
                const PromSample *s = &info_res[0]->samples[i];
                ssize_t k = key_index(info, n_info, prom_sample_label(s, "instance"));
                if (k >= 0 && !hostname[k])
                        hostname[k] = prom_sample_label(s, "hostname");
        }
        for (size_t i = 0; i < n_pred; i++)
                predicate[i] = _PREDICATE_INVALID;
        for (size_t i = 0; pred_res[0] && i < pred_res[0]->n_samples; i++) {
                const PromSample *s = &pred_res[0]->samples[i];
                ssize_t k = key_index(pred, n_pred, prom_sample_label(s, "instance"));
                if (k >= 0 && streq_ptr(prom_sample_label(s, "unit"), unit))
                        predicate[k] = predicate_from_string(prom_sample_label(s, "predicate"));
        }

        u->hosts = xcalloc(e && e->n_samples ? e->n_samples : 1, sizeof(FleetUnitHost));
        for (size_t i = 0; e && i < e->n_samples; i++) {
                const PromSample *s = &e->samples[i];
                const char *instance = prom_sample_label(s, "instance");
                ssize_t k;
                unsigned t;

                if (!instance || !streq_ptr(prom_sample_label(s, "unit"), unit) ||
                    fleet_tenths(s->value, &t) < 0)
                        continue;
                k = key_index(info, n_info, instance);
                FleetUnitHost *x = &u->hosts[u->n++];
                *x = (FleetUnitHost) {
                        .instance = xstrdup(instance),
                        .hostname = k >= 0 ? dup_or_null(hostname[k]) : NULL,
                        .exposure = t,
                        .predicate = predicate_from_exposure(t),
                };
                /* the host's own predicate when it reported one (a --security-policy may move
                 * the thresholds), else systemd's thresholds */
                k = key_index(pred, n_pred, instance);
                if (k >= 0 && predicate[k] >= 0)
                        x->predicate = predicate[k];
        }
        qsort(u->hosts, u->n, sizeof(FleetUnitHost), cmp_unit_host);
        u->drift = u->n > 1 && u->hosts[0].exposure != u->hosts[u->n - 1].exposure;
        free(hostname);
        free(predicate);
        free(info);
        free(pred);
        return u;
}

/* ---- regressions ---- */

FleetRegressions *fleet_regressions_free(FleetRegressions *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n; i++) {
                free(r->rows[i].instance);
                free(r->rows[i].hostname);
                free(r->rows[i].unit);
        }
        free(r->rows);
        free(r);
        return NULL;
}

uint64_t fleet_regressions_step(uint64_t since, uint64_t now) {
        uint64_t range = now > since ? now - since : 0;
        uint64_t step = (range + REGRESSION_STEPS_MAX - 1) / REGRESSION_STEPS_MAX;

        if (step < REGRESSION_STEP_MIN)
                step = REGRESSION_STEP_MIN;
        /* round up to a multiple of the minimum, for steps that read well */
        return (step + REGRESSION_STEP_MIN - 1) / REGRESSION_STEP_MIN * REGRESSION_STEP_MIN;
}

static int cmp_regression(const void *a, const void *b) {
        const FleetRegression *x = a, *y = b;
        int c;

        if (x->time != y->time)
                return x->time > y->time ? -1 : 1;
        c = strcmp(x->instance, y->instance);
        return c ? c : strcmp(x->unit, y->unit);
}

bool fleet_regressions_recorded(const PromResult *probe, uint64_t since) {
        /* The rule's first evaluation in the window comes at most one interval after its
         * start; the probe's subquery (1 m steps) sees it at most one step later. */
        for (size_t i = 0; probe && i < probe->n_samples; i++) {
                double first = probe->samples[i].value;
                if (first >= 0 && first <= (double) since + 2.0 * FLEET_REGRESSION_RULE_SEC)
                        return true;
        }
        return false;
}

FleetRegressions *fleet_regressions_build(PromResult *const res[_FLEET_RQ_MAX], uint64_t since,
                                          uint64_t now) {
        FleetRegressions *r = xcalloc(1, sizeof(*r));
        const PromResult *m = res[FLEET_RQ_RISES];
        PromResult *const info_res[1] = { res[FLEET_RQ_INFO] };
        size_t n_info = 0, cap = 0;
        const char **info = collect_keys(info_res, 1, "instance", &n_info);
        const char **hostname = xcalloc(n_info ? n_info : 1, sizeof(char *));

        r->since = since;
        r->recorded = fleet_regressions_recorded(res[FLEET_RQ_RECORDED], since);
        r->step = r->recorded ? FLEET_REGRESSION_RULE_SEC : fleet_regressions_step(since, now);
        for (size_t i = 0; info_res[0] && i < info_res[0]->n_samples; i++) {
                const PromSample *s = &info_res[0]->samples[i];
                ssize_t k = key_index(info, n_info, prom_sample_label(s, "instance"));
                if (k >= 0 && !hostname[k])
                        hostname[k] = prom_sample_label(s, "hostname");
        }
        for (size_t i = 0; m && i < m->n_samples; i++) {
                const PromSample *s = &m->samples[i];
                const char *instance = prom_sample_label(s, "instance");
                const char *unit = prom_sample_label(s, "unit");
                ssize_t k = key_index(info, n_info, instance);

                if (!instance || !unit)
                        continue;
                for (size_t j = 0; j < s->n_points; j++) {
                        const PromPoint *p = &s->points[j];
                        /* rises are whole numbers; anything else is not this query's answer */
                        if (!(p->value >= 1.0 && p->value < 1e7) || !(p->time >= (double) since) ||
                            !(p->time < 1e11))
                                continue;
                        if (r->n == cap) {
                                cap = cap ? cap * 2 : 32;
                                r->rows = xrealloc(r->rows, cap * sizeof(FleetRegression));
                        }
                        r->rows[r->n++] = (FleetRegression) {
                                .instance = xstrdup(instance),
                                .hostname = k >= 0 ? dup_or_null(hostname[k]) : NULL,
                                .unit = xstrdup(unit),
                                .time = (uint64_t) p->time,
                                .count = (unsigned) lround(p->value),
                        };
                }
        }
        if (r->n)
                qsort(r->rows, r->n, sizeof(FleetRegression), cmp_regression);
        if (r->n > FLEET_ROWS_MAX) {
                for (size_t i = FLEET_ROWS_MAX; i < r->n; i++) {
                        free(r->rows[i].instance);
                        free(r->rows[i].hostname);
                        free(r->rows[i].unit);
                }
                r->n = FLEET_ROWS_MAX;
                r->truncated = true;
        }
        free(hostname);
        free(info);
        return r;
}

/* ---- diff ---- */

static void side_done(FleetDiffSide *s) {
        free(s->verdict);
        free(s->description);
}

FleetDiff *fleet_diff_free(FleetDiff *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n; i++) {
                free(d->checks[i].name);
                side_done(&d->checks[i].a);
                side_done(&d->checks[i].b);
        }
        free(d->checks);
        free(d->unit);
        free(d);
        return NULL;
}

static void tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

static json_object *parse_unit_doc(const char *body, size_t size, unsigned *ret_exposure) {
        _cleanup_(tokener_freep) json_tokener *tok = json_tokener_new_ex(DIFF_JSON_DEPTH);
        json_object *root, *checks = NULL, *e = NULL;
        unsigned t;

        if (!tok || size > INT32_MAX)
                return NULL;
        root = json_tokener_parse_ex(tok, body, (int) size);
        if (!root || json_tokener_get_error(tok) != json_tokener_success ||
            !json_object_is_type(root, json_type_object) ||
            !json_object_object_get_ex(root, "checks", &checks) ||
            !json_object_is_type(checks, json_type_array) ||
            !json_object_object_get_ex(root, "exposure", &e) ||
            !(json_object_is_type(e, json_type_double) || json_object_is_type(e, json_type_int)) ||
            fleet_tenths(json_object_get_double(e), &t) < 0) {
                json_putp(&root);
                return NULL;
        }
        *ret_exposure = t;
        return root;
}

/* A check of a unit document: its name, verdict, exposure (tenths, -1 for null) and text. */
static int read_check(json_object *c, const char **name, FleetDiffSide *ret) {
        json_object *n = NULL, *v = NULL, *e = NULL, *d = NULL;
        unsigned t;

        if (!json_object_is_type(c, json_type_object) ||
            !json_object_object_get_ex(c, "name", &n) || !json_object_is_type(n, json_type_string) ||
            !json_object_object_get_ex(c, "verdict", &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *name = json_object_get_string(n);
        *ret = (FleetDiffSide) { .present = true, .exposure = -1 };
        if (json_object_object_get_ex(c, "exposure", &e) && e) {
                if (!(json_object_is_type(e, json_type_double) ||
                      json_object_is_type(e, json_type_int)) ||
                    fleet_tenths(json_object_get_double(e), &t) < 0)
                        return -EBADMSG;
                ret->exposure = (int) t;
        }
        ret->verdict = xstrdup(json_object_get_string(v));
        if (json_object_object_get_ex(c, "description", &d) &&
            json_object_is_type(d, json_type_string))
                ret->description = xstrdup(json_object_get_string(d));
        return 0;
}

static json_object *find_check(json_object *checks, const char *name) {
        size_t n = json_object_array_length(checks);

        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(checks, i), *nm = NULL;
                if (json_object_object_get_ex(c, "name", &nm) &&
                    json_object_is_type(nm, json_type_string) &&
                    streq(json_object_get_string(nm), name))
                        return c;
        }
        return NULL;
}

static void add_check(FleetDiff *d, size_t *cap, const char *name, FleetDiffSide a,
                      FleetDiffSide b) {
        if (d->n == *cap) {
                *cap = *cap ? *cap * 2 : 16;
                d->checks = xrealloc(d->checks, *cap * sizeof(FleetDiffCheck));
        }
        d->checks[d->n++] = (FleetDiffCheck) { xstrdup(name), a, b };
}

static bool sides_differ(const FleetDiffSide *a, const FleetDiffSide *b) {
        return a->present != b->present || !streq_ptr(a->verdict, b->verdict) ||
               a->exposure != b->exposure;
}

int fleet_diff_build(const char *unit, const char *a, size_t a_size, const char *b, size_t b_size,
                     FleetDiff **ret, char **ret_error) {
        _cleanup_(fleet_diff_freep) FleetDiff *d = xcalloc(1, sizeof(*d));
        _cleanup_(json_putp) json_object *ja = parse_unit_doc(a, a_size, &d->exposure_a);
        _cleanup_(json_putp) json_object *jb = parse_unit_doc(b, b_size, &d->exposure_b);
        json_object *ca, *cb;
        size_t cap = 0, na, nb;

        if (!ja || !jb) {
                if (ret_error)
                        *ret_error = xstrdup(!ja ? "host a: not a unit document" :
                                                   "host b: not a unit document");
                return -EBADMSG;
        }
        d->unit = xstrdup(unit);
        (void) json_object_object_get_ex(ja, "checks", &ca);
        (void) json_object_object_get_ex(jb, "checks", &cb);
        na = json_object_array_length(ca);
        nb = json_object_array_length(cb);
        for (int pass = 0; pass < 2; pass++) {
                json_object *mine = pass == 0 ? ca : cb, *other = pass == 0 ? cb : ca;
                size_t n = pass == 0 ? na : nb;

                for (size_t i = 0; i < n; i++) {
                        FleetDiffSide x = {}, y = { .exposure = -1 };
                        const char *name = NULL, *oname = NULL;
                        json_object *o;

                        if (read_check(json_object_array_get_idx(mine, i), &name, &x) < 0) {
                                side_done(&x);
                                if (ret_error)
                                        *ret_error = xstrdup(pass == 0 ? "host a: malformed check" :
                                                                         "host b: malformed check");
                                return -EBADMSG;
                        }
                        o = find_check(other, name);
                        if (pass == 1 && o) {
                                /* seen in the first pass */
                                side_done(&x);
                                continue;
                        }
                        d->n_compared++;
                        if (o && read_check(o, &oname, &y) < 0) {
                                side_done(&x);
                                side_done(&y);
                                if (ret_error)
                                        *ret_error = xstrdup("malformed check");
                                return -EBADMSG;
                        }
                        if (!sides_differ(&x, &y)) {
                                side_done(&x);
                                side_done(&y);
                                continue;
                        }
                        if (pass == 0)
                                add_check(d, &cap, name, x, y);
                        else
                                add_check(d, &cap, name, y, x);
                }
        }
        *ret = TAKE_PTR(d);
        return 0;
}

/* ---- the queries ---- */

static char *expr(const char *fmt_before, const char *metric, const char *job, const char *unit,
                  const char *after) {
        Buf b = {};

        buf_puts(&b, fmt_before);
        buf_puts(&b, metric);
        buf_puts(&b, "{job=");
        prom_quote(&b, job);
        if (unit) {
                buf_puts(&b, ",unit=");
                prom_quote(&b, unit);
        }
        buf_putc(&b, '}');
        buf_puts(&b, after);
        return buf_steal(&b);
}

/* last_over_time(NAME{job}[window]): the newest value a rule wrote within the window */
static char *recorded_expr(const char *name, const char *job) {
        _cleanup_free_ char *sel = job ? expr("", name, job, NULL, "") : xstrdup(name);
        Buf b = {};

        buf_printf(&b, "last_over_time(%s[%us])", sel, FLEET_RECORDED_WINDOW_SEC);
        return buf_steal(&b);
}

/* The time of the rules' newest evaluation: a rule group writes all its series at one
 * evaluation time, so one series of the group stands for all the page reads, and the group's
 * exposured_fleet:drifting_units:count is one series that is always there while it runs (a
 * per-host series as probe cost a tenth of the whole overview at 1,000 hosts). timestamp() is
 * exact within the lookback; beyond it (a group that fell further behind) a subquery at
 * 1-minute steps finds the sample within the window, to the minute. */
static char *probe_expr(void) {
        const char *sel = "exposured_fleet:drifting_units:count";
        Buf b = {};

        buf_printf(&b, "max(timestamp(%s) or max_over_time(timestamp(%s)[%us:60s]))", sel, sel,
                   FLEET_RECORDED_WINDOW_SEC);
        return buf_steal(&b);
}

uint64_t fleet_recorded_time(const PromResult *probe) {
        double t;

        if (!probe || probe->n_samples != 1 || probe->samples[0].n_labels != 0)
                return 0;
        t = probe->samples[0].value;
        if (!(t >= 1.0 && t < 1e11))
                return 0; /* NaN, or not a unix time */
        return (uint64_t) t;
}

void fleet_hosts_exprs(const char *job, char *ret[_FLEET_HQ_MAX],
                       char *ret_recorded[_FLEET_HQ_MAX], char **ret_probe) {
        _cleanup_free_ char *rec = NULL, *bus = NULL;
        Buf b = {};

        ret[FLEET_HQ_UP] = expr("", "up", job, NULL, "");
        ret[FLEET_HQ_INFO] = expr("", "exposured_host_info", job, NULL, "");
        ret[FLEET_HQ_SCAN] = expr("", "exposured_last_scan_timestamp_seconds", job, NULL, "");
        ret[FLEET_HQ_BUS] = expr("", "exposured_up", job, NULL, "");
        ret[FLEET_HQ_WORST] = expr("max by (instance) (", "exposured_unit_exposure", job, NULL,
                                   ")");
        /* exposured_units: 7 series a host, where exposured_unit_exposure has one a service, so
         * this is cheap and live (no recorded series needed), and its sum per host is the
         * host's services; zeros are no news; the sum drops the name and job, a third of the
         * answer */
        ret[FLEET_HQ_PRED] = expr("sum by (instance, predicate) (", "exposured_units", job, NULL,
                                  " > 0)");
        for (size_t i = 0; i < _FLEET_HQ_MAX; i++)
                ret_recorded[i] = NULL;
        /* only for hosts scraped now, as the raw aggregation: a host that went down has no
         * worst service, even while its recorded one is still within the window */
        rec = recorded_expr("exposured_host:unit_exposure:max", job);
        bus = expr("", "exposured_up", job, NULL, "");
        buf_printf(&b, "%s and on (instance) %s", rec, bus);
        ret_recorded[FLEET_HQ_WORST] = buf_steal(&b);
        *ret_probe = probe_expr();
}

void fleet_units_exprs(const char *job, char *ret[_FLEET_UQ_MAX],
                       char *ret_recorded[_FLEET_UQ_MAX], char **ret_probe) {
        ret[FLEET_UQ_COUNT] = expr("count by (unit) (", "exposured_unit_exposure", job, NULL, ")");
        ret[FLEET_UQ_MIN] = expr("min by (unit) (", "exposured_unit_exposure", job, NULL, ")");
        ret[FLEET_UQ_MAX] = expr("max by (unit) (", "exposured_unit_exposure", job, NULL, ")");
        ret[FLEET_UQ_MEDIAN] = expr("quantile by (unit) (0.5, ", "exposured_unit_exposure", job,
                                    NULL, ")");
        ret_recorded[FLEET_UQ_COUNT] = recorded_expr("exposured_unit:hosts:count", NULL);
        ret_recorded[FLEET_UQ_MIN] = recorded_expr("exposured_unit:exposure:min", NULL);
        ret_recorded[FLEET_UQ_MAX] = recorded_expr("exposured_unit:exposure:max", NULL);
        ret_recorded[FLEET_UQ_MEDIAN] = recorded_expr("exposured_unit:exposure:median", NULL);
        *ret_probe = probe_expr();
}

void fleet_unit_hosts_exprs(const char *job, const char *unit, char *ret[_FLEET_UHQ_MAX]) {
        ret[FLEET_UHQ_EXPOSURE] = expr("", "exposured_unit_exposure", job, unit, "");
        ret[FLEET_UHQ_PREDICATE] = expr("", "exposured_unit_predicate", job, unit, "");
        ret[FLEET_UHQ_INFO] = expr("", "exposured_host_info", job, NULL, "");
}

/* The recorded rises in the window, the hostnames, and the time of the rule's first sample in
 * the window (exposured_job:regressions:total, recorded with the rises, always present). */
void fleet_regressions_exprs(const char *job, uint64_t range, char *ret[_FLEET_RQ_MAX]) {
        _cleanup_free_ char *rises = NULL, *total = NULL;
        Buf b = {};

        range = range ? range : 1;
        rises = expr("", "exposured_unit:regressions:rise5m", job, NULL, "");
        buf_printf(&b, "%s[%llus]", rises, (unsigned long long) range);
        ret[FLEET_RQ_RISES] = buf_steal(&b);
        ret[FLEET_RQ_INFO] = expr("", "exposured_host_info", job, NULL, "");
        total = expr("timestamp(", "exposured_job:regressions:total", job, NULL, ")");
        buf_printf(&b, "min_over_time(%s[%llus:60s])", total, (unsigned long long) range);
        ret[FLEET_RQ_RECORDED] = buf_steal(&b);
}

/* (X - X offset S > 0)[R:S]: at every multiple of S in the window, the rise of X over the S
 * before. The steps tile the window, so each rise falls in exactly one; the subtraction
 * matches label for label (both sides lose the name); a series without a sample S before (new,
 * or back after more than the lookback) has no rise; a reset makes the difference negative. */
char *fleet_regressions_raw_expr(const char *job, uint64_t range, uint64_t step) {
        _cleanup_free_ char *x = expr("", "exposured_regressions_total", job, NULL, "");
        Buf b = {};

        buf_printf(&b, "(%s - %s offset %llus > 0)[%llus:%llus]", x, x, (unsigned long long) step,
                   (unsigned long long) (range ? range : 1), (unsigned long long) step);
        return buf_steal(&b);
}
