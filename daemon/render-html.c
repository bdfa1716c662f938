/* SPDX-License-Identifier: MIT */
/* The dashboard: HTML pages and server-side SVG charts, so everything works without JavaScript
 * (web/app.js only sorts, filters and refreshes). Pure: State and rows in, bytes out. The page
 * frame is web/page.html (embedded) with @TITLE@ and @BODY@ markers. Every unit name, description
 * and check text is data: it goes through render_html_escape(), and unit names in links through
 * render_url_encode() first. No inline script or style (the CSP forbids both): SVG uses classes
 * and geometry attributes only. */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "embed.h"
#include "render.h"
#include "util.h"

static const char *page_template(const char *name) {
        for (const EmbeddedFile *f = web_assets; f->name; f++)
                if (streq(f->name, name))
                        return f->data;
        /* The Makefile embeds every web/ template; keep a bare frame for a broken build. */
        return "<!doctype html><title>@TITLE@</title>@BODY@";
}

void render_html_page(Buf *out, const char *template_name, const char *title, const Buf *body) {
        const char *t = page_template(template_name), *p;

        while ((p = strchr(t, '@'))) {
                buf_append(out, t, (size_t) (p - t));
                if (startswith(p, "@TITLE@")) {
                        render_html_escape(out, title);
                        t = p + strlen("@TITLE@");
                } else if (startswith(p, "@BODY@")) {
                        if (body->data)
                                buf_append(out, body->data, body->len);
                        t = p + strlen("@BODY@");
                } else {
                        buf_putc(out, '@');
                        t = p + 1;
                }
        }
        buf_puts(out, t);
}

static void page(Buf *out, const char *title, const Buf *body) {
        render_html_page(out, "page.html", title, body);
}

/* "p-unsafe": the CSS class of a predicate. */
static void pred_class(Buf *out, Predicate p) {
        const char *s = predicate_to_string(p);
        buf_puts(out, "p-");
        for (; s && *s; s++)
                buf_putc(out, (char) (*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s));
}

static void badge(Buf *out, Predicate p) {
        const char *s = predicate_to_string(p);
        buf_puts(out, "<span class=\"badge ");
        pred_class(out, p);
        buf_puts(out, "\">");
        buf_puts(out, s ? s : "?");
        buf_puts(out, "</span>");
}

static void unit_link(Buf *out, const char *id) {
        buf_puts(out, "<a href=\"/units/");
        render_url_encode(out, id);
        buf_puts(out, "\">");
        render_html_escape(out, id);
        buf_puts(out, "</a>");
}

/* <time datetime="RFC3339" title="RFC3339">5 min ago</time>, or an em dash for 0. */
static void ago(Buf *out, uint64_t usec, uint64_t now) {
        uint64_t d;

        if (usec == 0) {
                buf_puts(out, "\xe2\x80\x94");
                return;
        }
        buf_puts(out, "<time datetime=\"");
        render_rfc3339(out, usec);
        buf_puts(out, "\" title=\"");
        render_rfc3339(out, usec);
        buf_puts(out, "\">");
        d = now > usec ? (now - usec) / 1000000u : 0;
        if (d < 60)
                buf_puts(out, "just now");
        else if (d < 3600)
                buf_printf(out, "%llu min ago", (unsigned long long) (d / 60));
        else if (d < 86400 * 2)
                buf_printf(out, "%llu h ago", (unsigned long long) (d / 3600));
        else
                buf_printf(out, "%llu days ago", (unsigned long long) (d / 86400));
        buf_puts(out, "</time>");
}

/* ---- SVG ---- */

/* Map rows (newest first) to a step line over [t0, now] in a w x h box; values 0..100 tenths,
 * 100 at the top. With no rows the line is flat at current. */
static void step_points(const Change *rows, size_t n, unsigned current, uint64_t now,
                        unsigned x0, unsigned w, unsigned y0, unsigned h, Buf *out) {
        uint64_t t0 = n > 0 ? rows[n - 1].time_usec : now;
        uint64_t span;
        unsigned prev_y = 0;

        if (t0 >= now)
                t0 = now > 1 ? now - 1 : 0;
        span = now - t0 ? now - t0 : 1;
#define Y(v) (y0 + h - (unsigned) (((uint64_t) ((v) > 100 ? 100 : (v)) * h) / 100))
#define X(t) (x0 + (unsigned) ((((t) < t0 ? 0 : (t) - t0) * w) / span))
        if (n == 0) {
                buf_printf(out, "%u,%u %u,%u", x0, Y(current), x0 + w, Y(current));
                return;
        }
        for (size_t k = n; k > 0; k--) {
                const Change *r = &rows[k - 1];
                uint64_t t = r->time_usec > now ? now : r->time_usec;
                /* A GONE row (-1) draws as 0: the unit exposes nothing while absent. */
                unsigned x = X(t), y = Y(r->exposure > 0 ? (unsigned) r->exposure : 0u);
                if (k != n)
                        buf_printf(out, " %u,%u", x, prev_y);
                buf_printf(out, "%s%u,%u", k == n ? "" : " ", x, y);
                prev_y = y;
        }
        buf_printf(out, " %u,%u", x0 + w, prev_y);
#undef X
#undef Y
}

