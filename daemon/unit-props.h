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
 * The D-Bus side (unit-props.c): a property map table {name, signature, reader, interface, offset}
 * and decoders for GetAll and Get replies. Only the properties listed there are decoded; every
 * other property, and a listed one that arrives with an unexpected signature, is skipped unread
 * (systemd-analyze fails the whole unit on a signature mismatch; we keep the default instead, see
 * the table). */
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
        char *description;  /* Description= (for display only; never scored) */
        bool default_dependencies;

        /* org.freedesktop.systemd1.Service: service properties */
        char *type;          /* Type: "simple", "oneshot", ... */
        char *notify_access; /* NotifyAccess */

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
        char **system_call_filter;                  /* syscall names, as reported */

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

struct sd_bus_message;

/* The interface a property lives on. GetAll("") on a unit returns both; a reader may also ask for
 * each interface on its own (bus-scan.c does: the manager serializes far less). */
typedef enum UnitPropInterface {
        UNIT_PROP_SERVICE,  /* org.freedesktop.systemd1.Service: service, exec, cgroup context */
        UNIT_PROP_UNIT,     /* org.freedesktop.systemd1.Unit: Id, LoadState, ... */
} UnitPropInterface;

#define UNIT_PROP_SERVICE_INTERFACE "org.freedesktop.systemd1.Service"
#define UNIT_PROP_UNIT_INTERFACE "org.freedesktop.systemd1.Unit"

/* A row of the D-Bus property map. read() is called with the message positioned inside the
 * property's variant, whose signature has been checked to equal `signature`; it reads exactly one
 * value of that signature into the field at `offset` (or into fields of its own choosing when
 * offset is 0), replacing (and freeing) a previous value. Returns 0 or -errno. */
typedef struct UnitPropMap {
        const char *name;
        const char *signature;
        int (*read)(struct sd_bus_message *m, UnitProps *p, size_t offset);
        UnitPropInterface iface;  /* the interface the manager reports it on */
        size_t offset;
} UnitPropMap;

/* The property map, sorted by name (strcmp); *ret_n gets the number of rows. */
const UnitPropMap *unit_prop_map_get(size_t *ret_n);
/* The row for a property name, or NULL. */
const UnitPropMap *unit_prop_map_find(const char *name);

/* Decode an org.freedesktop.DBus.Properties.GetAll reply body (a{sv}), read from the current
 * position of m, into *ret. Unknown properties and properties with an unexpected signature are
 * skipped; missing ones keep the unit_props_init() defaults; a repeated property replaces the
 * earlier value. Returns 0, or a negative errno from sd-bus when the message is malformed (then
 * *ret is untouched). On success *ret is released with unit_props_done() and then replaced, so it
 * must have been initialised (unit_props_init() or a zeroed struct). */
int unit_props_from_message(struct sd_bus_message *m, UnitProps *ret);

/* The same decoding of a GetAll reply body (a{sv}), but on top of *p: the properties it holds
 * replace their fields, every other field is kept (to merge the replies of GetAll calls on the
 * Unit and the Service interface). Returns 0 or a negative errno from sd-bus; then *p may be
 * partly updated (still consistent: unit_props_done() releases it). */
int unit_props_update_from_message(struct sd_bus_message *m, UnitProps *p);

/* Decode a Properties.Get reply body (one variant) for the property `name` of the map into *p,
 * with the GetAll rules: a variant of an unexpected signature is skipped and the field kept.
 * Returns 0, -EINVAL when name is not in the map, or a negative errno from sd-bus (then the
 * field may hold a new value or its old one). */
int unit_props_read_property(struct sd_bus_message *m, const char *name, UnitProps *p);

/* Set the string property `name` (a map row of signature "s") to value, with the decoder's rule
 * that an empty string is stored as NULL: for values that come from another call (ListUnits
 * reports Id, Description and LoadState as the properties do). Returns 0 or -EINVAL when name is
 * not a string property of the map. */
int unit_props_set_string(UnitProps *p, const char *name, const char *value);
