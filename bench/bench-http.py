#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""HTTP benchmark of the real daemon against a real systemd with ~1,000 services, side by side
with prometheus-node-exporter's systemd collector on the same container.

Boots the host's systemd in a throwaway container (tests/integration/containers.py), generates
N simple services (oneshot + RemainAfterExit, eight hardening profiles, all started so that both
exporters see N loaded, active services), runs `exposured run` on the host against the
container's bus and `prometheus-node-exporter --collector.disable-defaults --collector.systemd`
on the host against the same bus (DBUS_SYSTEM_BUS_ADDRESS: go-systemd's system-bus connection
honours it), then measures each endpoint with wrk on loopback for a bounded time:
one connection (latency of one scrape after another) and eight connections (throughput).
Everything it starts is stopped at the end, whatever happens. Not a test: numbers only.

Usage: bench/bench-http.py [--units N] [--seconds S] [--write-readme]
  --write-readme replaces the "## http" section of bench/README.md (other sections are kept).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import containers  # noqa: E402
from web_fixtures import free_port, stop, wait_port  # noqa: E402

PROFILES = [
    "",
    "DynamicUser=yes\n",
    "PrivateNetwork=yes\nProtectSystem=strict\n",
    "User=nobody\nPrivateTmp=yes\nProtectHome=yes\n",
    "NoNewPrivileges=yes\nProtectKernelTunables=yes\nProtectKernelModules=yes\n",
    "DynamicUser=yes\nPrivateDevices=yes\nCapabilityBoundingSet=\nRestrictNamespaces=yes\n",
    "SystemCallFilter=@system-service\nSystemCallArchitectures=native\nLockPersonality=yes\n",
    "DynamicUser=yes\nPrivateNetwork=yes\nProtectSystem=strict\nProtectHome=yes\n"
    "CapabilityBoundingSet=\nRestrictAddressFamilies=AF_UNIX\nMemoryDenyWriteExecute=yes\n"
    "SystemCallFilter=@system-service\nIPAddressDeny=any\nUMask=0077\n",
]


def unit_files(n):
    files = {}
    for i in range(n):
        files["bench-%04d.service" % i] = (
            "[Unit]\nDescription=Benchmark service %d\n[Service]\nType=oneshot\n"
            "RemainAfterExit=yes\nExecStart=/bin/true\n%s" % (i, PROFILES[i % len(PROFILES)]))
    return files


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def to_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)$", s)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v


def wrk(url, conns, seconds, threads=1):
    r = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--latency",
                        "--timeout", "10s", url], capture_output=True, text=True,
                       timeout=seconds + 60, check=True)
    out = r.stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
           "n": int(re.search(r"(\d+) requests in", out).group(1))}
    if res["n"] == 0:       # nothing completed within the run: no latency to report
        return dict(res, avg_ms=None, p50_ms=None, p99_ms=None, errors="")
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    res["avg_ms"] = to_ms(m.group(1))
    for p in ("50", "99"):
        res["p%s_ms" % p] = to_ms(re.search(r"^\s+%s%%\s+(\S+)" % p, out, re.M).group(1))
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    res["errors"] = errs.group(0) if errs else ""
    return res


def node_version():
    r = subprocess.run(["prometheus-node-exporter", "--version"], capture_output=True, text=True,
                       timeout=30, check=False)
    m = re.search(r"version (\S+)", r.stdout + r.stderr)
    return m.group(1) if m else "?"


def count_units(node_metrics):
    return len(set(re.findall(r'^node_systemd_unit_state\{name="([^"]+\.service)"',
                              node_metrics, re.M)))


