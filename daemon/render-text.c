/* SPDX-License-Identifier: MIT */
/* The text tables the CLIs print (`exposured scan`, `exposured history`/`events`) and the one
 * \xNN escaper for terminal text. Pure: rows in, bytes appended to a Buf; the commands write them.
 * Anything that came from a unit, the bus or the database is escaped: a unit name must not be
 * able to move the cursor or recolour the terminal. Fixed words go through buf_printf (widths),
 * data never does. */
#include <string.h>

#include "render.h"
#include "util.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* One character of s as the terminal tables print it. As \xNN per byte: a C0 control, DEL, a
 * byte of also, a byte that is not part of valid UTF-8 (a lone 0x9b is CSI to an 8-bit terminal)
 * and both bytes of a C1 control, U+0080..U+009F (some UTF-8 terminals obey U+009B as CSI too).
 * Anything else as it is. Appends to out unless it is NULL; returns the bytes of s consumed and
 * adds the columns shown to *cols (a multi-byte character counts one: wide ones are not
 * expected). */
static size_t text_char(const char *s, const char *also, Buf *out, size_t *cols) {
        unsigned char c = (unsigned char) *s;
        size_t n = utf8_char_len(s, strnlen(s, 4));
        bool c1 = n == 2 && c == 0xc2 && (unsigned char) s[1] < 0xa0;

        if (n == 1 && !(c < 0x20 || c == 0x7f || (also && strchr(also, c)))) {
                if (out)
                        buf_putc(out, (char) c);
                *cols += 1;
                return 1;
        }
        if (n > 1 && !c1) {
                if (out)
                        buf_append(out, s, n);
                *cols += 1;
                return n;
        }
        n = c1 ? 2 : 1;
        for (size_t k = 0; out && k < n; k++)
                buf_printf(out, "\\x%02x", (unsigned char) s[k]);
        *cols += 4 * n;
        return n;
}

size_t render_text_escape(Buf *out, const char *s, const char *also) {
        size_t shown = 0;

        while (s && *s)
                s += text_char(s, also, out, &shown);
        return shown;
}

/* Columns s takes as render_text_escape(out, s, NULL) prints it. */
static size_t text_width(const char *s) {
        size_t shown = 0;

        while (s && *s)
                s += text_char(s, NULL, NULL, &shown);
        return shown;
}

