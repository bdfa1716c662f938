/* SPDX-License-Identifier: MIT */
/* render-json.c: output parses as strict UTF-8 JSON, hostile strings round-trip as data, numbers
 * are exactly as systemd prints them, every check carries its fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-fixture.h"
#include "props-text.h"
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

        s->units[2]->unloaded = true; /* kept through PID 1's unload: "loaded": false */
        assert_int_equal(render_json_units(s, &o, &b), 0);
        j = parse_strict(&b);
        units = get(j, "units");
        assert_int_equal(json_object_array_length(units), s->n_units);
        for (size_t i = 0; i < s->n_units; i++) {
                json_object *u = json_object_array_get_idx(units, i);
                const char *id = json_object_get_string(get(u, "unit"));
                assert_int_equal(json_object_get_boolean(get(u, "loaded")), i != 2);
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

/* /api/v1/units?limit=&cursor=: pages in id order that add up to every unit exactly once, a
 * next_cursor on every page but the last, and a cursor that survives its unit leaving. */
static void test_units_pages(void **state) {
        State *s = fixture_state_new(25, false);
        RenderOptions o = { .version = "0.1" };
        char *cursor = NULL;
        size_t seen = 0, pages = 0;
        Buf b = {};
        (void) state;

        do {
                UnitsPage p = { .cursor = cursor, .limit = 10 };
                json_object *j, *units, *next;

                buf_clear(&b);
                assert_int_equal(render_json_units_page(s, &o, &p, &b), 0);
                j = parse_strict(&b);
                units = get(j, "units");
                assert_int_equal(json_object_get_int(get(j, "count")), 25);
                for (size_t i = 0; i < json_object_array_length(units); i++) {
                        const char *id = json_object_get_string(
                                get(json_object_array_get_idx(units, i), "unit"));
                        assert_string_equal(id, s->units[seen + i]->id);
                }
                seen += json_object_array_length(units);
                next = get(j, "next_cursor");
                free(cursor);
                cursor = next ? xstrdup(json_object_get_string(next)) : NULL;
                if (cursor)
                        assert_string_equal(cursor, s->units[seen - 1]->id);
                json_object_put(j);
                pages++;
        } while (cursor);
        assert_int_equal(seen, 25);
        assert_int_equal(pages, 3);

        /* exactly a page's worth left: that page is the last (no empty page after it) */
        UnitsPage p = { .cursor = s->units[14]->id, .limit = 10 };
        buf_clear(&b);
        assert_int_equal(render_json_units_page(s, &o, &p, &b), 0);
        assert_non_null(strstr(b.data, "\"next_cursor\":null"));

        /* the cursor's unit left between two requests: the next page starts after its name */
        UnitState *gone = state_take(s, s->units[9]->id);
        p = (UnitsPage) { .cursor = gone->id, .limit = 1 };
        assert_int_equal(render_units_page_start(s, &p), 9);
        unit_state_free(gone);
        /* a cursor past every unit, and before every unit */
        p.cursor = "zzz.service";
        assert_int_equal(render_units_page_start(s, &p), s->n_units);
        p.cursor = "a.service";
        assert_int_equal(render_units_page_start(s, &p), 0);
        /* every unit, the old call */
        buf_clear(&b);
        assert_int_equal(render_json_units(s, &o, &b), 0);
        assert_non_null(strstr(b.data, "\"count\":24,\"next_cursor\":null"));
        buf_done(&b);
        fixture_state_free(s);
}

/* user_managers = lingering: the user units follow the system's on the pages, each with its
 * "user" (null for the system's), USER/UNIT cursors, and ?user= keeps one user's. */
static void test_units_users(void **state) {
        State *s = fixture_state_new(5, false);
        RenderOptions o = { .version = "0.1" };
        const char *want[] = { "svc-0000.service", "svc-0001.service", "svc-0002.service",
                               "svc-0003.service", "svc-0004.service", "al\"ice/q.service",
                               "alice/a.service", "alice/b.service", "bob/a.service" };
        char *cursor = NULL;
        size_t seen = 0;
        Buf b = {};
        (void) state;

        fixture_state_add_user_units(s);
        do {
                UnitsPage p = { .cursor = cursor, .limit = 2 };
                json_object *j, *units, *next;

                buf_clear(&b);
                assert_int_equal(render_json_units_page(s, &o, &p, &b), 0);
                j = parse_strict(&b);
                units = get(j, "units");
                assert_int_equal(json_object_get_int(get(j, "count")), 9);
                for (size_t i = 0; i < json_object_array_length(units); i++) {
                        json_object *u = json_object_array_get_idx(units, i);
                        const char *user = json_object_get_string(get(u, "user"));
                        Buf k = {};

                        if (user) {
                                buf_puts(&k, user);
                                buf_putc(&k, '/');
                        } else
                                assert_true(json_object_is_type(get(u, "user"), json_type_null));
                        buf_puts(&k, json_object_get_string(get(u, "unit")));
                        assert_string_equal(k.data, want[seen + i]);
                        buf_done(&k);
                }
                seen += json_object_array_length(units);
                next = get(j, "next_cursor");
                free(cursor);
                cursor = next ? xstrdup(json_object_get_string(next)) : NULL;
                if (cursor)
                        assert_string_equal(cursor, want[seen - 1]);
                json_object_put(j);
        } while (cursor);
        assert_int_equal(seen, 9);

        /* one user's */
        UnitsPage p = { .user = "alice", .limit = 100 };
        buf_clear(&b);
        assert_int_equal(render_json_units_page(s, &o, &p, &b), 0);
        assert_non_null(strstr(b.data, "\"count\":2,"));
        assert_non_null(strstr(b.data, "\"unit\":\"a.service\""));
        assert_null(strstr(b.data, "svc-"));
        assert_null(strstr(b.data, "q.service"));
        /* a user without units, and a cursor inside alice's units */
        p = (UnitsPage) { .user = "carol", .limit = 100 };
        buf_clear(&b);
        assert_int_equal(render_json_units_page(s, &o, &p, &b), 0);
        assert_non_null(strstr(b.data, "\"units\":[],\"count\":0,\"next_cursor\":null"));
        p = (UnitsPage) { .user = "alice", .cursor = "alice/a.service", .limit = 100 };
        assert_int_equal(render_units_page_start(s, &p), 5 + 2);
        p.cursor = "alicf/a.service";
        assert_int_equal(render_units_page_start(s, &p), 5 + 3);
        p.cursor = "al/a.service";
        assert_int_equal(render_units_page_start(s, &p), 5);
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
        Change rows[3] = { { .time_usec = UINT64_C(1795000000000000), .exposure = -1,
                             .predicate = _PREDICATE_INVALID, .kind = EVENT_GONE },
                           { .time_usec = UINT64_C(1794999999000000), .exposure = 96,
                             .predicate = PREDICATE_UNSAFE, .kind = EVENT_REGRESSION },
                           { .time_usec = UINT64_C(1794999998000000), .exposure = 0,
                             .predicate = PREDICATE_PERFECT, .kind = EVENT_NONE } };
        Change ev[2] = { { .time_usec = UINT64_C(1795000000000000),
                           .unit = (char *) "a\"b\n.service", .kind = EVENT_REGRESSION,
                           .previous = 50, .exposure = 96, .predicate = PREDICATE_UNSAFE },
                         { .time_usec = UINT64_C(1795000000000000), .kind = EVENT_SYSTEMD_UPGRADE,
                           .previous = -1, .exposure = -1, .predicate = _PREDICATE_INVALID,
                           .systemd_version = (char *) "257.9-1",
                           .systemd_version_before = (char *) "252.38-1" } };
        Buf b = {};
        json_object *j, *h;
        (void) state;

        assert_int_equal(render_json_history("x.service", rows, 3, &b), 0);
        j = parse_strict(&b);
        h = get(j, "history");
        assert_int_equal(json_object_array_length(h), 3);
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(h, 0), "time")),
                            "2026-11-18T11:06:40Z");
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(h, 0), "kind")),
                            "gone");
        assert_null(get(json_object_array_get_idx(h, 0), "exposure"));
        assert_null(get(json_object_array_get_idx(h, 0), "predicate"));
        assert_non_null(strstr(b.data, "\"exposure\":9.6"));
        json_object_put(j);

        buf_clear(&b);
        assert_int_equal(render_json_events(ev, 2, &b), 0);
        j = parse_strict(&b);
        json_object *e = json_object_array_get_idx(get(j, "events"), 0);
        assert_string_equal(json_object_get_string(get(e, "unit")), "a\"b\n.service");
        assert_string_equal(json_object_get_string(get(e, "kind")), "regression");
        assert_non_null(strstr(b.data, "\"previous\":5.0,\"exposure\":9.6,"));
        e = json_object_array_get_idx(get(j, "events"), 1);
        assert_null(get(e, "unit"));
        assert_string_equal(json_object_get_string(get(e, "kind")), "systemd-upgrade");
        assert_string_equal(json_object_get_string(get(e, "detail")), "252.38-1 -> 257.9-1");
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
        /* before the first score no table is chosen */
        assert_true(json_object_object_get_ex(j, "score_table", NULL));
        assert_null(get(j, "score_table"));
        json_object_put(j);
        buf_done(&b);

        /* which table scored the host, and how it was checked */
        ScoreRelease r;
        assert_int_equal(score_release_parse(s->systemd_version, &r), 0);
        score_table_choose(r, &s->table_choice);
        assert_int_equal(render_json_status(s, &o, &st, &b), 0);
        j = parse_strict(&b);
        assert_string_equal(json_object_get_string(get(get(j, "score_table"), "release")), "252.38");
        assert_string_equal(json_object_get_string(get(get(j, "score_table"), "table")), "252.28+");
        assert_string_equal(json_object_get_string(get(get(j, "score_table"), "checked")), "live");
        assert_true(json_object_get_boolean(get(get(j, "score_table"), "verified_live")));
        json_object_put(j);
        buf_done(&b);

        /* an unknown future version: the newest table, and it says so */
        score_table_choose((ScoreRelease) { 263, 1 }, &s->table_choice);
        assert_int_equal(render_json_status(s, &o, &st, &b), 0);
        j = parse_strict(&b);
        assert_string_equal(json_object_get_string(get(get(j, "score_table"), "release")), "263.1");
        assert_string_equal(json_object_get_string(get(get(j, "score_table"), "table")), "262+");
        assert_string_equal(json_object_get_string(get(get(j, "score_table"), "checked")), "newer");
        assert_false(json_object_get_boolean(get(get(j, "score_table"), "verified_live")));
        json_object_put(j);
        buf_done(&b);
        fixture_state_free(s);
}

