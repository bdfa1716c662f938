/* SPDX-License-Identifier: MIT */
/* The host daemon's routes: the route table and the handlers behind /metrics, /api/v1 and the
 * dashboard, plus the small adapters from the store's rows to the renderers'. Handlers gather
 * data (State, store_history/store_events/store_stats) and hand it to the renderers; they must
 * never touch libmicrohttpd or sqlite, never encode output themselves, and never log above debug
 * for anything a client sends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "embed.h"
#include "http-routes.h"
#include "log.h"
#include "plan.h"
#include "render-plan.h"
#include "unit-name.h"
#include "util.h"

static const char *const args_none[] = { NULL };
static const char *const args_dashboard[] = { "q", "predicate", "policy", "sort", "page", "limit",
                                               "oneshot", NULL };
static const char *const args_units[] = { "limit", "cursor", "user", NULL };
static const char *const args_unit[] = { "user", NULL };
static const char *const args_history[] = { "since", "until", "limit", "user", NULL };
static const char *const args_events[] = { "since", "until", "limit", "unit", "kind", "user",
                                            NULL };
static const char *const args_plan[] = { "max_risk", "target", "steps", NULL };

/* The render options of one request: the context's, at the current time. */
static RenderOptions request_options(const HttpContext *ctx) {
        RenderOptions o = ctx->render;

        o.now_usec = now_realtime_usec();
        return o;
}

/* Parse since/until/limit (and unit/kind where allowed) into q. Returns NULL or the message of a
 * 400. */

static const char *parse_range(const Request *req, HistoryQuery *q) {
        const char *v;
        uint64_t limit;

        *q = (HistoryQuery) { .limit = RENDER_ROWS_DEFAULT, .kind = _EVENT_KIND_INVALID };
        if ((v = http_request_arg(req, "since")) && render_parse_time(v, &q->since_usec) < 0)
                return "since: expected unix seconds or an RFC 3339 time";
        if ((v = http_request_arg(req, "until")) && render_parse_time(v, &q->until_usec) < 0)
                return "until: expected unix seconds or an RFC 3339 time";
        if (q->until_usec && q->since_usec > q->until_usec)
                return "since is after until";
        if ((v = http_request_arg(req, "limit"))) {
                if (parse_uint(v, RENDER_ROWS_MAX, &limit) < 0 || limit == 0)
                        return "limit: expected an integer from 1 to 1000";
                q->limit = (size_t) limit;
        }
        if ((v = http_request_arg(req, "unit"))) {
                if (isempty(v))
                        return "unit: empty";
                q->unit = v;
        }
        /* user=: the unit is that lingering user's (events: only with unit=) */
        if ((v = http_request_arg(req, "user"))) {
                if (!user_name_valid(v, strlen(v)))
                        return "user: expected a user name";
                q->user = v;
        }
        if ((v = http_request_arg(req, "kind"))) {
                q->kind = event_kind_from_string(v);
                if (q->kind < 0)
                        return "kind: expected none, regression, improvement, new-exposed-unit, "
                               "gone, rescored, systemd-upgrade or scorer-upgrade";
        }
        return NULL;
}

static const UnitState *find_unit(HttpContext *ctx, const char *id, HttpFormat f,
                                  Response *resp) {
        const UnitState *u = state_find_unit(ctx->state, id);
        if (!u)
                http_respond_error(resp, f, 404, "unknown unit");
        return u;
}

/* ---- the render cache (render-cache.h): one render per State generation ---- */

/* Answer resp from the cache when it holds key for the current generation. */
static bool cache_answer(HttpContext *ctx, const char *key, Response *resp) {
        const RenderCacheEntry *e;

        if (!ctx->cache)
                return false;
        e = render_cache_get(ctx->cache, key, ctx->state->generation, now_monotonic_usec());
        if (!e)
                return false;
        resp->shared = http_body_ref(e->body);
        resp->content_type = e->content_type;
        return true;
}

/* After a successful render into resp->body: keep it under key (ttl_usec 0: for the whole
 * generation) and send it from there, so this response and the cache share one copy. */
