# SPDX-License-Identifier: MIT
"""Generator of test service units that drive every `systemd-analyze security` assessor through
all its badness levels and through the interesting combinations.

generate(version) returns a UnitSet: the files to install under /etc/systemd/system (unit files,
drop-ins, aliases, masks, .wants symlinks) and the lists the tests need. The output is
deterministic: the random combinations come from a fixed seed. Units are named "xt-*" so they
never clash with the container's own units.

Version handling: a setting a systemd version does not know (a new directive or a new value) is
logged and ignored by that version, and the unit still loads, so most cases are generated for
every version and the oracle decides what they mean there. Only cases that would make a unit fail
to load, or that would be meaningless, are gated on `version` (see _gated). Every unit that is
expected to load is checked to load by the tests; the expected failures are listed separately.
Standard library only.
"""

import random

PREFIX = "xt-"
SEED = 20251123

EXEC_SLEEP = "/bin/sleep infinity"
EXEC_TRUE = "/bin/true"

# Capabilities by number (linux/capability.h); CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE
# are known to every systemd tested here (its own capability table).
CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
    "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]

# The capability groups of the CapabilityBoundingSet=~ rows.
CAP_GROUPS = [
    ["CAP_SYS_ADMIN"], ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"], ["CAP_SYS_PTRACE"],
    ["CAP_SYS_TIME"], ["CAP_NET_ADMIN"], ["CAP_SYS_RAWIO"], ["CAP_SYS_MODULE"],
    ["CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE"], ["CAP_SYSLOG"],
    ["CAP_SYS_NICE", "CAP_SYS_RESOURCE"], ["CAP_MKNOD"], ["CAP_CHOWN", "CAP_FSETID", "CAP_SETFCAP"],
    ["CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_IPC_OWNER"], ["CAP_KILL"],
    ["CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_RAW"], ["CAP_SYS_BOOT"],
    ["CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE"], ["CAP_LINUX_IMMUTABLE"], ["CAP_IPC_LOCK"],
    ["CAP_SYS_CHROOT"], ["CAP_BLOCK_SUSPEND"], ["CAP_WAKE_ALARM"], ["CAP_LEASE"],
    ["CAP_SYS_TTY_CONFIG"], ["CAP_SYS_PACCT"], ["CAP_BPF"],
]

NAMESPACES = ["cgroup", "ipc", "net", "mnt", "pid", "user", "uts"]

# Every system-call group any tested version knows (older versions ignore the newer ones).
SYSCALL_GROUPS = [
    "@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug", "@default",
    "@file-system", "@io-event", "@ipc", "@keyring", "@known", "@memlock", "@module", "@mount",
    "@network-io", "@obsolete", "@pkey", "@privileged", "@process", "@raw-io", "@reboot",
    "@resources", "@sandbox", "@setuid", "@signal", "@swap", "@sync", "@system-service",
    "@timer",
]

BOOLEANS = [
    "PrivateDevices", "PrivateMounts", "PrivateNetwork", "PrivateTmp", "PrivateUsers",
    "ProtectControlGroups", "ProtectKernelModules", "ProtectKernelTunables", "ProtectKernelLogs",
    "ProtectClock", "ProtectHostname", "LockPersonality", "MemoryDenyWriteExecute",
    "NoNewPrivileges", "RestrictRealtime", "RestrictSUIDSGID", "RemoveIPC", "Delegate",
]

# Values newer versions added to formerly boolean settings; older versions ignore them.
NEW_VALUES = [
    ("PrivateTmp", "disconnected"), ("PrivateUsers", "self"), ("PrivateUsers", "identity"),
    ("PrivateUsers", "full"), ("ProtectControlGroups", "private"),
    ("ProtectControlGroups", "strict"), ("ProtectHostname", "private"),
    ("ProtectHostname", "private:xt-host"), ("ProtectSystem", "invalid-value"),
]

USERS = [
    [], ["User=root"], ["User=0"], ["User=nobody"], ["User=65534"], ["User=daemon"],
    ["User=xt-nonexistent"], ["DynamicUser=yes"], ["DynamicUser=yes", "User=root"],
    ["DynamicUser=yes", "User=0"], ["DynamicUser=yes", "User=nobody"],
    ["User=nobody", "DynamicUser=yes"], ["DynamicUser=yes", "User=xt-dyn"],
    ["DynamicUser=no", "User=daemon"], ["DynamicUser=no"], ["Group=daemon"],
]


