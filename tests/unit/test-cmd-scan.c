/* SPDX-License-Identifier: MIT */
/* Tests for `exposured scan`'s pure parts (cmd-scan.c and its encoders, render_json_scan() and
 * render_text_scan(), render_text_scan_unit()): unit-name mangling and template instances as
 * systemd-analyze does them, the JSON contract (keys, JSON types, null rules, number format,
 * escaping) and the text table (alignment, colour only on request, escaping). Reports come from
 * the real scorer on hand-made UnitProps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cleanup.h"
#include "render.h"
#include "cmd-scan.h"
#include "unit-name.h"
#include "util.h"

static void mangles_to(const char *arg, const char *expected) {
        _cleanup_free_ char *m = NULL;

        assert_int_equal(unit_name_mangle(arg, &m), 0);
        assert_string_equal(m, expected);
}

/* Every expectation below is what systemd-analyze 252 printed for the same argument ("Unit X not
 * found", "is not a service unit", "Failed to mangle"). */
static void test_mangle(void **state) {
        char *m = NULL;
        char longname[300];

        (void) state;
        mangles_to("foo", "foo.service");
        mangles_to("foo.service", "foo.service");
        mangles_to("foo.socket", "foo.socket");
        mangles_to("foo.bar", "foo.bar.service");         /* "bar" is no unit type */
        mangles_to("getty@tty1", "getty@tty1.service");
        mangles_to("getty@.service", "getty@.service");
        mangles_to("a b", "a\\x20b.service");
        mangles_to("a/b", "a-b.service");
        mangles_to("foo*", "foo\\x2a.service");          /* globs are not supported: escaped */
        mangles_to("x\ny", "x\\x0ay.service");
        mangles_to("\xc3\xa9", "\\xc3\\xa9.service");
        mangles_to("a\\x2db", "a\\x2db.service");        /* already escaped: kept */
        /* Paths name devices and mounts: never services. */
        m = NULL;
        assert_int_equal(unit_name_mangle("/dev/sda", &m), 0);
        assert_false(endswith(m, ".service"));
        free(m);
        assert_int_equal(unit_name_mangle("/home", &m), 0);
        assert_false(endswith(m, ".service"));
        free(m);
        /* ...unless unit_name_from_path() refuses them (".." components): then escaped. */
        mangles_to("/a/../b", "-a-..-b.service");

        assert_int_equal(unit_name_mangle("", &m), -EINVAL);
        assert_int_equal(unit_name_mangle("@foo", &m), -EINVAL);
        mangles_to(".service", ".service.service");
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        assert_int_equal(unit_name_mangle(longname, &m), -EINVAL);
        longname[247] = 0; /* 247 + ".service" = 255 < UNIT_NAME_MAX */
        {
                Buf b = {};

                buf_puts(&b, longname);
                buf_puts(&b, ".service");
                mangles_to(longname, b.data);
                buf_done(&b);
        }
        longname[247] = 'a';
        longname[248] = 0; /* 248 + ".service" = 256: too long */
        assert_int_equal(unit_name_mangle(longname, &m), -EINVAL);
}

static void test_template_instance(void **state) {
        char *i = NULL;

        (void) state;
        assert_int_equal(unit_name_template_instance("getty@.service", 252, &i), 1);
        assert_string_equal(i, "getty@test-instance.service");
        free(i);
        assert_int_equal(unit_name_template_instance("getty@.service", 256, &i), 1);
        assert_string_equal(i, "getty@test-instance.service");
        free(i);
        assert_int_equal(unit_name_template_instance("getty@.service", 257, &i), 1);
        assert_string_equal(i, "getty@test_instance.service");
        free(i);
        assert_int_equal(unit_name_template_instance("getty@tty1.service", 257, &i), 0);
        assert_null(i);
        assert_int_equal(unit_name_template_instance("dbus.service", 252, &i), 0);
        assert_null(i);
}

static size_t row_index(const ScoreTable *t, const char *id) {
        for (size_t i = 0; i < t->n_rows; i++)
                if (streq(t->rows[i].id, id))
                        return i;
        fail_msg("no row %s", id);
        return SIZE_MAX;
}