static void cache_keep(HttpContext *ctx, const char *key, uint64_t ttl_usec, Response *resp) {
        if (!ctx->cache || resp->status != 200 || resp->body.len == 0)
                return;
        resp->shared = http_body_new(&resp->body);
        (void) render_cache_put(ctx->cache, key, ctx->state->generation,
                                ttl_usec ? now_monotonic_usec() + ttl_usec : 0,
                                resp->content_type, resp->shared);
}

static void h_metrics(void *userdata, const Request *req, const char *param,
                      Response *resp) {
        HttpContext *ctx = userdata;
        MetricsFormat f = metrics_format_from_accept(req->accept);
        const char *key = f == METRICS_OPENMETRICS ? "metrics:openmetrics" : "metrics:text";

        (void) param;
        resp->vary_accept = true;
        if (cache_answer(ctx, key, resp))
                return;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        render_metrics(ctx->state, o, f, &resp->body);
        resp->content_type = metrics_content_type(f);
        cache_keep(ctx, key, 0, resp);
}

static void h_api_units(void *userdata, const Request *req, const char *param,
                        Response *resp) {
        HttpContext *ctx = userdata;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        UnitsPage p = { .limit = RENDER_UNITS_DEFAULT };
        const char *v;
        uint64_t limit;
        bool first_page = req->n_args == 0; /* the common request: cached */

        (void) param;
        if (first_page && cache_answer(ctx, "api:units", resp))
                return;
        if ((v = http_request_arg(req, "limit"))) {
                if (parse_uint(v, RENDER_UNITS_MAX, &limit) < 0 || limit == 0)
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "limit: expected an integer from 1 to 5000");
                p.limit = (size_t) limit;
        }
        /* A cursor is the last unit id of a page (render.h): anything that cannot be one is a
         * client's mistake, not an empty page. (Ids come from PID 1 and are valid unit names;
         * one we hold is taken whatever it looks like, so that no page can end a listing.) */
        if ((v = http_request_arg(req, "user"))) {
                if (!user_name_valid(v, strlen(v)))
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "user: expected a user name");
                p.user = v;
        }
        if ((v = http_request_arg(req, "cursor"))) {
                const char *slash = strchr(v, '/');

                if (slash && (!user_name_valid(v, (size_t) (slash - v)) ||
                              !unit_name_is_valid(slash + 1)))
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "cursor: expected the next_cursor of a page");
                if (!slash && !unit_name_is_valid(v) && !state_find_unit(ctx->state, v))
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "cursor: expected the next_cursor of a page");
                p.cursor = v;
        }
        if (render_json_units_page(ctx->state, o, &p, &resp->body) < 0)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 500, "out of memory");
        resp->content_type = HTTP_CT_JSON;
        cache_keep(ctx, "api:units", 0, resp);
}

static void h_api_unit(void *userdata, const Request *req, const char *param,
                       Response *resp) {
        HttpContext *ctx = userdata;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        const char *user = http_request_arg(req, "user");
        const UnitState *u = NULL;

        if (user) { /* a user manager's unit (State.user_units) */
                size_t n, i;

                if (!user_name_valid(user, strlen(user)))
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "user: expected a user name");
                i = state_user_range(ctx->state, user, &n);
                for (size_t k = 0; k < n && !u; k++)
                        if (streq(ctx->state->user_units[i + k]->id, param))
                                u = ctx->state->user_units[i + k];
                if (!u)
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 404, "unknown unit");
        } else
                u = find_unit(ctx, param, HTTP_FORMAT_JSON, resp);
        if (!u)
                return;
        if (render_json_unit(ctx->state, u, o, &resp->body) < 0)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 500, "out of memory");
        resp->content_type = HTTP_CT_JSON;
}

/* The unit's fix plan (plan.c); max_risk=, target= and steps= as `exposured suggest` takes them
 * (default: may-break, no target, no limit). The daemon knows neither the unit's State/Cache/Logs
 * directories nor its processes: `exposured suggest` does. */
