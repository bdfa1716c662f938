/* SPDX-License-Identifier: MIT */
/* Tests for the D-Bus property decoder (unit-props.c): GetAll-shaped a{sv} messages are built on a
 * private sd_bus started on one end of a socketpair (sd-bus refuses to create messages on a bus
 * that was never started; nothing is ever sent), sealed, rewound and decoded. Covers every row
 * of the property map, wrong signatures, empty strings, repeats, huge arrays and malformed
 * bodies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include <cmocka.h>

#include "cleanup.h"
#include "bus-props.h"
#include "unit-props.h"
#include "util.h"

#define OK(x) assert_true((x) >= 0)

static sd_bus *test_bus;
static char **put_names; /* every property name put() appended, to prove full table coverage */

static int test_fds[2] = { -1, -1 };

static int setup(void **state) {
        (void) state;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, test_fds) < 0)
                return -1;
        if (sd_bus_new(&test_bus) < 0 || sd_bus_set_fd(test_bus, test_fds[0], test_fds[0]) < 0)
                return -1;
        return sd_bus_start(test_bus) < 0 ? -1 : 0;
}

static int teardown(void **state) {
        (void) state;
        test_bus = sd_bus_close_unref(test_bus); /* closes test_fds[0] */
        (void) close(test_fds[1]);
        put_names = strv_free(put_names);
        return 0;
}

/* A message with an open a{sv}; a signal is the simplest message type that needs no peer. */
static sd_bus_message *msg_begin(void) {
        sd_bus_message *m = NULL;

        assert_int_equal(sd_bus_message_new_signal(test_bus, &m, "/org/freedesktop/systemd1/unit/x",
                                                   "org.example.Test", "Props"), 0);
        OK(sd_bus_message_open_container(m, 'a', "{sv}"));
        return m;
}

static void put(sd_bus_message *m, const char *name, const char *sig, ...) {
        va_list ap;

        if (!strv_contains(put_names, name))
                strv_push(&put_names, name);
        OK(sd_bus_message_open_container(m, 'e', "sv"));
        OK(sd_bus_message_append_basic(m, 's', name));
        OK(sd_bus_message_open_container(m, 'v', sig));
        va_start(ap, sig);
        assert_true(sd_bus_message_appendv(m, sig, ap) >= 0);
        va_end(ap);
        OK(sd_bus_message_close_container(m));
        OK(sd_bus_message_close_container(m));
}

static void msg_end(sd_bus_message *m) {
        OK(sd_bus_message_close_container(m));
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_true(sd_bus_message_rewind(m, true) >= 0);
}

static void assert_defaults(const UnitProps *p) {
        UnitProps d;

        unit_props_init(&d);
        assert_memory_equal(p, &d, sizeof(d));
}

static void test_map_sorted_unique(void **state) {
        const BusPropMap *map;
        size_t n;

        (void) state;
        map = bus_prop_map_get(&n);
        assert_true(n >= 48);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        assert_true(strcmp(map[i - 1].name, map[i].name) < 0);
                assert_ptr_equal(bus_prop_map_find(map[i].name), &map[i]);
                assert_non_null(map[i].read);
                assert_false(isempty(map[i].signature));
                assert_true(map[i].offset < sizeof(UnitProps));
        }
        assert_null(bus_prop_map_find("NoSuchProperty"));
        assert_null(bus_prop_map_find(""));
}

static void test_empty_dict_gives_defaults(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        UnitProps p;

        (void) state;
        msg_end(m);
        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_defaults(&p);
        assert_true(p.default_dependencies);
        assert_int_equal(p.capability_bounding_set, UINT64_MAX);
        assert_int_equal(p.restrict_namespaces, UINT64_MAX);
        assert_int_equal(p.umask, 0002);
        unit_props_done(&p);
}