void render_svg_sparkline(const Change *rows, size_t n, unsigned current, uint64_t now_usec,
                          Buf *out) {
        buf_puts(out, "<svg class=\"spark\" viewBox=\"0 0 100 24\" width=\"100\" height=\"24\" "
                      "role=\"img\" aria-label=\"exposure trend, now ");
        render_tenths(out, current);
        buf_puts(out, "\"><polyline class=\"line\" points=\"");
        step_points(rows, n, current, now_usec, 1, 98, 2, 20, out);
        buf_puts(out, "\"/></svg>");
}

void render_svg_chart(const Change *rows, size_t n, unsigned current, uint64_t now_usec,
                      Buf *out) {
        /* Plot area: x 40..580, y 10..190 (180 px for 0.0..10.0). */
        static const struct { unsigned tenths; const char *cls; } bands[] = {
                { 90, "p-unsafe" }, { 75, "p-exposed" }, { 50, "p-medium" }, { 10, "p-ok" },
        };
        unsigned prev = 100;

        buf_puts(out, "<svg class=\"chart\" viewBox=\"0 0 600 220\" width=\"600\" height=\"220\" "
                      "role=\"img\" aria-label=\"exposure history\">");
        /* Predicate bands, top to bottom. */
        for (size_t i = 0; i < ELEMENTSOF(bands); i++) {
                unsigned top = 10 + (100 - prev) * 180 / 100;
                unsigned bottom = 10 + (100 - bands[i].tenths) * 180 / 100;
                buf_printf(out, "<rect class=\"band %s\" x=\"40\" y=\"%u\" width=\"540\" "
                                "height=\"%u\"/>", bands[i].cls, top, bottom - top);
                prev = bands[i].tenths;
        }
        for (unsigned v = 0; v <= 100; v += 25) {
                unsigned y = 10 + (100 - v) * 180 / 100;
                buf_printf(out, "<line class=\"grid\" x1=\"40\" y1=\"%u\" x2=\"580\" y2=\"%u\"/>"
                                "<text class=\"axis\" x=\"34\" y=\"%u\" text-anchor=\"end\">",
                           y, y, y + 4);
                render_tenths(out, v);
                buf_puts(out, "</text>");
        }
        buf_puts(out, "<polyline class=\"line\" points=\"");
        step_points(rows, n, current, now_usec, 40, 540, 10, 180, out);
        buf_puts(out, "\"/>");
        if (n > 0) {
                buf_puts(out, "<text class=\"axis\" x=\"40\" y=\"210\">");
                render_rfc3339(out, rows[n - 1].time_usec);
                buf_puts(out, "</text>");
        }
        buf_puts(out, "<text class=\"axis\" x=\"580\" y=\"210\" text-anchor=\"end\">");
        render_rfc3339(out, now_usec);
        buf_puts(out, "</text></svg>");
}

/* ---- pages ---- */

static bool contains_ci(const char *hay, const char *needle) {
        size_t n = strlen(needle);
        if (!hay)
                return false;
        for (; *hay; hay++)
                if (strncasecmp(hay, needle, n) == 0)
                        return true;
        return n == 0;
}

typedef struct Row {
        const UnitState *u;
        size_t index; /* in State.units */
} Row;

static int cmp_rows(const void *a, const void *b, void *userdata) {
        const UnitState *x = ((const Row *) a)->u, *y = ((const Row *) b)->u;
        const DashboardQuery *q = userdata;

        switch (q->sort) {
        case SORT_NAME:
                return strcmp(x->id, y->id);
        case SORT_CHANGE:
                if (x->last_change_usec != y->last_change_usec)
                        return x->last_change_usec < y->last_change_usec ? 1 : -1;
                return strcmp(x->id, y->id);
        default:
                if (x->report.exposure != y->report.exposure)
                        return x->report.exposure < y->report.exposure ? 1 : -1;
                return strcmp(x->id, y->id);
        }
}

