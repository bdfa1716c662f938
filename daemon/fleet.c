/* SPDX-License-Identifier: MIT */
/* The fleet engine (see fleet.h). A job is one page being answered: a first stage of
 * Prometheus calls started together (their number fixed by the page, fleet-model.h), and for a
 * diff a second stage that fetches the two hosts' /api/v1/units/{unit}, whose addresses come
 * from Prometheus' targets API. When the last call of the last stage is back the model is built
 * and rendered. Results of the first stage are cached per page (key: page and unit), so that a
 * Prometheus outage shows the last good answer instead of nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl-event.h"
#include "fleet-model.h"
#include "fleet.h"
#include "http-request.h"
#include "log.h"
#include "prom-client.h"
#include "render-fleet.h"
#include "render.h"
#include "unit-name.h"
#include "util.h"

#define QUERIES_MAX 8
#define USEC_PER_SEC UINT64_C(1000000)

typedef struct CacheEntry {
        char *key;
        PromResult *res[QUERIES_MAX];
        size_t n;
        uint64_t time;      /* realtime seconds of the answer */
        uint64_t mono_usec; /* CLOCK_MONOTONIC of the answer, for `cache` */
        FleetSource source; /* of its aggregates */
        uint64_t recorded_time;
} CacheEntry;

struct Fleet {
        sd_event *event;
        const FleetConfig *config;
        const FleetSecrets *secrets;
        CurlEvent *curl;
        PromClient *prom;
        CacheEntry cache[FLEET_CACHE_ENTRIES];
        FleetJob *jobs;
        bool prometheus_failing; /* for logging state changes only */
};

struct FleetJob {
        Fleet *fleet;
        FleetJob *prev, *next;
        FleetPage page;
        bool json;
        char *unit, *a, *b, *key;
        uint64_t now, since;
        size_t n_queries;
        char *raw[QUERIES_MAX];  /* asked when the recorded series asked first is empty */
        bool recorded[QUERIES_MAX]; /* slot i asked a recorded series first */
        bool fell_back[QUERIES_MAX]; /* ... and it was empty: slot i holds the raw answer */
        PromCall *calls[QUERIES_MAX];
        char *probe_expr;    /* when the rules last wrote the page's recorded series */
        PromCall *probe_call;
        PromResult *probe;
        PromResult *res[QUERIES_MAX];
        PromCall *targets_call;
        PromResult *targets;
        size_t pending;
        int error;           /* first failure of the Prometheus stage */
        char *error_message;
        bool diff;           /* a second stage compares a and b */
        bool raw_asked;      /* regressions: the raw counters were asked (no recorded rises) */
        CurlFetch *host_fetch[2];
        Buf host_body[2];
        long host_status[2];
        int host_error[2];
        char *host_error_message[2];
        FleetDone done;
        void *userdata;
};

/* ---- parameters ---- */

static bool instance_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > FLEET_INSTANCE_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* "<n>s|m|min|h|d|w" ago, or -EINVAL */
static int parse_ago(const char *v, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t sec; } units[] = {
                { "s", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 }, { "d", 86400 },
                { "w", 7 * 86400 },
        };
        size_t len = strspn(v, "0123456789");
        char num[12];
        uint64_t n;

        if (len == 0 || len >= sizeof num || !v[len])
                return -EINVAL;
        memcpy(num, v, len);
        num[len] = 0;
        if (parse_uint(num, 100U * 366U * 86400U, &n) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(v + len, units[i].suffix)) {
                        *ret = n * units[i].sec;
                        return 0;
                }
        return -EINVAL;
}

