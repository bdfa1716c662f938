/* SPDX-License-Identifier: MIT */
/* Allocation, string vectors and number parsing. Allocation failure aborts: see util.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static void oom(void) {
        (void) fputs("Out of memory, aborting.\n", stderr);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n) {
        void *q = realloc(p, n ? n : 1);
        if (!q)
                oom();
        return q;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *xstrndup(const char *s, size_t n) {
        char *p = strndup(s, n);
        if (!p)
                oom();
        return p;
}

void text_error_setv(TextError *e, const char *file, unsigned line, const char *fmt, va_list ap) {
        char *m = NULL, *f;

        if (!e)
                return;
        if (vasprintf(&m, fmt, ap) < 0)
                abort();
        f = file ? xstrdup(file) : NULL; /* before the free: file may be e->file */
        text_error_done(e);
        *e = (TextError) { .file = f, .line = line, .message = m };
}

void text_error_set(TextError *e, const char *file, unsigned line, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        text_error_setv(e, file, line, fmt, ap);
        va_end(ap);
}

void text_error_done(TextError *e) {
        if (!e)
                return;
        free(e->file);
        free(e->message);
        *e = (TextError) {};
}

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        if (l)
                for (; *l; l++)
                        if (streq(*l, s))
                                return true;
        return false;
}

void strv_push(char ***l, const char *s) {
        size_t n = strv_length(*l);
        char **m = xrealloc(*l, (n + 2) * sizeof(char *));
        m[n] = xstrdup(s);
        m[n + 1] = NULL;
        *l = m;
}

bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

size_t utf8_char_len(const char *s, size_t size) {
        const unsigned char *u = (const unsigned char *) s;
        uint32_t cp;
        size_t n;

        if (size == 0)
                return 0;
        if (u[0] < 0x80)
                return 1;
        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                n = 2, cp = u[0] & 0x1f;
        else if (u[0] >= 0xe0 && u[0] <= 0xef)
                n = 3, cp = u[0] & 0x0f;
        else if (u[0] >= 0xf0 && u[0] <= 0xf4)
                n = 4, cp = u[0] & 0x07;
        else
                return 0;
        if (size < n)
                return 0;
        for (size_t k = 1; k < n; k++) {
                if ((u[k] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (u[k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool user_name_valid(const char *v, size_t n) {
        if (!v || n == 0 || n > 64 || v[0] == '-' || v[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (v[i] == '\0' ||
                    !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                            v[i]))
                        return false;
        return true;
}

int parse_bool_n(const char *s, size_t n) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
                        return 1;
                if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0)
                        return 0;
        }
        return -EINVAL;
}

int unhex_char(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static uint64_t now_usec(clockid_t c) {
        struct timespec ts;
        (void) clock_gettime(c, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

uint64_t now_realtime_usec(void) {
        return now_usec(CLOCK_REALTIME);
}

uint64_t now_monotonic_usec(void) {
        return now_usec(CLOCK_MONOTONIC);
}

int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *data = xmalloc(max + 2);
        size_t len = 0;

        /* Up to one byte past max: that byte is how "more than max" is seen. */
        for (;;) {
                ssize_t k = read(fd, data + len, max + 1 - len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        data[len] = '\0';
        *ret = xrealloc(TAKE_PTR(data), len + 1);
        *ret_len = len;
        return 0;
}
