# SPDX-License-Identifier: MIT
"""A synthetic fleet in a real Prometheus: the series every host's exposured exports (raw, as
/metrics writes them) written as OpenMetrics, turned into TSDB blocks by
`promtool tsdb create-blocks-from openmetrics`, and served by the Debian `prometheus` binary.
The expected aggregates are computed here from the same numbers, independently of exposured.
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time

import yaml

import containers
from web_fixtures import free_port, http_request, stop, wait_port, wait_until

PREDICATES = [(100, "DANGEROUS"), (90, "UNSAFE"), (75, "EXPOSED"), (50, "MEDIUM"), (10, "OK"),
              (1, "SAFE"), (0, "PERFECT")]


def predicate(tenths):
    for floor, name in PREDICATES:
        if tenths >= floor:
            return name
    return "PERFECT"


def label_value(s):
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


class Fleet:
    """hosts: {instance: {"hostname", "systemd", "up", "last_scan_ago", "units": {unit: tenths},
    "regressions": {unit: [(seconds ago, count)]}}}"""

    def __init__(self, hosts, job="exposured"):
        self.hosts = hosts
        self.job = job

    def expected_units(self):
        by_unit = {}
        for h in self.hosts.values():
            if not h.get("up", True):
                continue
            for u, t in h["units"].items():
                by_unit.setdefault(u, []).append(t)
        return {u: {"hosts": len(v), "min": min(v) / 10, "max": max(v) / 10,
                    "median": round(statistics.median(v) / 10, 2), "drift": min(v) != max(v)}
                for u, v in by_unit.items()}

    def openmetrics(self, end, span, step):
        """Samples every step seconds over [end - span, end]; a host that is "down" has up 0
        and no exposured series in the last 10 minutes."""
        times = list(range(end - span, end + 1, step))
        out = []

        def family(name, typ, series):
            out.append("# TYPE %s %s\n" % (name, typ))
            for labels, values in series:
                lab = ",".join('%s="%s"' % (k, label_value(v)) for k, v in labels)
                sample = name + ("_total" if typ == "counter" else "")
                if typ == "info":
                    sample = name + "_info"
                for t, v in values:
                    out.append("%s{%s} %s %d\n" % (sample, lab, v, t))

        def base(inst):
            return [("job", self.job), ("instance", inst)]

        def alive(h, t):
            return h.get("up", True) or t < end - 600

        up, info, scan, bus, exp, pred, regr, units = [], [], [], [], [], [], [], []
        for inst, h in sorted(self.hosts.items()):
            up.append((base(inst), [(t, 1 if alive(h, t) else 0) for t in times]))
            live = [t for t in times if alive(h, t)]
            info.append((base(inst) + [("hostname", h["hostname"]),
                                       ("systemd_version", h["systemd"]),
                                       ("os_id", "debian"), ("os_version_id", "12"),
                                       ("machine_id", "%032x" % abs(hash(inst))),
                                       ("kernel", "6.1.0")],
                         [(t, 1) for t in live]))
            scan.append((base(inst), [(t, t - h.get("last_scan_ago", 60)) for t in live]))
            bus.append((base(inst), [(t, 1) for t in live]))
            for _, name in PREDICATES:
                n = sum(1 for t in h["units"].values() if predicate(t) == name)
                units.append((base(inst) + [("predicate", name)], [(t, n) for t in live]))
            for u, tenths in sorted(h["units"].items()):
                exp.append((base(inst) + [("unit", u)],
                            [(t, "%d.%d" % (tenths // 10, tenths % 10)) for t in live]))
                pred.append((base(inst) + [("unit", u), ("predicate", predicate(tenths))],
                             [(t, 1) for t in live]))
                events = sorted(h.get("regressions", {}).get(u, []), reverse=True)
                vals = []
                for t in live:
                    vals.append((t, sum(c for ago, c in events if t >= end - ago)))
                regr.append((base(inst) + [("unit", u)], vals))
        family("up", "gauge", up)
        family("exposured_host", "info", info)
        family("exposured_last_scan_timestamp_seconds", "gauge", scan)
        family("exposured_up", "gauge", bus)
        family("exposured_units", "gauge", units)
        family("exposured_unit_exposure", "gauge", exp)
        family("exposured_unit_predicate", "gauge", pred)
        family("exposured_regressions", "counter", regr)
        out.append("# EOF\n")
        return "".join(out)


class TsdbPrometheus:
    """Prometheus over a backfilled TSDB (no scrape targets of its own unless scrape_config is
    given)."""

    def __init__(self, fleet, span=3600, step=60, scrape_config=""):
        self.dir = tempfile.mkdtemp(prefix="exposured-fleet-prom-")
        self.port = free_port()
        self.data = os.path.join(self.dir, "data")
        self.end = int(time.time())
        self.start_time = self.end - span
        om = os.path.join(self.dir, "fleet.om")
        with open(om, "w", encoding="utf-8") as f:
            f.write(fleet.openmetrics(self.end, span, step))
        p = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", om,
                            self.data], capture_output=True, text=True, timeout=600, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        with open(os.path.join(self.dir, "prometheus.yml"), "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n" + scrape_config)
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                ["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
                 "--storage.tsdb.path=" + self.data, "--storage.tsdb.retention.time=30d",
                 "--web.listen-address=127.0.0.1:%d" % self.port],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=containers._set_pdeathsig)
        wait_port(self.port, 60, self.proc, "prometheus")
        wait_until(lambda: http_request(self.url + "/-/ready").status == 200, 60, 0.2,
                   "prometheus to be ready")
        return self

    def stop(self):
        stop(self.proc)
        self.proc = None

    def record(self, rules_file, group, start=None):
        """Backfill one shipped rules group over the data, as Prometheus would have recorded it
        had the rules been loaded from `start` (default: the data's beginning) on:
        `promtool tsdb create-blocks-from rules` evaluates the group at its own interval
        against this (running) server, then the server restarts to read the new blocks."""
        with open(rules_file, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        groups = [g for g in doc["groups"] if g["name"] == group]
        assert groups, "no group %r in %s" % (group, rules_file)
        only = os.path.join(self.dir, "record.yml")
        with open(only, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": groups}, f, sort_keys=False)
        out = os.path.join(self.dir, "recorded")
        p = subprocess.run(["promtool", "tsdb", "create-blocks-from", "rules",
                            "--start=%d" % (self.start_time if start is None else start),
                            "--end=%d" % (self.end + 1), "--url=" + self.url,
                            "--output-dir=" + out, only],
                           capture_output=True, text=True, timeout=600, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        self.stop()
        for block in os.listdir(out):
            os.rename(os.path.join(out, block), os.path.join(self.data, block))
        return self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
