/* SPDX-License-Identifier: MIT */
/* Fix plan renderers (see render-plan.h): text for the terminal, JSON via json-c only, HTML with
 * every unit-controlled string escaped. Pure: no I/O, no logging. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "render-json.h"
#include "render-plan.h"
#include "render.h"
#include "util.h"

/* s for a terminal: control characters (C0, DEL, C1) and bytes that are not UTF-8 as \xNN. */
static void put_printable(Buf *out, const char *s) {
        (void) render_text_escape(out, s, NULL);
}

const char *plan_dropin_name(char *const *paths) {
        const char *name = PLAN_DROPIN_NAME;

        for (char *const *i = paths; i && *i; i++) {
                const char *base = strrchr(*i, '/') ? strrchr(*i, '/') + 1 : *i;

                if (strcmp(base, PLAN_DROPIN_NAME) > 0 && !streq(base, PLAN_DROPIN_NAME_LAST))
                        name = PLAN_DROPIN_NAME_LAST;
        }
        return name;
}

static void put_dropin_path(Buf *out, const char *unit, const char *name) {
        buf_puts(out, PLAN_DROPIN_DIR);
        put_printable(out, unit);
        buf_puts(out, ".d/");
        buf_puts(out, name ? name : PLAN_DROPIN_NAME);
}

static void put_padded(Buf *out, const char *s, size_t width) {
        size_t n = strlen(s);

        buf_puts(out, s);
        for (; n < width; n++)
                buf_putc(out, ' ');
}

void render_plan_text(const char *unit, const Plan *p, PlanRisk max_risk, const char *dropin_name,
                      Buf *out) {
        _cleanup_free_ char *dropin = NULL;
        size_t width = strlen("LINE");

        if (p->n_steps == 0) {
                put_printable(out, unit);
                buf_puts(out, " is already at its best: no ");
                buf_puts(out, max_risk == PLAN_RISK_BREAKS ? "" : "allowed ");
                buf_puts(out, "line lowers its exposure ");
                render_tenths(out, p->exposure);
                buf_puts(out, " (--max-risk=");
                buf_puts(out, plan_risk_to_string(max_risk));
                buf_puts(out, ").\n");
                return;
        }

        /* The line column holds the first physical line; a second one follows indented. */
        for (size_t i = 0; i < p->n_steps; i++) {
                size_t n = strcspn(p->steps[i].line, "\n");

                if (n > width && n <= 60)
                        width = n;
        }
        buf_puts(out, "Exposure of ");
        put_printable(out, unit);
        buf_puts(out, ": ");
        render_tenths(out, p->exposure);
        buf_puts(out, "\n\nSTEP  ");
        put_padded(out, "LINE", width);
        buf_puts(out, "  EXPOSURE  RISK       CHECKED  REASON\n");
        for (size_t i = 0; i < p->n_steps; i++) {
                const PlanStep *s = p->steps + i;
                const char *line = s->line;
                size_t n = strcspn(line, "\n");
                char num[24];
                Buf first = {};

                (void) snprintf(num, sizeof num, "%-4zu  ", i + 1);
                buf_puts(out, num);
                buf_append(&first, line, n);
                put_padded(out, first.data ? first.data : "", width);
                buf_done(&first);
                buf_puts(out, "  ");
                {
                        Buf e = {};

                        render_tenths(&e, s->exposure);
                        put_padded(out, e.data, 8);
                        buf_done(&e);
                }
                buf_puts(out, "  ");
                put_padded(out, plan_risk_to_string(s->risk), 9);
                buf_puts(out, "  ");
                put_padded(out, s->checked ? "yes" : "-", 7);
                buf_puts(out, "  ");
                buf_puts(out, plan_risk_table[s->action].reason);
                if (s->implies_nnp) {
                        buf_puts(out, "; ");
                        buf_puts(out, plan_nnp_reason);
                }
                buf_putc(out, '\n');
                for (line += n; *line == '\n'; line += n) {
                        line++;
                        n = strcspn(line, "\n");
                        buf_puts(out, "      ");
                        buf_append(out, line, n);
                        buf_putc(out, '\n');
                }
        }

        /* The drop-in, as a command that writes it: unit names have no quotes or spaces. */
        dropin = plan_dropin(p);
        buf_puts(out, "\nDrop-in ");
        put_dropin_path(out, unit, dropin_name);
        buf_puts(out, ", to apply as root:\n\nmkdir -p '" PLAN_DROPIN_DIR);
        put_printable(out, unit);
        buf_puts(out, ".d'\ncat > '");
        put_dropin_path(out, unit, dropin_name);
        buf_puts(out, "' <<'EOF'\n");
        buf_puts(out, dropin);
        buf_puts(out, "EOF\nsystemctl daemon-reload && systemctl restart '");
        put_printable(out, unit);
        buf_puts(out, "'\n");
}

static int emit(json_object *o, bool pretty, Buf *out) {
        return render_json_emit(o, pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN,
                                out);
}

