/* SPDX-License-Identifier: MIT */
/* Fleet JSON and HTML (see render-fleet.h). JSON goes through json-c; exposures are written as
 * systemd prints them ("9.6"), times as unix seconds. HTML escapes every datum with
 * render_html_escape() and URL parts with render_url_encode(). The page says where its data
 * came from: fresh from Prometheus, or the last good answer and how old it is, with the reason
 * Prometheus could not be asked now. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "render-fleet.h"
#include "render-json.h"
#include "render.h"
#include "util.h"

/* hundredths, with a trailing zero dropped: 305 -> 3.05, 310 -> 3.1, 300 -> 3.0 */
static void hundredths_text(unsigned h, char s[16]) {
        if (h % 10 == 0)
                (void) snprintf(s, 16, "%u.%u", h / 100, h / 10 % 10);
        else
                (void) snprintf(s, 16, "%u.%02u", h / 100, h % 100);
}

static json_object *jhundredths(unsigned h) {
        char s[16];

        hundredths_text(h, s);
        return json_object_new_double_s(h / 100.0, s);
}

static int emit(json_object *o, Buf *out) {
        return render_json_emit(o, JSON_C_TO_STRING_PLAIN, out);
}

static bool url_safe(const char *s) {
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]",
                            *s))
                        return false;
        return true;
}

void render_fleet_host_url(Buf *out, const char *template, const char *instance,
                           const char *hostname, const char *unit) {
        const char *t = template;

        while (*t) {
                const char *v = NULL;
                size_t skip = 0;

                if (startswith(t, "{instance}"))
                        v = instance, skip = strlen("{instance}");
                else if (startswith(t, "{hostname}"))
                        v = hostname ? hostname : instance, skip = strlen("{hostname}");
                if (!skip) {
                        buf_putc(out, *t++);
                        continue;
                }
                if (url_safe(v))
                        buf_puts(out, v);
                else
                        render_url_encode(out, v);
                t += skip;
        }
        if (unit) {
                if (out->len == 0 || out->data[out->len - 1] != '/')
                        buf_putc(out, '/');
                buf_puts(out, "units/");
                render_url_encode(out, unit);
        }
}

bool render_fleet_host_url_valid(const char *template) {
        const char *t;

        if (!startswith(template, "http://") && !startswith(template, "https://"))
                return false;
        for (t = template; *t; t++) {
                if ((unsigned char) *t <= 0x20 || *t == 0x7f || *t == '"' || *t == '<' ||
                    *t == '>' || *t == '\\')
                        return false;
                if (*t == '{') {
                        if (startswith(t, "{instance}"))
                                t += strlen("{instance}") - 1;
                        else if (startswith(t, "{hostname}"))
                                t += strlen("{hostname}") - 1;
                        else
                                return false;
                } else if (*t == '}')
                        return false;
        }
        return true;
}

const char *fleet_source_to_string(FleetSource s) {
        static const char *const names[_FLEET_SOURCE_MAX] = {
                [FLEET_SOURCE_RECORDED] = "recorded",
                [FLEET_SOURCE_RAW] = "raw",
                [FLEET_SOURCE_MIXED] = "mixed",
        };

        return s >= 0 && s < _FLEET_SOURCE_MAX ? names[s] : NULL;
}

/* {"source": "recorded", "window_seconds": 900, "recorded_time": T, "recorded_age_seconds": N}:
 * the time is null when unknown or when nothing recorded was read */
static json_object *jaggregates(const FleetStatus *st) {
        json_object *o = json_object_new_object();
        bool known = st->recorded_time && st->source != FLEET_SOURCE_RAW;

        if (!o)
                return NULL;
        add(o, "source", json_object_new_string(fleet_source_to_string(st->source)));
        add(o, "window_seconds", json_object_new_int64(FLEET_RECORDED_WINDOW_SEC));
        add(o, "recorded_time", known ? json_object_new_int64((int64_t) st->recorded_time) : NULL);
        add(o, "recorded_age_seconds",
            known ? json_object_new_int64((int64_t) (st->now > st->recorded_time ?
                                                             st->now - st->recorded_time : 0)) :
                    NULL);
        return o;
}

