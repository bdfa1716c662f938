/* SPDX-License-Identifier: MIT */
/* Security policies: systemd-analyze's --security-policy=PATH JSON format (v250+), turned into
 * per-row ScoreOverride[] for a given ScoreTable. The format is an object keyed by the assessors'
 * json_field; each value is an object with any of "weight" and "range" (unsigned integers) and
 * "description_good", "description_bad", "description_na" (strings). Like systemd-analyze, a
 * top-level value that is not an object, an entry that is not an object, unknown keys and values
 * of the wrong type are ignored; only JSON syntax errors are fatal. Where we refuse what
 * systemd-analyze accepts: "range": 0 (systemd-analyze aborts on an assertion) and weights above
 * POLICY_WEIGHT_MAX (they overflow its integer arithmetic). Syntax: what json-c accepts and
 * systemd's parser refuses (single quotes, NaN, "1.", DEL or "\u0000" in strings, ...) is refused,
 * with systemd's line:column (matched against systemd-analyze 252 and 257 on a few hundred random
 * inputs). Known differences: for a repeated key systemd-analyze uses the first occurrence, json-c
 * keeps the last; systemd 262 (sd-json) also refuses a top-level value that is not an object and
 * reports grammar errors at the token's start; we follow 250..257.
 * Reads files; never logs (callers report the returned error). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "score.h"

#define POLICY_SIZE_MAX (4U * 1024U * 1024U) /* bytes of policy text we accept */
#define POLICY_WEIGHT_MAX UINT64_C(4294967295)
#define POLICY_FILE_NAME "systemd-analyze-security.policy"

typedef struct Policy Policy;

/* Parse policy text of `size` bytes (need not be NUL-terminated). Returns 0 and a new Policy in
 * *ret; -ENODATA for empty input and -EBADMSG for a NUL byte (what systemd-analyze reports);
 * -EINVAL for a JSON syntax error, invalid UTF-8 or a "\u0000" escape, with the 1-based line and
 * column of the offending token in *ret_line and *ret_column (0:0 when no position applies: they
 * match systemd-analyze's for most but not all inputs); -EFBIG above POLICY_SIZE_MAX. */
int policy_parse(const char *text, size_t size, Policy **ret, unsigned *ret_line,
                 unsigned *ret_column);

/* Read and parse a policy file. Errors as policy_parse(), plus -errno from open/read (then the
 * position is 0:0). */
int policy_load(const char *path, Policy **ret, unsigned *ret_line, unsigned *ret_column);

/* systemd-analyze's default lookup: the first POLICY_FILE_NAME found in /etc/systemd,
 * /run/systemd, /usr/local/lib/systemd, /usr/lib/systemd (prefixed by root, which may be NULL).
 * Returns 1 with *ret and *ret_path (the file read; owned by the caller) when found, 0 with
 * *ret = NULL and *ret_path = NULL when there is none, or an error as policy_load() (with
 * *ret_path naming the file that failed). */
int policy_load_default(const char *root, Policy **ret, char **ret_path, unsigned *ret_line,
                        unsigned *ret_column);

/* Free a policy; accepts NULL, returns NULL. Overrides obtained from it die with it. */
Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

/* Fill ret[0 .. table->n_rows) with the policy's overrides for each row (matched by json_field;
 * rows without a json_field are never overridden). p may be NULL (no overrides). The description
 * pointers point into p. Returns 0; -EINVAL when a row's range is 0 or -ERANGE when a weight is
 * above POLICY_WEIGHT_MAX, with *ret_row set to that row's index (ret is then unspecified). */
int policy_apply(const Policy *p, const ScoreTable *table, ScoreOverride *ret, size_t *ret_row);
