/* SPDX-License-Identifier: MIT */
/* user-reports: read the lingering users' reports (user-reports.h) and watch their directory.
 * The label of a report is its file name, which root chose; its content is untrusted and must
 * never crash us, block us (a FIFO), lead us elsewhere (a symlink) or grow our memory past the
 * caps. It never talks to a bus, never scores and never logs: the manager does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit-name.h"
#include "props-text.h"
#include "user-reports.h"
#include "util.h"

#define HEADER "# exposured user report 1"
#define END_PREFIX "# end of report: "
/* inotify events of one write come in a burst: read once they are over. */
#define COALESCE_USEC (200U * 1000U)
#define USEC_PER_SEC UINT64_C(1000000)

void user_report_begin(Buf *out) {
        buf_puts(out, HEADER "\n");
}

void user_report_end(size_t n_units, Buf *out) {
        buf_printf(out, END_PREFIX "%zu units\n", n_units);
}

void user_report_units_free(UnitProps *units, size_t n) {
        if (!units)
                return; /* n may still count them (the manager's memo of a pass) */
        for (size_t i = 0; i < n; i++)
                unit_props_done(&units[i]);
        free(units);
}

/* The N of the end line "# end of report: N units\n" that ends text; -ENODATA without one, -EFBIG
 * when N is beyond USER_REPORT_UNITS_MAX. */
static int parse_end(const char *text, size_t len, size_t *ret_body_len, uint64_t *ret_n) {
        const char *line, *p;
        size_t n;
        uint64_t v = 0;

        if (len == 0 || text[len - 1] != '\n')
                return -ENODATA;
        n = len - 1;
        line = text + n;
        while (line > text && line[-1] != '\n')
                line--;
        n = (size_t) (text + len - 1 - line);
        if (n <= strlen(END_PREFIX) || memcmp(line, END_PREFIX, strlen(END_PREFIX)) != 0)
                return -ENODATA;
        p = line + strlen(END_PREFIX);
        if (*p < '0' || *p > '9')
                return -ENODATA;
        for (; p < text + len - 1 && *p >= '0' && *p <= '9'; p++) {
                if (v > USER_REPORT_UNITS_MAX)
                        return -EFBIG;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if ((size_t) (text + len - 1 - p) != strlen(" units") || memcmp(p, " units", 6) != 0)
                return -ENODATA;
        *ret_body_len = (size_t) (line - text);
        *ret_n = v;
        return 0;
}

static int cmp_props(const void *a, const void *b) {
        return strcmp(((const UnitProps *) a)->id, ((const UnitProps *) b)->id);
}

/* One block: parsed, and its Id= and LoadState= present and sane. */
static int parse_block(const char *s, size_t n, unsigned first_line, UnitProps *ret,
                       unsigned *ret_line) {
        unsigned line = 0;
        UnitProps p;

        if (props_text_parse(s, n, &p, &line) < 0) {
                *ret_line = first_line + line - 1;
                return -EINVAL;
        }
        if (!p.id || !unit_name_is_valid(p.id) || !endswith(p.id, ".service") ||
            unit_name_is_template(p.id) || isempty(p.load_state)) {
                unit_props_done(&p);
                *ret_line = first_line;
                return -EBADMSG;
        }
        p.user_manager = true;
        *ret = p;
        return 0;
}

int user_report_parse(const char *text, size_t len, UnitProps **ret_units, size_t *ret_n,
                      unsigned *ret_line) {
        UnitProps *units = NULL;
        size_t n = 0, body_len, hlen = strlen(HEADER);
        const char *s, *end, *block = NULL;
        unsigned lineno = 1, block_line = 0, bad_line = 0;
        uint64_t n_end;
        int r = 0;

        if (len > USER_REPORT_SIZE_MAX)
                return -EFBIG;
        if (!text)
                return -ENODATA;
        r = parse_end(text, len, &body_len, &n_end);
        if (r < 0)
                return r;
        if (n_end > USER_REPORT_UNITS_MAX)
                return -EFBIG;
        if (body_len < hlen + 1 || memcmp(text, HEADER "\n", hlen + 1) != 0) {
                if (ret_line)
                        *ret_line = 1;
                return -EINVAL;
        }

        s = text + hlen + 1;
        end = text + body_len;
        lineno = 2;
        /* Blocks end at an empty line; the last one also at the end line. */
        while (s <= end && r >= 0) {
                const char *nl = s < end ? memchr(s, '\n', (size_t) (end - s)) : NULL;
                const char *e = nl ? nl : end;

                if (e == s) { /* an empty line, or the end */
                        if (block) {
                                if (n >= USER_REPORT_UNITS_MAX)
                                        r = -EFBIG;
                                else {
                                        units = xrealloc(units, (n + 1) * sizeof(UnitProps));
                                        r = parse_block(block, (size_t) (s - block), block_line,
                                                        &units[n], &bad_line);
                                        if (r >= 0)
                                                n++;
                                }
                                block = NULL;
                        }
                } else if (!block) {
                        block = s;
                        block_line = lineno;
                }
                if (!nl)
                        break;
                s = nl + 1;
                lineno++;
        }
        if (r >= 0 && n != n_end)
                r = -ENODATA;
        if (r >= 0 && n > 1) {
                qsort(units, n, sizeof(UnitProps), cmp_props);
                for (size_t i = 1; i < n && r >= 0; i++)
                        if (streq(units[i - 1].id, units[i].id))
                                r = -EEXIST;
        }
        if (r < 0) {
                user_report_units_free(units, n);
                if (r == -EINVAL || r == -EBADMSG) {
                        if (ret_line)
                                *ret_line = bad_line;
                }
                return r;
        }
        *ret_units = units;
        *ret_n = n;
        return 0;
}

int user_report_name_parse(const char *name, uid_t *ret) {
        uint64_t v = 0;
        const char *p = name;

        if (!name || *p < '0' || *p > '9' || (p[0] == '0' && p[1] != '.'))
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (uint64_t) (*p - '0');
                if (v >= UINT32_MAX)
                        return -EINVAL;
        }
        if (!streq(p, ".props"))
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

int user_report_read(int dir_fd, const char *name, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        /* O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if (st.st_size > (off_t) USER_REPORT_SIZE_MAX)
                return -EFBIG;
        /* The writer may still be growing it: the cap holds for what is read too. */
        return read_fd_bounded(fd, USER_REPORT_SIZE_MAX, ret, ret_len);
}

static char *user_name(uid_t uid) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        Buf b = {};

        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res && !isempty(res->pw_name))
                return xstrdup(res->pw_name);
        buf_printf(&b, "%lu", (unsigned long) uid);
        return buf_steal(&b);
}

