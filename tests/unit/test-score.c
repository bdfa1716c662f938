/* SPDX-License-Identifier: MIT */
/* Scorer unit tests: one or more rows per assessor (props -> badness and description, the texts as
 * the live systemd-analyze printed them), the formula's rounding, predicate boundaries, n/a
 * handling, policy overrides and the tables' invariants. Every row of every table is exercised
 * (test_every_row_exercised). The props are written in the fixture format (props-text.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "props-text.h"
#include "score.h"
#include "util.h"

/* What the manager reports for a bare `[Service] ExecStart=/bin/true` (systemctl show, v252). */
static const char base_props[] =
        "Id=t.service\nLoadState=loaded\nType=simple\nNotifyAccess=none\nUser=\n"
        "DynamicUser=no\nProtectHome=no\nProtectSystem=no\nKeyringMode=private\n"
        "ProtectProc=default\nProcSubset=all\nUMask=0022\nDevicePolicy=auto\n"
        "RestrictAddressFamilies=~\nSystemCallFilter=~\nSystemCallArchitectures=\n"
        "RestrictNamespaces=no\nDefaultDependencies=yes\n"
        "CapabilityBoundingSet=cap_chown cap_dac_override cap_dac_read_search cap_fowner "
        "cap_fsetid cap_kill cap_setgid cap_setuid cap_setpcap cap_linux_immutable "
        "cap_net_bind_service cap_net_broadcast cap_net_admin cap_net_raw cap_ipc_lock "
        "cap_ipc_owner cap_sys_module cap_sys_rawio cap_sys_chroot cap_sys_ptrace cap_sys_pacct "
        "cap_sys_admin cap_sys_boot cap_sys_nice cap_sys_resource cap_sys_time "
        "cap_sys_tty_config cap_mknod cap_lease cap_audit_write cap_audit_control cap_setfcap "
        "cap_mac_override cap_mac_admin cap_syslog cap_wake_alarm cap_block_suspend "
        "cap_audit_read cap_perfmon cap_bpf cap_checkpoint_restore\n";

enum { V247 = 1, V250 = 2, V262 = 4, ALL = V247 | V250 | V262, V250UP = V250 | V262 };

typedef struct Case {
        const char *id;          /* the row */
        const char *props;       /* lines appended to base_props (later keys win) */
        uint64_t badness;
        const char *description;
        unsigned tables;         /* which tables the case applies to */
} Case;