static json_object *plan_object(const char *unit, const Plan *p, PlanRisk max_risk,
                                const char *dropin_name) {
        _cleanup_free_ char *dropin = plan_dropin(p);
        json_object *o = json_object_new_object(), *steps = json_object_new_array();
        Buf path = {};

        if (!o || !steps) {
                json_putp(&o);
                json_putp(&steps);
                return NULL;
        }
        for (size_t i = 0; i < p->n_steps; i++) {
                const PlanStep *s = p->steps + i;
                json_object *j = json_object_new_object();

                if (!j)
                        break;
                add(j, "line", jstr(s->line));
                add(j, "exposure", jtenths(s->exposure));
                add(j, "risk", jstr(plan_risk_to_string(s->risk)));
                if (s->implies_nnp) {
                        Buf why = {};

                        buf_printf(&why, "%s; %s", plan_risk_table[s->action].reason,
                                   plan_nnp_reason);
                        add(j, "reason", jstr(why.data));
                        buf_done(&why);
                } else
                        add(j, "reason", jstr(plan_risk_table[s->action].reason));
                add(j, "checked", json_object_new_boolean(s->checked));
                (void) json_object_array_add(steps, j);
        }
        add(o, "unit", jstr(unit));
        add(o, "exposure", jtenths(p->exposure));
        add(o, "after", jtenths(p->n_steps ? p->steps[p->n_steps - 1].exposure : p->exposure));
        add(o, "max_risk", jstr(plan_risk_to_string(max_risk)));
        add(o, "steps", steps);
        add(o, "dropin", jstr(dropin));
        buf_puts(&path, PLAN_DROPIN_DIR);
        buf_puts(&path, unit);
        buf_puts(&path, ".d/");
        buf_puts(&path, dropin_name ? dropin_name : PLAN_DROPIN_NAME);
        add(o, "dropin_path", jstr(path.data));
        buf_done(&path);
        return o;
}

int render_plan_json(const char *unit, const Plan *p, PlanRisk max_risk, const char *dropin_name,
                     bool pretty, Buf *out) {
        _cleanup_json_ json_object *o = plan_object(unit, p, max_risk, dropin_name);

        return emit(o, pretty, out);
}

static unsigned plan_after(const Plan *p) {
        return p->n_steps ? p->steps[p->n_steps - 1].exposure : p->exposure;
}

void render_plan_fleet_text(const PlanFleetEntry *e, size_t n, Buf *out) {
        size_t width = strlen("UNIT");

        for (size_t i = 0; i < n; i++)
                if (strlen(e[i].unit) > width)
                        width = strlen(e[i].unit);
        put_padded(out, "UNIT", width);
        buf_puts(out, "  EXPOSURE  AFTER  LINES\n");
        for (size_t i = 0; i < n; i++) {
                Buf b = {};

                put_printable(&b, e[i].unit);
                put_padded(out, b.data ? b.data : "", width);
                buf_done(&b);
                buf_puts(out, "  ");
                render_tenths(&b, e[i].plan.exposure);
                put_padded(out, b.data, 8);
                buf_clear(&b);
                buf_puts(out, "  ");
                render_tenths(&b, plan_after(&e[i].plan));
                put_padded(out, b.data, 5);
                buf_done(&b);
                buf_printf(out, "  %zu\n", e[i].plan.n_steps);
        }
}

int render_plan_fleet_json(const PlanFleetEntry *e, size_t n, bool pretty, Buf *out) {
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();

                if (!o)
                        return -ENOMEM;
                add(o, "unit", jstr(e[i].unit));
                add(o, "exposure", jtenths(e[i].plan.exposure));
                add(o, "after", jtenths(plan_after(&e[i].plan)));
                add(o, "lines", json_object_new_int((int) e[i].plan.n_steps));
                (void) json_object_array_add(a, o);
        }
        return emit(a, pretty, out);
}

void render_plan_html(const char *unit, const Plan *p, PlanRisk max_risk, const char *dropin_name,
                      Buf *out) {
        _cleanup_free_ char *dropin = plan_dropin(p);

        buf_puts(out, "<section id=\"plan\"><h2>Fix plan</h2>\n");
        if (p->n_steps == 0) {
                buf_puts(out, "<p>Already at its best: no line of risk class ");
                buf_puts(out, plan_risk_to_string(max_risk));
                buf_puts(out, " or lower lowers the exposure ");
                render_tenths(out, p->exposure);
                buf_puts(out, ".</p></section>\n");
                return;
        }
        buf_puts(out, "<table class=\"plan\"><thead><tr><th>Step</th><th>Line</th>"
                      "<th>Exposure</th><th>Risk</th><th>Why it may break</th></tr></thead>"
                      "<tbody>\n<tr><td>0</td><td>(now)</td><td>");
        render_tenths(out, p->exposure);
        buf_puts(out, "</td><td></td><td></td></tr>\n");
        for (size_t i = 0; i < p->n_steps; i++) {
                const PlanStep *s = p->steps + i;
                const char *risk = plan_risk_to_string(s->risk);

                buf_printf(out, "<tr><td>%zu</td><td><code>", i + 1);
                render_html_escape(out, s->line);
                buf_puts(out, "</code></td><td>");
                render_tenths(out, s->exposure);
                buf_puts(out, "</td><td><span class=\"badge risk-");
                buf_puts(out, risk);
                buf_puts(out, "\">");
                buf_puts(out, risk);
                buf_puts(out, "</span>");
                if (s->checked)
                        buf_puts(out, " <span class=\"badge checked\">checked</span>");
                buf_puts(out, "</td><td>");
                render_html_escape(out, plan_risk_table[s->action].reason);
                if (s->implies_nnp) {
                        buf_puts(out, "; ");
                        render_html_escape(out, plan_nnp_reason);
                }
                buf_puts(out, "</td></tr>\n");
        }
        buf_puts(out, "</tbody></table>\n<p>Drop-in <code>" PLAN_DROPIN_DIR);
        render_html_escape(out, unit);
        buf_puts(out, ".d/");
        buf_puts(out, dropin_name ? dropin_name : PLAN_DROPIN_NAME);
        buf_puts(out, "</code>, then <code>systemctl daemon-reload</code>:"
                      "</p>\n<pre class=\"dropin\">");
        render_html_escape(out, dropin);
        buf_puts(out, "</pre></section>\n");
}