static json_object *parse(const char *text) {
        json_object *o = json_tokener_parse(text);

        assert_non_null(o);
        return o;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

/* A root service with ProtectProc=noaccess: partial badness without text (description null),
 * privileged rows n/a (set null, badness null), a row with an empty policy description ("") and
 * a name that needs JSON escaping. */
static void test_json_contract(void **state) {
        const ScoreTable *t = score_table_for_version(252);
        ScoreOverride *o = xcalloc(t->n_rows, sizeof(ScoreOverride));
        size_t pp = row_index(t, "ProtectProc="), nnp = row_index(t, "NoNewPrivileges=");
        size_t sg = row_index(t, "SupplementaryGroups="), pn = row_index(t, "PrivateNetwork=");
        ScanEntry e[2] = {};
        UnitProps p;
        Buf out = {};
        json_object *root, *u, *checks;

        (void) state;
        unit_props_init(&p);
        p.id = xstrdup("we\"ird\\name\x01.service");
        p.load_state = xstrdup("loaded");
        p.protect_proc = xstrdup("noaccess");
        o[nnp].description_bad = "";
        o[pn].has_weight = true;
        o[pn].weight = 3000;
        e[0].unit = p.id;
        e[0].oneshot = true;
        assert_int_equal(score_unit(t, o, &p, &e[0].report), 0);
        e[1].unit = "plain.service";
        assert_int_equal(score_unit(t, o, &p, &e[1].report), 0);

        render_json_scan(e, 2, o, false, &out);
        assert_true(endswith(out.data, "]\n"));
        assert_null(strchr(out.data, '\x01'));  /* control characters are escaped */
        assert_non_null(strstr(out.data, "\"unit\":\"we\\\"ird\\\\name\\u0001.service\""));
        /* The exposure is a number printed with exactly one decimal, like systemd's column. */
        {
                char expect[64], buf[8];

                (void) snprintf(expect, sizeof(expect), "\"exposure\":%s,",
                                render_format_tenths(e[0].report.exposure, buf));
                assert_non_null(strstr(out.data, expect));
        }

        root = parse(out.data);
        assert_true(json_object_is_type(root, json_type_array));
        assert_int_equal(json_object_array_length(root), 2);
        u = json_object_array_get_idx(root, 0);
        assert_int_equal(json_object_object_length(u), 5);
        assert_string_equal(json_object_get_string(get(u, "unit")), p.id);
        assert_true(json_object_is_type(get(u, "exposure"), json_type_double));
        assert_int_equal((int) (json_object_get_double(get(u, "exposure")) * 10 + 0.5),
                         (int) e[0].report.exposure);
        assert_string_equal(json_object_get_string(get(u, "predicate")),
                            predicate_to_string(e[0].report.predicate));
        assert_true(json_object_get_boolean(get(u, "oneshot")));
        assert_false(json_object_get_boolean(get(json_object_array_get_idx(root, 1), "oneshot")));

        checks = get(u, "checks");
        assert_int_equal(json_object_array_length(checks), t->n_rows);
        for (size_t i = 0; i < t->n_rows; i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                const ScoreCheck *sc = &e[0].report.checks[i];
                json_object *set = get(c, "set"), *ex = get(c, "exposure");

                assert_int_equal(json_object_object_length(c), 9);
                assert_string_equal(json_object_get_string(get(c, "name")), t->rows[i].id);
                assert_string_equal(json_object_get_string(get(c, "json_field")),
                                    t->rows[i].json_field);
                switch (score_check_set(sc)) {
                case 1:
                        assert_true(json_object_is_type(set, json_type_boolean));
                        assert_true(json_object_get_boolean(set));
                        break;
                case 0:
                        assert_true(json_object_is_type(set, json_type_boolean));
                        assert_false(json_object_get_boolean(set));
                        break;
                default:
                        assert_null(set);
                }
                if (sc->exposure == 0)
                        assert_null(ex);
                else
                        assert_true(json_object_is_type(ex, json_type_string));
                assert_true(json_object_is_type(get(c, "weight"), json_type_int));
                assert_int_equal(json_object_get_uint64(get(c, "weight")), sc->weight);
                assert_int_equal(json_object_get_uint64(get(c, "range")), sc->range);
                if (sc->badness == BADNESS_NA)
                        assert_null(get(c, "badness"));
                else
                        assert_int_equal(json_object_get_uint64(get(c, "badness")), sc->badness);
                if (t->rows[i].fix)
                        assert_string_equal(json_object_get_string(get(c, "fix")),
                                            t->rows[i].fix);
                else
                        assert_null(get(c, "fix"));
        }

        /* ProtectProc=noaccess: badness 1 of 3, no text: null, like systemd. */
        assert_int_equal(e[0].report.checks[pp].badness, 1);
        assert_null(get(json_object_array_get_idx(checks, pp), "description"));
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(checks, pp),
                                                       "exposure")),
                            "0.1");
        /* An empty policy description is printed as "", not null (systemd does the same). */
        assert_true(json_object_is_type(get(json_object_array_get_idx(checks, nnp),
                                            "description"), json_type_string));
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(checks, nnp),
                                                       "description")), "");
        /* Root: SupplementaryGroups= is not applicable. */
        assert_null(get(json_object_array_get_idx(checks, sg), "set"));
        assert_null(get(json_object_array_get_idx(checks, sg), "badness"));
        assert_non_null(json_object_get_string(get(json_object_array_get_idx(checks, sg),
                                                   "description")));
        /* Effective weight after the policy. */
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(checks, pn),
                                                 "weight")), 3000);

        json_object_put(root);
        buf_done(&out);
        free(o);
        unit_props_done(&p);
}

