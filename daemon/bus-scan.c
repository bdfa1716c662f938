/* SPDX-License-Identifier: MIT */
/* bus-scan: pipelined asynchronous property reads over many units (see bus-scan.h for the why).
 * Flow: bus_scan_start() sends Get(Manager.Version) and, for a full scan, ListUnits; the ListUnits
 * reply (or the caller's list) fills the unit table; pump() keeps up to in_flight_max calls
 * pending, n_calls per unit (GetAll on the Service interface, then one Get per Unit-interface
 * property of the map that ListUnits did not already report); every reply decodes into its
 * unit's slot of the table, so completion order does not matter; the last reply calls done. The
 * completion callback is always the last thing a reply handler does, because it may free the
 * scan. Never logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-props.h"
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

/* The Unit-interface properties a ListUnits entry reports too (id, description, load state: the
 * same unit_description() and load state the properties return): a full scan takes them from
 * there instead of asking every unit. */
static const char *const list_units_props[] = { "Id", "Description", "LoadState" };

struct BusScan {
        sd_bus *bus;
        unsigned in_flight;
        uint64_t timeout_usec;

        BusScanUnit *units;
        size_t n_units;
        const char **gets;       /* the Unit-interface properties read with Get, for every unit */
        size_t n_gets;
        size_t n_calls;          /* per unit: 1 (GetAll on the Service interface) + n_gets */
        Pending *pending;        /* n_units * n_calls: call c of unit i at i * n_calls + c */
        size_t next;             /* the index in pending of the next call to send */

        sd_bus_slot *list_slot;
        sd_bus_slot *version_slot;
        sd_bus_slot *features_slot, *unit_path_slot;
        char *features;
        char **unit_path;
        BusScanFilterFunc filter;
        void *filter_userdata;
        sd_event_source *stall_timer;  /* fires when no reply came for stall_usec */
        uint64_t stall_usec;
        bool started, listed, version_read, finished;
        char *version;
        int error;

        BusScanDoneFunc done;
        void *userdata;
        BusScanStats stats;
};

int bus_scan_open(const char *address, bool bus_client, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!address)
                return sd_bus_default_system(ret);
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, bus_client);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

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
        for (size_t i = 0; i < s->n_units * s->n_calls; i++)
                sd_bus_slot_unref(s->pending[i].slot);
        for (size_t i = 0; i < s->n_units; i++) {
                free(s->units[i].name);
                free(s->units[i].error_name);
                free(s->units[i].error_message);
                unit_props_done(&s->units[i].props);
        }
        free(s->units);
        free(s->pending);
        free(s->gets);
        sd_bus_slot_unref(s->list_slot);
        sd_bus_slot_unref(s->version_slot);
        sd_bus_slot_unref(s->features_slot);
        sd_bus_slot_unref(s->unit_path_slot);
        sd_event_source_disable_unref(s->stall_timer);
        free(s->version);
        free(s->features);
        strv_free(s->unit_path);
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

const char *bus_scan_features(const BusScan *s) {
        return s->features;
}

char *const *bus_scan_unit_path_list(const BusScan *s) {
        return s->unit_path;
}