static json_object *jstatus(const FleetStatus *st) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        add(o, "fresh", json_object_new_boolean(!st->error));
        add(o, "error", jstr(st->error));
        add(o, "data_time", json_object_new_int64((int64_t) st->data_time));
        add(o, "age_seconds", json_object_new_int64(
                                      (int64_t) (st->now > st->data_time ? st->now - st->data_time :
                                                                           0)));
        if (st->source != FLEET_SOURCE_NONE)
                add(o, "aggregates", jaggregates(st));
        return o;
}

/* root {"<key>": [], "count": n, "prometheus": {...}}: returns the array */
static json_object *root_with_array(json_object *root, const char *key, size_t n,
                                    const FleetStatus *st) {
        json_object *arr = json_object_new_array_ext((int) n);

        if (!arr)
                return NULL;
        add(root, key, arr);
        add(root, "count", json_object_new_int64((int64_t) n));
        add(root, "prometheus", jstatus(st));
        return arr;
}

static int push(json_object *arr, json_object *o) {
        if (!o || json_object_array_add(arr, o) < 0) {
                json_putp(&o);
                return -ENOMEM;
        }
        return 0;
}

int render_fleet_json_hosts(const FleetHosts *h, const FleetStatus *st, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr = root ? root_with_array(root, "hosts", h->n, st) : NULL;

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < h->n; i++) {
                const FleetHost *x = &h->hosts[i];
                json_object *o = json_object_new_object(), *bp = json_object_new_object();

                if (push(arr, o) < 0 || !bp) {
                        json_putp(&bp);
                        return -ENOMEM;
                }
                add(o, "instance", jstr(x->instance));
                add(o, "hostname", jstr(x->hostname));
                add(o, "systemd_version", jstr(x->systemd_version));
                add(o, "os_id", jstr(x->os_id));
                add(o, "os_version_id", jstr(x->os_version_id));
                add(o, "kernel", jstr(x->kernel));
                add(o, "up", json_object_new_boolean(x->up));
                add(o, "bus_up", json_object_new_boolean(x->bus_up));
                add(o, "stale", json_object_new_boolean(x->stale));
                add(o, "last_scan", x->last_scan ? json_object_new_int64((int64_t) x->last_scan) :
                                                   NULL);
                add(o, "services", json_object_new_int64(x->services));
                add(o, "worst", x->worst >= 0 ? jtenths((unsigned) x->worst) : NULL);
                add(o, "by_predicate", bp);
                for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                        add(bp, predicate_to_string(p), json_object_new_int64(x->by_predicate[p]));
                if (st->host_url) {
                        Buf u = {};
                        render_fleet_host_url(&u, st->host_url, x->instance, x->hostname, NULL);
                        add(o, "url", jstr(u.data));
                        buf_done(&u);
                }
        }
        return emit(root, out);
}

int render_fleet_json_units(const FleetUnits *u, const FleetStatus *st, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr = root ? root_with_array(root, "units", u->n, st) : NULL;

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < u->n; i++) {
                const FleetUnit *x = &u->units[i];
                json_object *o = json_object_new_object();

                if (push(arr, o) < 0)
                        return -ENOMEM;
                add(o, "unit", jstr(x->unit));
                add(o, "hosts", json_object_new_int64(x->hosts));
                add(o, "min", jtenths(x->min));
                add(o, "median", jhundredths(x->median100));
                add(o, "max", jtenths(x->max));
                add(o, "drift", json_object_new_boolean(x->drift));
        }
        return emit(root, out);
}

int render_fleet_json_unit(const FleetUnitHosts *u, const FleetStatus *st, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr;

        if (!root)
                return -ENOMEM;
        add(root, "unit", jstr(u->unit));
        add(root, "drift", json_object_new_boolean(u->drift));
        arr = root_with_array(root, "hosts", u->n, st);
        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < u->n; i++) {
                const FleetUnitHost *x = &u->hosts[i];
                json_object *o = json_object_new_object();

                if (push(arr, o) < 0)
                        return -ENOMEM;
                add(o, "instance", jstr(x->instance));
                add(o, "hostname", jstr(x->hostname));
                add(o, "exposure", jtenths(x->exposure));
                add(o, "predicate", jstr(predicate_to_string(x->predicate)));
                if (st->host_url) {
                        Buf b = {};
                        render_fleet_host_url(&b, st->host_url, x->instance, x->hostname,
                                              u->unit);
                        add(o, "url", jstr(b.data));
                        buf_done(&b);
                }
        }
        return emit(root, out);
}

