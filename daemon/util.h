/* SPDX-License-Identifier: MIT */
/* Small helpers: allocation that aborts on OOM (the redis/chrony choice: Restart=on-failure
 * recovers), string vectors and parsing. No I/O and no logging here. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Allocate or abort. Never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* What a text parser reports (ConfigError and PolicyError are this type): the file (NULL: the
 * caller's own source), the line (0: not tied to a line) and the message (NULL: no error); the
 * strings are owned. */
typedef struct TextError {
        char *file;
        unsigned line;
        char *message;
} TextError;

/* Replace all of e (NULL: do nothing) with a copy of file (may be NULL, or e's own file), line
 * and the formatted message. Aborts on OOM, like xmalloc(). */
void text_error_set(TextError *e, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void text_error_setv(TextError *e, const char *file, unsigned line, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
/* Free e's strings and zero it. Accepts NULL. */
void text_error_done(TextError *e);

/* NULL-terminated string vectors. strv_free() accepts NULL and returns NULL. */
char **strv_free(char **l);
size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Append a copy of s; *l may be NULL. */
void strv_push(char ***l, const char *s);

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline bool isempty(const char *s) {
        return !s || !s[0];
}

bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* Length (1..4) of the valid UTF-8 sequence at s, reading at most size bytes, or 0 when it is
 * not valid (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). For a
 * NUL-terminated s, size may be SIZE_MAX: the NUL ends any sequence. Pure. */
size_t utf8_char_len(const char *s, size_t size);

/* systemd's parse_boolean() over the n bytes at s (no NUL needed): 1 for 1 yes y true t on, 0 for
 * 0 no n false f off, in any case; -EINVAL for anything else or s NULL. parse_bool() takes a
 * NUL-terminated s. */
int parse_bool_n(const char *s, size_t n);
static inline int parse_bool(const char *s) {
        return parse_bool_n(s, s ? strlen(s) : 0);
}

/* A user name as a metric label can hold one (user-reports.c: /etc/passwd's name, else the uid)
 * over the n bytes at v: 1 to 64 of [A-Za-z0-9_.-], not starting with '-' or '.'. The API's
 * user= and the CLIs' --user= accept exactly these. Pure. */
bool user_name_valid(const char *v, size_t n);

/* The value of one hex digit (0-9 a-f A-F), or -EINVAL. */
int unhex_char(char c);

/* Read fd to its end, at most max bytes: -EFBIG if there are more (a file that grew while read,
 * or one over the caller's cap), else -errno of read(); EINTR is retried. On success *ret is the
 * data, NUL-terminated, allocated to its length (free() it), and *ret_len its length. The caller
 * opens fd and checks what it is (regular file, size). */
int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len);

/* Parse a whole decimal unsigned number in [0, max]. Returns 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);

/* Current CLOCK_REALTIME / CLOCK_MONOTONIC in microseconds. */
uint64_t now_realtime_usec(void);
uint64_t now_monotonic_usec(void);

static inline void strv_freep(char ***l) {
        strv_free(*l);
}