/* Every row of the map set to a non-default value in one GetAll-shaped message. */
static void test_every_row(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        const uint8_t v4[4] = { 127, 0, 0, 1 };
        UnitProps p;

        (void) state;
        put_names = strv_free(put_names);
        put(m, "AmbientCapabilities", "t", UINT64_C(1) << 10);
        put(m, "CapabilityBoundingSet", "t", UINT64_C(0x3));
        put(m, "DefaultDependencies", "b", 0);
        put(m, "Delegate", "b", 1);
        put(m, "Description", "s", "A \"quoted\" unit");
        put(m, "DeviceAllow", "a(ss)", 2, "/dev/null", "rw", "char-rtc", "r");
        put(m, "DevicePolicy", "s", "closed");
        put(m, "DropInPaths", "as", 2, "/etc/systemd/system/x.service.d/a.conf",
            "/run/systemd/system.control/x.service.d/50-b.conf");
        put(m, "DynamicUser", "b", 1);
        put(m, "ExecMainStartTimestamp", "t", UINT64_C(1795000000123456));
        put(m, "FragmentPath", "s", "/etc/systemd/system/x.service");
        /* a(iayu) cannot go through appendv with byte arrays; build it by hand below. */
        put(m, "IPEgressFilterPath", "as", 1, "/sys/fs/bpf/egress");
        put(m, "IPIngressFilterPath", "as", 2, "/sys/fs/bpf/a", "/sys/fs/bpf/b");
        put(m, "Id", "s", "x.service");
        put(m, "KeyringMode", "s", "private");
        put(m, "LoadState", "s", "loaded");
        put(m, "LockPersonality", "b", 1);
        put(m, "MainPID", "u", (uint32_t) 4242);
        put(m, "MemoryDenyWriteExecute", "b", 1);
        put(m, "NeedDaemonReload", "b", 1);
        put(m, "NoNewPrivileges", "b", 1);
        put(m, "NotifyAccess", "s", "main");
        put(m, "PrivateDevices", "b", 1);
        put(m, "PrivateMounts", "b", 1);
        put(m, "PrivateNetwork", "b", 1);
        put(m, "PrivateTmp", "b", 1);
        put(m, "PrivateUsers", "b", 1);
        put(m, "ProcSubset", "s", "pid");
        put(m, "ProtectClock", "b", 1);
        put(m, "ProtectControlGroups", "b", 1);
        put(m, "ProtectHome", "s", "read-only");
        put(m, "ProtectHostname", "b", 1);
        put(m, "ProtectKernelLogs", "b", 1);
        put(m, "ProtectKernelModules", "b", 1);
        put(m, "ProtectKernelTunables", "b", 1);
        put(m, "ProtectProc", "s", "invisible");
        put(m, "ProtectSystem", "s", "strict");
        put(m, "RemoveIPC", "b", 1);
        put(m, "RestrictAddressFamilies", "(bas)", 1, 2, "AF_UNIX", "AF_INET");
        put(m, "RestrictNamespaces", "t", UINT64_C(0x40000000));
        put(m, "RestrictRealtime", "b", 1);
        put(m, "RestrictSUIDSGID", "b", 1);
        put(m, "RootDirectory", "s", "/srv/root");
        put(m, "RootImage", "s", "/srv/img.raw");
        put(m, "SourcePath", "s", "/etc/fstab");
        put(m, "SupplementaryGroups", "as", 2, "adm", "audio");
        put(m, "SystemCallArchitectures", "as", 1, "native");
        put(m, "SystemCallFilter", "(bas)", 0, 3, "reboot:EPERM", "swapon", "mount:1");
        put(m, "Type", "s", "notify");
        put(m, "UMask", "u", 0077);
        put(m, "User", "s", "www-data");

        for (int k = 0; k < 2; k++) {
                strv_push(&put_names, k ? "IPAddressDeny" : "IPAddressAllow");
                OK(sd_bus_message_open_container(m, 'e', "sv"));
                OK(sd_bus_message_append_basic(m, 's', k ? "IPAddressDeny" : "IPAddressAllow"));
                OK(sd_bus_message_open_container(m, 'v', "a(iayu)"));
                OK(sd_bus_message_open_container(m, 'a', "(iayu)"));
                OK(sd_bus_message_open_container(m, 'r', "iayu"));
                OK(sd_bus_message_append_basic(m, 'i', &(int32_t) { AF_INET }));
                OK(sd_bus_message_append_array(m, 'y', v4, 4));
                OK(sd_bus_message_append_basic(m, 'u', &(uint32_t) { k ? 0 : 8 }));
                OK(sd_bus_message_close_container(m));
                OK(sd_bus_message_close_container(m));
                OK(sd_bus_message_close_container(m));
                OK(sd_bus_message_close_container(m));
        }
        msg_end(m);

        /* The message covers every row of the map. */
        {
                size_t n;
                const BusPropMap *map = bus_prop_map_get(&n);

                assert_int_equal(strv_length(put_names), n);
                for (size_t i = 0; i < n; i++)
                        assert_true(strv_contains(put_names, map[i].name));
        }

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);

        assert_int_equal(p.ambient_capabilities, UINT64_C(1) << 10);
        assert_int_equal(p.capability_bounding_set, 3);
        assert_false(p.default_dependencies);
        assert_true(p.delegate);
        assert_string_equal(p.description, "A \"quoted\" unit");
        assert_int_equal(p.n_device_allow, 2);
        assert_string_equal(p.device_allow[0].path, "/dev/null");
        assert_string_equal(p.device_allow[0].permissions, "rw");
        assert_string_equal(p.device_allow[1].path, "char-rtc");
        assert_string_equal(p.device_allow[1].permissions, "r");
        assert_string_equal(p.device_policy, "closed");
        assert_int_equal(strv_length(p.drop_in_paths), 2);
        assert_string_equal(p.drop_in_paths[1], "/run/systemd/system.control/x.service.d/50-b.conf");
        assert_true(p.dynamic_user);
        assert_int_equal(p.exec_main_start_usec, UINT64_C(1795000000123456));
        assert_string_equal(p.fragment_path, "/etc/systemd/system/x.service");
        assert_int_equal(p.n_ip_address_allow, 1);
        assert_int_equal(p.ip_address_allow[0].family, AF_INET);
        assert_memory_equal(p.ip_address_allow[0].address, v4, 4);
        assert_int_equal(p.ip_address_allow[0].prefixlen, 8);
        assert_int_equal(p.n_ip_address_deny, 1);
        assert_int_equal(p.ip_address_deny[0].prefixlen, 0);
        assert_int_equal(strv_length(p.ip_egress_filter_path), 1);
        assert_int_equal(strv_length(p.ip_ingress_filter_path), 2);
        assert_string_equal(p.ip_ingress_filter_path[1], "/sys/fs/bpf/b");
        assert_string_equal(p.id, "x.service");
        assert_string_equal(p.keyring_mode, "private");
        assert_string_equal(p.load_state, "loaded");
        assert_true(p.lock_personality);
        assert_int_equal(p.main_pid, 4242);
        assert_true(p.memory_deny_write_execute);
        assert_true(p.need_daemon_reload);
        assert_true(p.no_new_privileges);
        assert_string_equal(p.notify_access, "main");
        assert_true(p.private_devices);
        assert_true(p.private_mounts);
        assert_true(p.private_network);
        assert_true(p.private_tmp);
        assert_true(p.private_users);
        assert_string_equal(p.proc_subset, "pid");
        assert_true(p.protect_clock);
        assert_true(p.protect_control_groups);
        assert_string_equal(p.protect_home, "read-only");
        assert_true(p.protect_hostname);
        assert_true(p.protect_kernel_logs);
        assert_true(p.protect_kernel_modules);
        assert_true(p.protect_kernel_tunables);
        assert_string_equal(p.protect_proc, "invisible");
        assert_string_equal(p.protect_system, "strict");
        assert_true(p.remove_ipc);
        assert_true(p.restrict_address_families_allow_list);
        assert_int_equal(strv_length(p.restrict_address_families), 2);
        assert_string_equal(p.restrict_address_families[0], "AF_UNIX");
        assert_int_equal(p.restrict_namespaces, 0x40000000);
        assert_true(p.restrict_realtime);
        assert_true(p.restrict_suid_sgid);
        assert_string_equal(p.root_directory, "/srv/root");
        assert_string_equal(p.root_image, "/srv/img.raw");
        assert_string_equal(p.source_path, "/etc/fstab");
        assert_int_equal(strv_length(p.supplementary_groups), 2);
        assert_string_equal(p.supplementary_groups[1], "audio");
        assert_int_equal(strv_length(p.system_call_architectures), 1);
        assert_string_equal(p.system_call_architectures[0], "native");
        assert_false(p.system_call_filter_allow_list);
        assert_int_equal(strv_length(p.system_call_filter), 3);
        /* ":errno" suffixes are kept: whether they count depends on the systemd version. The
         * list is sorted for the scorer's binary search. */
        assert_string_equal(p.system_call_filter[0], "mount:1");
        assert_string_equal(p.system_call_filter[1], "reboot:EPERM");
        assert_string_equal(p.system_call_filter[2], "swapon");
        assert_ptr_equal(p.system_call_filter_sorted, p.system_call_filter);
        assert_string_equal(p.type, "notify");
        assert_int_equal(p.umask, 0077);
        assert_string_equal(p.user, "www-data");

        unit_props_done(&p);
        assert_defaults(&p);
}

