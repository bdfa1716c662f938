/* SPDX-License-Identifier: MIT */
/* bus-watch: system-bus connection, manager signal subscriptions, reconnect with back-off.
 * See bus-watch.h for which signals and why. Logs its own connection problems (edge module). */
#include <errno.h>
#include <stdlib.h>

#include "bus-watch.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define DRIVER_NAME "org.freedesktop.DBus"

/* Back-off between reconnect attempts: 100 ms doubling to 10 s. Short at first because a
 * `systemctl restart dbus` is over in well under a second; capped so a long outage costs PID 1 and
 * dbus-daemon one attempt per 10 s at most. */
#define BACKOFF_MIN_USEC (100 * 1000ULL)
#define BACKOFF_MAX_USEC (10 * 1000 * 1000ULL)

struct BusWatch {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *reconnect_timer;
        uint64_t call_timeout_usec;
        uint64_t backoff_usec;
        BusWatchHandler handler;
        void *userdata;
        BusWatchConnect connect;
        void *connect_userdata;
        BusWatchStats stats;
        bool connected; /* subscribed and reported */
        /* Between Reloading(true) and Reloading(false) the manager frees and re-creates every
         * unit, announcing each with UnitRemoved + UnitNew (223 of each for 223 units, measured
         * on 252): those are not real comings and goings, the rescan after the reload covers
         * them. */
        bool reloading;
        /* The unique name that answered our Subscribe(): the only sender of the manager's signals
         * (NULL on a direct connection, and until the answer). */
        char *manager_owner;
};



static void emit(BusWatch *w, WatchEvent ev, const char *unit) {
        w->handler(w, ev, unit, w->userdata);
}

/* Did the manager (or, for the bus's own signals, the bus driver) send m? On the system bus any
 * local user may send us a signal: dbus-daemon's policy allows every signal, and one addressed to
 * our unique name is delivered whatever our match rules say. sd-bus cannot help: its match on a
 * well-known sender passes any sender (it does not know who owns the name). Unchecked, a forged
 * Reloading(true) hid every unit change until the next real reload, and forged NameOwnerChanged
 * or Reloading(false) signals made us rescan everything, as often as they came. dbus-daemon sets
 * the sender of every message it routes, so the sender is the proof. On a direct connection (no
 * bus, as in the tests) the peer is the manager itself. */
static bool from_manager(BusWatch *w, sd_bus_message *m) {
        if (sd_bus_is_bus_client(sd_bus_message_get_bus(m)) <= 0)
                return true;
        return w->manager_owner && streq_ptr(sd_bus_message_get_sender(m), w->manager_owner);
}

static bool from_driver(sd_bus_message *m) {
        return sd_bus_is_bus_client(sd_bus_message_get_bus(m)) <= 0 ||
               streq_ptr(sd_bus_message_get_sender(m), DRIVER_NAME);
}

/* A signal someone else sent in the manager's name: counted, and dropped. */
static int foreign(BusWatch *w, sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m),
                   *member = sd_bus_message_get_member(m);

        w->stats.foreign++;
        log_debug("Signal %s from '%s', not the manager's, ignoring.", member ? member : "?",
                  sender ? sender : "?");
        return 0;
}

static void drop_bus(BusWatch *w) {
        free(w->manager_owner);
        w->manager_owner = NULL;
        if (!w->bus)
                return;
        /* No flush: this may run inside one of the bus's own callbacks (Disconnected, a failed
         * Subscribe), where flushing a closing connection trips sd-bus's state assertions.
         * Closing drops the unsent queue, which is what we want on a dead connection; sd-bus
         * keeps the object alive until its dispatcher returns. */
        (void) sd_bus_detach_event(w->bus);
        sd_bus_close(w->bus);
        w->bus = sd_bus_unref(w->bus);
}

static int connect_now(BusWatch *w);

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        BusWatch *w = userdata;
        (void) s;
        (void) usec;
        (void) connect_now(w);
        return 0;
}

