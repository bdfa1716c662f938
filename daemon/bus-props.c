/* SPDX-License-Identifier: MIT */
/* The D-Bus property map: the table {name, signature, reader, offset} of the properties the scorer
 * reads, and the decoders of Properties.GetAll and Get replies into UnitProps. The signatures are
 * the ones systemd 247, 252, 257 and 262 all report (checked with `busctl introspect` on a unit
 * object). The decoder never trusts the reply's shape: an unknown property or one whose variant
 * does not carry the expected signature is skipped with sd_bus_message_skip(), so a future systemd
 * that changes a type degrades to the default value instead of failing the unit.
 * This file reads messages; it never sends one and never logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "bus-props.h"
#include "cleanup.h"
#include "util.h"

/* ---- readers: the message is inside the variant, whose signature was checked ---- */

#define FIELD(p, offset, type) ((type *) ((uint8_t *) (p) + (offset)))

static int read_string(sd_bus_message *m, UnitProps *p, size_t offset) {
        char **field = FIELD(p, offset, char *);
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        free(*field);
        /* Empty means unset, as in systemd-analyze (bus_map_all_properties() maps "" to NULL). */
        *field = isempty(s) ? NULL : xstrdup(s);
        return 0;
}

static int read_bool(sd_bus_message *m, UnitProps *p, size_t offset) {
        int b, r;

        r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;
        *FIELD(p, offset, bool) = b;
        return 0;
}

static int read_u32(sd_bus_message *m, UnitProps *p, size_t offset) {
        uint32_t u;
        int r;

        r = sd_bus_message_read_basic(m, 'u', &u);
        if (r < 0)
                return r;
        *FIELD(p, offset, uint32_t) = u;
        return 0;
}

static int read_u64(sd_bus_message *m, UnitProps *p, size_t offset) {
        uint64_t t;
        int r;

        r = sd_bus_message_read_basic(m, 't', &t);
        if (r < 0)
                return r;
        *FIELD(p, offset, uint64_t) = t;
        return 0;
}

/* "as" into a NULL-terminated vector; an empty array becomes NULL. Grows geometrically:
 * SystemCallFilter lists run to hundreds of entries. */
static int read_strv_as(sd_bus_message *m, char ***ret) {
        char **l = NULL;
        size_t n = 0, cap = 0;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &s)) > 0) {
                if (n + 2 > cap) {
                        cap = cap ? cap * 2 : 16;
                        l = xrealloc(l, cap * sizeof(char *));
                }
                l[n++] = xstrdup(s);
                l[n] = NULL;
        }
        if (r < 0) {
                strv_free(l);
                return r;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static int read_strv(sd_bus_message *m, UnitProps *p, size_t offset) {
        char ***field = FIELD(p, offset, char **);
        char **l;
        int r;

        r = read_strv_as(m, &l);
        if (r < 0)
                return r;
        strv_free(*field);
        *field = l;
        return 0;
}

/* "(bas)": RestrictAddressFamilies= and SystemCallFilter= report (allow_list, names). */
static int read_bool_strv(sd_bus_message *m, bool *ret_allow, char ***ret_list) {
        char **l;
        int b, r;

        r = sd_bus_message_enter_container(m, 'r', "bas");
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;
        r = read_strv_as(m, &l);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret_allow = b;
        strv_free(*ret_list);
        *ret_list = l;
        return 0;
}

static int read_address_families(sd_bus_message *m, UnitProps *p, size_t offset) {
        (void) offset;
        return read_bool_strv(m, &p->restrict_address_families_allow_list,
                              &p->restrict_address_families);
}

static int read_system_call_filter(sd_bus_message *m, UnitProps *p, size_t offset) {
        int r;

        (void) offset;
        /* Entries with an action come as "name:EPERM" and are kept so: systemd-analyze 250+ cuts
         * at the colon, 247 does not, so that is the scorer's (versioned) business. Sorted once
         * here, so that the scorer's ~100 lookups a unit are binary searches. */
        r = read_bool_strv(m, &p->system_call_filter_allow_list, &p->system_call_filter);
        if (r < 0)
                return r;
        unit_props_sort_system_call_filter(p);
        return 0;
}

/* "a(iayu)": (family, address bytes, prefix length). An entry whose address length does not match
 * its family is kept with family AF_UNSPEC: systemd-analyze counts such an allow entry as "not
 * localhost" and ignores such a deny entry, and a scorer that tests the family does the same. */
static int read_prefixes(sd_bus_message *m, IPPrefix **ret, size_t *ret_n) {
        _cleanup_free_ IPPrefix *l = NULL;
        size_t n = 0, cap = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(iayu)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "iayu")) > 0) {
                const void *data;
                size_t size;
                int32_t family;
                uint32_t prefixlen;

                r = sd_bus_message_read_basic(m, 'i', &family);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_array(m, 'y', &data, &size);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_basic(m, 'u', &prefixlen);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;

                if (n == cap) {
                        cap = cap ? cap * 2 : 4;
                        l = xrealloc(l, cap * sizeof(IPPrefix));
                }
                IPPrefix *e = &l[n++];
                *e = (IPPrefix) { .family = family, .prefixlen = prefixlen };
                if ((family == AF_INET && size == 4) || (family == AF_INET6 && size == 16))
                        memcpy(e->address, data, size);
                else if (family == AF_INET || family == AF_INET6)
                        e->family = AF_UNSPEC;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        free(*ret);
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

static int read_ip_address_allow(sd_bus_message *m, UnitProps *p, size_t offset) {
        (void) offset;
        return read_prefixes(m, &p->ip_address_allow, &p->n_ip_address_allow);
}

static int read_ip_address_deny(sd_bus_message *m, UnitProps *p, size_t offset) {
        (void) offset;
        return read_prefixes(m, &p->ip_address_deny, &p->n_ip_address_deny);
}

/* "a(ss)": (device path or class, permissions). */
static int read_device_allow(sd_bus_message *m, UnitProps *p, size_t offset) {
        DeviceAllowEntry *l = NULL;
        size_t n = 0, cap = 0;
        const char *path, *perm;
        int r;

        (void) offset;
        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ss)", &path, &perm)) > 0) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 4;
                        l = xrealloc(l, cap * sizeof(DeviceAllowEntry));
                }
                l[n++] = (DeviceAllowEntry) { .path = xstrdup(path),
                                              .permissions = xstrdup(perm) };
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                for (size_t i = 0; i < n; i++) {
                        free(l[i].path);
                        free(l[i].permissions);
                }
                free(l);
                return r;
        }
        unit_props_set_device_allow(p, l, n);
        return 0;
}

