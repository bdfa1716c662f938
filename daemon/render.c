/* SPDX-License-Identifier: MIT */
/* Shared pieces of the renderers: escaping for HTML, Prometheus label values and URLs, UTF-8
 * repair, time formatting and parsing. Pure: no I/O, no logging, no clock. Every byte that came
 * from a unit or a client passes through one of the escapers here before it reaches a response. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "util.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Walk s: copy valid multi-byte sequences, hand every ASCII byte to esc() (which appends it,
 * escaped), and replace invalid bytes with U+FFFD. */
static void walk(Buf *out, const char *s, void (*esc)(Buf *out, char c)) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t n = utf8_char_len((const char *) p, SIZE_MAX);
                if (n == 0) {
                        buf_puts(out, REPLACEMENT);
                        p++;
                } else if (n == 1) {
                        esc(out, (char) *p);
                        p++;
                } else {
                        buf_append(out, p, n);
                        p += n;
                }
        }
}

static void esc_html(Buf *out, char c) {
        switch (c) {
        case '&':
                buf_puts(out, "&amp;");
                break;
        case '<':
                buf_puts(out, "&lt;");
                break;
        case '>':
                buf_puts(out, "&gt;");
                break;
        case '"':
                buf_puts(out, "&quot;");
                break;
        case '\'':
                buf_puts(out, "&#39;");
                break;
        default:
                /* C0 controls other than whitespace are not allowed in HTML text. */
                if ((unsigned char) c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                        buf_puts(out, REPLACEMENT);
                else if (c == 0x7f)
                        buf_puts(out, REPLACEMENT);
                else
                        buf_putc(out, c);
        }
}

/* Length of the prefix of s that needs no escaping for the given set (printable ASCII only). */
static size_t plain_prefix(const char *s, const char *special) {
        size_t n = 0;
        while ((unsigned char) s[n] >= 0x20 && (unsigned char) s[n] < 0x7f &&
               !strchr(special, s[n]))
                n++;
        return n;
}

/* The common case (a plain ASCII unit name) is one memcpy: scrapes stay cheap. */
static void walk_fast(Buf *out, const char *s, const char *special, void (*esc)(Buf *, char)) {
        size_t n;

        s = s ? s : "";
        n = plain_prefix(s, special);
        buf_append(out, s, n);
        if (s[n])
                walk(out, s + n, esc);
}

void render_html_escape(Buf *out, const char *s) {
        walk_fast(out, s, "&<>\"'", esc_html);
}

static void esc_label(Buf *out, char c) {
        /* The text format 0.0.4 and OpenMetrics agree on exactly these three escapes. */
        if (c == '\\')
                buf_puts(out, "\\\\");
        else if (c == '"')
                buf_puts(out, "\\\"");
        else if (c == '\n')
                buf_puts(out, "\\n");
        else
                buf_putc(out, c);
}

void render_label_escape(Buf *out, const char *s) {
        walk_fast(out, s, "\\\"", esc_label);
}

static void esc_plain(Buf *out, char c) {
        buf_putc(out, c);
}

void render_utf8_sanitize(Buf *out, const char *s) {
        walk(out, s ? s : "", esc_plain);
}

void render_url_encode(Buf *out, const char *s) {
        static const char hex[] = "0123456789ABCDEF";

        for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++) {
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
                        buf_putc(out, (char) *p);
                } else {
                        char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
                        buf_append(out, e, 3);
                }
        }
}

void render_uint(Buf *out, uint64_t v) {
        char d[20];
        size_t i = sizeof d;

        do
                d[--i] = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        buf_append(out, d + i, sizeof d - i);
}

char *render_format_tenths(unsigned tenths, char buf[static 8]) {
        char tmp[8];
        size_t n = 0, k = 0;
        unsigned whole = tenths / 10;

        /* Hand-rolled to stay printf-free: "%u.%u". Values above 99999.9 are clamped. */
        if (whole > 99999)
                whole = 99999;
        do {
                tmp[n++] = (char) ('0' + whole % 10);
                whole /= 10;
        } while (whole > 0);
        while (n > 0)
                buf[k++] = tmp[--n];
        buf[k++] = '.';
        buf[k++] = (char) ('0' + tenths % 10);
        buf[k] = '\0';
        return buf;
}

void render_tenths(Buf *out, unsigned tenths) {
        char t[8];

        buf_puts(out, render_format_tenths(tenths, t));
}