static void schedule_reconnect(BusWatch *w) {
        int r;

        drop_bus(w);
        if (w->connected) {
                w->connected = false;
                w->stats.disconnects++;
                emit(w, WATCH_DISCONNECTED, NULL);
        }
        w->reconnect_timer = sd_event_source_disable_unref(w->reconnect_timer);
        r = sd_event_add_time_relative(w->event, &w->reconnect_timer, CLOCK_MONOTONIC,
                                       w->backoff_usec, 10 * 1000, on_reconnect_timer, w);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a bus reconnect: %m");
        w->backoff_usec = w->backoff_usec * 2 > BACKOFF_MAX_USEC ? BACKOFF_MAX_USEC
                                                                 : w->backoff_usec * 2;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusWatch *w = userdata;
        (void) m;
        (void) ret_error;
        log_warning("Lost the system bus connection, reconnecting.");
        schedule_reconnect(w);
        return 0;
}

static int on_reloading(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusWatch *w = userdata;
        int active, r;
        (void) ret_error;

        if (!from_manager(w, m))
                return foreign(w, m);
        w->stats.signals++;
        r = sd_bus_message_read(m, "b", &active);
        if (r < 0) {
                log_debug_errno(r, "Malformed Reloading signal, ignoring: %m");
                return 0;
        }
        /* Reloading(true) starts a reload; the units are only consistent after Reloading(false). */
        w->reloading = active;
        if (w->connected)
                emit(w, active ? WATCH_RELOADING : WATCH_RELOADED, NULL);
        return 0;
}

static int on_unit_signal(sd_bus_message *m, void *userdata, WatchEvent ev) {
        BusWatch *w = userdata;
        const char *id, *path;
        int r;

        if (!from_manager(w, m))
                return foreign(w, m);
        w->stats.signals++;
        r = sd_bus_message_read(m, "so", &id, &path);
        if (r < 0) {
                log_debug_errno(r, "Malformed unit signal, ignoring: %m");
                return 0;
        }
        if (w->connected && !w->reloading)
                emit(w, ev, id);
        return 0;
}

static int on_unit_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        (void) ret_error;
        return on_unit_signal(m, userdata, WATCH_UNIT_NEW);
}

static int on_unit_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        (void) ret_error;
        return on_unit_signal(m, userdata, WATCH_UNIT_REMOVED);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusWatch *w = userdata;
        const char *job, *unit, *result;
        uint32_t id;
        int r;
        (void) ret_error;

        if (!from_manager(w, m))
                return foreign(w, m);
        w->stats.signals++;
        r = sd_bus_message_read(m, "uoss", &id, &job, &unit, &result);
        if (r < 0) {
                log_debug_errno(r, "Malformed JobRemoved signal, ignoring: %m");
                return 0;
        }
        if (w->connected && !w->reloading && endswith(unit, ".service"))
                emit(w, WATCH_UNIT_CHANGED, unit);
        return 0;
}

static int subscribe(BusWatch *w);

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusWatch *w = userdata;
        const char *name, *old_owner, *new_owner;
        int r;
        (void) ret_error;

        if (!from_driver(m))
                return foreign(w, m);
        r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
        if (r < 0 || !streq(name, SYSTEMD_DEST))
                return 0;
        w->stats.signals++;
        /* Whoever owned the name is gone: nothing it sends counts any more, and the new owner
         * is the one that answers the next Subscribe(). */
        free(w->manager_owner);
        w->manager_owner = NULL;
        if (isempty(new_owner)) {
                log_warning("The systemd manager left the bus, waiting for it to return.");
                return 0;
        }
        /* A new owner: PID 1 re-executed or reconnected. Subscribe again (a no-op error if the
         * subscription survived) and report a fresh connection, which means a full rescan. */
        log_info("The systemd manager is on the bus again, re-subscribing.");
        w->connected = false;
        r = subscribe(w);
        if (r < 0)
                schedule_reconnect(w);
        return 0;
}