static json_object *jside(const FleetDiffSide *s) {
        json_object *o;

        if (!s->present)
                return NULL;
        o = json_object_new_object();
        if (!o)
                return NULL;
        add(o, "verdict", jstr(s->verdict));
        add(o, "exposure", s->exposure >= 0 ? jtenths((unsigned) s->exposure) : NULL);
        add(o, "description", jstr(s->description));
        return o;
}

int render_fleet_json_diff(const FleetDiff *d, const char *a, const char *b,
                           const FleetStatus *st, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *ja = json_object_new_object(), *jb = json_object_new_object(), *arr;

        if (!root || !ja || !jb) {
                json_putp(&ja);
                json_putp(&jb);
                return -ENOMEM;
        }
        add(root, "unit", jstr(d->unit));
        add(root, "a", ja);
        add(root, "b", jb);
        add(ja, "instance", jstr(a));
        add(ja, "exposure", jtenths(d->exposure_a));
        add(jb, "instance", jstr(b));
        add(jb, "exposure", jtenths(d->exposure_b));
        add(root, "compared", json_object_new_int64((int64_t) d->n_compared));
        arr = root_with_array(root, "checks", d->n, st);
        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < d->n; i++) {
                const FleetDiffCheck *c = &d->checks[i];
                json_object *o = json_object_new_object();

                if (push(arr, o) < 0)
                        return -ENOMEM;
                add(o, "name", jstr(c->name));
                add(o, "a", jside(&c->a));
                add(o, "b", jside(&c->b));
        }
        return emit(root, out);
}

int render_fleet_json_regressions(const FleetRegressions *r, const FleetStatus *st, Buf *out) {
        _cleanup_json_ json_object *root = json_object_new_object();
        json_object *arr;

        if (!root)
                return -ENOMEM;
        add(root, "since", json_object_new_int64((int64_t) r->since));
        add(root, "step_seconds", json_object_new_int64((int64_t) r->step));
        add(root, "source", json_object_new_string(r->recorded ? "recorded" : "raw"));
        add(root, "truncated", json_object_new_boolean(r->truncated));
        arr = root_with_array(root, "regressions", r->n, st);
        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < r->n; i++) {
                const FleetRegression *x = &r->rows[i];
                json_object *o = json_object_new_object();

                if (push(arr, o) < 0)
                        return -ENOMEM;
                add(o, "instance", jstr(x->instance));
                add(o, "hostname", jstr(x->hostname));
                add(o, "unit", jstr(x->unit));
                add(o, "time", json_object_new_int64((int64_t) x->time));
                add(o, "count", json_object_new_int64(x->count));
        }
        return emit(root, out);
}

/* ---- HTML ---- */

static void esc(Buf *out, const char *s) {
        render_html_escape(out, s ? s : "");
}

static void pred_class(Buf *out, Predicate p) {
        const char *s = predicate_to_string(p);
        buf_puts(out, "p-");
        for (; s && *s; s++)
                buf_putc(out, (char) (*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s));
}

static void badge(Buf *out, unsigned tenths, Predicate p) {
        buf_puts(out, "<span class=\"badge ");
        pred_class(out, p);
        buf_puts(out, "\">");
        render_tenths(out, tenths);
        buf_putc(out, ' ');
        buf_puts(out, predicate_to_string(p) ? predicate_to_string(p) : "?");
        buf_puts(out, "</span>");
}

static void duration(Buf *out, uint64_t d) {
        if (d < 60)
                buf_printf(out, "%llu s", (unsigned long long) d);
        else if (d < 3600)
                buf_printf(out, "%llu min", (unsigned long long) (d / 60));
        else if (d < 86400 * 2)
                buf_printf(out, "%llu h", (unsigned long long) (d / 3600));
        else
                buf_printf(out, "%llu days", (unsigned long long) (d / 86400));
}

