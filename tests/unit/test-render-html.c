/* SPDX-License-Identifier: MIT */
/* render-html.c: hostile unit names and descriptions never become markup. Every '<' in a page
 * must open a tag from the small set the renderer writes; unit links are percent-encoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "http-fixture.h"
#include "cleanup.h"
#include "util.h"

static const char *const tags[] = {
        "!doctype", "html", "head", "meta", "title", "link", "script", "body", "header", "a",
        "img", "nav", "main", "footer", "code", "section", "p", "strong", "time", "ul", "li",
        "span", "form", "label", "input", "select", "option", "button", "table", "thead", "tr",
        "th", "tbody", "td", "div", "svg", "polyline", "rect", "line", "text", "h1", "h2",
        "figure", "figcaption", "dl", "dt", "dd", NULL,
};

static void check_markup(const char *html) {
        unsigned scripts = 0;

        for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
                const char *name = p[1] == '/' ? p + 2 : p + 1;
                size_t n = strcspn(name, " >/\n");
                _cleanup_free_ char *tag = xstrndup(name, n);
                if (!strv_contains((char *const *) (uintptr_t) tags, tag))
                        fail_msg("unexpected tag <%s> at: %.40s", tag, p);
                if (streq(tag, "script") && p[1] != '/') {
                        /* only the one external script, never inline */
                        assert_true(startswith(
                                p, "<script src=\"/static/app.js\" defer></script>"));
                        scripts++;
                }
        }
        assert_int_equal(scripts, 1);
        assert_null(strstr(html, " style="));
        assert_null(strstr(html, "<img src=x"));
        assert_null(strstr(html, "onerror=alert(1)>"));
}

static size_t count_str(const char *hay, const char *needle) {
        size_t n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void test_dashboard(void **state) {
        State *s = fixture_state_new(10, true);
        RenderOptions o = { .now_usec = UINT64_C(1700003600000000) };
        DashboardQuery q = { .min_predicate = _PREDICATE_INVALID };
        Change rows[2] = { { .time_usec = UINT64_C(1700000000000000), .exposure = 50,
                             .predicate = PREDICATE_MEDIUM, .kind = EVENT_IMPROVEMENT },
                           { .time_usec = UINT64_C(1699990000000000), .exposure = 90,
                             .predicate = PREDICATE_UNSAFE, .kind = EVENT_NONE } };
        Sparkline *sp = xcalloc(s->n_units, sizeof(*sp));
        Change ev[2] = { { .time_usec = UINT64_C(1700000000000000),
                           .unit = (char *) "<img src=x onerror=alert(1)>",
                           .kind = EVENT_REGRESSION, .previous = 50, .exposure = 96,
                           .predicate = PREDICATE_UNSAFE },
                         { .time_usec = UINT64_C(1700000000000000), .kind = EVENT_SYSTEMD_UPGRADE,
                           .previous = -1, .exposure = -1, .predicate = _PREDICATE_INVALID,
                           .systemd_version = (char *) "257",
                           .systemd_version_before = (char *) "<b>252</b>" } };
        Buf b = {};
        (void) state;

        for (size_t i = 0; i < s->n_units; i++)
                sp[i] = (Sparkline) { rows, 2 };
        render_html_dashboard(s, &o, &q, sp, ev, 2, &b);
        assert_non_null(strstr(b.data, "&lt;b&gt;252&lt;/b&gt; -&gt; 257"));
        assert_non_null(strstr(b.data, "5.0 \xe2\x86\x92 9.6 <span class=\"badge p-unsafe\">"));
        check_markup(b.data);
        assert_non_null(strstr(b.data, "href=\"/units/a%5Cx2db.service\">a\\x2db.service</a>"));
        assert_non_null(strstr(b.data, "href=\"/units/getty%40tty1.service\""));
        assert_non_null(strstr(b.data, "href=\"/units/q%22uote%27.service\">q&quot;uote&#39;"));
        assert_non_null(strstr(b.data, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
                                       "&lt;img src=x onerror=alert(1)&gt;"));
        assert_non_null(strstr(b.data, "<title>Services - exposured</title>"));
        assert_non_null(strstr(b.data, "<svg class=\"spark\""));
        /* a lingering user's event: named with its user, no link to a system unit's page */
        ev[0].user = (char *) "al<i>ce";
        buf_clear(&b);
        render_html_dashboard(s, &o, &q, sp, ev, 2, &b);
        check_markup(b.data);
        assert_non_null(strstr(b.data, "<td>&lt;img src=x onerror=alert(1)&gt; (user "
                                       "al&lt;i&gt;ce)</td>"));
        ev[0].user = NULL;

        /* filter + sort */
        buf_clear(&b);
        q = (DashboardQuery) { .text = "\"><script>", .min_predicate = PREDICATE_UNSAFE };
        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &b);
        check_markup(b.data);
        assert_non_null(strstr(b.data, "value=\"&quot;&gt;&lt;script&gt;\""));
        assert_non_null(strstr(b.data, "Showing 0 of"));
        buf_done(&b);
        free(sp);
        fixture_state_free(s);
}