static int cmp_report(const void *a, const void *b) {
        uid_t x = ((const UserReport *) a)->uid, y = ((const UserReport *) b)->uid;

        return x < y ? -1 : x > y;
}

void user_reports_free(UserReport *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].user);
                user_report_units_free(l[i].units, l[i].n_units);
        }
        free(l);
}

int user_reports_read_dir(const char *dir, UserReport **ret, size_t *ret_n) {
        UserReport *l = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        while ((errno = 0, de = readdir(d))) {
                uid_t uid;

                if (user_report_name_parse(de->d_name, &uid) < 0)
                        continue;
                l = xrealloc(l, (n + 1) * sizeof(UserReport));
                l[n++] = (UserReport) { .uid = uid };
        }
        if (errno != 0) {
                int r = -errno;

                closedir(d);
                free(l);
                return r;
        }
        if (n > 1)
                qsort(l, n, sizeof(UserReport), cmp_report);
        if (n > USER_REPORTS_MAX)
                n = USER_REPORTS_MAX;
        for (size_t i = 0; i < n; i++) {
                UserReport *u = &l[i];
                _cleanup_free_ char *text = NULL;
                char name[32];
                size_t len = 0;

                snprintf(name, sizeof(name), "%lu.props", (unsigned long) u->uid);
                u->user = user_name(u->uid);
                u->error = user_report_read(dirfd(d), name, &text, &len);
                if (u->error >= 0)
                        u->error = user_report_parse(text, len, &u->units, &u->n_units,
                                                     &u->error_line);
        }
        closedir(d);
        *ret = l;
        *ret_n = n;
        return 0;
}

