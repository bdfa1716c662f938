/* SPDX-License-Identifier: MIT */
/* Prometheus HTTP API client (see prom-client.h). The parsers accept exactly the documented
 * shapes ({"status":"success","data":{"resultType":..., "result":[...]}}) and copy what they
 * keep, so the json-c tree is freed before the caller sees the result; anything else is
 * -EBADMSG with a message. Sample values are strings in the API ("9.6", "NaN", "+Inf"). */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom-client.h"
#include "render.h"
#include "render-json.h"
#include "util.h"

#define PROM_JSON_DEPTH 16

static void tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

static void set_msg(char **ret_error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;

        if (!ret_error)
                return;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                abort();
        va_end(ap);
        free(*ret_error);
        *ret_error = m;
}

static void sample_done(PromSample *s) {
        for (size_t i = 0; i < s->n_labels; i++) {
                free(s->labels[i].name);
                free(s->labels[i].value);
        }
        free(s->labels);
        free(s->points);
}

PromResult *prom_result_free(PromResult *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_samples; i++)
                sample_done(&r->samples[i]);
        free(r->samples);
        for (size_t i = 0; i < r->n_targets; i++) {
                free(r->targets[i].instance);
                free(r->targets[i].job);
                free(r->targets[i].scrape_url);
                free(r->targets[i].health);
        }
        free(r->targets);
        free(r);
        return NULL;
}

const char *prom_sample_label(const PromSample *s, const char *name) {
        for (size_t i = 0; i < s->n_labels; i++)
                if (streq(s->labels[i].name, name))
                        return s->labels[i].value;
        return NULL;
}

static json_object *get(json_object *o, const char *k, json_type t) {
        json_object *v = NULL;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
            !json_object_is_type(v, t))
                return NULL;
        return v;
}

static const char *get_str(json_object *o, const char *k) {
        json_object *v = get(o, k, json_type_string);
        return v ? json_object_get_string(v) : NULL;
}

/* Parse body into a tree and check "status". -EREMOTEIO for an error answer. */
static int parse_envelope(const char *body, size_t size, json_object **ret, char **ret_error) {
        _cleanup_(tokener_freep) json_tokener *tok = json_tokener_new_ex(PROM_JSON_DEPTH);
        json_object *root;
        const char *status;

        if (!tok)
                return -ENOMEM;
        if (size > INT32_MAX) {
                set_msg(ret_error, "response too large");
                return -EBADMSG;
        }
        root = json_tokener_parse_ex(tok, body, (int) size);
        if (!root || json_tokener_get_error(tok) != json_tokener_success) {
                json_putp(&root);
                set_msg(ret_error, "not JSON (%s)",
                        json_tokener_error_desc(json_tokener_get_error(tok)));
                return -EBADMSG;
        }
        status = get_str(root, "status");
        if (status && streq(status, "error")) {
                const char *type = get_str(root, "errorType"), *err = get_str(root, "error");
                set_msg(ret_error, "%s: %.*s", type ? type : "error", PROM_ERROR_MAX,
                        err ? err : "no message");
                json_putp(&root);
                return -EREMOTEIO;
        }
        if (!status || !streq(status, "success")) {
                set_msg(ret_error, "no \"status\": \"success\"");
                json_putp(&root);
                return -EBADMSG;
        }
        *ret = root;
        return 0;
}

/* [ <unix time>, "<value>" ] */
static int parse_pair(json_object *pair, double *ret_time, double *ret_value) {
        json_object *t, *v;
        const char *s;
        char *end;

        if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2)
                return -EBADMSG;
        t = json_object_array_get_idx(pair, 0);
        v = json_object_array_get_idx(pair, 1);
        if (!(json_object_is_type(t, json_type_double) || json_object_is_type(t, json_type_int)) ||
            !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        errno = 0;
        *ret_value = strtod(s, &end);
        if (end == s || *end)
                return -EBADMSG;
        *ret_time = json_object_get_double(t);
        return 0;
}

static int parse_labels(json_object *metric, PromSample *s) {
        size_t n;

        if (!json_object_is_type(metric, json_type_object))
                return -EBADMSG;
        n = (size_t) json_object_object_length(metric);
        if (n > PROM_LABELS_MAX)
                return -EBADMSG;
        s->labels = xcalloc(n ? n : 1, sizeof(PromLabel));
        json_object_object_foreach(metric, k, v) {
                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                s->labels[s->n_labels++] = (PromLabel) { xstrdup(k),
                                                         xstrdup(json_object_get_string(v)) };
        }
        return 0;
}

static int parse_series(json_object *item, PromResultType type, PromSample *s) {
        json_object *metric = get(item, "metric", json_type_object);
        int r;

        if (!metric)
                return -EBADMSG;
        r = parse_labels(metric, s);
        if (r < 0)
                return r;
        if (type == PROM_VECTOR)
                return parse_pair(get(item, "value", json_type_array), &s->time, &s->value);
        json_object *values = get(item, "values", json_type_array);
        if (!values)
                return -EBADMSG;
        size_t n = json_object_array_length(values);
        s->points = xcalloc(n ? n : 1, sizeof(PromPoint));
        for (size_t i = 0; i < n; i++) {
                PromPoint *p = &s->points[s->n_points];
                if (parse_pair(json_object_array_get_idx(values, i), &p->time, &p->value) < 0)
                        return -EBADMSG;
                s->n_points++;
        }
        return 0;
}

