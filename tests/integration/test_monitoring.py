# SPDX-License-Identifier: MIT
"""Every PromQL expression we ship, run against a real Prometheus holding a synthetic fleet.

The fleet (FLEET below: four hosts, six hours at a one-minute step) is written as OpenMetrics,
turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, and served by the
Debian package's prometheus with the shipped rule files loaded, so the recording and alerting
rules evaluate live on the newest samples. Then every expression of units/exposured.rules.yml,
monitoring/exposured-fleet.rules.yml and monitoring/grafana-exposured-fleet.json (panels and
template variables) is queried, and its series and values are compared with what the model
predicts (expected(), computed from FLEET, not from Prometheus). An expression without an
expectation fails the test, so a new panel or rule cannot go untested. The time-series panels
are also run as range queries over the six hours.

No containers: this needs promtool and prometheus only (Debian: prometheus).
"""

import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import pytest
import yaml

pytest.register_assert_rewrite("fleet_fixtures")
from fleet_fixtures import MONITORING, TOP, Prometheus  # noqa: E402
from web_fixtures import wait_until  # noqa: E402

ALERT_RULES = os.path.join(TOP, "units", "exposured.rules.yml")
FLEET_RULES = os.path.join(MONITORING, "exposured-fleet.rules.yml")
DASHBOARD = os.path.join(MONITORING, "grafana-exposured-fleet.json")

STEP = 60                 # seconds between samples
HISTORY = 6 * 3600        # seconds of history
MIN, HOUR = 60, 3600

# The synthetic fleet. Times are seconds relative to T0, the newest sample. A unit's value is a
# list of (since, value): the value holds from `since` on (None = from the start).
FLEET = {
    "alpha": {"instance": "10.0.0.1:9573", "systemd": "252.39-1~deb12u2", "os": "12",
              "units": {"nginx.service": [(None, 5.0)], "sshd.service": [(None, 9.6)],
                        "cron.service": [(None, 9.6)]},
              # the last scan finished two hours ago: ExposuredScanStale
              "last_scan_frozen_since": -2 * HOUR},
    "bravo": {"instance": "10.0.0.2:9573", "systemd": "252.39-1~deb12u2", "os": "12",
              # nginx regressed 30 minutes ago (5.0 -> 7.3): ServiceExposureRegressed, and it
              # now differs from alpha's nginx on the same systemd: drift
              "units": {"nginx.service": [(None, 5.0), (-30 * MIN, 7.3)],
                        "sshd.service": [(None, 9.6)], "cron.service": [(None, 9.6)],
                        "a\\x2db.service": [(None, 2.1)]},
              "regressions": {"nginx.service": [(None, 0), (-30 * MIN, 1)]},
              # a unit policy: cron is over it (ServiceOverPolicy), sshd accepted at 9.6 (so
              # neither is ServiceUnsafe's), the others unmanaged; its last reload failed
              # (ExposuredPolicyBroken)
              "policy": {"nginx.service": "unmanaged", "sshd.service": "ok",
                         "cron.service": "over-policy", "a\\x2db.service": "unmanaged"},
              "policy_max": {"sshd.service": 9.6, "cron.service": 9.0},
              "policy_broken": True},
    "charlie": {"instance": "10.0.0.3:9573", "systemd": "257.9-1~deb13u1", "os": "13",
                # sshd regressed three hours ago (7.9 -> 8.1): in the 24 h counts, not alerting
                "units": {"nginx.service": [(None, 4.2)],
                          "sshd.service": [(None, 7.9), (-3 * HOUR, 8.1)]},
                "regressions": {"sshd.service": [(None, 2), (-3 * HOUR, 3)]},
                # lost its bus ten minutes ago: ExposuredBusLost
                "bus_lost_since": -10 * MIN,
                # its history database takes no writes: ExposuredDatabaseFailing
                "db_failing": True},
    "delta": {"instance": "10.0.0.4:9573", "systemd": "247.3-7+deb11u6", "os": "11",
              "units": {"nginx.service": [(None, 5.0)], "sshd.service": [(None, 9.6)]},
              # down for twenty minutes: no exposured samples since, up = 0: ExposuredDown
              "down_since": -20 * MIN},
}
PREDICATES = [(10.0, "DANGEROUS"), (9.0, "UNSAFE"), (7.5, "EXPOSED"), (5.0, "MEDIUM"),
              (1.0, "OK"), (0.1, "SAFE"), (0.0, "PERFECT")]  # systemd-analyze's thresholds
