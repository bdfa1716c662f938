/* SPDX-License-Identifier: MIT */
/* The system-call groups the SystemCallFilter=~@... rows check, per systemd version: data only.
 * Each version's set is an array indexed by SYSCALL_GROUP_* (score.h); a member list that did not
 * change between versions is written once and shared.
 *
 * Order matters: the description names the FIRST offending system call, in the group's definition
 * order (src/shared/seccomp-util.c syscall_filter_sets[]) with nested groups (@chown, @clock, ...
 * inside @privileged) expanded in place. The member lists come from `systemd-analyze
 * syscall-filter` run in each version's container (it prints the definition order).
 *
 * "Resolves on the native architecture": the analyzer skips members that
 * seccomp_syscall_resolve_name() does not map to a native syscall number. That answer comes from
 * the libseccomp of the host being scored (2.5.1 on bullseye, 2.5.4 bookworm, 2.6.0 trixie, 2.6.1
 * sid), not from our build host's <sys/syscall.h>: one exposured binary scores managers of several
 * versions, and a compile-time SYS_xxx test would reflect the build host's kernel headers. So the
 * lists below are explicit: each holds only the members that the matching release's own
 * libseccomp resolved on x86-64 (checked by calling seccomp_syscall_resolve_name() from each
 * container's libseccomp.so.2); the skipped ones are noted above each list. Limit: the lists are
 * right for x86-64 only; on other architectures the first offending syscall named in a text can
 * differ from systemd's (the verdicts differ only for filters that name single syscalls).
 *
 * Differences: v252 added mount_setattr (@mount), quotactl_fd (@privileged) and
 * set_mempolicy_home_node (@resources) over v247, and s390-only members that x86-64 skips
 * (noted "v252+" below); v257 is identical to v252; v262 replaced open_tree by open_tree_attr in
 * @mount. Whether the unit's ":errno" suffixes are stripped is a property of the table
 * (ScoreTable.syscall_filter_strip_errno, score-table.c). */
#include <stddef.h>

#include "score.h"

/* --- Member lists identical in v247, v252, v257 and v262 --- */

static const char *const syscalls_swap[] = {
        "swapoff", "swapon", NULL,
};

/* not on x86-64: bdflush break ftime gtty idle lock mpx prof profil sgetmask ssetmask stime stty
 * ulimit */
static const char *const syscalls_obsolete[] = {
        "_sysctl", "afs_syscall", "create_module", "get_kernel_syms", "getpmsg", "putpmsg",
        "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver", NULL,
};

/* not on x86-64: clock_adjtime64 clock_settime64 */
static const char *const syscalls_clock[] = {
        "adjtimex", "clock_adjtime", "clock_settime", "settimeofday", NULL,
};

/* not on x86-64: subpage_prot switch_endian vm86 vm86old */
static const char *const syscalls_cpu_emulation[] = {
        "modify_ldt", NULL,
};

/* not on x86-64: rtas sys_debug_setcontext; v252+ also s390_runtime_instr */
static const char *const syscalls_debug[] = {
        "lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", NULL,
};

/* v245: before pidfd_getfd joined @debug (v246) */
static const char *const syscalls_debug_v245[] = {
        "lookup_dcookie", "perf_event_open", "ptrace", NULL,
};

static const char *const syscalls_module[] = {
        "delete_module", "finit_module", "init_module", NULL,
};

/* not on x86-64: pciconfig_iobase pciconfig_read pciconfig_write; v252+ also s390_pci_mmio_read
 * s390_pci_mmio_write */
static const char *const syscalls_raw_io[] = {
        "ioperm", "iopl", NULL,
};

static const char *const syscalls_reboot[] = {
        "kexec_file_load", "kexec_load", "reboot", NULL,
};

/* --- v247 --- */

/* not on x86-64: umount */
static const char *const syscalls_mount_v247[] = {
        "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "move_mount", "open_tree",
        "pivot_root", "umount2", NULL,
};

/* not on x86-64: chown32 fchown32 lchown32 clock_adjtime64 clock_settime64 pciconfig_iobase
 * pciconfig_read pciconfig_write setfsuid32 setgroups32 setresuid32 setreuid32 setuid32 */
static const char *const syscalls_privileged_v247[] = {
        "chown", "fchown", "fchownat", "lchown", "adjtimex", "clock_adjtime", "clock_settime",
        "settimeofday", "delete_module", "finit_module", "init_module", "ioperm", "iopl",
        "kexec_file_load", "kexec_load", "reboot", "swapoff", "swapon", "_sysctl", "acct", "bpf",
        "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
        "pivot_root", "quotactl", "setdomainname", "setfsuid", "setgroups", "sethostname",
        "setresuid", "setreuid", "setuid", "vhangup", NULL,
};