class UnitSet:
    """Everything a test needs to know about the generated units."""

    def __init__(self):
        self.files = {}          # path under /etc/systemd/system -> text or ("symlink", target)
        self.loadable = []       # service unit names expected to load (named comparison)
        self.named_extra = []    # names that scan/analyze resolve differently: templates, aliases
        self.errors = {}         # name -> why both tools must refuse it
        self.start = []          # units the tests start before comparing
        self.wanted = []         # units pulled into memory through multi-user.target.wants

    def add(self, name, text, wanted=True):
        if name in self.files:
            raise ValueError("duplicate unit %s" % name)
        self.files[name] = text
        if name.endswith(".service") and "@." not in name:
            self.loadable.append(name)
            if wanted:
                self.want(name)

    def want(self, name, target_file=None):
        link = "multi-user.target.wants/" + name
        self.files[link] = ("symlink", "/etc/systemd/system/" + (target_file or name))
        self.wanted.append(name)

    def service_names(self):
        return list(self.loadable) + list(self.named_extra)


def unit_text(lines, description, service_type=None, exec_start=None, unit_lines=()):
    """A service unit: [Unit] with a description (plus unit_lines), [Service] with lines."""
    out = ["[Unit]", "Description=exposured test: %s" % description.replace("\n", " ")]
    out += list(unit_lines)
    out += ["", "[Service]"]
    if service_type:
        out.append("Type=" + service_type)
    if exec_start is None:
        exec_start = EXEC_TRUE if service_type == "oneshot" else EXEC_SLEEP
    out.append("ExecStart=" + exec_start)
    out += list(lines)
    return "\n".join(out) + "\n"


def _slug(s):
    out = []
    for ch in s.lower().replace("~", " not "):
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")[:60] or "empty"


class _Namer:
    def __init__(self):
        self.seen = {}

    def __call__(self, category, what):
        base = "%s%s-%s" % (PREFIX, category, _slug(what))
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return "%s%s.service" % (base, "" if n == 0 else "-%d" % n)