/* Pages of the dashboard: bounded rows, page links that keep the filters (escaped), a page past
 * the end shows the last one, and the rows of all pages are every matching unit once. */
static void test_dashboard_pages(void **state) {
        State *s = fixture_state_new(45, false);
        RenderOptions o = { .now_usec = UINT64_C(1700003600000000) };
        DashboardQuery q = { .min_predicate = _PREDICATE_INVALID, .sort = SORT_NAME,
                             .per_page = 20 };
        size_t idx[45], n, n_match, pg;
        bool seen[45] = {};
        Buf b = {};
        (void) state;

        for (q.page = 1; q.page <= 3; q.page++) {
                render_dashboard_select(s, &q, idx, &n, &n_match, &pg);
                assert_int_equal(n_match, 45);
                assert_int_equal(pg, q.page);
                assert_int_equal(n, q.page < 3 ? 20 : 5);
                for (size_t k = 0; k < n; k++) {
                        assert_false(seen[idx[k]]);
                        seen[idx[k]] = true;
                        if (k > 0) /* sorted by name */
                                assert_true(strcmp(s->units[idx[k - 1]]->id,
                                                   s->units[idx[k]]->id) < 0);
                }
        }
        for (size_t i = 0; i < 45; i++)
                assert_true(seen[i]);
        q.page = 99;
        render_dashboard_select(s, &q, idx, &n, &n_match, &pg);
        assert_int_equal(pg, 3);
        assert_int_equal(n, 5);

        /* the middle page: both ways linked, filters kept in the links */
        q = (DashboardQuery) { .text = "svc&\"", .min_predicate = _PREDICATE_INVALID,
                               .sort = SORT_CHANGE, .page = 2, .per_page = 1 };
        for (size_t i = 0; i < 3; i++) {
                free(s->units[i]->props.description);
                s->units[i]->props.description = xstrdup("svc&\" matching");
        }
        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &b);
        check_markup(b.data);
        assert_non_null(strstr(b.data, "Showing 2-2 of 3 matching (45 services)."));
        assert_non_null(strstr(b.data, "Page 2 of 3"));
        assert_non_null(strstr(b.data, "<a href=\"/?q=svc%26%22&amp;predicate=&amp;sort=change"
                                       "&amp;limit=1&amp;page=1\" rel=\"prev\">"));
        assert_non_null(strstr(b.data, "&amp;page=3\" rel=\"next\">"));
        assert_non_null(strstr(b.data, "<input type=\"hidden\" name=\"limit\" value=\"1\">"));
        assert_int_equal(count_str(b.data, "<tr data-unit="), 1);

        /* the default page size, everything on one page: no pager */
        buf_clear(&b);
        q = (DashboardQuery) { .min_predicate = PREDICATE_PERFECT };
        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &b);
        assert_null(strstr(b.data, "class=\"pager\""));
        assert_null(strstr(b.data, "name=\"limit\""));
        buf_done(&b);
        fixture_state_free(s);
}

/* Type=oneshot services: the default view is systemd-analyze's set (rows, counts, "of N"); with
 * oneshot they are shown and counted, and the page links keep the choice. */