/* The property map. Sorted by name (bus_prop_map_find() bisects; a test checks the order). UNIT:
 * on org.freedesktop.systemd1.Unit; SVC: on org.freedesktop.systemd1.Service (service, exec and
 * cgroup context properties). */
#define OFF(f) offsetof(UnitProps, f)
#define SVC BUS_PROP_SERVICE
#define UNIT BUS_PROP_UNIT
static const BusPropMap prop_map[] = {
        { "AmbientCapabilities",    "t",       read_u64,               SVC,
          OFF(ambient_capabilities) },
        { "CapabilityBoundingSet",  "t",       read_u64,               SVC,
          OFF(capability_bounding_set) },
        { "DefaultDependencies",    "b",       read_bool,              UNIT,
          OFF(default_dependencies) },
        { "Delegate",               "b",       read_bool,              SVC,  OFF(delegate) },
        { "Description",            "s",       read_string,            UNIT, OFF(description) },
        { "DeviceAllow",            "a(ss)",   read_device_allow,      SVC,  0 },
        { "DevicePolicy",           "s",       read_string,            SVC,  OFF(device_policy) },
        { "DropInPaths",            "as",      read_strv,              UNIT, OFF(drop_in_paths) },
        { "DynamicUser",            "b",       read_bool,              SVC,  OFF(dynamic_user) },
        { "ExecMainStartTimestamp", "t",       read_u64,               SVC,
          OFF(exec_main_start_usec) },
        { "FragmentPath",           "s",       read_string,            UNIT, OFF(fragment_path) },
        { "IPAddressAllow",         "a(iayu)", read_ip_address_allow,  SVC,  0 },
        { "IPAddressDeny",          "a(iayu)", read_ip_address_deny,   SVC,  0 },
        { "IPEgressFilterPath",     "as",      read_strv,              SVC,
          OFF(ip_egress_filter_path) },
        { "IPIngressFilterPath",    "as",      read_strv,              SVC,
          OFF(ip_ingress_filter_path) },
        { "Id",                     "s",       read_string,            UNIT, OFF(id) },
        { "KeyringMode",            "s",       read_string,            SVC,  OFF(keyring_mode) },
        { "LoadState",              "s",       read_string,            UNIT, OFF(load_state) },
        { "LockPersonality",        "b",       read_bool,              SVC,
          OFF(lock_personality) },
        { "MainPID",                "u",       read_u32,               SVC,  OFF(main_pid) },
        { "MemoryDenyWriteExecute", "b",       read_bool,              SVC,
          OFF(memory_deny_write_execute) },
        { "NeedDaemonReload",       "b",       read_bool,              UNIT,
          OFF(need_daemon_reload) },
        { "NoNewPrivileges",        "b",       read_bool,              SVC,
          OFF(no_new_privileges) },
        { "NotifyAccess",           "s",       read_string,            SVC,  OFF(notify_access) },
        { "PrivateDevices",         "b",       read_bool,              SVC,  OFF(private_devices) },
        { "PrivateMounts",          "b",       read_bool,              SVC,  OFF(private_mounts) },
        { "PrivateNetwork",         "b",       read_bool,              SVC,  OFF(private_network) },
        { "PrivateTmp",             "b",       read_bool,              SVC,  OFF(private_tmp) },
        { "PrivateUsers",           "b",       read_bool,              SVC,  OFF(private_users) },
        { "ProcSubset",             "s",       read_string,            SVC,  OFF(proc_subset) },
        { "ProtectClock",           "b",       read_bool,              SVC,  OFF(protect_clock) },
        { "ProtectControlGroups",   "b",       read_bool,              SVC,
          OFF(protect_control_groups) },
        { "ProtectHome",            "s",       read_string,            SVC,  OFF(protect_home) },
        { "ProtectHostname",        "b",       read_bool,              SVC,
          OFF(protect_hostname) },
        { "ProtectKernelLogs",      "b",       read_bool,              SVC,
          OFF(protect_kernel_logs) },
        { "ProtectKernelModules",   "b",       read_bool,              SVC,
          OFF(protect_kernel_modules) },
        { "ProtectKernelTunables",  "b",       read_bool,              SVC,
          OFF(protect_kernel_tunables) },
        { "ProtectProc",            "s",       read_string,            SVC,  OFF(protect_proc) },
        { "ProtectSystem",          "s",       read_string,            SVC,  OFF(protect_system) },
        { "RemoveIPC",              "b",       read_bool,              SVC,  OFF(remove_ipc) },
        { "RestrictAddressFamilies","(bas)",   read_address_families,  SVC,  0 },
        { "RestrictNamespaces",     "t",       read_u64,               SVC,
          OFF(restrict_namespaces) },
        { "RestrictRealtime",       "b",       read_bool,              SVC,
          OFF(restrict_realtime) },
        { "RestrictSUIDSGID",       "b",       read_bool,              SVC,
          OFF(restrict_suid_sgid) },
        { "RootDirectory",          "s",       read_string,            SVC,  OFF(root_directory) },
        { "RootImage",              "s",       read_string,            SVC,  OFF(root_image) },
        { "SourcePath",             "s",       read_string,            UNIT, OFF(source_path) },
        { "SupplementaryGroups",    "as",      read_strv,              SVC,
          OFF(supplementary_groups) },
        { "SystemCallArchitectures","as",      read_strv,              SVC,
          OFF(system_call_architectures) },
        { "SystemCallFilter",       "(bas)",   read_system_call_filter,SVC,  0 },
        { "Type",                   "s",       read_string,            SVC,  OFF(type) },
        { "UMask",                  "u",       read_u32,               SVC,  OFF(umask) },
        { "User",                   "s",       read_string,            SVC,  OFF(user) },
};
#undef UNIT
#undef SVC
#undef OFF