def _cases():
    """(category, description, [service lines], [unit lines], type) for the systematic cases."""
    c = []

    def add(cat, lines, unit_lines=(), stype=None, desc=None):
        c.append((cat, desc or " ".join(lines) or "default", list(lines), list(unit_lines), stype))

    # User=/DynamicUser= crossed with the two settings that depend on privilege.
    for user in USERS:
        for sg in ([], ["SupplementaryGroups=adm"], ["SupplementaryGroups=root daemon"]):
            for ipc in ([], ["RemoveIPC=yes"], ["RemoveIPC=no"]):
                if sg and ipc:
                    continue
                add("user", user + sg + ipc)
    # Every boolean on and off; the boot-phase ones also with DefaultDependencies=no.
    for b in BOOLEANS:
        for v in ("yes", "no"):
            add("bool", ["%s=%s" % (b, v)])
            add("bool-nodd", ["%s=%s" % (b, v)], ["DefaultDependencies=no"])
    for b, v in NEW_VALUES:
        add("newval", ["%s=%s" % (b, v)])
    # The PrivateMounts= inference, against an explicit PrivateMounts=no.
    for s in ("PrivateDevices=yes", "PrivateTmp=yes", "ProtectControlGroups=yes",
              "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectHome=tmpfs",
              "ProtectSystem=full", "RootImage=/srv/xt.raw", "PrivateNetwork=yes"):
        add("pmounts", [s, "PrivateMounts=no"])
    for v in ("no", "yes", "read-only", "tmpfs", "true", "false", "0"):
        for extra in ([], ["DynamicUser=yes"]):
            add("home", ["ProtectHome=" + v] + extra)
        add("home-nodd", ["ProtectHome=" + v], ["DefaultDependencies=no"])
    for v in ("no", "yes", "full", "strict", "true", "false", "1"):
        for extra in ([], ["DynamicUser=yes"]):
            add("system", ["ProtectSystem=" + v] + extra)
        add("system-nodd", ["ProtectSystem=" + v], ["DefaultDependencies=no"])
    for r in (["RootDirectory=/srv/xt"], ["RootDirectory=/"], ["RootImage=/srv/xt.raw"],
              ["RootDirectory=/srv/xt", "RootImage=/srv/xt.raw"],
              ["RootImage=/srv/xt.raw", "DevicePolicy=closed"],
              ["RootImage=/srv/xt.raw", "ProtectClock=yes"], ["RootDirectory="]):
        add("root", r)
        add("root-nodd", r, ["DefaultDependencies=no"])
    for m in ("0000", "0002", "0004", "0007", "0020", "0022", "0026", "0027", "0040", "0066",
              "0070", "0077", "0777", "0200", "0006", "0060"):
        add("umask", ["UMask=" + m])
    for v in ("inherit", "private", "shared"):
        add("keyring", ["KeyringMode=" + v])
        add("keyring-user", ["KeyringMode=" + v, "User=daemon"])
    for v in ("default", "noaccess", "invisible", "ptraceable"):
        add("proc", ["ProtectProc=" + v])
        for s in ("all", "pid"):
            add("proc", ["ProtectProc=" + v, "ProcSubset=" + s])
    for s in ("all", "pid"):
        add("procsubset", ["ProcSubset=" + s])
    for v in ("none", "main", "exec", "all"):
        add("notify", ["NotifyAccess=" + v])
        add("notify", ["NotifyAccess=" + v], stype="notify")
    for v in ("yes", "no", "cpu memory", "pids", ""):
        add("delegate", ["Delegate=" + v], desc="Delegate=" + (v or "(empty)"))

    # Capabilities: empty, every single one allowed, every single one dropped, every row's
    # group allowed and dropped, merges of several lines, and the implied drops.
    add("cap", ["CapabilityBoundingSet="], desc="CapabilityBoundingSet=(empty)")
    add("cap", ["CapabilityBoundingSet=~"], desc="CapabilityBoundingSet=~(empty)")
    for cap in CAPS:
        add("cap", ["CapabilityBoundingSet=" + cap])
        add("cap-not", ["CapabilityBoundingSet=~" + cap])
    for g in CAP_GROUPS:
        if len(g) > 1:
            add("capgrp", ["CapabilityBoundingSet=" + " ".join(g)])
            add("capgrp-not", ["CapabilityBoundingSet=~" + " ".join(g)])
            add("capgrp-part", ["CapabilityBoundingSet=~" + " ".join(g[1:])])
    add("cap-merge", ["CapabilityBoundingSet=CAP_SYS_ADMIN", "CapabilityBoundingSet=CAP_KILL"])
    add("cap-merge", ["CapabilityBoundingSet=~CAP_SYS_ADMIN", "CapabilityBoundingSet=~CAP_KILL"])
    add("cap-merge", ["CapabilityBoundingSet=CAP_SYS_ADMIN", "CapabilityBoundingSet="])
    add("cap-merge", ["CapabilityBoundingSet=", "CapabilityBoundingSet=CAP_NET_RAW"])
    add("cap-merge", ["CapabilityBoundingSet=~" + " ".join(CAPS)])
    add("cap-merge", ["CapabilityBoundingSet=" + " ".join(CAPS)])
    for setting, caps in (("ProtectKernelModules=yes", "CAP_SYS_MODULE"),
                          ("ProtectKernelLogs=yes", "CAP_SYSLOG"),
                          ("ProtectClock=yes", "CAP_SYS_TIME CAP_WAKE_ALARM"),
                          ("PrivateDevices=yes", "CAP_MKNOD CAP_SYS_RAWIO")):
        add("cap-implied", [setting, "CapabilityBoundingSet=" + caps])
        add("cap-implied", [setting, "CapabilityBoundingSet=" + caps + " CAP_KILL"])
    for a in ("CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_NET_RAW CAP_NET_ADMIN", "",
              "~CAP_NET_RAW", "CAP_BPF", "CAP_PERFMON"):
        add("ambient", ["AmbientCapabilities=" + a], desc="AmbientCapabilities=" + (a or "(empty)"))
        add("ambient-user", ["AmbientCapabilities=" + a, "User=daemon"],
            desc="AmbientCapabilities=" + (a or "(empty)") + " User=daemon")

    # Namespaces: yes, no, each allowed alone, each denied alone, merges.
    for v in ("yes", "no", "", "~", " ".join(NAMESPACES), "~" + " ".join(NAMESPACES),
              "cgroup ipc", "~cgroup ipc", "user", "~user net"):
        add("ns", ["RestrictNamespaces=" + v], desc="RestrictNamespaces=" + (v or "(empty)"))
    for ns in NAMESPACES:
        add("ns-only", ["RestrictNamespaces=" + ns])
        add("ns-not", ["RestrictNamespaces=~" + ns])
    add("ns-merge", ["RestrictNamespaces=net", "RestrictNamespaces=ipc"])
    add("ns-merge", ["RestrictNamespaces=~net", "RestrictNamespaces=~ipc"])
    add("ns-merge", ["RestrictNamespaces=net", "RestrictNamespaces=~ipc"])
    add("ns-merge", ["RestrictNamespaces=yes", "RestrictNamespaces=~mnt"])
    add("ns-merge", ["RestrictNamespaces=no", "RestrictNamespaces=user"])

    # Address families: none, allow lists, deny lists, exotic families, merges.
    for v in ("none", "AF_UNIX", "AF_INET", "AF_INET6", "AF_INET AF_INET6", "AF_NETLINK",
              "AF_PACKET", "AF_X25", "AF_UNIX AF_X25", "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
              "AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET", "AF_BLUETOOTH AF_CAN AF_ALG",
              "AF_VSOCK", "AF_QIPCRTR", "~AF_UNIX", "~AF_INET", "~AF_INET6", "~AF_INET AF_INET6",
              "~AF_PACKET", "~AF_NETLINK", "~AF_X25", "~AF_X25 AF_BLUETOOTH", "~AF_VSOCK AF_UNIX",
              "~none", "", "AF_NONEXISTENT", "~AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET"):
        add("af", ["RestrictAddressFamilies=" + v],
            desc="RestrictAddressFamilies=" + (v or "(empty)"))
    add("af-merge", ["RestrictAddressFamilies=AF_UNIX", "RestrictAddressFamilies=AF_INET"])
    add("af-merge", ["RestrictAddressFamilies=~AF_UNIX", "RestrictAddressFamilies=~AF_X25"])
    add("af-merge", ["RestrictAddressFamilies=AF_UNIX AF_INET", "RestrictAddressFamilies=~AF_INET"])
    add("af-merge", ["RestrictAddressFamilies=~AF_PACKET", "RestrictAddressFamilies=AF_UNIX"])
    add("af-merge", ["RestrictAddressFamilies=AF_INET", "RestrictAddressFamilies="])

    for v in ("native", "x86-64", "native x86", "x86", "x32", "native x86-64", "",
              "x86-64 x86 x32", "arm64"):
        add("arch", ["SystemCallArchitectures=" + v],
            desc="SystemCallArchitectures=" + (v or "(empty)"))
    add("arch-merge", ["SystemCallArchitectures=native", "SystemCallArchitectures=x86"])
    add("arch-merge", ["SystemCallArchitectures=x86", "SystemCallArchitectures="])

    # System calls: every group as allow list and as deny list, errno suffixes, single calls,
    # mixes of allow and deny lines.
    for g in SYSCALL_GROUPS:
        add("scf", ["SystemCallFilter=" + g])
        add("scf-not", ["SystemCallFilter=~" + g])
    for lines in (
            ["SystemCallFilter=@system-service", "SystemCallFilter=~@resources @privileged"],
            ["SystemCallFilter=~@mount", "SystemCallFilter=@system-service"],
            ["SystemCallFilter=@system-service", "SystemCallErrorNumber=EPERM"],
            ["SystemCallFilter=~@privileged:EPERM"],
            ["SystemCallFilter=~@mount:ENOSYS", "SystemCallFilter=~@swap:EACCES"],
            ["SystemCallFilter=~ptrace:EACCES"],
            ["SystemCallFilter=@clock:EPERM"],
            ["SystemCallFilter=@system-service @clock:EPERM"],
            ["SystemCallFilter=ptrace"], ["SystemCallFilter=~ptrace"],
            ["SystemCallFilter=swapon"], ["SystemCallFilter=~swapon swapoff"],
            ["SystemCallFilter=~swapon"], ["SystemCallFilter=~reboot kexec_load kexec_file_load"],
            ["SystemCallFilter=~xt_no_such_syscall"], ["SystemCallFilter=xt_no_such_syscall"],
            ["SystemCallFilter=~@swap @obsolete @clock @cpu-emulation @debug @mount @module "
             "@raw-io @reboot @privileged @resources"],
            ["SystemCallFilter=@basic-io @file-system @io-event @ipc @network-io @process "
             "@signal @timer"],
            ["SystemCallFilter=@default"], ["SystemCallFilter="], ["SystemCallFilter=~"],
            ["SystemCallFilter=@system-service", "SystemCallFilter="],
            ["SystemCallFilter=~@debug", "SystemCallFilter=ptrace"],
            ["SystemCallFilter=@known", "SystemCallFilter=~@privileged"],
            ["SystemCallFilter=~@known"],
            ["SystemCallFilter=~_sysctl afs_syscall bdflush break create_module ftime"],
            ["SystemCallFilter=setuid setgid"], ["SystemCallFilter=~@chown @setuid"],
            ["SystemCallFilter=nice"], ["SystemCallFilter=~@sandbox"],
            ["SystemCallFilter=@system-service", "SystemCallLog=@privileged"],
            ["SystemCallFilter=@system-service", "SystemCallArchitectures=native"]):
        add("scf-mix", lines)

    # IP address access lists and BPF filters.
    for deny, allow in (
            ("any", None), ("any", "localhost"), ("any", "127.0.0.1"), ("any", "127.0.0.0/8"),
            ("any", "::1"), ("any", "10.0.0.0/8"), ("any", "127.0.0.1/32"), ("any", "127.0.0.0/16"),
            ("any", "127.1.2.3/8"), ("any", "::1/128"), ("any", "::1/64"), ("any", "localhost ::1"),
            ("any", "localhost 10.0.0.0/8"), ("any", "link-local"), ("any", "multicast"),
            ("any", "any"), ("0.0.0.0/0", None), ("::/0", None), ("0.0.0.0/0 ::/0", None),
            ("0.0.0.0/0 ::/0", "localhost"), ("localhost", None), ("10.0.0.0/8", None),
            (None, "localhost"), (None, "10.0.0.0/8"), ("any", "192.168.0.0/16 127.0.0.0/8"),
            ("0.0.0.0/1 128.0.0.0/1 ::/0", None), ("", None)):
        lines = []
        if deny is not None:
            lines.append("IPAddressDeny=" + deny)
        if allow is not None:
            lines.append("IPAddressAllow=" + allow)
        add("ip", lines, desc=" ".join(lines) or "IPAddressDeny=(empty)")
    for lines in (["IPIngressFilterPath=/sys/fs/bpf/xt-in"],
                  ["IPEgressFilterPath=/sys/fs/bpf/xt-out"],
                  ["IPIngressFilterPath=/sys/fs/bpf/xt-in", "IPEgressFilterPath=/sys/fs/bpf/xt-out"],
                  ["IPAddressDeny=any", "IPIngressFilterPath=/sys/fs/bpf/xt-in"],
                  ["IPAddressAllow=10.0.0.0/8", "IPEgressFilterPath=/sys/fs/bpf/xt-out"]):
        add("ipbpf", lines)

    # Devices.
    for policy in (None, "auto", "closed", "strict"):
        for allow in (None, "/dev/null rw", "char-rtc r", "/dev/sda r", "block-loop rwm"):
            lines = []
            if policy:
                lines.append("DevicePolicy=" + policy)
            if allow:
                lines.append("DeviceAllow=" + allow)
            add("dev", lines, desc=" ".join(lines) or "device defaults")
    for lines in (["PrivateDevices=yes"], ["PrivateDevices=yes", "ProtectClock=yes"],
                  ["DevicePolicy=closed", "ProtectClock=yes"],
                  ["DeviceAllow=/dev/null rw", "ProtectClock=yes"], ["ProtectClock=yes"],
                  ["PrivateDevices=yes", "DeviceAllow=/dev/null rw"],
                  ["PrivateDevices=yes", "DevicePolicy=auto"], ["DeviceAllow="],
                  ["DeviceAllow=/dev/null rw", "DeviceAllow="]):
        add("dev-mix", lines)

    # Boot phase, types.
    add("nodd", [], ["DefaultDependencies=no"], desc="DefaultDependencies=no")
    add("nodd", ["DynamicUser=yes"], ["DefaultDependencies=no"])
    add("nodd", ["ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"],
        ["DefaultDependencies=no"])
    add("nodd", [], ["DefaultDependencies=yes"], desc="DefaultDependencies=yes")
    for t in ("simple", "exec", "forking", "oneshot", "notify", "idle", "notify-reload"):
        add("type", [], stype=t, desc="Type=" + t)
    add("type", ["BusName=org.example.XtTest"], stype="dbus", desc="Type=dbus")
    add("type", ["RemainAfterExit=yes"], stype="oneshot", desc="Type=oneshot RemainAfterExit")
    add("type", ["PrivateNetwork=yes", "DynamicUser=yes"], stype="oneshot",
        desc="Type=oneshot hardened")
    return c