static void h_api_plan(void *userdata, const Request *req, const char *param, Response *resp) {
        HttpContext *ctx = userdata;
        const UnitState *u = find_unit(ctx, param, HTTP_FORMAT_JSON, resp);
        PlanOptions o = { .max_risk = PLAN_RISK_MAY_BREAK, .lookahead = true };
        const char *v;
        uint64_t steps;
        Plan plan;
        int r;

        if (!u)
                return;
        if ((v = http_request_arg(req, "max_risk"))) {
                o.max_risk = plan_risk_from_string(v);
                if (o.max_risk < 0)
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "max_risk: expected safe, may-break or breaks");
        }
        if ((v = http_request_arg(req, "target")) && plan_exposure_from_string(v, &o.target) < 0)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                          "target: expected an exposure from 0.0 to 10.0");
        if ((v = http_request_arg(req, "steps"))) {
                if (parse_uint(v, 1000, &steps) < 0 || steps == 0)
                        return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                                  "steps: expected an integer from 1 to 1000");
                o.max_steps = (size_t) steps;
        }
        PlanInput in = { .table = u->report.table, .props = &u->props };
        if (plan_unit(&in, &o, &plan) < 0)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 500, "cannot plan this unit");
        r = render_plan_json(u->id, &plan, o.max_risk, NULL, false, &resp->body);
        plan_done(&plan);
        if (r < 0)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 500, "out of memory");
        resp->content_type = HTTP_CT_JSON;
}

/* ---- the store's rows, for the renderers ---- */

static Store *get_store(const HttpContext *ctx) {
        return ctx->store ? *ctx->store : NULL;
}

/* A unit's history, newest first (changes_free()). -ENOENT for a unit the store never saw,
 * -ENODATA without a store, else -errno from the store. */
static int load_history(HttpContext *ctx, const HistoryQuery *q, Change **ret, size_t *ret_n) {
        Store *store = get_store(ctx);
        int r;

        if (!store)
                return -ENODATA;
        r = store_history(store, q->user, q->unit, q->since_usec, q->until_usec, q->limit, ret,
                          ret_n);
        if (r == -EINVAL)
                return -ENOENT; /* a name the store cannot hold (control characters) was never
                                 * stored */
        return r < 0 ? r : 0;
}

static int load_events(HttpContext *ctx, const HistoryQuery *q, Change **ret, size_t *ret_n) {
        Store *store = get_store(ctx);
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!store)
                return -ENODATA;
        r = store_events(store, q->user, q->unit, q->kind >= 0 ? EVENT_KIND_MASK(q->kind) : 0,
                         q->since_usec, q->until_usec, q->limit, ret, ret_n);
        return r < 0 ? r : 0;
}

static void h_api_history(void *userdata, const Request *req, const char *param,
                          Response *resp) {
        HttpContext *ctx = userdata;
        Change *rows = NULL;
        HistoryQuery q;
        const char *err;
        size_t n = 0;
        int r;

        if ((err = parse_range(req, &q)))
                return http_respond_error(resp, HTTP_FORMAT_JSON, 400, err);
        /* A unit that is gone may still have history: the store decides (-ENOENT: never seen). */
        q.unit = param;
        r = load_history(ctx, &q, &rows, &n);
        if (r == -ENOENT)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 404, "unknown unit");
        if (r == -ENODATA)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 503, "no history database");
        if (r < 0) {
                log_debug_errno(r, "History query failed: %m");
                return http_respond_error(resp, HTTP_FORMAT_JSON, 503,
                                          "history database unavailable");
        }
        if (render_json_history(param, rows, n, &resp->body) < 0)
                http_respond_error(resp, HTTP_FORMAT_JSON, 500, "out of memory");
        else
                resp->content_type = HTTP_CT_JSON;
        changes_free(rows, n);
}

static void h_api_events(void *userdata, const Request *req, const char *param,
                         Response *resp) {
        HttpContext *ctx = userdata;
        Change *rows = NULL;
        HistoryQuery q;
        const char *err;
        size_t n = 0;
        int r;

        (void) param;
        if ((err = parse_range(req, &q)))
                return http_respond_error(resp, HTTP_FORMAT_JSON, 400, err);
        if (q.user && !q.unit)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                          "user: only with unit=");
        r = load_events(ctx, &q, &rows, &n);
        if (r == -ENODATA)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 503, "no history database");
        if (r == -EINVAL)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 400,
                                          "unit: not a valid unit name");
        if (r < 0) {
                log_debug_errno(r, "Events query failed: %m");
                return http_respond_error(resp, HTTP_FORMAT_JSON, 503,
                                          "history database unavailable");
        }
        if (render_json_events(rows, n, &resp->body) < 0)
                http_respond_error(resp, HTTP_FORMAT_JSON, 500, "out of memory");
        else
                resp->content_type = HTTP_CT_JSON;
        changes_free(rows, n);
}