/* A signature that differs from row's: skipped, the default stays, the rest still decodes. */
static void test_wrong_signature_each_row(void **state) {
        const BusPropMap *map;
        size_t n;

        (void) state;
        map = bus_prop_map_get(&n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
                UnitProps p;

                if (streq(map[i].signature, "s"))
                        put(m, map[i].name, "u", 7);
                else if (streq(map[i].signature, "as"))
                        put(m, map[i].name, "a(ss)", 1, "a", "b");
                else if (streq(map[i].signature, "b"))
                        put(m, map[i].name, "i", 1); /* close, but not a boolean */
                else
                        put(m, map[i].name, "s", "wrong");
                put(m, "Id", "s", "after.service");
                msg_end(m);

                unit_props_init(&p);
                assert_int_equal(bus_props_from_message(m, &p), 0);
                /* Only Id changed. */
                assert_string_equal(p.id, "after.service");
                if (!streq(map[i].name, "Id")) {
                        free(p.id);
                        p.id = NULL;
                        assert_defaults(&p);
                }
                unit_props_done(&p);
        }
}

static void test_empty_strings_are_null(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        UnitProps p;

        (void) state;
        put(m, "User", "s", "");
        put(m, "RootDirectory", "s", "");
        put(m, "ProtectHome", "s", "");
        put(m, "SupplementaryGroups", "as", 0);
        put(m, "SystemCallFilter", "(bas)", 1, 0);
        put(m, "RestrictAddressFamilies", "(bas)", 1, 0);
        msg_end(m);

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_null(p.user);
        assert_null(p.root_directory);
        assert_null(p.protect_home);
        assert_null(p.supplementary_groups);
        assert_null(p.system_call_filter);
        assert_true(p.system_call_filter_allow_list);
        /* RestrictAddressFamilies=none: an empty allow list. */
        assert_null(p.restrict_address_families);
        assert_true(p.restrict_address_families_allow_list);
        unit_props_done(&p);
}