static void ago(Buf *out, uint64_t t, uint64_t now) {
        if (t == 0) {
                buf_puts(out, "\xe2\x80\x94");
                return;
        }
        buf_puts(out, "<time datetime=\"");
        render_rfc3339(out, t * 1000000);
        buf_puts(out, "\" title=\"");
        render_rfc3339(out, t * 1000000);
        buf_puts(out, "\">");
        duration(out, now > t ? now - t : 0);
        buf_puts(out, " ago</time>");
}

/* Where the aggregates came from, as one sentence (nothing for a page without them). */
static void source_line(Buf *out, const FleetStatus *st) {
        if (st->source == FLEET_SOURCE_NONE)
                return;
        buf_puts(out, "<p class=\"status\" id=\"source\" data-source=\"");
        buf_puts(out, fleet_source_to_string(st->source));
        buf_puts(out, "\">");
        if (st->source == FLEET_SOURCE_RAW) {
                buf_printf(out, "Aggregates computed by Prometheus for this page from the raw "
                                "series: no recording rule result in the last %u minutes (the "
                                "rules are not loaded, or their evaluation fell behind).</p>\n",
                           FLEET_RECORDED_WINDOW_SEC / 60);
                return;
        }
        buf_puts(out, st->source == FLEET_SOURCE_MIXED ?
                              "Aggregates partly from Prometheus' recording rules" :
                              "Aggregates from Prometheus' recording rules");
        if (st->recorded_time) {
                buf_puts(out, ", evaluated ");
                ago(out, st->recorded_time, st->now);
        }
        if (st->source == FLEET_SOURCE_MIXED)
                buf_puts(out, ", partly computed from the raw series");
        buf_printf(out, " (a recorded series is read while at most %u minutes old).</p>\n",
                   FLEET_RECORDED_WINDOW_SEC / 60);
}

static void status_line(Buf *out, const FleetStatus *st) {
        if (!st->error) {
                buf_puts(out, "<p class=\"status\" id=\"status\">Live from Prometheus, ");
                ago(out, st->data_time, st->now);
                buf_puts(out, ".</p>\n");
                source_line(out, st);
                return;
        }
        buf_puts(out, "<p class=\"status error\" id=\"status\" role=\"alert\">Prometheus is not "
                      "answering: ");
        esc(out, st->error);
        if (st->data_time) {
                buf_puts(out, ". Showing its last answer, from ");
                ago(out, st->data_time, st->now);
                buf_puts(out, " (");
                duration(out, st->now > st->data_time ? st->now - st->data_time : 0);
                buf_puts(out, " stale).");
        } else {
                buf_puts(out, ".");
        }
        buf_puts(out, "</p>\n");
        source_line(out, st);
}

static void host_link(Buf *out, const FleetStatus *st, const char *instance, const char *hostname,
                      const char *unit, const char *text) {
        Buf u = {};

        if (!st->host_url) {
                esc(out, text);
                return;
        }
        render_fleet_host_url(&u, st->host_url, instance, hostname, unit);
        buf_puts(out, "<a href=\"");
        esc(out, u.data);
        buf_puts(out, "\">");
        esc(out, text);
        buf_puts(out, "</a>");
        buf_done(&u);
}

static void fleet_unit_href(Buf *out, const char *unit) {
        buf_puts(out, "/units/");
        render_url_encode(out, unit);
}

static void frame(Buf *out, const char *title, Buf *body) {
        render_html_page(out, "fleet.html", title, body);
        buf_done(body);
}

