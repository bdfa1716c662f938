/* SPDX-License-Identifier: MIT */
/* The fix planner (see plan.h): which unit-file lines to add, in which order, with the exposure
 * after each, computed by score_unit() on the unit's properties as systemd would report them with
 * the lines applied. This file must never do I/O, log or read a clock; what the running service
 * holds is handed in (PlanRuntime).
 *
 * How a line changes the properties follows systemd's unit loader: first the drop-in's assignment
 * on top of the unit's value (config_parse_*() in load-fragment.c: a "~" capability list removes
 * from the set, a "~" system-call list removes from an allow list and adds to a deny list, an
 * empty assignment resets), then unit_patch_contexts() (DynamicUser= implies User=, PrivateTmp=,
 * RemoveIPC=, ProtectSystem=strict, ProtectHome=read-only, NoNewPrivileges=, RestrictSUIDSGID=;
 * PrivateDevices= turns DevicePolicy=auto into closed; a device ACL in force gains the loop and
 * device-mapper nodes for RootImage= and "char-rtc r" for ProtectClock=). The lines are written so that the result does not depend on what the
 * unit file said before: "~" forms and resets where a plain assignment would merge. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "plan.h"
#include "score.h"
#include "util.h"

#define AF_UNIX_NR 1
#define AF_INET_NR 2
#define AF_INET6_NR 10

/* Capability names by number (linux/capability.h), for the CapabilityBoundingSet= line. */
static const char *const cap_names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))

/* Address family names by number (linux/socket.h), for the families the running service holds. */
static const char *const af_names[] = {
        [1] = "AF_UNIX", [2] = "AF_INET", [3] = "AF_AX25", [4] = "AF_IPX", [5] = "AF_APPLETALK",
        [6] = "AF_NETROM", [7] = "AF_BRIDGE", [8] = "AF_ATMPVC", [9] = "AF_X25",
        [10] = "AF_INET6", [11] = "AF_ROSE", [12] = "AF_DECnet", [13] = "AF_NETBEUI",
        [14] = "AF_SECURITY", [15] = "AF_KEY", [16] = "AF_NETLINK", [17] = "AF_PACKET",
        [18] = "AF_ASH", [19] = "AF_ECONET", [20] = "AF_ATMSVC", [21] = "AF_RDS", [22] = "AF_SNA",
        [23] = "AF_IRDA", [24] = "AF_PPPOX", [25] = "AF_WANPIPE", [26] = "AF_LLC", [27] = "AF_IB",
        [28] = "AF_MPLS", [29] = "AF_CAN", [30] = "AF_TIPC", [31] = "AF_BLUETOOTH",
        [32] = "AF_IUCV", [33] = "AF_RXRPC", [34] = "AF_ISDN", [35] = "AF_PHONET",
        [36] = "AF_IEEE802154", [37] = "AF_CAIF", [38] = "AF_ALG", [39] = "AF_NFC",
        [40] = "AF_VSOCK", [41] = "AF_KCM", [42] = "AF_QIPCRTR", [43] = "AF_SMC", [44] = "AF_XDP",
        [45] = "AF_MCTP",
};
#define N_AFS (sizeof(af_names) / sizeof(af_names[0]))
#define N_IMAGE_DEVICES 5

/* The system-call groups of the two SystemCallFilter= lines. */
static const SyscallGroupId filter_basic[] = {
        SYSCALL_GROUP_CLOCK, SYSCALL_GROUP_CPU_EMULATION, SYSCALL_GROUP_DEBUG,
        SYSCALL_GROUP_MODULE, SYSCALL_GROUP_MOUNT, SYSCALL_GROUP_OBSOLETE,
        SYSCALL_GROUP_RAW_IO, SYSCALL_GROUP_REBOOT, SYSCALL_GROUP_SWAP,
};
static const SyscallGroupId filter_full[] = {
        SYSCALL_GROUP_CLOCK, SYSCALL_GROUP_CPU_EMULATION, SYSCALL_GROUP_DEBUG,
        SYSCALL_GROUP_MODULE, SYSCALL_GROUP_MOUNT, SYSCALL_GROUP_OBSOLETE,
        SYSCALL_GROUP_PRIVILEGED, SYSCALL_GROUP_RAW_IO, SYSCALL_GROUP_REBOOT,
        SYSCALL_GROUP_RESOURCES, SYSCALL_GROUP_SWAP,
};

static const char *const risk_names[_PLAN_RISK_MAX] = {
        [PLAN_RISK_SAFE] = "safe",
        [PLAN_RISK_MAY_BREAK] = "may-break",
        [PLAN_RISK_BREAKS] = "breaks",
};

const char *plan_risk_to_string(PlanRisk r) {
        if (r < 0 || r >= _PLAN_RISK_MAX)
                return NULL;
        return risk_names[r];
}

int plan_exposure_from_string(const char *s, unsigned *ret) {
        uint64_t whole, tenth = 0;
        const char *dot = strchr(s, '.');
        _cleanup_free_ char *w = xstrndup(s, dot ? (size_t) (dot - s) : strlen(s));
        int r;

        r = parse_uint(w, 10, &whole);
        if (r < 0)
                return -EINVAL;
        if (dot) {
                if (strlen(dot + 1) != 1)
                        return -EINVAL;
                r = parse_uint(dot + 1, 9, &tenth);
                if (r < 0)
                        return -EINVAL;
        }
        if (whole * 10 + tenth > 100)
                return -ERANGE;
        *ret = (unsigned) (whole * 10 + tenth);
        return 0;
}

