/* SPDX-License-Identifier: MIT */
/* host-info: who the watched host is, for the exposured_host_info metric that fleet queries join
 * on (hostname, machine ID, OS, kernel; the systemd version is the manager's Version, which the
 * scan already reads). The identity is the WATCHED MANAGER's, not the daemon's own: a daemon may
 * watch another root's bus (a container's, DBUS_SYSTEM_BUS_ADDRESS), so the machine ID is asked of
 * PID 1 (org.freedesktop.DBus.Peer.GetMachineId on the systemd1 object, answered by every systemd
 * since sd-bus implements Peer), hostname and kernel of systemd-hostnamed
 * (org.freedesktop.hostname1, bus-activated, every systemd >= 247 ships it), and the OS from
 * os-release(5) under a configured root (os_root, "/" by default: hostname1's properties carry
 * only the OS's pretty and CPE names, not ID= and VERSION_ID=). Both bus calls are asynchronous and bounded by a timeout; a part
 * that cannot be read stays empty (hostnamed missing: uname()'s node name and release).
 * It never blocks the loop on the bus and never logs (the manager does). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "cleanup.h"

#define HOST_INFO_VALUE_MAX 256U       /* bytes per field; longer values are cut */
#define HOST_INFO_OS_RELEASE_MAX 65536U /* bytes read from os-release */

typedef struct HostInfo {
        char *hostname;      /* hostname1 Hostname, else uname() node name */
        char *machine_id;    /* 32 lower-case hex digits, or NULL */
        char *os_id;         /* os-release ID= (e.g. "debian"), or NULL */
        char *os_version_id; /* os-release VERSION_ID= (e.g. "12"), or NULL (sid has none) */
        char *kernel;        /* hostname1 KernelRelease, else uname() release */
        bool known;          /* a read completed: the metric is emitted from then on */
} HostInfo;

/* Free the fields and reset *h to all-empty. */
void host_info_done(HostInfo *h);

/* Pure: ID= and VERSION_ID= of os-release text (len bytes, need not be NUL-terminated), unquoted
 * and unescaped as os-release(5) says (shell-like single or double quotes, backslash escapes in
 * double quotes). A missing key gives NULL. Values are cut at HOST_INFO_VALUE_MAX bytes. Returns
 * 0; both outputs are always written (owned by the caller). */
int host_info_parse_os_release(const char *text, size_t len, char **ret_id, char **ret_version_id);

/* Read <root>/etc/os-release, else <root>/usr/lib/os-release (root NULL = "/"). Returns 0 or
 * -errno of the last attempt (-ENOENT when neither exists); outputs written on success only. */
int host_info_read_os_release(const char *root, char **ret_id, char **ret_version_id);

typedef struct HostInfoQuery HostInfoQuery;

/* Called once when every part of a query is answered (or failed). machine_id_error and
 * hostnamed_error are 0 or the -errno of that call, for the caller's log. */
typedef void (*HostInfoDone)(HostInfoQuery *q, int machine_id_error, int hostnamed_error,
                             void *userdata);

/* Start a query on bus: reads os-release under os_root at once (small local files), sends the two
 * bus calls, and when both are answered replaces *target's fields, sets target->known and calls
 * done. target must outlive the query. Freeing the query cancels the calls; target is then left
 * as it was. Returns 0 or -errno (nothing started). */
int host_info_query_start(sd_bus *bus, const char *os_root, uint64_t timeout_usec,
                          HostInfo *target, HostInfoDone done, void *userdata,
                          HostInfoQuery **ret);
HostInfoQuery *host_info_query_free(HostInfoQuery *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(HostInfoQuery *, host_info_query_free);
