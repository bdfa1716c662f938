#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: `exposured run` on a host with 10,000 services. Not a test: nothing is asserted.

Boots a throwaway systemd container (the host's 252, generators masked like the daemon tests) and
loads N generated services (scale-00000.service ...; oneshot, hardening varying from unit to unit
as in bench-daemon.py) through one target that multi-user.target wants, so that every one of them
is loaded (inactive: loading, not running, is what scoring needs). Then, with `exposured run`
inside as a Type=notify service:

  phase 1, a fresh database: start to READY=1 (the first full scan, scored and stored); VmRSS and
  VmHWM; a full rescan after a daemon-reload that changes nothing (return of daemon-reload until
  the scan counter moves); one unit's drop-in changed + daemon-reload until /api/v1/units/UNIT
  shows the new exposure; then R requests each (median, p95) of /metrics, /api/v1/units (the
  default page, the largest page, and every page by cursor), the dashboard (first page, a middle
  page, a filter), the unit page, a unit's history and the events;
  phase 2, a simulated year: the daemon stopped, bench-store (bench/bench-store.c, the daemon's own
  store code) writes 365 days of history for the same unit names into its database (CHANGED units
  change a day, pruned daily at RETENTION days, the default 90), the daemon started on it: start
  time, the pages and history queries again, the file's size.

Run as root: `make bench` (BENCH_ARGS="..." for the options), or after `make all
build/bench/bench-store`:
    /usr/bin/python3 bench/bench-scale.py [--units 10000] [--requests 30] [--changed 1000]
Prints markdown tables (the numbers of bench/README.md's "scale" section).
"""

import argparse
import os
import shutil
import statistics
import subprocess
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
PREFIX = "scale-"


def unit_name(i):
    return "%s%05d.service" % (PREFIX, i)


def unit_files(n):
    files = {}
    names = []
    for i in range(n):
        names.append(unit_name(i))
        lines = [h for b, h in enumerate(HARDENING) if i >> (b % 10) & 1 and b < 10 + (i % 7)]
        files[unit_name(i)] = ("[Unit]\nDescription=scale %d\n[Service]\nType=oneshot\n"
                               "RemainAfterExit=yes\nExecStart=/bin/true\n%s\n"
                               % (i, "\n".join(lines)))
    # Wants= in lines of 500 names: one huge line is legal, but this reads better in a debugger
    wants = "".join("Wants=%s\n" % " ".join(names[k:k + 500]) for k in range(0, n, 500))
    files["scale.target"] = "[Unit]\nDescription=scale\n" + wants
    files["multi-user.target.wants/scale.target"] = ("symlink", "/etc/systemd/system/scale.target")
    return files


def reload(c):
    """daemon-reload, as Manager.Reload() through busctl with a 15-minute timeout: with 10,000
    units on a busy machine PID 1 may take longer to reply than systemctl waits (25 s, or 6 min
    for reloads on 252). Returns the seconds it took."""
    t = time.monotonic()
    c.run(["busctl", "--timeout=900", "call", "org.freedesktop.systemd1",
           "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "Reload"],
          timeout=960)
    return time.monotonic() - t


LIBSYSTEMD = "/usr/lib/x86_64-linux-gnu/libsystemd.so.0"
PROBES = ("probe_libsystemd:sd_event_dispatch", "probe_libsystemd:sd_event_dispatch__return")


def host_pid(c, nspid):
    """The host PID of the container's process nspid (a descendant of the container's PID 1)."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/status" % p, encoding="ascii") as f:
                st = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        ids = st.get("NSpid", "").split()
        if len(ids) < 2 or int(ids[-1]) != nspid:
            continue
        q = int(p)
        while q > 1:
            if q == c.pid1:
                return int(p)
            with open("/proc/%d/status" % q, encoding="ascii") as f:
                q = int(next(line for line in f if line.startswith("PPid:")).split()[1])
    return None