PlanRisk plan_risk_from_string(const char *s) {
        if (!s)
                return _PLAN_RISK_INVALID;
        for (PlanRisk r = 0; r < _PLAN_RISK_MAX; r++)
                if (streq(risk_names[r], s))
                        return r;
        return _PLAN_RISK_INVALID;
}

unsigned plan_action_slot(PlanAction a) {
        switch (a) {
        case PLAN_PROTECT_HOME_YES:
                return PLAN_PROTECT_HOME_READ_ONLY;
        case PLAN_PROTECT_SYSTEM_FULL:
        case PLAN_PROTECT_SYSTEM_STRICT:
                return PLAN_PROTECT_SYSTEM_YES;
        case PLAN_ADDRESS_FAMILIES_UNIX:
        case PLAN_ADDRESS_FAMILIES_SEEN:
                return PLAN_ADDRESS_FAMILIES_IP;
        case PLAN_SYSTEM_CALL_FILTER_FULL:
                return PLAN_SYSTEM_CALL_FILTER_BASIC;
        default:
                return (unsigned) a;
        }
}

typedef struct Frac {
        uint64_t badness, weight;
} Frac;

/* What every line of one plan_unit() call does, worked out once from the unit's properties: the
 * line text (NULL: not proposed) and the property values it leads to. */
typedef struct Prepared {
        const PlanInput *in;
        char *lines[_PLAN_ACTION_MAX];
        bool checked[_PLAN_ACTION_MAX];
        PlanRisk risk[_PLAN_ACTION_MAX];   /* the row's, raised where the line implies NNP */
        bool nnp[_PLAN_ACTION_MAX];        /* the line implies NoNewPrivileges=yes here */
        char **families[_PLAN_ACTION_MAX]; /* the allow list after each RestrictAddressFamilies= */
        char **filter_basic, **filter_full;
        uint64_t caps;
        IPPrefix *deny;
        size_t n_deny;
        DeviceAllowEntry *devices;         /* scratch: the ACL with the loader's additions */
        char *dynamic_user;                /* the User= DynamicUser= derives from the name */

        /* The search's fast path: the table without its system-call group rows, and those rows'
         * share of the sums for each of the three filters a plan can leave (the unit's own,
         * basic, full). The formula's sums are sums over rows, so the two parts add up to
         * exactly what score_unit() gives for the whole table. */
        Assessor *rows;
        ScoreTable rest;
        Frac syscalls[3];
        bool fast;
} Prepared;

static void prepared_done(Prepared *pp) {
        free(pp->rows);
        for (size_t i = 0; i < _PLAN_ACTION_MAX; i++) {
                free(pp->lines[i]);
                strv_free(pp->families[i]);
        }
        strv_free(pp->filter_basic);
        strv_free(pp->filter_full);
        free(pp->deny);
        free(pp->devices);
        free(pp->dynamic_user);
}

static bool table_has(const ScoreTable *t, AssessFunc *f) {
        for (size_t i = 0; i < t->n_rows; i++)
                if (t->rows[i].assess == f)
                        return true;
        return false;
}

/* A system-call name as listed in the manager's filter, without a ":errno" suffix. */
static bool syscall_eq(const char *entry, const char *name) {
        size_t n = strlen(name);

        return strncmp(entry, name, n) == 0 && (entry[n] == '\0' || entry[n] == ':');
}

static bool syscall_listed(char *const *l, const char *name) {
        for (char *const *i = l; i && *i; i++)
                if (syscall_eq(*i, name))
                        return true;
        return false;
}

/* The member of groups g that a filter entry names ("ptrace:EACCES" names ptrace), or NULL. */
static const char *groups_member(const ScoreTable *t, const SyscallGroupId *g, size_t n,
                                const char *entry) {
        for (size_t k = 0; k < n; k++)
                for (const char *const *s = t->syscall_groups[g[k]].syscalls; *s; s++)
                        if (syscall_eq(entry, *s))
                                return *s;
        return NULL;
}

static bool in_groups(const ScoreTable *t, const SyscallGroupId *g, size_t n,
                         const char *entry) {
        return groups_member(t, g, n, entry) != NULL;
}

/* The SystemCallFilter= line over groups g and the filter it leads to: an allow list loses the
 * groups' members, a deny list (or none) gains them. */
static void prepare_filter(Prepared *pp, PlanAction a, const SyscallGroupId *g, size_t n,
                           char ***ret) {
        const UnitProps *p = pp->in->props;
        const ScoreTable *t = pp->in->table;
        char **l = NULL;
        Buf b = {};

        buf_puts(&b, "SystemCallFilter=~");
        for (size_t k = 0; k < n; k++) {
                if (k > 0)
                        buf_putc(&b, ' ');
                buf_puts(&b, t->syscall_groups[g[k]].name);
        }

        if (p->system_call_filter_allow_list) {
                for (char **i = p->system_call_filter; i && *i; i++)
                        if (!in_groups(t, g, n, *i))
                                strv_push(&l, *i);
                if (!l)
                        l = xcalloc(1, sizeof(char *));
        } else {
                /* A later deny line sets the action of every call it names, replacing an earlier
                 * ":errno" (seccomp_parse_syscall_filter(): hashmap_update() on -EEXIST), so a
                 * member listed as "ptrace:EACCES" is listed as "ptrace" after the line. Only
                 * tables that keep the suffix (245..250.7, 251.0..251.2) see the difference. */
                for (char **i = p->system_call_filter; i && *i; i++) {
                        const char *m = groups_member(t, g, n, *i);

                        strv_push(&l, m ?: *i);
                }
                for (size_t k = 0; k < n; k++)
                        for (const char *const *s = t->syscall_groups[g[k]].syscalls; *s; s++)
                                if (!syscall_listed(l, *s))
                                        strv_push(&l, *s);
        }
        pp->lines[a] = buf_steal(&b);
        *ret = l;
}