PREDICATE_NAMES = [p for _, p in PREDICATES]
JOB = "exposured"


def predicate(x):
    for threshold, name in PREDICATES:
        if x >= threshold:
            return name
    return "PERFECT"


def at(changes, t):
    v = None
    for since, value in changes:
        if since is None or t >= since:
            v = value
    return v


def scraped(h, t):
    """Whether host h's exposured answered the scrape at relative time t."""
    return t < FLEET[h].get("down_since", math.inf)


def exposures(h, t):
    return {u: at(c, t) for u, c in FLEET[h]["units"].items()}


def host_labels(h):
    d = FLEET[h]
    return {"job": JOB, "instance": d["instance"]}


def info_labels(h):
    d = FLEET[h]
    return dict(host_labels(h), hostname=h, machine_id=hashlib.md5(h.encode()).hexdigest(),
                os_id="debian", os_version_id=d["os"], systemd_version=d["systemd"],
                kernel="6.1.0-28-amd64")


# -- writing the fleet ----------------------------------------------------------------------------

def label_text(labels):
    return ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
                    for k, v in sorted(labels.items()))


def openmetrics(t0):
    """The fleet as OpenMetrics text: one family after the other, each series in time order."""
    times = list(range(-HISTORY, 1, STEP))
    fams = {}   # family name -> (type, [(sample name, labels, [(t, value)])])

    def add(family, kind, sample, labels, points):
        fams.setdefault(family, (kind, []))[1].append((sample, labels, points))

    for h, d in FLEET.items():
        hl = host_labels(h)
        up = [(t, 1 if scraped(h, t) else 0) for t in times]
        seen = [t for t in times if scraped(h, t)]
        add("up", "gauge", "up", hl, up)
        add("exposured_host_info", "gauge", "exposured_host_info", info_labels(h),
            [(t, 1) for t in seen])
        add("exposured_up", "gauge", "exposured_up", hl,
            [(t, 0 if t >= d.get("bus_lost_since", math.inf) else 1) for t in seen])
        frozen = d.get("last_scan_frozen_since", math.inf)
        add("exposured_last_scan_timestamp_seconds", "gauge",
            "exposured_last_scan_timestamp_seconds", hl,
            [(t, t0 + min(t, frozen) - 30) for t in seen])
        for p in PREDICATE_NAMES:
            add("exposured_units", "gauge", "exposured_units", dict(hl, predicate=p),
                [(t, sum(1 for x in exposures(h, t).values() if predicate(x) == p))
                 for t in seen])
        add("exposured_database_write_ok", "gauge", "exposured_database_write_ok", hl,
            [(t, 0 if d.get("db_failing") else 1) for t in seen])
        if "policy" in d:
            add("exposured_policy_load_ok", "gauge", "exposured_policy_load_ok", hl,
                [(t, 0 if d.get("policy_broken") else 1) for t in seen])
        for u, st in d.get("policy", {}).items():
            add("exposured_unit_policy_status", "gauge", "exposured_unit_policy_status",
                dict(hl, unit=u, status=st), [(t, 1) for t in seen])
        for u, x in d.get("policy_max", {}).items():
            add("exposured_unit_policy_max_exposure", "gauge",
                "exposured_unit_policy_max_exposure", dict(hl, unit=u), [(t, x) for t in seen])
        for u, changes in d["units"].items():
            add("exposured_unit_exposure", "gauge", "exposured_unit_exposure", dict(hl, unit=u),
                [(t, at(changes, t)) for t in seen])
            regs = d.get("regressions", {}).get(u, [(None, 0)])
            add("exposured_regressions", "counter", "exposured_regressions_total",
                dict(hl, unit=u), [(t, at(regs, t)) for t in seen])
    out = []
    for family, (kind, series) in fams.items():
        out.append("# TYPE %s %s\n" % (family, kind))
        for sample, labels, points in series:
            lt = label_text(labels)
            for t, v in points:
                out.append("%s{%s} %s %d\n" % (sample, lt, repr(float(v)), t0 + t))
    out.append("# EOF\n")
    return "".join(out)


