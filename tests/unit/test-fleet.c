/* SPDX-License-Identifier: MIT */
/* The fleet's pure half: Prometheus API parsing, PromQL quoting, the fleet model (joins, drift,
 * sorting, staleness, bad samples), the diff, parameter checks, fleet.conf, and the renderers
 * (strict JSON, escaping of hostile names, host URL templates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-config.h"
#include "fleet-model.h"
#include "fleet.h"
#include "prom-client.h"
#include "render-fleet.h"
#include "util.h"

#define HOSTILE_UNIT "x<script>alert(1)</script>\"'&.service"

static PromResult *parse(const char *json) {
        PromResult *r = NULL;
        char *err = NULL;
        int e = prom_parse_query(json, strlen(json), &r, &err);

        if (e < 0)
                fail_msg("parse failed: %s", err);
        free(err);
        return r;
}

/* {"status":"success","data":{"resultType":"vector","result":[ items ]}} */
static PromResult *vector(const char *items) {
        Buf b = {};
        PromResult *r;

        buf_puts(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
        buf_puts(&b, items);
        buf_puts(&b, "]}}");
        r = parse(b.data);
        buf_done(&b);
        return r;
}

static json_object *parse_strict(const Buf *b) {
        json_tokener *t = json_tokener_new();
        json_object *j;

        json_tokener_set_flags(t, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        j = json_tokener_parse_ex(t, b->data, (int) b->len);
        assert_int_equal(json_tokener_get_error(t), json_tokener_success);
        json_tokener_free(t);
        assert_non_null(j);
        return j;
}

static json_object *get(json_object *o, const char *k) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, k, &v))
                fail_msg("missing key %s", k);
        return v;
}

/* ---- prom-client parsing ---- */

static void test_parse_vector(void **state) {
        PromResult *r = vector("{\"metric\":{\"instance\":\"a:1\",\"unit\":\"x.service\"},"
                               "\"value\":[1700000000.5,\"9.6\"]},"
                               "{\"metric\":{},\"value\":[1700000000,\"NaN\"]}");
        (void) state;
        assert_int_equal(r->type, PROM_VECTOR);
        assert_int_equal(r->n_samples, 2);
        assert_string_equal(prom_sample_label(&r->samples[0], "instance"), "a:1");
        assert_null(prom_sample_label(&r->samples[0], "job"));
        assert_true(r->samples[0].value == 9.6);
        assert_true(r->samples[0].time == 1700000000.5);
        assert_true(r->samples[1].value != r->samples[1].value); /* NaN */
        prom_result_free(r);
}

static void test_parse_matrix_scalar(void **state) {
        PromResult *r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
                              "\"result\":[{\"metric\":{\"unit\":\"a\"},\"values\":[[1,\"1\"],"
                              "[2,\"3\"]]}]}}");
        (void) state;
        assert_int_equal(r->type, PROM_MATRIX);
        assert_int_equal(r->samples[0].n_points, 2);
        assert_true(r->samples[0].points[1].value == 3.0);
        prom_result_free(r);
        r = parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":"
                  "[5,\"+Inf\"]}}");
        assert_int_equal(r->type, PROM_SCALAR);
        assert_true(r->samples[0].value > 1e308);
        prom_result_free(r);
}

static void test_parse_errors(void **state) {
        static const struct {
                const char *json;
                int error;
                const char *message;
        } cases[] = {
                { "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}",
                  -EREMOTEIO, "bad_data: parse error" },
                { "<html>proxy error</html>", -EBADMSG, "not JSON" },
                { "{\"status\":\"success\"}", -EBADMSG, "resultType" },
                { "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[]}}",
                  -EBADMSG, "unexpected resultType" },
                { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                  "[{\"metric\":{\"a\":1},\"value\":[1,\"1\"]}]}}",
                  -EBADMSG, "malformed series 0" },
                { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                  "[{\"metric\":{},\"value\":[1,\"1x\"]}]}}",
                  -EBADMSG, "malformed series 0" },
                { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                  "[{\"metric\":{},\"value\":[1]}]}}",
                  -EBADMSG, "malformed series 0" },
                { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                  -EBADMSG, "not JSON" },
                { "", -EBADMSG, "not JSON" },
        };
        (void) state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                PromResult *r = NULL;
                char *err = NULL;
                int e = prom_parse_query(cases[i].json, strlen(cases[i].json), &r, &err);
                assert_int_equal(e, cases[i].error);
                assert_null(r);
                assert_non_null(err);
                if (!strstr(err, cases[i].message))
                        fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].message);
                free(err);
        }
}

static void test_parse_labels_bound(void **state) {
        Buf b = {};
        PromResult *r = NULL;
        (void) state;

        buf_puts(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                     "[{\"metric\":{");
        for (int i = 0; i <= PROM_LABELS_MAX; i++)
                buf_printf(&b, "%s\"l%d\":\"v\"", i ? "," : "", i);
        buf_puts(&b, "},\"value\":[1,\"1\"]}]}}");
        assert_int_equal(prom_parse_query(b.data, b.len, &r, NULL), -EBADMSG);
        buf_done(&b);
}

