#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark `exposured fleet` over a synthetic fleet served by a real Prometheus.

    bench/gen-fleet.py --out /var/tmp/fleet            # once: 1,000 hosts x 200 services
    bench/bench-fleet.py --data /var/tmp/fleet [--exposured build/exposured] [--runs 21]

Starts the Debian package's prometheus on DATA/data (the history; block compaction off, so that
it does not merge blocks under the benchmark), with the shipped fleet recording rules, scraping
DATA/current.prom (the current state of every host, served here on loopback, honor_labels) every
30 s; waits until the current state and the recorded series are in, then:

1. Prometheus alone: the PromQL each fleet page needs (the queries of daemon/fleet-model.c and
   of the dashboards), each timed as an instant query at "now", and each page's set of queries
   timed as a whole when sent in parallel (what the fleet daemon does).
2. `exposured fleet --prometheus=URL --listen=127.0.0.1:PORT`, when the binary has that mode,
   with its answer cache off (`cache = 0`: every request asks Prometheus, the worst case; with
   the default cache, repeated requests within 10 s are answered from memory): every page and
   JSON endpoint, first request then --runs more, median and p95, and the daemon's RSS (VmRSS
   now, VmHWM peak) from /proc.

It prints markdown tables. It is not a test: nothing is asserted; the targets of issue 9 are
printed next to the numbers (overview < 1 s, other pages < 2 s, RSS < 64 MB).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JOB = "exposured"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=120):
    t = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    except (TimeoutError, socket.timeout):
        body, status = b"", "timeout"
    return status, body, time.monotonic() - t


