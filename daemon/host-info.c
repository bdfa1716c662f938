/* SPDX-License-Identifier: MIT */
/* host-info: the watched host's identity (see host-info.h). Two asynchronous bus calls with a
 * timeout and a small file read; the os-release parser is pure. It must never issue a synchronous
 * bus call, never log, and never write to the target before every part of a query is in (a
 * half-updated identity would make Prometheus see a new series for a moment). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "host-info.h"
#include "util.h"

struct HostInfoQuery {
        HostInfo *target;
        HostInfo next;          /* collected here, moved into target when complete */
        sd_bus_slot *machine_id_slot;
        sd_bus_slot *hostnamed_slot;
        int machine_id_error;
        int hostnamed_error;
        HostInfoDone done;
        void *userdata;
};

void host_info_done(HostInfo *h) {
        free(h->hostname);
        free(h->machine_id);
        free(h->os_id);
        free(h->os_version_id);
        free(h->kernel);
        *h = (HostInfo) {};
}

/* ---- os-release ---- */

/* One os-release value (after the '='), up to the end of the line: unquoted, unescaped, cut. */
static char *os_release_value(const char *p, const char *end) {
        char out[HOST_INFO_VALUE_MAX];
        size_t n = 0;
        char quote = 0;

        if (p < end && (*p == '"' || *p == '\''))
                quote = *p++;
        for (; p < end && *p != '\n'; p++) {
                char ch = *p;
                if (quote && ch == quote)
                        break;
                /* os-release(5): in double quotes, \ escapes $ " \ ` (and, as in sh, newline). */
                if (quote == '"' && ch == '\\' && p + 1 < end && strchr("$\"\\`", p[1]))
                        ch = *++p;
                if (n < sizeof out - 1)
                        out[n++] = ch;
        }
        out[n] = 0;
        return xstrdup(out);
}

int host_info_parse_os_release(const char *text, size_t len, char **ret_id,
                               char **ret_version_id) {
        const char *p = text, *end = text + len;
        char *id = NULL, *version_id = NULL;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *e = nl ? nl : end;

                while (p < e && (*p == ' ' || *p == '\t'))
                        p++;
                if ((size_t) (e - p) > 3 && strncmp(p, "ID=", 3) == 0) {
                        free(id);
                        id = os_release_value(p + 3, e);
                } else if ((size_t) (e - p) > 11 && strncmp(p, "VERSION_ID=", 11) == 0) {
                        free(version_id);
                        version_id = os_release_value(p + 11, e);
                }
                p = nl ? nl + 1 : end;
        }
        if (id && !id[0])
                id = (free(id), NULL);
        if (version_id && !version_id[0])
                version_id = (free(version_id), NULL);
        *ret_id = id;
        *ret_version_id = version_id;
        return 0;
}

static int read_small_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *b = NULL;
        size_t n = 0;

        if (fd < 0)
                return -errno;
        b = xmalloc(HOST_INFO_OS_RELEASE_MAX);
        while (n < HOST_INFO_OS_RELEASE_MAX) {
                ssize_t k = read(fd, b + n, HOST_INFO_OS_RELEASE_MAX - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        *ret = TAKE_PTR(b);
        *ret_len = n;
        return 0;
}

int host_info_read_os_release(const char *root, char **ret_id, char **ret_version_id) {
        static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
        int r = -ENOENT;

        if (isempty(root))
                root = "/";
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                size_t len = 0;
                bool slash = endswith(root, "/");

                if (asprintf(&path, "%s%s%s", root, slash ? "" : "/", files[i]) < 0)
                        abort();
                r = read_small_file(path, &text, &len);
                if (r < 0)
                        continue;
                return host_info_parse_os_release(text, len, ret_id, ret_version_id);
        }
        return r;
}

/* ---- the bus calls ---- */

/* A printable, bounded copy of a string from the bus (labels are escaped later; this only keeps
 * control characters and oversized values out of the metric). */