# -- what every expression must return ------------------------------------------------------------

def current():
    """{host: {unit: exposure}} of the hosts scraped at T0."""
    return {h: exposures(h, 0) for h in FLEET if scraped(h, 0)}


def key(labels):
    return frozenset((k, v) for k, v in labels.items() if k != "__name__")


def approx(v):
    """A value computed by increase(), which extrapolates a little: within 1 %."""
    return ("approx", v)


def expected():
    """{expr: {frozenset(labels): value}} at the live evaluation, for every shipped expression
    (the $host variable set to All). A value may be a number, approx(number), or a function of
    the returned value (for time()-based ones)."""
    cur = current()
    e = {}
    hl = {h: host_labels(h) for h in FLEET}
    hn = {h: dict(hl[h], hostname=h) for h in FLEET}
    units = sorted({u for d in cur.values() for u in d})
    per_unit = {u: [d[u] for d in cur.values() if u in d] for u in units}
    spread = {u: max(v) - min(v) for u, v in per_unit.items()}
    by_version = {}
    for h, d in cur.items():
        for u, x in d.items():
            by_version.setdefault((u, FLEET[h]["systemd"]), []).append(x)
    vspread = {k: max(v) - min(v) for k, v in by_version.items()}
    # a host down for 20 minutes was seen in the 24 hours: it is counted (0); whole counts
    # (the recorded rises, backfilled over the history: backfill_rises())
    regs24 = {h: sum(at(c, 0) - at(c, -HISTORY) for c in FLEET[h].get("regressions", {}).values())
              for h in FLEET}
    pred_host = {(h, p): sum(1 for x in d.values() if predicate(x) == p)
                 for h, d in cur.items() for p in PREDICATE_NAMES}
    pred_fleet = {p: sum(pred_host[(h, p)] for h in cur) for p in PREDICATE_NAMES}
    versions = {}
    for h in cur:
        versions[FLEET[h]["systemd"]] = versions.get(FLEET[h]["systemd"], 0) + 1
    down = [h for h in FLEET if not scraped(h, 0)]
    bus_lost = [h for h in cur if FLEET[h].get("bus_lost_since", math.inf) <= 0]
    stale = [h for h in cur if FLEET[h].get("last_scan_frozen_since", math.inf) <= -HOUR]
    regressed = {(h, u): x for h, d in cur.items() for u, x in d.items()
                 if any(since is not None and -HOUR < since <= 0
                        for since, _ in FLEET[h].get("regressions", {}).get(u, []))}
    def managed(h, u):
        return FLEET[h].get("policy", {}).get(u, "unmanaged") != "unmanaged"

    # the exposure alerts leave the services a policy manages to ServiceOverPolicy
    regressed = {k: x for k, x in regressed.items() if not managed(*k)}
    unsafe = {(h, u): x for h, d in cur.items() for u, x in d.items()
              if x >= 9.0 and not managed(h, u)}
    over_policy = {(h, u): cur[h][u] for h in cur
                   for u, st in FLEET[h].get("policy", {}).items() if st == "over-policy"}
    policy_broken = [h for h in cur if FLEET[h].get("policy_broken")]
    db_failing = [h for h in cur if FLEET[h].get("db_failing")]
    drifting = {k: v for k, v in vspread.items() if v > 0}
    regressed_24h = {(h, u): approx(at(c, 0) - at(c, -HISTORY))
                     for h in cur for u, c in FLEET[h].get("regressions", {}).items()
                     if at(c, 0) > at(c, -HISTORY)}

    def rule(name):
        return [r["expr"] for f in (ALERT_RULES, FLEET_RULES)
                for g in yaml.safe_load(open(f, encoding="utf-8"))["groups"]
                for r in g["rules"] if r.get("alert", r.get("record")) == name][0]

    # units/exposured.rules.yml
    e[rule("ExposuredDown")] = {key(hn[h]): 0 for h in down}
    e[rule("ExposuredBusLost")] = {key(hn[h]): 0 for h in bus_lost}
    e[rule("ServiceExposureRegressed")] = {key(dict(hn[h], unit=u)): x
                                           for (h, u), x in regressed.items()}
    e[rule("ServiceUnsafe")] = {key(dict(hn[h], unit=u)): x for (h, u), x in unsafe.items()}
    e[rule("ServiceOverPolicy")] = {key(dict(hn[h], unit=u)): x
                                    for (h, u), x in over_policy.items()}
    e[rule("ExposuredPolicyBroken")] = {key(hn[h]): 0 for h in policy_broken}
    e[rule("ExposuredDatabaseFailing")] = {key(hn[h]): 0 for h in db_failing}
    e[rule("ExposuredScanStale")] = {key(hn[h]): lambda v: v > HOUR for h in stale}

    # monitoring/exposured-fleet.rules.yml
    e[rule("exposured_host:unit_exposure:max")] = {key(hl[h]): max(d.values())
                                                   for h, d in cur.items()}
    e[rule("exposured_host:unit_exposure:avg")] = {key(hl[h]): statistics.mean(d.values())
                                                   for h, d in cur.items()}
    e[rule("exposured_host:units:count")] = {key(hl[h]): len(d) for h, d in cur.items()}
    e[rule("exposured_host:units:by_predicate")] = {
        key(dict(hn[h], predicate=p)): n for (h, p), n in pred_host.items()}
    e[rule("exposured_host:regressions:increase24h")] = {key(hl[h]): n
                                                         for h, n in regs24.items()}
    # the rises of the last minute: none (the data ends at T0), and the counters' sum
    e[rule("exposured_unit:regressions:rise5m")] = {}
    e[rule("exposured_job:regressions:total")] = {key({"job": JOB}): sum(
        at(c, 0) for h in cur for c in FLEET[h].get("regressions", {}).values())}
    e[rule("exposured_unit:exposure:min")] = {key({"unit": u}): min(v)
                                              for u, v in per_unit.items()}
    e[rule("exposured_unit:exposure:median")] = {key({"unit": u}): statistics.median(v)
                                                 for u, v in per_unit.items()}
    e[rule("exposured_unit:exposure:max")] = {key({"unit": u}): max(v)
                                              for u, v in per_unit.items()}
    e[rule("exposured_unit:hosts:count")] = {key({"unit": u}): len(v)
                                             for u, v in per_unit.items()}
    e[rule("exposured_unit:exposure:spread")] = {key({"unit": u}): s for u, s in spread.items()}
    e[rule("exposured_unit_version:exposure:spread")] = {
        key({"unit": u, "systemd_version": v}): s for (u, v), s in vspread.items()}
    e[rule("exposured_fleet:hosts:count")] = {key({"job": JOB}): len(FLEET)}
    e[rule("exposured_fleet:hosts_up:count")] = {key({"job": JOB}): len(cur)}
    e[rule("exposured_fleet:hosts:by_systemd_version")] = {
        key({"systemd_version": v}): n for v, n in versions.items()}
    e[rule("exposured_fleet:units:by_predicate")] = {key({"predicate": p}): n
                                                     for p, n in pred_fleet.items()}
    e[rule("exposured_fleet:drifting_units:count")] = {
        key({}): sum(1 for s in spread.values() if s > 0)}
    e[rule("ServiceDrift")] = {key({"unit": u, "systemd_version": v}): s
                               for (u, v), s in drifting.items()}

    # monitoring/grafana-exposured-fleet.json ($host = All)
    hostsel = 'exposured_host_info{hostname=~".*"}'
    drift_units = {u for u, s in spread.items() if s > 0}
    e["exposured_fleet:hosts:count"] = {key({"job": JOB}): len(FLEET)}
    e["exposured_fleet:hosts_up:count"] = {key({"job": JOB}): len(cur)}
    e["sum(exposured_host:units:count)"] = {key({}): sum(len(d) for d in cur.values())}
    e["exposured_fleet:drifting_units:count"] = {key({}): len(drift_units)}
    e["sum(exposured_host:regressions:increase24h)"] = {key({}): sum(regs24.values())}
    e['count(ALERTS{alertname="ServiceExposureRegressed",alertstate="firing"}) or vector(0)'] = \
        {key({}): len(regressed)}
    e["sort_desc(exposured_host:unit_exposure:max * on(job, instance) group_left(hostname, "
      "systemd_version) %s)" % hostsel] = {
        key(dict(hn[h], systemd_version=FLEET[h]["systemd"])): max(d.values())
        for h, d in cur.items()}
    e["exposured_host:units:count * on(job, instance) group_left(hostname) " + hostsel] = {
        key(hn[h]): len(d) for h, d in cur.items()}
    e["exposured_fleet:units:by_predicate"] = {key({"predicate": p}): n
                                               for p, n in pred_fleet.items()}
    e["exposured_fleet:hosts:by_systemd_version"] = {key({"systemd_version": v}): n
                                                     for v, n in versions.items()}
    e["sort_desc(exposured_unit:exposure:spread > 0)"] = {key({"unit": u}): spread[u]
                                                          for u in drift_units}
    for agg, f in (("min", min), ("median", statistics.median), ("max", max),
                   ("hosts:count", len)):
        name = "exposured_unit:%s" % (agg if agg == "hosts:count" else "exposure:" + agg)
        e["%s and on(unit) exposured_unit:exposure:spread > 0" % name] = {
            key({"unit": u}): f(per_unit[u]) for u in drift_units}
    e["sort_desc(exposured_unit_version:exposure:spread > 0)"] = {
        key({"unit": u, "systemd_version": v}): s for (u, v), s in drifting.items()}
    e["max by (hostname) (exposured_unit_exposure * on(job, instance) group_left(hostname) "
      "%s)" % hostsel] = {key({"hostname": h}): max(d.values()) for h, d in cur.items()}
    e["avg by (hostname) (exposured_unit_exposure * on(job, instance) group_left(hostname) "
      "%s)" % hostsel] = {key({"hostname": h}): statistics.mean(d.values())
                          for h, d in cur.items()}
    e["sum by (predicate) (exposured_units)"] = {key({"predicate": p}): n
                                                 for p, n in pred_fleet.items()}
    e["sum by (hostname) (increase(exposured_regressions_total[1h]) * on(job, instance) "
      "group_left(hostname) %s)" % hostsel] = {
        key({"hostname": h}): approx(sum(1 for (hh, _) in regressed if hh == h))
        for h in cur}
    e["(increase(exposured_regressions_total[24h]) > 0) * on(job, instance) "
      "group_left(hostname) " + hostsel] = {key(dict(hn[h], unit=u)): v
                                            for (h, u), v in regressed_24h.items()}
    # Only the alert without `for:` has had time to fire.
    e['ALERTS{alertname=~"Exposured.*|Service(ExposureRegressed|Unsafe|Drift)",'
      'alertstate="firing"}'] = {
        key(dict(hn[h], unit=u, alertname="ServiceExposureRegressed", alertstate="firing",
                 severity="warning")): 1 for (h, u) in regressed}
    return e