def wait_http(url, timeout, proc, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("%s exited with %d" % (what, proc.returncode))
        try:
            if get(url, timeout=5)[0] == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    sys.exit("%s not ready after %ds" % (what, timeout))


def stats(xs):
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return statistics.median(xs), p95


def ms(x):
    return "%.0f ms" % (x * 1000) if x < 10 else "%.1f s" % x


def page_queries(unit, since, step):
    sel = '{job="%s"}' % JOB
    u = '{job="%s",unit="%s"}' % (JOB, unit)
    x = "exposured_regressions_total" + sel
    w = "[900s]"   # FLEET_RECORDED_WINDOW_SEC

    def probe(name):
        return "max(timestamp(%s) or max_over_time(timestamp(%s)%s:60s]))" % (name, name, w[:-1])
    return {
        # what the fleet daemon asks (daemon/fleet-model.c): the worst service of each host from
        # its recorded series (at most 15 minutes old), the rest live
        "overview (hosts)": [
            "up" + sel, "exposured_host_info" + sel,
            "exposured_last_scan_timestamp_seconds" + sel, "exposured_up" + sel,
            "last_over_time(exposured_host:unit_exposure:max%s%s) and on (instance) "
            "exposured_up%s" % (sel, w, sel),
            "sum by (instance, predicate) (exposured_units%s > 0)" % sel,
            probe("exposured_fleet:drifting_units:count")],
        # ... and where the recorded series is absent or older: the raw aggregation
        "overview (hosts), raw worst": [
            "max by (instance) (exposured_unit_exposure%s)" % sel],
        "units": [
            "last_over_time(exposured_unit:hosts:count%s)" % w,
            "last_over_time(exposured_unit:exposure:min%s)" % w,
            "last_over_time(exposured_unit:exposure:max%s)" % w,
            "last_over_time(exposured_unit:exposure:median%s)" % w,
            probe("exposured_fleet:drifting_units:count")],
        "units, raw": [
            "count by (unit) (exposured_unit_exposure%s)" % sel,
            "min by (unit) (exposured_unit_exposure%s)" % sel,
            "max by (unit) (exposured_unit_exposure%s)" % sel,
            "quantile by (unit) (0.5, exposured_unit_exposure%s)" % sel],
        "unit across hosts": [
            "exposured_unit_exposure" + u, "exposured_unit_predicate" + u,
            "exposured_host_info" + sel],
        # what the fleet daemon asks (daemon/fleet-model.c): the recorded rises of the window,
        # since when the rule has run, the hostnames
        "regressions (24 h)": [
            "exposured_unit:regressions:rise5m%s[%ds]" % (sel, since),
            "min_over_time(timestamp(exposured_job:regressions:total%s)[%ds:60s])" % (sel, since),
            "exposured_host_info" + sel],
        # what it asks instead where the rule has not run through the window: every counter,
        # step by step (the step of a 24 h window: 90 s)
        "regressions (24 h), raw counters": [
            "(%s - %s offset 90s > 0)[%ds:90s]" % (x, x, since)],
        # the recording rule exposured_host:regressions:increase24h (Grafana's "regressions in
        # 24 h"), as an instant query: from the recorded rises, and as it was (every counter)
        "increase24h": [rule_expr("exposured_host:regressions:increase24h")],
        "increase24h, raw counters": [
            "sum by (job, instance) (increase(exposured_regressions_total[24h]))"],
    }


def rule_expr(name):
    """The expression of the shipped recording rule NAME (the rules file is YAML; this reads
    the one- or multi-line `expr:` after `record: NAME` without a YAML library)."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(top, "monitoring", "exposured-fleet.rules.yml"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = lines.index("      - record: " + name)
    while not lines[i].lstrip().startswith("expr:"):
        i += 1
    first = lines[i].split("expr:", 1)[1].strip()
    if first != "|":
        return first
    body = []
    for line in lines[i + 1:]:
        if not line.startswith("          "):
            break
        body.append(line.strip())
    return " ".join(body)


def run_query(base, q, now):
    if isinstance(q, tuple):
        _, expr, since, step = q
        url = "%s/api/v1/query_range?%s" % (base, urllib.parse.urlencode(
            {"query": expr, "start": now - since, "end": now, "step": step}))
    else:
        url = "%s/api/v1/query?%s" % (base, urllib.parse.urlencode({"query": q, "time": now}))
    status, body, dt = get(url, timeout=180)
    if status != 200:
        # e.g. 503 after Prometheus' own --query.timeout (2 min): reported, not fatal
        return dt, "HTTP %s" % status
    d = json.loads(body)
    return dt, len(d["data"]["result"])


def bench_prometheus(base, runs, unit, only=None):
    print("\n### Prometheus alone: the fleet pages' PromQL\n")
    print("| page | query | series | median | p95 | load |")
    print("|---|---|---|---|---|---|")
    pages = page_queries(unit, 24 * 3600, 900)
    whole = {}
    for page, qs in pages.items():
        if only and page not in only:
            continue
        slow = False
        for q in qs:
            dt, n = run_query(base, q, time.time())
            times = [dt]
            # A query that takes seconds is timed three times, not --runs times; one that
            # takes half a minute or fails, once.
            for _ in range((runs if dt < 5 else 3 if dt < 30 and isinstance(n, int) else 1) - 1):
                dt, n = run_query(base, q, time.time())
                times.append(dt)
            slow = slow or statistics.median(times) > 5 or not isinstance(n, int)
            med, p95 = stats(times)
            text = q[1] if isinstance(q, tuple) else q
            print("| %s | `%s` | %s | %s | %s | %s |" % (page, text.replace("|", "\\|"), n,
                                                           ms(med), ms(p95), load()))
            sys.stdout.flush()
        times = []
        with ThreadPoolExecutor(max_workers=len(qs)) as ex:
            for _ in range(runs if not slow else 1):
                t = time.monotonic()
                now = time.time()
                list(ex.map(lambda q: run_query(base, q, now), qs))
                times.append(time.monotonic() - t)
        whole[page] = stats(times) + (load(),)
    print("\n| page: all its queries in parallel (1 run when a query was slow) | median | p95 | "
          "load |")
    print("|---|---|---|---|")
    for page, (med, p95, la) in whole.items():
        print("| %s | %s | %s | %s |" % (page, ms(med), ms(p95), la))


def record_regressions(prom_base, data, rules, meta, step, tmp):
    """Backfill the regressions feed's recording rule over the history, once (Prometheus only
    records from when its rules are loaded): `promtool tsdb create-blocks-from rules` against the
    running server, which loads the new blocks within a minute. The history has a sample every
    `step` seconds, so the rule runs at that interval with that offset (the shipped 5-minute
    pair, scaled to the data: the same samples, one per rise), and Prometheus runs with a
    lookback longer than the step (main()), so that each evaluation sees the latest sample."""
    hist = int(meta.get("history_hours", 24) * 3600)
    q = 'count_over_time(exposured_job:regressions:total{job="%s"}[%ds] @ %d)' % (
        JOB, hist, meta["history_until"])

    def recorded():
        st, body, _ = get(prom_base + "/api/v1/query?query=" + urllib.parse.quote(q))
        res = json.loads(body)["data"]["result"] if st == 200 else []
        return res and float(res[0]["value"][1]) >= 0.9 * hist / step

    if recorded():
        return
    with open(rules, encoding="utf-8") as f:
        text = f.read()
    start = text.index("  - name: exposured-fleet-regressions")
    end = text.index("  - name:", start + 1)
    # the rise and the total only: exposured_host:regressions:increase24h adds up recorded rises,
    # and promtool evaluates each rule against the server, which does not have them yet
    head, *rules_ = text[start:end].split("      - record: ")
    keep = [r for r in rules_ if r.split()[0] in ("exposured_unit:regressions:rise5m",
                                                   "exposured_job:regressions:total")]
    assert len(keep) == 2, "the regressions group's rules changed: update record_regressions()"
    group = "      - record: ".join([head] + keep)
    group = group.replace("interval: 5m", "interval: %ds" % step)
    group = group.replace("offset 5m", "offset %ds" % step)
    only = os.path.join(tmp, "record.yml")
    with open(only, "w", encoding="utf-8") as f:
        f.write("groups:\n" + group)
    out = os.path.join(tmp, "recorded")
    t = time.monotonic()
    for attempt in range(3):
        # a loaded Prometheus may answer one of promtool's range queries with 503: again (the
        # blocks already written hold the same samples; Prometheus merges overlapping blocks)
        if subprocess.run(["promtool", "tsdb", "create-blocks-from", "rules",
                           "--start=%d" % (meta["history_until"] - hist),
                           "--end=%d" % (meta["history_until"] + 1), "--url=" + prom_base,
                           "--output-dir=" + out, only], timeout=3600,
                          check=False).returncode == 0:
            break
    else:
        sys.exit("promtool could not backfill the regressions rule")
    blocks = os.listdir(out)
    for b in blocks:
        os.rename(os.path.join(out, b), os.path.join(data, b))
    while not recorded():
        if time.monotonic() - t > 7200:
            sys.exit("the backfilled blocks %s did not load" % blocks)
        time.sleep(10)
    print("(backfilled the regressions rule over the history in %.0f s: %d blocks)"
          % (time.monotonic() - t, len(blocks)), file=sys.stderr)


def load():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024.0
    return out


def has_fleet_mode(exposured):
    r = subprocess.run([exposured, "fleet", "--help"], capture_output=True, text=True,
                       timeout=10, check=False)
    return r.returncode == 0 and "prometheus" in (r.stdout + r.stderr).lower()


def bench_fleet(exposured, prom_base, runs, unit, logdir, only=None, since="24h"):
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    log = open(os.path.join(logdir, "fleet.log"), "wb")
    conf = os.path.join(logdir, "fleet.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write("cache = 0\n")
    proc = subprocess.Popen([exposured, "fleet", "-c", conf, "--prometheus=" + prom_base,
                             "--listen=127.0.0.1:%d" % port],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, LOG_TARGET="stderr"))
    try:
        wait_http(base + "/api/v1/fleet/hosts", 120, proc, "exposured fleet")
        q = urllib.parse.quote(unit, safe="")
        paths = [("overview", "/", 1.0), ("hosts JSON", "/api/v1/fleet/hosts", 2.0),
                 ("units", "/units", 2.0), ("units JSON", "/api/v1/fleet/units", 2.0),
                 ("unit across hosts", "/units/" + q, 2.0),
                 ("unit across hosts JSON", "/api/v1/fleet/units/" + q, 2.0),
                 ("regressions", "/regressions?since=" + since, 2.0),
                 ("regressions JSON", "/api/v1/fleet/regressions?since=" + since, 2.0)]
        if only:
            paths = [p for p in paths if any(o in p[0] for o in only)]
        print("\n### exposured fleet (cache = 0: every request asks Prometheus)\n")
        print("| page | path | bytes | first | median | p95 | target | load |")
        print("|---|---|---|---|---|---|---|---|")
        for name, path, target in paths:
            status, body, first = get(base + path)
            times = []
            for _ in range(runs if first < 5 else 3):
                s, body, dt = get(base + path)
                times.append(dt)
                status = s if s != 200 else status
            med, p95 = stats(times)
            print("| %s | `%s` | %d | %s | %s | %s | < %s %s | %s |"
                  % (name, path, len(body), ms(first), ms(med), ms(p95), ms(target),
                     "ok" if p95 < target and status == 200 else
                     ("MISSED" if status == 200 else "HTTP %s" % status), load()))
            sys.stdout.flush()
        m = rss(proc.pid)
        print("\nRSS after the runs: %.1f MB (peak VmHWM %.1f MB; target < 64 MB: %s)"
              % (m["VmRSS"], m["VmHWM"], "ok" if m["VmHWM"] < 64 else "MISSED"))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def serve_feed(path):
    """Serve the file at /metrics on a free loopback port; returns (server, port)."""
    body = open(path, "rb").read()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    port = free_port()
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, port


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="gen-fleet.py's --out")
    ap.add_argument("--exposured", default="build/exposured")
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--unit", default="svc-005.service", help="for the unit-across-hosts page")
    ap.add_argument("--promql-pages", default="",
                    help="comma-separated rows of the Prometheus-alone table to run (default all)")
    ap.add_argument("--no-promql", action="store_true",
                    help="skip the Prometheus-alone tables (the regressions query alone can take "
                    "minutes at 1,000 hosts)")
    ap.add_argument("--fleet-pages", default="",
                    help="comma-separated names of exposured fleet's pages to time (default all)")
    ap.add_argument("--prometheus", default="",
                    help="URL of a Prometheus already serving DATA/data with the shipped rules "
                    "and DATA/current.prom (as this script would start it): use it instead of "
                    "starting one (no backfill; its recorded series need only be within the "
                    "fleet daemon's 15-minute window)")
    ap.add_argument("--serve", action="store_true",
                    help="start Prometheus on DATA as for a run (backfill included), print its "
                    "URL and keep it up until interrupted, for runs with --prometheus")
    ap.add_argument("--since", default="24h", help="the regressions feed's window")
    ap.add_argument("--history-step", type=int, default=900,
                    help="gen-fleet.py's --step (for backfilling the regressions rule)")
    a = ap.parse_args()

    meta = json.load(open(os.path.join(a.data, "fleet.json"), encoding="utf-8"))
    tmp = tempfile.mkdtemp(prefix="exposured-bench-fleet-")
    if a.prometheus:
        try:
            return bench(a, meta, a.prometheus.rstrip("/"), None, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    feed, feed_port = serve_feed(os.path.join(a.data, "current.prom"))
    port = free_port()
    prom_base = "http://127.0.0.1:%d" % port
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rules = os.path.join(top, "monitoring", "exposured-fleet.rules.yml")
    with open(os.path.join(tmp, "prometheus.yml"), "w", encoding="utf-8") as f:
        f.write("global: {scrape_interval: 30s, scrape_timeout: 25s, evaluation_interval: 1m}\n"
                "rule_files: [%s]\n"
                "scrape_configs:\n"
                "  - job_name: fleet-feed\n"
                "    honor_labels: true\n"
                "    sample_limit: 0\n"
                "    static_configs: [{targets: ['127.0.0.1:%d']}]\n"
                % (json.dumps(rules), feed_port))
    plog = open(os.path.join(tmp, "prometheus.log"), "wb")
    cmd = ["prometheus", "--config.file=" + os.path.join(tmp, "prometheus.yml"),
           "--storage.tsdb.path=" + os.path.join(a.data, "data"),
           "--storage.tsdb.retention.time=30d",
           "--storage.tsdb.min-block-duration=2h",
           "--storage.tsdb.max-block-duration=2h",
           "--web.listen-address=127.0.0.1:%d" % port]
    if a.history_step + 60 > 300:
        # a history sample every 15 minutes reads as continuous (the default lookback is 5 m);
        # the live feed is scraped every 30 s, so its answers are the same either way
        cmd.append("--query.lookback-delta=%ds" % (a.history_step + 60))
    prom = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=plog, stderr=subprocess.STDOUT)
    try:
        wait_http(prom_base + "/-/ready", 600, prom, "prometheus")
        record_regressions(prom_base, os.path.join(a.data, "data"), rules, meta, a.history_step,
                           tmp)
        if a.serve:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            print("prometheus (pid %d) on %s; log %s" % (prom.pid, prom_base,
                                                        os.path.join(tmp, "prometheus.log")))
            sys.stdout.flush()
            while prom.poll() is None:
                time.sleep(5)
            sys.exit("prometheus exited with %d" % prom.returncode)
        bench(a, meta, prom_base, prom, tmp)
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prom.kill()
        plog.close()
        feed.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def bench(a, meta, prom_base, prom, tmp):
    """prom: the Popen of the Prometheus we started, or None (--prometheus)."""
    # Wait for this run's data: the feed scraped (every host's current state) and the
    # recording rules evaluated on it (samples newer than our start; with --prometheus,
    # within the fleet daemon's window).
    t, t_wall = time.monotonic(), time.time()
    if prom is None:
        t_wall -= 900
    ready = ('count(exposured_host_info{job="exposured"}) == %d and '
             'count(timestamp(exposured_unit:hosts:count) > %d) == %d and '
             'count(timestamp(exposured_host:units:count) > %d) == %d'
             % (meta["hosts"], t_wall, meta["services"], t_wall, meta["hosts"]))
    while time.monotonic() - t < 900:
        st, body, _ = get(prom_base + "/api/v1/query?query=" + urllib.parse.quote(ready))
        if st == 200 and json.loads(body)["data"]["result"]:
            break
        time.sleep(5)
    else:
        sys.exit("no fresh data or recorded series after 900 s; see %s" % tmp)
    print("## Fleet benchmark: %d hosts x %d services, %s, %d runs per row, load average "
          "%s at the start" % (meta["hosts"], meta["services"], time.strftime("%Y-%m-%d %H:%M"),
                               a.runs, load()))
    if prom:
        print("\nprometheus RSS after loading: %.0f MB" % rss(prom.pid)["VmRSS"])
    if not a.no_promql:
        bench_prometheus(prom_base, a.runs, a.unit,
                         [x.strip() for x in a.promql_pages.split(",") if x.strip()])
    if os.access(a.exposured, os.X_OK) and has_fleet_mode(a.exposured):
        bench_fleet(a.exposured, prom_base, a.runs, a.unit, tmp,
                    [x.strip() for x in a.fleet_pages.split(",") if x.strip()], a.since)
    else:
        print("\n(%s has no `fleet` mode: only Prometheus was measured)" % a.exposured)
    if prom:
        print("\nprometheus RSS at the end: %.0f MB (peak %.0f MB)"
              % (rss(prom.pid)["VmRSS"], rss(prom.pid)["VmHWM"]))
    print_rule_times(prom_base)


def print_rule_times(prom_base):
    """Each rule group's last evaluation, and each rule's of the regressions group."""
    _, body, _ = get(prom_base + "/api/v1/rules")

    def took(x):
        return ms(x["evaluationTime"]) if x.get("lastEvaluation", "0001")[:2] == "20" else \
            "not yet evaluated"
    print("\n| rule group, or rule | interval | last evaluation took | load |\n|---|---|---|---|")
    for g in json.loads(body)["data"]["groups"]:
        print("| %s | %ds | %s | %s |" % (g["name"], g["interval"], took(g), load()))
        if g["name"] == "exposured-fleet-regressions":
            for r in g["rules"]:
                print("| `%s` | | %s | |" % (r["name"], took(r)))


if __name__ == "__main__":
    main()