static char *bus_value(const char *s) {
        size_t n = strnlen(s, HOST_INFO_VALUE_MAX - 1);
        char *c = xstrndup(s, n);

        for (char *p = c; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        return c;
}

static void maybe_finish(HostInfoQuery *q) {
        struct utsname u;

        if (q->machine_id_slot || q->hostnamed_slot)
                return;
        if ((!q->next.hostname || !q->next.kernel) && uname(&u) == 0) {
                if (!q->next.hostname)
                        q->next.hostname = bus_value(u.nodename);
                if (!q->next.kernel)
                        q->next.kernel = bus_value(u.release);
        }
        host_info_done(q->target);
        *q->target = q->next;
        q->next = (HostInfo) {};
        q->target->known = true;
        if (q->done)
                q->done(q, q->machine_id_error, q->hostnamed_error, q->userdata);
}

static int reply_error(sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r = sd_bus_error_get_errno(e);
        return r > 0 ? -r : -EIO;
}

static int on_machine_id(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        HostInfoQuery *q = userdata;
        const char *id = NULL;
        int r;
        (void) ret_error;

        q->machine_id_slot = sd_bus_slot_unref(q->machine_id_slot);
        if (sd_bus_message_is_method_error(reply, NULL))
                q->machine_id_error = reply_error(reply);
        else if ((r = sd_bus_message_read(reply, "s", &id)) < 0)
                q->machine_id_error = r;
        else if (strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32)
                q->machine_id_error = -EBADMSG;
        else
                q->next.machine_id = xstrdup(id);
        maybe_finish(q);
        return 0;
}

/* GetAll(org.freedesktop.hostname1): a{sv}; we want Hostname and KernelRelease, both "s". */
static int read_hostnamed(HostInfoQuery *q, sd_bus_message *reply) {
        int r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name, *value;
                char **field = NULL;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                if (streq(name, "Hostname"))
                        field = &q->next.hostname;
                else if (streq(name, "KernelRelease"))
                        field = &q->next.kernel;
                if (field && sd_bus_message_enter_container(reply, 'v', "s") > 0) {
                        r = sd_bus_message_read(reply, "s", &value);
                        if (r < 0)
                                return r;
                        free(*field);
                        *field = isempty(value) ? NULL : bus_value(value);
                        r = sd_bus_message_exit_container(reply);
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static int on_hostnamed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        HostInfoQuery *q = userdata;
        int r;
        (void) ret_error;

        q->hostnamed_slot = sd_bus_slot_unref(q->hostnamed_slot);
        if (sd_bus_message_is_method_error(reply, NULL))
                q->hostnamed_error = reply_error(reply);
        else if ((r = read_hostnamed(q, reply)) < 0)
                q->hostnamed_error = r;
        maybe_finish(q);
        return 0;
}

static int call(sd_bus *bus, const char *dest, const char *path, const char *iface,
                const char *method, const char *arg, uint64_t timeout_usec,
                sd_bus_message_handler_t handler, HostInfoQuery *q, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, method);
        if (r >= 0 && arg)
                r = sd_bus_message_append(m, "s", arg);
        if (r >= 0)
                r = sd_bus_call_async(bus, ret_slot, m, handler, q, timeout_usec);
        return r;
}

int host_info_query_start(sd_bus *bus, const char *os_root, uint64_t timeout_usec,
                          HostInfo *target, HostInfoDone done, void *userdata,
                          HostInfoQuery **ret) {
        _cleanup_(host_info_query_freep) HostInfoQuery *q = NULL;
        int r;

        if (!bus || !target || !ret)
                return -EINVAL;
        q = xcalloc(1, sizeof(HostInfoQuery));
        q->target = target;
        q->done = done;
        q->userdata = userdata;
        /* A missing os-release leaves os_id and os_version_id empty: not worth failing for. */
        (void) host_info_read_os_release(os_root, &q->next.os_id, &q->next.os_version_id);

        r = call(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                 "org.freedesktop.DBus.Peer", "GetMachineId", NULL, timeout_usec, on_machine_id, q,
                 &q->machine_id_slot);
        if (r < 0)
                return r;
        r = call(bus, "org.freedesktop.hostname1", "/org/freedesktop/hostname1",
                 "org.freedesktop.DBus.Properties", "GetAll", "org.freedesktop.hostname1",
                 timeout_usec, on_hostnamed, q, &q->hostnamed_slot);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}

HostInfoQuery *host_info_query_free(HostInfoQuery *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->machine_id_slot);
        sd_bus_slot_unref(q->hostnamed_slot);
        host_info_done(&q->next);
        free(q);
        return NULL;
}