static void event_rows(Buf *b, const RenderOptions *o, const Change *rows, size_t n) {
        Buf detail = {};

        buf_puts(b, "<table class=\"events\"><thead><tr><th>When</th><th>Service</th>"
                    "<th>Event</th><th class=\"num\">Exposure</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < n; i++) {
                const Change *e = &rows[i];
                const char *k = event_kind_to_string(e->kind);
                buf_puts(b, "<tr><td>");
                ago(b, e->time_usec, o->now_usec);
                buf_puts(b, "</td><td>");
                if (e->unit && e->user) {
                        /* a lingering user's unit: no unit page of its own */
                        render_html_escape(b, e->unit);
                        buf_puts(b, " (user ");
                        render_html_escape(b, e->user);
                        buf_putc(b, ')');
                } else if (e->unit)
                        unit_link(b, e->unit);
                else
                        buf_puts(b, "(system)");
                buf_printf(b, "</td><td class=\"ev-%s\">%s", k ? k : "x", k ? k : "?");
                buf_clear(&detail);
                render_change_detail(&detail, e);
                if (detail.len > 0) {
                        buf_puts(b, ": ");
                        render_html_escape(b, detail.data);
                }
                buf_puts(b, "</td><td class=\"num\">");
                if (e->previous >= 0 && e->exposure >= 0 && !event_kind_is_policy(e->kind)) {
                        render_tenths(b, (unsigned) e->previous);
                        buf_puts(b, " \xe2\x86\x92 ");
                }
                if (e->exposure >= 0) {
                        render_tenths(b, (unsigned) e->exposure);
                        buf_putc(b, ' ');
                        badge(b, e->predicate);
                }
                buf_puts(b, "</td></tr>\n");
        }
        buf_puts(b, "</tbody></table>\n");
        buf_done(&detail);
}

/* The services the view counts: systemd-analyze's set, plus the oneshot ones when asked. */
static size_t view_units(const State *s, const DashboardQuery *q) {
        size_t n = 0;

        for (size_t i = 0; i < s->n_units; i++)
                n += q->oneshot || !s->units[i]->oneshot;
        return n;
}

static void summary(Buf *b, const State *s, const RenderOptions *o, const DashboardQuery *q) {
        size_t counts[_PREDICATE_MAX], more[_PREDICATE_MAX], n, n_oneshot;

        n = state_count_predicates(s, false, counts);
        n_oneshot = state_count_predicates(s, true, more);
        if (q->oneshot)
                for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                        counts[p] += more[p];
        buf_puts(b, "<section class=\"summary\">");
        if (!s->bus_up)
                buf_puts(b, "<p class=\"alert\">The connection to the systemd manager is lost: "
                            "scores are stale.</p>");
        buf_printf(b, "<p><strong>%zu</strong> services", q->oneshot ? n + n_oneshot : n);
        if (n_oneshot > 0)
                buf_printf(b, q->oneshot ? " (%zu of them Type=oneshot)" :
                                           " (and %zu Type=oneshot, which systemd-analyze "
                                           "security skips, not counted)", n_oneshot);
        if (s->systemd_version) {
                buf_puts(b, " on systemd ");
                render_html_escape(b, s->systemd_version);
        }
        if (s->table_choice.table) {
                /* which table scored them, and how it was checked (docs/versions.md) */
                buf_puts(b, " (scoring table ");
                render_html_escape(b, s->table_choice.table->name);
                buf_puts(b, ", checked: ");
                render_html_escape(b, score_checked_to_string(s->table_choice.checked));
                buf_puts(b, ")");
        }
        buf_puts(b, ", last scan ");
        ago(b, s->last_scan_usec, o->now_usec);
        buf_puts(b, ".</p><ul class=\"counts\" id=\"counts\">");
        for (Predicate p = _PREDICATE_MAX - 1; p >= 0; p--) {
                buf_puts(b, "<li>");
                badge(b, p);
                buf_printf(b, " %zu</li>", counts[p]);
        }
        buf_puts(b, "</ul></section>\n");
}

static const char *const dashboard_sorts[] = { "exposure", "name", "change" };

static size_t dashboard_per_page(const DashboardQuery *q) {
        if (q->per_page == 0)
                return RENDER_DASHBOARD_DEFAULT;
        return q->per_page < RENDER_DASHBOARD_MAX ? q->per_page : RENDER_DASHBOARD_MAX;
}

