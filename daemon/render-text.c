/* SPDX-License-Identifier: MIT */
/* The text tables the CLIs print (`exposured scan`, `exposured history`/`events`) and the one
 * \xNN escaper for terminal text. Pure: rows in, bytes appended to a Buf; the commands write them.
 * Anything that came from a unit, the bus or the database is escaped: a unit name must not be
 * able to move the cursor or recolour the terminal. Fixed words go through buf_printf (widths),
 * data never does. */
#include <string.h>

#include "render.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

size_t render_text_escape(Buf *out, const char *s, const char *also) {
        size_t shown = 0;

        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c < 0x20 || c == 0x7f || (also && strchr(also, c))) {
                        buf_printf(out, "\\x%02x", c);
                        shown += 4;
                } else {
                        buf_putc(out, (char) c);
                        shown++;
                }
        }
        return shown;
}

/* Escaped s (control characters only), padded with spaces to width. */
static void put_padded(Buf *out, const char *s, size_t width) {
        for (size_t shown = render_text_escape(out, s, NULL); shown < width; shown++)
                buf_putc(out, ' ');
}

static size_t escaped_len(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                n += (unsigned char) *s < 0x20 || *s == 0x7f ? 4 : 1;
        return n;
}

/* systemd-analyze's colours: red for UNSAFE and DANGEROUS, yellow for EXPOSED, none for MEDIUM,
 * green for the rest (ANSI_HIGHLIGHT_*). */
static const char *predicate_color(Predicate p) {
        switch (p) {
        case PREDICATE_DANGEROUS:
        case PREDICATE_UNSAFE:
                return "\x1b[0;1;31m";
        case PREDICATE_EXPOSED:
                return "\x1b[0;1;33m";
        case PREDICATE_MEDIUM:
                return NULL;
        default:
                return "\x1b[0;1;32m";
        }
}

void render_text_scan(const ScanEntry *entries, size_t n, bool color, bool show_type, Buf *out) {
        size_t w = strlen("UNIT");

        for (size_t k = 0; k < n; k++)
                w = MAX(w, escaped_len(entries[k].unit));

        put_padded(out, "UNIT", w);
        buf_puts(out, " EXPOSURE PREDICATE");
        if (show_type)
                buf_puts(out, " TYPE");
        buf_putc(out, '\n');

        for (size_t k = 0; k < n; k++) {
                const ScanEntry *e = &entries[k];
                const char *pred = predicate_to_string(e->report.predicate);
                const char *c = color ? predicate_color(e->report.predicate) : NULL;
                char t[8];

                put_padded(out, e->unit, w);
                buf_printf(out, " %8s ", render_format_tenths(e->report.exposure, t));
                if (c)
                        buf_puts(out, c);
                buf_puts(out, pred);
                if (c)
                        buf_puts(out, "\x1b[0m");
                if (show_type && e->oneshot) {
                        for (size_t i = strlen(pred); i < strlen("PREDICATE"); i++)
                                buf_putc(out, ' ');
                        buf_puts(out, " oneshot");
                }
                buf_putc(out, '\n');
        }
}

/* Database text: control characters and the backslash (so that an escape is never ambiguous). */
static void put_db(Buf *out, const char *s) {
        (void) render_text_escape(out, s, "\\");
}

/* A stored exposure, "-" when there is none. */
static const char *exposure_text(int tenths, char buf[static 8]) {
        if (tenths < 0 || tenths > 100)
                return "-";
        return render_format_tenths((unsigned) tenths, buf);
}

static void put_badness(Buf *out, uint64_t b) {
        if (b == BADNESS_ABSENT)
                buf_puts(out, "absent");
        else if (b == BADNESS_NA)
                buf_puts(out, "n/a");
        else
                render_uint(out, b);
}

void render_text_changes(const Change *c, size_t n, bool with_unit, Buf *out) {
        buf_printf(out, "%-20s %s%-16s %-13s %-7s %-7s %s\n", "TIME",
                   with_unit ? "UNIT                 " : "", "KIND", "CAUSE", "BEFORE", "AFTER",
                   "CHECKS (name old->new)");
        for (size_t i = 0; i < n; i++) {
                const char *kind = event_kind_to_string(c[i].kind);
                const char *cause = cause_to_string(c[i].cause);
                char p[8], e[8];
                size_t t0 = out->len;

                render_rfc3339(out, c[i].time_usec);
                for (size_t w = out->len - t0; w < 21; w++)
                        buf_putc(out, ' ');
                if (with_unit) {
                        size_t len = c[i].unit ? strlen(c[i].unit) : 0;
                        put_db(out, c[i].unit ? c[i].unit : "-");
                        buf_printf(out, "%*s", (int) (c[i].unit && len < 20 ? 20 - len : 1), "");
                }
                buf_printf(out, "%-16s %-13s %-7s %-7s", kind ? kind : "?", cause ? cause : "?",
                           exposure_text(c[i].previous, p), exposure_text(c[i].exposure, e));
                if (c[i].systemd_version_before) {
                        buf_puts(out, " systemd ");
                        put_db(out, c[i].systemd_version_before);
                        buf_puts(out, " -> ");
                        put_db(out, c[i].systemd_version);
                }
                for (size_t k = 0; k < c[i].n_checks; k++) {
                        buf_putc(out, ' ');
                        put_db(out, c[i].checks[k].check);
                        buf_putc(out, ' ');
                        put_badness(out, c[i].checks[k].old_badness);
                        buf_puts(out, "->");
                        put_badness(out, c[i].checks[k].new_badness);
                }
                buf_putc(out, '\n');
        }
}