/* The RestrictAddressFamilies= line that leaves at most the families in keep allowed. */
static void prepare_families(Prepared *pp, PlanAction a, char *const *keep) {
        const UnitProps *p = pp->in->props;
        char **l = NULL;
        Buf b = {};

        if (p->restrict_address_families_allow_list) {
                /* Remove from the allow list what keep does not have: "~" on an allow list. */
                for (char **i = p->restrict_address_families; i && *i; i++)
                        if (strv_contains(keep, *i))
                                strv_push(&l, *i);
                        else {
                                buf_puts(&b, b.len == 0 ? "RestrictAddressFamilies=~" : " ");
                                buf_puts(&b, *i);
                        }
                if (b.len == 0) {
                        strv_free(l);
                        return; /* nothing to take away */
                }
        } else {
                /* No allow list: reset first. A plain list only shortens a deny list, and the
                 * manager reports an emptied deny list ("~AF_UNIX" then "AF_UNIX", or "~none")
                 * like no list at all, though the loader still treats it as a deny list. */
                buf_puts(&b, "RestrictAddressFamilies=\nRestrictAddressFamilies=");
                for (char *const *i = keep; *i; i++) {
                        if (i != keep)
                                buf_putc(&b, ' ');
                        buf_puts(&b, *i);
                        strv_push(&l, *i);
                }
        }
        if (!l)
                l = xcalloc(1, sizeof(char *));
        pp->lines[a] = buf_steal(&b);
        pp->families[a] = l;
}

/* ReadWritePaths= for ProtectSystem=strict: the unit's State/Cache/Logs directories, or when it
 * declares none, the usual ones named after it ("-": ignored when they do not exist). Names that
 * would need quoting in a unit file are left out; '%' is a specifier and is doubled. */
static void put_path(Buf *b, const char *prefix, const char *dir, const char *base, size_t n) {
        if (strpbrk(dir, " \t\n\"'\\;") || (base && memchr(base, '\\', n)))
                return;
        buf_puts(b, b->len == 0 ? "ReadWritePaths=" : " ");
        buf_puts(b, prefix);
        for (const char *c = dir; *c; c++) {
                if (*c == '%')
                        buf_putc(b, '%');
                buf_putc(b, *c);
        }
}

static void prepare_strict(Prepared *pp) {
        static const char *const prefixes[] = { "/var/lib/", "/var/cache/", "/var/log/" };
        char *const *dirs[] = { pp->in->state_dirs, pp->in->cache_dirs, pp->in->logs_dirs };
        const char *id = pp->in->props->id;
        bool any = false;
        Buf rw = {}, b = {};

        for (size_t k = 0; k < 3; k++)
                for (char *const *d = dirs[k]; d && *d; d++) {
                        _cleanup_free_ char *path = NULL;
                        Buf pb = {};

                        any = true;
                        buf_puts(&pb, prefixes[k]);
                        buf_puts(&pb, *d);
                        path = buf_steal(&pb);
                        put_path(&rw, "", path, NULL, 0);
                }
        if (!any && id) {
                size_t n = strcspn(id, "@.");

                for (size_t k = 0; k < 3 && n > 0; k++) {
                        _cleanup_free_ char *path = NULL;
                        Buf pb = {};

                        buf_puts(&pb, prefixes[k]);
                        buf_append(&pb, id, n);
                        path = buf_steal(&pb);
                        put_path(&rw, "-", path, NULL, 0);
                }
        }
        buf_puts(&b, "ProtectSystem=strict");
        if (rw.len > 0) {
                buf_putc(&b, '\n');
                buf_puts(&b, rw.data);
        }
        buf_done(&rw);
        pp->lines[PLAN_PROTECT_SYSTEM_STRICT] = buf_steal(&b);
}

/* user_from_unit_name(): the unit name's prefix when it is a plain user name. The scorer only
 * tells root, "nobody" and others apart, so a hashed "_du..." name stands in for the rest. */
static char *dynamic_user_name(const char *id) {
        size_t n = id ? strcspn(id, "@.") : 0;

        if (n == 0 || n > 31)
                return xstrdup("_du");
        for (size_t i = 0; i < n; i++)
                if (!(id[i] == '_' || id[i] == '-' || (id[i] >= 'a' && id[i] <= 'z') ||
                      (id[i] >= 'A' && id[i] <= 'Z') || (i > 0 && id[i] >= '0' && id[i] <= '9')))
                        return xstrdup("_du");
        if (id[0] == '-')
                return xstrdup("_du");
        return xstrndup(id, n);
}

static void prepare_caps(Prepared *pp) {
        const UnitProps *p = pp->in->props;
        const PlanRuntime *rt = pp->in->runtime;
        uint64_t known = N_CAPS >= 64 ? UINT64_MAX : (UINT64_C(1) << N_CAPS) - 1;
        uint64_t keep = rt ? rt->effective_caps & p->capability_bounding_set : 0;
        uint64_t drop = p->capability_bounding_set & known & ~keep;
        Buf b = {};

        if (drop == 0)
                return;
        pp->checked[PLAN_CAPABILITY_BOUNDING_SET] = !!rt;
        if ((keep & known) == 0) {
                /* An empty assignment is the empty set, whatever came before. */
                pp->lines[PLAN_CAPABILITY_BOUNDING_SET] = xstrdup("CapabilityBoundingSet=");
                pp->caps = 0;
                return;
        }
        buf_puts(&b, "CapabilityBoundingSet=~");
        for (size_t i = 0, first = 1; i < N_CAPS; i++)
                if (drop & (UINT64_C(1) << i)) {
                        if (!first)
                                buf_putc(&b, ' ');
                        buf_puts(&b, cap_names[i]);
                        first = 0;
                }
        pp->lines[PLAN_CAPABILITY_BOUNDING_SET] = buf_steal(&b);
        pp->caps = p->capability_bounding_set & ~drop;
}