int prom_parse_query(const char *body, size_t size, PromResult **ret, char **ret_error) {
        _cleanup_(json_putp) json_object *root = NULL;
        _cleanup_(prom_result_freep) PromResult *res = xcalloc(1, sizeof(*res));
        json_object *data, *result;
        const char *type;
        int r;

        r = parse_envelope(body, size, &root, ret_error);
        if (r < 0)
                return r;
        data = get(root, "data", json_type_object);
        type = data ? get_str(data, "resultType") : NULL;
        if (!type) {
                set_msg(ret_error, "no data.resultType");
                return -EBADMSG;
        }
        if (streq(type, "scalar")) {
                res->type = PROM_SCALAR;
                res->samples = xcalloc(1, sizeof(PromSample));
                res->n_samples = 1;
                if (parse_pair(get(data, "result", json_type_array), &res->samples[0].time,
                               &res->samples[0].value) < 0) {
                        set_msg(ret_error, "malformed scalar");
                        return -EBADMSG;
                }
                *ret = TAKE_PTR(res);
                return 0;
        }
        if (streq(type, "vector"))
                res->type = PROM_VECTOR;
        else if (streq(type, "matrix"))
                res->type = PROM_MATRIX;
        else {
                set_msg(ret_error, "unexpected resultType \"%.20s\"", type);
                return -EBADMSG;
        }
        result = get(data, "result", json_type_array);
        if (!result) {
                set_msg(ret_error, "no data.result array");
                return -EBADMSG;
        }
        size_t n = json_object_array_length(result);
        res->samples = xcalloc(n ? n : 1, sizeof(PromSample));
        for (size_t i = 0; i < n; i++) {
                /* counted before parsing, so that a half-parsed sample is freed too */
                res->n_samples++;
                if (parse_series(json_object_array_get_idx(result, i), res->type,
                                 &res->samples[i]) < 0) {
                        set_msg(ret_error, "malformed series %zu", i);
                        return -EBADMSG;
                }
        }
        *ret = TAKE_PTR(res);
        return 0;
}

int prom_parse_targets(const char *body, size_t size, PromResult **ret, char **ret_error) {
        _cleanup_(json_putp) json_object *root = NULL;
        _cleanup_(prom_result_freep) PromResult *res = xcalloc(1, sizeof(*res));
        json_object *data, *active;
        int r;

        r = parse_envelope(body, size, &root, ret_error);
        if (r < 0)
                return r;
        data = get(root, "data", json_type_object);
        active = data ? get(data, "activeTargets", json_type_array) : NULL;
        if (!active) {
                set_msg(ret_error, "no data.activeTargets array");
                return -EBADMSG;
        }
        res->type = PROM_TARGETS;
        size_t n = json_object_array_length(active);
        res->targets = xcalloc(n ? n : 1, sizeof(PromTarget));
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(active, i);
                json_object *labels = get(t, "labels", json_type_object);
                const char *instance = labels ? get_str(labels, "instance") : NULL;
                const char *job = labels ? get_str(labels, "job") : NULL;
                const char *url = get_str(t, "scrapeUrl"), *health = get_str(t, "health");

                if (!instance || !job || !url) {
                        set_msg(ret_error, "malformed target %zu", i);
                        return -EBADMSG;
                }
                res->targets[res->n_targets++] = (PromTarget) {
                        .instance = xstrdup(instance),
                        .job = xstrdup(job),
                        .scrape_url = xstrdup(url),
                        .health = xstrdup(health ? health : "unknown"),
                };
        }
        *ret = TAKE_PTR(res);
        return 0;
}

void prom_quote(Buf *out, const char *s) {
        buf_putc(out, '"');
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                switch (c) {
                case '"':
                        buf_puts(out, "\\\"");
                        break;
                case '\\':
                        buf_puts(out, "\\\\");
                        break;
                case '\n':
                        buf_puts(out, "\\n");
                        break;
                case '\r':
                        buf_puts(out, "\\r");
                        break;
                case '\t':
                        buf_puts(out, "\\t");
                        break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                buf_printf(out, "\\x%02x", c);
                        else
                                buf_putc(out, (char) c);
                }
        }
        buf_putc(out, '"');
}

/* ---- the client ---- */

struct PromClient {
        CurlEvent *curl;
        char *url, *token, *ca_file;
        uint64_t timeout_usec;
        size_t max_bytes;
        PromCall *calls;
};

struct PromCall {
        PromClient *client;
        CurlFetch *fetch;
        bool targets;
        PromDone done;
        void *userdata;
        PromCall *prev, *next;
};