static void test_parse_targets(void **state) {
        const char *json =
                "{\"status\":\"success\",\"data\":{\"activeTargets\":[{\"labels\":{\"instance\":"
                "\"h1:9573\",\"job\":\"exposured\"},\"scrapeUrl\":\"http://h1:9573/metrics\","
                "\"health\":\"up\"},{\"labels\":{\"instance\":\"n:9100\",\"job\":\"node\"},"
                "\"scrapeUrl\":\"http://n:9100/metrics\",\"health\":\"down\"}],"
                "\"droppedTargets\":[]}}";
        PromResult *r = NULL;
        (void) state;

        assert_int_equal(prom_parse_targets(json, strlen(json), &r, NULL), 0);
        assert_int_equal(r->n_targets, 2);
        assert_string_equal(r->targets[0].scrape_url, "http://h1:9573/metrics");
        assert_string_equal(r->targets[1].health, "down");
        prom_result_free(r);
        json = "{\"status\":\"success\",\"data\":{\"activeTargets\":[{\"labels\":{}}]}}";
        assert_int_equal(prom_parse_targets(json, strlen(json), &r, NULL), -EBADMSG);
}

static void test_quote(void **state) {
        Buf b = {};
        (void) state;

        prom_quote(&b, "a\"b\\c\nd\x01");
        assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\x01\"");
        buf_done(&b);
}

/* ---- the model ---- */

static void test_hosts(void **state) {
        PromResult *res[_FLEET_HQ_MAX] = {
                [FLEET_HQ_UP] = vector(
                        "{\"metric\":{\"instance\":\"a:1\"},\"value\":[1,\"1\"]},"
                        "{\"metric\":{\"instance\":\"b:1\"},\"value\":[1,\"1\"]},"
                        "{\"metric\":{\"instance\":\"c:1\"},\"value\":[1,\"0\"]},"
                        "{\"metric\":{\"instance\":\"d:1\"},\"value\":[1,\"1\"]}"),
                [FLEET_HQ_INFO] = vector(
                        "{\"metric\":{\"instance\":\"a:1\",\"hostname\":\"alpha\","
                        "\"systemd_version\":\"252\"},\"value\":[1,\"1\"]}"),
                [FLEET_HQ_SCAN] = vector(
                        "{\"metric\":{\"instance\":\"a:1\"},\"value\":[1,\"9000\"]},"
                        "{\"metric\":{\"instance\":\"b:1\"},\"value\":[1,\"9990\"]},"
                        "{\"metric\":{\"instance\":\"d:1\"},\"value\":[1,\"9990\"]}"),
                [FLEET_HQ_BUS] = vector(
                        "{\"metric\":{\"instance\":\"a:1\"},\"value\":[1,\"1\"]},"
                        "{\"metric\":{\"instance\":\"b:1\"},\"value\":[1,\"1\"]},"
                        "{\"metric\":{\"instance\":\"d:1\"},\"value\":[1,\"0\"]}"),
                [FLEET_HQ_WORST] = vector(
                        "{\"metric\":{\"instance\":\"a:1\"},\"value\":[1,\"5.0\"]},"
                        "{\"metric\":{\"instance\":\"b:1\"},\"value\":[1,\"9.6\"]},"
                        "{\"metric\":{\"instance\":\"d:1\"},\"value\":[1,\"11\"]}"),
                [FLEET_HQ_PRED] = vector(
                        "{\"metric\":{\"instance\":\"b:1\",\"predicate\":\"UNSAFE\"},"
                        "\"value\":[1,\"2\"]},"
                        "{\"metric\":{\"instance\":\"b:1\",\"predicate\":\"BOGUS\"},"
                        "\"value\":[1,\"7\"]},"
                        "{\"metric\":{\"instance\":\"a:1\",\"predicate\":\"OK\"},"
                        "\"value\":[1,\"1\"]},"
                        "{\"metric\":{\"instance\":\"a:1\",\"predicate\":\"MEDIUM\"},"
                        "\"value\":[1,\"2\"]}"),
        };
        FleetHosts *h = fleet_hosts_build(res, 10000, 600);
        const FleetHost *a, *b, *c, *d;
        (void) state;

        assert_int_equal(h->n, 4);
        /* worst first; hosts without a worst (-1) last, by instance */
        assert_string_equal(h->hosts[0].instance, "b:1");
        assert_string_equal(h->hosts[1].instance, "a:1");
        a = fleet_hosts_find(h, "a:1");
        b = fleet_hosts_find(h, "b:1");
        c = fleet_hosts_find(h, "c:1");
        d = fleet_hosts_find(h, "d:1");
        assert_null(fleet_hosts_find(h, "zz"));
        assert_string_equal(a->hostname, "alpha");
        assert_null(b->hostname);
        assert_int_equal(a->worst, 50);
        assert_int_equal(b->worst, 96);
        assert_int_equal(d->worst, -1); /* 11 is no exposure */
        assert_int_equal(b->by_predicate[PREDICATE_UNSAFE], 2);
        assert_true(a->stale);  /* last scan 1000 s ago, stale_after 600 */
        assert_false(b->stale);
        assert_true(c->stale && !c->up);
        assert_true(d->stale);  /* bus lost */
        assert_int_equal(a->services, 3); /* the sum of its predicates */
        assert_int_equal(b->services, 2); /* BOGUS is not a predicate */
        fleet_hosts_free(h);
        for (int i = 0; i < _FLEET_HQ_MAX; i++)
                prom_result_free(res[i]);

        /* nothing at all: an empty fleet, not a crash */
        PromResult *none[_FLEET_HQ_MAX] = {};
        h = fleet_hosts_build(none, 1, 1);
        assert_int_equal(h->n, 0);
        fleet_hosts_free(h);
}