void render_fleet_html_hosts(const FleetHosts *h, const FleetStatus *st, Buf *out) {
        static const Predicate shown[] = { PREDICATE_DANGEROUS, PREDICATE_UNSAFE,
                                           PREDICATE_EXPOSED,   PREDICATE_MEDIUM,
                                           PREDICATE_OK,        PREDICATE_SAFE,
                                           PREDICATE_PERFECT };
        size_t n_up = 0, n_stale = 0;
        Buf b = {};

        for (size_t i = 0; i < h->n; i++) {
                n_up += h->hosts[i].up;
                n_stale += h->hosts[i].stale;
        }
        buf_puts(&b, "<h1>Hosts</h1>\n");
        status_line(&b, st);
        buf_printf(&b, "<ul class=\"counts\"><li><strong>%zu</strong> hosts</li><li><strong>%zu"
                       "</strong> up</li><li><strong>%zu</strong> down</li><li><strong>%zu"
                       "</strong> stale or down</li></ul>\n",
                   h->n, n_up, h->n - n_up, n_stale);
        buf_puts(&b, "<table id=\"hosts\"><thead><tr><th>Host</th><th>systemd</th><th>State"
                     "</th><th>Last scan</th><th class=\"num\">Services</th><th>Worst</th>");
        for (size_t p = 0; p < ELEMENTSOF(shown); p++) {
                buf_puts(&b, "<th class=\"num\">");
                buf_puts(&b, predicate_to_string(shown[p]));
                buf_puts(&b, "</th>");
        }
        buf_puts(&b, "</tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < h->n; i++) {
                const FleetHost *x = &h->hosts[i];

                buf_printf(&b, "<tr class=\"%s\" data-instance=\"",
                           !x->up ? "down" : x->stale ? "stale" : "ok");
                esc(&b, x->instance);
                buf_puts(&b, "\"><td>");
                host_link(&b, st, x->instance, x->hostname, NULL,
                          x->hostname ? x->hostname : x->instance);
                buf_puts(&b, "<br><span class=\"instance\">");
                esc(&b, x->instance);
                buf_puts(&b, "</span></td><td>");
                esc(&b, x->systemd_version ? x->systemd_version : "\xe2\x80\x94");
                buf_puts(&b, "</td><td>");
                if (!x->up)
                        buf_puts(&b, "<span class=\"mark down\">down</span>");
                else if (x->stale)
                        buf_puts(&b, "<span class=\"mark stale\">stale</span>");
                else
                        buf_puts(&b, "up");
                buf_puts(&b, "</td><td>");
                ago(&b, x->last_scan, st->now);
                buf_printf(&b, "</td><td class=\"num\">%u</td><td>", x->services);
                if (x->worst >= 0)
                        badge(&b, (unsigned) x->worst,
                              predicate_from_exposure((unsigned) x->worst));
                else
                        buf_puts(&b, "\xe2\x80\x94");
                buf_puts(&b, "</td>");
                for (size_t p = 0; p < ELEMENTSOF(shown); p++)
                        buf_printf(&b, "<td class=\"num\">%u</td>", x->by_predicate[shown[p]]);
                buf_puts(&b, "</tr>\n");
        }
        buf_puts(&b, "</tbody></table>\n");
        frame(out, "Hosts", &b);
}

void render_fleet_html_units(const FleetUnits *u, const FleetStatus *st, Buf *out) {
        size_t n_drift = 0;
        Buf b = {};

        for (size_t i = 0; i < u->n; i++)
                n_drift += u->units[i].drift;
        buf_puts(&b, "<h1>Services across the fleet</h1>\n");
        status_line(&b, st);
        buf_printf(&b, "<ul class=\"counts\"><li><strong>%zu</strong> services</li><li><strong>"
                       "%zu</strong> with drift (scored differently on different hosts)</li>"
                       "</ul>\n",
                   u->n, n_drift);
        buf_puts(&b, "<table id=\"units\"><thead><tr><th>Service</th><th class=\"num\">Hosts</th>"
                     "<th class=\"num\">Min</th><th class=\"num\">Median</th><th class=\"num\">"
                     "Max</th><th>Drift</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < u->n; i++) {
                const FleetUnit *x = &u->units[i];
                char med[16];

                buf_puts(&b, "<tr data-unit=\"");
                esc(&b, x->unit);
                buf_puts(&b, "\"><td><a href=\"");
                fleet_unit_href(&b, x->unit);
                buf_puts(&b, "\">");
                esc(&b, x->unit);
                buf_printf(&b, "</a></td><td class=\"num\">%u</td><td class=\"num\">", x->hosts);
                render_tenths(&b, x->min);
                hundredths_text(x->median100, med);
                buf_printf(&b, "</td><td class=\"num\">%s</td><td class=\"num\">", med);
                render_tenths(&b, x->max);
                buf_puts(&b, "</td><td>");
                if (x->drift)
                        buf_puts(&b, "<span class=\"mark drift\">drift</span>");
                buf_puts(&b, "</td></tr>\n");
        }
        buf_puts(&b, "</tbody></table>\n");
        frame(out, "Services", &b);
}