/* Unknown properties of every shape are skipped without disturbing the decode. */
static void test_unknown_properties_skipped(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        UnitProps p;

        (void) state;
        put(m, "ExecStart", "a(sasbttttuii)", 1, "/bin/true", 1, "/bin/true", 0, UINT64_C(0),
            UINT64_C(0), UINT64_C(0), UINT64_C(0), 0u, 0, 0);
        put(m, "Names", "as", 2, "a.service", "b.service");
        put(m, "Weird", "a{sv}", 1, "inner", "s", "x");
        put(m, "Double", "d", 1.5);
        put(m, "Path", "o", "/org/x");
        put(m, "Sig", "g", "a{sv}");
        put(m, "Nested", "v", "s", "deep");
        put(m, "User", "s", "nobody");
        msg_end(m);

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_string_equal(p.user, "nobody");
        free(p.user);
        p.user = NULL;
        assert_defaults(&p);
        unit_props_done(&p);
}

/* A repeated property replaces the earlier value (ASan/valgrind catch a leak). */
static void test_repeated_property(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        UnitProps p;

        (void) state;
        put(m, "User", "s", "first");
        put(m, "User", "s", "second");
        put(m, "SupplementaryGroups", "as", 1, "a");
        put(m, "SupplementaryGroups", "as", 1, "b");
        put(m, "DeviceAllow", "a(ss)", 1, "/dev/a", "r");
        put(m, "DeviceAllow", "a(ss)", 1, "/dev/b", "w");
        put(m, "SystemCallFilter", "(bas)", 1, 1, "read");
        put(m, "SystemCallFilter", "(bas)", 0, 1, "write");
        msg_end(m);

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_string_equal(p.user, "second");
        assert_int_equal(strv_length(p.supplementary_groups), 1);
        assert_string_equal(p.supplementary_groups[0], "b");
        assert_int_equal(p.n_device_allow, 1);
        assert_string_equal(p.device_allow[0].path, "/dev/b");
        assert_false(p.system_call_filter_allow_list);
        assert_string_equal(p.system_call_filter[0], "write");
        unit_props_done(&p);
}

