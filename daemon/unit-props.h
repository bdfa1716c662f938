/* SPDX-License-Identifier: MIT */
/* UnitProps: the properties of one service unit that the scorer needs, as the manager reports them
 * over D-Bus (org.freedesktop.systemd1.Unit + .Service). This is the contract between the reader
 * (bus decode, fixture parse) and the pure scorer: the scorer reads nothing else.
 *
 * Representation rules (they mirror systemd-analyze's online reader, acquire_security_info()):
 *  - Empty strings from D-Bus are stored as NULL.
 *  - A property the manager did not report keeps the default set by unit_props_init():
 *    CapabilityBoundingSet and RestrictNamespaces all ones, UMask 0002, DefaultDependencies true.
 *  - Booleans hold what the manager reports; the PrivateMounts inference and the implied capability
 *    drops are the scorer's job, not the reader's.
 * Everything is owned by the struct and released by unit_props_done().
 *
 * This header is plain data: no D-Bus, no I/O. The scorer includes it and nothing of the bus layer;
 * the D-Bus property map and decoders live with the reader (bus-props.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct IPPrefix {
        int family;           /* AF_INET or AF_INET6 */
        uint8_t address[16];  /* 4 or 16 bytes used */
        uint32_t prefixlen;
} IPPrefix;

typedef struct DeviceAllowEntry {
        char *path;        /* "char-rtc", "/dev/null", ... */
        char *permissions; /* "r", "rw", "rwm" */
} DeviceAllowEntry;

typedef struct UnitProps {
        /* org.freedesktop.systemd1.Unit */
        char *id;           /* Id, e.g. "foo.service" */
        char *load_state;   /* LoadState: "loaded", "not-found", "masked", ... */
        char *fragment_path;
        char **drop_in_paths;  /* DropInPaths: NULL-terminated, NULL when none */
        char *source_path;     /* SourcePath: what a generator made the unit from, or NULL */
        bool need_daemon_reload; /* NeedDaemonReload: the files changed since they were loaded */
        char *description;  /* Description= (for display only; never scored) */
        bool default_dependencies;
        bool user_manager;  /* not a property: the unit is a user manager's (scan --user), set
                             * by the caller; the 262+ tables score it as the manager's user */

        /* org.freedesktop.systemd1.Service: service properties */
        char *type;          /* Type: "simple", "oneshot", ... */
        char *notify_access; /* NotifyAccess */
        uint32_t main_pid;   /* MainPID: 0 when there is no main process */
        uint64_t exec_main_start_usec; /* ExecMainStartTimestamp (CLOCK_REALTIME), 0 = never */

        /* exec context */
        char *user;          /* User (NULL when unset) */
        bool dynamic_user;
        char **supplementary_groups; /* NULL-terminated, NULL when empty */
        bool private_devices;
        bool private_mounts;
        bool private_network;
        bool private_tmp;
        bool private_users;
        bool protect_control_groups;
        bool protect_kernel_modules;
        bool protect_kernel_tunables;
        bool protect_kernel_logs;
        bool protect_clock;
        bool protect_hostname;
        char *protect_home;   /* "yes", "read-only", "tmpfs", "no" */
        char *protect_system; /* "yes", "full", "strict", "no" */
        char *root_directory;
        char *root_image;
        bool lock_personality;
        bool memory_deny_write_execute;
        bool no_new_privileges;
        uint64_t capability_bounding_set; /* bit n = capability n */
        uint64_t ambient_capabilities;
        uint32_t umask;
        char *keyring_mode;   /* "inherit", "private", "shared" */
        char *protect_proc;   /* "noaccess", "invisible", "ptraceable", "default"; NULL pre-v247 */
        char *proc_subset;    /* "all", "pid"; NULL pre-v247 */
        bool remove_ipc;
        bool restrict_realtime;
        bool restrict_suid_sgid;
        uint64_t restrict_namespaces; /* mask of CLONE_NEW* flags the unit MAY create */
        bool restrict_address_families_allow_list;  /* RestrictAddressFamilies (bas): b */
        char **restrict_address_families;           /* ... as: "AF_UNIX", ...; NULL if empty */
        char **system_call_architectures;           /* "native", "x86", ... */
        bool system_call_filter_allow_list;         /* SystemCallFilter (bas): b */
        char **system_call_filter;                  /* "name" or "name:errno", as reported */
        /* system_call_filter itself when it is in unit_props_syscall_cmp() order without
         * duplicates (unit_props_sort_system_call_filter(), which the readers call), so the
         * scorer may binary-search it; anything else means "in no particular order". A pointer,
         * not a flag: whoever replaces the list in a shallow copy (plan.c's what-if props)
         * leaves a stale tag that simply no longer matches, never a wrong claim. Not owned. */
        char *const *system_call_filter_sorted;

        /* cgroup context */
        bool delegate;
        char *device_policy;  /* "auto", "closed", "strict" */
        DeviceAllowEntry *device_allow;
        size_t n_device_allow;
        IPPrefix *ip_address_allow;
        size_t n_ip_address_allow;
        IPPrefix *ip_address_deny;
        size_t n_ip_address_deny;
        char **ip_ingress_filter_path;
        char **ip_egress_filter_path;
} UnitProps;

/* Set the defaults systemd-analyze assumes for properties the manager does not report. */
void unit_props_init(UnitProps *p);
/* Free everything p owns and leave it in the unit_props_init() state. Accepts a zeroed struct. */
void unit_props_done(UnitProps *p);
/* The order of a sorted SystemCallFilter= list: by the name (the part before a ":errno" suffix),
 * then by the whole entry, so that all entries of one name are adjacent and the bare name comes
 * first among them. name_only: compare the names alone (a coarser order the same sort respects:
 * the scorer's lookup when a table ignores the suffixes). Pure; returns <0, 0 or >0. */
int unit_props_syscall_cmp(const char *a, const char *b, bool name_only);
/* Sort p->system_call_filter in that order, drop exact duplicates and set
 * p->system_call_filter_sorted. Sets and duplicates do not change what systemd enforces or
 * systemd-analyze reports: the manager keeps the filter as a set and reports it in hash order. */
void unit_props_sort_system_call_filter(UnitProps *p);
/* Replace the DeviceAllow= list with l (n entries, taken over, heap-allocated with its strings),
 * freeing the previous one. */
void unit_props_set_device_allow(UnitProps *p, DeviceAllowEntry *l, size_t n);
