/* SPDX-License-Identifier: MIT */
/* render-json.c: output parses as strict UTF-8 JSON, hostile strings round-trip as data, numbers
 * are exactly as systemd prints them, every check carries its fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <string.h>

#include "http-fixture.h"
#include "util.h"

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

static void test_units(void **state) {
        State *s = fixture_state_new(8, true);
        RenderOptions o = { .version = "0.1" };
        Buf b = {};
        json_object *j, *units;
        bool seen_hostile = false;
        (void) state;

        assert_int_equal(render_json_units(s, &o, &b), 0);
        j = parse_strict(&b);
        units = get(j, "units");
        assert_int_equal(json_object_array_length(units), s->n_units);
        for (size_t i = 0; i < s->n_units; i++) {
                json_object *u = json_object_array_get_idx(units, i);
                const char *id = json_object_get_string(get(u, "unit"));
                if (streq(id, "<script>alert(1)</script>.service")) {
                        seen_hostile = true;
                        assert_string_equal(json_object_get_string(get(u, "description")),
                                            fixture_hostile_description);
                }
                assert_true(json_object_is_type(get(u, "exposure"), json_type_double));
        }
        assert_true(seen_hostile);
        /* bad UTF-8 became U+FFFD; the exposure text is systemd's */
        assert_non_null(strstr(b.data, "\"bad\xef\xbf\xbd\xef\xbf\xbdutf8.service\""));
        assert_non_null(strstr(b.data, "\"unit\":\"svc-0003.service\",\"description\":"
                                       "\"A synthetic service\",\"exposure\":7.0,"));
        assert_null(strstr(b.data, "\\/")); /* no slash escaping */
        json_object_put(j);
        buf_done(&b);
        fixture_state_free(s);
}

static void test_unit(void **state) {
        State *s = fixture_state_new(8, false);
        RenderOptions o = {};
        Buf b = {};
        json_object *j, *checks;
        (void) state;

        /* svc-0003: PrivateNetwork and User fail, ProtectSystem passes, SupplementaryGroups n/a */
        assert_int_equal(render_json_unit(s, state_find_unit(s, "svc-0003.service"), &o, &b), 0);
        j = parse_strict(&b);
        checks = get(j, "checks");
        assert_int_equal(json_object_array_length(checks), FIXTURE_N_CHECKS);
        json_object *c0 = json_object_array_get_idx(checks, 0);
        assert_string_equal(json_object_get_string(get(c0, "name")), "PrivateNetwork=");
        assert_string_equal(json_object_get_string(get(c0, "json_field")), "PrivateNetwork");
        assert_string_equal(json_object_get_string(get(c0, "verdict")), "fail");
        assert_string_equal(json_object_get_string(get(c0, "fix")), "PrivateNetwork=yes");
        assert_string_equal(json_object_get_string(get(c0, "description")),
                            "Service has access to the host's network");
        assert_int_equal(json_object_get_int(get(c0, "weight")), 2500);
        assert_int_equal(json_object_get_int(get(c0, "range")), 1);
        assert_int_equal(json_object_get_int(get(c0, "badness")), 1);
        json_object *c2 = json_object_array_get_idx(checks, 2);
        assert_string_equal(json_object_get_string(get(c2, "verdict")), "pass");
        assert_null(get(c2, "fix"));
        json_object *c3 = json_object_array_get_idx(checks, 3);
        assert_string_equal(json_object_get_string(get(c3, "verdict")), "na");
        assert_null(get(c3, "badness"));
        assert_null(get(c3, "exposure"));
        assert_string_equal(json_object_get_string(get(c3, "na_reason")), "privileged");
        json_object_put(j);
        buf_done(&b);
        fixture_state_free(s);
}

static void test_history_events_error(void **state) {
        HistoryRow rows[2] = { { UINT64_C(1795000000000000), 96, PREDICATE_UNSAFE, 3 },
                               { UINT64_C(1794999999000000), 0, PREDICATE_PERFECT, 0 } };
        EventRow ev[1] = { { UINT64_C(1795000000000000), (char *) "a\"b\n.service",
                             EVENT_REGRESSION, 96, 50, PREDICATE_UNSAFE, PREDICATE_MEDIUM } };
        Buf b = {};
        json_object *j, *h;
        (void) state;

        assert_int_equal(render_json_history("x.service", rows, 2, &b), 0);
        j = parse_strict(&b);
        h = get(j, "history");
        assert_int_equal(json_object_array_length(h), 2);
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(h, 0), "time")),
                            "2026-11-18T11:06:40Z");
        assert_non_null(strstr(b.data, "\"exposure\":9.6"));
        json_object_put(j);

        buf_clear(&b);
        assert_int_equal(render_json_events(ev, 1, &b), 0);
        j = parse_strict(&b);
        json_object *e = json_object_array_get_idx(get(j, "events"), 0);
        assert_string_equal(json_object_get_string(get(e, "unit")), "a\"b\n.service");
        assert_string_equal(json_object_get_string(get(e, "kind")), "regression");
        assert_string_equal(json_object_get_string(get(e, "previous_predicate")), "MEDIUM");
        json_object_put(j);

        buf_clear(&b);
        assert_int_equal(render_json_error("bad \"x\" \xff", &b), 0);
        j = parse_strict(&b);
        assert_string_equal(json_object_get_string(get(j, "error")), "bad \"x\" \xef\xbf\xbd");
        json_object_put(j);
        buf_done(&b);
}

static void test_status(void **state) {
        State *s = fixture_state_new(3, false);
        RenderOptions o = { .version = "0.1" };
        StatusInfo st = { .db_available = true, .db_error = -EIO };
        Buf b = {};
        json_object *j;
        (void) state;

        s->bus_up = false;
        assert_int_equal(render_json_status(s, &o, &st, &b), 0);
        j = parse_strict(&b);
        assert_false(json_object_get_boolean(get(j, "bus_up")));
        assert_int_equal(json_object_get_int(get(j, "units")), 3);
        assert_false(json_object_get_boolean(get(get(j, "database"), "ok")));
        assert_non_null(json_object_get_string(get(get(j, "database"), "error")));
        assert_int_equal(json_object_get_int(get(get(j, "predicates"), "PERFECT")), 1);
        json_object_put(j);
        buf_done(&b);
        fixture_state_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_unit),
                cmocka_unit_test(test_history_events_error),
                cmocka_unit_test(test_status),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
