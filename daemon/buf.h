/* SPDX-License-Identifier: MIT */
/* A growable, always NUL-terminated byte buffer for renderers. Allocation aborts on OOM. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

typedef struct Buf {
        char *data; /* NUL-terminated; NULL until the first append */
        size_t len;
        size_t cap;
} Buf;

/* Append n bytes / a string / printf-formatted text (numbers and fixed words only: never use
 * this to splice client- or unit-controlled text into HTML, JSON or SQL). */
void buf_append(Buf *b, const void *data, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget the contents, keep the memory. */
void buf_clear(Buf *b);
/* Free the memory; the Buf is empty and reusable afterwards. */
void buf_done(Buf *b);
/* Hand the data to the caller (never NULL; "" for an empty buffer) and reset the Buf. */
char *buf_steal(Buf *b);

#define BUF_SHOWN_MAX 64U /* bytes of user text quoted in a message */
/* User text for a message (config and policy errors): at most BUF_SHOWN_MAX bytes of s, then
 * "..."; anything but printable ASCII, and the backslash and ', as \xNN. A new string, never
 * NULL. */
char *buf_shown(const char *s);
