/* SPDX-License-Identifier: MIT */
/* Files embedded into the binary at build time by tools/embed.sh (SQL migrations, web assets). */
#pragma once

#include <stddef.h>

typedef struct EmbeddedFile {
        const char *name; /* basename, e.g. "0001-init.sql"; NULL ends the array */
        const char *data; /* NUL-terminated too */
        size_t size;
} EmbeddedFile;

extern const EmbeddedFile sql_migrations[]; /* sql/NNNN-*.sql, in order */
extern const EmbeddedFile web_assets[];     /* web/ files */
