/* SPDX-License-Identifier: MIT */
/* A peer that speaks just enough of org.freedesktop.systemd1 for the watcher and the manager:
 * Subscribe, ListUnits, the manager's Version, a unit's Properties.GetAll(Service) and Get(Unit,
 * ...), and the signals PID 1 sends (UnitNew, UnitRemoved, JobRemoved, Reloading) plus the bus's
 * NameOwnerChanged. It is a second real sd-bus connection on the other end of a socketpair, on
 * the caller's sd_event loop (the technique of test-bus-scan.c); each connect makes a new pair, so
 * reconnects are real too. Like PID 1 it can announce a unit it was asked about but does not have
 * (LoadState not-found) with UnitNew, the loop behind issue 16. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define PEER_UNITS_MAX 640 /* test-manager scores more than one chunk (manager.c SCORE_CHUNK) */

typedef struct PeerUnit {
        char *name;
        bool private_network; /* the one property tests flip: changes the exposure by 0.5 */
} PeerUnit;

typedef struct SystemdPeer {
        sd_event *event;
        sd_bus *server;             /* the current connection's server end, NULL when closed */
        PeerUnit units[PEER_UNITS_MAX];
        size_t n_units;
        bool announce_unknown;      /* a read of an unknown unit is answered with UnitNew */
        const char *fragment;       /* FragmentPath of every known unit (NULL:
                                     * /etc/systemd/system/x); a test that changes units between
                                     * reloads points it at a file it rewrites, as a real edit
                                     * would (the incremental rescans read changed files only) */
        bool refuse_subscribe;      /* Subscribe fails (the watcher must retry) */
        bool as_bus;                /* set before connecting: the client is a bus client and the
                                     * peer plays dbus-daemon too (Hello, AddMatch), stamping
                                     * senders as it would: the manager's messages come from
                                     * owner, the bus's from org.freedesktop.DBus */
        char owner[32];             /* with as_bus: the manager's unique name (":1.1") */
        const char *forge_sender;   /* with as_bus: the sender of the signals sent next (another
                                     * local user's connection), or NULL */
        unsigned n_connects, n_subscribe, n_list_units, n_getall, n_get, n_announced;
        char *last_getall;          /* the unit of the last GetAll */
} SystemdPeer;

void systemd_peer_init(SystemdPeer *p, sd_event *event);
void systemd_peer_done(SystemdPeer *p);
/* BusWatchConnect: a new socketpair; the server end replaces p->server. */
int systemd_peer_connect(sd_bus **ret, void *userdata);
PeerUnit *systemd_peer_add_unit(SystemdPeer *p, const char *name, bool private_network);
PeerUnit *systemd_peer_find_unit(SystemdPeer *p, const char *name);
void systemd_peer_remove_unit(SystemdPeer *p, const char *name);
/* Send a manager signal: UnitNew/UnitRemoved (unit), JobRemoved (unit), Reloading (active). */
void systemd_peer_unit_signal(SystemdPeer *p, const char *member, const char *unit);
void systemd_peer_job_removed(SystemdPeer *p, const char *unit);
void systemd_peer_reloading(SystemdPeer *p, bool active);
/* NameOwnerChanged for org.freedesktop.systemd1 (a re-exec: new_owner set; with as_bus it
 * becomes the owner, unless the signal is forged). */
void systemd_peer_name_owner_changed(SystemdPeer *p, const char *new_owner);
/* A signal with a wrong body, which a watcher must ignore. */
void systemd_peer_malformed(SystemdPeer *p, const char *member);
/* Hang up the current connection (the client sees Disconnected). */
void systemd_peer_hangup(SystemdPeer *p);
/* Run the loop until done(userdata) holds or timeout_usec passed; returns whether it holds. */
bool systemd_peer_run_until(sd_event *e, bool (*done)(void *), void *userdata,
                            uint64_t timeout_usec);
/* Run the loop for a while (let timers fire). */
void systemd_peer_run_for(sd_event *e, uint64_t usec);