# A service hardened as far as systemd-analyze can see (SAFE, not PERFECT: ProtectClock=yes
# with a closed device policy always adds char-rtc, issue systemd#32513).
HARDENED = [
    "DynamicUser=yes", "PrivateDevices=yes", "PrivateMounts=yes", "PrivateNetwork=yes",
    "PrivateTmp=yes", "PrivateUsers=yes", "ProtectControlGroups=yes", "ProtectKernelModules=yes",
    "ProtectKernelTunables=yes", "ProtectKernelLogs=yes", "ProtectClock=yes", "ProtectHome=yes",
    "ProtectHostname=yes", "ProtectSystem=strict", "RootDirectory=/srv/xt", "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=", "UMask=0077",
    "KeyringMode=private", "ProtectProc=invisible", "ProcSubset=pid", "NotifyAccess=none",
    "RemoveIPC=yes", "Delegate=no", "RestrictRealtime=yes", "RestrictSUIDSGID=yes",
    "RestrictNamespaces=yes", "RestrictAddressFamilies=none", "SystemCallArchitectures=native",
    "SystemCallFilter=@basic-io @file-system @io-event @ipc @network-io @process @signal @timer",
    "IPAddressDeny=any", "DevicePolicy=closed", "AmbientCapabilities=",
]


def _gated(lines, version):
    """lines, with the settings `version` does not know replaced by their nearest equivalent
    (for the units that are meant to be as hardened as that version allows)."""
    out = []
    for line in lines:
        if line == "RestrictAddressFamilies=none" and version < 249:
            line = "RestrictAddressFamilies=AF_UNIX"   # "none" arrived in systemd 249
        out.append(line)
    return out