void render_dashboard_select(const State *s, const DashboardQuery *q, size_t *ret_idx,
                             size_t *ret_n, size_t *ret_match, size_t *ret_page) {
        Row *v = xcalloc(s->n_units ? s->n_units : 1, sizeof(*v));
        DashboardQuery qc = *q; /* qsort_r wants a mutable pointer */
        size_t n = 0, per = dashboard_per_page(q), pages, pg, first, k;

        for (size_t i = 0; i < s->n_units; i++) {
                const UnitState *u = s->units[i];
                if (u->oneshot && !q->oneshot)
                        continue;
                if (q->min_predicate >= 0 && u->report.predicate < q->min_predicate)
                        continue;
                if (q->by_policy && u->policy.status != q->policy)
                        continue;
                if (!isempty(q->text) && !contains_ci(u->id, q->text) &&
                    !contains_ci(u->props.description, q->text))
                        continue;
                v[n++] = (Row) { u, i };
        }
        qsort_r(v, n, sizeof(*v), cmp_rows, &qc);
        pages = n == 0 ? 1 : (n + per - 1) / per;
        pg = q->page == 0 ? 1 : q->page < pages ? q->page : pages;
        first = (pg - 1) * per;
        for (k = 0; first + k < n && k < per; k++)
                ret_idx[k] = v[first + k].index;
        *ret_n = k;
        *ret_match = n;
        *ret_page = pg;
        free(v);
}

/* href of dashboard page pg with q's filters: "/?q=...&amp;page=N" (escaped for an attribute). */
static void dashboard_href(Buf *b, const DashboardQuery *q, size_t pg) {
        buf_puts(b, "/?q=");
        render_url_encode(b, q->text ? q->text : "");
        buf_puts(b, "&amp;predicate=");
        if (q->min_predicate >= 0)
                buf_puts(b, predicate_to_string(q->min_predicate));
        if (q->by_policy)
                buf_printf(b, "&amp;policy=%s", policy_status_to_string(q->policy));
        buf_printf(b, "&amp;sort=%s", dashboard_sorts[q->sort]);
        if (q->oneshot)
                buf_puts(b, "&amp;oneshot=yes");
        if (q->per_page != 0)
                buf_printf(b, "&amp;limit=%zu", dashboard_per_page(q));
        buf_printf(b, "&amp;page=%zu", pg);
}

/* First / previous / "page x of y" / next / last: plain links, no JS needed. */
static void pager(Buf *b, const DashboardQuery *q, size_t pg, size_t pages) {
        static const struct { const char *label, *rel; } links[] = {
                { "\xc2\xab First", NULL }, { "\xe2\x80\xb9 Previous", "prev" },
                { "Next \xe2\x80\xba", "next" }, { "Last \xc2\xbb", NULL },
        };
        size_t to[] = { 1, pg - 1, pg + 1, pages };

        if (pages <= 1)
                return;
        buf_puts(b, "<nav class=\"pager\" aria-label=\"Pages\">");
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                bool off = i < 2 ? pg == 1 : pg == pages;
                if (i == 2)
                        buf_printf(b, "<span class=\"page\">Page %zu of %zu</span> ", pg, pages);
                if (off) {
                        buf_printf(b, "<span class=\"off\">%s</span> ", links[i].label);
                        continue;
                }
                buf_puts(b, "<a href=\"");
                dashboard_href(b, q, to[i]);
                buf_puts(b, "\"");
                if (links[i].rel)
                        buf_printf(b, " rel=\"%s\"", links[i].rel);
                buf_printf(b, ">%s</a> ", links[i].label);
        }
        buf_puts(b, "</nav>\n");
}

/* A unit's policy status, with the ceiling when it has one: "over-policy (max 7.5)". */
static void policy_badge(Buf *b, const PolicyVerdict *v) {
        const char *st = policy_status_to_string(v->status);

        buf_printf(b, "<span class=\"pol pol-%s\">%s</span>", st ? st : "x", st ? st : "?");
        if (policy_verdict_ceiling(v) >= 0) {
                buf_puts(b, " <span class=\"ceiling\">max ");
                render_tenths(b, (unsigned) v->ceiling);
                buf_puts(b, "</span>");
        }
}

/* "FILE:LINE" of a rule, escaped. */
static void rule_where(Buf *b, const PolicyRule *r) {
        render_html_escape(b, r->file);
        buf_printf(b, ":%u", r->line);
}

/* user_managers = lingering: the lingering users' services (State.user_units, by user), each
 * labelled by its user. In memory only: no history, no policy, no unit page. */
static void user_units_table(Buf *b, const State *s) {
        if (s->n_user_units == 0)
                return;
        buf_printf(b, "<h2>User managers</h2>\n<p class=\"shown\">%zu services of lingering "
                      "users.</p>\n<table class=\"units\" id=\"user-units\"><thead><tr>"
                      "<th>User</th><th>Service</th><th class=\"num\">Exposure</th>"
                      "<th>Predicate</th><th class=\"num\">Failed checks</th></tr></thead>"
                      "<tbody>\n", s->n_user_units);
        for (size_t i = 0; i < s->n_user_units; i++) {
                const UnitState *u = s->user_units[i];

                buf_puts(b, "<tr data-user=\"");
                render_html_escape(b, u->user);
                buf_puts(b, "\" data-unit=\"");
                render_html_escape(b, u->id);
                buf_puts(b, "\"><td class=\"user\">");
                render_html_escape(b, u->user);
                buf_puts(b, "</td><td>");
                render_html_escape(b, u->id);
                if (u->props.description) {
                        buf_puts(b, "<div class=\"desc\">");
                        render_html_escape(b, u->props.description);
                        buf_puts(b, "</div>");
                }
                buf_puts(b, "</td><td class=\"num exposure\">");
                render_tenths(b, u->report.exposure);
                buf_puts(b, "</td><td class=\"pred\">");
                badge(b, u->report.predicate);
                buf_printf(b, "</td><td class=\"num\">%u</td></tr>\n",
                           render_failed_checks(&u->report));
        }
        buf_puts(b, "</tbody></table>\n");
}