void render_rfc3339(Buf *out, uint64_t usec) {
        time_t t = (time_t) (usec / 1000000u);
        struct tm tm;

        if (!gmtime_r(&t, &tm)) {
                buf_puts(out, "1970-01-01T00:00:00Z");
                return;
        }
        buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Exactly n digits at *p, advancing it. */
static int digits(const char **p, unsigned n, unsigned *ret) {
        unsigned v = 0;
        for (unsigned i = 0; i < n; i++) {
                char c = (*p)[i];
                if (c < '0' || c > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (c - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

static bool leap(unsigned y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int render_parse_time(const char *s, uint64_t *ret_usec) {
        static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned Y, M, D, h, m, sec, oh = 0, om = 0;
        uint64_t frac = 0, v;
        int sign = 0;
        const char *p = s;

        if (isempty(s))
                return -EINVAL;
        /* Unix seconds: only digits. 2^63 usec is ~292,000 years: bound to year 9999. */
        if (parse_uint(s, UINT64_C(253402300799), &v) >= 0) {
                *ret_usec = v * 1000000u;
                return 0;
        }
        if (digits(&p, 4, &Y) < 0 || *p++ != '-' || digits(&p, 2, &M) < 0 || *p++ != '-' ||
            digits(&p, 2, &D) < 0 || (*p != 'T' && *p != 't') || !*p++ || digits(&p, 2, &h) < 0 ||
            *p++ != ':' || digits(&p, 2, &m) < 0 || *p++ != ':' || digits(&p, 2, &sec) < 0)
                return -EINVAL;
        if (*p == '.') {
                unsigned n = 0;
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++, n++)
                        if (n < 6)
                                frac = frac * 10 + (uint64_t) (*p - '0');
                for (; n < 6; n++)
                        frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                sign = *p++ == '+' ? 1 : -1;
                if (digits(&p, 2, &oh) < 0 || *p++ != ':' || digits(&p, 2, &om) < 0 || oh > 23 ||
                    om > 59)
                        return -EINVAL;
        } else {
                return -EINVAL;
        }
        if (*p)
                return -EINVAL;
        /* sec == 60 (a leap second) is valid RFC 3339; fold it into the next second. */
        if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
            (M == 2 && D == 29 && !leap(Y)) || h > 23 || m > 59 || sec > 60)
                return -EINVAL;

        int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
        t -= sign * (int64_t) (oh * 3600 + om * 60);
        if (t < 0)
                return -ERANGE;
        *ret_usec = (uint64_t) t * 1000000u + frac;
        return 0;
}

void render_change_detail(Buf *out, const Change *c) {
        if (c->kind == EVENT_SYSTEMD_UPGRADE && c->systemd_version) {
                buf_puts(out, c->systemd_version_before ? c->systemd_version_before : "?");
                buf_puts(out, " -> ");
                buf_puts(out, c->systemd_version);
        } else if (c->kind == EVENT_SCORER_UPGRADE && c->scorer_version) {
                buf_puts(out, "scorer ");
                buf_puts(out, c->scorer_version);
        } else if (c->kind == EVENT_DATABASE && c->message)
                buf_puts(out, c->message);
        else if (event_kind_is_policy(c->kind)) {
                /* Policy events: "previous" holds the ceiling (event.h), checks the failing
                 * checks no waiver covers, or the check whose waiver expired. */
                if (c->kind == EVENT_WAIVER_EXPIRED)
                        buf_puts(out, "waiver expired:");
                else if (c->previous >= 0) {
                        buf_puts(out, "max_exposure ");
                        render_tenths(out, (unsigned) c->previous);
                } else
                        buf_puts(out, "no max_exposure");
                if (c->kind == EVENT_OVER_POLICY && c->n_checks > 0)
                        buf_puts(out, "; not accepted:");
                for (size_t i = 0; c->kind != EVENT_WITHIN_POLICY && i < c->n_checks; i++) {
                        buf_putc(out, ' ');
                        buf_puts(out, c->checks[i].check);
                }
        }
}

void render_blame_line(Buf *out, const BlameLine *l) {
        buf_puts(out, l->key);
        buf_putc(out, '=');
        switch (l->op) {
        case BLAME_OP_CHANGED:
                buf_puts(out, l->old_value ? l->old_value : "");
                buf_puts(out, " \xe2\x86\x92 "); /* U+2192, the arrow */
                buf_puts(out, l->new_value ? l->new_value : "");
                buf_puts(out, " in ");
                break;
        case BLAME_OP_ADDED:
                buf_puts(out, l->new_value ? l->new_value : "");
                buf_puts(out, " added in ");
                break;
        default:
                buf_puts(out, l->old_value ? l->old_value : "");
                buf_puts(out, " removed from ");
                break;
        }
        buf_puts(out, l->path);
        if (l->op == BLAME_OP_REMOVED && l->new_value) {
                buf_puts(out, " (now ");
                buf_puts(out, l->new_value);
                buf_putc(out, ')');
        }
}

void render_blame_summary(Buf *out, const BlameRecord *r, size_t max_lines) {
        size_t n_files = 0;

        for (size_t i = 0; i < r->n_lines && i < max_lines; i++) {
                if (i > 0)
                        buf_puts(out, "; ");
                render_blame_line(out, &r->lines[i]);
        }
        if (r->n_lines > max_lines || r->n_lines_omitted > 0)
                buf_printf(out, "; and %llu more",
                           (unsigned long long) (r->n_lines > max_lines ? r->n_lines - max_lines
                                                                        : 0) +
                                   (unsigned long long) r->n_lines_omitted);
        if (r->n_lines > 0)
                return;
        for (size_t i = 0; i < r->n_files; i++) {
                const BlameFileChange *f = &r->files[i];
                if (f->op == BLAME_OP_SAME)
                        continue;
                buf_puts(out, n_files++ ? "; " : "");
                buf_puts(out, f->path);
                buf_puts(out, f->op == BLAME_OP_ADDED     ? " added"
                              : f->op == BLAME_OP_REMOVED ? " removed"
                                                          : " changed (no directive)");
        }
        if (n_files > 0)
                return;
        switch (r->reason) {
        case BLAME_REASON_SYSTEMD_UPGRADE:
                buf_puts(out, "no unit file changed: systemd was upgraded");
                break;
        case BLAME_REASON_SCORER_UPGRADE:
                buf_puts(out, "no unit file changed: exposured's scorer was upgraded");
                break;
        case BLAME_REASON_FIRST:
                buf_puts(out, "first score");
                break;
        default:
                buf_puts(out, "no unit file changed that exposured could compare");
                break;
        }
}

unsigned render_failed_checks(const ScoreReport *r) {
        unsigned n = 0;
        for (size_t i = 0; i < r->n_checks && i < SCORE_ROWS_MAX; i++)
                if (r->checks[i].badness != BADNESS_NA && r->checks[i].badness > 0)
                        n++;
        return n;
}

const char *render_check_verdict(const ScoreCheck *c) {
        if (c->badness == BADNESS_NA)
                return "na";
        return c->badness == 0 ? "pass" : "fail";
}