static void prepare_fast(Prepared *pp);

static bool has_ip_sockets(const PlanRuntime *rt) {
        return rt && (rt->families & ((UINT64_C(1) << AF_INET_NR) | (UINT64_C(1) << AF_INET6_NR)));
}

static void prepare_fixed(Prepared *pp, PlanAction a) {
        pp->lines[a] = xstrdup(plan_risk_table[a].line);
}

#define CAP_SYS_ADMIN_NR 21

/* Whether the service's processes run without CAP_SYS_ADMIN, so that systemd implies
 * NoNewPrivileges=yes for every seccomp-based line (context_has_no_new_privileges() tests the
 * effective set after the user switch): a User= other than root, or DynamicUser=, unless the
 * capability is ambient. A root service keeps it whatever its bounding set: systemd drops the
 * bounding set only at execve(), after the test. A DynamicUser=yes the plan itself proposes
 * (class breaks) is not taken into account. */
static bool unprivileged(const UnitProps *p) {
        bool root = !p->dynamic_user &&
                    (isempty(p->user) || streq(p->user, "root") || streq(p->user, "0"));

        return !root && !(p->ambient_capabilities & (UINT64_C(1) << CAP_SYS_ADMIN_NR));
}

static void prepare_risk(Prepared *pp) {
        const UnitProps *p = pp->in->props;
        bool nnp = !p->no_new_privileges && unprivileged(p);
        PlanRisk floor = plan_risk_table[PLAN_NO_NEW_PRIVILEGES].risk;

        for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++) {
                pp->risk[a] = plan_risk_table[a].risk;
                pp->nnp[a] = nnp && plan_risk_table[a].implies_nnp;
                if (pp->nnp[a] && pp->risk[a] < floor)
                        pp->risk[a] = floor;
        }
}