const char *user_report_strerror(int error) {
        switch (error) {
        case 0:
                return "ok";
        case -ENODATA:
                return "incomplete (being written, or its writer failed)";
        case -EFBIG:
                return "too large";
        case -EINVAL:
                return "malformed line";
        case -EBADMSG:
                return "a unit without a valid service name or load state";
        case -EEXIST:
                return "a unit listed twice";
        case -ELOOP:
                return "a symlink";
        case -EBADF:
                return "not a regular file";
        default:
                return strerror(-error);
        }
}

/* ---- the watch ---- */

struct UserWatch {
        sd_event *event;
        char *dir;
        uint64_t interval_usec;
        UserWatchCallback cb;
        void *userdata;
        sd_event_source *inotify;  /* NULL while dir does not exist */
        sd_event_source *coalesce; /* one-shot, armed by inotify and user_watch_trigger() */
        sd_event_source *periodic;
};

static int on_coalesce(sd_event_source *s, uint64_t usec, void *userdata);

static void arm(UserWatch *w, uint64_t delay_usec) {
        if (w->coalesce) {
                int enabled = SD_EVENT_OFF;

                (void) sd_event_source_get_enabled(w->coalesce, &enabled);
                if (enabled != SD_EVENT_OFF)
                        return; /* already due */
                (void) sd_event_source_set_time_relative(w->coalesce, delay_usec);
                (void) sd_event_source_set_enabled(w->coalesce, SD_EVENT_ONESHOT);
                return;
        }
        (void) sd_event_add_time_relative(w->event, &w->coalesce, CLOCK_MONOTONIC, delay_usec,
                                          0, on_coalesce, w);
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        UserWatch *w = userdata;

        (void) s;
        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                /* the directory went away: the periodic pass watches for it again */
                w->inotify = sd_event_source_disable_unref(w->inotify);
        }
        arm(w, COALESCE_USEC);
        return 0;
}

static void watch_dir(UserWatch *w) {
        if (w->inotify)
                return;
        (void) sd_event_add_inotify(w->event, &w->inotify, w->dir,
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                            IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF |
                                            IN_ONLYDIR,
                                    on_inotify, w);
}

static int on_coalesce(sd_event_source *s, uint64_t usec, void *userdata) {
        UserWatch *w = userdata;

        (void) s;
        (void) usec;
        watch_dir(w);
        w->cb(w, w->userdata);
        return 0;
}

static int on_periodic(sd_event_source *s, uint64_t usec, void *userdata) {
        UserWatch *w = userdata;

        (void) sd_event_source_set_time(s, usec + w->interval_usec);
        watch_dir(w);
        w->cb(w, w->userdata);
        return 0;
}

int user_watch_new(sd_event *e, const char *dir, uint64_t interval_usec, UserWatchCallback cb,
                   void *userdata, UserWatch **ret) {
        _cleanup_(user_watch_freep) UserWatch *w = xcalloc(1, sizeof(UserWatch));
        int r;

        w->event = sd_event_ref(e);
        w->dir = xstrdup(dir);
        w->interval_usec = interval_usec;
        w->cb = cb;
        w->userdata = userdata;
        watch_dir(w);
        if (interval_usec > 0) {
                r = sd_event_add_time_relative(e, &w->periodic, CLOCK_MONOTONIC, interval_usec,
                                               USEC_PER_SEC, on_periodic, w);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_enabled(w->periodic, SD_EVENT_ON);
        }
        *ret = TAKE_PTR(w);
        return 0;
}

void user_watch_trigger(UserWatch *w) {
        if (w)
                arm(w, 0);
}

UserWatch *user_watch_free(UserWatch *w) {
        if (!w)
                return NULL;
        w->periodic = sd_event_source_disable_unref(w->periodic);
        w->coalesce = sd_event_source_disable_unref(w->coalesce);
        w->inotify = sd_event_source_disable_unref(w->inotify);
        w->event = sd_event_unref(w->event);
        free(w->dir);
        free(w);
        return NULL;
}