static void h_api_status(void *userdata, const Request *req, const char *param,
                         Response *resp) {
        HttpContext *ctx = userdata;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        Store *store = get_store(ctx);
        StatusInfo st = { .db_available = store != NULL };
        uint64_t now = now_monotonic_usec();

        (void) req, (void) param;
        if (store != ctx->db_stats_store) {
                /* another (or a reopened) database: forget the cached numbers */
                ctx->db_stats_usec = 0;
                ctx->db_stats_store = store;
        }
        if (store) {
                /* store_stats() counts rows: at most every HTTP_DB_STATS_USEC, whatever the
                 * request rate. */
                if (ctx->db_stats_usec == 0 || now - ctx->db_stats_usec >= HTTP_DB_STATS_USEC) {
                        ctx->db_stats_error = store_stats(store, &ctx->db_stats);
                        ctx->db_stats_usec = now;
                }
                st.db_error = ctx->db_stats_error < 0 ? ctx->db_stats_error :
                                                        ctx->db_stats.last_error;
                st.schema_version = ctx->db_stats.schema_version;
                st.db_bytes = ctx->db_stats.db_bytes;
                st.wal_bytes = ctx->db_stats.wal_bytes;
                st.n_changes = ctx->db_stats.n_changes;
                st.n_events = ctx->db_stats.n_events;
                st.n_scans = ctx->db_stats.n_scans;
                st.wal_budget_bytes = ctx->db_stats.wal_budget_bytes;
                st.notice_usec = ctx->db_stats.notice_usec;
                st.notice = ctx->db_stats.notice;
        }
        if (render_json_status(ctx->state, o, &st, &resp->body) < 0)
                return http_respond_error(resp, HTTP_FORMAT_JSON, 500, "out of memory");
        resp->content_type = HTTP_CT_JSON;
}

