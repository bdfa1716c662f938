/* SPDX-License-Identifier: MIT */
/* systemd.time(7) timestamps and spans (time-parse.h). Written from the man page's grammar, not
 * from systemd's parser: what journalctl --since accepts for the forms listed in the header. Pure:
 * never reads the clock (the caller passes now), never logs. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup.h"
#include "time-parse.h"
#include "util.h"

#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_DAY (UINT64_C(86400) * USEC_PER_SEC)

static const struct {
        const char *name;
        uint64_t usec;
} span_units[] = {
        /* Longest first where one name is a prefix of another ("ms" before "m", "min" before
         * "m", "months" before "month" before "M"). */
        { "usec", 1 }, { "us", 1 },
        { "msec", 1000 }, { "ms", 1000 },
        { "seconds", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "months", 2629800 * USEC_PER_SEC }, { "month", 2629800 * USEC_PER_SEC },
        { "M", 2629800 * USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC }, { "hour", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC }, { "h", 3600 * USEC_PER_SEC },
        { "days", USEC_PER_DAY }, { "day", USEC_PER_DAY }, { "d", USEC_PER_DAY },
        { "weeks", 7 * USEC_PER_DAY }, { "week", 7 * USEC_PER_DAY }, { "w", 7 * USEC_PER_DAY },
        { "years", 31557600 * USEC_PER_SEC }, { "year", 31557600 * USEC_PER_SEC },
        { "y", 31557600 * USEC_PER_SEC },
};

