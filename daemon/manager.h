/* SPDX-License-Identifier: MIT */
/* The manager: owns the event loop, the bus watcher, the running scan, the store, the HTTP server,
 * the config and the in-memory State, and wires them together. It is the only module that knows
 * all the others. Initialised in order (store, HTTP, bus), freed in reverse.
 *
 * Work flow: bus-watch reports what happened; the manager records "full rescan" or "these units"
 * as pending and arms one coalescing timer; when it fires and no scan runs, one scan starts (full
 * if any full rescan is pending, else of the pending units). Whatever arrives during a scan waits
 * for the next one, so a burst of N reloads costs at most about elapsed/(scan + coalesce) + 1
 * scans, not N. Unit reads are limited (rescan-limit.h: echoes of our own reads ignored, one read
 * per unit per second, a budget for unknown names). A finished scan is scored, each new score
 * judged against the previous one (classify.h; logged and counted at once, database or not), and
 * handed to the store, which persists changes only. READY=1 follows the first full scan that is
 * stored. */
#pragma once

#include <systemd/sd-event.h>

#include "bus-watch.h"
#include "cleanup.h"
#include "config.h"
#include "state.h"

typedef struct Manager Manager;

/* Takes ownership of config. Opens the store (migrating it), starts listening and connects to the
 * bus; a store or bus that is not available yet is retried, not fatal. Returns 0 or -errno for a
 * problem that cannot heal by itself (bad listen address, event loop failure); logs it. */
int manager_new(Config *config, Manager **ret);
/* Connect to the bus (the first full scan follows on the event loop). manager_run() does this;
 * tests call it and drive the loop themselves. Returns 0 or a logged -errno. */
int manager_start(Manager *m);
/* Read the unit policy (unit-policy.h) from dir, and again from there on every SIGHUP. A broken
 * file is logged as FILE:LINE and leaves the policy in force as it was (none at first: every unit
 * unmanaged). Without this call there is no policy. Returns 0 or the logged -errno. */
int manager_load_policy(Manager *m, const char *dir);
/* Run the event loop until SIGTERM/SIGINT. Returns the exit status for main(). */
int manager_run(Manager *m);
/* For tests: open bus connections with connect instead of the system bus (before the start). */
void manager_set_bus_connect(Manager *m, BusWatchConnect connect, void *userdata);
/* The in-memory view (borrowed; changes as the loop runs) and the event loop. */
const State *manager_get_state(const Manager *m);
sd_event *manager_get_event(const Manager *m);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
