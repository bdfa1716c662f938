/* SPDX-License-Identifier: MIT */
/* bus-scan: pipelined asynchronous GetAll over many units (see bus-scan.h for the why).
 * Flow: bus_scan_start() sends Get(Manager.Version) and, for a full scan, ListUnits; the ListUnits
 * reply (or the caller's list) fills the unit table; pump() keeps up to in_flight_max calls
 * pending; every reply decodes into its own slot of the table, so completion order does not
 * matter; the last reply calls done. The completion callback is always the last thing a reply
 * handler does, because it may free the scan. Never logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-scan.h"
#include "util.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"

typedef struct Pending {
        BusScan *scan;
        sd_bus_slot *slot;
} Pending;

struct BusScan {
        sd_bus *bus;
        unsigned in_flight;
        uint64_t timeout_usec;

        BusScanUnit *units;
        Pending *pending;        /* one per unit; userdata of its GetAll call */
        size_t n_units;
        size_t next;             /* the next unit to send GetAll for */

        sd_bus_slot *list_slot;
        sd_bus_slot *version_slot;
        sd_event_source *stall_timer;  /* fires when no reply came for stall_usec */
        uint64_t stall_usec;
        bool started, listed, version_read, finished;
        char *version;
        int error;

        BusScanDoneFunc done;
        void *userdata;
        BusScanStats stats;
};

int bus_scan_unit_path(const char *name, char **ret) {
        return sd_bus_path_encode(UNIT_PATH_PREFIX, name, ret);
}

int bus_scan_parse_version(const char *version, unsigned *ret) {
        uint64_t v = 0;
        const char *p = version;

        if (!p)
                return -EINVAL;
        if (*p == 'v')
                p++;
        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (uint64_t) (*p - '0');
                if (v > 1000000)
                        return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

int bus_scan_new(sd_bus *bus, unsigned in_flight, uint64_t timeout_usec, BusScan **ret) {
        BusScan *s;

        if (!bus)
                return -EINVAL;
        s = xcalloc(1, sizeof(BusScan));
        s->bus = sd_bus_ref(bus);
        s->timeout_usec = timeout_usec;
        if (in_flight == 0)
                in_flight = BUS_SCAN_IN_FLIGHT_DEFAULT;
        s->stats.in_flight_max = in_flight > BUS_SCAN_IN_FLIGHT_MAX ? BUS_SCAN_IN_FLIGHT_MAX
                                                                    : in_flight;
        *ret = s;
        return 0;
}

BusScan *bus_scan_free(BusScan *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_units; i++) {
                sd_bus_slot_unref(s->pending[i].slot);
                free(s->units[i].name);
                free(s->units[i].error_name);
                free(s->units[i].error_message);
                unit_props_done(&s->units[i].props);
        }
        free(s->units);
        free(s->pending);
        sd_bus_slot_unref(s->list_slot);
        sd_bus_slot_unref(s->version_slot);
        sd_event_source_disable_unref(s->stall_timer);
        free(s->version);
        sd_bus_unref(s->bus);
        free(s);
        return NULL;
}

BusScanUnit *bus_scan_units(BusScan *s, size_t *ret_n) {
        *ret_n = s->n_units;
        return s->units;
}

const char *bus_scan_version(const BusScan *s) {
        return s->version;
}

const BusScanStats *bus_scan_stats(const BusScan *s) {
        return &s->stats;
}

bool bus_scan_done(const BusScan *s) {
        return s->finished;
}

static void call_sent(BusScan *s) {
        s->stats.n_calls++;
        s->in_flight++;
        if (s->in_flight > s->stats.in_flight_peak)
                s->stats.in_flight_peak = s->in_flight;
}

/* Send one call with the scan's timeout. */
static int call_async(BusScan *s, sd_bus_slot **ret_slot, const char *path, const char *iface,
                      const char *member, sd_bus_message_handler_t handler, void *userdata,
                      const char *arg1, const char *arg2) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(s->bus, &m, SYSTEMD_DEST, path, iface, member);
        if (r < 0)
                return r;
        if (arg1) {
                r = sd_bus_message_append_basic(m, 's', arg1);
                if (r < 0)
                        return r;
        }
        if (arg2) {
                r = sd_bus_message_append_basic(m, 's', arg2);
                if (r < 0)
                        return r;
        }
        r = sd_bus_call_async(s->bus, ret_slot, m, handler, userdata, s->timeout_usec);
        if (r < 0)
                return r;
        call_sent(s);
        return 0;
}