static void prepare(const PlanInput *in, Prepared *pp) {
        const UnitProps *p = in->props;
        const PlanRuntime *rt = in->runtime;
        const ScoreTable *t = in->table;

        *pp = (Prepared) { .in = in };

#define FIXED_IF(cond, a) do { if (cond) prepare_fixed(pp, a); } while (0)
        FIXED_IF(isempty(p->user) && !p->dynamic_user, PLAN_DYNAMIC_USER);
        FIXED_IF(p->supplementary_groups && p->supplementary_groups[0],
                 PLAN_SUPPLEMENTARY_GROUPS);
        FIXED_IF(!p->private_devices, PLAN_PRIVATE_DEVICES);
        FIXED_IF(!p->private_mounts, PLAN_PRIVATE_MOUNTS);
        FIXED_IF(!p->private_network && !has_ip_sockets(rt), PLAN_PRIVATE_NETWORK);
        FIXED_IF(!p->private_tmp, PLAN_PRIVATE_TMP);
        FIXED_IF(!p->private_users, PLAN_PRIVATE_USERS);
        FIXED_IF(!p->protect_control_groups, PLAN_PROTECT_CONTROL_GROUPS);
        FIXED_IF(!p->protect_kernel_modules, PLAN_PROTECT_KERNEL_MODULES);
        FIXED_IF(!p->protect_kernel_tunables, PLAN_PROTECT_KERNEL_TUNABLES);
        FIXED_IF(!p->protect_kernel_logs, PLAN_PROTECT_KERNEL_LOGS);
        FIXED_IF(!p->protect_clock, PLAN_PROTECT_CLOCK);
        FIXED_IF(!streq_ptr(p->protect_home, "yes") && !streq_ptr(p->protect_home, "read-only"),
                 PLAN_PROTECT_HOME_READ_ONLY);
        FIXED_IF(!streq_ptr(p->protect_home, "yes"), PLAN_PROTECT_HOME_YES);
        FIXED_IF(!p->protect_hostname, PLAN_PROTECT_HOSTNAME);
        FIXED_IF(streq_ptr(p->protect_system, "no") || !p->protect_system,
                 PLAN_PROTECT_SYSTEM_YES);
        FIXED_IF(!streq_ptr(p->protect_system, "full") && !streq_ptr(p->protect_system, "strict"),
                 PLAN_PROTECT_SYSTEM_FULL);
        if (!streq_ptr(p->protect_system, "strict"))
                prepare_strict(pp);
        FIXED_IF(!p->lock_personality, PLAN_LOCK_PERSONALITY);
        FIXED_IF(!p->memory_deny_write_execute && !(rt && rt->write_exec),
                 PLAN_MEMORY_DENY_WRITE_EXECUTE);
        FIXED_IF(!p->no_new_privileges, PLAN_NO_NEW_PRIVILEGES);
        prepare_caps(pp);
        FIXED_IF(p->ambient_capabilities != 0, PLAN_AMBIENT_CAPABILITIES);
        FIXED_IF((p->umask & 0077) != 0077, PLAN_UMASK);
        FIXED_IF(!streq_ptr(p->keyring_mode, "private"), PLAN_KEYRING_MODE);
        /* ProtectProc= and ProcSubset= exist from v247 on: the manager reports them then. */
        FIXED_IF(p->protect_proc && table_has(t, assess_protect_proc) &&
                 !streq(p->protect_proc, "invisible") && !streq(p->protect_proc, "ptraceable"),
                 PLAN_PROTECT_PROC);
        FIXED_IF(p->proc_subset && table_has(t, assess_proc_subset) &&
                 !streq(p->proc_subset, "pid"), PLAN_PROC_SUBSET);
        FIXED_IF(streq_ptr(p->notify_access, "all"), PLAN_NOTIFY_ACCESS);
        FIXED_IF(!p->remove_ipc, PLAN_REMOVE_IPC);
        FIXED_IF(p->delegate, PLAN_DELEGATE);
        FIXED_IF(!p->restrict_realtime, PLAN_RESTRICT_REALTIME);
        FIXED_IF(!p->restrict_suid_sgid, PLAN_RESTRICT_SUID_SGID);
        FIXED_IF(p->restrict_namespaces != 0 && !(rt && rt->user_namespace),
                 PLAN_RESTRICT_NAMESPACES);
        FIXED_IF(!(rt && has_ip_sockets(rt)), PLAN_IP_ADDRESS_DENY);
        FIXED_IF(isempty(p->device_policy) || streq(p->device_policy, "auto"),
                 PLAN_DEVICE_POLICY);
#undef FIXED_IF

        prepare_risk(pp);
        pp->checked[PLAN_PRIVATE_NETWORK] = pp->checked[PLAN_IP_ADDRESS_DENY] = !!rt;
        pp->checked[PLAN_MEMORY_DENY_WRITE_EXECUTE] = !!rt;
        pp->checked[PLAN_RESTRICT_NAMESPACES] = !!rt;

        if (!rt) {
                static char *const ip[] = { "AF_UNIX", "AF_INET", "AF_INET6", NULL };
                static char *const local[] = { "AF_UNIX", NULL };

                prepare_families(pp, PLAN_ADDRESS_FAMILIES_IP, ip);
                prepare_families(pp, PLAN_ADDRESS_FAMILIES_UNIX, local);
        } else {
                /* Keep AF_UNIX (the journal, D-Bus) and what the processes hold; a family we
                 * cannot name cannot be kept, so no line then. IP is kept whole: a service seen
                 * with only an IPv4 socket may be handed an IPv6 address by the resolver or a
                 * reconfiguration later, and dropping either half would break it then. */
                _cleanup_(strv_freep) char **keep = NULL;
                uint64_t families = rt->families;
                bool named = true;

                if (has_ip_sockets(rt))
                        families |= (UINT64_C(1) << AF_INET_NR) | (UINT64_C(1) << AF_INET6_NR);
                strv_push(&keep, "AF_UNIX");
                for (unsigned f = 0; f < 64; f++)
                        if ((families & (UINT64_C(1) << f)) && f != AF_UNIX_NR) {
                                if (f >= N_AFS || !af_names[f])
                                        named = false;
                                else
                                        strv_push(&keep, af_names[f]);
                        }
                if (named) {
                        prepare_families(pp, PLAN_ADDRESS_FAMILIES_SEEN, keep);
                        pp->checked[PLAN_ADDRESS_FAMILIES_SEEN] = true;
                }
        }

        {
                char **archs = p->system_call_architectures;
                bool native = archs && archs[0] && streq(archs[0], "native") && !archs[1];

                if (!native)
                        pp->lines[PLAN_SYSTEM_CALL_ARCHITECTURES] = xstrdup(
                                archs && archs[0] ? "SystemCallArchitectures=\n"
                                                    "SystemCallArchitectures=native"
                                                  : "SystemCallArchitectures=native");
        }

        /* A table without system-call groups (a test's) gets no filter line. */
        if (t->syscall_groups) {
                prepare_filter(pp, PLAN_SYSTEM_CALL_FILTER_BASIC, filter_basic,
                               sizeof(filter_basic) / sizeof(filter_basic[0]),
                               &pp->filter_basic);
                prepare_filter(pp, PLAN_SYSTEM_CALL_FILTER_FULL, filter_full,
                               sizeof(filter_full) / sizeof(filter_full[0]), &pp->filter_full);
        }

        pp->n_deny = p->n_ip_address_deny + 2;
        pp->deny = xcalloc(pp->n_deny, sizeof(IPPrefix));
        if (p->n_ip_address_deny > 0)
                memcpy(pp->deny, p->ip_address_deny, p->n_ip_address_deny * sizeof(IPPrefix));
        pp->deny[p->n_ip_address_deny] = (IPPrefix) { .family = 2 /* AF_INET */ };
        pp->deny[p->n_ip_address_deny + 1] = (IPPrefix) { .family = 10 /* AF_INET6 */ };

        pp->devices = xcalloc(p->n_device_allow + N_IMAGE_DEVICES + 1, sizeof(DeviceAllowEntry));

        pp->dynamic_user = dynamic_user_name(p->id);
        prepare_fast(pp);
}

/* One line's assignment, on a shallow copy w of the unit's properties. String fields point at
 * literals or at pp's data; w is never freed. */
