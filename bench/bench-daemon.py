#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: `exposured run` watching 1,000 services. Not a test: nothing is asserted.

Boots a throwaway systemd container (the host's 252, generators masked like the daemon tests),
loads N generated oneshot services (RemainAfterExit=yes, no process left; their hardening varies
so that scoring has work to do) through one target, starts the daemon inside it as a Type=notify
service and measures:
  - rescan cost after one daemon-reload: from the return of `systemctl daemon-reload` (PID 1
    replies right after it sends Reloading(false)) until the scans table holds the new scan's
    row, i.e. coalescing (rescan_coalesce, 500 ms by default) + scan + scoring + commit; and the
    scan's own numbers from its debug line (units, D-Bus calls, seconds) and the scans table;
  - the daemon's memory with N services watched: VmRSS and VmHWM from /proc;
  - database bytes per stored change: a prefix drop-in (bench-.service.d/) flips PrivateNetwork=
    of every generated unit at once, K times; the database file is measured with the daemon
    stopped (closing checkpoints the WAL) before and after, and divided by the change rows added.
Prints a markdown table. Run as root: /usr/bin/python3 bench/bench-daemon.py [--units 1000]
[--reloads 7] [--flips 6].
"""

import argparse
import os
import re
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import daemon_fixtures as F  # noqa: E402

HARDENING = [
    "PrivateTmp=yes", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
    "ProtectKernelTunables=yes", "ProtectControlGroups=yes", "RestrictRealtime=yes",
    "MemoryDenyWriteExecute=yes", "LockPersonality=yes", "RestrictSUIDSGID=yes",
    "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "PrivateDevices=yes",
    "RestrictAddressFamilies=AF_UNIX", "ProtectKernelModules=yes", "User=nobody",
]


def unit_files(n):
    files = {}
    names = []
    for i in range(n):
        name = "bench-%04d.service" % i
        names.append(name)
        # unit i gets the hardening settings whose bit is set in i: 2^16 combinations
        lines = [h for b, h in enumerate(HARDENING) if i >> (b % 10) & 1 and b < 10 + (i % 7)]
        files[name] = ("[Unit]\nDescription=bench %d\n[Service]\nType=oneshot\n"
                       "RemainAfterExit=yes\nExecStart=/bin/true\n%s\n" % (i, "\n".join(lines)))
    files["bench.target"] = "[Unit]\nDescription=bench\nWants=%s\n" % " ".join(names)
    return files


def full_scan_entry(d, after_usec, min_units):
    """(journal entry, (units, calls, seconds)) of the first "Scan done" debug line logged after
    after_usec for at least min_units units, or None. It is logged after the scan is stored."""
    for e in d.journal("_SYSTEMD_UNIT=" + d.unit):
        if int(e["__REALTIME_TIMESTAMP"]) < after_usec:
            continue
        m = re.match(r"Scan done: (\d+) units, (\d+) calls, ([\d.]+)s", e.get("MESSAGE", ""))
        if m and int(m.group(1)) >= min_units:
            return e, (int(m.group(1)), int(m.group(2)), float(m.group(3)))
    return None


def settle(c, quiet=0.05, timeout=120):
    """Wait until PID 1 of the container used less than `quiet` of a CPU for a second: no
    reload, start-up or journal flood of earlier steps left to compete with the measurement."""
    def cpu():
        return cpu_seconds("/proc/%d/stat" % c.pid1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c0 = cpu()
        time.sleep(1)
        if cpu() - c0 < quiet:
            return


def cpu_seconds(path):
    """utime + stime of /proc/PID/stat at path, in seconds."""
    with open(path, encoding="ascii") as f:
        x = f.read().rsplit(")", 1)[1].split()
    return (int(x[11]) + int(x[12])) / os.sysconf("SC_CLK_TCK")


def mem(d):
    pid = int(d.show("MainPID")["MainPID"])
    out = {}
    with open(d.c.path("/proc/%d/status" % pid), encoding="ascii") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def db_bytes(c, path):
    return sum(os.path.getsize(c.path(path + s)) for s in ("", "-wal")
               if os.path.exists(c.path(path + s)))


def med(xs):
    return "%.3f (%.3f-%.3f)" % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--reloads", type=int, default=10)
    ap.add_argument("--flips", type=int, default=6)
    ap.add_argument("--exposured", default=os.path.join(TOP, "build", "exposured"))
    a = ap.parse_args()

    c = F.boot_box("daemontest-bench")
    try:
        t = time.monotonic()
        c.install_units(unit_files(a.units))
        c.run(["systemctl", "start", "bench.target"], timeout=900)
        print("loaded and started %d units in %.1fs" % (a.units, time.monotonic() - t),
              file=sys.stderr)
        settle(c)
        d = F.ContainerDaemon(c, a.exposured, unit="exposured-bench.service")
        t = time.monotonic()
        d.start()
        startup = time.monotonic() - t
        first = d.db.query("SELECT duration, units FROM scans ORDER BY time")[0]
        m_start = mem(d)

        # 1. rescan after one reload (nothing changed: the usual case). The full rescan is the
        # one whose debug line counts all the units (a unit signal may bring a small scan too).
        lat, scan_s, calls, rss, cpu_d, cpu_p, n_units = [], [], [], [], [], [], None
        for _ in range(a.reloads):
            settle(c)
            n0 = d.api.status()["scans"]
            t_usec = int(time.time() * 1e6)
            c.daemon_reload()
            t_done = time.monotonic()
            dstat = d.c.path("/proc/%s/stat" % d.show("MainPID")["MainPID"])
            cpu0 = (cpu_seconds(dstat), cpu_seconds("/proc/%d/stat" % c.pid1))
            # Poll the cheap /api/v1/status (the scan counter moves in the same event-loop turn
            # that stores the scan); read the journal only when a scan was counted.
            e = None
            while e is None:
                F.wait_for(lambda: d.api.status()["scans"] > n0, 120, "a rescan")
                t_seen = time.monotonic()
                n0 = d.api.status()["scans"]
                e = full_scan_entry(d, t_usec, a.units)
            n_units, ncalls, secs = e[1]
            lat.append(t_seen - t_done)
            cpu_d.append(cpu_seconds(dstat) - cpu0[0])
            cpu_p.append(cpu_seconds("/proc/%d/stat" % c.pid1) - cpu0[1])
            scan_s.append(secs)
            calls.append(ncalls)
            rss.append(mem(d)["VmRSS"])
        m_after = mem(d)

        # 3. bytes per change: flip every generated unit K times
        d.stop()
        size0 = db_bytes(c, d.db_path)
        rows0 = d.db.scalar("SELECT count(*) FROM changes")
        d.start()
        dropin = {"bench-.service.d/flip.conf": "[Service]\nPrivateNetwork=yes\n"}
        for k in range(a.flips):
            if k % 2 == 0:
                c.install_units(dropin)
            else:
                c.remove_units(list(dropin))
            # every generated unit flips PrivateNetwork=, so each flip stores a.units changes
            want = rows0 + (k + 1) * a.units
            F.wait_for(lambda: d.db.scalar("SELECT count(*) FROM changes") >= want, 180,
                       "flip %d stored" % k, interval=0.2)
        d.stop()
        rows1 = d.db.scalar("SELECT count(*) FROM changes")
        size1 = db_bytes(c, d.db_path)
        pages = d.db.query("PRAGMA page_size")[0][0]
    finally:
        c.poweroff()

    n_changes = rows1 - rows0
    print("| %s | %s |" % ("measure", "value"))
    print("|---|---|")
    print("| services watched (all loaded .service units) | %d |" % n_units)
    print("| start to READY=1 (first full scan stored) | %.2f s (scan %.2f s, %d units) |"
          % (startup, first[0] / 1e6, first[1]))
    print("| reload -> rescan stored, median (min-max) of %d | %s s |" % (a.reloads, med(lat)))
    print("| ... of which the scan (ListUnits..last GetAll) | %s s |" % med(scan_s))
    print("| ... of which coalescing (rescan_coalesce) | 0.500 s |")
    print("| reload -> rescan stored, each | %s |" % " ".join("%.2f" % x for x in lat))
    print("| CPU s during each: the daemon | %s |" % " ".join("%.2f" % x for x in cpu_d))
    print("| CPU s during each: PID 1 | %s |" % " ".join("%.2f" % x for x in cpu_p))
    print("| D-Bus calls per full rescan | %s |" % "/".join(str(x) for x in sorted(set(calls))))
    print("| VmRSS after start / after each of %d rescans | %d / %s KiB |"
          % (a.reloads, m_start["VmRSS"], " ".join(str(x) for x in rss)))
    print("| VmHWM (peak RSS) | %d KiB |" % m_after["VmHWM"])
    print("| DB size before / after %d flips (daemon stopped) | %d / %d bytes (page %d) |"
          % (a.flips, size0, size1, pages))
    print("| change rows added | %d |" % n_changes)
    print("| DB bytes per stored change | %.1f |" % ((size1 - size0) / max(n_changes, 1)))


if __name__ == "__main__":
    main()