const BusPropMap *bus_prop_map_get(size_t *ret_n) {
        *ret_n = ELEMENTSOF(prop_map);
        return prop_map;
}

static int cmp_name(const void *key, const void *row) {
        return strcmp(key, ((const BusPropMap *) row)->name);
}

const BusPropMap *bus_prop_map_find(const char *name) {
        return bsearch(name, prop_map, ELEMENTSOF(prop_map), sizeof(prop_map[0]), cmp_name);
}

static void unit_props_donep(UnitProps *p) {
        unit_props_done(p);
}

/* One property value: m is positioned before its variant. A row of NULL or with another
 * signature than the variant's: skipped, the field is kept. */
static int read_variant(sd_bus_message *m, const BusPropMap *row, UnitProps *p) {
        const char *contents;
        int r;

        if (row) {
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                if (!contents || !streq(contents, row->signature))
                        row = NULL;
        }
        if (!row)
                r = sd_bus_message_skip(m, "v");
        else {
                r = sd_bus_message_enter_container(m, 'v', row->signature);
                if (r < 0)
                        return r;
                r = row->read(m, p, row->offset);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : 0;
}

int bus_props_update_from_message(sd_bus_message *m, UnitProps *p) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        return r;
                r = read_variant(m, bus_prop_map_find(name), p);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

int bus_props_from_message(sd_bus_message *m, UnitProps *ret) {
        _cleanup_(unit_props_donep) UnitProps p;
        int r;

        unit_props_init(&p);
        r = bus_props_update_from_message(m, &p);
        if (r < 0)
                return r;
        unit_props_done(ret);
        *ret = p;
        unit_props_init(&p);
        return 0;
}

int bus_props_read_property(sd_bus_message *m, const char *name, UnitProps *p) {
        const BusPropMap *row = bus_prop_map_find(name);

        if (!row)
                return -EINVAL;
        return read_variant(m, row, p);
}

int bus_props_set_string(UnitProps *p, const char *name, const char *value) {
        const BusPropMap *row = bus_prop_map_find(name);
        char **field;

        if (!row || row->read != read_string)
                return -EINVAL;
        field = FIELD(p, row->offset, char *);
        free(*field);
        *field = isempty(value) ? NULL : xstrdup(value);
        return 0;
}
