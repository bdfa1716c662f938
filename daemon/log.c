/* SPDX-License-Identifier: MIT */
/* Journal or stderr logging. The only global besides arg_* in main.c is the level/target here. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "util.h"

static int max_level = LOG_INFO;
static int target = -1; /* -1 auto, 0 stderr, 1 journal */

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err",
                                             "warning", "notice", "info", "debug" };
        uint64_t v;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (streq(s, names[i]))
                        return (int) i;
        if (streq(s, "error"))
                return LOG_ERR;
        if (parse_uint(s, 7, &v) >= 0)
                return (int) v;
        return -EINVAL;
}

void log_set_target(const char *t) {
        if (streq(t, "stderr"))
                target = 0;
        else if (streq(t, "journal"))
                target = 1;
        else
                target = -1;
}

static int use_journal(void) {
        if (target < 0) {
                const char *e = getenv("LOG_TARGET");
                if (e && streq(e, "stderr"))
                        target = 0;
                else if (e && streq(e, "journal"))
                        target = 1;
                else
                        /* systemd sets $JOURNAL_STREAM when stderr is connected to the journal. */
                        target = getenv("JOURNAL_STREAM") ? 1 : 0;
        }
        return target;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *fmt, ...) {
        int e = error < 0 ? -error : error;

        if (level <= max_level) {
                char msg[2048];
                va_list ap;

                /* %m in fmt expands to strerror(errno); set errno to the error we were given. */
                errno = e;
                va_start(ap, fmt);
                (void) vsnprintf(msg, sizeof msg, fmt, ap);
                va_end(ap);

                if (use_journal()) {
                        char f[512], l[32];
                        (void) snprintf(f, sizeof f, "CODE_FILE=%s", file);
                        (void) snprintf(l, sizeof l, "CODE_LINE=%d", line);
                        (void) sd_journal_send_with_location(f, l, func, "MESSAGE=%s", msg,
                                                             "PRIORITY=%i", level, "ERRNO=%i",
                                                             e, NULL);
                } else
                        (void) fprintf(stderr, "%s\n", msg);
        }
        return -e;
}

void log_struct_with_location(const char *file, int line, const char *func, int level,
                              const char *message_id, const char *message,
                              const char *const *fields) {
        if (level > max_level)
                return;
        if (!use_journal()) {
                (void) fprintf(stderr, "%s\n", message);
                return;
        }

        /* sd_journal_sendv() takes an iovec: MESSAGE, PRIORITY, MESSAGE_ID, then the fields. */
        size_t n = 0;
        while (fields && fields[n])
                n++;
        struct iovec *iov = xcalloc(n + 3, sizeof(struct iovec));
        char *m = NULL, *p = NULL, *id = NULL, f[512], l[32];
        if (asprintf(&m, "MESSAGE=%s", message) < 0 || asprintf(&p, "PRIORITY=%i", level) < 0 ||
            asprintf(&id, "MESSAGE_ID=%s", message_id) < 0)
                abort();
        (void) snprintf(f, sizeof f, "CODE_FILE=%s", file);
        (void) snprintf(l, sizeof l, "CODE_LINE=%d", line);
        iov[0] = (struct iovec) { m, strlen(m) };
        iov[1] = (struct iovec) { p, strlen(p) };
        iov[2] = (struct iovec) { id, strlen(id) };
        for (size_t i = 0; i < n; i++)
                iov[3 + i] = (struct iovec) { (void *) (uintptr_t) fields[i], strlen(fields[i]) };
        /* The _with_location call: plain sd_journal_sendv() is a macro that would record this
         * file and line for every event. */
        (void) sd_journal_sendv_with_location(f, l, func, iov, (int) n + 3);
        free(iov);
        free(m);
        free(p);
        free(id);
}