static void apply(const Prepared *pp, PlanAction a, UnitProps *w) {
        switch (a) {
        case PLAN_DYNAMIC_USER:
                w->dynamic_user = true;
                break;
        case PLAN_SUPPLEMENTARY_GROUPS:
                w->supplementary_groups = NULL;
                break;
        case PLAN_PRIVATE_DEVICES:
                w->private_devices = true;
                break;
        case PLAN_PRIVATE_MOUNTS:
                w->private_mounts = true;
                break;
        case PLAN_PRIVATE_NETWORK:
                w->private_network = true;
                break;
        case PLAN_PRIVATE_TMP:
                w->private_tmp = true;
                break;
        case PLAN_PRIVATE_USERS:
                w->private_users = true;
                break;
        case PLAN_PROTECT_CONTROL_GROUPS:
                w->protect_control_groups = true;
                break;
        case PLAN_PROTECT_KERNEL_MODULES:
                w->protect_kernel_modules = true;
                break;
        case PLAN_PROTECT_KERNEL_TUNABLES:
                w->protect_kernel_tunables = true;
                break;
        case PLAN_PROTECT_KERNEL_LOGS:
                w->protect_kernel_logs = true;
                break;
        case PLAN_PROTECT_CLOCK:
                w->protect_clock = true;
                break;
        case PLAN_PROTECT_HOME_READ_ONLY:
                w->protect_home = "read-only";
                break;
        case PLAN_PROTECT_HOME_YES:
                w->protect_home = "yes";
                break;
        case PLAN_PROTECT_HOSTNAME:
                w->protect_hostname = true;
                break;
        case PLAN_PROTECT_SYSTEM_YES:
                w->protect_system = "yes";
                break;
        case PLAN_PROTECT_SYSTEM_FULL:
                w->protect_system = "full";
                break;
        case PLAN_PROTECT_SYSTEM_STRICT:
                w->protect_system = "strict";
                break;
        case PLAN_LOCK_PERSONALITY:
                w->lock_personality = true;
                break;
        case PLAN_MEMORY_DENY_WRITE_EXECUTE:
                w->memory_deny_write_execute = true;
                break;
        case PLAN_NO_NEW_PRIVILEGES:
                w->no_new_privileges = true;
                break;
        case PLAN_CAPABILITY_BOUNDING_SET:
                w->capability_bounding_set = pp->caps;
                break;
        case PLAN_AMBIENT_CAPABILITIES:
                w->ambient_capabilities = 0;
                break;
        case PLAN_UMASK:
                w->umask = 0077;
                break;
        case PLAN_KEYRING_MODE:
                w->keyring_mode = "private";
                break;
        case PLAN_PROTECT_PROC:
                w->protect_proc = "invisible";
                break;
        case PLAN_PROC_SUBSET:
                w->proc_subset = "pid";
                break;
        case PLAN_NOTIFY_ACCESS:
                w->notify_access = "main";
                break;
        case PLAN_REMOVE_IPC:
                w->remove_ipc = true;
                break;
        case PLAN_DELEGATE:
                w->delegate = false;
                break;
        case PLAN_RESTRICT_REALTIME:
                w->restrict_realtime = true;
                break;
        case PLAN_RESTRICT_SUID_SGID:
                w->restrict_suid_sgid = true;
                break;
        case PLAN_RESTRICT_NAMESPACES:
                w->restrict_namespaces = 0;
                break;
        case PLAN_ADDRESS_FAMILIES_IP:
        case PLAN_ADDRESS_FAMILIES_UNIX:
        case PLAN_ADDRESS_FAMILIES_SEEN:
                w->restrict_address_families_allow_list = true;
                w->restrict_address_families = pp->families[a];
                break;
        case PLAN_SYSTEM_CALL_ARCHITECTURES: {
                static char *native[] = { "native", NULL };

                w->system_call_architectures = native;
                break;
        }
        case PLAN_SYSTEM_CALL_FILTER_BASIC:
                w->system_call_filter = pp->filter_basic;
                break;
        case PLAN_SYSTEM_CALL_FILTER_FULL:
                w->system_call_filter = pp->filter_full;
                break;
        case PLAN_IP_ADDRESS_DENY:
                w->ip_address_deny = pp->deny;
                w->n_ip_address_deny = pp->n_deny;
                break;
        case PLAN_DEVICE_POLICY:
                w->device_policy = "closed";
                break;
        default:
                assert(!"unknown plan action");
        }
}

/* The entries unit_patch_contexts() adds to a device ACL in force for RootImage=. */
static const DeviceAllowEntry image_devices[] = {
        { "/dev/loop-control", "rw" }, { "/dev/mapper/control", "rw" },
        { "block-loop", "rwm" }, { "block-blkext", "rwm" }, { "block-device-mapper", "rwm" },
};
static const DeviceAllowEntry rtc_device = { "char-rtc", "r" };

static bool has_device(const DeviceAllowEntry *l, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(l[i].path, path))
                        return true;
        return false;
}

/* unit_patch_contexts(): what loading the unit derives from the assignments. The unit's own
 * values were patched by the manager already; patching again changes nothing for them. */
static void patch(const Prepared *pp, UnitProps *w) {
        if (w->dynamic_user) {
                if (isempty(w->user))
                        w->user = pp->dynamic_user;
                w->private_tmp = true;
                w->remove_ipc = true;
                w->protect_system = "strict";
                if (isempty(w->protect_home) || streq(w->protect_home, "no"))
                        w->protect_home = "read-only";
                w->no_new_privileges = true;
                w->restrict_suid_sgid = true;
        }
        if (w->private_devices && (isempty(w->device_policy) || streq(w->device_policy, "auto")))
                w->device_policy = "closed";
        /* "Only add these if needed, as they imply that everything else is blocked." */
        if ((!isempty(w->device_policy) && !streq(w->device_policy, "auto")) ||
            w->n_device_allow > 0) {
                DeviceAllowEntry *l = pp->devices;
                size_t n = w->n_device_allow;

                if (n > 0)
                        memcpy(l, w->device_allow, n * sizeof(DeviceAllowEntry));
                if (w->root_image)
                        for (size_t i = 0; i < N_IMAGE_DEVICES; i++)
                                if (!has_device(l, n, image_devices[i].path))
                                        l[n++] = image_devices[i];
                if (w->protect_clock && !has_device(l, n, rtc_device.path))
                        l[n++] = rtc_device;
                w->device_allow = l;
                w->n_device_allow = n;
        }
}