def shipped_expressions():
    """Every PromQL expression shipped, with $host = All, and the dashboard's variables."""
    exprs = []
    for f in (ALERT_RULES, FLEET_RULES):
        for g in yaml.safe_load(open(f, encoding="utf-8"))["groups"]:
            exprs += [r["expr"] for r in g["rules"]]
    dash = json.load(open(DASHBOARD, encoding="utf-8"))
    panels = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            panels.append((p, t))
            exprs.append(t["expr"].replace("$host", ".*"))
    variables = [v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                 for v in dash["templating"]["list"]]
    return exprs, panels, variables


# -- the server -----------------------------------------------------------------------------------

def backfill_rises(d, data, t0):
    """Record the regressions feed's rise and total over the history, as docs/fleet.md tells a
    Prometheus that loads the rules later to (promtool tsdb create-blocks-from rules, at the
    group's 5 minutes): exposured_host:regressions:increase24h adds up the recorded rises, and
    Prometheus records live only from when it loads the rules. The 24-hour count itself is not
    backfilled: promtool evaluates every rule against the server, which does not have the rises
    yet."""
    rules = os.path.join(d, "rises.yml")
    doc = yaml.safe_load(open(FLEET_RULES, encoding="utf-8"))
    group = [g for g in doc["groups"] if g["name"] == "exposured-fleet-regressions"][0]
    group["rules"] = [r for r in group["rules"] if r["record"] in (
        "exposured_unit:regressions:rise5m", "exposured_job:regressions:total")]
    assert len(group["rules"]) == 2 and group["interval"] == "5m"
    with open(rules, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": [group]}, f, sort_keys=False)
    out = os.path.join(d, "rises")
    p = Prometheus(data_dir=data).start()
    try:
        r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "rules", "-q",
                            "--start=%d" % (t0 - HISTORY), "--end=%d" % t0, "--url=" + p.base,
                            "--output-dir=" + out, rules],
                           capture_output=True, text=True, timeout=300, check=False)
    finally:
        p.stop()
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    blocks = os.listdir(out)
    assert blocks, "promtool wrote no block"
    for b in blocks:
        os.rename(os.path.join(out, b), os.path.join(data, b))