const char *fleet_query_check(const FleetQuery *q, uint64_t now, uint64_t *ret_since) {
        if (q->page < 0 || q->page >= _FLEET_PAGE_MAX)
                return "no such page";
        if (q->page == FLEET_PAGE_UNIT || q->page == FLEET_PAGE_DIFF) {
                if (!q->unit || !unit_name_is_valid(q->unit))
                        return "unit: not a valid unit name";
                if (q->a && !instance_valid(q->a))
                        return "a: not a valid instance";
                if (q->b && !instance_valid(q->b))
                        return "b: not a valid instance";
                if (q->page == FLEET_PAGE_DIFF && !q->a)
                        return "a: missing (the instance of the first host)";
                if (q->page == FLEET_PAGE_DIFF && !q->b)
                        return "b: missing (the instance of the second host)";
                if (!q->a != !q->b)
                        return "a, b: give both instances or neither";
                if (q->a && streq(q->a, q->b))
                        return "a, b: the same instance twice";
        }
        if (q->page == FLEET_PAGE_REGRESSIONS) {
                uint64_t since, ago, usec;

                if (!q->since || isempty(q->since))
                        since = now - FLEET_SINCE_DEFAULT_SEC;
                else if (parse_ago(q->since, &ago) >= 0)
                        since = ago > now ? 0 : now - ago;
                else if (render_parse_time(q->since, &usec) >= 0)
                        since = usec / USEC_PER_SEC;
                else
                        return "since: expected unix seconds, an RFC 3339 time or a duration "
                               "ago such as 24h or 7d";
                if (since > now)
                        return "since: in the future";
                if (now - since > FLEET_SINCE_MAX_SEC)
                        return "since: more than 31 days ago";
                *ret_since = since;
        }
        return NULL;
}

/* ---- cache ---- */

static void cache_entry_clear(CacheEntry *e) {
        free(e->key);
        for (size_t i = 0; i < e->n; i++)
                prom_result_free(e->res[i]);
        *e = (CacheEntry) {};
}

static CacheEntry *cache_find(Fleet *f, const char *key) {
        for (size_t i = 0; i < FLEET_CACHE_ENTRIES; i++)
                if (f->cache[i].key && streq(f->cache[i].key, key))
                        return &f->cache[i];
        return NULL;
}

/* Keep res (ownership moves) as the last good answer for key; the oldest entry makes room. */
static void cache_put(Fleet *f, const char *key, PromResult **res, size_t n, uint64_t time,
                      FleetSource source, uint64_t recorded_time) {
        CacheEntry *e = cache_find(f, key);

        if (!e) {
                e = &f->cache[0];
                for (size_t i = 0; i < FLEET_CACHE_ENTRIES; i++) {
                        if (!f->cache[i].key) {
                                e = &f->cache[i];
                                break;
                        }
                        if (f->cache[i].mono_usec < e->mono_usec)
                                e = &f->cache[i];
                }
        }
        cache_entry_clear(e);
        e->key = xstrdup(key);
        for (size_t i = 0; i < n; i++)
                e->res[i] = TAKE_PTR(res[i]);
        e->n = n;
        e->time = time;
        e->mono_usec = now_monotonic_usec();
        e->source = source;
        e->recorded_time = recorded_time;
}

/* ---- rendering ---- */

static void answer_error(FleetAnswer *ans, bool json, unsigned status, const char *msg,
                         const FleetStatus *st) {
        buf_clear(&ans->body);
        ans->status = status;
        if (json) {
                ans->content_type = HTTP_CT_JSON;
                if (render_json_error(msg, &ans->body) < 0)
                        buf_puts(&ans->body, "{\"error\":\"out of memory\"}");
        } else {
                ans->content_type = HTTP_CT_HTML;
                render_fleet_html_error(status, msg, st, &ans->body);
        }
}

static size_t n_queries(FleetPage p) {
        switch (p) {
        case FLEET_PAGE_HOSTS:
                return _FLEET_HQ_MAX;
        case FLEET_PAGE_UNITS:
                return _FLEET_UQ_MAX;
        case FLEET_PAGE_UNIT:
                return _FLEET_UHQ_MAX;
        case FLEET_PAGE_REGRESSIONS:
                return _FLEET_RQ_MAX;
        default:
                return 0;
        }
}