static int evaluate(const Prepared *pp, const PlanAction *actions, size_t n, ScoreReport *ret) {
        UnitProps w = *pp->in->props;

        for (size_t i = 0; i < n; i++)
                apply(pp, actions[i], &w);
        patch(pp, &w);
        return score_unit(pp->in->table, NULL, &w, ret);
}

static bool possible(const Prepared *pp, PlanAction a, PlanRisk max_risk) {
        return pp->lines[a] && pp->risk[a] <= max_risk;
}

bool plan_action_possible(const PlanInput *in, PlanAction a, PlanRisk max_risk) {
        Prepared pp;
        bool r;

        if (!in || !in->table || !in->props || a < 0 || a >= _PLAN_ACTION_MAX)
                return false;
        prepare(in, &pp);
        r = possible(&pp, a, max_risk);
        prepared_done(&pp);
        return r;
}

int plan_evaluate(const PlanInput *in, const PlanAction *actions, size_t n, unsigned *ret_exposure,
                  uint64_t *ret_badness, uint64_t *ret_weight, char **ret_lines) {
        ScoreReport r;
        Prepared pp;
        int k;

        if (!in || !in->table || !in->props || (n > 0 && !actions))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (actions[i] < 0 || actions[i] >= _PLAN_ACTION_MAX)
                        return -EINVAL;
        prepare(in, &pp);
        k = evaluate(&pp, actions, n, &r);
        if (k >= 0 && ret_lines)
                for (size_t i = 0; i < n; i++)
                        ret_lines[i] = pp.lines[actions[i]] ? xstrdup(pp.lines[actions[i]]) : NULL;
        prepared_done(&pp);
        if (k < 0)
                return k;
        if (ret_exposure)
                *ret_exposure = r.exposure;
        if (ret_badness)
                *ret_badness = r.badness_sum;
        if (ret_weight)
                *ret_weight = r.weight_sum;
        return 0;
}

/* a/b < c/d for the scorer's sums (each below 2^32 for any table: the products fit). */
static bool frac_less(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
        return a * d < c * b;
}

static int frac_of(const Prepared *pp, const PlanAction *chosen, size_t n, Frac *ret) {
        UnitProps w = *pp->in->props;
        unsigned filter = 0;
        ScoreReport r;
        int k;

        if (!pp->fast) {
                k = evaluate(pp, chosen, n, &r);
                if (k < 0)
                        return k;
                *ret = (Frac) { r.badness_sum, r.weight_sum };
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                apply(pp, chosen[i], &w);
                if (chosen[i] == PLAN_SYSTEM_CALL_FILTER_BASIC)
                        filter = 1;
                else if (chosen[i] == PLAN_SYSTEM_CALL_FILTER_FULL)
                        filter = 2;
        }
        patch(pp, &w);
        k = score_unit(&pp->rest, NULL, &w, &r);
        if (k < 0)
                return k;
        *ret = (Frac) { r.badness_sum + pp->syscalls[filter].badness,
                        r.weight_sum + pp->syscalls[filter].weight };
        return 0;
}

/* Split the table for frac_of()'s fast path. Without it (a table of system-call rows only)
 * every evaluation scores the whole table. */
static void prepare_fast(Prepared *pp) {
        const ScoreTable *t = pp->in->table;
        static const PlanAction filters[3] = { _PLAN_ACTION_INVALID,
                                               PLAN_SYSTEM_CALL_FILTER_BASIC,
                                               PLAN_SYSTEM_CALL_FILTER_FULL };
        size_t n = 0;

        pp->rows = xcalloc(t->n_rows, sizeof(Assessor));
        for (size_t i = 0; i < t->n_rows; i++)
                if (t->rows[i].assess != assess_system_call_filter)
                        pp->rows[n++] = t->rows[i];
        if (n == 0 || n == t->n_rows)
                return;
        pp->rest = *t;
        pp->rest.rows = pp->rows;
        pp->rest.n_rows = n;
        for (size_t f = 0; f < 3; f++) {
                ScoreReport r;

                if (evaluate(pp, &filters[f], f > 0, &r) < 0)
                        return;
                pp->syscalls[f] = (Frac) {};
                for (size_t i = 0; i < r.n_checks; i++) {
                        const ScoreCheck *c = r.checks + i;

                        if (c->assessor->assess != assess_system_call_filter ||
                            c->badness == BADNESS_NA)
                                continue;
                        pp->syscalls[f].badness += c->badness * c->weight / c->range +
                                                   !!(c->badness * c->weight % c->range);
                        pp->syscalls[f].weight += c->weight;
                }
        }
        pp->fast = true;
}

static bool slot_used(const PlanAction *chosen, size_t n, PlanAction a) {
        for (size_t i = 0; i < n; i++)
                if (plan_action_slot(chosen[i]) == plan_action_slot(a))
                        return true;
        return false;
}

#define LOOKAHEAD_FIRST 4

static bool frac_le(Frac a, Frac b) {
        return !frac_less(b.badness, b.weight, a.badness, a.weight);
}