static void test_huge_arrays(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        const size_t n = 100000;
        UnitProps p;
        char name[32];

        (void) state;
        OK(sd_bus_message_open_container(m, 'e', "sv"));
        OK(sd_bus_message_append_basic(m, 's', "SystemCallFilter"));
        OK(sd_bus_message_open_container(m, 'v', "(bas)"));
        OK(sd_bus_message_open_container(m, 'r', "bas"));
        OK(sd_bus_message_append_basic(m, 'b', &(int) { 1 }));
        OK(sd_bus_message_open_container(m, 'a', "s"));
        for (size_t i = 0; i < n; i++) {
                (void) snprintf(name, sizeof(name), "sys%zu:EPERM", i);
                OK(sd_bus_message_append_basic(m, 's', name));
        }
        for (int k = 0; k < 4; k++)
                OK(sd_bus_message_close_container(m));
        msg_end(m);

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_int_equal(strv_length(p.system_call_filter), n);
        assert_string_equal(p.system_call_filter[n - 1], "sys99999:EPERM");
        unit_props_done(&p);
}

static void put_prefix(sd_bus_message *m, const char *name, int32_t family, const void *addr,
                       size_t size, uint32_t prefixlen) {
        OK(sd_bus_message_open_container(m, 'e', "sv"));
        OK(sd_bus_message_append_basic(m, 's', name));
        OK(sd_bus_message_open_container(m, 'v', "a(iayu)"));
        OK(sd_bus_message_open_container(m, 'a', "(iayu)"));
        OK(sd_bus_message_open_container(m, 'r', "iayu"));
        OK(sd_bus_message_append_basic(m, 'i', &family));
        OK(sd_bus_message_append_array(m, 'y', addr, size));
        OK(sd_bus_message_append_basic(m, 'u', &prefixlen));
        for (int k = 0; k < 4; k++)
                OK(sd_bus_message_close_container(m));
}

/* Address bytes that do not fit the family are kept as AF_UNSPEC (never localhost, never a
 * deny-all entry), exactly how systemd-analyze's reader treats them. */
static void test_ip_prefix_sizes(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        const uint8_t v6[16] = { [15] = 1 };
        UnitProps p;

        (void) state;
        put_prefix(m, "IPAddressAllow", AF_INET, v6, 16, 8);
        put_prefix(m, "IPAddressDeny", AF_INET6, v6, 16, 128);
        msg_end(m);

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_int_equal(p.n_ip_address_allow, 1);
        assert_int_equal(p.ip_address_allow[0].family, AF_UNSPEC);
        assert_int_equal(p.n_ip_address_deny, 1);
        assert_int_equal(p.ip_address_deny[0].family, AF_INET6);
        assert_int_equal(p.ip_address_deny[0].prefixlen, 128);
        assert_memory_equal(p.ip_address_deny[0].address, v6, 16);
        unit_props_done(&p);
}

/* A body that is not a{sv}: an error, and the output is left exactly as it was. */
static void test_malformed_body(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        UnitProps p;

        (void) state;
        assert_int_equal(sd_bus_message_new_signal(test_bus, &m, "/x", "org.example.Test", "P"), 0);
        OK(sd_bus_message_append(m, "s", "not a dict"));
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_true(sd_bus_message_rewind(m, true) >= 0);

        unit_props_init(&p);
        p.user = xstrdup("kept");
        assert_true(bus_props_from_message(m, &p) < 0);
        assert_string_equal(p.user, "kept");
        unit_props_done(&p);
}