@pytest.fixture(scope="module")
def tsdb():
    for tool in ("promtool", "prometheus"):
        if shutil.which(tool) is None:
            pytest.skip("%s not installed (apt-get install prometheus)" % tool)
    d = tempfile.mkdtemp(prefix="exposured-monitoring-")
    t0 = int(time.time()) - 5
    src = os.path.join(d, "fleet.om")
    with open(src, "w", encoding="utf-8") as f:
        f.write(openmetrics(t0))
    data = os.path.join(d, "data")
    r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", src, data],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    backfill_rises(d, data, t0)
    # Every group every second, the regressions group too: the data ends at T0, so no counter
    # rises live whatever its interval (its rises are tested by promtool test rules, and as the
    # feed reads them by test_fleet); a minute's wait would move "now" away from T0, and
    # increase() extrapolates over that gap.
    p = Prometheus(rule_files=[ALERT_RULES, FLEET_RULES], data_dir=data,
                   external_labels={"exposured_scheme": "http"}, every_second=True).start()
    try:
        # Rules evaluate every second; recorded series feed other rules: wait for two rounds.
        def evaluated():
            groups = p.api("rules")["groups"]
            return len(groups) == 4 and all(
                r["health"] == "ok" and r.get("lastEvaluation", "0001").startswith("20")
                for g in groups for r in g["rules"])
        wait_until(evaluated, 60, 0.5, "every rule to evaluate")
        time.sleep(2.5)
        p.t0 = t0
        yield p
    finally:
        p.stop()
        shutil.rmtree(d, ignore_errors=True)


