/* SPDX-License-Identifier: MIT */
/* bus-watch: owns the system-bus connection, subscribes to the systemd manager's signals and tells
 * its owner what happened. It knows D-Bus and nothing else: it never scores and never stores.
 *
 * Why these signals: the sandboxing properties are annotated EmitsChangedSignal("const"), so
 * PropertiesChanged never reports them. They can only change when a unit is (re)loaded, which the
 * manager announces with Reloading(false) (daemon-reload, daemon-reexec), UnitNew (a unit enters
 * memory: first reference, transient units from systemd-run) and UnitRemoved (it leaves). A finished
 * job (JobRemoved) is a cheap point to re-read one unit, which also catches `systemctl
 * set-property` changes to cgroup settings. NameOwnerChanged for org.freedesktop.systemd1 tells us
 * that the manager re-executed or reconnected to the bus (our subscription may be gone), and the
 * local Disconnected signal that the bus itself went away (dbus restarted): we reconnect with an
 * exponential back-off and report WATCH_CONNECTED again, which means "rescan everything".
 *
 * Only the manager's signals count: on a bus, a signal is taken from the unique name that
 * answered Subscribe() (NameOwnerChanged from the bus driver), whatever sender the match names;
 * any local user can address a signal to us. */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cleanup.h"

typedef struct BusWatch BusWatch;

typedef enum WatchEvent {
        WATCH_CONNECTED,      /* connected + subscribed (first time or after a loss): rescan all */
        WATCH_DISCONNECTED,   /* connection lost; a reconnect is scheduled */
        WATCH_RELOADING,      /* Reloading(true): a reload starts (the units are not consistent) */
        WATCH_RELOADED,       /* Reloading(false): rescan all */
        WATCH_UNIT_NEW,       /* unit (any type; the owner filters) */
        WATCH_UNIT_REMOVED,   /* unit */
        WATCH_UNIT_CHANGED,   /* a job for unit finished */
        _WATCH_EVENT_MAX,
} WatchEvent;

typedef void (*BusWatchHandler)(BusWatch *w, WatchEvent event, const char *unit, void *userdata);

/* Opens a new, started connection to the bus (the default: sd_bus_open_system()). Returns 0 or
 * -errno; *ret is owned by the caller. Tests connect to a peer on a socketpair instead. */
typedef int (*BusWatchConnect)(sd_bus **ret, void *userdata);

typedef struct BusWatchStats {
        uint64_t connects;        /* successful connect + subscribe */
        uint64_t disconnects;
        uint64_t signals;         /* manager signals received */
        uint64_t foreign;         /* signals in the manager's (or the bus's) name from anyone
                                   * else: dropped */
} BusWatchStats;

/* Create a watcher attached to event. It connects on bus_watch_start(). call_timeout_usec bounds
 * every method call on the connection (a stuck PID 1 must not freeze the daemon). */
int bus_watch_new(sd_event *event, uint64_t call_timeout_usec, BusWatchHandler handler,
                  void *userdata, BusWatch **ret);
/* Replace how connections are opened (before bus_watch_start(); NULL restores the system bus). */
void bus_watch_set_connect(BusWatch *w, BusWatchConnect connect, void *userdata);
/* Connect now; on failure a reconnect is scheduled and the error is logged, so this only fails on
 * programming or allocation errors. */
int bus_watch_start(BusWatch *w);
/* The connection, or NULL while disconnected. Borrowed. */
sd_bus *bus_watch_get_bus(BusWatch *w);
const BusWatchStats *bus_watch_get_stats(const BusWatch *w);
/* Drop the connection and schedule a reconnect (used when a scan finds the bus broken). */
void bus_watch_reconnect(BusWatch *w);
BusWatch *bus_watch_free(BusWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusWatch *, bus_watch_free);