static void h_dashboard(void *userdata, const Request *req, const char *param,
                        Response *resp) {
        HttpContext *ctx = userdata;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        DashboardQuery dq = { .min_predicate = _PREDICATE_INVALID, .sort = SORT_EXPOSURE };
        const State *s = ctx->state;
        Sparkline *sparks = NULL;
        Change **spark_rows = NULL; /* what to free: Sparkline.rows is const */
        Change *events = NULL;
        size_t n_events = 0, *page = NULL, n_page = 0, n_match, pg;
        const char *v;
        uint64_t x;
        char key[96];

        (void) param;
        dq.text = http_request_arg(req, "q");
        if (dq.text && strlen(dq.text) > 200)
                return http_respond_error(resp, HTTP_FORMAT_HTML, 400, "filter text too long");
        if ((v = http_request_arg(req, "predicate")) && !isempty(v)) {
                dq.min_predicate = predicate_from_string(v);
                if (dq.min_predicate < 0)
                        return http_respond_error(resp, HTTP_FORMAT_HTML, 400, "unknown predicate");
        }
        if ((v = http_request_arg(req, "policy")) && !isempty(v)) {
                dq.policy = policy_status_from_string(v);
                dq.by_policy = true;
                if (dq.policy < 0)
                        return http_respond_error(resp, HTTP_FORMAT_HTML, 400,
                                                  "unknown policy status");
        }
        if ((v = http_request_arg(req, "sort")) && !isempty(v)) {
                if (streq(v, "exposure"))
                        dq.sort = SORT_EXPOSURE;
                else if (streq(v, "name"))
                        dq.sort = SORT_NAME;
                else if (streq(v, "change"))
                        dq.sort = SORT_CHANGE;
                else
                        return http_respond_error(resp, HTTP_FORMAT_HTML, 400,
                                                  "unknown sort order");
        }
        /* A page past the end shows the last one (a filter may have shrunk the list). */
        if ((v = http_request_arg(req, "page")) && !isempty(v)) {
                if (parse_uint(v, SIZE_MAX, &x) < 0 || x == 0)
                        return http_respond_error(resp, HTTP_FORMAT_HTML, 400,
                                                  "page: expected a positive integer");
                dq.page = (size_t) x;
        }
        if ((v = http_request_arg(req, "limit")) && !isempty(v)) {
                if (parse_uint(v, RENDER_DASHBOARD_MAX, &x) < 0 || x == 0)
                        return http_respond_error(resp, HTTP_FORMAT_HTML, 400,
                                                  "limit: expected an integer from 1 to 1000");
                dq.per_page = (size_t) x;
        }
        if ((v = http_request_arg(req, "oneshot")) && !isempty(v)) {
                int b = parse_bool(v);
                if (b < 0)
                        return http_respond_error(resp, HTTP_FORMAT_HTML, 400,
                                                  "oneshot: expected yes or no");
                dq.oneshot = b;
        }
        /* Cached without a filter text only (the common page, its reloads and its pages).
         * Every other parameter is in the key: predicate, policy, sort and oneshot from closed
         * sets, page and limit numbers (the slots are few and least-recently-used: a client
         * asking for every page number only churns them). */
        key[0] = 0;
        if (isempty(dq.text))
                (void) snprintf(key, sizeof key, "dashboard:%d:%d:%d:%zu:%zu:%d:%d",
                                (int) dq.min_predicate,
                                dq.by_policy ? (int) dq.policy : -1, (int) dq.sort, dq.page,
                                dq.per_page, (int) dq.oneshot, get_store(ctx) != NULL);
        if (key[0] && cache_answer(ctx, key, resp))
                return;

        if (get_store(ctx) && s->n_units > 0) {
                /* One indexed query per unit of the page shown (at most RENDER_DASHBOARD_MAX,
                 * however many units); a failing store leaves the sparklines flat. */
                page = xcalloc(s->n_units, sizeof(*page));
                render_dashboard_select(s, &dq, page, &n_page, &n_match, &pg);
                sparks = xcalloc(s->n_units, sizeof(*sparks));
                spark_rows = xcalloc(s->n_units, sizeof(*spark_rows));
                for (size_t k = 0; k < n_page; k++) {
                        size_t i = page[k];
                        HistoryQuery q = {
                                .unit = s->units[i]->id,
                                .since_usec = o->now_usec > 30 * 86400 * UINT64_C(1000000) ?
                                        o->now_usec - 30 * 86400 * UINT64_C(1000000) : 0,
                                .limit = HTTP_DASHBOARD_SPARK_ROWS,
                                .kind = _EVENT_KIND_INVALID,
                        };
                        Change *rows = NULL;
                        size_t n = 0;
                        /* -ENOENT: not stored yet (flat line); anything else: give up on the
                         * sparklines, the page still renders. */
                        int r = load_history(ctx, &q, &rows, &n);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                break;
                        spark_rows[i] = rows;
                        sparks[i] = (Sparkline) { rows, n };
                }
        }
        {
                HistoryQuery q = { .limit = HTTP_DASHBOARD_EVENTS, .kind = EVENT_REGRESSION };
                (void) load_events(ctx, &q, &events, &n_events);
        }
        render_html_dashboard(s, o, &dq, sparks, events, n_events, &resp->body);
        resp->content_type = HTTP_CT_HTML;
        if (key[0])
                cache_keep(ctx, key, HTTP_DASHBOARD_CACHE_USEC, resp);
        if (spark_rows)
                for (size_t i = 0; i < s->n_units; i++)
                        changes_free(spark_rows[i], sparks[i].n);
        free(spark_rows);
        free(sparks);
        free(page);
        changes_free(events, n_events);
}

static void h_unit_page(void *userdata, const Request *req, const char *param,
                        Response *resp) {
        HttpContext *ctx = userdata;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        const UnitState *u = find_unit(ctx, param, HTTP_FORMAT_HTML, resp);
        Change *rows = NULL;
        size_t n = 0;

        (void) req;
        if (!u)
                return;
        if (get_store(ctx)) {
                HistoryQuery q = { .unit = u->id, .limit = HTTP_UNIT_CHART_ROWS,
                                   .kind = _EVENT_KIND_INVALID };
                if (load_history(ctx, &q, &rows, &n) < 0) {
                        rows = NULL;
                        n = 0;
                }
        }
        /* The fix plan above the checks, at the API's class (may-break): a unit the planner
         * cannot plan is shown without it. */
        PlanOptions po = { .max_risk = PLAN_RISK_MAY_BREAK, .lookahead = true };
        PlanInput in = { .table = u->report.table, .props = &u->props };
        Plan plan;
        Buf section = {};
        if (plan_unit(&in, &po, &plan) >= 0) {
                render_plan_html(u->id, &plan, po.max_risk, NULL, &section);
                plan_done(&plan);
        }
        render_html_unit(ctx->state, u, o, rows, n, section.data, &resp->body);
        buf_done(&section);
        resp->content_type = HTTP_CT_HTML;
        changes_free(rows, n);
}

