/* SPDX-License-Identifier: MIT */
/* bus-scan: read the properties of many units from the systemd manager, fast and without blocking.
 * One scan = (optionally) ListUnits, the manager's Version, Features and UnitPath, then per unit on
 * /org/freedesktop/systemd1/unit/<label> one org.freedesktop.DBus.Properties.GetAll of the
 * org.freedesktop.systemd1.Service interface and one Properties.Get per Unit-interface property of
 * the map (bus-props.c) that ListUnits did not already report (a full scan takes Id, Description
 * and LoadState from ListUnits: 5 Gets a unit; named units: 8), merged into UnitProps. Not
 * GetAll(""): that makes PID 1 serialize the whole Unit interface too (dependency lists,
 * conditions, timestamps, ...), which is as expensive as the Service interface from systemd 257
 * on (bench/README.md: 3x less wall and PID 1 time on 262, equal or better on 247 and 252). All
 * calls are asynchronous and pipelined on the caller's connection with a bounded number of
 * replies pending: dbus-daemon refuses more than max_replies_per_connection (128 on the system
 * bus) pending replies per connection and answers the excess with LimitsExceeded (measured), so
 * the default stays well below. Every call carries a timeout, so a stuck manager turns into
 * per-unit errors, never a hang.
 *
 * The scan is driven by the sd_event loop the bus is attached to (sd_bus_attach_event()); the
 * completion callback runs once from that loop. Besides the per-call timeouts a stall timer (call
 * timeout + 1 s without any reply) ends the scan, because sd-bus applies call timeouts only once
 * the connection is authenticated: a peer that accepts and stays silent would otherwise hold the
 * scan for sd-bus's 90 s authentication timeout. `exposured scan` runs the loop until then; the
 * daemon reuses the same scan for rescans. Knows D-Bus and UnitProps only: never scores, never
 * logs (per-unit errors are kept in the results for the caller to report). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "cleanup.h"
#include "unit-props.h"

/* In-flight calls. PID 1 answers one call at a time (a GetAll("") took about 2.8 ms on the test
 * VM), so pipelining only overlaps the round trips and dbus-daemon's relaying with PID 1's work:
 * the scan time stops improving at 4..16 calls in flight (see the README's numbers). More only
 * queues our calls ahead of every other client of PID 1 (16 x 2.8 ms = 45 ms at worst). The
 * maximum is dbus-daemon's default max_replies_per_connection on the system bus; above it the bus
 * answers LimitsExceeded. */
#define BUS_SCAN_IN_FLIGHT_DEFAULT 16U
#define BUS_SCAN_IN_FLIGHT_MAX 128U
#define BUS_SCAN_TIMEOUT_DEFAULT_USEC (10U * 1000U * 1000U)

typedef struct BusScan BusScan;

typedef struct BusScanUnit {
        char *name;           /* the name asked for (the ListUnits id, or the caller's name) */
        int error;            /* 0, or -errno of a failed call (the unit's props are then unset) */
        char *error_name;     /* D-Bus error name of a failed call, or NULL */
        char *error_message;  /* D-Bus error message of a failed call, or NULL */
        UnitProps props;      /* what the calls returned (LoadState tells whether the unit exists);
                               * unset (unit_props_init()) when error is set */
        bool skipped;         /* the filter declined it: not read, props hold what ListUnits
                               * reported (Id, Description, LoadState) */
} BusScanUnit;

typedef struct BusScanStats {
        uint64_t n_calls;        /* method calls sent: ListUnits + Get(Version) + unit calls */
        uint64_t n_errors;       /* calls that failed (error reply, timeout, send failure) */
        unsigned in_flight_max;  /* the limit in force */
        unsigned in_flight_peak; /* the most replies that were pending at once */
        uint64_t start_usec;     /* CLOCK_MONOTONIC at bus_scan_start() */
        uint64_t elapsed_usec;   /* start to completion (0 while running) */
} BusScanStats;

/* Called once when the scan is complete. error is 0 when the scan ran to the end (individual units
 * may still carry errors), or -errno when ListUnits or the Version read failed (then the unit list
 * may be empty or partial). The callback may free the scan. */
typedef void (*BusScanDoneFunc)(BusScan *s, int error, void *userdata);

/* Create a scan on bus (referenced until the scan is freed). in_flight 0 means the default, values
 * above BUS_SCAN_IN_FLIGHT_MAX are clamped; timeout_usec is per call, 0 means the connection's
 * method-call timeout (sd_bus_set_method_call_timeout(), 25 s unless changed). */
int bus_scan_new(sd_bus *bus, unsigned in_flight, uint64_t timeout_usec, BusScan **ret);

/* For a scan of the listed units (names NULL): read only the units for which filter(id,
 * load_state, userdata) returns true; the others are in the results, marked skipped. Call before
 * bus_scan_start(). This is the incremental rescan: one ListUnits shows what came and went, and
 * only the units that may have changed cost PID 1 their calls. */
typedef bool (*BusScanFilterFunc)(const char *id, const char *load_state, void *userdata);
void bus_scan_set_filter(BusScan *s, BusScanFilterFunc filter, void *userdata);

/* Start the scan. names NULL: ListUnits, keep the ids ending in ".service", sort them with strcmp
 * (the set `systemd-analyze security` starts from). Otherwise: exactly these unit names, in this
 * order, duplicates included; the first call on a unit that is not loaded makes the manager
 * load it (as GetAll("") would).
 * Returns 0, -EBUSY when the scan was already started, -ENXIO when the bus is not attached to an
 * event loop, or -errno when the first calls could not be queued (then done is never called). */
int bus_scan_start(BusScan *s, char *const *names, BusScanDoneFunc done, void *userdata);

/* Results, in the order described at bus_scan_start(). Complete once done has been called. They
 * belong to the scan, but a caller may move a unit's props out (leaving unit_props_init() state
 * behind, as unit_props_done() does) before it frees the scan. */
BusScanUnit *bus_scan_units(BusScan *s, size_t *ret_n);
/* The manager's Version property ("252.39-1~deb12u2"), or NULL when it could not be read. */
const char *bus_scan_version(const BusScan *s);
/* The manager's Features and UnitPath properties (read with Version; a failed read of these is
 * not a scan error): NULL when they could not be read. */
const char *bus_scan_features(const BusScan *s);
char *const *bus_scan_unit_path_list(const BusScan *s);
const BusScanStats *bus_scan_stats(const BusScan *s);
bool bus_scan_done(const BusScan *s);

/* Cancel what is still pending (no callback follows) and free everything. Accepts NULL. The
 * connection's owner must free a running scan before it closes the connection: a closed,
 * detached connection delivers no replies and no timeouts. */
BusScan *bus_scan_free(BusScan *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusScan *, bus_scan_free);

/* A connection to address: a bus client (through a bus daemon, with Hello) when bus_client, else
 * a direct peer connection (a manager's private socket); address NULL: the default system bus.
 * For the command-line verbs (--bus=, --user). Returns 0 or a negative errno. */
int bus_scan_open(const char *address, bool bus_client, sd_bus **ret);

/* The D-Bus object path of a unit (sd_bus_path_encode() of the name under
 * /org/freedesktop/systemd1/unit). Returns 0 or -ENOMEM/-EINVAL; *ret is freed by the caller. */
int bus_scan_unit_path(const char *name, char **ret);

/* The leading number of a Version string ("252.39-1~deb12u2" -> 252, "v257" -> 257).
 * Returns 0 or -EINVAL when there is none. */
int bus_scan_parse_version(const char *version, unsigned *ret);