/* Render page from res (fresh or cached) into ans. diff/diff_error for the unit page. */
static void render_page(const FleetJob *j, PromResult *const *res, const FleetStatus *st,
                        const FleetDiff *diff, const char *diff_error, FleetAnswer *ans) {
        int r = 0;

        ans->status = 200;
        ans->content_type = j->json ? HTTP_CT_JSON : HTTP_CT_HTML;
        switch (j->page) {
        case FLEET_PAGE_HOSTS: {
                _cleanup_(fleet_hosts_freep) FleetHosts *h = fleet_hosts_build(
                        res, st->now, j->fleet->config->stale_after_usec / USEC_PER_SEC);
                if (j->json)
                        r = render_fleet_json_hosts(h, st, &ans->body);
                else
                        render_fleet_html_hosts(h, st, &ans->body);
                break;
        }
        case FLEET_PAGE_UNITS: {
                _cleanup_(fleet_units_freep) FleetUnits *u = fleet_units_build(res);
                if (j->json)
                        r = render_fleet_json_units(u, st, &ans->body);
                else
                        render_fleet_html_units(u, st, &ans->body);
                break;
        }
        case FLEET_PAGE_UNIT: {
                _cleanup_(fleet_unit_hosts_freep) FleetUnitHosts *u =
                        fleet_unit_hosts_build(j->unit, res);
                if (u->n == 0)
                        return answer_error(ans, j->json, 404, "unit: no host reports it", st);
                if (j->json)
                        r = render_fleet_json_unit(u, st, &ans->body);
                else
                        render_fleet_html_unit(u, diff, j->a, j->b, diff_error, st, &ans->body);
                break;
        }
        case FLEET_PAGE_REGRESSIONS: {
                _cleanup_(fleet_regressions_freep) FleetRegressions *rg =
                        fleet_regressions_build(res, j->since, j->now);
                if (j->json)
                        r = render_fleet_json_regressions(rg, st, &ans->body);
                else
                        render_fleet_html_regressions(rg, st, &ans->body);
                break;
        }
        case FLEET_PAGE_DIFF:
                r = render_fleet_json_diff(diff, j->a, j->b, st, &ans->body);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                answer_error(ans, j->json, 500, "out of memory", st);
}

/* ---- jobs ---- */

static void job_free(FleetJob *j) {
        Fleet *f = j->fleet;

        if (j->prev)
                j->prev->next = j->next;
        else if (f->jobs == j)
                f->jobs = j->next;
        if (j->next)
                j->next->prev = j->prev;
        for (size_t i = 0; i < QUERIES_MAX; i++) {
                prom_call_cancel(j->calls[i]);
                prom_result_free(j->res[i]);
                free(j->raw[i]);
        }
        prom_call_cancel(j->targets_call);
        prom_result_free(j->targets);
        prom_call_cancel(j->probe_call);
        prom_result_free(j->probe);
        free(j->probe_expr);
        for (int i = 0; i < 2; i++) {
                curl_fetch_cancel(j->host_fetch[i]);
                buf_done(&j->host_body[i]);
                free(j->host_error_message[i]);
        }
        free(j->unit);
        free(j->a);
        free(j->b);
        free(j->key);
        free(j->error_message);
        free(j);
}

void fleet_job_set_userdata(FleetJob *j, void *userdata) {
        j->userdata = userdata;
}

void fleet_job_cancel(FleetJob *j) {
        if (j)
                job_free(j);
}

static void job_fail(FleetJob *j, int error, const char *message) {
        if (j->error)
                return;
        j->error = error < 0 ? error : -EIO;
        j->error_message = xstrdup(message ? message : strerror(-j->error));
}

/* The base of a host's own API, from the URL Prometheus scrapes: the scrape URL without its
 * trailing "/metrics" (and query), or scheme://authority. */
static char *host_base(const char *scrape_url) {
        const char *auth = strstr(scrape_url, "://"), *path, *end;

        if (!auth)
                return NULL;
        auth += 3;
        path = auth + strcspn(auth, "/?#");
        end = path + strcspn(path, "?#");
        if ((size_t) (end - path) >= strlen("/metrics") &&
            strncmp(end - strlen("/metrics"), "/metrics", strlen("/metrics")) == 0)
                return xstrndup(scrape_url, (size_t) (end - strlen("/metrics") - scrape_url));
        return xstrndup(scrape_url, (size_t) (path - scrape_url));
}

/* Where the answer's aggregates came from: the recorded series, or the raw fallback. */
static FleetSource job_source(const FleetJob *j) {
        size_t n_recorded = 0, n_raw = 0;

        for (size_t i = 0; i < j->n_queries; i++)
                if (j->recorded[i]) {
                        if (j->fell_back[i])
                                n_raw++;
                        else
                                n_recorded++;
                }
        if (n_recorded + n_raw == 0)
                return FLEET_SOURCE_NONE;
        return n_raw == 0 ? FLEET_SOURCE_RECORDED :
               n_recorded == 0 ? FLEET_SOURCE_RAW : FLEET_SOURCE_MIXED;
}

static void job_finish(FleetJob *j) {
        Fleet *f = j->fleet;
        FleetAnswer ans = {};
        FleetStatus st = { .now = j->now, .data_time = j->now, .host_url = f->config->host_url };
        _cleanup_(fleet_diff_freep) FleetDiff *diff = NULL;
        _cleanup_free_ char *diff_error = NULL, *perr = NULL;
        PromResult **res = j->res;
        CacheEntry *e = NULL;
        unsigned diff_status = 0;

        /* the Prometheus stage */
        if (j->error) {
                if (asprintf(&perr, "Prometheus at %s: %s", f->config->prometheus,
                             j->error_message) < 0)
                        abort();
                if (!f->prometheus_failing)
                        log_warning("Prometheus at '%s' failed: %s", f->config->prometheus,
                                    j->error_message);
                f->prometheus_failing = true;
                st.error = perr;
                e = j->key ? cache_find(f, j->key) : NULL;
                if (!e) {
                        answer_error(&ans, j->json, j->error == -ETIMEDOUT ? 504 : 502, perr,
                                     &st);
                        goto deliver;
                }
                res = e->res;
                st.data_time = e->time;
                st.source = e->source;
                st.recorded_time = e->recorded_time;
        } else {
                st.source = job_source(j);
                st.recorded_time = fleet_recorded_time(j->probe);
                if (f->prometheus_failing)
                        log_info("Prometheus at '%s' answers again.", f->config->prometheus);
                f->prometheus_failing = false;
        }

        /* the hosts stage */
        if (j->diff && !j->error) {
                const char *side[2] = { "a", "b" }, *inst[2] = { j->a, j->b };
                for (int i = 0; i < 2 && !diff_error; i++) {
                        if (j->host_error[i] == -ENOENT) {
                                diff_status = 404;
                                if (asprintf(&diff_error, "%s: '%s' is not a target of job '%s'",
                                             side[i], inst[i], f->config->job) < 0)
                                        abort();
                        } else if (j->host_error[i] < 0) {
                                diff_status = j->host_error[i] == -ETIMEDOUT ? 504 : 502;
                                if (asprintf(&diff_error, "host %s (%s): %s", side[i], inst[i],
                                             j->host_error_message[i]) < 0)
                                        abort();
                        } else if (j->host_status[i] == 404) {
                                diff_status = 404;
                                if (asprintf(&diff_error, "host %s (%s) does not have unit '%s'",
                                             side[i], inst[i], j->unit) < 0)
                                        abort();
                        } else if (j->host_status[i] != 200) {
                                diff_status = 502;
                                if (asprintf(&diff_error, "host %s (%s) answered HTTP %ld%s",
                                             side[i], inst[i], j->host_status[i],
                                             j->host_status[i] == 401 ?
                                                     " (the hosts' token is wrong or missing)" :
                                                     "") < 0)
                                        abort();
                        }
                }
                if (!diff_error &&
                    fleet_diff_build(j->unit, j->host_body[0].data ? j->host_body[0].data : "",
                                     j->host_body[0].len,
                                     j->host_body[1].data ? j->host_body[1].data : "",
                                     j->host_body[1].len, &diff, &diff_error) < 0)
                        diff_status = 502;
        } else if (j->diff && j->error) {
                diff_status = j->error == -ETIMEDOUT ? 504 : 502;
                diff_error = xstrdup(perr);
        }

        if (j->page == FLEET_PAGE_DIFF) {
                if (diff_error)
                        answer_error(&ans, true, diff_status, diff_error, &st);
                else
                        render_page(j, res, &st, diff, NULL, &ans);
                goto deliver;
        }
        render_page(j, res, &st, diff, diff_error, &ans);
        if (!j->error && j->key && ans.status == 200)
                cache_put(f, j->key, j->res, j->n_queries, j->now, st.source,
                          st.recorded_time);

deliver:
        j->done(&ans, j->userdata);
        buf_done(&ans.body);
        job_free(j);
}

static void stage_done(FleetJob *j);
static const PromDone query_done[QUERIES_MAX];

static void on_host(const CurlResult *r, void *userdata, int i) {
        FleetJob *j = userdata;

        j->host_fetch[i] = NULL;
        j->host_error[i] = r->error;
        if (r->error)
                j->host_error_message[i] = xstrdup(r->error_message ? r->error_message : "");
        j->host_status[i] = r->status;
        buf_append(&j->host_body[i], r->body, r->size);
        if (--j->pending == 0)
                job_finish(j);
}

static void on_host_a(const CurlResult *r, void *userdata) {
        on_host(r, userdata, 0);
}

static void on_host_b(const CurlResult *r, void *userdata) {
        on_host(r, userdata, 1);
}

/* The first stage is back: start the host fetches of a diff, or finish. */
static void stage_done(FleetJob *j) {
        Fleet *f = j->fleet;
        const char *inst[2] = { j->a, j->b };
        CurlDone cb[2] = { on_host_a, on_host_b };

        if (j->page == FLEET_PAGE_REGRESSIONS && !j->error && !j->raw_asked &&
            !fleet_regressions_recorded(j->res[FLEET_RQ_RECORDED], j->since)) {
                /* the recording rule did not run through the window: the raw counters */
                _cleanup_free_ char *e = fleet_regressions_raw_expr(
                        f->config->job, j->now - j->since,
                        fleet_regressions_step(j->since, j->now));
                int r;

                j->raw_asked = true;
                j->res[FLEET_RQ_RISES] = prom_result_free(j->res[FLEET_RQ_RISES]);
                r = prom_client_query(f->prom, e, 0, query_done[FLEET_RQ_RISES], j,
                                      &j->calls[FLEET_RQ_RISES]);
                if (r < 0) {
                        job_fail(j, r, "cannot start the Prometheus query");
                        return job_finish(j);
                }
                j->pending++;
                return;
        }
        if (!j->diff || j->error)
                return job_finish(j);
        for (int i = 0; i < 2; i++) {
                const PromTarget *t = NULL;
                _cleanup_free_ char *base = NULL;
                Buf url = {};
                int r;

                for (size_t k = 0; j->targets && k < j->targets->n_targets; k++)
                        if (streq(j->targets->targets[k].job, f->config->job) &&
                            streq(j->targets->targets[k].instance, inst[i]))
                                t = &j->targets->targets[k];
                base = t ? host_base(t->scrape_url) : NULL;
                if (!base) {
                        j->host_error[i] = -ENOENT;
                        continue;
                }
                buf_puts(&url, base);
                buf_puts(&url, "/api/v1/units/");
                render_url_encode(&url, j->unit);
                CurlFetchOptions o = {
                        .url = url.data,
                        .bearer_token = f->secrets->hosts_token,
                        .ca_file = f->secrets->hosts_ca,
                        .accept = "application/json",
                        .timeout_usec = f->config->query_timeout_usec,
                        .max_bytes = f->config->max_response_bytes,
                };
                r = curl_event_fetch(f->curl, &o, cb[i], j, &j->host_fetch[i]);
                buf_done(&url);
                if (r < 0) {
                        j->host_error[i] = r;
                        j->host_error_message[i] = xstrdup(strerror(-r));
                        continue;
                }
                j->pending++;
        }
        if (j->pending == 0)
                job_finish(j);
}

/* PromDone carries one pointer: the slot index is found by the call's position. */
static void on_query(int error, const char *message, PromResult *result, void *userdata,
                     size_t i) {
        FleetJob *j = userdata;

        j->calls[i] = NULL;
        if (error >= 0 && result->n_samples == 0 && j->raw[i]) {
                /* no recorded series within the window (no rules loaded, or their evaluation
                 * fell behind): the raw aggregation, same slot */
                _cleanup_free_ char *raw = TAKE_PTR(j->raw[i]);
                int r;

                j->fell_back[i] = true;
                prom_result_free(result);
                r = prom_client_query(j->fleet->prom, raw, 0, query_done[i], j, &j->calls[i]);
                if (r >= 0)
                        return;
                error = r;
                message = "cannot start the Prometheus query";
                result = NULL;
        }
        if (error < 0)
                job_fail(j, error, message);
        else
                j->res[i] = result;
        if (--j->pending == 0)
                stage_done(j);
}

#define ON_QUERY(n)                                                                         \
        static void on_query_##n(int error, const char *message, PromResult *result,        \
                                 void *userdata) {                                          \
                on_query(error, message, result, userdata, n);                              \
        }