static void test_units(void **state) {
        PromResult *res[_FLEET_UQ_MAX] = {
                [FLEET_UQ_COUNT] = vector(
                        "{\"metric\":{\"unit\":\"a.service\"},\"value\":[1,\"3\"]},"
                        "{\"metric\":{\"unit\":\"b.service\"},\"value\":[1,\"2\"]},"
                        "{\"metric\":{\"unit\":\"c.service\"},\"value\":[1,\"1\"]},"
                        "{\"metric\":{\"unit\":\"half.service\"},\"value\":[1,\"1\"]}"),
                [FLEET_UQ_MIN] = vector(
                        "{\"metric\":{\"unit\":\"a.service\"},\"value\":[1,\"1.2\"]},"
                        "{\"metric\":{\"unit\":\"b.service\"},\"value\":[1,\"3.0\"]},"
                        "{\"metric\":{\"unit\":\"c.service\"},\"value\":[1,\"9.9\"]}"),
                [FLEET_UQ_MAX] = vector(
                        "{\"metric\":{\"unit\":\"a.service\"},\"value\":[1,\"9.6\"]},"
                        "{\"metric\":{\"unit\":\"b.service\"},\"value\":[1,\"3.1\"]},"
                        "{\"metric\":{\"unit\":\"c.service\"},\"value\":[1,\"9.9\"]},"
                        "{\"metric\":{\"unit\":\"half.service\"},\"value\":[1,\"1\"]}"),
                [FLEET_UQ_MEDIAN] = vector(
                        "{\"metric\":{\"unit\":\"a.service\"},\"value\":[1,\"4.3\"]},"
                        "{\"metric\":{\"unit\":\"b.service\"},\"value\":[1,\"3.05\"]},"
                        "{\"metric\":{\"unit\":\"c.service\"},\"value\":[1,\"9.9\"]},"
                        "{\"metric\":{\"unit\":\"half.service\"},\"value\":[1,\"1\"]}"),
        };
        FleetUnits *u = fleet_units_build(res);
        (void) state;

        /* half.service lacks its min: left out, not shown with a made-up 0 */
        assert_int_equal(u->n, 3);
        assert_string_equal(u->units[0].unit, "a.service"); /* drift, widest spread */
        assert_true(u->units[0].drift);
        assert_string_equal(u->units[1].unit, "b.service");
        assert_true(u->units[1].drift);
        assert_int_equal(u->units[1].median100, 305);
        assert_string_equal(u->units[2].unit, "c.service");
        assert_false(u->units[2].drift);
        assert_int_equal(u->units[0].min, 12);
        assert_int_equal(u->units[0].max, 96);
        assert_int_equal(u->units[0].hosts, 3);

        FleetStatus st = { .now = 100, .data_time = 90 };
        Buf b = {};
        json_object *j, *arr;
        assert_int_equal(render_fleet_json_units(u, &st, &b), 0);
        j = parse_strict(&b);
        arr = get(j, "units");
        assert_int_equal(json_object_array_length(arr), 3);
        assert_non_null(strstr(b.data, "\"median\":3.05"));
        assert_non_null(strstr(b.data, "\"min\":1.2"));
        assert_int_equal(json_object_get_int(get(get(j, "prometheus"), "age_seconds")), 10);
        json_object_put(j);
        buf_done(&b);
        fleet_units_free(u);
        for (int i = 0; i < _FLEET_UQ_MAX; i++)
                prom_result_free(res[i]);
}