static void h_events_page(void *userdata, const Request *req, const char *param,
                          Response *resp) {
        HttpContext *ctx = userdata;
        const RenderOptions ro = request_options(ctx), *o = &ro;
        Change *rows = NULL;
        HistoryQuery q;
        const char *err;
        size_t n = 0;
        int r;

        (void) param;
        if ((err = parse_range(req, &q)))
                return http_respond_error(resp, HTTP_FORMAT_HTML, 400, err);
        r = load_events(ctx, &q, &rows, &n);
        if (r == -EINVAL)
                return http_respond_error(resp, HTTP_FORMAT_HTML, 400,
                                          "unit: not a valid unit name");
        if (r < 0 && r != -ENODATA)
                return http_respond_error(resp, HTTP_FORMAT_HTML, 503,
                                          "history database unavailable");
        render_html_events(o, rows, n, r != -ENODATA, &resp->body);
        resp->content_type = HTTP_CT_HTML;
        changes_free(rows, n);
}

static const char *asset_type(const char *name) {
        static const struct { const char *ext, *type; } types[] = {
                { ".css", "text/css; charset=utf-8" },
                { ".js", "text/javascript; charset=utf-8" },
                { ".svg", "image/svg+xml" },
        };
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (endswith(name, types[i].ext))
                        return types[i].type;
        return NULL; /* page templates (.html) are not served */
}

void http_route_static(void *userdata, const Request *req, const char *param,
                       Response *resp) {
        (void) userdata;
        /* Exact lookup in the embedded table: "..", "/" or "%2e%2e" can never name a file. */
        for (const EmbeddedFile *f = web_assets; f->name; f++) {
                const char *type = asset_type(f->name);
                uint64_t h = UINT64_C(14695981039346656037);
                char tag[24];

                if (!type || !streq(f->name, param))
                        continue;
                /* FNV-1a of the content: a strong-enough validator for a few embedded files. */
                for (size_t i = 0; i < f->size; i++)
                        h = (h ^ (unsigned char) f->data[i]) * UINT64_C(1099511628211);
                (void) snprintf(tag, sizeof tag, "\"%016llx\"", (unsigned long long) h);
                resp->etag = xstrdup(tag);
                resp->content_type = type;
                resp->cache_control = "public, max-age=3600";
                if (req->if_none_match && strstr(req->if_none_match, tag)) {
                        resp->status = 304;
                        return;
                }
                resp->static_body = f->data;
                resp->static_size = f->size;
                return;
        }
        http_respond_error(resp, HTTP_FORMAT_TEXT, 404, "no such file");
}

static const HttpRoute routes[] = {
        { "/", HTTP_FORMAT_HTML, h_dashboard, args_dashboard },
        { "/units/*", HTTP_FORMAT_HTML, h_unit_page, args_none },
        { "/events", HTTP_FORMAT_HTML, h_events_page, args_events },
        { "/static/*", HTTP_FORMAT_TEXT, http_route_static, args_none },
        { "/metrics", HTTP_FORMAT_TEXT, h_metrics, args_none },
        { "/api/v1/units", HTTP_FORMAT_JSON, h_api_units, args_units },
        { "/api/v1/units/*", HTTP_FORMAT_JSON, h_api_unit, args_unit },
        { "/api/v1/units/*/history", HTTP_FORMAT_JSON, h_api_history, args_history },
        { "/api/v1/units/*/plan", HTTP_FORMAT_JSON, h_api_plan, args_plan },
        { "/api/v1/events", HTTP_FORMAT_JSON, h_api_events, args_events },
        { "/api/v1/status", HTTP_FORMAT_JSON, h_api_status, args_none },
};

const HttpRouteTable http_host_routes = {
        .routes = routes,
        .n_routes = ELEMENTSOF(routes),
        .json_prefix = "/api/",
};