/* The reader consumes exactly the a{sv}: what follows in the body is still readable. */
static void test_stops_after_dict(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = msg_begin();
        const char *s;
        UnitProps p;

        (void) state;
        put(m, "Type", "s", "oneshot");
        OK(sd_bus_message_close_container(m));
        OK(sd_bus_message_append(m, "s", "trailer"));
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_true(sd_bus_message_rewind(m, true) >= 0);

        unit_props_init(&p);
        assert_int_equal(bus_props_from_message(m, &p), 0);
        assert_string_equal(p.type, "oneshot");
        OK(sd_bus_message_read(m, "s", &s));
        assert_string_equal(s, "trailer");
        unit_props_done(&p);
}

/* The Unit-interface rows are exactly the properties org.freedesktop.systemd1.Unit reports (the
 * scan reads the Service interface with GetAll and these with Get). */
static void test_map_interfaces(void **state) {
        static const char *const unit_iface[] = { "DefaultDependencies", "Description",
                                                  "DropInPaths", "FragmentPath", "Id",
                                                  "LoadState", "NeedDaemonReload",
                                                  "SourcePath" };
        const BusPropMap *map;
        size_t n, n_unit = 0;

        (void) state;
        map = bus_prop_map_get(&n);
        for (size_t i = 0; i < n; i++) {
                bool listed = false;

                for (size_t j = 0; j < ELEMENTSOF(unit_iface); j++)
                        listed = listed || streq(map[i].name, unit_iface[j]);
                assert_int_equal(map[i].iface, listed ? BUS_PROP_UNIT : BUS_PROP_SERVICE);
                n_unit += listed;
        }
        assert_int_equal(n_unit, ELEMENTSOF(unit_iface));
}

/* Two GetAll replies merge: the second keeps what the first set unless it reports it again. */
static void test_update_merges(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *a = msg_begin(), *b = msg_begin();
        UnitProps p;

        (void) state;
        put(a, "Id", "s", "x.service");
        put(a, "DefaultDependencies", "b", 0);
        put(a, "Type", "s", "simple");
        msg_end(a);
        put(b, "Type", "s", "oneshot");
        put(b, "UMask", "u", (uint32_t) 0077);
        msg_end(b);

        unit_props_init(&p);
        assert_int_equal(bus_props_update_from_message(a, &p), 0);
        assert_int_equal(bus_props_update_from_message(b, &p), 0);
        assert_string_equal(p.id, "x.service");
        assert_false(p.default_dependencies);
        assert_string_equal(p.type, "oneshot");
        assert_int_equal(p.umask, 0077);
        unit_props_done(&p);
}

/* A Get reply body: one variant, decoded with the row's reader; a wrong signature keeps the field;
 * a name outside the map is refused. */
static void test_read_property(void **state) {
        UnitProps p;

        (void) state;
        unit_props_init(&p);
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                OK(sd_bus_message_new_signal(test_bus, &m, "/x", "org.example.Test", "Get"));
                OK(sd_bus_message_append(m, "v", "s", "/etc/systemd/system/x.service"));
                assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
                assert_true(sd_bus_message_rewind(m, true) >= 0);
                assert_int_equal(bus_props_read_property(m, "FragmentPath", &p), 0);
                assert_string_equal(p.fragment_path, "/etc/systemd/system/x.service");
        }
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                OK(sd_bus_message_new_signal(test_bus, &m, "/x", "org.example.Test", "Get"));
                OK(sd_bus_message_append(m, "v", "s", "yes"));
                assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
                assert_true(sd_bus_message_rewind(m, true) >= 0);
                assert_int_equal(bus_props_read_property(m, "DefaultDependencies", &p), 0);
                assert_true(p.default_dependencies); /* the default, kept */
                assert_true(sd_bus_message_at_end(m, true) > 0);
        }
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                OK(sd_bus_message_new_signal(test_bus, &m, "/x", "org.example.Test", "Get"));
                OK(sd_bus_message_append(m, "v", "b", 0));
                assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
                assert_true(sd_bus_message_rewind(m, true) >= 0);
                assert_int_equal(bus_props_read_property(m, "NoSuchProperty", &p), -EINVAL);
                assert_int_equal(bus_props_read_property(m, "DefaultDependencies", &p), 0);
                assert_false(p.default_dependencies);
        }
        unit_props_done(&p);
}