void render_html_dashboard(const State *s, const RenderOptions *o, const DashboardQuery *q,
                           const Sparkline *sparks, const Change *events, size_t n_events,
                           Buf *out) {
        Buf b = {};
        size_t *idx = xcalloc(s->n_units ? s->n_units : 1, sizeof(*idx));
        size_t n, n_match, pg, per = dashboard_per_page(q), first, n_view = view_units(s, q);

        summary(&b, s, o, q);

        /* The filter form: works without JS (GET /?q=&predicate=&sort=), app.js filters live. */
        buf_puts(&b, "<form class=\"filters\" method=\"get\" action=\"/\" role=\"search\">"
                     "<label>Filter <input type=\"search\" name=\"q\" id=\"filter\" value=\"");
        render_html_escape(&b, q->text ? q->text : "");
        buf_puts(&b, "\" maxlength=\"200\" placeholder=\"unit or description\"></label> "
                     "<label>At least <select name=\"predicate\" id=\"predicate\">"
                     "<option value=\"\">any</option>");
        for (Predicate p = 0; p < _PREDICATE_MAX; p++) {
                buf_printf(&b, "<option value=\"%s\"%s>%s</option>", predicate_to_string(p),
                           q->min_predicate == p ? " selected" : "", predicate_to_string(p));
        }
        buf_puts(&b, "</select></label> <label>Policy <select name=\"policy\" id=\"policy\">"
                     "<option value=\"\">any</option>");
        for (PolicyStatus p = 0; p < _POLICY_STATUS_MAX; p++)
                buf_printf(&b, "<option value=\"%s\"%s>%s</option>", policy_status_to_string(p),
                           q->by_policy && q->policy == p ? " selected" : "",
                           policy_status_to_string(p));
        buf_puts(&b, "</select></label> <label>Sort <select name=\"sort\" id=\"sort\">");
        for (size_t i = 0; i < ELEMENTSOF(dashboard_sorts); i++)
                buf_printf(&b, "<option value=\"%s\"%s>%s</option>", dashboard_sorts[i],
                           (size_t) q->sort == i ? " selected" : "", dashboard_sorts[i]);
        buf_printf(&b, "</select></label> <label><input type=\"checkbox\" name=\"oneshot\" "
                       "id=\"oneshot\" value=\"yes\"%s> Type=oneshot too</label> ",
                   q->oneshot ? " checked" : "");
        if (q->per_page != 0)
                /* a chosen page size survives Apply; the page itself starts over at 1 */
                buf_printf(&b, "<input type=\"hidden\" name=\"limit\" value=\"%zu\">", per);
        buf_puts(&b, "<button type=\"submit\">Apply</button></form>\n");

        render_dashboard_select(s, q, idx, &n, &n_match, &pg);
        first = (pg - 1) * per;
        if (n_match > n)
                buf_printf(&b, "<p class=\"shown\" id=\"shown\">Showing %zu-%zu of %zu matching "
                               "(%zu services).</p>\n", first + 1, first + n, n_match,
                           n_view);
        else
                buf_printf(&b, "<p class=\"shown\" id=\"shown\">Showing %zu of %zu "
                               "services.</p>\n", n_match, n_view);
        pager(&b, q, pg, n_match == 0 ? 1 : (n_match + per - 1) / per);
        buf_puts(&b, "<table class=\"units sortable\" id=\"units\"><thead><tr>"
                     "<th data-key=\"name\">Service</th>"
                     "<th data-key=\"exposure\" class=\"num\">Exposure</th>"
                     "<th>Predicate</th>"
                     "<th data-key=\"failed\" class=\"num\">Failed checks</th>"
                     "<th data-key=\"policy\">Policy</th>"
                     "<th data-key=\"change\">Last change</th>"
                     "<th>Trend</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < n; i++) {
                const UnitState *u = s->units[idx[i]];
                const Sparkline *sp = sparks ? &sparks[idx[i]] : NULL;
                unsigned failed = render_failed_checks(&u->report);
                buf_puts(&b, "<tr data-unit=\"");
                render_html_escape(&b, u->id);
                buf_printf(&b, "\" data-exposure=\"%u\" data-failed=\"%u\" data-change=\"%llu\" "
                               "data-predicate=\"%d\" data-policy=\"%s\"><td>",
                           u->report.exposure, failed, (unsigned long long) u->last_change_usec,
                           (int) u->report.predicate,
                           policy_status_to_string(u->policy.status));
                unit_link(&b, u->id);
                if (u->props.description) {
                        buf_puts(&b, "<div class=\"desc\">");
                        render_html_escape(&b, u->props.description);
                        buf_puts(&b, "</div>");
                }
                buf_puts(&b, "</td><td class=\"num exposure\">");
                render_tenths(&b, u->report.exposure);
                buf_puts(&b, "</td><td class=\"pred\">");
                badge(&b, u->report.predicate);
                buf_printf(&b, "</td><td class=\"num\">%u</td><td class=\"policy\">", failed);
                policy_badge(&b, &u->policy);
                buf_puts(&b, "</td><td>");
                ago(&b, u->last_change_usec, o->now_usec);
                buf_puts(&b, "</td><td>");
                render_svg_sparkline(sp ? sp->rows : NULL, sp ? sp->n : 0,
                                     u->report.exposure, o->now_usec, &b);
                buf_puts(&b, "</td></tr>\n");
        }
        buf_puts(&b, "</tbody></table>\n");
        pager(&b, q, pg, n_match == 0 ? 1 : (n_match + per - 1) / per);
        user_units_table(&b, s);

        buf_puts(&b, "<section class=\"feed\"><h2>Recent regressions</h2>\n");
        if (n_events > 0)
                event_rows(&b, o, events, n_events);
        else
                buf_puts(&b, "<p>None recorded.</p>\n");
        buf_puts(&b, "<p><a href=\"/events\">All events</a></p></section>\n");

        page(out, "Services", &b);
        buf_done(&b);
        free(idx);
}

