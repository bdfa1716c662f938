#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write a synthetic exposured fleet into a Prometheus TSDB, for bench-fleet.py.

    bench/gen-fleet.py --out DIR [--hosts 1000] [--services 200] [--hours 24] [--step 900]

DIR/data becomes a TSDB (`promtool tsdb create-blocks-from openmetrics`) that a real Prometheus
can serve: the history. DIR/current.prom is the fleet's current state as one exposition (text
format 0.0.4, every series with its own job and instance labels): bench-fleet.py serves it on
loopback and has Prometheus scrape it (honor_labels), so the current state is live in
Prometheus' head, recording rules can write, and instant queries at "now" find every series.
(Samples written into blocks ahead of time would not do: the head refuses any sample older than
the newest block, so recording rules could not write.) What is in it, per host: the series a real
exposured exports (exposured_host_info, up, exposured_up, exposured_last_scan_timestamp_seconds,
exposured_units{predicate} x 7) and per service exposured_unit_exposure,
exposured_unit_predicate and exposured_regressions_total.

Time: `--hours` of history up to 10 minutes ago at `--step` seconds (the issue's "24 h at a
15-minute step").

The fleet: host i runs systemd 247, 252, 257 or 262 (i mod 4); service s has a base exposure
between 1.0 and 9.9; every fifth service drifts (its exposure depends on the host); about 1 % of
(host, service) pairs regressed once during the history (+0.5, counter 0 -> 1). Deterministic.

promtool 2.42 re-reads its whole input once per 2-hour block, so the input is written as one
file per 2-hour window and converted by two promtool processes in parallel: each file is read
twice (its time range, then its block) instead of the whole fleet 13 times. Standard library only.
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

BLOCK = 2 * 3600
JOB = "exposured"
VERSIONS = [("247.3-7+deb11u6", "11"), ("252.39-1~deb12u2", "12"), ("257.9-1~deb13u1", "13"),
            ("262.1-1", "")]
PREDICATES = [(10.0, "DANGEROUS"), (9.0, "UNSAFE"), (7.5, "EXPOSED"), (5.0, "MEDIUM"),
              (1.0, "OK"), (0.1, "SAFE"), (0.0, "PERFECT")]


def predicate(x):
    for threshold, name in PREDICATES:
        if x >= threshold:
            return name
    return "PERFECT"


class Fleet:
    def __init__(self, hosts, services, times):
        self.hosts = hosts
        self.services = services
        self.times = times            # sorted unix seconds
        self.n = len(times)

    def instance(self, i):
        return "h%04d.fleet:9573" % i

    def exposure(self, i, s):
        base = ((s * 37) % 90 + 10) / 10.0
        if s % 5 == 0:
            base = min(10.0, base + ((i * s) % 7) / 10.0)
        return round(base, 1)

    def regression_step(self, i, s):
        """The time index at which (i, s) regressed, or None."""
        if (i * 31 + s * 17) % 100 != 0:
            return None
        return (i + s) % max(1, self.n - 1) + 1

    def unit_values(self, i, s):
        """[(exposure, regressions)] per time index."""
        base = self.exposure(i, s)
        k = self.regression_step(i, s)
        if k is None:
            return [(base, 0)] * self.n
        high = min(10.0, round(base + 0.5, 1))
        return [(base, 0)] * k + [(high, 1)] * (self.n - k)


def write_window(fleet, path, lo, hi):
    """Every sample with lo <= t < hi, family by family (OpenMetrics wants families whole)."""
    idx = [k for k, t in enumerate(fleet.times) if lo <= t < hi]
    if not idx:
        return False
    ts = [str(fleet.times[k]) for k in idx]
    H, S = fleet.hosts, fleet.services
    units = ["svc-%03d.service" % s for s in range(S)]
    with open(path, "w", encoding="utf-8", buffering=1 << 22) as f:
        w = f.write

        def series(sample, labels, values):
            head = "%s{%s} " % (sample, labels)
            w("".join("%s%s %s\n" % (head, v, t) for v, t in zip(values, ts)))

        hl = ['instance="%s",job="%s"' % (fleet.instance(i), JOB) for i in range(H)]
        w("# TYPE up gauge\n")
        for i in range(H):
            series("up", hl[i], ["1"] * len(idx))
        w("# TYPE exposured_host info\n")
        for i in range(H):
            v, osv = VERSIONS[i % len(VERSIONS)]
            labels = ('hostname="h%04d",instance="%s",job="%s",kernel="6.1.0-28-amd64",'
                      'machine_id="%032x",os_id="debian",os_version_id="%s",'
                      'systemd_version="%s"' % (i, fleet.instance(i), JOB, i + 1, osv, v))
            series("exposured_host_info", labels, ["1"] * len(idx))
        w("# TYPE exposured_up gauge\n")
        for i in range(H):
            series("exposured_up", hl[i], ["1"] * len(idx))
        w("# TYPE exposured_last_scan_timestamp_seconds gauge\n")
        for i in range(H):
            series("exposured_last_scan_timestamp_seconds", hl[i],
                   [str(fleet.times[k] - 30) for k in idx])

        values = {}
        for i in range(H):
            for s in range(S):
                values[(i, s)] = fleet.unit_values(i, s)
        w("# TYPE exposured_units gauge\n")
        for i in range(H):
            for _, p in PREDICATES:
                counts = [str(sum(1 for s in range(S) if predicate(values[(i, s)][k][0]) == p))
                          for k in idx]
                series("exposured_units", '%s,predicate="%s"' % (hl[i], p), counts)
        w("# TYPE exposured_unit_exposure gauge\n")
        for i in range(H):
            for s in range(S):
                v = values[(i, s)]
                series("exposured_unit_exposure", '%s,unit="%s"' % (hl[i], units[s]),
                       [repr(v[k][0]) for k in idx])
        w("# TYPE exposured_unit_predicate gauge\n")
        for i in range(H):
            for s in range(S):
                v = values[(i, s)]
                # one series per current predicate: a regression that crosses a threshold ends
                # one series and starts another, as the daemon's output does
                by_pred = {}
                for k in idx:
                    by_pred.setdefault(predicate(v[k][0]), []).append(k)
                for p, ks in by_pred.items():
                    head = 'exposured_unit_predicate{%s,unit="%s",predicate="%s"} 1 ' % (
                        hl[i], units[s], p)
                    w("".join("%s%d\n" % (head, fleet.times[k]) for k in ks))
        w("# TYPE exposured_regressions counter\n")
        for i in range(H):
            for s in range(S):
                v = values[(i, s)]
                series("exposured_regressions_total", '%s,unit="%s"' % (hl[i], units[s]),
                       [str(v[k][1]) for k in idx])
        w("# EOF\n")
    return True


def write_current(fleet, path):
    """The last time point as an exposition without timestamps (scraped by bench-fleet.py)."""
    one = Fleet(fleet.hosts, fleet.services, fleet.times)
    tmp = path + ".om"
    write_window(one, tmp, fleet.times[-1], fleet.times[-1] + 1)
    with open(tmp, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        for line in src:
            if line.startswith("#"):
                # 0.0.4: the info family becomes a gauge, the counter is named with _total
                if line.startswith("# TYPE"):
                    _, _, name, kind = line.split()
                    if kind == "info":
                        line = "# TYPE %s_info gauge\n" % name
                    elif kind == "counter":
                        line = "# TYPE %s_total counter\n" % name
                elif line.startswith("# EOF"):
                    continue
                out.write(line)
            else:
                out.write(line.rsplit(" ", 1)[0] + "\n")
    os.unlink(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--services", type=int, default=200)
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--step", type=int, default=900)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()

    now = int(time.time())
    times = list(range(now - 600 - int(a.hours * 3600), now - 600 + 1, a.step))
    fleet = Fleet(a.hosts, a.services, times)
    os.makedirs(a.out, exist_ok=True)
    data = os.path.join(a.out, "data")
    if os.path.exists(data):
        sys.exit("%s exists: remove it first" % data)
    t_start = time.monotonic()
    windows = range(times[0] // BLOCK * BLOCK, times[-1] + 1, BLOCK)

    def one(lo):
        path = os.path.join(a.out, "fleet-%d.om" % lo)
        if not write_window(fleet, path, lo, lo + BLOCK):
            return 0, 0
        size = os.path.getsize(path)
        r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", path,
                            data], capture_output=True, text=True, check=False)
        os.unlink(path)
        if r.returncode != 0:
            raise RuntimeError("promtool failed on %s: %s" % (path, r.stderr[-2000:]))
        return 1, size

    # Python writes (one core), promtool converts (the other): two workers keep both busy.
    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        results = list(ex.map(one, windows))
    n_series = a.hosts * (a.services * 3 + 4 + len(PREDICATES) + 1)
    print("fleet: %d hosts x %d services, %d time points (%s .. %s), ~%d series, %d blocks from "
          "%.1f GB of OpenMetrics in %.0f s -> %s"
          % (a.hosts, a.services, len(times), time.strftime("%H:%M", time.gmtime(times[0])),
             time.strftime("%H:%M", time.gmtime(times[-1])), n_series,
             sum(r[0] for r in results), sum(r[1] for r in results) / 1e9,
             time.monotonic() - t_start, data))
    write_current(fleet, os.path.join(a.out, "current.prom"))
    with open(os.path.join(a.out, "fleet.json"), "w", encoding="utf-8") as f:
        f.write('{"hosts": %d, "services": %d, "generated": %d, "history_until": %d}\n'
                % (a.hosts, a.services, now, times[-1]))


if __name__ == "__main__":
    main()