static void test_dashboard_oneshot(void **state) {
        State *s = fixture_state_new(10, false);
        RenderOptions o = { .now_usec = UINT64_C(1700003600000000) };
        DashboardQuery q = { .min_predicate = _PREDICATE_INVALID, .sort = SORT_NAME };
        size_t idx[10], n, n_match, pg;
        Buf b = {};
        (void) state;

        s->units[2]->oneshot = s->units[7]->oneshot = true;
        render_dashboard_select(s, &q, idx, &n, &n_match, &pg);
        assert_int_equal(n_match, 8);
        for (size_t k = 0; k < n; k++)
                assert_false(s->units[idx[k]]->oneshot);
        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &b);
        check_markup(b.data);
        assert_int_equal(count_str(b.data, "<tr data-unit="), 8);
        assert_non_null(strstr(b.data, "<strong>8</strong> services (and 2 Type=oneshot, which "
                                       "systemd-analyze security skips, not counted)"));
        assert_non_null(strstr(b.data, "Showing 8 of 8 services."));
        assert_non_null(strstr(b.data, "value=\"yes\"> Type=oneshot too"));
        assert_null(strstr(b.data, s->units[2]->id));

        buf_clear(&b);
        q.oneshot = true;
        q.per_page = 4;
        q.page = 2;
        render_html_dashboard(s, &o, &q, NULL, NULL, 0, &b);
        check_markup(b.data);
        assert_non_null(strstr(b.data, "<strong>10</strong> services (2 of them Type=oneshot)"));
        assert_non_null(strstr(b.data, "Showing 5-8 of 10 matching (10 services)."));
        assert_non_null(strstr(b.data, "&amp;oneshot=yes&amp;limit=4&amp;page=3\" rel=\"next\""));
        assert_non_null(strstr(b.data, "value=\"yes\" checked> Type=oneshot too"));
        buf_done(&b);
        fixture_state_free(s);
}

static void test_unit_page(void **state) {
        State *s = fixture_state_new(4, true);
        RenderOptions o = { .now_usec = UINT64_C(1700003600000000) };
        Change rows[1] = { { .time_usec = UINT64_C(1700000000000000), .exposure = 50,
                             .predicate = PREDICATE_MEDIUM, .kind = EVENT_NONE } };
        Buf b = {};
        (void) state;

        for (size_t i = 0; i < s->n_units; i++) {
                buf_clear(&b);
                render_html_unit(s, s->units[i], &o, i % 2 ? rows : NULL, i % 2, NULL, &b);
                check_markup(b.data);
                assert_non_null(strstr(b.data, "<svg class=\"chart\""));
        }
        buf_clear(&b);
        render_html_unit(s, state_find_unit(s, "svc-0003.service"), &o, NULL, 0, NULL, &b);
        assert_non_null(strstr(b.data, "<code class=\"fix\">PrivateNetwork=yes</code>"));
        assert_null(strstr(b.data, "ProtectSystem=strict</code>")); /* passing: no fix */
        assert_non_null(strstr(b.data, "Service has access to the host&#39;s network"));
        buf_clear(&b);
        render_html_error(404, "<b>nope</b>", &b);
        check_markup(b.data);
        assert_non_null(strstr(b.data, "&lt;b&gt;nope&lt;/b&gt;"));
        buf_done(&b);
        fixture_state_free(s);
}

static void test_svg(void **state) {
        Change rows[3] = {
                { .time_usec = 3000000, .exposure = 100, .predicate = PREDICATE_DANGEROUS },
                { .time_usec = 2000000, .exposure = 0, .predicate = PREDICATE_PERFECT },
                { .time_usec = 1000000, .exposure = 50, .predicate = PREDICATE_MEDIUM },
        };
        Buf b = {};
        (void) state;

        /* Oldest at x=1 (y for 5.0 = 12), step to 0.0 at the middle, 10.0 at 2/3, flat to 99. */
        render_svg_sparkline(rows, 3, 100, 4000000, &b);
        assert_non_null(strstr(b.data, "points=\"1,12 33,12 33,22 66,22 66,2 99,2\""));
        buf_clear(&b);
        render_svg_sparkline(NULL, 0, 96, 4000000, &b);
        assert_non_null(strstr(b.data, "points=\"1,"));
        /* rows in the future and a clock at 0 do not divide by zero */
        buf_clear(&b);
        render_svg_chart(rows, 3, 0, 0, &b);
        assert_non_null(strstr(b.data, "</svg>"));
        buf_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dashboard),
                cmocka_unit_test(test_dashboard_pages),
                cmocka_unit_test(test_dashboard_oneshot),
                cmocka_unit_test(test_unit_page),
                cmocka_unit_test(test_svg),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
