# SPDX-License-Identifier: MIT
"""A real Prometheus (the Debian package's binary) scrapes the real daemon with the shipped alert
rules loaded: PromQL returns the oracle's exposure, and a regression made in the container (a
drop-in weakens a service, daemon-reload) raises exposured_regressions_total and fires the
shipped ServiceExposureRegressed alert. Also runs the rules' promtool unit tests.
"""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

import containers

pytest.register_assert_rewrite("web_fixtures")
from web_fixtures import (HARD_UNIT, free_port, http_request, oracle_overview,  # noqa: E402
                          stop, wait_port, wait_until)

pytest_plugins = ["web_fixtures"]

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(TOP, "units", "exposured.rules.yml")

WEAKEN = """[Service]
DynamicUser=no
PrivateNetwork=no
PrivateUsers=no
ProtectSystem=no
ProtectHome=no
CapabilityBoundingSet=CAP_SYS_ADMIN CAP_NET_ADMIN
"""
DROPIN = HARD_UNIT + ".d/50-weaken.conf"


def test_promtool_test_rules():
    """tests/prometheus/run.sh: promtool check rules + promtool test rules."""
    p = subprocess.run(["sh", os.path.join(TOP, "tests", "prometheus", "run.sh")],
                       capture_output=True, text=True, timeout=120, check=False)
    if p.returncode == 77:
        pytest.skip(p.stderr.strip())
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS" in p.stdout


class Prometheus:
    def __init__(self, target):
        self.dir = tempfile.mkdtemp(prefix="exposured-prom-")
        self.port = free_port()
        shutil.copy(RULES, os.path.join(self.dir, "exposured.rules.yml"))
        with open(os.path.join(self.dir, "prometheus.yml"), "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files: [exposured.rules.yml]\n"
                    "scrape_configs:\n  - job_name: exposured\n"
                    "    static_configs:\n      - targets: ['%s']\n" % target)
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
                 "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=containers._set_pdeathsig)   # dies with us, whatever happens
        wait_port(self.port, 30, self.proc, "prometheus")
        wait_until(lambda: http_request("http://127.0.0.1:%d/-/ready" % self.port).status == 200,
                   30, 0.2, "prometheus to be ready")
        return self

    def stop(self):
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def api(self, path, **params):
        url = "http://127.0.0.1:%d/api/v1/%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        r = http_request(url, timeout=10)
        assert r.status == 200, (path, r.status, r.body[:500])
        d = r.json()
        assert d["status"] == "success", d
        return d["data"]

    def query(self, q):
        """{unit or '': float value} of an instant query."""
        res = self.api("query", query=q)["result"]
        return {x["metric"].get("unit", ""): float(x["value"][1]) for x in res}

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""


@pytest.fixture
def prometheus(daemon):
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    p = Prometheus("127.0.0.1:%d" % daemon.port)
    try:
        p.start()
        yield p
    finally:
        p.stop()


def test_scrape_query_and_regression_alert(prometheus, daemon, web_container):
    p = prometheus
    c = web_container
    sel = 'exposured_unit_exposure{unit="%s"}' % HARD_UNIT
    wait_until(lambda: p.query('up{job="exposured"}').get("") == 1.0, 30, 0.5,
               "Prometheus to scrape exposured")
    targets = p.api("targets")["activeTargets"]
    assert len(targets) == 1 and targets[0]["health"] == "up" and not targets[0]["lastError"], \
        targets
    rules = [r["name"] for g in p.api("rules")["groups"] for r in g["rules"]]
    assert "ServiceExposureRegressed" in rules, rules

    # PromQL agrees with the oracle for every service.
    want = oracle_overview(c)
    got = wait_until(lambda: p.query("exposured_unit_exposure"), 15, 0.5, "exposures")
    assert set(want) <= set(got)
    diffs = ["%s: %s vs %s" % (u, got[u], e) for u, (e, _) in want.items()
             if "%.1f" % got[u] != e]
    assert not diffs, diffs
    before = float(want[HARD_UNIT][0])
    assert p.query(sel) == {HARD_UNIT: before}
    regs0 = p.query('exposured_regressions_total{unit="%s"}' % HARD_UNIT)[HARD_UNIT]
    assert not [a for a in p.api("alerts")["alerts"]
                if a["labels"]["alertname"] == "ServiceExposureRegressed"
                and a["labels"].get("unit") == HARD_UNIT]

    # A regression: a drop-in weakens the hardened service.
    c.install_units({DROPIN: WEAKEN})
    try:
        after_e, after_p = oracle_overview(c)[HARD_UNIT]
        assert float(after_e) > before, (before, after_e)
        wait_until(lambda: p.query(sel).get(HARD_UNIT) == float(after_e), 20, 0.5,
                   "PromQL to return the new exposure %s" % after_e)
        assert p.query('exposured_unit_predicate{unit="%s"}' % HARD_UNIT) == {HARD_UNIT: 1.0}
        assert p.query('exposured_unit_predicate{unit="%s",predicate="%s"}'
                       % (HARD_UNIT, after_p)) == {HARD_UNIT: 1.0}
        wait_until(lambda: p.query('exposured_regressions_total{unit="%s"}'
                                   % HARD_UNIT).get(HARD_UNIT) == regs0 + 1, 20, 0.5,
                   "exposured_regressions_total to rise")

        def firing():
            return [a for a in p.api("alerts")["alerts"]
                    if a["labels"]["alertname"] == "ServiceExposureRegressed"
                    and a["labels"].get("unit") == HARD_UNIT and a["state"] == "firing"]
        alerts = wait_until(firing, 20, 0.5, "ServiceExposureRegressed to fire")
        assert alerts[0]["labels"]["severity"] == "warning"
        assert HARD_UNIT in alerts[0]["annotations"]["summary"]
        # The service was not restarted: the weaker configuration is not live yet.
        assert alerts[0]["annotations"]["live"].startswith("no:"), alerts[0]["annotations"]
        # Only the weakened service regressed.
        others = [a["labels"].get("unit") for a in p.api("alerts")["alerts"]
                  if a["labels"]["alertname"] == "ServiceExposureRegressed"
                  and a["labels"].get("unit") != HARD_UNIT]
        assert not others, others
        ev = daemon.get("/api/v1/events?kind=regression&unit=" +
                        urllib.parse.quote(HARD_UNIT)).json()
        assert ev["count"] >= 1 and ev["events"][0]["exposure"] == float(after_e), \
            json.dumps(ev)[:500]
    finally:
        c.remove_units([HARD_UNIT + ".d"])
    wait_until(lambda: p.query(sel).get(HARD_UNIT) == before, 20, 0.5,
               "the exposure to come back to %s" % before)