/* One "<digits>[.<digits>]" at *p; the integer part and the fraction in millionths. */
static int parse_decimal(const char **p, uint64_t *ret_int, uint64_t *ret_frac) {
        const char *s = *p;
        uint64_t n = 0, frac = 0, scale = 100000;
        bool any = false;

        for (; isdigit((unsigned char) *s); s++, any = true) {
                if (n > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                n = n * 10 + (uint64_t) (*s - '0');
        }
        if (*s == '.') {
                s++;
                for (; isdigit((unsigned char) *s); s++, any = true) {
                        frac += (uint64_t) (*s - '0') * scale;
                        scale /= 10;
                }
        }
        if (!any)
                return -EINVAL;
        *p = s;
        *ret_int = n;
        *ret_frac = frac;
        return 0;
}

/* Parse a span; *ret_has_unit tells whether every component had an explicit unit. */
static int parse_span(const char *s, uint64_t *ret, bool *ret_has_unit) {
        uint64_t total = 0;
        bool has_unit = true, any = false;

        for (;;) {
                uint64_t n, frac, mul = USEC_PER_SEC, v;
                size_t len = 0;
                int r;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                r = parse_decimal(&s, &n, &frac);
                if (r < 0)
                        return r;
                while (*s == ' ')
                        s++;
                for (size_t i = 0; i < ELEMENTSOF(span_units); i++) {
                        size_t l = strlen(span_units[i].name);
                        if (strncmp(s, span_units[i].name, l) == 0 &&
                            !isalpha((unsigned char) s[l])) {
                                mul = span_units[i].usec;
                                len = l;
                                break;
                        }
                }
                if (len == 0) {
                        if (isalpha((unsigned char) *s))
                                return -EINVAL;
                        has_unit = false;
                }
                s += len;
                /* A component ends at a space, the end, or (after a unit) the next number. */
                if (*s && *s != ' ' && !(len > 0 && isdigit((unsigned char) *s)))
                        return -EINVAL;
                if (n > UINT64_MAX / mul)
                        return -ERANGE;
                /* frac is in millionths of the unit. */
                v = n * mul + frac * (mul / USEC_PER_SEC) +
                    frac * (mul % USEC_PER_SEC) / USEC_PER_SEC;
                if (v > UINT64_MAX - total)
                        return -ERANGE;
                total += v;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        *ret_has_unit = has_unit;
        return 0;
}

int time_parse_span(const char *s, uint64_t *ret_usec) {
        bool has_unit;

        if (!s)
                return -EINVAL;
        return parse_span(s, ret_usec, &has_unit);
}

static uint64_t minus(uint64_t a, uint64_t b) {
        return a > b ? a - b : 0;
}

/* Local or UTC broken-down time -> usec; tz_offset_sec applies when utc. */
static int tm_to_usec(struct tm *tm, bool utc, long tz_offset_sec, uint64_t frac,
                      uint64_t *ret) {
        time_t t;
        int year = tm->tm_year, mon = tm->tm_mon, mday = tm->tm_mday;

        tm->tm_isdst = -1;
        t = utc ? timegm(tm) : mktime(tm);
        if (t == (time_t) -1 && !(tm->tm_year == 69 && tm->tm_mon == 11 && tm->tm_mday == 31))
                return -EINVAL;
        /* mktime()/timegm() normalise 2026-02-31 to March: refuse dates that do not exist. */
        if (tm->tm_year != year || tm->tm_mon != mon || tm->tm_mday != mday)
                return -EINVAL;
        t -= tz_offset_sec;
        *ret = t < 0 ? 0 : (uint64_t) t * USEC_PER_SEC + frac;
        return 0;
}

static int parse_digits(const char **p, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

/* "HH:MM[:SS[.frac]]" into tm. */
static int parse_clock(const char **p, struct tm *tm, uint64_t *ret_frac) {
        const char *s = *p;
        int h, m, sec = 0;

        *ret_frac = 0;
        if (parse_digits(&s, 2, &h) < 0 || *s++ != ':' || parse_digits(&s, 2, &m) < 0)
                return -EINVAL;
        if (*s == ':') {
                s++;
                if (parse_digits(&s, 2, &sec) < 0)
                        return -EINVAL;
                if (*s == '.') {
                        uint64_t scale = 100000;
                        s++;
                        if (!isdigit((unsigned char) *s))
                                return -EINVAL;
                        for (; isdigit((unsigned char) *s); s++) {
                                *ret_frac += (uint64_t) (*s - '0') * scale;
                                scale /= 10;
                        }
                }
        }
        if (h > 23 || m > 59 || sec > 60)
                return -EINVAL;
        tm->tm_hour = h;
        tm->tm_min = m;
        tm->tm_sec = sec;
        *p = s;
        return 0;
}

/* The zone suffix: "", " UTC", "Z", "+HH:MM", "-HH:MM" (also "+HHMM"). */
static int parse_zone(const char *s, bool *ret_utc, long *ret_offset) {
        int h, m;
        long sign;

        *ret_utc = false;
        *ret_offset = 0;
        if (!*s)
                return 0;
        if (strcasecmp(s, " UTC") == 0 || strcasecmp(s, "Z") == 0 || strcasecmp(s, " Z") == 0) {
                *ret_utc = true;
                return 0;
        }
        if (*s == ' ')
                s++;
        if (*s != '+' && *s != '-')
                return -EINVAL;
        sign = *s++ == '-' ? -1 : 1;
        if (parse_digits(&s, 2, &h) < 0)
                return -EINVAL;
        if (*s == ':')
                s++;
        if (parse_digits(&s, 2, &m) < 0 || *s || h > 23 || m > 59)
                return -EINVAL;
        *ret_utc = true;
        *ret_offset = sign * (h * 3600L + m * 60L);
        return 0;
}

static int local_midnight(uint64_t now_usec, int day_delta, uint64_t *ret) {
        time_t t = (time_t) (now_usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return -EINVAL;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday += day_delta;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = t < 0 ? 0 : (uint64_t) t * USEC_PER_SEC;
        return 0;
}

static int parse_absolute(const char *s, uint64_t now_usec, uint64_t *ret) {
        static const char *const weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
                                                "Monday", "Tuesday", "Wednesday", "Thursday",
                                                "Friday", "Saturday", "Sunday" };
        struct tm tm = {};
        uint64_t frac = 0;
        long offset;
        bool utc;
        int y, mo, d;

        for (size_t i = 0; i < ELEMENTSOF(weekdays); i++) {
                size_t l = strlen(weekdays[i]);
                if (strncasecmp(s, weekdays[i], l) == 0 && s[l] == ' ') {
                        s += l + 1;
                        break;
                }
        }
        if (isdigit((unsigned char) s[0]) && isdigit((unsigned char) s[1]) && s[2] == ':') {
                /* A time of day, today (in the zone given, or local time). */
                time_t t = (time_t) (now_usec / USEC_PER_SEC);
                const char *z;

                if (parse_clock(&s, &tm, &frac) < 0)
                        return -EINVAL;
                z = s;
                if (parse_zone(z, &utc, &offset) < 0)
                        return -EINVAL;
                {
                        struct tm today;
                        if (!(utc ? gmtime_r(&t, &today) : localtime_r(&t, &today)))
                                return -EINVAL;
                        tm.tm_year = today.tm_year;
                        tm.tm_mon = today.tm_mon;
                        tm.tm_mday = today.tm_mday;
                }
                return tm_to_usec(&tm, utc, offset, frac, ret);
        }
        if (parse_digits(&s, 4, &y) < 0 || *s++ != '-' || parse_digits(&s, 2, &mo) < 0 ||
            *s++ != '-' || parse_digits(&s, 2, &d) < 0)
                return -EINVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > 31)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        if ((*s == ' ' || *s == 'T' || *s == 't') && isdigit((unsigned char) s[1])) {
                s++;
                if (parse_clock(&s, &tm, &frac) < 0)
                        return -EINVAL;
        }
        if (parse_zone(s, &utc, &offset) < 0)
                return -EINVAL;
        return tm_to_usec(&tm, utc, offset, frac, ret);
}

int time_parse_timestamp(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        uint64_t span, v;
        bool has_unit;
        size_t l;
        int r;

        if (isempty(s))
                return -EINVAL;
        if (streq(s, "now")) {
                *ret_usec = now_usec;
                return 0;
        }
        if (streq(s, "epoch")) {
                *ret_usec = 0;
                return 0;
        }
        if (streq(s, "today") || streq(s, "yesterday") || streq(s, "tomorrow"))
                return local_midnight(now_usec,
                                      streq(s, "today") ? 0 : streq(s, "yesterday") ? -1 : 1,
                                      ret_usec);
        if (s[0] == '@') {
                const char *p = s + 1;
                uint64_t n, frac;

                r = parse_decimal(&p, &n, &frac);
                if (r < 0 || *p)
                        return r < 0 ? r : -EINVAL;
                if (n > (UINT64_MAX - frac) / USEC_PER_SEC)
                        return -ERANGE;
                *ret_usec = n * USEC_PER_SEC + frac;
                return 0;
        }
        if (s[0] == '+' || s[0] == '-') {
                r = parse_span(s + 1, &span, &has_unit);
                if (r < 0)
                        return r;
                if (s[0] == '-')
                        v = minus(now_usec, span);
                else if (span > UINT64_MAX - now_usec)
                        return -ERANGE;
                else
                        v = now_usec + span;
                *ret_usec = v;
                return 0;
        }
        l = strlen(s);
        if ((l > 4 && endswith(s, " ago")) || (l > 5 && endswith(s, " left"))) {
                char buf[64];
                bool ago = endswith(s, " ago");
                size_t n = l - (ago ? 4 : 5);

                if (n >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, s, n);
                buf[n] = 0;
                r = parse_span(buf, &span, &has_unit);
                if (r < 0)
                        return r;
                if (ago)
                        *ret_usec = minus(now_usec, span);
                else if (span > UINT64_MAX - now_usec)
                        return -ERANGE;
                else
                        *ret_usec = now_usec + span;
                return 0;
        }
        /* exposured's older form: a bare span with a unit means that long ago ("2h"). */
        if (isdigit((unsigned char) s[0]) && parse_span(s, &span, &has_unit) == 0 && has_unit) {
                *ret_usec = minus(now_usec, span);
                return 0;
        }
        return parse_absolute(s, now_usec, ret_usec);
}