static int on_subscribed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusWatch *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        (void) ret_error;

        /* The manager answers "already subscribed" when our subscription survived a reexec. */
        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed") &&
            !(e->message && strstr(e->message, "already subscribed"))) {
                log_warning("Failed to subscribe to the systemd manager: %s, retrying.",
                            e->message ? e->message : e->name);
                schedule_reconnect(w);
                return 0;
        }
        /* The sender of the manager's signals from now on (set by dbus-daemon, not by the peer). */
        free(w->manager_owner);
        w->manager_owner = sd_bus_message_get_sender(m) ? xstrdup(sd_bus_message_get_sender(m))
                                                        : NULL;
        w->backoff_usec = BACKOFF_MIN_USEC;
        w->connected = true;
        w->reloading = false;
        w->stats.connects++;
        emit(w, WATCH_CONNECTED, NULL);
        return 0;
}

static int subscribe(BusWatch *w) {
        return sd_bus_call_method_async(w->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
                                        "Subscribe", on_subscribed, w, NULL);
}

static int add_matches(BusWatch *w) {
        static const struct {
                const char *sender, *path, *interface, *member;
                sd_bus_message_handler_t handler;
        } matches[] = {
                { SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Reloading", on_reloading },
                { SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "UnitNew", on_unit_new },
                { SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "UnitRemoved", on_unit_removed },
                { SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "JobRemoved", on_job_removed },
                { "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "NameOwnerChanged", on_name_owner_changed },
        };
        int r;

        /* Local signal, synthesized by sd-bus when the connection drops. */
        r = sd_bus_match_signal(w->bus, NULL, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                "Disconnected", on_disconnected, w);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(matches); i++) {
                /* Matches go out before Subscribe() on the same connection, and the bus keeps
                 * message order, so no signal sent after our subscription can be missed. */
                r = sd_bus_match_signal_async(w->bus, NULL, matches[i].sender, matches[i].path,
                                              matches[i].interface, matches[i].member,
                                              matches[i].handler, NULL, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int connect_now(BusWatch *w) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        drop_bus(w);
        if (w->connect)
                r = w->connect(&bus, w->connect_userdata);
        else
                r = sd_bus_open_system_with_description(&bus, "exposured");
        if (r < 0) {
                log_warning_errno(r, "Failed to connect to the system bus: %m, retrying.");
                schedule_reconnect(w);
                return 0;
        }
        r = sd_bus_set_method_call_timeout(bus, w->call_timeout_usec);
        if (r >= 0)
                r = sd_bus_attach_event(bus, w->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the bus connection: %m");
        w->bus = TAKE_PTR(bus);
        r = add_matches(w);
        if (r >= 0)
                r = subscribe(w);
        if (r < 0) {
                log_warning_errno(r, "Failed to subscribe to the systemd manager: %m, retrying.");
                schedule_reconnect(w);
        }
        return 0;
}

int bus_watch_new(sd_event *event, uint64_t call_timeout_usec, BusWatchHandler handler,
                  void *userdata, BusWatch **ret) {
        BusWatch *w = xcalloc(1, sizeof(BusWatch));

        w->event = sd_event_ref(event);
        w->call_timeout_usec = call_timeout_usec;
        w->backoff_usec = BACKOFF_MIN_USEC;
        w->handler = handler;
        w->userdata = userdata;
        *ret = w;
        return 0;
}

void bus_watch_set_connect(BusWatch *w, BusWatchConnect connect, void *userdata) {
        w->connect = connect;
        w->connect_userdata = userdata;
}

int bus_watch_start(BusWatch *w) {
        return connect_now(w);
}

sd_bus *bus_watch_get_bus(BusWatch *w) {
        return w->connected ? w->bus : NULL;
}

const BusWatchStats *bus_watch_get_stats(const BusWatch *w) {
        return &w->stats;
}

void bus_watch_reconnect(BusWatch *w) {
        schedule_reconnect(w);
}

BusWatch *bus_watch_free(BusWatch *w) {
        if (!w)
                return NULL;
        w->reconnect_timer = sd_event_source_disable_unref(w->reconnect_timer);
        drop_bus(w);
        sd_event_unref(w->event);
        free(w);
        return NULL;
}