def run(args):
    if not shutil.which("wrk") or not shutil.which("prometheus-node-exporter"):
        sys.exit("needs wrk and prometheus-node-exporter (apt-get install wrk "
                 "prometheus-node-exporter)")
    exposured = os.environ.get("EXPOSURED", os.path.join(TOP, "build", "exposured"))
    c = containers.Container("host", containers.unique_name("webtest-bench"))
    procs = []
    workdir = containers.scratch_dir()
    try:
        t = time.monotonic()
        c.boot()
        files = unit_files(args.units)
        c.install_units(files)
        names = sorted(files)
        for i in range(0, len(names), 250):
            # A start that fails (rare, under load) still leaves a loaded, scored service.
            c.run(["systemctl", "start"] + names[i:i + 250], timeout=600, check=False)
        n_loaded = len(c.run(["systemctl", "list-units", "--type=service", "--all",
                              "--no-legend", "--plain"]).stdout.splitlines())
        print("container up with %d loaded services in %.1f s" % (n_loaded, time.monotonic() - t),
              file=sys.stderr)

        eport, nport = free_port(), free_port()
        with open(os.path.join(workdir, "exposured.conf"), "w") as f:
            f.write("log_level = notice\n")
        log = open(os.path.join(workdir, "exposured.log"), "wb")
        t = time.monotonic()
        ep = subprocess.Popen([exposured, "run", "-c", os.path.join(workdir, "exposured.conf"),
                               "--db=" + os.path.join(workdir, "db"),
                               "--listen=127.0.0.1:%d" % eport], env=c.host_env(),
                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=containers._set_pdeathsig)
        procs.append(ep)
        wait_port(eport, 60, ep, "exposured")
        ebase = "http://127.0.0.1:%d" % eport
        # The first answer waits for the first scan, but at most 10 s: wait for all services.
        deadline = time.monotonic() + 600
        while json.loads(get(ebase + "/api/v1/units"))["count"] < args.units:
            if time.monotonic() > deadline or ep.poll() is not None:
                raise RuntimeError("exposured did not list %d services" % args.units)
            time.sleep(0.2)
        first_scan = time.monotonic() - t
        nlog = open(os.path.join(workdir, "node.log"), "wb")
        npx = subprocess.Popen(["prometheus-node-exporter", "--collector.disable-defaults",
                                "--collector.systemd",
                                "--web.listen-address=127.0.0.1:%d" % nport],
                               env=c.host_env(), stdin=subprocess.DEVNULL, stdout=nlog,
                               stderr=subprocess.STDOUT, preexec_fn=containers._set_pdeathsig)
        procs.append(npx)
        wait_port(nport, 30, npx, "node_exporter")
        nbase = "http://127.0.0.1:%d" % nport

        e_metrics = get(ebase + "/metrics").decode()
        e_units = len(re.findall(r"^exposured_unit_exposure\{", e_metrics, re.M))
        n_metrics = get(nbase + "/metrics").decode()
        n_units = count_units(n_metrics)
        if "node_scrape_collector_success{collector=\"systemd\"} 1" not in n_metrics:
            raise RuntimeError("node_exporter's systemd collector failed:\n" + n_metrics[-2000:])
        sizes = {
            "exposured /metrics": len(e_metrics),
            "exposured /metrics (OpenMetrics)": len(get(ebase + "/metrics", {
                "Accept": "application/openmetrics-text; version=1.0.0"})),
            "exposured /api/v1/units": len(get(ebase + "/api/v1/units")),
            "node_exporter /metrics (systemd)": len(n_metrics),
        }
        urls = [("exposured /metrics", ebase + "/metrics"),
                ("exposured /api/v1/units", ebase + "/api/v1/units"),
                ("node_exporter /metrics (systemd)", nbase + "/metrics")]
        results = {}
        for label, url in urls:
            secs = args.seconds * (3 if label.startswith("node") else 1)
            results[label] = {"c1": wrk(url, 1, secs), "c8": wrk(url, 8, secs, threads=2)}
            print(label, results[label], file=sys.stderr)
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError("a server died during the benchmark")
        return {"units": args.units, "loaded": n_loaded, "e_units": e_units, "n_units": n_units,
                "first_scan_s": first_scan, "sizes": sizes, "results": results,
                "seconds": args.seconds, "load": os.getloadavg(), "systemd": c.version,
                "node_version": node_version()}
    finally:
        for p in procs:
            stop(p)
        c.poweroff()
        shutil.rmtree(workdir, ignore_errors=True)