void bus_scan_set_filter(BusScan *s, BusScanFilterFunc filter, void *userdata) {
        s->filter = filter;
        s->filter_userdata = userdata;
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

/* A call of unit u failed: the unit keeps the first error. */
static void unit_failed(BusScan *s, BusScanUnit *u, int error, const sd_bus_error *e) {
        s->stats.n_errors++;
        if (u->error < 0)
                return;
        u->error = error;
        if (e && e->name)
                u->error_name = xstrdup(e->name);
        if (e && e->message)
                u->error_message = xstrdup(e->message);
}

static void maybe_finish(BusScan *s) {
        if (s->finished || !s->listed || !s->version_read || s->features_slot ||
            s->unit_path_slot || s->next < s->n_units * s->n_calls || s->in_flight > 0)
                return;
        s->finished = true;
        /* A unit with a failed call has its props unset, whatever its other calls returned. */
        for (size_t i = 0; i < s->n_units; i++)
                if (s->units[i].error < 0)
                        unit_props_done(&s->units[i].props);
        (void) sd_event_source_set_enabled(s->stall_timer, SD_EVENT_OFF);
        s->stats.elapsed_usec = now_monotonic_usec() - s->stats.start_usec;
        /* Last action: done may free s. */
        s->done(s, s->error, s->userdata);
}

/* A reply arrived: the scan is making progress. */
static void progress(BusScan *s) {
        (void) sd_event_source_set_time_relative(s->stall_timer, s->stall_usec);
}

static int on_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

/* The unit's calls go out in order, GetAll first: whichever PID 1 handles first loads a unit
 * that is not loaded yet (as GetAll("") did), the others find it loaded. */
static void pump(BusScan *s) {
        while (s->next < s->n_units * s->n_calls && s->in_flight < s->stats.in_flight_max) {
                size_t k = s->next++, c = k % s->n_calls;
                BusScanUnit *u = &s->units[k / s->n_calls];
                _cleanup_free_ char *path = NULL;
                int r;

                if (u->skipped)
                        continue;
                r = bus_scan_unit_path(u->name, &path);
                if (r >= 0 && c == 0)
                        r = call_async(s, &s->pending[k].slot, path, PROPERTIES_IFACE, "GetAll",
                                       on_props, &s->pending[k], BUS_PROP_SERVICE_INTERFACE,
                                       NULL);
                else if (r >= 0)
                        r = call_async(s, &s->pending[k].slot, path, PROPERTIES_IFACE, "Get",
                                       on_props, &s->pending[k], BUS_PROP_UNIT_INTERFACE,
                                       s->gets[c - 1]);
                if (r < 0)
                        unit_failed(s, u, r, NULL);
        }
}

static int on_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        BusScan *s = p->scan;
        size_t k = (size_t) (p - s->pending), c = k % s->n_calls;
        BusScanUnit *u = &s->units[k / s->n_calls];
        int r;

        (void) ret_error;
        p->slot = sd_bus_slot_unref(p->slot);
        s->in_flight--;
        progress(s);

        if (sd_bus_message_is_method_error(m, NULL))
                unit_failed(s, u, reply_errno(m), sd_bus_message_get_error(m));
        else {
                if (c == 0)
                        r = bus_props_update_from_message(m, &u->props);
                else
                        r = bus_props_read_property(m, s->gets[c - 1], &u->props);
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

/* Features ("s") and UnitPath ("as"): a failure leaves them NULL (a busy PID 1); the caller
 * then treats them as unknown, which is not a scan error. */
static int on_features(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusScan *s = userdata;
        const char *v;

        (void) ret_error;
        s->features_slot = sd_bus_slot_unref(s->features_slot);
        s->in_flight--;
        progress(s);
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "s", &v) >= 0)
                s->features = xstrdup(v);
        pump(s);
        maybe_finish(s);
        return 0;
}

static int on_unit_path(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusScan *s = userdata;
        char **l = NULL;

        (void) ret_error;
        s->unit_path_slot = sd_bus_slot_unref(s->unit_path_slot);
        s->in_flight--;
        progress(s);
        if (!sd_bus_message_is_method_error(m, NULL) &&
            sd_bus_message_enter_container(m, 'v', "as") >= 0 && sd_bus_message_read_strv(m, &l) >= 0)
                s->unit_path = l;
        pump(s);
        maybe_finish(s);
        return 0;
}

/* The Unit-interface properties of the map to read with Get: all of them, or with from_list
 * those ListUnits does not report. */
static void plan_calls(BusScan *s, bool from_list) {
        size_t n_map;
        const BusPropMap *map = bus_prop_map_get(&n_map);

        s->gets = xcalloc(n_map, sizeof(char *));
        for (size_t i = 0; i < n_map; i++) {
                bool listed = false;

                if (map[i].iface != BUS_PROP_UNIT)
                        continue;
                for (size_t j = 0; from_list && j < ELEMENTSOF(list_units_props); j++)
                        listed = listed || streq(map[i].name, list_units_props[j]);
                if (!listed)
                        s->gets[s->n_gets++] = map[i].name;
        }
        s->n_calls = 1 + s->n_gets;
}

static void add_units(BusScan *s, char *const *names, size_t n) {
        s->units = xcalloc(n ? n : 1, sizeof(BusScanUnit));
        s->pending = xcalloc(n ? n * s->n_calls : 1, sizeof(Pending));
        for (size_t i = 0; i < n; i++) {
                s->units[i].name = xstrdup(names[i]);
                unit_props_init(&s->units[i].props);
        }
        for (size_t i = 0; i < n * s->n_calls; i++)
                s->pending[i].scan = s;
        s->n_units = n;
}