def compare(what, got, want):
    g = {key(x["metric"]): float(x["value"][1]) for x in got}
    assert set(g) == set(want), "%s:\n got  %s\n want %s" % (
        what, sorted(map(sorted, g)), sorted(map(sorted, want)))
    for k, w in want.items():
        v = g[k]
        if callable(w):
            assert w(v), (what, sorted(k), v)
        elif isinstance(w, tuple):
            assert abs(v - w[1]) <= 0.01 * max(1.0, abs(w[1])), (what, sorted(k), v, w[1])
        else:
            assert abs(v - w) < 1e-9, (what, sorted(k), v, w)


def test_promtool_check_and_test_rules():
    if shutil.which("promtool") is None:
        pytest.skip("promtool not installed")
    r = subprocess.run(["sh", os.path.join(TOP, "tests", "prometheus", "run.sh")],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("SUCCESS") == 5, r.stdout


def test_every_expression_has_an_expectation():
    exprs, _, _ = shipped_expressions()
    want = expected()
    missing = [x for x in exprs if x not in want]
    unused = [x for x in want if x not in exprs]
    assert not missing, "shipped expressions without an expectation: %s" % missing
    assert not unused, "expectations for expressions no longer shipped: %s" % unused


def test_every_expression_against_prometheus(tsdb):
    exprs, _, _ = shipped_expressions()
    want = expected()
    for x in exprs:
        compare(x, tsdb.query(x), want[x])


def test_recorded_series_are_the_expressions(tsdb):
    """The recording rules are loaded and their series carry the expressions' values."""
    want = expected()
    for g in yaml.safe_load(open(FLEET_RULES, encoding="utf-8"))["groups"]:
        for r in g["rules"]:
            if "record" in r:
                compare(r["record"], tsdb.query(r["record"]), want[r["expr"]])


def test_dashboard_variables_and_host_filter(tsdb):
    _, panels, variables = shipped_expressions()
    assert variables == ["label_values(exposured_host_info, hostname)"]
    # label_values(METRIC, LABEL) is Grafana's call of the label values API.
    got = tsdb.api("label/hostname/values", **{"match[]": "exposured_host_info",
                                                "start": str(tsdb.t0 - 24 * HOUR),
                                                "end": str(tsdb.t0 + 60)})
    assert got == sorted(FLEET)
    # Choosing one host narrows every panel that filters by $host to that host.
    filtered = [t["expr"] for p, t in panels if "$host" in t["expr"]]
    assert len(filtered) >= 6
    for x in filtered:
        res = tsdb.query(x.replace("$host", "bravo"))
        assert res and {r["metric"].get("hostname") for r in res} == {"bravo"}, (x, res)


def test_timeseries_panels_over_the_history(tsdb):
    """The trend panels as Grafana runs them: range queries over the six hours."""
    _, panels, _ = shipped_expressions()
    t0 = tsdb.t0
    start, end, step = t0 - HISTORY + HOUR, t0, 15 * MIN
    checked = 0
    for p, t in panels:
        if p["type"] != "timeseries":
            continue
        x = t["expr"].replace("$host", ".*")
        res = tsdb.query_range(x, start, end, step)
        series = {key(r["metric"]): {int(ts) - t0: float(v) for ts, v in r["values"]}
                  for r in res}
        for rel in (-4 * HOUR, -2 * HOUR, -HOUR, 0):
            want = {}
            for h in FLEET:
                if not scraped(h, rel):
                    continue
                ex = exposures(h, rel)
                if x.startswith("max by (hostname)"):
                    want[key({"hostname": h})] = max(ex.values())
                elif x.startswith("avg by (hostname)"):
                    want[key({"hostname": h})] = statistics.mean(ex.values())
                elif x.startswith("sum by (hostname) (increase("):
                    want[key({"hostname": h})] = approx(sum(
                        at(c, rel) - at(c, rel - HOUR)
                        for c in FLEET[h].get("regressions", {}).values()))
            if x == "sum by (predicate) (exposured_units)":
                for p_name in PREDICATE_NAMES:
                    want[key({"predicate": p_name})] = sum(
                        1 for h in FLEET if scraped(h, rel)
                        for v in exposures(h, rel).values() if predicate(v) == p_name)
            assert want, "no model for the time-series panel %r" % x
            got = [{"metric": dict(k), "value": [0, str(v[rel])]}
                   for k, v in series.items() if rel in v]
            compare("%s at T0%+ds" % (x, rel), got, want)
        checked += 1
    assert checked == 4