typedef struct CheckOrder {
        size_t index;
        int64_t key;
} CheckOrder;

/* A failing check's key is its share of the badness sum (the formula's first stage, rounded up
 * as score.c does); passing checks sort after every failing one, not applicable ones last. */
static int64_t check_order_key(const ScoreCheck *c) {
        if (c->badness == BADNESS_NA)
                return -2;
        if (c->badness == 0 || c->range == 0)
                return -1;
        return (int64_t) ((c->badness * c->weight + c->range - 1) / c->range);
}

static int cmp_check_order(const void *a, const void *b) {
        const CheckOrder *x = a, *y = b;
        if (x->key != y->key)
                return x->key > y->key ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* The unit page's changes: each stored change with what changed in the unit's files
 * (blame.h), newest first, at most UNIT_CHANGES_MAX. */
#define UNIT_CHANGES_MAX 20
static void blame_rows(Buf *b, const RenderOptions *o, const Change *rows, size_t n) {
        Buf line = {};
        size_t shown = 0;

        for (size_t i = 0; i < n && shown == 0; i++)
                shown += rows[i].blame != NULL;
        if (shown == 0)
                return;
        buf_puts(b, "<h2>Changes</h2>\n<table class=\"changes\" id=\"changes\"><thead><tr>"
                    "<th>When</th><th>Event</th><th class=\"num\">Exposure</th>"
                    "<th>What changed</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < n && i < UNIT_CHANGES_MAX; i++) {
                const Change *c = &rows[i];
                const BlameRecord *bl = c->blame;
                const char *k = event_kind_to_string(c->kind);

                buf_puts(b, "<tr><td>");
                ago(b, c->time_usec, o->now_usec);
                buf_printf(b, "</td><td class=\"ev-%s\">%s</td><td class=\"num\">", k ? k : "x",
                           k ? k : "?");
                if (c->previous >= 0 && c->exposure >= 0) {
                        render_tenths(b, (unsigned) c->previous);
                        buf_puts(b, " \xe2\x86\x92 ");
                }
                if (c->exposure >= 0)
                        render_tenths(b, (unsigned) c->exposure);
                buf_puts(b, "</td><td class=\"blame\">");
                if (bl && bl->n_lines > 0) {
                        buf_puts(b, "<ul>");
                        for (size_t j = 0; j < bl->n_lines; j++) {
                                buf_clear(&line);
                                render_blame_line(&line, &bl->lines[j]);
                                buf_puts(b, "<li><code>");
                                render_html_escape(b, line.data);
                                buf_puts(b, "</code></li>");
                        }
                        if (bl->n_lines_omitted > 0)
                                buf_printf(b, "<li>and %llu more lines</li>",
                                           (unsigned long long) bl->n_lines_omitted);
                        buf_puts(b, "</ul>");
                } else if (bl) {
                        buf_clear(&line);
                        render_blame_summary(&line, bl, 0);
                        render_html_escape(b, line.data);
                }
                if (bl && bl->running_exposure >= 0 && c->exposure >= 0 &&
                    bl->running_exposure != c->exposure) {
                        buf_puts(b, "<p class=\"not-live\">not live then: running with exposure ");
                        render_tenths(b, (unsigned) bl->running_exposure);
                        buf_puts(b, " until a restart</p>");
                }
                buf_puts(b, "</td></tr>\n");
        }
        buf_puts(b, "</tbody></table>\n");
        buf_done(&line);
}

void render_html_unit(const State *s, const UnitState *u, const RenderOptions *o,
                      const Change *rows, size_t n_rows, const char *plan_section, Buf *out) {
        const ScoreReport *r = &u->report;
        Buf b = {}, d = {};

        buf_puts(&b, "<h1 class=\"unit\">");
        render_html_escape(&b, u->id);
        buf_puts(&b, "</h1>\n");
        if (u->props.description) {
                buf_puts(&b, "<p class=\"desc\">");
                render_html_escape(&b, u->props.description);
                buf_puts(&b, "</p>\n");
        }
        buf_puts(&b, "<p class=\"score\">Overall exposure <strong class=\"big\">");
        render_tenths(&b, r->exposure);
        buf_puts(&b, "</strong> ");
        badge(&b, r->predicate);
        buf_printf(&b, " &middot; %u failed checks", render_failed_checks(r));
        if (u->oneshot)
                buf_puts(&b, " &middot; Type=oneshot (systemd-analyze skips it)");
        buf_puts(&b, "</p>\n");
        if (unit_state_restart_pending(u)) {
                buf_puts(&b, "<p class=\"alert restart-pending\">restart pending: running with "
                             "exposure ");
                render_tenths(&b, (unsigned) u->running_exposure);
                buf_puts(&b, " (configured ");
                render_tenths(&b, r->exposure);
                buf_puts(&b, "): the main process was started before the change and keeps its "
                             "old sandbox until the service restarts</p>\n");
        }
        if (u->props.need_daemon_reload)
                buf_puts(&b, "<p class=\"alert reload-pending\">Its unit files changed on disk "
                             "since the manager loaded them (NeedDaemonReload=yes): the score is "
                             "of the loaded configuration until a daemon-reload</p>\n");
        buf_puts(&b, "<dl class=\"facts\">");
        if (u->props.fragment_path) {
                buf_puts(&b, "<dt>Unit file</dt><dd><code>");
                render_html_escape(&b, u->props.fragment_path);
                buf_puts(&b, "</code></dd>");
        }
        buf_puts(&b, "<dt>First seen</dt><dd>");
        ago(&b, u->first_seen_usec, o->now_usec);
        buf_puts(&b, "</dd><dt>Last change</dt><dd>");
        ago(&b, u->last_change_usec, o->now_usec);
        buf_printf(&b, "</dd><dt>Regressions</dt><dd>%llu</dd>",
                   (unsigned long long) u->regressions);
        /* Where it stands against the unit policy, and by which rule. */
        buf_puts(&b, "<dt>Policy</dt><dd id=\"policy\">");
        policy_badge(&b, &u->policy);
        const PolicyRule *pr = unit_policy_verdict_rule(s ? s->policy : NULL, &u->policy, true);
        if (pr) {
                buf_puts(&b, " <span class=\"note\">(max_exposure from ");
                rule_where(&b, pr);
                buf_puts(&b, ")</span>");
        } else if ((pr = unit_policy_verdict_rule(s ? s->policy : NULL, &u->policy, false))) {
                buf_puts(&b, " <span class=\"note\">(");
                rule_where(&b, pr);
                buf_puts(&b, ")</span>");
        }
        if (u->policy.over_ceiling)
                buf_puts(&b, " &middot; exposure above max_exposure");
        if (u->policy.n_unaccepted > 0)
                buf_printf(&b, " &middot; %u failing checks not accepted",
                           u->policy.n_unaccepted);
        buf_puts(&b, "</dd></dl>\n");

        buf_puts(&b, "<h2>Exposure history</h2>\n<figure>");
        render_svg_chart(rows, n_rows, r->exposure, o->now_usec, &b);
        if (n_rows == 0)
                buf_puts(&b, "<figcaption>No history recorded yet.</figcaption>");
        buf_puts(&b, "</figure>\n");
        blame_rows(&b, o, rows, n_rows);
        if (plan_section)
                buf_puts(&b, plan_section);

        buf_puts(&b, "<h2>Checks</h2>\n<table class=\"checks sortable\" id=\"checks\"><thead><tr>"
                     "<th data-key=\"verdict\">Verdict</th><th data-key=\"name\">Check</th>"
                     "<th data-key=\"weight\" class=\"num\">Weight</th>"
                     "<th data-key=\"exposure\" class=\"num\">Exposure</th>"
                     "<th>Description</th><th>Fix</th><th>Policy</th></tr></thead><tbody>\n");
        /* What to fix first comes first: failing checks by what they add to the exposure, then
         * the passing ones, then the not applicable ones, each in table order. */
        CheckOrder order[SCORE_ROWS_MAX];
        size_t n_order = r->n_checks < SCORE_ROWS_MAX ? r->n_checks : SCORE_ROWS_MAX;
        for (size_t i = 0; i < n_order; i++)
                order[i] = (CheckOrder) { .index = i, .key = check_order_key(&r->checks[i]) };
        qsort(order, n_order, sizeof(CheckOrder), cmp_check_order);
        for (size_t k = 0; k < n_order; k++) {
                size_t i = order[k].index;
                const ScoreCheck *c = &r->checks[i];
                const char *verdict = render_check_verdict(c);
                bool fail = c->badness != BADNESS_NA && c->badness > 0;

                buf_printf(&b, "<tr class=\"v-%s\" data-weight=\"%llu\" data-exposure=\"%u\">"
                               "<td class=\"verdict\">%s</td><td><code>",
                           verdict, (unsigned long long) c->weight, c->exposure,
                           streq(verdict, "pass") ? "\xe2\x9c\x93" :
                           streq(verdict, "fail") ? "\xe2\x9c\x97" : "n/a");
                render_html_escape(&b, c->assessor ? c->assessor->id : "");
                buf_printf(&b, "</code></td><td class=\"num\">%llu</td><td class=\"num\">",
                           (unsigned long long) c->weight);
                if (c->exposure > 0)
                        render_tenths(&b, c->exposure);
                buf_puts(&b, "</td><td>");
                buf_clear(&d);
                score_check_describe(r, i, o->overrides, &d);
                render_html_escape(&b, d.data);
                buf_puts(&b, "</td><td>");
                if (fail && c->assessor && c->assessor->fix) {
                        buf_puts(&b, "<code class=\"fix\">");
                        render_html_escape(&b, c->assessor->fix);
                        buf_puts(&b, "</code>");
                }
                buf_puts(&b, "</td><td class=\"accepted\">");
                bool expired = false;
                const PolicyRule *w = unit_policy_waiver(s ? s->policy : NULL, &u->policy, i,
                                                         &expired);
                if (w) {
                        /* accepted (with reason and expiry), or a waiver that expired */
                        buf_printf(&b, "<span class=\"%s\">%s</span> ",
                                   expired ? "waiver-expired" : "waiver",
                                   expired ? "waiver expired" : "accepted");
                        render_html_escape(&b, w->reason ? w->reason : "");
                        if (w->expires) {
                                buf_puts(&b, expired ? " <span class=\"note\">(expired " : " <span class=\"note\">(until ");
                                render_html_escape(&b, w->expires);
                                buf_puts(&b, ")</span>");
                        }
                        buf_puts(&b, " <span class=\"note\">");
                        rule_where(&b, w);
                        buf_puts(&b, "</span>");
                }
                buf_puts(&b, "</td></tr>\n");
        }
        buf_puts(&b, "</tbody></table>\n<p class=\"api\">JSON: <a href=\"/api/v1/units/");
        render_url_encode(&b, u->id);
        buf_puts(&b, "\">checks</a>, <a href=\"/api/v1/units/");
        render_url_encode(&b, u->id);
        buf_puts(&b, "/history\">history</a></p>\n");

        page(out, u->id, &b);
        buf_done(&b);
        buf_done(&d);
}

void render_html_events(const RenderOptions *o, const Change *rows, size_t n, bool have_store,
                        Buf *out) {
        Buf b = {};

        buf_puts(&b, "<h1>Events</h1>\n");
        if (!have_store)
                buf_puts(&b, "<p>No history database is configured.</p>\n");
        else if (n == 0)
                buf_puts(&b, "<p>No events recorded.</p>\n");
        else
                event_rows(&b, o, rows, n);
        page(out, "Events", &b);
        buf_done(&b);
}

void render_html_error(unsigned status, const char *msg, Buf *out) {
        Buf b = {};

        buf_printf(&b, "<h1>%u</h1>\n<p>", status);
        render_html_escape(&b, msg);
        buf_puts(&b, "</p>\n<p><a href=\"/\">Back to the services</a></p>\n");
        page(out, "Error", &b);
        buf_done(&b);
}
