/* SPDX-License-Identifier: MIT */
/* User reports: the properties of lingering users' services, as `exposured scan --user --props`
 * wrote them into /run/exposured-users/UID.props (units/exposured-user@.service; the design is
 * docs/user-managers.md). The daemon reads them to watch user managers it cannot reach itself.
 *
 * Trust: the FILE NAME was chosen by root (PID 1 opens the file for the template instance UID,
 * exposured-users.service starts one per lingering user): it alone says whose units these are.
 * The CONTENT was written by a process running as that user: untrusted input, refused when it is
 * not a regular file, is larger than USER_REPORT_SIZE_MAX, holds more than USER_REPORT_UNITS_MAX
 * units, anything but valid .service names, a duplicate or a line props_text_parse() refuses.
 * A report carries properties, never scores: the daemon scores them with its own table.
 *
 * Format (one encoder: user_report_begin/_end with props_text_format() in between):
 *   # exposured user report 1
 *   Id=a.service          <- one block of props_text_format() lines per unit,
 *   ...                      each followed by one empty line
 *
 *   # end of report: N units
 * The last line tells a complete report from one being written (StandardOutput=truncate: lets
 * the reader see a partial file): without it, or with another N, the report is incomplete. */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "cleanup.h"
#include "unit-props.h"

#define USER_REPORTS_DIR "/run/exposured-users"
#define USER_REPORT_SIZE_MAX (4U * 1024U * 1024U) /* ~1000 units with full syscall lists */
#define USER_REPORT_UNITS_MAX 4096U
#define USER_REPORTS_MAX 256U                     /* files read per pass, lowest UIDs first */

/* The framing around the props_text_format() blocks (each followed by "\n"). */
void user_report_begin(Buf *out);
void user_report_end(size_t n_units, Buf *out);

/* Parse a report (len bytes, need not be NUL-terminated). On success *ret_units (n, sorted by
 * id, each marked user_manager) is the caller's (user_report_units_free()) and 0 is returned.
 * Errors: -ENODATA incomplete (no or a wrong end line: still being written), -EFBIG over the
 * size or unit cap, -EINVAL a bad line (*ret_line, if not NULL, its 1-based number), -EBADMSG
 * a unit without a valid .service Id= or LoadState=, -EEXIST an Id given twice. Pure. */
int user_report_parse(const char *text, size_t len, UnitProps **ret_units, size_t *ret_n,
                      unsigned *ret_line);
/* Free n units (and the array); units NULL is nothing to free, whatever n says. */
void user_report_units_free(UnitProps *units, size_t n);

/* "1000.props" -> 1000: decimal without leading zeros, below UINT32_MAX. -EINVAL otherwise. */
int user_report_name_parse(const char *name, uid_t *ret);

/* Read the file name in dir_fd, not following symlinks and without blocking on a FIFO: -ELOOP a
 * symlink, -EBADF not a regular file, -EFBIG larger than USER_REPORT_SIZE_MAX, other -errno from
 * open/read. On success *ret (NUL-terminated, *ret_len bytes) is the caller's. */
int user_report_read(int dir_fd, const char *name, char **ret, size_t *ret_len);

/* What one pass over the directory found for one UID. */
typedef struct UserReport {
        uid_t uid;
        char *user;         /* the name /etc/passwd gives uid, else the number */
        UnitProps *units;   /* sorted by id; NULL when error < 0 */
        size_t n_units;
        int error;          /* 0, or why the report was refused (the codes above) */
        unsigned error_line;
} UserReport;

/* Read every UID.props in dir (other names are ignored), sorted by UID, at most USER_REPORTS_MAX.
 * A missing dir is no report (0 returned, *ret_n 0). Per-file problems are in each error; returns
 * <0 only when dir cannot be read. */
int user_reports_read_dir(const char *dir, UserReport **ret, size_t *ret_n);
void user_reports_free(UserReport *l, size_t n);

/* A message for a UserReport error (the -errno codes above). */
const char *user_report_strerror(int error);

/* Tell when the reports in dir change: inotify on dir (once it exists) coalesced by a short delay,
 * plus a periodic pass every interval_usec (0: none), which also notices a dir that appeared. */
typedef struct UserWatch UserWatch;
typedef void (*UserWatchCallback)(UserWatch *w, void *userdata);
int user_watch_new(sd_event *e, const char *dir, uint64_t interval_usec, UserWatchCallback cb,
                   void *userdata, UserWatch **ret);
/* Run the callback soon (on the event loop). */
void user_watch_trigger(UserWatch *w);
UserWatch *user_watch_free(UserWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(UserWatch *, user_watch_free);