static void call_unlink_free(PromCall *call) {
        PromClient *c = call->client;

        if (call->prev)
                call->prev->next = call->next;
        else
                c->calls = call->next;
        if (call->next)
                call->next->prev = call->prev;
        free(call);
}

int prom_client_new(CurlEvent *curl, const PromClientConfig *config, PromClient **ret) {
        PromClient *c;
        size_t n;

        if (!config->url || config->timeout_usec == 0 || config->max_bytes == 0)
                return -EINVAL;
        c = xcalloc(1, sizeof(*c));
        c->curl = curl;
        c->url = xstrdup(config->url);
        n = strlen(c->url);
        while (n > 0 && c->url[n - 1] == '/')
                c->url[--n] = 0;
        c->token = config->bearer_token ? xstrdup(config->bearer_token) : NULL;
        c->ca_file = config->ca_file ? xstrdup(config->ca_file) : NULL;
        c->timeout_usec = config->timeout_usec;
        c->max_bytes = config->max_bytes;
        *ret = c;
        return 0;
}

PromClient *prom_client_free(PromClient *c) {
        if (!c)
                return NULL;
        while (c->calls) {
                curl_fetch_cancel(c->calls->fetch);
                call_unlink_free(c->calls);
        }
        free(c->url);
        if (c->token) {
                explicit_bzero(c->token, strlen(c->token));
                free(c->token);
        }
        free(c->ca_file);
        free(c);
        return NULL;
}

static void on_fetched(const CurlResult *r, void *userdata) {
        PromCall *call = userdata;
        PromDone done = call->done;
        void *ud = call->userdata;
        bool targets = call->targets;
        _cleanup_free_ char *msg = NULL;
        PromResult *res = NULL;
        int e;

        call_unlink_free(call);
        if (r->error < 0) {
                done(r->error, r->error_message, NULL, ud);
                return;
        }
        e = targets ? prom_parse_targets(r->body, r->size, &res, &msg) :
                      prom_parse_query(r->body, r->size, &res, &msg);
        if (e >= 0 && r->status != 200) {
                /* a success body with an error status: not the API */
                res = prom_result_free(res);
                e = -EREMOTEIO;
        }
        if (e < 0) {
                if (!msg || e == -EBADMSG) {
                        free(msg);
                        if (asprintf(&msg, "HTTP %ld from Prometheus%s%s", r->status,
                                     e == -EBADMSG ? ", " : "",
                                     e == -EBADMSG ? "not its API's answer" : "") < 0)
                                abort();
                }
                done(e, msg, NULL, ud);
                return;
        }
        done(0, NULL, res, ud);
}

static int call_start(PromClient *c, const char *path, const char *form, bool targets,
                      PromDone done, void *userdata, PromCall **ret) {
        PromCall *call = xcalloc(1, sizeof(*call));
        Buf url = {};
        int r;

        buf_puts(&url, c->url);
        buf_puts(&url, path);
        CurlFetchOptions o = {
                .url = url.data,
                .post_form = form,
                .bearer_token = c->token,
                .ca_file = c->ca_file,
                .accept = "application/json",
                .timeout_usec = c->timeout_usec,
                .max_bytes = c->max_bytes,
        };
        call->client = c;
        call->targets = targets;
        call->done = done;
        call->userdata = userdata;
        r = curl_event_fetch(c->curl, &o, on_fetched, call, &call->fetch);
        buf_done(&url);
        if (r < 0) {
                free(call);
                return r;
        }
        call->next = c->calls;
        if (c->calls)
                c->calls->prev = call;
        c->calls = call;
        if (ret)
                *ret = call;
        return 0;
}

int prom_client_query(PromClient *c, const char *expr, uint64_t time, PromDone done,
                      void *userdata, PromCall **ret) {
        Buf form = {};
        int r;

        buf_puts(&form, "query=");
        render_url_encode(&form, expr);
        if (time)
                buf_printf(&form, "&time=%llu", (unsigned long long) time);
        r = call_start(c, "/api/v1/query", form.data, false, done, userdata, ret);
        buf_done(&form);
        return r;
}

int prom_client_query_range(PromClient *c, const char *expr, uint64_t start, uint64_t end,
                            uint64_t step, PromDone done, void *userdata, PromCall **ret) {
        Buf form = {};
        int r;

        if (step == 0 || end < start)
                return -EINVAL;
        buf_puts(&form, "query=");
        render_url_encode(&form, expr);
        buf_printf(&form, "&start=%llu&end=%llu&step=%llu", (unsigned long long) start,
                   (unsigned long long) end, (unsigned long long) step);
        r = call_start(c, "/api/v1/query_range", form.data, false, done, userdata, ret);
        buf_done(&form);
        return r;
}

int prom_client_targets(PromClient *c, PromDone done, void *userdata, PromCall **ret) {
        return call_start(c, "/api/v1/targets?state=active", NULL, true, done, userdata, ret);
}

void prom_call_cancel(PromCall *call) {
        if (!call)
                return;
        curl_fetch_cancel(call->fetch);
        call_unlink_free(call);
}