class LoopProbe:
    """The daemon's event-loop iterations, timed from outside: perf uprobes on libsystemd's
    sd_event_dispatch() entry and return (one dispatch = one callback = one loop iteration),
    recorded for one process. The probes are added if missing and removed again at the end.
    Needs root and perf; without them, longest() is None."""

    def __init__(self, pid, out):
        self.out, self.proc, self.added = out, None, False
        if not shutil.which("perf") or pid is None:
            return
        have = subprocess.run(["perf", "probe", "--list"], capture_output=True, text=True).stdout
        if PROBES[0] + " " not in have:
            r = subprocess.run(["perf", "probe", "-q", "-x", os.path.realpath(LIBSYSTEMD),
                                "-a", "sd_event_dispatch", "-a", "sd_event_dispatch%return"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                return
            self.added = True
        self.proc = subprocess.Popen(["perf", "record", "-q", "-e", PROBES[0] + "*", "-p",
                                      str(pid), "-o", out], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def stop(self):
        """[(seconds, start)] of the iterations, longest first, or None."""
        if not self.proc:
            return None
        self.proc.send_signal(2)
        self.proc.wait(timeout=120)
        if self.added:
            subprocess.run(["perf", "probe", "-q", "-d", "probe_libsystemd:sd_event_dispatch*"],
                           capture_output=True)
        out = subprocess.run(["perf", "script", "-i", self.out, "-F", "tid,time,event"],
                             capture_output=True, text=True).stdout
        depth, durs = {}, []
        for line in out.split("\n"):
            f = line.replace(":", " ").split()
            if len(f) < 3:
                continue
            tid, t, ev = f[0], float(f[1]), f[-1]
            st = depth.setdefault(tid, [])
            if ev.endswith("__return"):
                # the probes sit on the function and on its PLT entry: keep the outermost pair
                if st:
                    t0 = st.pop()
                    if not st:
                        durs.append((t - t0, t0))
            else:
                st.append(t)
        return sorted(durs, reverse=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def ms(xs):
    return "%.1f / %.1f" % (statistics.median(xs) * 1e3, pct(xs, 95) * 1e3)


def timed_get(api, path, n):
    """(seconds per request [n], status, body bytes) of n GETs of path."""
    ts, status, size = [], None, 0
    for _ in range(n):
        t = time.monotonic()
        status, body, _ = api.get(path, timeout=120)
        ts.append(time.monotonic() - t)
        size = len(body)
    return ts, status, size


def mem(d):
    pid = int(d.show("MainPID")["MainPID"])
    out = {}
    with open(d.c.path("/proc/%d/status" % pid), encoding="ascii") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def start_daemon(d, timeout=900):
    """Start without systemd-run's 60 s start timeout (a 10,000-unit first scan on a loaded
    machine takes longer): seconds until READY=1."""
    d.install()
    os.makedirs(d.c.path(F.STATE_DIR), exist_ok=True)
    t = time.monotonic()
    d.c.run(["systemd-run", "--no-block", "--unit=" + d.unit, "-p", "Type=notify",
             "-p", "NotifyAccess=main", "-p", "TimeoutStartSec=%d" % timeout, "--"] + d.argv(),
            timeout=60)
    d.started = True
    F.wait_for(lambda: d.show("ActiveState")["ActiveState"] in ("active", "failed"), timeout,
               "READY=1", interval=0.1)
    took = time.monotonic() - t
    if d.show("ActiveState")["ActiveState"] != "active":
        raise AssertionError("daemon failed: %s" % d.describe())
    return took


def endpoint_rows(d, n, rows):
    api = d.api
    u = unit_name(4242)
    pages = [
        ("/metrics", "/metrics"),
        ("/api/v1/units (default limit 1000)", "/api/v1/units"),
        ("/api/v1/units?limit=5000 (the maximum)", "/api/v1/units?limit=5000"),
        ("dashboard / (first page, 200 rows)", "/"),
        ("dashboard /?page=25", "/?page=25"),
        ("dashboard /?q=scale-0042 (filter)", "/?q=scale-0042"),
        ("dashboard /?limit=1000 (the largest page)", "/?limit=1000"),
        ("unit page /units/" + u, "/units/" + u),
        ("/api/v1/units/%s" % u, "/api/v1/units/" + u),
        ("/api/v1/units/%s/history" % u, "/api/v1/units/%s/history" % u),
        ("/api/v1/events (100 newest)", "/api/v1/events"),
        ("/events page", "/events"),
        ("/api/v1/status", "/api/v1/status"),
    ]
    for label, path in pages:
        ts, status, size = timed_get(api, path, n)
        rows.append((label, status, size, ms(ts)))
    # every unit by cursor, as a client reading the whole list does
    ts = []
    for _ in range(max(3, n // 10)):
        t = time.monotonic()
        cursor, got = None, 0
        while True:
            j = api.json("/api/v1/units?limit=1000" + ("&cursor=" + cursor if cursor else ""))
            got += len(j["units"])
            cursor = j["next_cursor"]
            if not cursor:
                break
        ts.append(time.monotonic() - t)
    rows.append(("all %d units by cursor, limit=1000" % got, 200, 0, ms(ts)))


def print_rows(title, rows):
    print("\n%s\n" % title)
    print("| request | status | body | median / p95 ms |")
    print("|---|---:|---:|---:|")
    for label, status, size, t in rows:
        print("| %s | %s | %s | %s |" % (label, status, "%.0f KiB" % (size / 1024) if size else "",
                                          t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--rescans", type=int, default=3)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--changed", type=int, default=1000, help="units changed a simulated day")
    ap.add_argument("--retention", type=int, default=90, help="days (the default retention)")
    ap.add_argument("--exposured", default=os.path.join(TOP, "build", "exposured"))
    ap.add_argument("--bench-store", default=os.path.join(TOP, "build", "bench", "bench-store"),
                    help="built by `make build/bench/bench-store` (`make bench` does)")
    ap.add_argument("--no-year", action="store_true", help="skip phase 2")
    ap.add_argument("--name", default="scale-bench",
                    help="the container's machine name prefix")
    a = ap.parse_args()
    bench_store = a.bench_store
    if not a.no_year and not os.access(bench_store, os.X_OK):
        sys.exit("%s: not built; run `make %s` (or `make bench`)" % (bench_store,
                 os.path.relpath(bench_store, TOP)))

    facts, rows1, rows2 = [], [], []
    facts.append(("load average (1 / 5 / 15 min) at the start",
                  "%.1f / %.1f / %.1f" % os.getloadavg()))
    c = F.boot_box(a.name)
    try:
        c.install_units(unit_files(a.units), reload=False)
        facts.append(("daemon-reload loading the %d units" % a.units, "%.1f s" % reload(c)))
        r = c.run(["systemctl", "list-units", "--type=service", "--all", "--no-legend",
                   "--plain"], timeout=120)
        n_loaded = len(r.stdout.splitlines())
        facts.append(("services loaded (PID 1's ListUnits)", "%d" % n_loaded))
        facts.append(("daemon-reload alone (no exposured)", "%.1f s" % reload(c)))

        d = F.ContainerDaemon(c, a.exposured, unit="exposured-scale.service",
                              args=["--log-level=info"])
        took = start_daemon(d)
        first = d.db.query("SELECT duration, units FROM scans ORDER BY time")[0]
        facts.append(("phase 1: start to READY=1 (first full scan stored)",
                      "%.1f s (scan %.1f s, %d units)" % (took, first[0] / 1e6, first[1])))
        m = mem(d)
        facts.append(("VmRSS / VmHWM after start", "%.1f / %.1f MiB"
                      % (m["VmRSS"] / 1024, m["VmHWM"] / 1024)))

        # full rescans after a reload that changes nothing; meanwhile /api/v1/status is polled
        # (what a client sees while the daemon scans, scores and stores 10,000 units)
        lat, polls, rss = [], [], []
        load0 = os.getloadavg()[0]
        probe = LoopProbe(host_pid(c, int(d.show("MainPID")["MainPID"])),
                          "/var/tmp/%s-loop.perf" % c.name)
        for _ in range(a.rescans):
            n0 = d.api.status()["scans"]
            reload(c)
            t = time.monotonic()
            while True:
                t1 = time.monotonic()
                st = d.api.status()
                polls.append(time.monotonic() - t1)
                if st and st["scans"] > n0:
                    break
                if time.monotonic() - t > 600:
                    raise AssertionError("no rescan within 600 s")
                time.sleep(0.05)
            lat.append(time.monotonic() - t)
            rss.append(mem(d)["VmRSS"] / 1024)
        st = d.api.status()
        facts.append(("reload -> full rescan stored, each of %d" % a.rescans,
                      " ".join("%.1f s" % x for x in lat)
                      + " (last scan %.1f s)" % (st["scan_duration_usec"] / 1e6)))
        facts.append(("/api/v1/status polled during the rescans: median / p99 / max",
                      "%.1f / %.1f / %.1f ms (%d requests)"
                      % (statistics.median(polls) * 1e3, pct(polls, 99) * 1e3,
                         max(polls) * 1e3, len(polls))))
        facts.append(("VmRSS after each rescan", " ".join("%.0f" % x for x in rss) + " MiB"))
        loop = probe.stop()
        if loop:
            facts.append(("event-loop iterations during the rescans (perf uprobes on "
                          "sd_event_dispatch): longest 5; over 100 / 20 ms",
                          "%s ms; %d / %d of %d"
                          % (" ".join("%.0f" % (x * 1e3) for x, _ in loop[:5]),
                             sum(x > 0.1 for x, _ in loop), sum(x > 0.02 for x, _ in loop),
                             len(loop))))
        facts.append(("load average (1 min) before / after the rescans",
                      "%.1f / %.1f" % (load0, os.getloadavg()[0])))
        # one unit changes
        u = unit_name(77)
        before = d.api.json("/api/v1/units/" + u)["exposure"]
        c.install_units({u + ".d/x.conf": "[Service]\nPrivateNetwork=yes\n"}, reload=False)
        reload(c)
        t = time.monotonic()
        F.wait_for(lambda: d.api.json("/api/v1/units/" + u)["exposure"] != before, 600,
                   "the changed unit's score", interval=0.05)
        facts.append(("one drop-in + daemon-reload -> new score in the API",
                      "%.1f s" % (time.monotonic() - t)))
        m = mem(d)
        facts.append(("VmRSS / VmHWM after the rescans and the change", "%.1f / %.1f MiB"
                      % (m["VmRSS"] / 1024, m["VmHWM"] / 1024)))
        endpoint_rows(d, a.requests, rows1)
        d.stop()
        facts.append(("phase 1 database (%d scans)" % d.db.scalar("SELECT count(*) FROM scans"),
                      "%.1f MiB" % (os.path.getsize(c.path(d.db_path)) / 1048576)))

        if not a.no_year:
            # phase 2: a year of history for the same names, written by the daemon's store code
            binary = F.RUN_DIR + "/bench-store"
            subprocess.run(["cp", bench_store, c.path(binary)], check=True)
            r = c.run([binary, d.db_path, str(a.units), str(a.days), str(a.changed),
                       str(a.retention), PREFIX], timeout=3600)
            year = r.stdout
            took = start_daemon(d)
            facts.append(("phase 2: start to READY=1 on the year's database", "%.1f s" % took))
            m = mem(d)
            facts.append(("VmRSS / VmHWM", "%.1f / %.1f MiB" % (m["VmRSS"] / 1024,
                                                                m["VmHWM"] / 1024)))
            endpoint_rows(d, a.requests, rows2)
            d.stop()
            facts.append(("phase 2 database after the daemon ran",
                          "%.1f MiB" % (os.path.getsize(c.path(d.db_path)) / 1048576)))
    finally:
        c.poweroff()
    facts.append(("load average (1 / 5 / 15 min) at the end", "%.1f / %.1f / %.1f"
                  % os.getloadavg()))

    print("| measure | value |")
    print("|---|---|")
    for k, v in facts:
        print("| %s | %s |" % (k, v))
    print_rows("Phase 1: fresh database, %d requests each" % a.requests, rows1)
    if rows2:
        print("\nThe simulated year (bench-store):\n")
        print("```\n%s```" % year)
        print_rows("Phase 2: on the year's database, %d requests each" % a.requests, rows2)


if __name__ == "__main__":
    main()