/* not on x86-64: nice */
static const char *const syscalls_resources_v247[] = {
        "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "set_mempolicy", "setpriority", "setrlimit", NULL,
};

/* --- v252 and later (v262 changes only @mount) --- */

/* not on x86-64: umount */
static const char *const syscalls_mount_v252[] = {
        "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
        "move_mount", "open_tree", "pivot_root", "umount2", NULL,
};

/* not on x86-64: chown32 fchown32 lchown32 clock_adjtime64 clock_settime64 pciconfig_iobase
 * pciconfig_read pciconfig_write s390_pci_mmio_read s390_pci_mmio_write setfsuid32 setgroups32
 * setresuid32 setreuid32 setuid32 */
static const char *const syscalls_privileged_v252[] = {
        "chown", "fchown", "fchownat", "lchown", "adjtimex", "clock_adjtime", "clock_settime",
        "settimeofday", "delete_module", "finit_module", "init_module", "ioperm", "iopl",
        "kexec_file_load", "kexec_load", "reboot", "swapoff", "swapon", "_sysctl", "acct", "bpf",
        "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
        "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid", "setgroups",
        "sethostname", "setresuid", "setreuid", "setuid", "vhangup", NULL,
};

/* not on x86-64: nice */
static const char *const syscalls_resources_v252[] = {
        "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
        "setpriority", "setrlimit", NULL,
};

/* --- v262 --- */

/* not on x86-64: umount */
static const char *const syscalls_mount_v262[] = {
        "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
        "move_mount", "open_tree_attr", "pivot_root", "umount2", NULL,
};

/* --- The sets, in the tables' row order --- */

/* Only @debug, @mount, @privileged and @resources differ between the versions we model. */
#define GROUP_SET(debug, mount, privileged, resources)                                             \
        {                                                                                          \
                [SYSCALL_GROUP_SWAP]          = { "@swap", syscalls_swap },                        \
                [SYSCALL_GROUP_OBSOLETE]      = { "@obsolete", syscalls_obsolete },                \
                [SYSCALL_GROUP_CLOCK]         = { "@clock", syscalls_clock },                      \
                [SYSCALL_GROUP_CPU_EMULATION] = { "@cpu-emulation", syscalls_cpu_emulation },      \
                [SYSCALL_GROUP_DEBUG]         = { "@debug", debug },                               \
                [SYSCALL_GROUP_MOUNT]         = { "@mount", mount },                               \
                [SYSCALL_GROUP_MODULE]        = { "@module", syscalls_module },                    \
                [SYSCALL_GROUP_RAW_IO]        = { "@raw-io", syscalls_raw_io },                    \
                [SYSCALL_GROUP_REBOOT]        = { "@reboot", syscalls_reboot },                    \
                [SYSCALL_GROUP_PRIVILEGED]    = { "@privileged", privileged },                     \
                [SYSCALL_GROUP_RESOURCES]     = { "@resources", resources },                       \
        }

/* 245.0..245.5 (derived from source): @debug had no pidfd_getfd yet. */
const SyscallGroup syscall_groups_v245[_SYSCALL_GROUP_MAX] =
        GROUP_SET(syscalls_debug_v245, syscalls_mount_v247, syscalls_privileged_v247,
                  syscalls_resources_v247);

/* v247 (live); used for 245.6..248.3 too (derived: their sets differ from 247.3's only in
 * members x86-64 does not have, such as stime; the point releases that backported members get
 * the next set, score-table.c). */
const SyscallGroup syscall_groups_v247[_SYSCALL_GROUP_MAX] =
        GROUP_SET(syscalls_debug, syscalls_mount_v247, syscalls_privileged_v247,
                  syscalls_resources_v247);

/* 248.4..251.13, 252.0..252.7, 253.0..253.1 (and 246.15+, 247.8+) (derived): v247's with
 * mount_setattr in @mount. */
const SyscallGroup syscall_groups_v249[_SYSCALL_GROUP_MAX] =
        GROUP_SET(syscalls_debug, syscalls_mount_v252, syscalls_privileged_v247,
                  syscalls_resources_v247);

/* v252 and v257 (live, diffed: identical); used for 251.14+ and 252.8..261. */
const SyscallGroup syscall_groups_v252[_SYSCALL_GROUP_MAX] =
        GROUP_SET(syscalls_debug, syscalls_mount_v252, syscalls_privileged_v252,
                  syscalls_resources_v252);

const SyscallGroup syscall_groups_v262[_SYSCALL_GROUP_MAX] =
        GROUP_SET(syscalls_debug, syscalls_mount_v262, syscalls_privileged_v252,
                  syscalls_resources_v252);
