/* SPDX-License-Identifier: MIT */
/* Logging for the edge modules (manager, bus-watch, store, http, main). Writes to the journal via
 * sd_journal_send(), or to stderr when LOG_TARGET=stderr or when stderr is not the journal.
 * Pure modules (score, render-*, config parse) never log. */
#pragma once

#include <errno.h>
#include <syslog.h>

/* MESSAGE_IDs of key events (systemd-id128 new). Keep this list in sync with the README. */
#define LOG_MESSAGE_REGRESSION "c1f7a5a7f0b44f7d9e3c1e0a6b2d4c11"
#define LOG_MESSAGE_IMPROVEMENT "4b0e2e3f9a6c4d1e8f7a5b3c2d1e0f22"
#define LOG_MESSAGE_FIRST_SCORE "9d8c7b6a5f4e4d3c2b1a0f9e8d7c6b33"
#define LOG_MESSAGE_NEW_EXPOSED "5e6f7a8b9c0d4e1f2a3b4c5d6e7f8a44"
#define LOG_MESSAGE_MIGRATION "2a3b4c5d6e7f4a8b9c0d1e2f3a4b5c55"
#define LOG_MESSAGE_DATABASE "54178c8fb91c482a9eb51e3048ae4e55" /* store_add_notice() events */

void log_set_max_level(int level);
int log_get_max_level(void);
/* Parse "debug", "info", ... or 0-7. Returns the level or -EINVAL. */
int log_level_from_string(const char *s);
/* Force stderr output ("stderr") or journal ("journal"); "auto" picks by $JOURNAL_STREAM. */
void log_set_target(const char *target);

/* Log at level; error is an errno value (positive or negative) available as %m. Returns -abs(error)
 * so that `return log_error_errno(r, "...: %m");` works. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Structured event: extra fields are "KEY=value" strings, NULL-terminated. */
void log_struct_internal(int level, const char *message_id, const char *message,
                         const char *const *fields);

#define log_full_errno(level, error, ...) \
        log_internal(level, error, __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug(...) (void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
