/* SPDX-License-Identifier: MIT */
/* The planner's risk table: for every line the planner may propose, what it sets, its fixed risk
 * class and one line on what it breaks (systemd.exec(5), systemd.resource-control(5)). Data only:
 * the planner (plan.c) computes the lines marked NULL and applies them; this file must never hold
 * logic. A class says how many services a line breaks, not how much it gains. */
#include "plan.h"

/* systemd turns NoNewPrivileges= on by itself for a service that has a seccomp filter and lacks
 * CAP_SYS_ADMIN (context_has_no_new_privileges() in systemd's execute.c): a LockPersonality=yes
 * as harmless as it is for root then stops every set-user-ID helper of a User= service
 * (test_plan_safety.py shows it in a container). */
const char plan_nnp_reason[] =
        "as the service runs without CAP_SYS_ADMIN, it also implies NoNewPrivileges=yes: "
        "set-user-ID and file-capability helpers (sudo, sendmail, ping) lose their effect";

const PlanRiskRow plan_risk_table[_PLAN_ACTION_MAX] = {
        [PLAN_DYNAMIC_USER] = {
                "DynamicUser=", "DynamicUser=yes", PLAN_RISK_BREAKS,
                "runs the service as a transient user with a read-only OS; it breaks services "
                "that need a fixed user or write outside their State/Cache/Logs directories",
                false },
        [PLAN_SUPPLEMENTARY_GROUPS] = {
                "SupplementaryGroups=", "SupplementaryGroups=", PLAN_RISK_MAY_BREAK,
                "drops the extra groups; it breaks services that read files or devices through "
                "them", false },
        [PLAN_PRIVATE_DEVICES] = {
                "PrivateDevices=", "PrivateDevices=yes", PLAN_RISK_MAY_BREAK,
                "gives the service a minimal /dev; it breaks services that use hardware devices",
                true },
        [PLAN_PRIVATE_MOUNTS] = {
                "PrivateMounts=", "PrivateMounts=yes", PLAN_RISK_SAFE,
                "mounts made by the service stay private; only services that mount file systems "
                "for others notice", false },
        [PLAN_PRIVATE_NETWORK] = {
                "PrivateNetwork=", "PrivateNetwork=yes", PLAN_RISK_BREAKS,
                "the service can no longer open IP sockets; it breaks anything that listens on or "
                "connects to the network", false },
        [PLAN_PRIVATE_TMP] = {
                "PrivateTmp=", "PrivateTmp=yes", PLAN_RISK_SAFE,
                "a private /tmp; only services that exchange files in /tmp with other programs "
                "notice", false },
        [PLAN_PRIVATE_USERS] = {
                "PrivateUsers=", "PrivateUsers=yes", PLAN_RISK_MAY_BREAK,
                "a user namespace without root; it breaks services that change user or own files "
                "of other users", false },
        [PLAN_PROTECT_CONTROL_GROUPS] = {
                "ProtectControlGroups=", "ProtectControlGroups=yes", PLAN_RISK_SAFE,
                "/sys/fs/cgroup becomes read-only; only container managers write there", false },
        [PLAN_PROTECT_KERNEL_MODULES] = {
                "ProtectKernelModules=", "ProtectKernelModules=yes", PLAN_RISK_SAFE,
                "no kernel module loading; only services that load drivers notice", true },
        [PLAN_PROTECT_KERNEL_TUNABLES] = {
                "ProtectKernelTunables=", "ProtectKernelTunables=yes", PLAN_RISK_SAFE,
                "/proc/sys and /sys become read-only; only services that tune the kernel notice",
                true },
        [PLAN_PROTECT_KERNEL_LOGS] = {
                "ProtectKernelLogs=", "ProtectKernelLogs=yes", PLAN_RISK_SAFE,
                "no access to the kernel log buffer; only log collectors read it", true },
        [PLAN_PROTECT_CLOCK] = {
                "ProtectClock=", "ProtectClock=yes", PLAN_RISK_MAY_BREAK,
                "the clocks cannot be set and, as it implies DeviceAllow=char-rtc r, only pseudo "
                "devices and the RTC open; it breaks time daemons and hardware users", true },
        [PLAN_PROTECT_HOME_READ_ONLY] = {
                "ProtectHome=", "ProtectHome=read-only", PLAN_RISK_SAFE,
                "home directories become read-only; only services that write into homes notice",
                false },
        [PLAN_PROTECT_HOME_YES] = {
                "ProtectHome=", "ProtectHome=yes", PLAN_RISK_MAY_BREAK,
                "home directories disappear; it breaks services that read or serve files in "
                "/home", false },
        [PLAN_PROTECT_HOSTNAME] = {
                "ProtectHostname=", "ProtectHostname=yes", PLAN_RISK_SAFE,
                "the host name cannot be changed; only host name managers change it", true },
        [PLAN_PROTECT_SYSTEM_YES] = {
                "ProtectSystem=", "ProtectSystem=yes", PLAN_RISK_SAFE,
                "/usr and /boot become read-only; only package managers write there", false },
        [PLAN_PROTECT_SYSTEM_FULL] = {
                "ProtectSystem=", "ProtectSystem=full", PLAN_RISK_MAY_BREAK,
                "/usr, /boot and /etc become read-only; it breaks services that write their "
                "configuration", false },
        [PLAN_PROTECT_SYSTEM_STRICT] = {
                "ProtectSystem=", NULL, PLAN_RISK_MAY_BREAK,
                "the whole file system becomes read-only but the listed paths; it breaks services "
                "that write anywhere else", false },
        [PLAN_LOCK_PERSONALITY] = {
                "LockPersonality=", "LockPersonality=yes", PLAN_RISK_SAFE,
                "the execution domain is locked; only emulators change it", true },
        [PLAN_MEMORY_DENY_WRITE_EXECUTE] = {
                "MemoryDenyWriteExecute=", "MemoryDenyWriteExecute=yes", PLAN_RISK_MAY_BREAK,
                "no writable and executable memory; it breaks JIT compilers (Java, Node.js, "
                "PyPy, LuaJIT)", true },
        [PLAN_NO_NEW_PRIVILEGES] = {
                "NoNewPrivileges=", "NoNewPrivileges=yes", PLAN_RISK_MAY_BREAK,
                "set-user-ID programs lose their effect; it breaks services that run sudo, "
                "sendmail or other setuid helpers", false },
        [PLAN_CAPABILITY_BOUNDING_SET] = {
                "CapabilityBoundingSet=", NULL, PLAN_RISK_MAY_BREAK,
                "the service loses root's privileges; it breaks root services that bind low "
                "ports, change owners or users unless it keeps those capabilities", false },
        [PLAN_AMBIENT_CAPABILITIES] = {
                "AmbientCapabilities=", "AmbientCapabilities=", PLAN_RISK_BREAKS,
                "the service no longer gets capabilities as a non-root user; it breaks whatever "
                "it was given them for", false },
        [PLAN_UMASK] = {
                "UMask=", "UMask=0077", PLAN_RISK_MAY_BREAK,
                "new files are private to the service's user; it breaks services that share "
                "files with a group", false },
        [PLAN_KEYRING_MODE] = {
                "KeyringMode=", "KeyringMode=private", PLAN_RISK_SAFE,
                "a private kernel keyring; only services that share keys through it notice",
                false },
        [PLAN_PROTECT_PROC] = {
                "ProtectProc=", "ProtectProc=invisible", PLAN_RISK_MAY_BREAK,
                "other users' processes disappear from /proc; it breaks monitoring and process "
                "managers", false },
        [PLAN_PROC_SUBSET] = {
                "ProcSubset=", "ProcSubset=pid", PLAN_RISK_MAY_BREAK,
                "/proc shows only processes; it breaks programs that read /proc/meminfo, "
                "/proc/cpuinfo or /proc/sys", false },
        [PLAN_NOTIFY_ACCESS] = {
                "NotifyAccess=", "NotifyAccess=main", PLAN_RISK_MAY_BREAK,
                "only the main process may notify systemd; it breaks services whose helpers "
                "report readiness", false },
        [PLAN_REMOVE_IPC] = {
                "RemoveIPC=", "RemoveIPC=yes", PLAN_RISK_SAFE,
                "the service's IPC objects are removed when it stops; only services sharing them "
                "with later runs notice", false },
        [PLAN_DELEGATE] = {
                "Delegate=", "Delegate=no", PLAN_RISK_BREAKS,
                "the service no longer manages its own cgroup tree; it breaks container managers",
                false },
        [PLAN_RESTRICT_REALTIME] = {
                "RestrictRealtime=", "RestrictRealtime=yes", PLAN_RISK_SAFE,
                "no realtime scheduling; only audio and industrial control services need it",
                true },
        [PLAN_RESTRICT_SUID_SGID] = {
                "RestrictSUIDSGID=", "RestrictSUIDSGID=yes", PLAN_RISK_SAFE,
                "the service cannot create set-user-ID files; only package managers do", true },
        [PLAN_RESTRICT_NAMESPACES] = {
                "RestrictNamespaces=", "RestrictNamespaces=yes", PLAN_RISK_MAY_BREAK,
                "no new namespaces; it breaks container runtimes, browsers and sandboxing tools",
                true },
        [PLAN_ADDRESS_FAMILIES_IP] = {
                "RestrictAddressFamilies=", NULL, PLAN_RISK_MAY_BREAK,
                "only local and IP sockets; it breaks network managers (netlink) and DHCP or "
                "packet capture (raw sockets)", true },
        [PLAN_ADDRESS_FAMILIES_UNIX] = {
                "RestrictAddressFamilies=", NULL, PLAN_RISK_BREAKS,
                "only local sockets; it breaks anything that listens on or connects to the "
                "network", true },
        [PLAN_ADDRESS_FAMILIES_SEEN] = {
                "RestrictAddressFamilies=", NULL, PLAN_RISK_MAY_BREAK,
                "only the socket families the running service holds; it breaks code paths that "
                "open other kinds of sockets later", true },
        [PLAN_SYSTEM_CALL_ARCHITECTURES] = {
                "SystemCallArchitectures=", NULL, PLAN_RISK_SAFE,
                "native system calls only; only 32-bit programs on a 64-bit host notice", true },
        [PLAN_SYSTEM_CALL_FILTER_BASIC] = {
                "SystemCallFilter=", NULL, PLAN_RISK_SAFE,
                "no clock, debugging, module, mount, raw I/O, reboot, swap or obsolete system "
                "calls; only daemons with those jobs make them", true },
        [PLAN_SYSTEM_CALL_FILTER_FULL] = {
                "SystemCallFilter=", NULL, PLAN_RISK_MAY_BREAK,
                "no privileged or resource-control system calls either; it breaks services that "
                "switch user, chown or change limits themselves", true },
        [PLAN_IP_ADDRESS_DENY] = {
                "IPAddressDeny=", "IPAddressDeny=any", PLAN_RISK_BREAKS,
                "all IP traffic is dropped; it breaks anything that uses the network", false },
        [PLAN_DEVICE_POLICY] = {
                "DevicePolicy=", "DevicePolicy=closed", PLAN_RISK_MAY_BREAK,
                "only pseudo devices such as /dev/null may be opened; it breaks services that "
                "use hardware devices", false },
};
