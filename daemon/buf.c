/* SPDX-License-Identifier: MIT */
/* Growable byte buffer. Grows geometrically; never fails (allocation aborts, see util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static void reserve(Buf *b, size_t extra) {
        size_t need = b->len + extra + 1;
        if (need <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
}

void buf_append(Buf *b, const void *data, size_t n) {
        reserve(b, n);
        if (n)
                memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = 0;
}

void buf_puts(Buf *b, const char *s) {
        buf_append(b, s, strlen(s));
}

void buf_putc(Buf *b, char c) {
        buf_append(b, &c, 1);
}

void buf_printf(Buf *b, const char *fmt, ...) {
        va_list ap, aq;
        va_start(ap, fmt);
        va_copy(aq, ap);
        int n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n > 0) {
                reserve(b, (size_t) n);
                (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
                b->len += (size_t) n;
        }
        va_end(ap);
}

void buf_clear(Buf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = 0;
}

void buf_done(Buf *b) {
        free(b->data);
        *b = (Buf) {};
}

char *buf_steal(Buf *b) {
        char *p = b->data ? b->data : xstrdup("");
        *b = (Buf) {};
        return p;
}

char *buf_shown(const char *s) {
        Buf b = {};
        size_t i;

        for (i = 0; s[i] && i < BUF_SHOWN_MAX; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
                        buf_printf(&b, "\\x%02x", c);
                else
                        buf_putc(&b, (char) c);
        }
        if (s[i])
                buf_puts(&b, "...");
        if (!b.data)
                buf_puts(&b, "");
        return buf_steal(&b);
}