static void test_unit_hosts_and_escaping(void **state) {
        Buf items = {}, b = {};
        (void) state;

        /* a hostile unit name, exactly as Prometheus would hand it back (JSON-escaped) */
        buf_puts(&items, "{\"metric\":{\"instance\":\"h<1>:9573\",\"unit\":\"x<script>alert(1)"
                         "</script>\\\"'&.service\"},\"value\":[1,\"2.0\"]},"
                         "{\"metric\":{\"instance\":\"h2:9573\",\"unit\":\"x<script>alert(1)"
                         "</script>\\\"'&.service\"},\"value\":[1,\"9.1\"]},"
                         "{\"metric\":{\"instance\":\"h3:9573\",\"unit\":\"other.service\"},"
                         "\"value\":[1,\"9.9\"]}");
        PromResult *res[_FLEET_UHQ_MAX] = {
                [FLEET_UHQ_EXPOSURE] = vector(items.data),
                [FLEET_UHQ_PREDICATE] = vector(
                        "{\"metric\":{\"instance\":\"h2:9573\",\"unit\":\"x<script>alert(1)"
                        "</script>\\\"'&.service\",\"predicate\":\"EXPOSED\"},"
                        "\"value\":[1,\"1\"]}"),
                [FLEET_UHQ_INFO] = vector(
                        "{\"metric\":{\"instance\":\"h2:9573\",\"hostname\":\"<b>two</b>\"},"
                        "\"value\":[1,\"1\"]}"),
        };
        FleetUnitHosts *u = fleet_unit_hosts_build(HOSTILE_UNIT, res);
        FleetStatus st = { .now = 100, .data_time = 100, .host_url = "https://{hostname}:9573" };

        assert_int_equal(u->n, 2); /* other.service is not this unit */
        assert_string_equal(u->hosts[0].instance, "h2:9573");
        assert_int_equal(u->hosts[0].predicate, PREDICATE_EXPOSED); /* the host's own */
        assert_int_equal(u->hosts[1].predicate, PREDICATE_OK);      /* from the exposure */
        assert_string_equal(u->hosts[0].hostname, "<b>two</b>");
        assert_true(u->drift);

        render_fleet_html_unit(u, NULL, NULL, NULL, NULL, &st, &b);
        assert_null(strstr(b.data, "<script>"));
        assert_null(strstr(b.data, "<b>two"));
        assert_non_null(strstr(b.data, "x&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
        /* the hostname in a URL is percent-encoded, the unit too */
        assert_non_null(strstr(b.data, "https://%3Cb%3Etwo%3C%2Fb%3E:9573/units/x%3Cscript"));
        assert_non_null(strstr(b.data, "h&lt;1&gt;:9573"));
        buf_clear(&b);
        assert_int_equal(render_fleet_json_unit(u, &st, &b), 0);
        json_object *j = parse_strict(&b);
        assert_string_equal(json_object_get_string(get(j, "unit")), HOSTILE_UNIT);
        json_object_put(j);
        buf_done(&b);
        buf_done(&items);
        fleet_unit_hosts_free(u);
        for (int i = 0; i < _FLEET_UHQ_MAX; i++)
                prom_result_free(res[i]);
}

static void test_regressions(void **state) {
        PromResult *res[_FLEET_RQ_MAX] = {
                [FLEET_RQ_RISES] = parse(
                        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                        "{\"metric\":{\"instance\":\"a:1\",\"unit\":\"x.service\"},"
                        "\"values\":[[1000,\"1\"],[1300,\"2\"],[500,\"1\"]]},"
                        "{\"metric\":{\"instance\":\"b:1\",\"unit\":\"y.service\"},"
                        "\"values\":[[1200,\"1\"],[1250,\"0.5\"]]},"
                        "{\"metric\":{\"unit\":\"no-instance.service\"},"
                        "\"values\":[[1200,\"1\"]]}]}}"),
                [FLEET_RQ_INFO] = vector("{\"metric\":{\"instance\":\"b:1\",\"hostname\":\"bee\"},"
                                         "\"value\":[1,\"1\"]}"),
                /* the rule's first sample in the window: 60 s after its start */
                [FLEET_RQ_RECORDED] = vector("{\"metric\":{\"job\":\"j\"},"
                                             "\"value\":[1400,\"960\"]}"),
        };
        FleetRegressions *r = fleet_regressions_build(res, 900, 1400);
        (void) state;

        /* newest first; 500 is before since, 0.5 is not a rise, no instance: skipped */
        assert_true(r->recorded);
        assert_int_equal(r->step, FLEET_REGRESSION_RULE_SEC);
        assert_int_equal(r->n, 3);
        assert_int_equal(r->rows[0].time, 1300);
        assert_int_equal(r->rows[0].count, 2);
        assert_int_equal(r->rows[1].time, 1200);
        assert_string_equal(r->rows[1].hostname, "bee");
        assert_int_equal(r->rows[2].time, 1000);
        assert_false(r->truncated);
        fleet_regressions_free(r);
        for (int i = 0; i < _FLEET_RQ_MAX; i++)
                res[i] = prom_result_free(res[i]);

        /* the rule began later than two intervals into the window, or never ran in it: raw */
        PromResult *late = vector("{\"metric\":{\"job\":\"j\"},\"value\":[1400,\"1501\"]}");
        PromResult *none = vector("");
        assert_true(fleet_regressions_recorded(late, 901));
        assert_false(fleet_regressions_recorded(late, 900));
        assert_false(fleet_regressions_recorded(none, 900));
        assert_false(fleet_regressions_recorded(NULL, 900));
        res[FLEET_RQ_RECORDED] = late;
        r = fleet_regressions_build(res, 0, 86400);
        assert_false(r->recorded);
        assert_int_equal(r->step, 90);
        assert_int_equal(r->n, 0);
        fleet_regressions_free(r);
        prom_result_free(late);
        prom_result_free(none);

        assert_int_equal(fleet_regressions_step(0, 100), 15);
        assert_int_equal(fleet_regressions_step(0, 86400), 90);
        assert_true(fleet_regressions_step(0, 31 * 86400) * 1000 >= 31 * 86400);
        assert_int_equal(fleet_regressions_step(100, 50), 15);
}

static const char unit_a[] =
        "{\"unit\":\"n.service\",\"exposure\":9.2,\"checks\":["
        "{\"name\":\"PrivateNetwork=\",\"verdict\":\"fail\",\"exposure\":0.5,\"description\":"
        "\"Service has access to the host's network\"},"
        "{\"name\":\"User=/DynamicUser=\",\"verdict\":\"pass\",\"exposure\":0.0},"
        "{\"name\":\"ProtectClock=\",\"verdict\":\"fail\",\"exposure\":0.2},"
        "{\"name\":\"OnlyOld=\",\"verdict\":\"fail\",\"exposure\":0.1}]}";
static const char unit_b[] =
        "{\"unit\":\"n.service\",\"exposure\":8.7,\"checks\":["
        "{\"name\":\"PrivateNetwork=\",\"verdict\":\"pass\",\"exposure\":0.0,\"description\":"
        "\"Service has no access to the host's network\"},"
        "{\"name\":\"User=/DynamicUser=\",\"verdict\":\"pass\",\"exposure\":0.0},"
        "{\"name\":\"ProtectClock=\",\"verdict\":\"fail\",\"exposure\":0.2},"
        "{\"name\":\"OnlyNew=\",\"verdict\":\"na\",\"exposure\":null}]}";

static void test_diff(void **state) {
        FleetDiff *d = NULL;
        char *err = NULL;
        Buf b = {};
        (void) state;

        assert_int_equal(fleet_diff_build("n.service", unit_a, strlen(unit_a), unit_b,
                                          strlen(unit_b), &d, &err), 0);
        assert_int_equal(d->exposure_a, 92);
        assert_int_equal(d->exposure_b, 87);
        assert_int_equal(d->n_compared, 5);
        assert_int_equal(d->n, 3);
        assert_string_equal(d->checks[0].name, "PrivateNetwork=");
        assert_string_equal(d->checks[0].a.verdict, "fail");
        assert_int_equal(d->checks[0].a.exposure, 5);
        assert_string_equal(d->checks[0].b.verdict, "pass");
        assert_string_equal(d->checks[1].name, "OnlyOld=");
        assert_false(d->checks[1].b.present);
        assert_string_equal(d->checks[2].name, "OnlyNew=");
        assert_false(d->checks[2].a.present);
        assert_int_equal(d->checks[2].b.exposure, -1);

        FleetStatus st = { .now = 5, .data_time = 5 };
        assert_int_equal(render_fleet_json_diff(d, "a:1", "b:1", &st, &b), 0);
        json_object *j = parse_strict(&b);
        assert_int_equal(json_object_array_length(get(j, "checks")), 3);
        json_object_put(j);
        buf_done(&b);
        fleet_diff_free(d);

        /* identical: nothing differs */
        assert_int_equal(fleet_diff_build("n.service", unit_a, strlen(unit_a), unit_a,
                                          strlen(unit_a), &d, NULL), 0);
        assert_int_equal(d->n, 0);
        assert_int_equal(d->n_compared, 4);
        fleet_diff_free(d);

        d = NULL;
        assert_int_equal(fleet_diff_build("n.service", "{}", 2, unit_b, strlen(unit_b), &d,
                                          &err), -EBADMSG);
        assert_null(d);
        assert_string_equal(err, "host a: not a unit document");
        free(err);
        err = NULL;
        const char *bad = "{\"exposure\":1.0,\"checks\":[{\"name\":3}]}";
        assert_int_equal(fleet_diff_build("n.service", unit_a, strlen(unit_a), bad, strlen(bad),
                                          &d, &err), -EBADMSG);
        free(err);
}

static void test_exprs(void **state) {
        char *h[_FLEET_HQ_MAX], *hr[_FLEET_HQ_MAX], *r[_FLEET_RQ_MAX], *u[_FLEET_UHQ_MAX];
        char *un[_FLEET_UQ_MAX], *ur[_FLEET_UQ_MAX], *probe;
        (void) state;

        fleet_hosts_exprs("a\"b", h, hr, &probe);
        assert_string_equal(h[FLEET_HQ_UP], "up{job=\"a\\\"b\"}");
        assert_string_equal(h[FLEET_HQ_PRED],
                            "sum by (instance, predicate) (exposured_units{job=\"a\\\"b\"} > 0)");
        assert_string_equal(h[FLEET_HQ_WORST],
                            "max by (instance) (exposured_unit_exposure{job=\"a\\\"b\"})");
        assert_string_equal(hr[FLEET_HQ_WORST],
                            "last_over_time(exposured_host:unit_exposure:max{job=\"a\\\"b\"}"
                            "[900s]) and on (instance) exposured_up{job=\"a\\\"b\"}");
        assert_string_equal(probe, "max(timestamp(exposured_fleet:drifting_units:count) or "
                                   "max_over_time(timestamp(exposured_fleet:drifting_units:count)"
                                   "[900s:60s]))");
        free(probe);
        assert_null(hr[FLEET_HQ_UP]);
        for (int i = 0; i < _FLEET_HQ_MAX; i++) {
                free(h[i]);
                free(hr[i]);
        }
        fleet_units_exprs("j", un, ur, &probe);
        assert_string_equal(un[FLEET_UQ_MEDIAN],
                            "quantile by (unit) (0.5, exposured_unit_exposure{job=\"j\"})");
        assert_string_equal(ur[FLEET_UQ_MEDIAN],
                            "last_over_time(exposured_unit:exposure:median[900s])");
        assert_string_equal(probe, "max(timestamp(exposured_fleet:drifting_units:count) or "
                                   "max_over_time(timestamp(exposured_fleet:drifting_units:count)"
                                   "[900s:60s]))");
        free(probe);
        for (int i = 0; i < _FLEET_UQ_MAX; i++) {
                free(un[i]);
                free(ur[i]);
        }
        fleet_unit_hosts_exprs("exposured", "sys-\\x2d.service", u);
        assert_string_equal(u[FLEET_UHQ_EXPOSURE],
                            "exposured_unit_exposure{job=\"exposured\",unit=\"sys-\\\\x2d.service\"}");
        for (int i = 0; i < _FLEET_UHQ_MAX; i++)
                free(u[i]);
        fleet_regressions_exprs("j", 3600, r);
        assert_string_equal(r[FLEET_RQ_RISES],
                            "exposured_unit:regressions:rise5m{job=\"j\"}[3600s]");
        assert_string_equal(r[FLEET_RQ_RECORDED],
                            "min_over_time(timestamp(exposured_job:regressions:total{job=\"j\"})"
                            "[3600s:60s])");
        for (int i = 0; i < _FLEET_RQ_MAX; i++)
                free(r[i]);
        char *e = fleet_regressions_raw_expr("j", 7200, 15);
        assert_string_equal(e, "(exposured_regressions_total{job=\"j\"} - "
                               "exposured_regressions_total{job=\"j\"} offset 15s > 0)"
                               "[7200s:15s]");
        free(e);
}

/* ---- parameters ---- */

static void check_message(const char *got, const char *want) {
        if (!want && got)
                fail_msg("unexpected: %s", got);
        if (want && (!got || !strstr(got, want)))
                fail_msg("expected '%s', got '%s'", want, got ? got : "(none)");
}

static void test_query_check(void **state) {
        const uint64_t now = 2000000000;
        uint64_t since = 0;
        (void) state;

#define CHECK(msg, ...)                                                                     \
        do {                                                                                \
                const char *e_ = fleet_query_check(&(FleetQuery) { __VA_ARGS__ }, now, &since); \
                check_message(e_, msg);                                                     \
        } while (0)
        CHECK(NULL, .page = FLEET_PAGE_HOSTS);
        CHECK("no such page", .page = 99);
        CHECK(NULL, .page = FLEET_PAGE_UNIT, .unit = "nginx.service");
        CHECK("unit: not a valid unit name", .page = FLEET_PAGE_UNIT, .unit = "nginx");
        CHECK("unit:", .page = FLEET_PAGE_UNIT, .unit = "a b.service");
        CHECK("unit:", .page = FLEET_PAGE_UNIT, .unit = "@x.service");
        CHECK("a, b: give both", .page = FLEET_PAGE_UNIT, .unit = "n.service", .a = "x");
        CHECK("the same instance", .page = FLEET_PAGE_UNIT, .unit = "n.service", .a = "x", .b = "x");
        CHECK("a: missing", .page = FLEET_PAGE_DIFF, .unit = "n.service", .b = "x");
        CHECK("b: missing", .page = FLEET_PAGE_DIFF, .unit = "n.service", .a = "x");
        CHECK("a: not a valid instance", .page = FLEET_PAGE_DIFF, .unit = "n.service", .a = "x\n", .b = "y");
        CHECK("b: not a valid instance", .page = FLEET_PAGE_DIFF, .unit = "n.service", .a = "x", .b = "");
        CHECK(NULL, .page = FLEET_PAGE_DIFF, .unit = "n.service", .a = "x:1", .b = "y:1");
        CHECK(NULL, .page = FLEET_PAGE_REGRESSIONS);
        assert_int_equal(since, now - 86400);
        CHECK(NULL, .page = FLEET_PAGE_REGRESSIONS, .since = "2h");
        assert_int_equal(since, now - 7200);
        CHECK(NULL, .page = FLEET_PAGE_REGRESSIONS, .since = "1999990000");
        assert_int_equal(since, 1999990000);
        CHECK(NULL, .page = FLEET_PAGE_REGRESSIONS, .since = "2033-05-18T03:00:00Z");
        CHECK("since: expected", .page = FLEET_PAGE_REGRESSIONS, .since = "yesterday");
        CHECK("since: expected", .page = FLEET_PAGE_REGRESSIONS, .since = "2h30");
        CHECK("in the future", .page = FLEET_PAGE_REGRESSIONS, .since = "2000000100");
        CHECK("more than 31 days", .page = FLEET_PAGE_REGRESSIONS, .since = "32d");
        CHECK("since:", .page = FLEET_PAGE_REGRESSIONS, .since = "99999999999d");
#undef CHECK
}

/* ---- fleet.conf ---- */

static void test_config(void **state) {
        FleetConfig *c = fleet_config_new();
        ConfigError e = {};
        const char *text = "# fleet\nprometheus = https://prom.example:9090/\n"
                           "listen = 0.0.0.0:9574, [::1]:9575\njob = exposured-hosts\n"
                           "hosts_token = hosts-token\nprometheus_ca = /etc/ssl/prom.pem\n"
                           "host_url = https://{hostname}.example:9573\n"
                           "query_timeout = 1500ms\nmax_response = 8M\nstale_after = 3h\n"
                           "cache = 0\ntls = yes\ntls_key = /etc/exposured/fleet.key\n"
                           "allowed_hosts = Fleet.Example.org, 10.0.0.5\n";
        char *f;
        (void) state;

        assert_int_equal(fleet_config_validate(c, &e), -EINVAL);
        assert_non_null(strstr(e.message, "prometheus"));
        config_error_done(&e);
        assert_int_equal(fleet_config_parse(c, text, strlen(text), &e), 0);
        assert_string_equal(c->prometheus, "https://prom.example:9090");
        assert_int_equal(c->n_listen, 2);
        assert_string_equal(c->listen[1].text, "[::1]:9575");
        assert_string_equal(c->job, "exposured-hosts");
        assert_int_equal(c->query_timeout_usec, 1500000);
        assert_int_equal(c->max_response_bytes, 8 * 1024 * 1024);
        assert_int_equal(c->cache_usec, 0);
        /* the host daemon's access keys, by its rules (config.c) */
        assert_int_equal(c->tls, CONFIG_YES);
        assert_string_equal(c->tls_key, "/etc/exposured/fleet.key");
        assert_string_equal(c->tls_certificate, "tls.crt");
        assert_string_equal(c->allowed_hosts[0], "fleet.example.org");
        assert_string_equal(c->allowed_hosts[1], "10.0.0.5");
        assert_null(c->allowed_hosts[2]);
        assert_int_equal(fleet_config_validate(c, &e), 0);

        /* format parses back to the same */
        f = fleet_config_format(c);
        FleetConfig *d = fleet_config_new();
        assert_int_equal(fleet_config_parse(d, f, strlen(f), &e), 0);
        char *g = fleet_config_format(d);
        assert_string_equal(f, g);
        assert_non_null(strstr(f, "\ntls = yes\n"));
        assert_non_null(strstr(f, "\nallowed_hosts = fleet.example.org 10.0.0.5\n"));
        free(f);
        free(g);
        fleet_config_free(d);

        static const struct {
                const char *text;
                unsigned line;
                const char *message;
        } bad[] = {
                { "prometheus = ftp://x\n", 1, "prometheus:" },
                { "\nprometheus = http://x/?q=1\n", 2, "prometheus:" },
                { "listen = 1.2.3.4\n", 1, "listen:" },
                { "job =\n", 1, "job:" },
                { "hosts_token = a/b\n", 1, "hosts_token:" },
                { "host_url = http://{nope}\n", 1, "host_url:" },
                { "host_url = javascript:alert(1)\n", 1, "host_url:" },
                { "query_timeout = 10ms\n", 1, "query_timeout:" },
                { "max_response = 2G\n", 1, "max_response:" },
                { "stale_after = 5s\n", 1, "stale_after:" },
                { "cache = 2h\n", 1, "cache:" },
                { "tls = maybe\n", 1, "tls: expected auto, yes or no" },
                { "tls_key = rel/path\n", 1, "tls_key:" },
                { "allowed_hosts = a/b\n", 1, "allowed_hosts:" },
                { "nope = 1\n", 1, "unknown key" },
                { "just words\n", 1, "key = value" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                assert_int_equal(fleet_config_parse(c, bad[i].text, strlen(bad[i].text), &e),
                                 -EINVAL);
                assert_int_equal(e.line, bad[i].line);
                if (!strstr(e.message, bad[i].message))
                        fail_msg("%s: '%s'", bad[i].text, e.message);
                config_error_done(&e);
        }
        /* all or nothing: the good config is intact */
        assert_string_equal(c->job, "exposured-hosts");
        assert_int_equal(fleet_config_set(c, "job", "", &e), -EINVAL);
        config_error_done(&e);
        assert_int_equal(fleet_config_set(c, "nope", "1", &e), -ENOENT);
        config_error_done(&e);
        fleet_config_free(c);
}

/* ---- renderers ---- */

static void test_host_url(void **state) {
        Buf b = {};
        (void) state;

        render_fleet_host_url(&b, "http://{instance}", "10.0.0.5:9573", NULL, "a@b.service");
        assert_string_equal(b.data, "http://10.0.0.5:9573/units/a%40b.service");
        buf_clear(&b);
        render_fleet_host_url(&b, "https://{hostname}.lan:9573/", "x:1", "web 1", NULL);
        assert_string_equal(b.data, "https://web%201.lan:9573/");
        buf_clear(&b);
        render_fleet_host_url(&b, "http://[{instance}]", "::1", NULL, "x.service");
        assert_string_equal(b.data, "http://[::1]/units/x.service");
        buf_done(&b);
        assert_true(render_fleet_host_url_valid("https://{hostname}:9573"));
        assert_false(render_fleet_host_url_valid("https://{hostname"));
        assert_false(render_fleet_host_url_valid("https://a\"b"));
        assert_false(render_fleet_host_url_valid("data:text/html,x"));
}

static void test_html_status(void **state) {
        FleetHosts h = {};
        Buf b = {};
        FleetStatus st = { .now = 1000, .data_time = 400,
                           .error = "Prometheus at http://p: <timeout>" };
        (void) state;

        render_fleet_html_hosts(&h, &st, &b);
        assert_non_null(strstr(b.data, "Prometheus is not answering"));
        assert_non_null(strstr(b.data, "&lt;timeout&gt;"));
        assert_non_null(strstr(b.data, "10 min stale"));
        assert_non_null(strstr(b.data, "<title>Hosts - exposured fleet</title>"));
        buf_clear(&b);
        render_fleet_html_error(502, "<x>", NULL, &b);
        assert_null(strstr(b.data, "<x>"));
        buf_done(&b);
}

/* The page says where its aggregates came from, and how old the recorded ones are. */
static void test_source(void **state) {
        FleetHosts h = {};
        Buf b = {};
        FleetStatus st = { .now = 1000, .data_time = 1000, .source = FLEET_SOURCE_RECORDED,
                           .recorded_time = 820 };
        json_object *j, *agg;
        PromResult *probe;
        (void) state;

        render_fleet_html_hosts(&h, &st, &b);
        assert_non_null(strstr(b.data, "data-source=\"recorded\">Aggregates from Prometheus' "
                                       "recording rules, evaluated"));
        assert_non_null(strstr(b.data, "3 min ago"));
        buf_clear(&b);
        assert_int_equal(render_fleet_json_hosts(&h, &st, &b), 0);
        j = parse_strict(&b);
        agg = get(get(j, "prometheus"), "aggregates");
        assert_string_equal(json_object_get_string(get(agg, "source")), "recorded");
        assert_int_equal(json_object_get_int(get(agg, "recorded_age_seconds")), 180);
        assert_int_equal(json_object_get_int(get(agg, "window_seconds")), 900);
        json_object_put(j);
        buf_clear(&b);

        st.source = FLEET_SOURCE_RAW;
        render_fleet_html_hosts(&h, &st, &b);
        assert_non_null(strstr(b.data, "data-source=\"raw\">Aggregates computed by Prometheus"));
        buf_clear(&b);
        assert_int_equal(render_fleet_json_hosts(&h, &st, &b), 0);
        j = parse_strict(&b);
        agg = get(get(j, "prometheus"), "aggregates");
        assert_string_equal(json_object_get_string(get(agg, "source")), "raw");
        assert_null(get(agg, "recorded_time"));
        json_object_put(j);
        buf_clear(&b);

        /* a page without aggregates says nothing about them */
        st.source = FLEET_SOURCE_NONE;
        render_fleet_html_hosts(&h, &st, &b);
        assert_null(strstr(b.data, "data-source"));
        buf_done(&b);

        probe = vector("{\"metric\":{},\"value\":[1000,\"820.5\"]}");
        assert_int_equal(fleet_recorded_time(probe), 820);
        prom_result_free(probe);
        probe = vector("");
        assert_int_equal(fleet_recorded_time(probe), 0); /* nothing recorded in the window */
        prom_result_free(probe);
        probe = vector("{\"metric\":{\"unit\":\"a\"},\"value\":[1000,\"820\"]}");
        assert_int_equal(fleet_recorded_time(probe), 0); /* not the probe's answer */
        prom_result_free(probe);
        assert_int_equal(fleet_recorded_time(NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_vector),
                cmocka_unit_test(test_parse_matrix_scalar),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_parse_labels_bound),
                cmocka_unit_test(test_parse_targets),
                cmocka_unit_test(test_quote),
                cmocka_unit_test(test_hosts),
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_unit_hosts_and_escaping),
                cmocka_unit_test(test_regressions),
                cmocka_unit_test(test_diff),
                cmocka_unit_test(test_exprs),
                cmocka_unit_test(test_query_check),
                cmocka_unit_test(test_config),
                cmocka_unit_test(test_host_url),
                cmocka_unit_test(test_html_status),
                cmocka_unit_test(test_source),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