static char *slurp(const char *rel, size_t *ret_len) {
        const char *top = getenv("TOP");
        Buf path = {}, b = {};
        char chunk[4096];
        size_t n;
        FILE *f;

        buf_printf(&path, "%s/%s", top ? top : ".", rel);
        f = fopen(path.data, "re");
        if (!f)
                fail_msg("cannot open %s", path.data);
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
                buf_append(&b, chunk, n);
        fclose(f);
        buf_done(&path);
        *ret_len = b.len;
        return buf_steal(&b);
}

/* The real scorer on a unit captured from systemd 252, rendered as JSON, must agree field by field
 * with the golden report tests/golden/v252-systemd-logind.out (made from systemd-analyze's own
 * output): name, json_field, badness/range, weight, exposure column and description. */
static void test_real_report_vs_golden(void **state) {
        UnitState u = {};
        State s = {};
        UnitState *units[1] = { &u };
        RenderOptions o = {};
        Buf b = {};
        size_t len, i = 0;
        unsigned line;
        char *props, *golden, *save = NULL;
        json_object *j, *checks;
        (void) state;

        props = slurp("tests/fixtures/v252-systemd-logind.props", &len);
        unit_props_init(&u.props);
        assert_int_equal(props_text_parse(props, len, &u.props, &line), 0);
        free(props);
        assert_int_equal(score_unit(score_table_for_version(252), NULL, &u.props, &u.report), 0);
        u.id = u.props.id;
        s.units = units;
        s.n_units = 1;

        assert_int_equal(render_json_unit(&s, &u, &o, &b), 0);
        j = parse_strict(&b);
        checks = get(j, "checks");
        golden = slurp("tests/golden/v252-systemd-logind.out", &len);
        for (char *l = strtok_r(golden, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *f[6] = {}, *p = l + 2, *tab;
                size_t k = 0;

                if (!(l[0] == 'x' || l[0] == '+' || l[0] == '-') || l[1] != ' ')
                        continue;
                for (; k < 6 && p; k++, p = tab ? tab + 1 : NULL) {
                        tab = k < 5 ? strchr(p, '\t') : NULL;
                        if (tab)
                                *tab = 0;
                        f[k] = p;
                }
                assert_int_equal(k, 6);
                json_object *c = json_object_array_get_idx(checks, i++);
                assert_non_null(c);
                assert_string_equal(json_object_get_string(get(c, "name")), f[0]);
                assert_string_equal(json_object_get_string(get(c, "json_field")), f[1]);
                assert_string_equal(json_object_get_string(get(c, "description")), f[5]);
                uint64_t weight;
                assert_int_equal(parse_uint(f[3], UINT32_MAX, &weight), 0);
                assert_int_equal(json_object_get_int64(get(c, "weight")), (int64_t) weight);
                char br[32];
                if (l[0] == '-') {
                        assert_string_equal(json_object_get_string(get(c, "verdict")), "na");
                        snprintf(br, sizeof br, "n/a/%d", json_object_get_int(get(c, "range")));
                } else {
                        assert_string_equal(json_object_get_string(get(c, "verdict")),
                                            l[0] == 'x' ? "fail" : "pass");
                        snprintf(br, sizeof br, "%d/%d", json_object_get_int(get(c, "badness")),
                                 json_object_get_int(get(c, "range")));
                        /* a failing check carries the line that fixes it */
                        if (l[0] == 'x')
                                assert_non_null(json_object_get_string(get(c, "fix")));
                }
                assert_string_equal(br, f[2]);
                if (*f[4])
                        assert_string_equal(json_object_to_json_string(get(c, "exposure")), f[4]);
        }
        assert_int_equal(i, json_object_array_length(checks));
        assert_true(i > 60);
        assert_non_null(strstr(b.data, "\"exposure\":2.8,\"predicate\":\"OK\""));
        free(golden);
        json_object_put(j);
        buf_done(&b);
        unit_props_done(&u.props);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_units_pages),
                cmocka_unit_test(test_units_users),
                cmocka_unit_test(test_unit),
                cmocka_unit_test(test_history_events_error),
                cmocka_unit_test(test_status),
                cmocka_unit_test(test_real_report_vs_golden),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
