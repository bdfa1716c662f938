/* SPDX-License-Identifier: MIT */
/* Test helper: a whole file into memory. */
#include <stdio.h>

#include "buf.h"
#include "read-file.h"

char *read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        Buf b = {};
        char chunk[4096];
        size_t n;

        if (!f)
                return NULL;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                buf_append(&b, chunk, n);
        fclose(f);
        if (ret_len)
                *ret_len = b.len;
        return buf_steal(&b); /* Buf keeps a NUL after the data */
}
