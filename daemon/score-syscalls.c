/* SPDX-License-Identifier: MIT */
/* The system-call groups the SystemCallFilter=~@... rows check, per systemd version: data only.
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
 * set_mempolicy_home_node (@resources) over v247; v257 is identical to v252; v262 replaced
 * open_tree by open_tree_attr in @mount. v247 keeps ":errno" suffixes of the unit's filter
 * entries (strip_errno false); v250+ strips them. */
#include <stdbool.h>
#include <stddef.h>

#include "score.h"

static const char *const syscalls_v247_swap[] = {
        "swapoff", "swapon", NULL,
};
const SyscallGroup syscall_group_v247_swap = {
        .name = "@swap",
        .syscalls = syscalls_v247_swap,
        .strip_errno = false,
};

/* not on x86-64: bdflush break ftime gtty idle lock mpx prof profil sgetmask ssetmask stime stty
 * ulimit */
static const char *const syscalls_v247_obsolete[] = {
        "_sysctl", "afs_syscall", "create_module", "get_kernel_syms", "getpmsg", "putpmsg",
        "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver", NULL,
};
const SyscallGroup syscall_group_v247_obsolete = {
        .name = "@obsolete",
        .syscalls = syscalls_v247_obsolete,
        .strip_errno = false,
};

/* not on x86-64: clock_adjtime64 clock_settime64 */
static const char *const syscalls_v247_clock[] = {
        "adjtimex", "clock_adjtime", "clock_settime", "settimeofday", NULL,
};
const SyscallGroup syscall_group_v247_clock = {
        .name = "@clock",
        .syscalls = syscalls_v247_clock,
        .strip_errno = false,
};

/* not on x86-64: subpage_prot switch_endian vm86 vm86old */
static const char *const syscalls_v247_cpu_emulation[] = {
        "modify_ldt", NULL,
};
const SyscallGroup syscall_group_v247_cpu_emulation = {
        .name = "@cpu-emulation",
        .syscalls = syscalls_v247_cpu_emulation,
        .strip_errno = false,
};

/* not on x86-64: rtas sys_debug_setcontext */
static const char *const syscalls_v247_debug[] = {
        "lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", NULL,
};
const SyscallGroup syscall_group_v247_debug = {
        .name = "@debug",
        .syscalls = syscalls_v247_debug,
        .strip_errno = false,
};

/* not on x86-64: umount */
static const char *const syscalls_v247_mount[] = {
        "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "move_mount", "open_tree",
        "pivot_root", "umount2", NULL,
};
const SyscallGroup syscall_group_v247_mount = {
        .name = "@mount",
        .syscalls = syscalls_v247_mount,
        .strip_errno = false,
};

static const char *const syscalls_v247_module[] = {
        "delete_module", "finit_module", "init_module", NULL,
};
const SyscallGroup syscall_group_v247_module = {
        .name = "@module",
        .syscalls = syscalls_v247_module,
        .strip_errno = false,
};

/* not on x86-64: pciconfig_iobase pciconfig_read pciconfig_write */
static const char *const syscalls_v247_raw_io[] = {
        "ioperm", "iopl", NULL,
};
const SyscallGroup syscall_group_v247_raw_io = {
        .name = "@raw-io",
        .syscalls = syscalls_v247_raw_io,
        .strip_errno = false,
};

static const char *const syscalls_v247_reboot[] = {
        "kexec_file_load", "kexec_load", "reboot", NULL,
};
const SyscallGroup syscall_group_v247_reboot = {
        .name = "@reboot",
        .syscalls = syscalls_v247_reboot,
        .strip_errno = false,
};

/* not on x86-64: chown32 fchown32 lchown32 clock_adjtime64 clock_settime64 pciconfig_iobase
 * pciconfig_read pciconfig_write setfsuid32 setgroups32 setresuid32 setreuid32 setuid32 */
static const char *const syscalls_v247_privileged[] = {
        "chown", "fchown", "fchownat", "lchown", "adjtimex", "clock_adjtime", "clock_settime",
        "settimeofday", "delete_module", "finit_module", "init_module", "ioperm", "iopl",
        "kexec_file_load", "kexec_load", "reboot", "swapoff", "swapon", "_sysctl", "acct", "bpf",
        "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
        "pivot_root", "quotactl", "setdomainname", "setfsuid", "setgroups", "sethostname",
        "setresuid", "setreuid", "setuid", "vhangup", NULL,
};
const SyscallGroup syscall_group_v247_privileged = {
        .name = "@privileged",
        .syscalls = syscalls_v247_privileged,
        .strip_errno = false,
};