/* The errno of an error reply: sd-bus maps the well-known names (Timeout, NoReply, ...). */
static int reply_errno(sd_bus_message *m) {
        int e = sd_bus_message_get_errno(m);
        return e > 0 ? -e : -EIO;
}

static void unit_failed(BusScan *s, BusScanUnit *u, int error, const sd_bus_error *e) {
        u->error = error;
        if (e && e->name)
                u->error_name = xstrdup(e->name);
        if (e && e->message)
                u->error_message = xstrdup(e->message);
        s->stats.n_errors++;
}

static void maybe_finish(BusScan *s) {
        if (s->finished || !s->listed || !s->version_read || s->next < s->n_units ||
            s->in_flight > 0)
                return;
        s->finished = true;
        (void) sd_event_source_set_enabled(s->stall_timer, SD_EVENT_OFF);
        s->stats.elapsed_usec = now_monotonic_usec() - s->stats.start_usec;
        /* Last action: done may free s. */
        s->done(s, s->error, s->userdata);
}

/* A reply arrived: the scan is making progress. */
static void progress(BusScan *s) {
        (void) sd_event_source_set_time_relative(s->stall_timer, s->stall_usec);
}

static int on_getall(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static void pump(BusScan *s) {
        while (s->next < s->n_units && s->in_flight < s->stats.in_flight_max) {
                size_t i = s->next++;
                _cleanup_free_ char *path = NULL;
                int r;

                r = bus_scan_unit_path(s->units[i].name, &path);
                if (r >= 0)
                        r = call_async(s, &s->pending[i].slot, path, PROPERTIES_IFACE, "GetAll",
                                       on_getall, &s->pending[i], "", NULL);
                if (r < 0)
                        unit_failed(s, &s->units[i], r, NULL);
        }
}

static int on_getall(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        BusScan *s = p->scan;
        BusScanUnit *u = &s->units[p - s->pending];
        int r;

        (void) ret_error;
        p->slot = sd_bus_slot_unref(p->slot);
        s->in_flight--;
        progress(s);

        if (sd_bus_message_is_method_error(m, NULL))
                unit_failed(s, u, reply_errno(m), sd_bus_message_get_error(m));
        else {
                r = unit_props_from_message(m, &u->props);
                if (r < 0)
                        unit_failed(s, u, r, NULL);
        }

        pump(s);
        maybe_finish(s);
        return 0;
}

static void scan_failed(BusScan *s, int error) {
        s->stats.n_errors++;
        if (s->error == 0)
                s->error = error;
}

static int on_version(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusScan *s = userdata;
        const char *v;
        int r;

        (void) ret_error;
        s->version_slot = sd_bus_slot_unref(s->version_slot);
        s->in_flight--;
        s->version_read = true;
        progress(s);

        if (sd_bus_message_is_method_error(m, NULL))
                scan_failed(s, reply_errno(m));
        else {
                r = sd_bus_message_read(m, "v", "s", &v);
                if (r < 0)
                        scan_failed(s, r);
                else
                        s->version = xstrdup(v);
        }

        pump(s);
        maybe_finish(s);
        return 0;
}

static void add_units(BusScan *s, char *const *names, size_t n) {
        s->units = xcalloc(n ? n : 1, sizeof(BusScanUnit));
        s->pending = xcalloc(n ? n : 1, sizeof(Pending));
        for (size_t i = 0; i < n; i++) {
                s->units[i].name = xstrdup(names[i]);
                unit_props_init(&s->units[i].props);
                s->pending[i].scan = s;
        }
        s->n_units = n;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int read_service_ids(sd_bus_message *m, char ***ret, size_t *ret_n) {
        char **ids = NULL;
        size_t n = 0, cap = 0;
        const char *id;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ssssssouso)", &id, NULL, NULL, NULL, NULL, NULL,
                                        NULL, NULL, NULL, NULL)) > 0) {
                if (!endswith(id, ".service"))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        ids = xrealloc(ids, cap * sizeof(char *));
                }
                ids[n++] = xstrdup(id);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(ids[i]);
                free(ids);
                return r;
        }
        if (n > 0)
                qsort(ids, n, sizeof(char *), cmp_str);
        *ret = ids;
        *ret_n = n;
        return 0;
}

