/* SPDX-License-Identifier: MIT */
/* Test helper: a whole file into memory (read-file.c). */
#pragma once

#include <stddef.h>

/* The contents of path, NUL-terminated, and its length (without the NUL) in *ret_len unless
 * ret_len is NULL. NULL if the file cannot be opened. Free with free(). */
char *read_file(const char *path, size_t *ret_len);