/* Strings from another call (ListUnits): the decoder's empty-is-NULL rule; only string rows. */
/* The sorted SystemCallFilter= order: all entries of a name adjacent (':' sorts between digits
 * and letters, so plain strcmp() would put "name1" between "name" and "name:EPERM"), the bare
 * name first, exact duplicates dropped, and the comparator's name_only mode coarser. */
static void test_sort_system_call_filter(void **state) {
        static const char *const in[] = {
                "read_x", "read:EPERM", "write", "read1", "read", "read:EACCES", "read",
                "read:EPERM", "", "re", NULL,
        };
        static const char *const want[] = {
                "", "re", "read", "read:EACCES", "read:EPERM", "read1", "read_x", "write", NULL,
        };
        UnitProps p;
        size_t n = 0;

        (void) state;
        unit_props_init(&p);
        unit_props_sort_system_call_filter(&p); /* no list: nothing to sort, nothing to claim */
        assert_null(p.system_call_filter);
        assert_null(p.system_call_filter_sorted);
        for (size_t i = 0; in[i]; i++)
                strv_push(&p.system_call_filter, in[i]);
        unit_props_sort_system_call_filter(&p);
        assert_ptr_equal(p.system_call_filter_sorted, p.system_call_filter);
        for (; want[n]; n++)
                assert_string_equal(p.system_call_filter[n], want[n]);
        assert_null(p.system_call_filter[n]);

        assert_true(unit_props_syscall_cmp("read", "read:EPERM", false) < 0);
        assert_int_equal(unit_props_syscall_cmp("read", "read:EPERM", true), 0);
        assert_int_equal(unit_props_syscall_cmp("read:EACCES", "read:EPERM", true), 0);
        assert_true(unit_props_syscall_cmp("read:EPERM", "read1", false) < 0);
        assert_true(unit_props_syscall_cmp("read:EPERM", "read1", true) < 0);
        assert_true(unit_props_syscall_cmp("read1", "read", true) > 0);
        assert_int_equal(unit_props_syscall_cmp("read", "read", false), 0);
        unit_props_done(&p);
        assert_null(p.system_call_filter_sorted);
}

static void test_set_string(void **state) {
        UnitProps p;

        (void) state;
        unit_props_init(&p);
        assert_int_equal(bus_props_set_string(&p, "Description", "A unit"), 0);
        assert_string_equal(p.description, "A unit");
        assert_int_equal(bus_props_set_string(&p, "Description", "Another"), 0);
        assert_string_equal(p.description, "Another");
        assert_int_equal(bus_props_set_string(&p, "Description", ""), 0);
        assert_null(p.description);
        assert_int_equal(bus_props_set_string(&p, "LoadState", "not-found"), 0);
        assert_string_equal(p.load_state, "not-found");
        assert_int_equal(bus_props_set_string(&p, "UMask", "0077"), -EINVAL);
        assert_int_equal(bus_props_set_string(&p, "SupplementaryGroups", "x"), -EINVAL);
        assert_int_equal(bus_props_set_string(&p, "NoSuchProperty", "x"), -EINVAL);
        assert_int_equal(p.umask, 0002);
        unit_props_done(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_map_sorted_unique),
                cmocka_unit_test(test_empty_dict_gives_defaults),
                cmocka_unit_test(test_every_row),
                cmocka_unit_test(test_wrong_signature_each_row),
                cmocka_unit_test(test_empty_strings_are_null),
                cmocka_unit_test(test_unknown_properties_skipped),
                cmocka_unit_test(test_repeated_property),
                cmocka_unit_test(test_huge_arrays),
                cmocka_unit_test(test_ip_prefix_sizes),
                cmocka_unit_test(test_malformed_body),
                cmocka_unit_test(test_stops_after_dict),
                cmocka_unit_test(test_map_interfaces),
                cmocka_unit_test(test_update_merges),
                cmocka_unit_test(test_read_property),
                cmocka_unit_test(test_sort_system_call_filter),
                cmocka_unit_test(test_set_string),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
