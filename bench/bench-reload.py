#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark (issue 12): what one changed unit and a daemon-reload cost PID 1 with exposured
watching, against the reload alone, and how soon the fresh score is in /metrics. Not a test:
nothing is asserted.

Boots a throwaway systemd 252 container (the host's, generators masked like the daemon tests),
loads N generated services (bench-daemon.py's units: oneshot, RemainAfterExit=yes, varied
hardening) and gives one of them a drop-in. Then, R rounds, side by side in one run, in ABBA
order (even rounds alone first, odd rounds watched first, so that a drift over the run weighs on
both sides alike):
  - alone: exposured stopped; the drop-in is rewritten in place (PrivateNetwork= flipped), then
    `systemctl daemon-reload`; PID 1's time on CPU (schedstat's sum_exec_runtime, in ns) is read
    before the edit and WINDOW seconds after the reload returned;
  - watched: exposured running (started, its first full scan done, PID 1 quiet again); the same
    edit and reload, the same window; and the latency from the return of daemon-reload until
    /metrics shows the unit's new exposure (polled every 10 ms). The first reload after the
    daemon's start is a full rescan by design; one reload with nothing changed precedes each
    measured one.
The ratio is PID 1's CPU watched / alone: per round (each pair measured minutes apart at most),
their mean, the ratio of the medians and that of the sums, all printed, because on a machine
shared with other jobs they differ; the daemon's own CPU time and the load average are printed
too. Each round's new score is checked against `systemd-analyze security` (outside
the timed window). Run as root: /usr/bin/python3 bench/bench-reload.py [--units 1000]
[--rounds 12] [--window 2.0].
"""

import argparse
import os
import re
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
sys.path.insert(0, os.path.join(TOP, "bench"))

import daemon_fixtures as F  # noqa: E402
import oracle  # noqa: E402

from importlib import import_module  # noqa: E402

BD = import_module("bench-daemon")

UNIT = "bench-0001.service"
DROPIN = "/etc/systemd/system/%s.d/50-flip.conf" % UNIT
FLIP = ("[Service]\nPrivateNetwork=yes\n", "[Service]\nPrivateNetwork=no\n")


def cpu_ns(path):
    """Time on CPU of the process whose /proc/PID is path, in seconds: schedstat's
    sum_exec_runtime in ns (utime + stime of stat count 10 ms ticks: 2-3 % of a reload)."""
    with open(path + "/schedstat", encoding="ascii") as f:
        return int(f.read().split()[0]) / 1e9


def pid1_cpu(c):
    return cpu_ns("/proc/%d" % c.pid1)


def metrics_exposure(d):
    m = d.api.metrics() or {}
    for k, v in m.items():
        if k.startswith("exposured_unit_exposure{") and 'unit="%s"' % UNIT in k:
            return F.fmt_tenths(v)
    return None


def flip(c, k):
    """Rewrite the drop-in in place (same inode, same directory names)."""
    with open(c.path(DROPIN), "r+", encoding="utf-8") as f:
        f.seek(0)
        f.write(FLIP[k % 2])
        f.truncate()


def expected(c):
    rc, reports, err = oracle.analyze_named(c, [UNIT])
    assert reports, err
    return F.fmt_tenths(reports[0]["exposure"])


def med(xs, fmt="%.3f"):
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--exposured", default=os.path.join(TOP, "build", "exposured"))
    ap.add_argument("--name", default="incr-bench",
                    help="the container's machine name prefix")
    a = ap.parse_args()

    c = F.boot_box(a.name)
    try:
        files = BD.unit_files(a.units)
        files[os.path.relpath(DROPIN, "/etc/systemd/system")] = FLIP[0]
        c.install_units(files)
        c.run(["systemctl", "start", "bench.target"], timeout=900)
        d = F.ContainerDaemon(c, a.exposured, unit="exposured-bench.service")
        alone, watched, daemon_cpu, lat, reload_s, n_units = [], [], [], [], [], 0
        scan_s, scan_calls, loads = [], [], []
        state = {"k": 0}

        def measure_alone():
            BD.settle(c)
            state["k"] += 1
            p0 = pid1_cpu(c)
            flip(c, state["k"])
            t = time.monotonic()
            c.daemon_reload()
            reload_s.append(time.monotonic() - t)
            time.sleep(a.window)
            alone.append(pid1_cpu(c) - p0)

        def measure_watched():
            # the first reload after the start is a full rescan (no search stamp yet,
            # docs/architecture.md), so one reload with nothing changed comes first
            d.start()
            BD.settle(c)
            n0 = d.api.status()["scans"]
            c.daemon_reload()
            F.wait_for(lambda: d.api.status()["scans"] > n0, 120, "the warm-up rescan")
            BD.settle(c)
            dpath = c.path("/proc/%s" % d.show("MainPID")["MainPID"])
            state["k"] += 1
            before = metrics_exposure(d)
            p0, q0 = pid1_cpu(c), cpu_ns(dpath)
            flip(c, state["k"])
            c.daemon_reload()
            t_done = time.monotonic()
            while True:
                got = metrics_exposure(d)
                if got is not None and got != before:
                    break
                if time.monotonic() - t_done > 30:
                    raise AssertionError("no fresh score in /metrics after 30 s")
                time.sleep(0.01)
            lat.append(time.monotonic() - t_done)
            time.sleep(max(0.0, a.window - (time.monotonic() - t_done)))
            watched.append(pid1_cpu(c) - p0)
            daemon_cpu.append(cpu_ns(dpath) - q0)
            ok = expected(c) == metrics_exposure(d)
            inc = [e["MESSAGE"] for e in d.journal("_SYSTEMD_UNIT=" + d.unit)
                   if e.get("MESSAGE", "").startswith("Incremental scan done")]
            m = re.match(r"Incremental scan done: (\d+) of (\d+) units read, (\d+) calls, "
                         r"([\d.]+)s", inc[-1] if inc else "")
            if m:
                scan_s.append(float(m.group(4)))
                scan_calls.append("%s of %s units, %s calls" % m.group(1, 2, 3))
            state["units"] = d.api.status()["units"]
            d.stop()
            return ok

        for r in range(a.rounds):
            # ABBA: odd rounds measure the watched reload first, so that a drift over the run
            # (PID 1's heap, the other jobs' load) weighs on both sides alike
            loads.append(os.getloadavg()[0])
            if r % 2 == 0:
                measure_alone()
                ok = measure_watched()
            else:
                ok = measure_watched()
                measure_alone()
            print("round %d (%s first, load %.1f): reload alone %.3f s PID 1, watched %.3f s "
                  "PID 1 + %.3f s daemon, ratio %.2f, fresh score after %.3f s (%s)"
                  % (r, "alone" if r % 2 == 0 else "watched", loads[-1], alone[-1],
                     watched[-1], daemon_cpu[-1], watched[-1] / alone[-1], lat[-1],
                     "= systemd-analyze" if ok else "DIFFERS from systemd-analyze"),
                  file=sys.stderr)
        n_units = state.get("units", 0)
    finally:
        c.poweroff()

    ratios = [w / x for w, x in zip(watched, alone) if x > 0]
    print("| measure (%d rounds, ABBA order, %d services watched, load average %.1f-%.1f) "
          "| median (min-max) |" % (a.rounds, n_units, min(loads), max(loads)))
    print("|---|---|")
    print("| daemon-reload wall time | %s s |" % med(reload_s))
    print("| PID 1 CPU, reload alone | %s s |" % med(alone))
    print("| PID 1 CPU, reload + exposured | %s s |" % med(watched))
    print("| ratio watched / alone, per round (paired) | %s |" % med(ratios, "%.2f"))
    print("| ... mean of the per-round ratios | %.2f |" % statistics.mean(ratios))
    print("| ratio of the medians (unpaired) | %.2f |"
          % (statistics.median(watched) / statistics.median(alone)))
    print("| ratio of the sums (all rounds' PID 1 CPU) | %.2f |" % (sum(watched) / sum(alone)))
    print("| exposured CPU | %s s |" % med(daemon_cpu))
    print("| reload return -> fresh score in /metrics | %s s |" % med(lat))
    if scan_s:
        print("| ... of which the incremental scan (ListUnits + reads) | %s s |" % med(scan_s))
        print("| ... what it read | %s |" % "; ".join(sorted(set(scan_calls))))


if __name__ == "__main__":
    main()