static int on_list_units(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusScan *s = userdata;
        char **ids = NULL;
        size_t n = 0;
        int r;

        (void) ret_error;
        s->list_slot = sd_bus_slot_unref(s->list_slot);
        s->in_flight--;
        s->listed = true;
        progress(s);

        if (sd_bus_message_is_method_error(m, NULL))
                scan_failed(s, reply_errno(m));
        else {
                r = read_service_ids(m, &ids, &n);
                if (r < 0)
                        scan_failed(s, r);
                else {
                        add_units(s, ids, n);
                        for (size_t i = 0; i < n; i++)
                                free(ids[i]);
                        free(ids);
                }
        }

        pump(s);
        maybe_finish(s);
        return 0;
}

/* Nothing came back for stall_usec. sd-bus applies call timeouts only once the connection is up:
 * a peer that accepts the connection and then stays silent would hold the scan until sd-bus's
 * 90 s authentication timeout. Give up on everything that is still outstanding instead. */
static int on_stall(sd_event_source *source, uint64_t usec, void *userdata) {
        static const sd_bus_error stalled = {
                .name = "org.freedesktop.DBus.Error.Timeout",
                .message = "No reply from the service manager",
        };
        BusScan *s = userdata;

        (void) source;
        (void) usec;
        for (size_t i = 0; i < s->n_units; i++)
                if (s->pending[i].slot || i >= s->next) {
                        s->pending[i].slot = sd_bus_slot_unref(s->pending[i].slot);
                        unit_failed(s, &s->units[i], -ETIMEDOUT, &stalled);
                }
        s->next = s->n_units;
        if (s->list_slot || s->version_slot)
                scan_failed(s, -ETIMEDOUT);
        s->list_slot = sd_bus_slot_unref(s->list_slot);
        s->version_slot = sd_bus_slot_unref(s->version_slot);
        s->listed = s->version_read = true;
        s->in_flight = 0;
        maybe_finish(s);
        return 0;
}

/* Undo a start that could not queue its first calls: nothing may call done later. */
static int start_failed(BusScan *s, int error) {
        s->version_slot = sd_bus_slot_unref(s->version_slot);
        s->list_slot = sd_bus_slot_unref(s->list_slot);
        s->stall_timer = sd_event_source_disable_unref(s->stall_timer);
        s->in_flight = 0;
        return error;
}

int bus_scan_start(BusScan *s, char *const *names, BusScanDoneFunc done, void *userdata) {
        sd_event *event = sd_bus_get_event(s->bus);
        uint64_t call_usec = s->timeout_usec;
        int r;

        if (s->started)
                return -EBUSY;
        if (!event)
                return -ENXIO; /* the bus must be attached to an event loop */
        s->started = true;
        s->done = done;
        s->userdata = userdata;
        s->stats.start_usec = now_monotonic_usec();

        /* The stall timer outlasts the per-call timeout, so that on a working connection a
         * silent manager is reported by sd-bus's own timeout, per call. */
        if (call_usec == 0 && sd_bus_get_method_call_timeout(s->bus, &call_usec) < 0)
                call_usec = BUS_SCAN_TIMEOUT_DEFAULT_USEC;
        s->stall_usec = call_usec + 1000000U;
        r = sd_event_add_time_relative(event, &s->stall_timer, CLOCK_MONOTONIC, s->stall_usec, 0,
                                       on_stall, s);
        if (r < 0)
                return start_failed(s, r);

        /* The Version call goes first and completion always waits for its reply, so done is
         * never called from inside bus_scan_start(). */
        r = call_async(s, &s->version_slot, SYSTEMD_PATH, PROPERTIES_IFACE, "Get", on_version, s,
                       MANAGER_IFACE, "Version");
        if (r < 0)
                return start_failed(s, r);

        if (names) {
                add_units(s, names, strv_length(names));
                s->listed = true;
                pump(s);
                return 0;
        }

        r = call_async(s, &s->list_slot, SYSTEMD_PATH, MANAGER_IFACE, "ListUnits", on_list_units,
                       s, NULL, NULL);
        if (r < 0)
                return start_failed(s, r);
        return 0;
}