/* The best next action after chosen[0..n), or _PLAN_ACTION_INVALID when none lowers the exposure.
 * Greedy: the action that lowers it most (among equals the lower risk, then table order). With
 * lookahead the LOOKAHEAD_FIRST best of them are valued by the best pair each starts (itself then
 * any other action), which finds lines that pay off only together (DynamicUser= making RemoveIPC=
 * applicable, ProtectClock= and a closed device policy) and steps around a line that a later one
 * makes moot. Only a few are tried so that a plan costs a few times a greedy one. */
static int pick(const Prepared *pp, PlanAction *chosen, size_t n, const PlanOptions *o,
                Frac current, bool lookahead, PlanAction *ret) {
        Frac self[_PLAN_ACTION_MAX], value[_PLAN_ACTION_MAX];
        bool cand[_PLAN_ACTION_MAX] = {}, looked[_PLAN_ACTION_MAX] = {};
        PlanAction best = _PLAN_ACTION_INVALID;
        int k;

        for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++) {
                if (!possible(pp, a, o->max_risk) || slot_used(chosen, n, a))
                        continue;
                chosen[n] = a;
                k = frac_of(pp, chosen, n + 1, &self[a]);
                if (k < 0)
                        return k;
                /* Only actions that lower the exposure themselves. */
                cand[a] = frac_less(self[a].badness, self[a].weight, current.badness,
                                    current.weight);
                value[a] = self[a];
        }

        for (unsigned round = 0; lookahead && round < LOOKAHEAD_FIRST; round++) {
                PlanAction top = _PLAN_ACTION_INVALID;

                /* The next best by its own gain that was not looked ahead from yet. */
                for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++)
                        if (cand[a] && !looked[a] &&
                            (top < 0 || frac_less(self[a].badness, self[a].weight,
                                                  self[top].badness, self[top].weight)))
                                top = a;
                if (top < 0)
                        break;
                looked[top] = true;
                chosen[n] = top;
                for (PlanAction b = 0; b < _PLAN_ACTION_MAX; b++) {
                        Frac pair;

                        if (!possible(pp, b, o->max_risk) || slot_used(chosen, n + 1, b))
                                continue;
                        chosen[n + 1] = b;
                        k = frac_of(pp, chosen, n + 2, &pair);
                        if (k < 0)
                                return k;
                        if (frac_less(pair.badness, pair.weight, value[top].badness,
                                      value[top].weight))
                                value[top] = pair;
                }
        }

        for (PlanAction a = 0; a < _PLAN_ACTION_MAX; a++) {
                if (!cand[a])
                        continue;
                if (best < 0 || frac_less(value[a].badness, value[a].weight, value[best].badness,
                                          value[best].weight) ||
                    (frac_le(value[a], value[best]) && frac_le(value[best], value[a]) &&
                     (frac_less(self[a].badness, self[a].weight, self[best].badness,
                                self[best].weight) ||
                      (frac_le(self[a], self[best]) && frac_le(self[best], self[a]) &&
                       pp->risk[a] < pp->risk[best]))))
                        best = a;
        }
        *ret = best;
        return 0;
}

int plan_unit(const PlanInput *in, const PlanOptions *o, Plan *ret) {
        PlanAction chosen[_PLAN_ACTION_MAX + 1];
        _cleanup_free_ PlanStep *steps = NULL;
        ScoreReport r;
        Prepared pp;
        size_t n = 0;
        Frac current;
        int k;

        if (!in || !in->table || !in->props || !o || !ret || o->max_risk < 0 ||
            o->max_risk >= _PLAN_RISK_MAX)
                return -EINVAL;
        /* A table that cannot score (rows without assessors, as in a renderer's test data). */
        for (size_t i = 0; i < in->table->n_rows; i++)
                if (!in->table->rows[i].assess)
                        return -EINVAL;

        prepare(in, &pp);
        k = evaluate(&pp, NULL, 0, &r);
        if (k < 0) {
                prepared_done(&pp);
                return k;
        }
        current = (Frac) { r.badness_sum, r.weight_sum };
        steps = xcalloc(_PLAN_ACTION_MAX, sizeof(PlanStep));
        *ret = (Plan) { .exposure = r.exposure };

        for (unsigned exposure = r.exposure;
             (o->max_steps == 0 || n < o->max_steps) && exposure > o->target;) {
                bool lookahead = o->lookahead && (o->max_steps == 0 || n + 1 < o->max_steps);
                PlanAction a;

                k = pick(&pp, chosen, n, o, current, lookahead, &a);
                if (k < 0)
                        break;
                if (a < 0)
                        break;
                chosen[n] = a;
                k = evaluate(&pp, chosen, n + 1, &r);
                if (k < 0)
                        break;
                current = (Frac) { r.badness_sum, r.weight_sum };
                exposure = r.exposure;
                steps[n] = (PlanStep) {
                        .action = a,
                        .line = xstrdup(pp.lines[a]),
                        .exposure = r.exposure,
                        .risk = pp.risk[a],
                        .implies_nnp = pp.nnp[a],
                        .checked = pp.checked[a],
                };
                n++;
        }
        prepared_done(&pp);
        if (k < 0) {
                for (size_t i = 0; i < n; i++)
                        free(steps[i].line);
                return k;
        }
        ret->n_steps = n;
        ret->steps = TAKE_PTR(steps);
        return 0;
}

void plan_done(Plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_steps; i++)
                free(p->steps[i].line);
        free(p->steps);
        *p = (Plan) {};
}

char *plan_dropin(const Plan *p) {
        Buf b = {};

        if (!p || p->n_steps == 0)
                return NULL;
        buf_puts(&b, "[Service]\n");
        for (size_t i = 0; i < p->n_steps; i++) {
                buf_puts(&b, p->steps[i].line);
                buf_putc(&b, '\n');
        }
        return buf_steal(&b);
}