static void test_json_empty(void **state) {
        Buf out = {};

        (void) state;
        render_json_scan(NULL, 0, NULL, false, &out);
        assert_string_equal(out.data, "[]\n");
        buf_done(&out);
}

static void test_table(void **state) {
        const ScoreTable *t = score_table_for_version(252);
        ScanEntry e[2] = {};
        UnitProps p;
        Buf out = {};
        char buf[8], line[128];

        (void) state;
        unit_props_init(&p);
        e[0].unit = "a-long-unit-name.service";
        e[0].oneshot = true;
        assert_int_equal(score_unit(t, NULL, &p, &e[0].report), 0);
        e[1].unit = "b\x1b[2J.service";
        assert_int_equal(score_unit(t, NULL, &p, &e[1].report), 0);

        render_text_scan(e, 2, false, false, &out);
        (void) snprintf(line, sizeof(line),
                        "UNIT                     EXPOSURE PREDICATE\n"
                        "a-long-unit-name.service %8s %s\n"
                        "b\\x1b[2J.service         %8s %s\n",
                        render_format_tenths(e[0].report.exposure, buf),
                        predicate_to_string(e[0].report.predicate),
                        render_format_tenths(e[1].report.exposure, buf),
                        predicate_to_string(e[1].report.predicate));
        assert_string_equal(out.data, line);
        assert_null(strchr(out.data, '\x1b'));

        buf_clear(&out);
        render_text_scan(e, 2, true, true, &out);
        assert_true(startswith(out.data, "UNIT                     EXPOSURE PREDICATE TYPE\n"));
        assert_non_null(strstr(out.data, "\x1b[0;1;31mUNSAFE\x1b[0m    oneshot\n"));
        assert_non_null(strstr(out.data, "\x1b[0;1;31mUNSAFE\x1b[0m\n"));

        buf_clear(&out);
        render_text_scan(NULL, 0, false, false, &out);
        assert_string_equal(out.data, "UNIT EXPOSURE PREDICATE\n");
        buf_done(&out);
        unit_props_done(&p);
}

/* The description cell of a table line (display columns d0..e0), trimmed; multi-byte characters
 * (marks, the ellipsis) count as one column. */