#define NA BADNESS_NA
static const Case cases[] = {
        { "PrivateDevices=", "PrivateDevices=no", 1,
          "Service potentially has access to hardware devices", ALL },
        { "PrivateDevices=", "PrivateDevices=yes", 0,
          "Service has no access to hardware devices", ALL },
        { "PrivateMounts=", "PrivateMounts=no", 1, "Service may install system mounts", ALL },
        { "PrivateMounts=", "PrivateMounts=yes", 0, "Service cannot install system mounts", ALL },
        { "PrivateNetwork=", "PrivateNetwork=no", 1,
          "Service has access to the host's network", ALL },
        { "PrivateNetwork=", "PrivateNetwork=yes", 0,
          "Service has no access to the host's network", ALL },
        { "PrivateTmp=", "PrivateTmp=no", 1,
          "Service has access to other software's temporary files", ALL },
        { "PrivateTmp=", "PrivateTmp=yes", 0,
          "Service has no access to other software's temporary files", ALL },
        { "PrivateUsers=", "PrivateUsers=no", 1, "Service has access to other users", ALL },
        { "PrivateUsers=", "PrivateUsers=yes", 0,
          "Service does not have access to other users", ALL },
        { "ProtectControlGroups=", "ProtectControlGroups=no", 1,
          "Service may modify the control group file system", ALL },
        { "ProtectControlGroups=", "ProtectControlGroups=yes", 0,
          "Service cannot modify the control group file system", ALL },
        { "ProtectKernelModules=", "ProtectKernelModules=no", 1,
          "Service may load or read kernel modules", ALL },
        { "ProtectKernelModules=", "ProtectKernelModules=yes", 0,
          "Service cannot load or read kernel modules", ALL },
        { "ProtectKernelTunables=", "ProtectKernelTunables=no", 1,
          "Service may alter kernel tunables", ALL },
        { "ProtectKernelTunables=", "ProtectKernelTunables=yes", 0,
          "Service cannot alter kernel tunables (/proc/sys, …)", ALL },
        { "ProtectKernelLogs=", "ProtectKernelLogs=no", 1,
          "Service may read from or write to the kernel log ring buffer", ALL },
        { "ProtectKernelLogs=", "ProtectKernelLogs=yes", 0,
          "Service cannot read from or write to the kernel log ring buffer", ALL },
        { "ProtectClock=", "ProtectClock=no", 1,
          "Service may write to the hardware clock or system clock", ALL },
        { "ProtectClock=", "ProtectClock=yes", 0,
          "Service cannot write to the hardware clock or system clock", ALL },
        { "ProtectHostname=", "ProtectHostname=no", 1,
          "Service may change system host/domainname", ALL },
        { "ProtectHostname=", "ProtectHostname=yes", 0,
          "Service cannot change system host/domainname", ALL },
        { "LockPersonality=", "LockPersonality=no", 1, "Service may change ABI personality", ALL },
        { "LockPersonality=", "LockPersonality=yes", 0,
          "Service cannot change ABI personality", ALL },
        { "MemoryDenyWriteExecute=", "MemoryDenyWriteExecute=no", 1,
          "Service may create writable executable memory mappings", ALL },
        { "MemoryDenyWriteExecute=", "MemoryDenyWriteExecute=yes", 0,
          "Service cannot create writable executable memory mappings", ALL },
        { "NoNewPrivileges=", "NoNewPrivileges=no", 1,
          "Service processes may acquire new privileges", ALL },
        { "NoNewPrivileges=", "NoNewPrivileges=yes", 0,
          "Service processes cannot acquire new privileges", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet=cap_sys_admin", 1,
          "Service has administrator privileges", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet=", 0,
          "Service has no administrator privileges", ALL },
        { "CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)", "CapabilityBoundingSet=cap_setpcap", 1,
          "Service may change UID/GID identities/capabilities", ALL },
        { "CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)", "CapabilityBoundingSet=", 0,
          "Service cannot change UID/GID identities/capabilities", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_PTRACE", "CapabilityBoundingSet=cap_sys_ptrace", 1,
          "Service has ptrace() debugging abilities", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_PTRACE", "CapabilityBoundingSet=", 0,
          "Service has no ptrace() debugging abilities", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_TIME", "CapabilityBoundingSet=cap_sys_time", 1,
          "Service processes may change the system clock", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_TIME", "CapabilityBoundingSet=", 0,
          "Service processes cannot change the system clock", ALL },
        { "CapabilityBoundingSet=~CAP_NET_ADMIN", "CapabilityBoundingSet=cap_net_admin", 1,
          "Service has network configuration privileges", ALL },
        { "CapabilityBoundingSet=~CAP_NET_ADMIN", "CapabilityBoundingSet=", 0,
          "Service has no network configuration privileges", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_RAWIO", "CapabilityBoundingSet=cap_sys_rawio", 1,
          "Service has raw I/O access", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_RAWIO", "CapabilityBoundingSet=", 0,
          "Service has no raw I/O access", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_MODULE", "CapabilityBoundingSet=cap_sys_module", 1,
          "Service may load kernel modules", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_MODULE", "CapabilityBoundingSet=", 0,
          "Service cannot load kernel modules", ALL },
        { "CapabilityBoundingSet=~CAP_AUDIT_*", "CapabilityBoundingSet=cap_audit_write", 1,
          "Service has audit subsystem access", ALL },
        { "CapabilityBoundingSet=~CAP_AUDIT_*", "CapabilityBoundingSet=", 0,
          "Service has no audit subsystem access", ALL },
        { "CapabilityBoundingSet=~CAP_SYSLOG", "CapabilityBoundingSet=cap_syslog", 1,
          "Service has access to kernel logging", ALL },
        { "CapabilityBoundingSet=~CAP_SYSLOG", "CapabilityBoundingSet=", 0,
          "Service has no access to kernel logging", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_(NICE|RESOURCE)",
          "CapabilityBoundingSet=cap_sys_resource", 1,
          "Service has privileges to change resource use parameters", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_(NICE|RESOURCE)", "CapabilityBoundingSet=", 0,
          "Service has no privileges to change resource use parameters", ALL },
        { "CapabilityBoundingSet=~CAP_MKNOD", "CapabilityBoundingSet=cap_mknod", 1,
          "Service may create device nodes", ALL },
        { "CapabilityBoundingSet=~CAP_MKNOD", "CapabilityBoundingSet=", 0,
          "Service cannot create device nodes", ALL },
        { "CapabilityBoundingSet=~CAP_(CHOWN|FSETID|SETFCAP)",
          "CapabilityBoundingSet=cap_setfcap", 1,
          "Service may change file ownership/access mode/capabilities unrestricted", ALL },
        { "CapabilityBoundingSet=~CAP_(CHOWN|FSETID|SETFCAP)", "CapabilityBoundingSet=", 0,
          "Service cannot change file ownership/access mode/capabilities", ALL },
        { "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)",
          "CapabilityBoundingSet=cap_ipc_owner", 1,
          "Service may override UNIX file/IPC permission checks", ALL },
        { "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "CapabilityBoundingSet=", 0,
          "Service cannot override UNIX file/IPC permission checks", ALL },
        { "CapabilityBoundingSet=~CAP_KILL", "CapabilityBoundingSet=cap_kill", 1,
          "Service may send UNIX signals to arbitrary processes", ALL },
        { "CapabilityBoundingSet=~CAP_KILL", "CapabilityBoundingSet=", 0,
          "Service cannot send UNIX signals to arbitrary processes", ALL },
        { "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)",
          "CapabilityBoundingSet=cap_net_raw", 1,
          "Service has elevated networking privileges", ALL },
        { "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)",
          "CapabilityBoundingSet=", 0,
          "Service has no elevated networking privileges", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_BOOT", "CapabilityBoundingSet=cap_sys_boot", 1,
          "Service may issue reboot()", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_BOOT", "CapabilityBoundingSet=", 0,
          "Service cannot issue reboot()", ALL },
        { "CapabilityBoundingSet=~CAP_MAC_*", "CapabilityBoundingSet=cap_mac_override", 1,
          "Service may adjust SMACK MAC", ALL },
        { "CapabilityBoundingSet=~CAP_MAC_*", "CapabilityBoundingSet=", 0,
          "Service cannot adjust SMACK MAC", ALL },
        { "CapabilityBoundingSet=~CAP_LINUX_IMMUTABLE",
          "CapabilityBoundingSet=cap_linux_immutable", 1,
          "Service may mark files immutable", ALL },
        { "CapabilityBoundingSet=~CAP_LINUX_IMMUTABLE", "CapabilityBoundingSet=", 0,
          "Service cannot mark files immutable", ALL },
        { "CapabilityBoundingSet=~CAP_IPC_LOCK", "CapabilityBoundingSet=cap_ipc_lock", 1,
          "Service may lock memory into RAM", ALL },
        { "CapabilityBoundingSet=~CAP_IPC_LOCK", "CapabilityBoundingSet=", 0,
          "Service cannot lock memory into RAM", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_CHROOT", "CapabilityBoundingSet=cap_sys_chroot", 1,
          "Service may issue chroot()", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_CHROOT", "CapabilityBoundingSet=", 0,
          "Service cannot issue chroot()", ALL },
        { "CapabilityBoundingSet=~CAP_BLOCK_SUSPEND", "CapabilityBoundingSet=cap_block_suspend", 1,
          "Service may establish wake locks", ALL },
        { "CapabilityBoundingSet=~CAP_BLOCK_SUSPEND", "CapabilityBoundingSet=", 0,
          "Service cannot establish wake locks", ALL },
        { "CapabilityBoundingSet=~CAP_WAKE_ALARM", "CapabilityBoundingSet=cap_wake_alarm", 1,
          "Service may program timers that wake up the system", ALL },
        { "CapabilityBoundingSet=~CAP_WAKE_ALARM", "CapabilityBoundingSet=", 0,
          "Service cannot program timers that wake up the system", ALL },
        { "CapabilityBoundingSet=~CAP_LEASE", "CapabilityBoundingSet=cap_lease", 1,
          "Service may create file leases", ALL },
        { "CapabilityBoundingSet=~CAP_LEASE", "CapabilityBoundingSet=", 0,
          "Service cannot create file leases", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_TTY_CONFIG",
          "CapabilityBoundingSet=cap_sys_tty_config", 1,
          "Service may issue vhangup()", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_TTY_CONFIG", "CapabilityBoundingSet=", 0,
          "Service cannot issue vhangup()", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_PACCT", "CapabilityBoundingSet=cap_sys_pacct", 1,
          "Service may use acct()", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_PACCT", "CapabilityBoundingSet=", 0,
          "Service cannot use acct()", ALL },
        { "CapabilityBoundingSet=~CAP_BPF", "CapabilityBoundingSet=cap_bpf", 1,
          "Service may load BPF programs", V250UP },
        { "CapabilityBoundingSet=~CAP_BPF", "CapabilityBoundingSet=", 0,
          "Service may not load BPF programs", V250UP },
        { "RestrictRealtime=", "RestrictRealtime=no", 1,
          "Service may acquire realtime scheduling", ALL },
        { "RestrictRealtime=", "RestrictRealtime=yes", 0,
          "Service realtime scheduling access is restricted", ALL },
        { "RestrictSUIDSGID=", "RestrictSUIDSGID=no", 1,
          "Service may create SUID/SGID files", ALL },
        { "RestrictSUIDSGID=", "RestrictSUIDSGID=yes", 0,
          "SUID/SGID file creation by service is restricted", ALL },
        { "RestrictNamespaces=~user", "RestrictNamespaces=user", 1,
          "Service may create user namespaces", V250UP },
        { "RestrictNamespaces=~user", "RestrictNamespaces=~user", 0,
          "Service cannot create user namespaces", V250UP },
        { "RestrictNamespaces=~mnt", "RestrictNamespaces=mnt", 1,
          "Service may create file system namespaces", V250UP },
        { "RestrictNamespaces=~mnt", "RestrictNamespaces=~mnt", 0,
          "Service cannot create file system namespaces", V250UP },
        { "RestrictNamespaces=~ipc", "RestrictNamespaces=ipc", 1,
          "Service may create IPC namespaces", V250UP },
        { "RestrictNamespaces=~ipc", "RestrictNamespaces=~ipc", 0,
          "Service cannot create IPC namespaces", V250UP },
        { "RestrictNamespaces=~pid", "RestrictNamespaces=pid", 1,
          "Service may create process namespaces", V250UP },
        { "RestrictNamespaces=~pid", "RestrictNamespaces=~pid", 0,
          "Service cannot create process namespaces", V250UP },
        { "RestrictNamespaces=~cgroup", "RestrictNamespaces=cgroup", 1,
          "Service may create cgroup namespaces", V250UP },
        { "RestrictNamespaces=~cgroup", "RestrictNamespaces=~cgroup", 0,
          "Service cannot create cgroup namespaces", V250UP },
        { "RestrictNamespaces=~net", "RestrictNamespaces=net", 1,
          "Service may create network namespaces", V250UP },
        { "RestrictNamespaces=~net", "RestrictNamespaces=~net", 0,
          "Service cannot create network namespaces", V250UP },
        { "RestrictNamespaces=~uts", "RestrictNamespaces=uts", 1,
          "Service may create hostname namespaces", V250UP },
        { "RestrictNamespaces=~uts", "RestrictNamespaces=~uts", 0,
          "Service cannot create hostname namespaces", V250UP },
        { "User=/DynamicUser=", "", 10, "Service runs as root user", ALL },
        { "User=/DynamicUser=", "User=root\nDynamicUser=yes", 10,
          "Service runs as root user", ALL },
        { "User=/DynamicUser=", "User=0", 10, "Service runs as root user", ALL },
        { "User=/DynamicUser=", "User=nobody", 9,
          "Service runs under as 'nobody' user, which should not be used for services", ALL },
        { "User=/DynamicUser=", "User=nobody\nDynamicUser=yes", 9,
          "Service runs under as 'nobody' user, which should not be used for services", ALL },
        { "User=/DynamicUser=", "User=t\nDynamicUser=yes", 0,
          "Service runs under a transient non-root user identity", ALL },
        { "User=/DynamicUser=", "DynamicUser=yes", 0,
          "Service runs under a transient non-root user identity", ALL },
        { "User=/DynamicUser=", "User=www-data", 0,
          "Service runs under a static non-root user identity", ALL },

        { "SupplementaryGroups=", "", NA, "Service runs as root, option does not matter", ALL },
        { "SupplementaryGroups=", "User=root\nSupplementaryGroups=adm", NA,
          "Service runs as root, option does not matter", ALL },
        { "SupplementaryGroups=", "User=foo\nSupplementaryGroups=adm", 1,
          "Service runs with supplementary groups", ALL },
        { "SupplementaryGroups=", "User=foo", 0, "Service has no supplementary groups", ALL },
        { "SupplementaryGroups=", "DynamicUser=yes", 0,
          "Service has no supplementary groups", ALL },

        { "RemoveIPC=", "RemoveIPC=yes", NA, "Service runs as root, option does not apply", ALL },
        { "RemoveIPC=", "User=foo", 1, "Service user may leave SysV IPC objects around", ALL },
        { "RemoveIPC=", "User=foo\nRemoveIPC=yes", 0,
          "Service user cannot leave SysV IPC objects around", ALL },

        /* PrivateMounts= is inferred from the settings that imply a mount namespace */
        { "PrivateMounts=", "PrivateTmp=yes", 0, "Service cannot install system mounts", ALL },
        { "PrivateMounts=", "ProtectHome=read-only", 0, "Service cannot install system mounts",
          ALL },
        { "PrivateMounts=", "ProtectSystem=full", 0, "Service cannot install system mounts", ALL },
        { "PrivateMounts=", "RootImage=/x.raw", 0, "Service cannot install system mounts", ALL },
        { "PrivateMounts=", "RootDirectory=/x", 1, "Service may install system mounts", ALL },
        { "PrivateMounts=", "ProtectKernelLogs=yes", 1, "Service may install system mounts", ALL },

        { "ProtectHome=", "", 10, "Service has full access to home directories", ALL },
        { "ProtectHome=", "ProtectHome=read-only", 5,
          "Service has read-only access to home directories", ALL },
        { "ProtectHome=", "ProtectHome=tmpfs", 1,
          "Service has access to fake empty home directories", ALL },
        { "ProtectHome=", "ProtectHome=yes", 0, "Service has no access to home directories", ALL },
        { "ProtectHome=", "DefaultDependencies=no", NA,
          "Service runs in special boot phase, option is not appropriate", ALL },

        { "ProtectSystem=", "", 10, "Service has full access to the OS file hierarchy", ALL },
        { "ProtectSystem=", "ProtectSystem=yes", 5,
          "Service has limited write access to the OS file hierarchy", ALL },
        { "ProtectSystem=", "ProtectSystem=full", 3,
          "Service has very limited write access to the OS file hierarchy", ALL },
        { "ProtectSystem=", "ProtectSystem=strict", 0,
          "Service has strict read-only access to the OS file hierarchy", ALL },
        { "ProtectSystem=", "DefaultDependencies=no", NA,
          "Service runs in special boot phase, option is not appropriate", ALL },
        { "PrivateTmp=", "DefaultDependencies=no", NA,
          "Service runs in special boot phase, option is not appropriate", ALL },

        { "RootDirectory=/RootImage=", "", 1,
          "Service runs within the host's root directory", ALL },
        { "RootDirectory=/RootImage=", "RootDirectory=/", 1,
          "Service runs within the host's root directory", ALL },
        { "RootDirectory=/RootImage=", "RootDirectory=/srv/x", 0,
          "Service has its own root directory/image", ALL },
        { "RootDirectory=/RootImage=", "RootImage=/srv/x.raw", 0,
          "Service has its own root directory/image", ALL },
        { "RootDirectory=/RootImage=", "DefaultDependencies=no", NA,
          "Service runs in special boot phase, option is not appropriate", ALL },

        /* implied capability drops */
        { "CapabilityBoundingSet=~CAP_SYS_MODULE", "ProtectKernelModules=yes", 0,
          "Service cannot load kernel modules", ALL },
        { "CapabilityBoundingSet=~CAP_SYSLOG", "ProtectKernelLogs=yes", 0,
          "Service has no access to kernel logging", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_TIME", "ProtectClock=yes", 0,
          "Service processes cannot change the system clock", ALL },
        { "CapabilityBoundingSet=~CAP_WAKE_ALARM", "ProtectClock=yes", 0,
          "Service cannot program timers that wake up the system", ALL },
        { "CapabilityBoundingSet=~CAP_MKNOD", "PrivateDevices=yes", 0,
          "Service cannot create device nodes", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_RAWIO", "PrivateDevices=yes", 0,
          "Service has no raw I/O access", ALL },
        { "CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet=cap_chown", 0,
          "Service has no administrator privileges", ALL },

        { "UMask=", "UMask=0000", 10,
          "Files created by service are world-writable by default", ALL },
        { "UMask=", "UMask=0022", 5,
          "Files created by service are world-readable by default", ALL },
        { "UMask=", "UMask=0007", 2,
          "Files created by service are group-writable by default", ALL },
        { "UMask=", "UMask=0027", 1,
          "Files created by service are group-readable by default", ALL },
        { "UMask=", "UMask=0077", 0,
          "Files created by service are accessible only by service's own user by default", ALL },

        { "KeyringMode=", "KeyringMode=shared", 1, "Service shares key material with other service",
          ALL },
        { "KeyringMode=", "KeyringMode=inherit", 1,
          "Service shares key material with other service", ALL },
        { "KeyringMode=", "", 0, "Service doesn't share key material with other services", ALL },

        { "ProtectProc=", "", 3, "Service has full access to process tree (/proc hidepid=)", ALL },
        { "ProtectProc=", "ProtectProc=noaccess", 1, "", ALL }, /* partial: no text */
        { "ProtectProc=", "ProtectProc=invisible", 0,
          "Service has restricted access to process tree (/proc hidepid=)", ALL },
        { "ProtectProc=", "ProtectProc=ptraceable", 0,
          "Service has restricted access to process tree (/proc hidepid=)", ALL },

        { "ProcSubset=", "", 1,
          "Service has full access to non-process /proc files (/proc subset=)", ALL },
        { "ProcSubset=", "ProcSubset=pid", 0,
          "Service has no access to non-process /proc files (/proc subset=)", ALL },

        { "NotifyAccess=", "NotifyAccess=all", 1, "Service child processes may alter service state",
          ALL },
        { "NotifyAccess=", "NotifyAccess=main", 0,
          "Service child processes cannot alter service state", ALL },
        { "NotifyAccess=", "", 0, "Service child processes cannot alter service state", ALL },

        { "Delegate=", "Delegate=yes", 1,
          "Service maintains its own delegated control group subtree", ALL },
        { "Delegate=", "Delegate=no", 0,
          "Service does not maintain its own delegated control group subtree", ALL },

        { "RestrictNamespaces=~user", "RestrictNamespaces=yes", 0,
          "Service cannot create user namespaces", V250UP },
        { "RestrictNamespaces=~net", "RestrictNamespaces=no", 1,
          "Service may create network namespaces", V250UP },
        { "RestrictNamespaces=~CLONE_NEWUSER", "RestrictNamespaces=user", 1,
          "Service may create user namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWUSER", "RestrictNamespaces=yes", 0,
          "Service cannot create user namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWNS", "RestrictNamespaces=mnt", 1,
          "Service may create file system namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWNS", "RestrictNamespaces=yes", 0,
          "Service cannot create file system namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWIPC", "RestrictNamespaces=ipc", 1,
          "Service may create IPC namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWIPC", "RestrictNamespaces=yes", 0,
          "Service cannot create IPC namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWPID", "RestrictNamespaces=pid", 1,
          "Service may create process namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWPID", "RestrictNamespaces=yes", 0,
          "Service cannot create process namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWCGROUP", "RestrictNamespaces=cgroup", 1,
          "Service may create cgroup namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWCGROUP", "RestrictNamespaces=yes", 0,
          "Service cannot create cgroup namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWNET", "RestrictNamespaces=net", 1,
          "Service may create network namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWNET", "RestrictNamespaces=~net", 0,
          "Service cannot create network namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWUTS", "RestrictNamespaces=uts", 1,
          "Service may create hostname namespaces", V247 },
        { "RestrictNamespaces=~CLONE_NEWUTS", "RestrictNamespaces=yes", 0,
          "Service cannot create hostname namespaces", V247 },

        { "RestrictAddressFamilies=~AF_(INET|INET6)", "", 1,
          "Service may allocate Internet sockets", ALL },
        { "RestrictAddressFamilies=~AF_(INET|INET6)", "RestrictAddressFamilies=AF_UNIX", 0,
          "Service cannot allocate Internet sockets", ALL },
        { "RestrictAddressFamilies=~AF_(INET|INET6)", "RestrictAddressFamilies=~AF_INET6", 0,
          "Service cannot allocate Internet sockets", ALL },
        { "RestrictAddressFamilies=~AF_UNIX", "RestrictAddressFamilies=AF_UNIX", 1,
          "Service may allocate local sockets", ALL },
        { "RestrictAddressFamilies=~AF_UNIX", "RestrictAddressFamilies=", 0,
          "Service cannot allocate local sockets", ALL },
        { "RestrictAddressFamilies=~AF_NETLINK", "RestrictAddressFamilies=AF_NETLINK", 1,
          "Service may allocate netlink sockets", ALL },
        { "RestrictAddressFamilies=~AF_NETLINK", "RestrictAddressFamilies=~AF_NETLINK", 0,
          "Service cannot allocate netlink sockets", ALL },
        { "RestrictAddressFamilies=~AF_PACKET", "", 1, "Service may allocate packet sockets", ALL },
        { "RestrictAddressFamilies=~AF_PACKET", "RestrictAddressFamilies=~AF_PACKET", 0,
          "Service cannot allocate packet sockets", ALL },
        { "RestrictAddressFamilies=~…", "RestrictAddressFamilies=AF_UNIX AF_X25", 1,
          "Service may allocate exotic sockets", ALL },
        { "RestrictAddressFamilies=~…", "RestrictAddressFamilies=~AF_X25", 0,
          "Service cannot allocate exotic sockets", ALL },
        { "RestrictAddressFamilies=~…", "RestrictAddressFamilies=AF_INET", 0,
          "Service cannot allocate exotic sockets", ALL },

        { "SystemCallArchitectures=", "", 10,
          "Service may execute system calls with all ABIs", ALL },
        { "SystemCallArchitectures=", "SystemCallArchitectures=native", 0,
          "Service may execute system calls only with native ABI", ALL },
        { "SystemCallArchitectures=", "SystemCallArchitectures=native x86", 8,
          "Service may execute system calls with multiple ABIs", ALL },
        { "SystemCallArchitectures=", "SystemCallArchitectures=x86-64", 8,
          "Service may execute system calls with multiple ABIs", ALL },

        /* system-call groups: definition order, nested groups in place, x86-64 skips */
        { "SystemCallFilter=~@swap", "", 10, "Service does not filter system calls", ALL },
        { "SystemCallFilter=~@swap", "SystemCallFilter=~swapoff", 10,
          "System call deny list defined for service, and @swap is not included "
          "(e.g. swapon is allowed)", ALL },
        { "SystemCallFilter=~@swap", "SystemCallFilter=~swapoff swapon", 0,
          "System call deny list defined for service, and @swap is included", ALL },
        { "SystemCallFilter=~@swap", "SystemCallFilter=read swapon", 9,
          "System call allow list defined for service, and @swap is included "
          "(e.g. swapon is allowed)", ALL },
        { "SystemCallFilter=~@swap", "SystemCallFilter=read", 0,
          "System call allow list defined for service, and @swap is not included", ALL },
        { "SystemCallFilter=~@swap", "SystemCallFilter=", 0,
          "System call allow list defined for service, and @swap is not included", ALL },
        { "SystemCallFilter=~@obsolete", "SystemCallFilter=~_sysctl", 10,
          "System call deny list defined for service, and @obsolete is not included "
          "(e.g. afs_syscall is allowed)", ALL },
        { "SystemCallFilter=~@obsolete", "SystemCallFilter=read uselib", 9,
          "System call allow list defined for service, and @obsolete is included "
          "(e.g. uselib is allowed)", ALL },
        { "SystemCallFilter=~@obsolete", "SystemCallFilter=read bdflush", 0,
          "System call allow list defined for service, and @obsolete is not included", ALL },
        { "SystemCallFilter=~@clock", "SystemCallFilter=~adjtimex", 10,
          "System call deny list defined for service, and @clock is not included "
          "(e.g. clock_adjtime is allowed)", ALL },
        { "SystemCallFilter=~@clock", "SystemCallFilter=~adjtimex clock_adjtime clock_settime "
          "settimeofday", 0, "System call deny list defined for service, and @clock is included",
          ALL },
        { "SystemCallFilter=~@cpu-emulation", "SystemCallFilter=~modify_ldt", 0,
          "System call deny list defined for service, and @cpu-emulation is included", ALL },
        { "SystemCallFilter=~@cpu-emulation", "SystemCallFilter=read vm86 modify_ldt", 9,
          "System call allow list defined for service, and @cpu-emulation is included "
          "(e.g. modify_ldt is allowed)", ALL },
        { "SystemCallFilter=~@debug", "SystemCallFilter=~lookup_dcookie", 10,
          "System call deny list defined for service, and @debug is not included "
          "(e.g. perf_event_open is allowed)", ALL },
        { "SystemCallFilter=~@debug", "SystemCallFilter=read ptrace", 9,
          "System call allow list defined for service, and @debug is included "
          "(e.g. ptrace is allowed)", ALL },
        { "SystemCallFilter=~@mount", "SystemCallFilter=~chroot", 10,
          "System call deny list defined for service, and @mount is not included "
          "(e.g. fsconfig is allowed)", ALL },
        { "SystemCallFilter=~@mount", "SystemCallFilter=read umount umount2", 9,
          "System call allow list defined for service, and @mount is included "
          "(e.g. umount2 is allowed)", ALL },
        /* v252 added mount_setattr; v262 has open_tree_attr instead of open_tree */
        { "SystemCallFilter=~@mount", "SystemCallFilter=~chroot fsconfig fsmount fsopen fspick "
          "mount move_mount open_tree pivot_root umount2", 0,
          "System call deny list defined for service, and @mount is included", V247 },
        { "SystemCallFilter=~@mount", "SystemCallFilter=~chroot fsconfig fsmount fsopen fspick "
          "mount move_mount open_tree pivot_root umount2", 10,
          "System call deny list defined for service, and @mount is not included "
          "(e.g. mount_setattr is allowed)", V250UP },
        { "SystemCallFilter=~@mount", "SystemCallFilter=~chroot fsconfig fsmount fsopen fspick "
          "mount mount_setattr move_mount open_tree pivot_root umount2", 0,
          "System call deny list defined for service, and @mount is included", V250 },
        { "SystemCallFilter=~@mount", "SystemCallFilter=~chroot fsconfig fsmount fsopen fspick "
          "mount mount_setattr move_mount open_tree pivot_root umount2", 10,
          "System call deny list defined for service, and @mount is not included "
          "(e.g. open_tree_attr is allowed)", V262 },
        { "SystemCallFilter=~@module", "SystemCallFilter=~delete_module", 10,
          "System call deny list defined for service, and @module is not included "
          "(e.g. finit_module is allowed)", ALL },
        { "SystemCallFilter=~@module", "SystemCallFilter=read init_module", 9,
          "System call allow list defined for service, and @module is included "
          "(e.g. init_module is allowed)", ALL },
        { "SystemCallFilter=~@raw-io", "SystemCallFilter=~ioperm", 10,
          "System call deny list defined for service, and @raw-io is not included "
          "(e.g. iopl is allowed)", ALL },
        { "SystemCallFilter=~@raw-io", "SystemCallFilter=~ioperm iopl", 0,
          "System call deny list defined for service, and @raw-io is included", ALL },
        { "SystemCallFilter=~@reboot", "SystemCallFilter=~kexec_file_load", 10,
          "System call deny list defined for service, and @reboot is not included "
          "(e.g. kexec_load is allowed)", ALL },
        { "SystemCallFilter=~@reboot", "SystemCallFilter=read reboot", 9,
          "System call allow list defined for service, and @reboot is included "
          "(e.g. reboot is allowed)", ALL },
        { "SystemCallFilter=~@privileged", "SystemCallFilter=~chown", 10,
          "System call deny list defined for service, and @privileged is not included "
          "(e.g. fchown is allowed)", ALL },
        { "SystemCallFilter=~@privileged", "SystemCallFilter=read clock_settime setuid", 9,
          "System call allow list defined for service, and @privileged is included "
          "(e.g. clock_settime is allowed)", ALL },
        { "SystemCallFilter=~@resources", "SystemCallFilter=~ioprio_set", 10,
          "System call deny list defined for service, and @resources is not included "
          "(e.g. mbind is allowed)", ALL },
        { "SystemCallFilter=~@resources", "SystemCallFilter=read nice", 0, /* nice: not x86-64 */
          "System call allow list defined for service, and @resources is not included", ALL },
        /* ":EPERM" suffixes: stripped from v250 on, kept (never matching) by v247 */
        { "SystemCallFilter=~@clock", "SystemCallFilter=~adjtimex:EPERM clock_adjtime:EPERM "
          "clock_settime:EPERM settimeofday:EPERM", 0,
          "System call deny list defined for service, and @clock is included", V250UP },
        { "SystemCallFilter=~@clock", "SystemCallFilter=~adjtimex:EPERM clock_adjtime:EPERM "
          "clock_settime:EPERM settimeofday:EPERM", 10,
          "System call deny list defined for service, and @clock is not included "
          "(e.g. adjtimex is allowed)", V247 },

        { "SystemCallFilter=~@swap", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @swap is not included", ALL },
        { "SystemCallFilter=~@obsolete", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @obsolete is not included", ALL },
        { "SystemCallFilter=~@clock", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @clock is not included", ALL },
        { "SystemCallFilter=~@cpu-emulation", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @cpu-emulation is not included", ALL },
        { "SystemCallFilter=~@debug", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @debug is not included", ALL },
        { "SystemCallFilter=~@mount", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @mount is not included", ALL },
        { "SystemCallFilter=~@module", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @module is not included", ALL },
        { "SystemCallFilter=~@raw-io", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @raw-io is not included", ALL },
        { "SystemCallFilter=~@reboot", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @reboot is not included", ALL },
        { "SystemCallFilter=~@privileged", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @privileged is not included", ALL },
        { "SystemCallFilter=~@resources", "SystemCallFilter=read write", 0,
          "System call allow list defined for service, and @resources is not included", ALL },

        { "IPAddressDeny=", "", 10, "Service does not define an IP address allow list", ALL },
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0", 10,
          "Service does not define an IP address allow list", ALL },
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0 ::/0", 0,
          "Service blocks all IP address ranges", ALL },
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0 ::/0\nIPAddressAllow=127.0.0.0/8 ::1/128", 2,
          "Service defines IP address allow list with only localhost entries", ALL },
        /* online, only a /8 counts as localhost: 127.0.0.1/32 is "non-localhost" */
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0 ::/0\nIPAddressAllow=127.0.0.1", 5,
          "Service defines IP address allow list with non-localhost entries", ALL },
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0 ::/0\nIPAddressAllow=127.0.0.0/16", 5,
          "Service defines IP address allow list with non-localhost entries", ALL },
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0 ::/0\nIPAddressAllow=127.0.0.0/8 10.0.0.0/8",
          5, "Service defines IP address allow list with non-localhost entries", ALL },
        { "IPAddressDeny=", "IPAddressDeny=0.0.0.0/0 ::/0\nIPAddressAllow=::2/128", 5,
          "Service defines IP address allow list with non-localhost entries", ALL },
        { "IPAddressDeny=", "IPEgressFilterPath=/sys/fs/bpf/x", 0,
          "Service defines custom ingress/egress IP filters with BPF programs", ALL },
        { "IPAddressDeny=", "IPIngressFilterPath=/sys/fs/bpf/x", 0,
          "Service defines custom ingress/egress IP filters with BPF programs", V250UP },
        { "IPAddressDeny=", "IPIngressFilterPath=/sys/fs/bpf/x", 10,
          "Service does not define an IP address allow list", V247 },

        { "DeviceAllow=", "", 10, "Service has no device ACL", ALL },
        { "DeviceAllow=", "DeviceAllow=/dev/null rw", 10, "Service has no device ACL", ALL },
        { "DeviceAllow=", "DevicePolicy=closed", 0, "Service has a minimal device ACL", ALL },
        { "DeviceAllow=", "DevicePolicy=strict\nDeviceAllow=char-pts rwm\nDeviceAllow=/dev/null rw",
          5, "Service has a device ACL with some special devices: char-pts:rwm /dev/null:rw",
          V250UP },
        { "DeviceAllow=", "DevicePolicy=closed\nDeviceAllow=char-rtc r", 5,
          "Service has a device ACL with some special devices", V247 },

        { "AmbientCapabilities=", "AmbientCapabilities=cap_net_bind_service", 1,
          "Service process receives ambient capabilities", ALL },
        { "AmbientCapabilities=", "AmbientCapabilities=", 0,
          "Service process does not receive ambient capabilities", ALL },
};

/* The cases describe the tables verified live (score-table.c): 247, 252/257 and 262. The derived
 * tables' rows are pinned by test-score-table's golden dumps and version cases. */
static const unsigned verified_versions[] = { 247, 252, 262 };
#define N_VERIFIED (sizeof(verified_versions) / sizeof(verified_versions[0]))

static unsigned table_bit(const ScoreTable *t) {
        return t->version_max < 250 ? V247 : t->version_min >= 262 ? V262 : V250;
}

static ssize_t row_index(const ScoreTable *t, const char *id) {
        for (size_t i = 0; i < t->n_rows; i++)
                if (strcmp(t->rows[i].id, id) == 0)
                        return (ssize_t) i;
        return -1;
}

static void parse_with_base(const char *extra, UnitProps *ret) {
        Buf b = {};
        unsigned line = 0;

        buf_puts(&b, base_props);
        buf_puts(&b, extra);
        buf_putc(&b, '\n');
        if (props_text_parse(b.data, b.len, ret, &line) < 0)
                fail_msg("case props do not parse (line %u): %s", line, extra);
        buf_done(&b);
}

static void test_cases(void **state) {
        (void) state;
        for (size_t k = 0; k < N_VERIFIED; k++) {
                const ScoreTable *t = score_table_for_version(verified_versions[k]);

                for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                        const Case *cs = cases + c;
                        ScoreReport r;
                        UnitProps p;
                        Buf d = {};
                        ssize_t i;

                        if (!(cs->tables & table_bit(t)))
                                continue;
                        i = row_index(t, cs->id);
                        if (i < 0)
                                fail_msg("table %u has no row %s", t->version_min, cs->id);
                        parse_with_base(cs->props, &p);
                        assert_int_equal(score_unit(t, NULL, &p, &r), 0);
                        score_check_describe(&r, (size_t) i, NULL, &d);
                        if (r.checks[i].badness != cs->badness ||
                            strcmp(d.data ?: "", cs->description) != 0)
                                fail_msg("table %u row %s props '%s': got %" PRIu64 " '%s', "
                                         "want %" PRIu64 " '%s'", t->version_min, cs->id,
                                         cs->props, r.checks[i].badness, d.data ?: "",
                                         cs->badness, cs->description);
                        buf_done(&d);
                        unit_props_done(&p);
                }
        }
}

/* Every row of every table has a case where it is good (0) and one where it is not. */
static void test_every_row_exercised(void **state) {
        (void) state;
        for (size_t k = 0; k < N_VERIFIED; k++) {
                const ScoreTable *t = score_table_for_version(verified_versions[k]);

                for (size_t i = 0; i < t->n_rows; i++) {
                        bool good = false, bad = false;

                        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                                if (!(cases[c].tables & table_bit(t)) ||
                                    strcmp(cases[c].id, t->rows[i].id) != 0)
                                        continue;
                                if (cases[c].badness == 0)
                                        good = true;
                                else
                                        bad = true;
                        }
                        if (!good || !bad)
                                fail_msg("table %u row %s lacks a %s case", t->version_min,
                                         t->rows[i].id, good ? "bad" : "good");
                }
        }
}

static void test_tables(void **state) {
        (void) state;
        for (size_t k = 0; k < score_tables_count; k++) {
                const ScoreTable *t = score_tables[k];
                uint64_t sum = 0;
                size_t n_groups = 0;

                assert_true(t->n_rows > 0 && t->n_rows <= SCORE_ROWS_MAX);
                assert_non_null(t->boot_phase_text);
                /* the tables tile the releases: each starts right after the previous ends */
                if (k > 0) {
                        const ScoreTable *q = score_tables[k - 1];

                        if (q->point_max == UINT_MAX) {
                                assert_int_equal(t->version_min, q->version_max + 1);
                                assert_int_equal(t->point_min, 0);
                        } else {
                                assert_int_equal(t->version_min, q->version_max);
                                assert_int_equal(t->point_min, q->point_max + 1);
                        }
                }
                for (size_t i = 0; i < t->n_rows; i++) {
                        const Assessor *a = t->rows + i;

                        assert_non_null(a->id);
                        assert_non_null(a->json_field);
                        assert_non_null(a->fix);
                        assert_non_null(a->assess);
                        assert_true(a->weight > 0);
                        assert_true(a->range > 0);
                        if (a->assess == assess_system_call_filter) {
                                const SyscallGroup *g;

                                /* .parameter names the group in this table's set, and the
                                 * group is the one the row is named after. */
                                assert_non_null(t->syscall_groups);
                                assert_true(a->parameter < _SYSCALL_GROUP_MAX);
                                g = t->syscall_groups + a->parameter;
                                assert_non_null(g->name);
                                assert_non_null(g->syscalls);
                                assert_non_null(g->syscalls[0]);
                                assert_true(startswith(a->id, "SystemCallFilter=~"));
                                assert_string_equal(a->id + strlen("SystemCallFilter=~"),
                                                    g->name);
                                n_groups++;
                        }
                        sum += a->weight;
                        for (size_t j = 0; j < i; j++) {
                                if (strcmp(a->id, t->rows[j].id) == 0 ||
                                    strcmp(a->json_field, t->rows[j].json_field) == 0)
                                        fail_msg("table %u: duplicate %s", t->version_min, a->id);
                        }
                }
                assert_true(sum > 0);
                /* ids are unique, so every group has exactly one row */
                assert_int_equal(n_groups, _SYSCALL_GROUP_MAX);
                if (t == score_table_for_version(247)) {
                        assert_int_equal(t->n_rows, 80);
                        assert_int_equal(sum, 56435);
                } else if (t == score_table_for_version(252) || t == score_table_for_version(262)) {
                        assert_int_equal(t->n_rows, 81);
                        assert_int_equal(sum, 56460);
                }
        }

        assert_ptr_equal(score_table_for_version(0), score_tables[0]);
        assert_ptr_equal(score_table_for_version(245), score_tables[0]);
        /* 252.39 and 254.26 (the modelled releases) share their rows */
        assert_true(score_table_for_version(252)->rows == score_table_for_version(254)->rows);
        assert_ptr_equal(score_table_for_version(257), score_table_for_version(261));
        assert_true(score_table_for_version(257)->rows == score_table_for_version(262)->rows);
        assert_ptr_equal(score_table_for_version(262), score_tables[score_tables_count - 1]);
        assert_ptr_equal(score_table_for_version(999), score_tables[score_tables_count - 1]);
}

/* Releases pick tables by point release, and say how each was checked (docs/versions.md). */
static void test_table_choice(void **state) {
        static const struct {
                const char *version;
                unsigned major, point;
                const char *table;
                ScoreChecked checked;
        } choices[] = {
                { "252.39-1~deb12u1", 252, 39, "252.28+", SCORE_CHECKED_LIVE },
                { "252.30-1", 252, 30, "252.28+", SCORE_CHECKED_LIVE },
                { "252.5-2", 252, 5, "252.0-252.7", SCORE_CHECKED_SOURCE },
                { "252", 252, 0, "252.0-252.7", SCORE_CHECKED_SOURCE },
                { "252.12", 252, 12, "252.8-252.18", SCORE_CHECKED_SOURCE },
                { "v252.19", 252, 19, "252.19-252.27", SCORE_CHECKED_SOURCE },
                { "247.3-7+deb11u6", 247, 3, "247.0-247.7", SCORE_CHECKED_LIVE },
                { "247.9", 247, 9, "247.8+", SCORE_CHECKED_SOURCE },
                { "254.26-1~bpo12+1", 254, 26, "254.15+", SCORE_CHECKED_LIVE },
                { "254.5-1", 254, 5, "254.0-254.5", SCORE_CHECKED_SOURCE },
                { "253.26", 253, 26, "253.22+", SCORE_CHECKED_SOURCE },
                { "255.4-1ubuntu8", 255, 4, "255.0-255.8", SCORE_CHECKED_SOURCE },
                { "257.13-1~deb13u1", 257, 13, "256.2-261", SCORE_CHECKED_LIVE },
                { "256.7", 256, 7, "256.2-261", SCORE_CHECKED_SOURCE },
                { "259.2-1", 259, 2, "256.2-261", SCORE_CHECKED_DERIVED },
                { "262.1-1", 262, 1, "262+", SCORE_CHECKED_LIVE },
                { "263~rc1-1", 263, 0, "262+", SCORE_CHECKED_NEWER },
                { "300.1", 300, 1, "262+", SCORE_CHECKED_NEWER },
                { "219", 219, 0, "245.0-245.5", SCORE_CHECKED_OLDER },
                { "245.4-4ubuntu3.24", 245, 4, "245.0-245.5", SCORE_CHECKED_SOURCE },
                { "249.11-0ubuntu3.12", 249, 11, "249.4-249.11", SCORE_CHECKED_SOURCE },
                { "252.", 252, 0, "252.0-252.7", SCORE_CHECKED_SOURCE },
        };
        static const char *const bad[] = { "", "x252", "v", ".5", "99999999" };

        (void) state;
        for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
                ScoreRelease r;
                ScoreTableChoice c;

                assert_int_equal(score_release_parse(choices[i].version, &r), 0);
                assert_int_equal(r.major, choices[i].major);
                assert_int_equal(r.point, choices[i].point);
                score_table_choose(r, &c);
                if (!streq(c.table->name, choices[i].table) || c.checked != choices[i].checked)
                        fail_msg("%s: got %s %s, want %s %s", choices[i].version, c.table->name,
                                 score_checked_to_string(c.checked), choices[i].table,
                                 score_checked_to_string(choices[i].checked));
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ScoreRelease r = { 7, 7 };

                assert_int_equal(score_release_parse(bad[i], &r), -EINVAL);
                assert_int_equal(r.major, 7); /* written only on success */
        }
        assert_int_equal(score_release_parse(NULL, &(ScoreRelease) {}), -EINVAL);
        assert_null(score_checked_to_string(_SCORE_CHECKED_MAX));
        /* a bare major names its modelled release */
        assert_int_equal(score_release_modelled(252).point, 39);
        assert_int_equal(score_release_modelled(245).point, 4);
        assert_int_equal(score_release_modelled(300).point, 0);

        /* the json_field with systemd's stray ')' must stay as systemd spells it */
        const ScoreTable *t = score_table_for_version(252);
        ssize_t i = row_index(t, "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)");
        assert_true(i >= 0);
        assert_string_equal(t->rows[i].json_field,
                            "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)");
}

static void score_text(unsigned version, const char *extra, const ScoreOverride *o,
                       ScoreReport *ret) {
        UnitProps p;

        parse_with_base(extra, &p);
        assert_int_equal(score_unit(score_table_for_version(version), o, &p, ret), 0);
        unit_props_done(&p);
}

static void test_formula(void **state) {
        ScoreReport r, r2;
        ssize_t i;

        (void) state;
        /* the bare unit: 9.6 UNSAFE, root => two rows n/a, weight_sum 56460 - 300 */
        score_text(252, "", NULL, &r);
        assert_int_equal(r.weight_sum, 56160);
        assert_int_equal(r.badness_sum, 53510);
        assert_int_equal(r.exposure, 96);
        assert_int_equal(r.predicate, PREDICATE_UNSAFE);

        /* ProtectProc=noaccess adds ceil(1 * 1000 / 3) = 334, not 333 */
        score_text(252, "ProtectProc=invisible", NULL, &r);
        score_text(252, "ProtectProc=noaccess", NULL, &r2);
        assert_int_equal(r2.badness_sum - r.badness_sum, 334);

        /* the per-row EXPOSURE column: ceil(ceil(b*w*100/range)/weight_sum) */
        i = row_index(r2.table, "ProtectProc=");
        assert_int_equal(r2.checks[i].exposure, 1); /* ceil(33334 / 55160...) */
        assert_int_equal(r.checks[i].exposure, 0);  /* badness 0: empty */
        i = row_index(r.table, "PrivateNetwork=");
        assert_int_equal(r.checks[i].exposure, 5);  /* ceil(250000 / 56160) */

        /* a DynamicUser unit is not privileged: all rows count */
        score_text(252, "DynamicUser=yes\nUser=t", NULL, &r);
        assert_int_equal(r.weight_sum, 56460);

        /* DefaultDependencies=no: four rows n/a, weight_sum drops by 3200 */
        score_text(252, "DefaultDependencies=no", NULL, &r);
        assert_int_equal(r.weight_sum, 56160 - 3200);
        assert_int_equal(r.checks[row_index(r.table, "PrivateTmp=")].na, NA_BOOT_PHASE);
        assert_int_equal(r.checks[row_index(r.table, "RemoveIPC=")].na, NA_PRIVILEGED);
        assert_int_equal(score_check_set(&r.checks[row_index(r.table, "PrivateTmp=")]), -1);
        assert_int_equal(score_check_set(&r.checks[row_index(r.table, "UMask=")]), 0);
        assert_int_equal(score_check_set(&r.checks[row_index(r.table, "KeyringMode=")]), 1);

        /* v247: 80 rows, no CAP_BPF: 56435 - 300 */
        score_text(247, "", NULL, &r);
        assert_int_equal(r.n_checks, 80);
        assert_int_equal(r.weight_sum, 56135);
}

/* The text score_check_describe() gives row i. */
static void check_text(const ScoreReport *r, const char *id, const char *want) {
        ssize_t i = row_index(r->table, id);
        char *got;
        Buf b = {};

        assert_true(i >= 0);
        score_check_describe(r, (size_t) i, NULL, &b);
        got = buf_steal(&b);
        assert_string_equal(got, want);
        free(got);
}

static void score_user(unsigned version, const char *extra, ScoreReport *ret) {
        UnitProps p;

        parse_with_base(extra, &p);
        p.user_manager = true;
        assert_int_equal(score_unit(score_table_for_version(version), NULL, &p, ret), 0);
        unit_props_done(&p);
}

/* A user manager's services (scan --user), as systemd-analyze security --user scores them
 * (checked live by tests/integration/test_scan_user.py): 252 as root, 262 as the calling user
 * (systemd#42743). */
static void test_user_manager(void **state) {
        ScoreReport sys, usr;
        size_t user, groups, ipc;

        (void) state;
        /* 252: the flag changes nothing */
        score_text(252, "SupplementaryGroups=users", NULL, &sys);
        score_user(252, "SupplementaryGroups=users", &usr);
        assert_int_equal(sys.badness_sum, usr.badness_sum);
        assert_int_equal(sys.weight_sum, usr.weight_sum);
        assert_int_equal(sys.exposure, usr.exposure);

        /* 262 without User=: not root; groups assessed, RemoveIPC= n/a with its own text */
        score_text(262, "SupplementaryGroups=users", NULL, &sys);
        score_user(262, "SupplementaryGroups=users", &usr);
        user = (size_t) row_index(usr.table, "User=/DynamicUser=");
        groups = (size_t) row_index(usr.table, "SupplementaryGroups=");
        ipc = (size_t) row_index(usr.table, "RemoveIPC=");
        assert_int_equal(sys.checks[user].badness, 10);
        assert_int_equal(usr.checks[user].badness, 0);
        check_text(&usr, "User=/DynamicUser=", "Service runs under the calling user's identity");
        assert_true(sys.checks[groups].badness == BADNESS_NA);
        assert_int_equal(usr.checks[groups].badness, 1);
        assert_true(usr.checks[ipc].badness == BADNESS_NA);
        assert_int_equal(usr.checks[ipc].na, NA_USER_MANAGER);
        assert_int_equal(sys.checks[ipc].na, NA_PRIVILEGED);
        check_text(&usr, "RemoveIPC=", "RemoveIPC= has no effect on per-user services");
        /* weight: SupplementaryGroups= (200) counts now, RemoveIPC= still does not */
        assert_int_equal(usr.weight_sum, sys.weight_sum + 200);
        assert_true(usr.exposure < sys.exposure);

        /* User=root in a user unit: still "the calling user"; nobody stays 9; RemoveIPC=yes
         * still n/a */
        score_user(262, "User=root\nRemoveIPC=yes", &usr);
        assert_int_equal(usr.checks[user].badness, 0);
        assert_true(usr.checks[ipc].badness == BADNESS_NA);
        score_user(262, "User=nobody", &usr);
        assert_int_equal(usr.checks[user].badness, 9);
        score_user(262, "User=t", &usr);
        check_text(&usr, "User=/DynamicUser=", "Service runs under a static non-root user identity");
}

static void test_predicates(void **state) {
        (void) state;
        assert_int_equal(predicate_from_exposure(100), PREDICATE_DANGEROUS);
        assert_int_equal(predicate_from_exposure(99), PREDICATE_UNSAFE);
        assert_int_equal(predicate_from_exposure(90), PREDICATE_UNSAFE);
        assert_int_equal(predicate_from_exposure(89), PREDICATE_EXPOSED);
        assert_int_equal(predicate_from_exposure(75), PREDICATE_EXPOSED);
        assert_int_equal(predicate_from_exposure(74), PREDICATE_MEDIUM);
        assert_int_equal(predicate_from_exposure(50), PREDICATE_MEDIUM);
        assert_int_equal(predicate_from_exposure(49), PREDICATE_OK);
        assert_int_equal(predicate_from_exposure(10), PREDICATE_OK);
        assert_int_equal(predicate_from_exposure(9), PREDICATE_SAFE);
        assert_int_equal(predicate_from_exposure(1), PREDICATE_SAFE);
        assert_int_equal(predicate_from_exposure(0), PREDICATE_PERFECT);

        for (Predicate p = 0; p < _PREDICATE_MAX; p++)
                assert_int_equal(predicate_from_string(predicate_to_string(p)), p);
        assert_string_equal(predicate_to_string(PREDICATE_DANGEROUS), "DANGEROUS");
        assert_null(predicate_to_string(_PREDICATE_MAX));
        assert_null(predicate_to_string(_PREDICATE_INVALID));
        assert_int_equal(predicate_from_string("unsafe"), _PREDICATE_INVALID);
        assert_int_equal(predicate_from_string(NULL), _PREDICATE_INVALID);
}

static void test_overrides(void **state) {
        const ScoreTable *t = score_table_for_version(252);
        ScoreOverride o[SCORE_ROWS_MAX] = {};
        ScoreReport r;
        UnitProps p;
        Buf d = {};
        ssize_t nnp = row_index(t, "NoNewPrivileges="), net = row_index(t, "PrivateNetwork="),
                um = row_index(t, "UMask="), kr = row_index(t, "KeyringMode="),
                sg = row_index(t, "SupplementaryGroups="), pd = row_index(t, "PrivateDevices="),
                pp = row_index(t, "ProtectProc=");

        (void) state;
        /* The policy run live with systemd-analyze 252, 257 and 262 (--security-policy):
         * {"NoNewPrivileges":{"weight":5000},
         *  "PrivateNetwork":{"weight":0,"description_na":"ignored"},
         *  "UMask":{"range":20,"description_bad":"ignored"},
         *  "KeyringMode":{"description_good":"keys are private"},
         *  "SupplementaryGroups":{"description_na":"root anyway"},
         *  "PrivateDevices":{"description_bad":"devices!","range":3},
         *  "ProtectProc":{"weight":0}}
         * On the bare unit the oracle printed 9.5 with rows summing to 53319 / 56660. */
        o[nnp] = (ScoreOverride) { .has_weight = true, .weight = 5000 };
        o[net] = (ScoreOverride) { .has_weight = true, .weight = 0, .description_na = "ignored" };
        o[um] = (ScoreOverride) { .has_range = true, .range = 20, .description_bad = "ignored" };
        o[kr] = (ScoreOverride) { .description_good = "keys are private" };
        o[sg] = (ScoreOverride) { .description_na = "root anyway" };
        o[pd] = (ScoreOverride) { .has_range = true, .range = 3, .description_bad = "devices!" };
        o[pp] = (ScoreOverride) { .has_weight = true, .weight = 0 };
        score_text(252, "", o, &r);
        assert_int_equal(r.badness_sum, 53319);
        assert_int_equal(r.weight_sum, 56660);
        assert_int_equal(r.exposure, 95);
        assert_int_equal(r.checks[net].na, NA_POLICY);
        assert_int_equal(r.checks[net].badness, BADNESS_NA);
        assert_int_equal(r.checks[um].range, 20);
        assert_int_equal(r.checks[um].badness, 5);
        assert_int_equal(r.checks[um].exposure, 1);
        assert_int_equal(r.checks[nnp].exposure, 9);
        assert_int_equal(r.checks[pd].exposure, 1);
        score_check_describe(&r, (size_t) net, o, &d);
        assert_string_equal(d.data, "Option excluded by policy, skipping");
        buf_clear(&d);
        score_check_describe(&r, (size_t) pp, o, &d);
        assert_string_equal(d.data, "Option excluded by policy, skipping");
        buf_clear(&d);
        score_check_describe(&r, (size_t) um, o, &d);
        assert_string_equal(d.data, "Files created by service are world-readable by default");
        buf_clear(&d);
        score_check_describe(&r, (size_t) kr, o, &d);
        assert_string_equal(d.data, "keys are private");
        buf_clear(&d);
        score_check_describe(&r, (size_t) sg, o, &d);
        assert_string_equal(d.data, "root anyway");
        buf_clear(&d);
        /* badness 1 equals the TABLE's range 1, so the "bad" text applies despite range 3 */
        score_check_describe(&r, (size_t) pd, o, &d);
        assert_string_equal(d.data, "devices!");
        buf_clear(&d);

        /* the same policy on User=www-data: 9.1, 51419 / 56960 */
        score_text(252, "User=www-data", o, &r);
        assert_int_equal(r.badness_sum, 51419);
        assert_int_equal(r.weight_sum, 56960);
        assert_int_equal(r.exposure, 91);

        /* {"UMask":{"range":1}}: systemd aborts ("Assertion 'badness <= range' failed"), we
         * refuse */
        parse_with_base("", &p);
        memset(o, 0, sizeof(o));
        o[um] = (ScoreOverride) { .has_range = true, .range = 1 };
        assert_int_equal(score_unit(t, o, &p, &r), -EINVAL);
        o[um] = (ScoreOverride) { .has_range = true, .range = 0 };
        assert_int_equal(score_unit(t, o, &p, &r), -EINVAL);

        /* every row excluded: no weight left */
        for (size_t i = 0; i < t->n_rows; i++)
                o[i] = (ScoreOverride) { .has_weight = true, .weight = 0 };
        assert_int_equal(score_unit(t, o, &p, &r), -EINVAL);
        assert_int_equal(score_unit(NULL, NULL, &p, &r), -EINVAL);
        unit_props_done(&p);

        /* describe() of an out-of-range index appends nothing */
        score_check_describe(&r, SCORE_ROWS_MAX, NULL, &d);
        assert_int_equal(d.len, 0);
        buf_done(&d);
}

/* A filter the reader sorted (binary search) and the same filter in any order (linear search)
 * score alike, in every table (the tables differ in group members, in whether ":errno" suffixes
 * count, and in the inverted and v245/v246 quirks): random filters drawn from every group member
 * and near misses that sort next to them ("chown1", "chown_x", "chow", "chown:EPERM"),
 * duplicates included, as allow and as deny lists. */
static uint64_t rng_next(uint64_t *x) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

static void test_filter_sorted_equals_linear(void **state) {
        static const char *const tails[] = { "", ":EPERM", ":1", "1", "_x", ":EACCES" };
        uint64_t x = 0x9e3779b97f4a7c15ULL;

        (void) state;
        for (size_t k = 0; k < score_tables_count; k++) {
                const ScoreTable *t = score_tables[k];
                char **pool = NULL;
                size_t n_pool = 0;

                if (!t->syscall_groups)
                        continue;
                for (size_t g = 0; g < _SYSCALL_GROUP_MAX; g++)
                        for (const char *const *m = t->syscall_groups[g].syscalls; *m; m++) {
                                Buf b = {};

                                strv_push(&pool, *m);
                                buf_append(&b, *m, strlen(*m) - 1); /* a prefix */
                                strv_push(&pool, b.data ?: "");
                                buf_done(&b);
                        }
                strv_push(&pool, "read");
                strv_push(&pool, "write");
                n_pool = strv_length(pool);

                for (unsigned round = 0; round < 300; round++) {
                        UnitProps a, b;
                        ScoreReport ra, rb;
                        size_t len = rng_next(&x) % 120;

                        parse_with_base("", &a);
                        parse_with_base("", &b);
                        a.system_call_filter_allow_list = b.system_call_filter_allow_list =
                                rng_next(&x) & 1;
                        for (size_t i = 0; i < len; i++) {
                                Buf e = {};

                                buf_puts(&e, pool[rng_next(&x) % n_pool]);
                                buf_puts(&e, tails[rng_next(&x) % 6]);
                                strv_push(&a.system_call_filter, e.data);
                                strv_push(&b.system_call_filter, e.data);
                                buf_done(&e);
                        }
                        a.system_call_filter_sorted = NULL; /* as built: any order */
                        unit_props_sort_system_call_filter(&b);
                        assert_ptr_equal(b.system_call_filter_sorted, b.system_call_filter);
                        assert_int_equal(score_unit(t, NULL, &a, &ra), 0);
                        assert_int_equal(score_unit(t, NULL, &b, &rb), 0);
                        assert_int_equal(ra.exposure, rb.exposure);
                        for (size_t i = 0; i < ra.n_checks; i++) {
                                assert_int_equal(ra.checks[i].badness, rb.checks[i].badness);
                                assert_ptr_equal(ra.checks[i].text, rb.checks[i].text);
                                assert_ptr_equal(ra.checks[i].offending, rb.checks[i].offending);
                        }
                        unit_props_done(&a);
                        unit_props_done(&b);
                }
                strv_free(pool);
        }
}

/* A tag that no longer matches the list (a shallow copy whose list was replaced, as plan.c's
 * what-if props do) is not trusted: the unsorted replacement is searched linearly. */
static void test_filter_stale_tag(void **state) {
        const ScoreTable *t = score_table_for_version(252);
        char *unsorted[] = { "swapon", "read", "mount", NULL };
        ScoreReport r;
        UnitProps p, w;
        ssize_t i = row_index(t, "SystemCallFilter=~@mount");

        (void) state;
        assert_true(i >= 0);
        parse_with_base("SystemCallFilter=read write", &p);
        assert_ptr_equal(p.system_call_filter_sorted, p.system_call_filter);
        w = p;
        w.system_call_filter = unsorted;
        assert_int_equal(score_unit(t, NULL, &w, &r), 0);
        /* allow list with mount in it: found although "mount" sorts before "read" */
        assert_int_equal(r.checks[i].badness, 9);
        assert_string_equal(r.checks[i].offending, "mount");
        unit_props_done(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),
                cmocka_unit_test(test_every_row_exercised),
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_table_choice),
                cmocka_unit_test(test_formula),
                cmocka_unit_test(test_user_manager),
                cmocka_unit_test(test_predicates),
                cmocka_unit_test(test_overrides),
                cmocka_unit_test(test_filter_sorted_equals_linear),
                cmocka_unit_test(test_filter_stale_tag),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