def _pool(cases):
    """Single settings (service lines) that random combinations draw from."""
    seen = set()
    pool = []
    for cat, _desc, lines, unit_lines, stype in cases:
        if unit_lines or stype or cat.startswith("user") and len(lines) > 1:
            continue
        key = tuple(lines)
        if key not in seen:
            seen.add(key)
            pool.append(lines)
    for u in USERS:
        if u and tuple(u) not in seen:
            seen.add(tuple(u))
            pool.append(u)
    return pool


def generate(version, n_random=200, seed=SEED):
    """All test units for a systemd `version` (an int, e.g. 252)."""
    us = UnitSet()
    name = _Namer()
    cases = _cases()
    for cat, desc, lines, unit_lines, stype in cases:
        us.add(name(cat, desc), unit_text(lines, desc, stype, unit_lines=unit_lines))

    hardened = _gated(HARDENED, version)
    us.add(PREFIX + "hardened.service", unit_text(hardened, "hardened"))
    us.add(PREFIX + "hardened-noclock.service",
           unit_text([x for x in hardened if x != "ProtectClock=yes"], "hardened, no ProtectClock"))
    us.add(PREFIX + "hardened-static.service",
           unit_text([x for x in hardened if x != "DynamicUser=yes"] + ["User=daemon"],
                     "hardened, static user"))

    # Seeded random combinations of 2..14 settings, also over types and the boot phase.
    rng = random.Random(seed)
    pool = _pool(cases)
    for i in range(n_random):
        k = rng.randint(2, 14)
        lines = []
        for opt in rng.sample(pool, k):
            lines += opt
        unit_lines = ["DefaultDependencies=no"] if rng.random() < 0.1 else []
        stype = rng.choice([None] * 8 + ["notify", "exec", "oneshot", "forking"])
        us.add("%srandom-%03d.service" % (PREFIX, i),
               unit_text(lines, "random %d" % i, stype, unit_lines=unit_lines))

    # Templates, instances (User=%i makes the instance name matter), an alias, a drop-in,
    # names that need bus-path escaping.
    us.files[PREFIX + "tmpl@.service"] = unit_text(["PrivateNetwork=yes"], "template %i")
    us.files[PREFIX + "tmpl-user@.service"] = unit_text(["User=%i", "ProtectSystem=full"],
                                                        "template User=%i")
    us.named_extra += [PREFIX + "tmpl@.service", PREFIX + "tmpl-user@.service"]
    for inst, tmpl in (("one", "tmpl"), ("two", "tmpl"), ("nobody", "tmpl-user"),
                       ("root", "tmpl-user"), ("daemon", "tmpl-user"), ("a\\x2db", "tmpl")):
        iname = "%s%s@%s.service" % (PREFIX, tmpl, inst)
        us.loadable.append(iname)
        us.want(iname, "%s%s@.service" % (PREFIX, tmpl))
    us.add(PREFIX + "aliased.service", unit_text(["User=daemon", "PrivateTmp=yes"], "aliased"))
    us.files[PREFIX + "alias.service"] = ("symlink", PREFIX + "aliased.service")
    us.named_extra.append(PREFIX + "alias.service")
    us.add(PREFIX + "dropin.service", unit_text(["PrivateNetwork=no"], "drop-in base"))
    us.files[PREFIX + "dropin.service.d/50-harden.conf"] = (
        "[Service]\nPrivateNetwork=yes\nUser=daemon\nCapabilityBoundingSet=CAP_KILL\n")
    for weird in ("xt-esc\\x2dname.service", "xt-colon:a.service", "xt-under_score.service",
                  "xt-dots.a.b.service", "xt-9.service", "xt-UPPER.service"):
        us.add(weird, unit_text(["ProtectHome=read-only"], "name escaping"))

    # Units some tests start: their properties after start-up must score the same.
    for n, lines, stype in (("start-simple", ["PrivateTmp=yes", "ProtectSystem=strict"], None),
                            ("start-dynamic", ["DynamicUser=yes"], None),
                            ("start-remain", ["RemainAfterExit=yes", "User=daemon"], "oneshot"),
                            ("start-hardened",
                             [x for x in hardened if not x.startswith("RootDirectory=")], None)):
        n = "%s%s.service" % (PREFIX, n)
        us.add(n, unit_text(lines, "started", stype))
        us.start.append(n)
    us.files["xt-started-failed.service"] = unit_text([], "fails", exec_start="/bin/false")
    us.loadable.append("xt-started-failed.service")
    us.start.append("xt-started-failed.service")

    # Both tools must refuse these, and the no-argument listing must skip the service ones.
    us.files[PREFIX + "masked.service"] = ("symlink", "/dev/null")
    us.want(PREFIX + "masked.service")
    us.errors[PREFIX + "masked.service"] = "masked"
    us.files[PREFIX + "noexec.service"] = "[Unit]\nDescription=no ExecStart\n[Service]\n"
    us.want(PREFIX + "noexec.service")
    us.errors[PREFIX + "noexec.service"] = "bad-setting (no ExecStart=)"
    us.errors[PREFIX + "does-not-exist.service"] = "not found"
    us.files[PREFIX + "target.target"] = "[Unit]\nDescription=not a service\n"
    us.errors[PREFIX + "target.target"] = "not a service unit"
    us.files[PREFIX + "sock.socket"] = "[Socket]\nListenStream=/run/xt-sock\n"
    us.errors[PREFIX + "sock.socket"] = "not a service unit"
    us.errors[PREFIX + "tmpl@.socket"] = "not a service unit"
    return us


def main():
    import sys
    version = int(sys.argv[1]) if len(sys.argv) > 1 else 252
    us = generate(version)
    print("%d files, %d loadable services, %d more named, %d errors, %d wanted"
          % (len(us.files), len(us.loadable), len(us.named_extra), len(us.errors), len(us.wanted)))


if __name__ == "__main__":
    main()