static void desc_of(const char *line, size_t d0, size_t e0, char *ret, size_t n) {
        size_t col = 0, len = 0;

        for (const char *c = line; *c; c++) {
                if (((unsigned char) *c & 0xc0) == 0x80)
                        continue;
                if (col >= d0 && col < e0) {
                        assert_true(len + 1 < n);
                        ret[len++] = *c;
                }
                col++;
        }
        while (len > 0 && ret[len - 1] == ' ')
                len--;
        ret[len] = 0;
}

/* `scan UNIT`'s check table: the layout the integration test (test_scan_text.py) compares with
 * systemd-analyze byte for byte, pinned here without a bus. */
static void test_unit_table(void **state) {
        ScanEntry e = { .unit = "x\x1b.service" };
        TextStyle plain = { .utf8 = true }, ascii = {}, color = { true, true, true };
        _cleanup_free_ char *text = NULL;
        char prev[256] = "", cur[256];
        size_t d0, e0, n_lines = 0;
        UnitProps p;
        Buf out = {};

        (void) state;
        unit_props_init(&p);
        p.protect_proc = xstrdup("noaccess"); /* partial badness: an empty description */
        assert_int_equal(score_unit(score_table_for_version(262), NULL, &p, &e.report), 0);

        render_text_scan_unit(&e, NULL, &plain, &out);
        text = buf_steal(&out);
        assert_null(strchr(text, '\x1b'));
        assert_true(startswith(text, "  NAME "));
        d0 = (size_t) (strstr(text, "DESCRIPTION") - text);
        e0 = (size_t) (strstr(text, "EXPOSURE") - text);
        assert_true(d0 > strlen("  CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)"));
        /* 262 puts the empty description first, then descriptions descending. */
        assert_true(startswith(strchr(text, '\n') + 1, "\xe2\x9c\x97 ProtectProc= "));
        for (char *l = strtok(strchr(text, '\n') + 1, "\n"); l; l = strtok(NULL, "\n")) {
                if (startswith(l, "\xe2\x86\x92 ")) {
                        char want[128];

                        (void) snprintf(want, sizeof(want), "\xe2\x86\x92 Overall exposure level "
                                        "for x\\x1b.service: %u.%u %s :-%c", e.report.exposure / 10,
                                        e.report.exposure % 10,
                                        predicate_to_string(e.report.predicate),
                                        e.report.predicate == PREDICATE_UNSAFE ? '{' : '?');
                        assert_string_equal(l, want);
                        break;
                }
                n_lines++;
                /* Rows with a description: the EXPOSURE column right-aligned at e0, or the line
                 * ends after the separator when it is empty. */
                if (n_lines == 1)
                        continue;
                desc_of(l, d0, e0, cur, sizeof(cur));
                assert_true(strcmp(prev, cur) >= 0 || n_lines == 2);
                memcpy(prev, cur, sizeof(cur));
        }
        assert_int_equal(n_lines, e.report.n_checks);

        render_text_scan_unit(&e, NULL, &ascii, &out);
        assert_non_null(strstr(out.data, "\n- ProtectProc= "));
        assert_non_null(strstr(out.data, "\n\n-> Overall exposure level for x\\x1b.service: "));
        /* No check marks, crosses or arrows; the "~…" in a NAME is systemd's literal text. */
        assert_null(strstr(out.data, "\xe2\x9c"));
        assert_null(strstr(out.data, "\xe2\x86"));
        buf_clear(&out);

        render_text_scan_unit(&e, NULL, &color, &out);
        assert_true(startswith(out.data, "\x1b[0m\x1b[0;4m \x1b[0m\x1b[0m\x1b[0;4m NAME "));
        assert_non_null(strstr(out.data, "\n\x1b[0;1;31m\xe2\x9c\x97\x1b[0m ProtectProc= "));
        assert_non_null(strstr(out.data, "\x1b[0;1;39mOverall exposure level for x\\x1b.service"
                                         "\x1b[0m: \x1b[0;1;31m"));
        assert_non_null(strstr(out.data, " \xf0\x9f\x98\xa8\n")); /* UNSAFE's emoji */
        buf_done(&out);
        unit_props_done(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mangle),
                cmocka_unit_test(test_template_instance),
                cmocka_unit_test(test_json_contract),
                cmocka_unit_test(test_json_empty),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_unit_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