/* A ListUnits entry: the id and the values of list_units_props, in that order. */
typedef struct ListedUnit {
        char *values[ELEMENTSOF(list_units_props)];
} ListedUnit;

static void listed_free(ListedUnit *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ELEMENTSOF(l[i].values); j++)
                        free(l[i].values[j]);
        free(l);
}

static int cmp_listed(const void *a, const void *b) {
        return strcmp(((const ListedUnit *) a)->values[0], ((const ListedUnit *) b)->values[0]);
}

static int read_services(sd_bus_message *m, ListedUnit **ret, size_t *ret_n) {
        ListedUnit *l = NULL;
        size_t n = 0, cap = 0;
        const char *id, *description, *load_state;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ssssssouso)", &id, &description, &load_state, NULL,
                                        NULL, NULL, NULL, NULL, NULL, NULL)) > 0) {
                if (!endswith(id, ".service"))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        l = xrealloc(l, cap * sizeof(ListedUnit));
                }
                l[n++] = (ListedUnit) { { xstrdup(id), xstrdup(description),
                                          xstrdup(load_state) } };
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                listed_free(l, n);
                return r;
        }
        if (n > 0)
                qsort(l, n, sizeof(ListedUnit), cmp_listed);
        *ret = l;
        *ret_n = n;
        return 0;
}

/* The units of a ListUnits reply, sorted by id, with the properties it reports already set. */
static int add_listed_units(BusScan *s, ListedUnit *l, size_t n) {
        _cleanup_free_ char **ids = xcalloc(n ? n : 1, sizeof(char *));
        int r;

        for (size_t i = 0; i < n; i++)
                ids[i] = l[i].values[0];
        add_units(s, ids, n);
        for (size_t i = 0; i < n; i++)
                s->units[i].skipped = s->filter && !s->filter(l[i].values[0], l[i].values[2],
                                                              s->filter_userdata);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ELEMENTSOF(list_units_props); j++) {
                        r = bus_props_set_string(&s->units[i].props, list_units_props[j],
                                                  l[i].values[j]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int on_list_units(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusScan *s = userdata;
        ListedUnit *l = NULL;
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
                r = read_services(m, &l, &n);
                if (r >= 0)
                        r = add_listed_units(s, l, n);
                if (r < 0)
                        scan_failed(s, r);
                listed_free(l, n);
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
        for (size_t k = 0; k < s->n_units * s->n_calls; k++)
                if (s->pending[k].slot || (k >= s->next && !s->units[k / s->n_calls].skipped)) {
                        s->pending[k].slot = sd_bus_slot_unref(s->pending[k].slot);
                        unit_failed(s, &s->units[k / s->n_calls], -ETIMEDOUT, &stalled);
                }
        s->next = s->n_units * s->n_calls;
        if (s->list_slot || s->version_slot)
                scan_failed(s, -ETIMEDOUT);
        s->list_slot = sd_bus_slot_unref(s->list_slot);
        s->version_slot = sd_bus_slot_unref(s->version_slot);
        s->features_slot = sd_bus_slot_unref(s->features_slot);
        s->unit_path_slot = sd_bus_slot_unref(s->unit_path_slot);
        s->listed = s->version_read = true;
        s->in_flight = 0;
        maybe_finish(s);
        return 0;
}

/* Undo a start that could not queue its first calls: nothing may call done later. */
static int start_failed(BusScan *s, int error) {
        s->version_slot = sd_bus_slot_unref(s->version_slot);
        s->features_slot = sd_bus_slot_unref(s->features_slot);
        s->unit_path_slot = sd_bus_slot_unref(s->unit_path_slot);
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
        if (r >= 0)
                r = call_async(s, &s->features_slot, SYSTEMD_PATH, PROPERTIES_IFACE, "Get",
                               on_features, s, MANAGER_IFACE, "Features");
        if (r >= 0)
                r = call_async(s, &s->unit_path_slot, SYSTEMD_PATH, PROPERTIES_IFACE, "Get",
                               on_unit_path, s, MANAGER_IFACE, "UnitPath");
        if (r < 0)
                return start_failed(s, r);

        plan_calls(s, !names);
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