/* Escaped s (control characters only), padded with spaces to width. */
static void put_padded(Buf *out, const char *s, size_t width) {
        for (size_t shown = render_text_escape(out, s, NULL); shown < width; shown++)
                buf_putc(out, ' ');
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
                w = MAX(w, text_width(entries[k].unit));

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

/* ---- the per-check table of `exposured scan UNIT` ----
 *
 * systemd-analyze security UNIT prints its table with format-table.c: a header row, then one row
 * per check sorted by DESCRIPTION descending, ties by NAME ascending (table_set_sort(3, 1) plus
 * table_set_reverse(3)); columns separated by one space, each padded to its widest cell, the
 * EXPOSURE column right-aligned; the last column is not padded when empty. A check without a
 * description (a partial badness without its own text) has an empty cell, sorted as below.
 * Without a terminal the table is as wide as its cells; on one systemd-analyze pipes into its
 * pager, which keeps the width too: we never shrink or ellipsize. */

typedef struct CheckRow {
        size_t index;     /* 0 for the header, else 1 + the check's table index */
        const char *desc; /* NULL: an empty cell */
} CheckRow;

static int cmp_index(size_t a, size_t b) {
        return a < b ? -1 : a > b;
}

/* format-table's table_data_compare() for sort columns (3 reversed, 1): the header stays first,
 * then DESCRIPTION descending, NAME ascending, then the order the rows were added in. Empty
 * descriptions differ by version (measured over the generated units, unitgen.py):
 *   - up to at least 257 an empty cell has no ordering against a string: format-table falls back
 *     to the order the cells were added in, and reverses that result like column 3's. This is not
 *     a total order, so the result depends on the sort algorithm: glibc's qsort, a merge sort of
 *     exactly the shape below (the same order for all 869 generated units on 252 and 257);
 *   - 262 sorts empty descriptions before every other row (a total order).
 * The 262 rule is used with the table for 262 and later; 258..261 were not measured.
 * Before 250 the details table had no json_field column, so the same table_set_sort(3, 1) sorted
 * by WEIGHT (descending, as a number), then NAME: 245..249 list the rows heaviest first (a total
 * order, since names are unique; measured on 247, read from 245..249's analyze-security.c). */
static int check_row_compare(const CheckRow *a, const CheckRow *b, const ScoreReport *r) {
        bool empty_first = r->table->version_min >= 262;
        bool by_weight = r->table->version_max < 250;
        int c;

        if (a->index == 0 || b->index == 0)
                return a->index == b->index ? 0 : a->index == 0 ? -1 : 1;
        if (by_weight) {
                const ScoreCheck *ca = &r->checks[a->index - 1], *cb = &r->checks[b->index - 1];

                if (ca->weight != cb->weight)
                        return ca->weight > cb->weight ? -1 : 1;
                c = strcmp(ca->assessor->id, cb->assessor->id);
                return c != 0 ? c : cmp_index(a->index, b->index);
        }
        if (!a->desc != !b->desc) {
                if (empty_first)
                        return a->desc ? 1 : -1;
                return -cmp_index(a->index, b->index);
        }
        if (!a->desc && !empty_first)
                return -cmp_index(a->index, b->index); /* no order between two empty cells */
        if (a->desc) {
                c = strcmp(a->desc, b->desc);
                if (c != 0)
                        return -c;
        }
        c = strcmp(r->checks[a->index - 1].assessor->id, r->checks[b->index - 1].assessor->id);
        if (c != 0)
                return c;
        return cmp_index(a->index, b->index);
}

/* glibc's msort_with_tmp(): split n/2 | n - n/2, sort both, merge taking the left on <= 0. The
 * header is one of the sorted elements, as in format-table: it shifts every split. */
static void merge_sort(CheckRow *v, size_t n, CheckRow *tmp, const ScoreReport *r) {
        size_t n1 = n / 2, i = 0, j = n1, k = 0;

        if (n <= 1)
                return;
        merge_sort(v, n1, tmp, r);
        merge_sort(v + n1, n - n1, tmp, r);
        while (i < n1 && j < n)
                tmp[k++] = check_row_compare(&v[i], &v[j], r) <= 0 ? v[i++] : v[j++];
        while (i < n1)
                tmp[k++] = v[i++];
        memcpy(v, tmp, k * sizeof(CheckRow));
}

static void pad(Buf *out, size_t shown, size_t width) {
        for (; shown < width; shown++)
                buf_putc(out, ' ');
}

/* systemd's special glyphs (glyph-util.c), UTF-8 and ASCII. */
static const char *const smiley[_PREDICATE_MAX][2] = {
        [PREDICATE_PERFECT] = { ":-]", "\xf0\x9f\x98\x87" },
        [PREDICATE_SAFE] = { ":-}", "\xf0\x9f\x98\x80" },
        [PREDICATE_OK] = { ":-)", "\xf0\x9f\x99\x82" },
        [PREDICATE_MEDIUM] = { ":-|", "\xf0\x9f\x98\x90" },
        [PREDICATE_EXPOSED] = { ":-(", "\xf0\x9f\x99\x81" },
        [PREDICATE_UNSAFE] = { ":-{", "\xf0\x9f\x98\xa8" },
        [PREDICATE_DANGEROUS] = { ":-[", "\xf0\x9f\xa4\xa2" },
};

#define GREY "\x1b[0;38;5;245m"
#define NORMAL "\x1b[0m"

/* A header cell: underlined on a terminal, the column separator included, as format-table. */
static void header_cell(Buf *out, const TextStyle *style, const char *s, size_t width,
                        bool separator) {
        if (style->color)
                buf_puts(out, NORMAL "\x1b[0;4m");
        if (separator)
                buf_putc(out, ' ');
        buf_puts(out, s);
        pad(out, strlen(s), width);
        if (style->color)
                buf_puts(out, NORMAL);
}

void render_text_scan_unit(const ScanEntry *e, const ScoreOverride *overrides,
                           const TextStyle *style, Buf *out) {
        const ScoreReport *r = &e->report;
        const char *check = style->utf8 ? "\xe2\x9c\x93" : "+";
        const char *cross = style->utf8 ? "\xe2\x9c\x97" : "-";
        CheckRow rows[SCORE_ROWS_MAX + 1], tmp[SCORE_ROWS_MAX + 1];
        Buf descs[SCORE_ROWS_MAX] = {};
        size_t w_name = strlen("NAME"), w_desc = strlen("DESCRIPTION");
        const char *c = style->color ? predicate_color(r->predicate) : NULL;
        char t[8];

        rows[0] = (CheckRow) {};
        for (size_t i = 0; i < r->n_checks; i++) {
                score_check_describe(r, i, overrides, &descs[i]);
                rows[i + 1] = (CheckRow) { i + 1, descs[i].len ? descs[i].data : NULL };
                w_name = MAX(w_name, text_width(r->checks[i].assessor->id));
                w_desc = MAX(w_desc, text_width(descs[i].data));
        }
        merge_sort(rows, r->n_checks + 1, tmp, r);

        header_cell(out, style, " ", 1, false);
        header_cell(out, style, "NAME", w_name, true);
        header_cell(out, style, "DESCRIPTION", w_desc, true);
        header_cell(out, style, "EXPOSURE", strlen("EXPOSURE"), true);
        buf_putc(out, '\n');

        for (size_t k = 1; k <= r->n_checks; k++) {
                const ScoreCheck *ch = &r->checks[rows[k].index - 1];
                bool na = ch->badness == BADNESS_NA;

                if (na)
                        buf_puts(out, style->color ? GREY " " NORMAL : " ");
                else {
                        if (style->color)
                                buf_puts(out, ch->badness == 0 ? "\x1b[0;1;32m"
                                                               : "\x1b[0;1;31m");
                        buf_puts(out, ch->badness == 0 ? check : cross);
                        if (style->color)
                                buf_puts(out, "\x1b[0m");
                }
                buf_putc(out, ' ');
                (void) render_text_escape(out, ch->assessor->id, NULL);
                pad(out, text_width(ch->assessor->id), w_name);
                buf_putc(out, ' ');
                (void) render_text_escape(out, rows[k].desc, NULL);
                pad(out, text_width(rows[k].desc), w_desc);
                buf_putc(out, ' ');
                if (ch->exposure) {
                        render_format_tenths(ch->exposure, t);
                        pad(out, strlen(t), strlen("EXPOSURE"));
                        buf_puts(out, t);
                } else if (style->color) {
                        /* format-table pads an empty cell when it is coloured (grey). */
                        buf_puts(out, GREY);
                        pad(out, 0, strlen("EXPOSURE"));
                        buf_puts(out, NORMAL);
                }
                buf_putc(out, '\n');
        }
        for (size_t i = 0; i < r->n_checks; i++)
                buf_done(&descs[i]);

        buf_puts(out, style->utf8 ? "\n\xe2\x86\x92 " : "\n-> ");
        if (style->color)
                buf_puts(out, "\x1b[0;1;39m");
        buf_puts(out, "Overall exposure level for ");
        (void) render_text_escape(out, e->unit, NULL);
        if (style->color)
                buf_puts(out, "\x1b[0m");
        buf_puts(out, ": ");
        if (c)
                buf_puts(out, c);
        buf_printf(out, "%s %s", render_format_tenths(r->exposure, t),
                   predicate_to_string(r->predicate));
        if (style->color)
                buf_puts(out, "\x1b[0m");
        buf_putc(out, ' ');
        buf_puts(out, smiley[r->predicate][style->emoji]);
        buf_puts(out, "\n");
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

/* What changed in the unit's files (blame.h), one indented line each under the change's row; a
 * first score (its files, nothing to compare) adds none. */
static void put_blame(Buf *out, const BlameRecord *b) {
        Buf line = {};

        if (!b || b->reason == BLAME_REASON_FIRST)
                return;
        for (size_t k = 0; k < b->n_lines; k++) {
                buf_clear(&line);
                render_blame_line(&line, &b->lines[k]);
                buf_puts(out, "    ");
                put_db(out, line.data);
                buf_putc(out, '\n');
        }
        if (b->n_lines == 0 || b->n_lines_omitted > 0) {
                buf_clear(&line);
                if (b->n_lines == 0)
                        render_blame_summary(&line, b, 0);
                else
                        buf_printf(&line, "and %llu more lines",
                                   (unsigned long long) b->n_lines_omitted);
                buf_puts(out, "    ");
                put_db(out, line.data);
                buf_putc(out, '\n');
        }
        buf_done(&line);
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
                if (with_unit && c[i].unit && c[i].user) {
                        /* A lingering user's unit: "foo.service (user alice)", the columns
                         * counted as shown; the system's rows stay as they always were. */
                        size_t len = render_text_escape(out, c[i].unit, "\\");
                        buf_puts(out, " (user ");
                        len += strlen(" (user )") + render_text_escape(out, c[i].user, "\\");
                        buf_putc(out, ')');
                        buf_printf(out, "%*s", (int) (len < 20 ? 20 - len : 1), "");
                } else if (with_unit) {
                        size_t len = c[i].unit ? strlen(c[i].unit) : 0;
                        put_db(out, c[i].unit ? c[i].unit : "-");
                        buf_printf(out, "%*s", (int) (c[i].unit && len < 20 ? 20 - len : 1), "");
                }
                bool policy = event_kind_is_policy(c[i].kind);
                buf_printf(out, "%-16s %-13s %-7s %-7s", kind ? kind : "?", cause ? cause : "?",
                           exposure_text(policy ? -1 : c[i].previous, p),
                           exposure_text(c[i].exposure, e));
                if (policy) {
                        /* the ceiling and the checks concerned, as the API's detail says them */
                        Buf d = {};
                        render_change_detail(&d, &c[i]);
                        buf_putc(out, ' ');
                        put_db(out, d.data ? d.data : "");
                        buf_done(&d);
                        buf_putc(out, '\n');
                        continue;
                }
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
                put_blame(out, c[i].blame);
        }
}