ON_QUERY(0)
ON_QUERY(1)
ON_QUERY(2)
ON_QUERY(3)
ON_QUERY(4)
ON_QUERY(5)
ON_QUERY(6)
ON_QUERY(7)
#undef ON_QUERY

static const PromDone query_done[QUERIES_MAX] = {
        on_query_0, on_query_1, on_query_2, on_query_3,
        on_query_4, on_query_5, on_query_6, on_query_7,
};

/* The probe is information for the page, not its data: a failure leaves the time unknown. */
static void on_probe(int error, const char *message, PromResult *result, void *userdata) {
        FleetJob *j = userdata;

        (void) message;
        j->probe_call = NULL;
        if (error >= 0)
                j->probe = result;
        if (--j->pending == 0)
                stage_done(j);
}

static void on_targets(int error, const char *message, PromResult *result, void *userdata) {
        FleetJob *j = userdata;

        j->targets_call = NULL;
        if (error < 0)
                job_fail(j, error, message);
        else
                j->targets = result;
        if (--j->pending == 0)
                stage_done(j);
}

int fleet_answer(Fleet *f, const FleetQuery *q, FleetAnswer *answer, FleetDone done,
                 void *userdata, FleetJob **ret_job) {
        uint64_t now = now_realtime_usec() / USEC_PER_SEC, since = 0;
        FleetStatus st = { .now = now, .data_time = now, .host_url = f->config->host_url };
        char *exprs[QUERIES_MAX] = {}, *recorded[QUERIES_MAX] = {};
        const char *err;
        FleetJob *j;
        Buf key = {};
        int r = 0;

        err = fleet_query_check(q, now, &since);
        if (err) {
                answer_error(answer, q->json, 400, err, &st);
                return 1;
        }
        j = xcalloc(1, sizeof(*j));
        j->fleet = f;
        j->page = q->page;
        j->json = q->json || q->page == FLEET_PAGE_DIFF;
        j->unit = q->unit ? xstrdup(q->unit) : NULL;
        j->a = q->a ? xstrdup(q->a) : NULL;
        j->b = q->b ? xstrdup(q->b) : NULL;
        j->now = now;
        j->since = since;
        j->diff = j->a && j->b;
        j->done = done;
        j->userdata = userdata;
        j->n_queries = n_queries(q->page);
        j->next = f->jobs;
        if (f->jobs)
                f->jobs->prev = j;
        f->jobs = j;

        /* The cache key: the page and what selects its data (not a, b: the diff is live). */
        if (q->page != FLEET_PAGE_DIFF) {
                buf_printf(&key, "%d:", (int) q->page);
                if (q->unit)
                        buf_puts(&key, q->unit);
                if (q->page == FLEET_PAGE_REGRESSIONS)
                        buf_puts(&key, q->since ? q->since : "");
                j->key = buf_steal(&key);
        }
        if (j->key && !j->diff && f->config->cache_usec > 0) {
                CacheEntry *e = cache_find(f, j->key);
                if (e && now_monotonic_usec() - e->mono_usec < f->config->cache_usec) {
                        st.data_time = e->time;
                        st.source = e->source;
                        st.recorded_time = e->recorded_time;
                        render_page(j, e->res, &st, NULL, NULL, answer);
                        job_free(j);
                        return 1;
                }
        }

        switch (q->page) {
        case FLEET_PAGE_HOSTS:
                fleet_hosts_exprs(f->config->job, exprs, recorded, &j->probe_expr);
                break;
        case FLEET_PAGE_UNITS:
                fleet_units_exprs(f->config->job, exprs, recorded, &j->probe_expr);
                break;
        case FLEET_PAGE_UNIT:
                fleet_unit_hosts_exprs(f->config->job, q->unit, exprs);
                break;
        case FLEET_PAGE_REGRESSIONS:
                fleet_regressions_exprs(f->config->job, now - since, exprs);
                break;
        default:
                break;
        }
        for (size_t i = 0; i < j->n_queries && r >= 0; i++) {
                if (recorded[i]) {
                        /* the recorded series first; exprs[i] if it is empty */
                        j->raw[i] = TAKE_PTR(exprs[i]);
                        exprs[i] = TAKE_PTR(recorded[i]);
                        j->recorded[i] = true;
                }
                /* at Prometheus' own now: ours, in whole seconds, may miss the sample of the
                 * last second */
                r = prom_client_query(f->prom, exprs[i], 0, query_done[i], j, &j->calls[i]);
                if (r >= 0)
                        j->pending++;
        }
        if (r >= 0 && j->probe_expr) {
                r = prom_client_query(f->prom, j->probe_expr, 0, on_probe, j, &j->probe_call);
                if (r >= 0)
                        j->pending++;
        }
        if (r >= 0 && j->diff) {
                r = prom_client_targets(f->prom, on_targets, j, &j->targets_call);
                if (r >= 0)
                        j->pending++;
        }
        for (size_t i = 0; i < QUERIES_MAX; i++) {
                free(exprs[i]);
                free(recorded[i]);
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to start a Prometheus query: %m");
                answer_error(answer, j->json, 500, "cannot start the Prometheus query", &st);
                job_free(j);
                return 1;
        }
        if (ret_job)
                *ret_job = j;
        return 0;
}