/* not on x86-64: nice */
static const char *const syscalls_v247_resources[] = {
        "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "set_mempolicy", "setpriority", "setrlimit", NULL,
};
const SyscallGroup syscall_group_v247_resources = {
        .name = "@resources",
        .syscalls = syscalls_v247_resources,
        .strip_errno = false,
};

static const char *const syscalls_v252_swap[] = {
        "swapoff", "swapon", NULL,
};
const SyscallGroup syscall_group_v252_swap = {
        .name = "@swap",
        .syscalls = syscalls_v252_swap,
        .strip_errno = true,
};

/* not on x86-64: bdflush break ftime gtty idle lock mpx prof profil sgetmask ssetmask stime stty
 * ulimit */
static const char *const syscalls_v252_obsolete[] = {
        "_sysctl", "afs_syscall", "create_module", "get_kernel_syms", "getpmsg", "putpmsg",
        "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver", NULL,
};
const SyscallGroup syscall_group_v252_obsolete = {
        .name = "@obsolete",
        .syscalls = syscalls_v252_obsolete,
        .strip_errno = true,
};

/* not on x86-64: clock_adjtime64 clock_settime64 */
static const char *const syscalls_v252_clock[] = {
        "adjtimex", "clock_adjtime", "clock_settime", "settimeofday", NULL,
};
const SyscallGroup syscall_group_v252_clock = {
        .name = "@clock",
        .syscalls = syscalls_v252_clock,
        .strip_errno = true,
};

/* not on x86-64: subpage_prot switch_endian vm86 vm86old */
static const char *const syscalls_v252_cpu_emulation[] = {
        "modify_ldt", NULL,
};
const SyscallGroup syscall_group_v252_cpu_emulation = {
        .name = "@cpu-emulation",
        .syscalls = syscalls_v252_cpu_emulation,
        .strip_errno = true,
};

/* not on x86-64: rtas s390_runtime_instr sys_debug_setcontext */
static const char *const syscalls_v252_debug[] = {
        "lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", NULL,
};
const SyscallGroup syscall_group_v252_debug = {
        .name = "@debug",
        .syscalls = syscalls_v252_debug,
        .strip_errno = true,
};

/* not on x86-64: umount */
static const char *const syscalls_v252_mount[] = {
        "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
        "move_mount", "open_tree", "pivot_root", "umount2", NULL,
};
const SyscallGroup syscall_group_v252_mount = {
        .name = "@mount",
        .syscalls = syscalls_v252_mount,
        .strip_errno = true,
};

static const char *const syscalls_v252_module[] = {
        "delete_module", "finit_module", "init_module", NULL,
};
const SyscallGroup syscall_group_v252_module = {
        .name = "@module",
        .syscalls = syscalls_v252_module,
        .strip_errno = true,
};

/* not on x86-64: pciconfig_iobase pciconfig_read pciconfig_write s390_pci_mmio_read
 * s390_pci_mmio_write */
static const char *const syscalls_v252_raw_io[] = {
        "ioperm", "iopl", NULL,
};
const SyscallGroup syscall_group_v252_raw_io = {
        .name = "@raw-io",
        .syscalls = syscalls_v252_raw_io,
        .strip_errno = true,
};

static const char *const syscalls_v252_reboot[] = {
        "kexec_file_load", "kexec_load", "reboot", NULL,
};
const SyscallGroup syscall_group_v252_reboot = {
        .name = "@reboot",
        .syscalls = syscalls_v252_reboot,
        .strip_errno = true,
};

/* not on x86-64: chown32 fchown32 lchown32 clock_adjtime64 clock_settime64 pciconfig_iobase
 * pciconfig_read pciconfig_write s390_pci_mmio_read s390_pci_mmio_write setfsuid32 setgroups32
 * setresuid32 setreuid32 setuid32 */
static const char *const syscalls_v252_privileged[] = {
        "chown", "fchown", "fchownat", "lchown", "adjtimex", "clock_adjtime", "clock_settime",
        "settimeofday", "delete_module", "finit_module", "init_module", "ioperm", "iopl",
        "kexec_file_load", "kexec_load", "reboot", "swapoff", "swapon", "_sysctl", "acct", "bpf",
        "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
        "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid", "setgroups",
        "sethostname", "setresuid", "setreuid", "setuid", "vhangup", NULL,
};
const SyscallGroup syscall_group_v252_privileged = {
        .name = "@privileged",
        .syscalls = syscalls_v252_privileged,
        .strip_errno = true,
};

/* not on x86-64: nice */
static const char *const syscalls_v252_resources[] = {
        "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
        "setpriority", "setrlimit", NULL,
};
const SyscallGroup syscall_group_v252_resources = {
        .name = "@resources",
        .syscalls = syscalls_v252_resources,
        .strip_errno = true,
};