def report(r):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    res = r["results"]
    lines = [
        "## http",
        "",
        "`bench/bench-http.py --units %d --seconds %d` (%s): the host's systemd %d in a container"
        " with %d loaded services (%d generated: oneshot + RemainAfterExit, eight hardening"
        " profiles, all started); exposured (%d units in /metrics, all of them listed %.1f s"
        " after start) and prometheus-node-exporter %s `--collector.disable-defaults"
        " --collector.systemd` (%d services) both on the host against the container's bus;"
        " wrk on loopback, %d s per run (three times that for node_exporter). %s, %d CPUs"
        " shared with other jobs (load average %.1f at the end): treat the absolute numbers"
        " as rough." % (
            r["units"], r["seconds"], time.strftime("%Y-%m-%d", time.gmtime()), r["systemd"],
            r["loaded"], r["units"], r["e_units"], r["first_scan_s"], r["node_version"],
            r["n_units"], r["seconds"], cpu,
            os.cpu_count(), r["load"][0]),
        "",
        "| Endpoint | Body | 1 conn: avg / p50 / p99 ms (requests) | 1 conn req/s |"
        " 8 conns req/s (requests) |",
        "|---|---|---|---|---|",
    ]

    def c8(x):
        if x["n"] == 0:
            return "none completed in %d s" % (3 * r["seconds"])
        return "%.1f (%d)" % (x["rps"], x["n"])
    for label, x in res.items():
        lines.append("| %s | %d KiB | %.2f / %.2f / %.2f (%d) | %.1f | %s |" % (
            label, r["sizes"][label] // 1024, x["c1"]["avg_ms"], x["c1"]["p50_ms"],
            x["c1"]["p99_ms"], x["c1"]["n"], x["c1"]["rps"], c8(x["c8"])))
    lines.append("| exposured /metrics (OpenMetrics) body | %d KiB | | | |"
                 % (r["sizes"]["exposured /metrics (OpenMetrics)"] // 1024))
    e = res["exposured /metrics"]["c1"]["avg_ms"]
    n = res["node_exporter /metrics (systemd)"]["c1"]["avg_ms"]
    ratio = n / e
    e50 = res["exposured /metrics"]["c1"]["p50_ms"]
    n50 = res["node_exporter /metrics (systemd)"]["c1"]["p50_ms"]
    lines += [
        "",
        "One exposured scrape takes %.2f ms on average against node_exporter's %.2f ms:"
        " **1/%.0f** of its time (medians: %.2f vs %.2f ms, 1/%.0f; target: under 1/20, %s)."
        " exposured answers from memory (the scores are kept"
        " current by bus signals); node_exporter asks systemd over D-Bus on every scrape. The"
        " bodies differ (exposured: exposure, predicate, failed checks and regressions per"
        " service; node_exporter: five unit-state series per unit of every type)." % (
            e, n, ratio, e50, n50, n50 / e50, "met" if ratio > 20 else "NOT met"),
        "",
    ]
    errs = [(k, v[c]["errors"]) for k, v in res.items() for c in ("c1", "c8") if v[c]["errors"]]
    if errs:
        lines += ["wrk reported errors: %s" % errs, ""]
    out = []
    for line in lines:
        if line.startswith(("|", "#")) or not line:
            out.append(line)
        else:
            out.extend(textwrap.wrap(line, 100, break_on_hyphens=False))
    return "\n".join(out)


def write_readme(section):
    path = os.path.join(TOP, "bench", "README.md")
    text = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
    if not text:
        text = "# Benchmarks\n\nResults of the benchmarks in bench/ (not part of `make check`).\n"
    m = re.search(r"^## http\n.*?(?=^## |\Z)", text, re.M | re.S)
    if m:
        text = text[:m.start()] + section + "\n" + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    if not 1 <= args.units <= 5000 or not 1 <= args.seconds <= 60:
        ap.error("--units 1..5000, --seconds 1..60")
    if os.geteuid() != 0:
        sys.exit("needs root (systemd-nspawn)")
    section = report(run(args))
    print(section)
    if args.write_readme:
        write_readme(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