int fleet_new(sd_event *event, const FleetConfig *config, const FleetSecrets *secrets,
              Fleet **ret) {
        _cleanup_(fleet_freep) Fleet *f = xcalloc(1, sizeof(*f));
        int r;

        f->event = sd_event_ref(event);
        f->config = config;
        f->secrets = secrets;
        r = curl_event_new(event, &f->curl);
        if (r < 0)
                return log_error_errno(r, "Failed to set up libcurl: %m");
        PromClientConfig pc = {
                .url = config->prometheus,
                .bearer_token = secrets->prometheus_token,
                .ca_file = secrets->prometheus_ca,
                .timeout_usec = config->query_timeout_usec,
                .max_bytes = config->max_response_bytes,
        };
        r = prom_client_new(f->curl, &pc, &f->prom);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the Prometheus client: %m");
        *ret = TAKE_PTR(f);
        return 0;
}

Fleet *fleet_free(Fleet *f) {
        if (!f)
                return NULL;
        while (f->jobs)
                job_free(f->jobs);
        for (size_t i = 0; i < FLEET_CACHE_ENTRIES; i++)
                cache_entry_clear(&f->cache[i]);
        prom_client_free(f->prom);
        curl_event_free(f->curl);
        sd_event_unref(f->event);
        free(f);
        return NULL;
}
