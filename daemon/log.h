/* SPDX-License-Identifier: MIT */
/* Logging for the edge modules (manager, bus-watch, store, http, main). Writes to the journal via
 * sd_journal_send(), or to stderr when LOG_TARGET=stderr or when stderr is not the journal.
 * Pure modules (score, render-*, config parse) never log. */
#pragma once

#include <errno.h>
#include <syslog.h>

/* MESSAGE_IDs of key events, generated with `systemd-id128 new`. Each has an entry in
 * catalog/exposured.catalog (`journalctl -x`; tests/unit/test-log.c checks both lists agree).
 * Keep this list in sync with the README. */
#define LOG_MESSAGE_REGRESSION "bb1c841a4f8a43799190cea8482e4daa"
#define LOG_MESSAGE_IMPROVEMENT "9dc14f16a3ec4f4a88e42c437a92e87c"
#define LOG_MESSAGE_FIRST_SCORE "24d1249da35c4207b172455a0a777993"
#define LOG_MESSAGE_NEW_EXPOSED "39d548dde9dd4fbdb8d570dd5aa82b82"
#define LOG_MESSAGE_MIGRATION "b4b11b2e33d940228f617019dc1a495b"
#define LOG_MESSAGE_DATABASE "54178c8fb91c482a9eb51e3048ae4e55" /* store_add_notice() events */
#define LOG_MESSAGE_OVER_POLICY "6864af5c157f4db495ea6c2df569e4f9"    /* unit-policy.h */
#define LOG_MESSAGE_WITHIN_POLICY "66ac8597ab784e2e900f630585add692"
#define LOG_MESSAGE_WAIVER_EXPIRED "147b39b2e90043be9dc4edb1b1769463"
#define LOG_MESSAGE_POLICY_LOAD "a59bc4b913164644a4875ed7a25fc66e" /* loaded, or kept on error */

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

/* Structured event: extra fields are "KEY=value" strings, NULL-terminated. The journal entry's
 * CODE_FILE/CODE_LINE/CODE_FUNC are the caller's (the macro passes them). */
void log_struct_with_location(const char *file, int line, const char *func, int level,
                              const char *message_id, const char *message,
                              const char *const *fields);
#define log_struct_internal(level, message_id, message, fields) \
        log_struct_with_location(__FILE__, __LINE__, __func__, level, message_id, message, fields)

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