static void side_cells(Buf *b, const FleetDiffSide *s, bool differs) {
        buf_printf(b, "<td class=\"%s\">", differs ? "differs" : "");
        if (!s->present) {
                buf_puts(b, "absent</td><td></td>");
                return;
        }
        esc(b, s->verdict);
        if (s->exposure >= 0) {
                buf_puts(b, " (");
                render_tenths(b, (unsigned) s->exposure);
                buf_putc(b, ')');
        }
        buf_puts(b, "</td><td class=\"desc\">");
        esc(b, s->description);
        buf_puts(b, "</td>");
}

static void host_select(Buf *b, const FleetUnitHosts *u, const char *name, const char *chosen) {
        buf_printf(b, "<label>%s <select name=\"%s\">", name, name);
        for (size_t i = 0; i < u->n; i++) {
                buf_puts(b, "<option value=\"");
                esc(b, u->hosts[i].instance);
                buf_puts(b, streq_ptr(chosen, u->hosts[i].instance) ? "\" selected>" : "\">");
                esc(b, u->hosts[i].hostname ? u->hosts[i].hostname : u->hosts[i].instance);
                buf_puts(b, " (");
                render_tenths(b, u->hosts[i].exposure);
                buf_puts(b, ")</option>");
        }
        buf_puts(b, "</select></label> ");
}

void render_fleet_html_unit(const FleetUnitHosts *u, const FleetDiff *diff, const char *a,
                            const char *b_inst, const char *diff_error, const FleetStatus *st,
                            Buf *out) {
        Buf b = {};

        buf_puts(&b, "<h1>");
        esc(&b, u->unit);
        buf_puts(&b, "</h1>\n");
        status_line(&b, st);
        buf_printf(&b, "<p>On <strong>%zu</strong> hosts.", u->n);
        if (u->drift) {
                buf_puts(&b, " <span class=\"mark drift\">drift</span> It does not score the same "
                             "everywhere: <a href=\"");
                fleet_unit_href(&b, u->unit);
                buf_puts(&b, "?a=");
                render_url_encode(&b, u->hosts[u->n - 1].instance);
                buf_puts(&b, "&amp;b=");
                render_url_encode(&b, u->hosts[0].instance);
                buf_puts(&b, "#diff\">compare the best and the worst host</a>.");
        }
        buf_puts(&b, "</p>\n");

        buf_puts(&b, "<table id=\"unit-hosts\"><thead><tr><th>Host</th><th>Exposure</th>"
                     "<th>On the host</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < u->n; i++) {
                const FleetUnitHost *x = &u->hosts[i];

                buf_puts(&b, "<tr data-instance=\"");
                esc(&b, x->instance);
                buf_puts(&b, "\"><td>");
                esc(&b, x->hostname ? x->hostname : x->instance);
                buf_puts(&b, "<br><span class=\"instance\">");
                esc(&b, x->instance);
                buf_puts(&b, "</span></td><td>");
                badge(&b, x->exposure, x->predicate);
                buf_puts(&b, "</td><td>");
                host_link(&b, st, x->instance, x->hostname, u->unit, "every check");
                buf_puts(&b, "</td></tr>\n");
        }
        buf_puts(&b, "</tbody></table>\n");

        if (u->n >= 2) {
                buf_puts(&b, "<h2 id=\"diff\">Why two hosts differ</h2>\n<form class=\"pair\" "
                             "method=\"get\" action=\"");
                fleet_unit_href(&b, u->unit);
                buf_puts(&b, "#diff\">");
                host_select(&b, u, "a", a ? a : u->hosts[u->n - 1].instance);
                host_select(&b, u, "b", b_inst ? b_inst : u->hosts[0].instance);
                buf_puts(&b, "<button type=\"submit\">Compare</button></form>\n");
        }
        if (diff_error) {
                buf_puts(&b, "<p class=\"status error\" id=\"diff-error\">");
                esc(&b, diff_error);
                buf_puts(&b, "</p>\n");
        } else if (diff) {
                buf_printf(&b, "<p id=\"diff-summary\">%zu of %zu checks differ between <strong>",
                           diff->n, diff->n_compared);
                esc(&b, a);
                buf_puts(&b, "</strong> (");
                render_tenths(&b, diff->exposure_a);
                buf_puts(&b, ") and <strong>");
                esc(&b, b_inst);
                buf_puts(&b, "</strong> (");
                render_tenths(&b, diff->exposure_b);
                buf_puts(&b, ").</p>\n");
                buf_puts(&b, "<table id=\"diff-checks\" class=\"checks\"><thead><tr><th>Check</th>"
                             "<th>a</th><th></th><th>b</th><th></th></tr></thead>\n<tbody>\n");
                for (size_t i = 0; i < diff->n; i++) {
                        const FleetDiffCheck *c = &diff->checks[i];
                        bool v = !streq_ptr(c->a.verdict, c->b.verdict);

                        buf_puts(&b, "<tr data-check=\"");
                        esc(&b, c->name);
                        buf_puts(&b, "\"><td><code>");
                        esc(&b, c->name);
                        buf_puts(&b, "</code></td>");
                        side_cells(&b, &c->a, v);
                        side_cells(&b, &c->b, v);
                        buf_puts(&b, "</tr>\n");
                }
                buf_puts(&b, "</tbody></table>\n");
        }
        frame(out, u->unit, &b);
}