static const char *const syscalls_v262_swap[] = {
        "swapoff", "swapon", NULL,
};
const SyscallGroup syscall_group_v262_swap = {
        .name = "@swap",
        .syscalls = syscalls_v262_swap,
        .strip_errno = true,
};

/* not on x86-64: bdflush break ftime gtty idle lock mpx prof profil sgetmask ssetmask stime stty
 * ulimit */
static const char *const syscalls_v262_obsolete[] = {
        "_sysctl", "afs_syscall", "create_module", "get_kernel_syms", "getpmsg", "putpmsg",
        "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver", NULL,
};
const SyscallGroup syscall_group_v262_obsolete = {
        .name = "@obsolete",
        .syscalls = syscalls_v262_obsolete,
        .strip_errno = true,
};

/* not on x86-64: clock_adjtime64 clock_settime64 */
static const char *const syscalls_v262_clock[] = {
        "adjtimex", "clock_adjtime", "clock_settime", "settimeofday", NULL,
};
const SyscallGroup syscall_group_v262_clock = {
        .name = "@clock",
        .syscalls = syscalls_v262_clock,
        .strip_errno = true,
};

/* not on x86-64: subpage_prot switch_endian vm86 vm86old */
static const char *const syscalls_v262_cpu_emulation[] = {
        "modify_ldt", NULL,
};
const SyscallGroup syscall_group_v262_cpu_emulation = {
        .name = "@cpu-emulation",
        .syscalls = syscalls_v262_cpu_emulation,
        .strip_errno = true,
};

/* not on x86-64: rtas s390_runtime_instr sys_debug_setcontext */
static const char *const syscalls_v262_debug[] = {
        "lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", NULL,
};
const SyscallGroup syscall_group_v262_debug = {
        .name = "@debug",
        .syscalls = syscalls_v262_debug,
        .strip_errno = true,
};

/* not on x86-64: umount */
static const char *const syscalls_v262_mount[] = {
        "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
        "move_mount", "open_tree_attr", "pivot_root", "umount2", NULL,
};
const SyscallGroup syscall_group_v262_mount = {
        .name = "@mount",
        .syscalls = syscalls_v262_mount,
        .strip_errno = true,
};

static const char *const syscalls_v262_module[] = {
        "delete_module", "finit_module", "init_module", NULL,
};
const SyscallGroup syscall_group_v262_module = {
        .name = "@module",
        .syscalls = syscalls_v262_module,
        .strip_errno = true,
};

/* not on x86-64: pciconfig_iobase pciconfig_read pciconfig_write s390_pci_mmio_read
 * s390_pci_mmio_write */
static const char *const syscalls_v262_raw_io[] = {
        "ioperm", "iopl", NULL,
};
const SyscallGroup syscall_group_v262_raw_io = {
        .name = "@raw-io",
        .syscalls = syscalls_v262_raw_io,
        .strip_errno = true,
};

static const char *const syscalls_v262_reboot[] = {
        "kexec_file_load", "kexec_load", "reboot", NULL,
};
const SyscallGroup syscall_group_v262_reboot = {
        .name = "@reboot",
        .syscalls = syscalls_v262_reboot,
        .strip_errno = true,
};

/* not on x86-64: chown32 fchown32 lchown32 clock_adjtime64 clock_settime64 pciconfig_iobase
 * pciconfig_read pciconfig_write s390_pci_mmio_read s390_pci_mmio_write setfsuid32 setgroups32
 * setresuid32 setreuid32 setuid32 */
static const char *const syscalls_v262_privileged[] = {
        "chown", "fchown", "fchownat", "lchown", "adjtimex", "clock_adjtime", "clock_settime",
        "settimeofday", "delete_module", "finit_module", "init_module", "ioperm", "iopl",
        "kexec_file_load", "kexec_load", "reboot", "swapoff", "swapon", "_sysctl", "acct", "bpf",
        "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
        "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid", "setgroups",
        "sethostname", "setresuid", "setreuid", "setuid", "vhangup", NULL,
};
const SyscallGroup syscall_group_v262_privileged = {
        .name = "@privileged",
        .syscalls = syscalls_v262_privileged,
        .strip_errno = true,
};

/* not on x86-64: nice */
static const char *const syscalls_v262_resources[] = {
        "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
        "setpriority", "setrlimit", NULL,
};
const SyscallGroup syscall_group_v262_resources = {
        .name = "@resources",
        .syscalls = syscalls_v262_resources,
        .strip_errno = true,
};