void render_fleet_html_regressions(const FleetRegressions *r, const FleetStatus *st, Buf *out) {
        Buf b = {};

        buf_puts(&b, "<h1>Regressions across the fleet</h1>\n");
        status_line(&b, st);
        buf_puts(&b, "<form class=\"filters\" method=\"get\" action=\"/regressions\"><label>"
                     "Since <input name=\"since\" value=\"");
        render_rfc3339(&b, r->since * 1000000);
        buf_puts(&b, "\"></label> <button type=\"submit\">Show</button></form>\n");
        buf_printf(&b, "<p>%zu regressions since ", r->n);
        ago(&b, r->since, st->now);
        buf_puts(&b, " (each within ");
        duration(&b, r->step);
        buf_puts(&b, " of the time shown, from ");
        buf_puts(&b, r->recorded ? "the recorded series exposured_unit:regressions:rise5m)" :
                                   "the raw counters: the recording rule "
                                   "exposured_unit:regressions:rise5m has not run through the "
                                   "window, and without it this feed is costly)");
        if (r->truncated)
                buf_printf(&b, "; only the newest %u are listed", FLEET_ROWS_MAX);
        buf_puts(&b, ".</p>\n<table id=\"regressions\"><thead><tr><th>When</th><th>Host</th>"
                     "<th>Service</th><th class=\"num\">Count</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < r->n; i++) {
                const FleetRegression *x = &r->rows[i];

                buf_puts(&b, "<tr><td>");
                ago(&b, x->time, st->now);
                buf_puts(&b, "</td><td>");
                esc(&b, x->hostname ? x->hostname : x->instance);
                buf_puts(&b, "<br><span class=\"instance\">");
                esc(&b, x->instance);
                buf_puts(&b, "</span></td><td><a href=\"");
                fleet_unit_href(&b, x->unit);
                buf_puts(&b, "\">");
                esc(&b, x->unit);
                buf_puts(&b, "</a> (");
                host_link(&b, st, x->instance, x->hostname, x->unit, "on the host");
                buf_printf(&b, ")</td><td class=\"num\">%u</td></tr>\n", x->count);
        }
        buf_puts(&b, "</tbody></table>\n");
        frame(out, "Regressions", &b);
}

void render_fleet_html_error(unsigned status, const char *msg, const FleetStatus *st, Buf *out) {
        Buf b = {};

        buf_printf(&b, "<h1>%u</h1>\n<p class=\"status error\" id=\"status\" role=\"alert\">",
                   status);
        esc(&b, msg);
        buf_puts(&b, "</p>\n");
        if (st && st->error && !streq(st->error, msg)) {
                buf_puts(&b, "<p>");
                esc(&b, st->error);
                buf_puts(&b, "</p>\n");
        }
        buf_puts(&b, "<p><a href=\"/\">Back to the hosts</a></p>\n");
        frame(out, "Error", &b);
}
