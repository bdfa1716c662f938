# SPDX-License-Identifier: MIT
"""`exposured fleet` on a real Prometheus.

Synthetic fleet (fast, no containers): the series of a dozen hosts written into Prometheus' TSDB
by promtool (fleet_tsdb.py), served by the Debian `prometheus`; the JSON endpoints must equal
the aggregates computed here from the same numbers; bad parameters get 4xx JSON naming the
problem; a stopped Prometheus leaves the daemon serving the last answer with the reason and its
age; a Prometheus that never answers is cut off at query_timeout while the loop keeps serving;
headless Chromium renders the pages (no console errors under the CSP, hostile names stay text)
and takes screenshots.

Real fleet (fleet_fixtures.py: four systemd containers 247/252/257/262, a daemon each, one
Prometheus): every host and service is listed with the score of its container's
systemd-analyze security; a unit weakened on one host is flagged as drift and its diff lists
exactly the checks whose verdict or exposure differ between the two containers' oracles.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

import containers
import fleet_tsdb
from web_fixtures import free_port, http_request, stop, wait_port, wait_until

pytest_plugins = ["fleet_fixtures"]

HOSTILE = 'x<script>alert(1)</script>"\'&.service'   # in Prometheus, not a valid unit name
HOSTILE_HOST = '<img src=x onerror=alert(1)>"\''
ESCAPED = "sys-\\x2dfoo.service"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOTS = os.environ.get("FLEET_SCREENSHOTS", tempfile.gettempdir())


def synthetic_fleet():
    hosts = {}
    for i in range(12):
        units = {"nginx.service": 96 if i % 3 == 0 else 51, "sshd.service": 73,
                 "cron.service": 92 - i, ESCAPED: 20, "dbus.service": 0}
        if i == 4:
            units[HOSTILE] = 88
        hosts["10.0.0.%d:9573" % (i + 1)] = {
            "hostname": HOSTILE_HOST if i == 5 else "web-%02d" % i, "systemd": ["247.3-7", "252.38-1", "257.9-1"][i % 3],
            "units": units, "last_scan_ago": 3 * 3600 if i == 7 else 120,
            "up": i != 11,
            "regressions": REGRESSIONS.get(i, {}),
        }
    return fleet_tsdb.Fleet(hosts)


# {host index: {unit: [(seconds before the data's end, by how much the counter rose)]}}: the
# data spans 3 h; the recording rule of the regressions feed is backfilled over its last hour
# only (as if the rules had been loaded then), so a window within that hour is read from the
# recorded series and a longer one from the raw counters.
SPAN, RECORDED_FOR = 3 * 3600, 3600
REGRESSIONS = {
    0: {"nginx.service": [(1800, 1)]},
    3: {"nginx.service": [(1800, 1)]},
    1: {"sshd.service": [(5400, 1), (900, 2)]},   # twice, once by two
    2: {"cron.service": [(99999, 3)]},            # already 3 when first scraped: no rise
    6: {"dbus.service": [(9000, 1)]},
}


class FleetDaemon:
    def __init__(self, exposured, prometheus_url, conf=""):
        self.dir = tempfile.mkdtemp(prefix="exposured-fleet-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "fleet.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("prometheus = %s\nlisten = 127.0.0.1:%d\n%s" % (prometheus_url, self.port,
                                                                  conf))
        self.log_path = os.path.join(self.dir, "log")
        self.cmd = [exposured, "fleet", "--config=" + self.conf, "--log-level=debug"]
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         env=dict(os.environ, LOG_TARGET="stderr"),
                                         preexec_fn=containers._set_pdeathsig)
        wait_port(self.port, 20, self.proc, "exposured fleet")
        return self

    def stop(self):
        stop(self.proc)
        log = self.log()
        shutil.rmtree(self.dir, ignore_errors=True)
        # a SANITIZE=1 build reports leaks and errors at exit
        assert "Sanitizer" not in log and "runtime error" not in log, log[-4000:]
        assert self.proc.returncode == 0, (self.proc.returncode, log[-2000:])

    def get(self, path, timeout=30):
        return http_request(self.base + path, timeout=timeout)

    def json(self, path, status=200):
        r = self.get(path)
        assert r.status == status, (path, r.status, r.body[:400])
        assert r.headers["Content-Type"] == "application/json"
        return r.json()

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


@pytest.fixture(scope="module")
def synthetic(exposured):
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    fleet = synthetic_fleet()
    prom = fleet_tsdb.TsdbPrometheus(fleet, span=SPAN).start()
    prom.record(os.path.join(TOP, "monitoring", "exposured-fleet.rules.yml"),
                "exposured-fleet-regressions", start=prom.end - RECORDED_FOR)
    daemon = FleetDaemon(exposured, prom.url, "cache = 0\nquery_timeout = 5s\n"
                         "stale_after = 1h\n").start()
    try:
        yield fleet, prom, daemon
    finally:
        daemon.stop()
        prom.cleanup()


def q(unit):
    return urllib.parse.quote(unit, safe="")


def test_hosts(synthetic):
    fleet, _, d = synthetic
    j = d.json("/api/v1/fleet/hosts")
    assert j["prometheus"]["fresh"] is True and j["prometheus"]["error"] is None
    hosts = {h["instance"]: h for h in j["hosts"]}
    assert set(hosts) == set(fleet.hosts)
    for inst, want in fleet.hosts.items():
        h = hosts[inst]
        if not want["up"]:
            assert h["up"] is False and h["stale"] is True and h["services"] == 0
            continue
        assert h["up"] is True
        assert h["hostname"] == want["hostname"]
        assert h["systemd_version"] == want["systemd"]
        assert h["services"] == len(want["units"])
        assert h["worst"] == max(want["units"].values()) / 10
        counts = {}
        for t in want["units"].values():
            counts[fleet_tsdb.predicate(t)] = counts.get(fleet_tsdb.predicate(t), 0) + 1
        assert {k: v for k, v in h["by_predicate"].items() if v} == counts
        assert h["stale"] is (want["last_scan_ago"] > 3600), inst
        assert abs(h["last_scan"] - (fleet_tsdb_end(synthetic) - want["last_scan_ago"])) <= 120
        assert h["url"] == "http://" + inst
    # worst first; the down host (no data) last
    worst = [h["worst"] for h in j["hosts"] if h["worst"] is not None]
    assert worst == sorted(worst, reverse=True)
    assert j["hosts"][-1]["up"] is False


def fleet_tsdb_end(synthetic):
    return synthetic[1].end


def test_units(synthetic):
    fleet, _, d = synthetic
    j = d.json("/api/v1/fleet/units")
    got = {u["unit"]: u for u in j["units"]}
    want = fleet.expected_units()
    assert set(got) == set(want)
    for unit, w in want.items():
        g = got[unit]
        assert (g["hosts"], g["min"], g["max"], g["drift"]) == \
            (w["hosts"], w["min"], w["max"], w["drift"]), unit
        assert abs(g["median"] - w["median"]) < 0.006, (unit, g["median"], w["median"])
    # drift first
    drifts = [u["drift"] for u in j["units"]]
    assert drifts == sorted(drifts, reverse=True)


def test_unit_across_hosts(synthetic):
    fleet, _, d = synthetic
    assert d.json("/api/v1/fleet/units/" + q(HOSTILE), status=400)["error"] == \
        "unit: not a valid unit name"
    for unit in ("nginx.service", ESCAPED):
        j = d.json("/api/v1/fleet/units/" + q(unit))
        assert j["unit"] == unit
        want = {inst: h["units"][unit] / 10 for inst, h in fleet.hosts.items()
                if h["up"] and unit in h["units"]}
        assert {h["instance"]: h["exposure"] for h in j["hosts"]} == want
        exposures = [h["exposure"] for h in j["hosts"]]
        assert exposures == sorted(exposures, reverse=True)
        assert j["drift"] is (len(set(want.values())) > 1)
        for h in j["hosts"]:
            assert h["predicate"] == fleet_tsdb.predicate(round(h["exposure"] * 10))
            assert h["url"] == "http://%s/units/%s" % (h["instance"], q(unit))


def expected_regressions(fleet, end, window):
    """[(instance, unit, time, count)] of the rises within window seconds of end, newest first."""
    rows = [(inst, u, end - ago, n) for inst, h in fleet.hosts.items()
            for u, events in h.get("regressions", {}).items() for ago, n in events
            if ago <= window]
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))


@pytest.mark.parametrize("since,window,source", [
    ("50m", 3000, "recorded"),   # within the recorded hour: the recorded series
    ("2h", 7200, "raw"),         # the rule started after the window did: the raw counters
    ("3h", SPAN - 60, "raw"),
])
def test_regressions(synthetic, since, window, source):
    fleet, prom, d = synthetic
    j = d.json("/api/v1/fleet/regressions?since=" + since)
    assert j["source"] == source
    assert j["step_seconds"] == (300 if source == "recorded" else 15)
    want = expected_regressions(fleet, prom.end, window)
    assert len(want) >= 3
    got = [(r["instance"], r["unit"], r["time"], r["count"]) for r in j["regressions"]]
    assert [(g[0], g[1], g[3]) for g in got] == [(w[0], w[1], w[3]) for w in want], (got, want)
    for g, w in zip(got, want):
        # the end of the step in which the counter rose: the rule's evaluation (every 5 minutes)
        # or the subquery's step (15 s) after the sample
        assert 0 <= g[2] - w[2] < j["step_seconds"], (g, w)
    for r in j["regressions"]:
        assert r["hostname"] == fleet.hosts[r["instance"]]["hostname"]
    assert j["truncated"] is False


def test_regressions_none(synthetic):
    _, _, d = synthetic
    j = d.json("/api/v1/fleet/regressions?since=10m")
    assert j["regressions"] == [] and j["source"] == "recorded"


def test_aggregates_source(exposured):
    """The hosts and units pages read the recording rules' series where the rules wrote them
    within the last 15 minutes, compute the same aggregates from the raw series where they did
    not (no rules loaded), and say which, with the rules' evaluation time: the answers are
    equal either way."""
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    fleet = fleet_tsdb.Fleet({
        "10.1.0.%d:9573" % i: {"hostname": "src-%d" % i, "systemd": "252.38-1",
                               "units": {"a.service": 40 + i, "b.service": 70},
                               "last_scan_ago": 60, "up": i != 3}
        for i in range(1, 5)})
    prom = fleet_tsdb.TsdbPrometheus(fleet, span=1800).start()
    d = FleetDaemon(exposured, prom.url, "cache = 0\n").start()
    try:
        raw = {}
        for path in ("/api/v1/fleet/hosts", "/api/v1/fleet/units"):
            j = d.json(path)
            assert j["prometheus"]["aggregates"] == {
                "source": "raw", "window_seconds": 900, "recorded_time": None,
                "recorded_age_seconds": None}, path
            raw[path] = j
        for path in ("/", "/units"):
            assert 'data-source="raw">Aggregates computed by Prometheus' in \
                d.get(path).body.decode(), path
        # the rules as if loaded 10 minutes before the data's end (every 2 minutes)
        prom.record(os.path.join(TOP, "monitoring", "exposured-fleet.rules.yml"),
                    "exposured-fleet", start=prom.end - 600)
        for path in ("/api/v1/fleet/hosts", "/api/v1/fleet/units"):
            j = d.json(path)
            agg = j["prometheus"]["aggregates"]
            assert agg["source"] == "recorded", (path, agg)
            assert prom.end - 120 <= agg["recorded_time"] <= prom.end, (agg, prom.end)
            assert agg["recorded_age_seconds"] == j["prometheus"]["data_time"] - \
                agg["recorded_time"]
            key = "hosts" if path.endswith("hosts") else "units"
            assert j[key] == raw[path][key], path
        down = [h for h in j_hosts(d) if h["instance"] == "10.1.0.3:9573"]
        assert down[0]["worst"] is None and down[0]["up"] is False, down
        for path in ("/", "/units"):
            assert 'data-source="recorded">Aggregates from Prometheus\' recording rules, ' \
                'evaluated <time' in d.get(path).body.decode(), path
    finally:
        d.stop()
        prom.cleanup()


def j_hosts(d):
    return d.json("/api/v1/fleet/hosts")["hosts"]


@pytest.mark.parametrize("path,status,message", [
    ("/api/v1/fleet/units/nginx", 400, "unit: not a valid unit name"),
    ("/api/v1/fleet/units/%40x.service", 400, "unit: not a valid unit name"),
    ("/api/v1/fleet/units/nope.service", 404, "unit: no host reports it"),
    ("/api/v1/fleet/units/nginx.service/diff", 400, "a: missing"),
    ("/api/v1/fleet/units/nginx.service/diff?a=10.0.0.1:9573", 400, "b: missing"),
    ("/api/v1/fleet/units/nginx.service/diff?a=x&b=x", 400, "the same instance"),
    # the synthetic hosts are series, not targets Prometheus scrapes: no address to ask
    ("/api/v1/fleet/units/nginx.service/diff?a=10.0.0.1:9573&b=nowhere:1", 404,
     "a: '10.0.0.1:9573' is not a target of job 'exposured'"),
    ("/api/v1/fleet/regressions?since=yesterday", 400, "since: expected"),
    ("/api/v1/fleet/regressions?since=40d", 400, "since: more than 31 days ago"),
    ("/api/v1/fleet/regressions?since=4102444800", 400, "since: in the future"),
    ("/api/v1/fleet/hosts?x=1", 400, "unknown query argument"),
    ("/api/v1/fleet/nothing", 404, ""),
])
def test_bad_parameters(synthetic, path, status, message):
    d = synthetic[2]
    j = d.json(path, status=status)
    assert message in j["error"], j


def test_prometheus_down_and_back(synthetic):
    """Stopped: the answered pages show the last answer, the error and its age; a page never
    answered is a 502 naming Prometheus; the daemon keeps serving; restarted: fresh again."""
    fleet, prom, d = synthetic
    assert d.json("/api/v1/fleet/hosts")["prometheus"]["fresh"]
    assert d.get("/").status == 200
    prom.stop()
    try:
        time.sleep(1.1)
        j = d.json("/api/v1/fleet/hosts")
        assert j["prometheus"]["fresh"] is False
        assert "Prometheus at " + prom.url in j["prometheus"]["error"]
        assert j["prometheus"]["age_seconds"] >= 1
        assert len(j["hosts"]) == len(fleet.hosts)
        page = d.get("/").text
        assert "Prometheus is not answering" in page and "stale" in page
        j = d.json("/api/v1/fleet/units/cron.service", status=502)
        assert "Prometheus at " + prom.url in j["error"]
        page = d.get("/units/cron.service")
        assert page.status == 502 and "Prometheus at" in page.text
        assert d.get("/static/style.css").status == 200
        assert d.proc.poll() is None
        assert "Prometheus at '%s' failed" % prom.url in d.log()
    finally:
        prom.start()
    wait_until(lambda: d.json("/api/v1/fleet/hosts")["prometheus"]["fresh"], 30, 0.5,
               "fresh answers again")
    assert "answers again" in d.log()


def test_slow_prometheus_times_out(exposured):
    """A "Prometheus" that accepts and never answers: the answer is a 504 after query_timeout,
    and meanwhile the daemon answers other requests at once (the loop never blocks)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    url = "http://127.0.0.1:%d" % silent.getsockname()[1]
    d = FleetDaemon(exposured, url, "query_timeout = 1500ms\ncache = 0\n").start()
    try:
        result = {}

        def slow():
            t0 = time.monotonic()
            result["r"] = d.get("/api/v1/fleet/hosts")
            result["t"] = time.monotonic() - t0
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        assert d.get("/static/fleet.css").status == 200
        assert time.monotonic() - t0 < 0.5
        t.join(10)
        r = result["r"]
        assert r.status == 504, r.body
        assert "Prometheus at " + url in r.json()["error"]
        assert "imeout" in r.json()["error"] or "timed out" in r.json()["error"]
        assert 1.3 < result["t"] < 4
    finally:
        d.stop()
        silent.close()


# ---- headless Chromium ----

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium not installed")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromium-driver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


def load(drv, url):
    drv.get_log("browser")
    drv.get(url)
    wait_until(lambda: drv.execute_script("return document.readyState") == "complete", 20, 0.1,
               "page load")
    time.sleep(0.3)
    return [e["message"] for e in drv.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def shot(drv, name):
    path = os.path.join(SCREENSHOTS, name)
    drv.save_screenshot(path)
    assert os.path.getsize(path) > 10000
    return path


def injected(drv):
    return drv.execute_script(
        "return [...document.querySelectorAll('img, [onerror], script')].filter(e =>"
        " !(e.tagName === 'IMG' && e.getAttribute('src') === '/static/favicon.svg'))"
        ".map(e => e.outerHTML)")


def test_pages_in_chromium(synthetic, browser):
    fleet, prom, d = synthetic
    assert load(browser, d.base + "/") == []
    rows = browser.find_elements(By.CSS_SELECTOR, "#hosts tbody tr")
    assert len(rows) == len(fleet.hosts)
    assert rows[0].get_attribute("data-instance") == "10.0.0.1:9573"   # 9.6 first
    down = browser.find_elements(By.CSS_SELECTOR, "#hosts tr.down")
    assert [r.get_attribute("data-instance") for r in down] == ["10.0.0.12:9573"]
    stale = browser.find_elements(By.CSS_SELECTOR, "#hosts tr.stale")
    assert [r.get_attribute("data-instance") for r in stale] == ["10.0.0.8:9573"]
    link = rows[0].find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href") == "http://10.0.0.1:9573/"
    assert HOSTILE_HOST in browser.find_element(By.ID, "hosts").text
    assert injected(browser) == []
    print("screenshot", shot(browser, "fleet-hosts.png"))

    assert load(browser, d.base + "/units") == []
    units = [r.get_attribute("data-unit")
             for r in browser.find_elements(By.CSS_SELECTOR, "#units tbody tr")]
    assert set(units) == set(fleet.expected_units())
    assert HOSTILE in units and injected(browser) == []
    drift = [r.get_attribute("data-unit")
             for r in browser.find_elements(By.CSS_SELECTOR, "#units tbody tr")
             if r.find_elements(By.CSS_SELECTOR, ".mark.drift")]
    assert set(drift) == {u for u, w in fleet.expected_units().items() if w["drift"]}
    assert units[:len(drift)] == drift
    print("screenshot", shot(browser, "fleet-units.png"))

    assert load(browser, d.base + "/units/" + q("nginx.service")) == []
    hosts = browser.find_elements(By.CSS_SELECTOR, "#unit-hosts tbody tr")
    assert len(hosts) == len([h for h in fleet.hosts.values() if h["up"]])
    own = hosts[0].find_element(By.LINK_TEXT, "every check").get_attribute("href")
    assert own.endswith("/units/nginx.service")
    assert browser.find_element(By.NAME, "a") and browser.find_element(By.NAME, "b")
    print("screenshot", shot(browser, "fleet-unit.png"))

    assert load(browser, d.base + "/units/" + q("cron.service")) == []
    assert HOSTILE_HOST in browser.find_element(By.ID, "unit-hosts").text
    assert injected(browser) == []

    assert load(browser, d.base + "/regressions?since=2h") == []
    assert len(browser.find_elements(By.CSS_SELECTOR, "#regressions tbody tr")) == \
        len(expected_regressions(fleet, prom.end, 7200))
    print("screenshot", shot(browser, "fleet-regressions.png"))


# ---- the real fleet ----

def verdict(check):
    if check.get("badness") is None:
        return "na"
    return "fail" if check["badness"] > 0 else "pass"


def exposure_tenths(x):
    return None if x is None else round(float(x) * 10)


def test_real_fleet(fleet, exposured, browser):
    """Four containers: hosts, scores equal to each container's systemd-analyze, drift and a
    diff equal to the oracles' difference."""
    import fleet_fixtures
    prom_url = fleet.prometheus.base
    d = FleetDaemon(exposured, prom_url, "cache = 0\n").start()
    weak_host = fleet.host(257)
    other = fleet.host(252)
    unit = fleet_fixtures.FLEET_HARD
    try:
        j = d.json("/api/v1/fleet/hosts")
        by_inst = fleet.by_instance()
        assert {h["instance"] for h in j["hosts"]} == set(by_inst)
        for h in j["hosts"]:
            fh = by_inst[h["instance"]]
            assert h["up"] and not h["stale"], h
            assert h["hostname"] == fh.hostname
            assert h["systemd_version"].split(".")[0].split("~")[0] == str(fh.version)

        # every service of every host, as its container's systemd-analyze scores it
        # (the units page reads the recorded series when the rules are loaded: a unit the
        # fixture installed last may follow one rule evaluation later, so wait for it)
        oracles = {fh.instance: fh.oracle() for fh in fleet.hosts}
        want_units = set().union(*oracles.values())
        deadline = time.monotonic() + 60
        while True:
            units = {u["unit"] for u in d.json("/api/v1/fleet/units")["units"]}
            if want_units <= units or time.monotonic() > deadline:
                break
            time.sleep(1)
        for fh in fleet.hosts:
            oracle = oracles[fh.instance]
            assert set(oracle) <= units, sorted(set(oracle) - units)
            for u in fleet_fixtures.FLEET_UNITS + sorted(oracle)[:8]:
                want = fh.oracle([u])[u] if u not in oracle else oracle[u]

                def across(u=u):
                    rows = d.json("/api/v1/fleet/units/" + q(u))["hosts"]
                    return {r["instance"]: r["exposure"] for r in rows}
                got = across()
                if fh.instance not in got:
                    # this page reads the raw series: a scrape that timed out on a loaded
                    # machine (load 87 once) leaves the host out until the next one
                    wait_until(lambda: fh.instance in across(), 30, 1,
                               "%s on the page of %s" % (fh.instance, u))
                    got = across()
                assert "%.1f" % got[fh.instance] == want, (fh, u)

        # drift: weaken the hardened unit on one host only
        weak_host.weaken(unit)
        want_weak = weak_host.oracle([unit])[unit]
        fleet.wait_exposure(weak_host, unit, want_weak)
        # the units page reads the recorded series when the rules are loaded (as here): they
        # follow at the next rule evaluation
        def drift():
            rows = [u for u in d.json("/api/v1/fleet/units")["units"] if u["unit"] == unit]
            return rows and rows[0]["drift"] and rows[0]["max"] == float(want_weak)
        wait_until(drift, 30, 0.5, "drift of %s on the units page" % unit)
        diff = d.json("/api/v1/fleet/units/%s/diff?a=%s&b=%s" % (q(unit), weak_host.instance,
                                                                other.instance))
        ca = {c["name"]: c for c in weak_host.oracle_checks(unit)}
        cb = {c["name"]: c for c in other.oracle_checks(unit)}
        want = set()
        for name in set(ca) | set(cb):
            a, b = ca.get(name), cb.get(name)
            if not a or not b or verdict(a) != verdict(b) or \
                    exposure_tenths(a.get("exposure")) != exposure_tenths(b.get("exposure")):
                want.add(name)
        assert {c["name"] for c in diff["checks"]} == want
        assert diff["a"]["exposure"] == float(want_weak)

        # the unit page in Chromium: the diff table lists the same checks
        assert load(browser, "%s/units/%s?a=%s&b=%s" % (d.base, q(unit), q(weak_host.instance),
                                                       q(other.instance))) == []
        names = [r.get_attribute("data-check")
                 for r in browser.find_elements(By.CSS_SELECTOR, "#diff-checks tbody tr")]
        assert set(names) == want
        shot(browser, "fleet-diff.png")
        assert load(browser, d.base + "/") == []
        assert len(browser.find_elements(By.CSS_SELECTOR, "#hosts tbody tr")) == 4
    finally:
        weak_host.restore(unit)
        d.stop()


def test_own_token(synthetic, exposured):
    """With `token`, the dashboard and its API answer only requests that carry it."""
    _, prom, _ = synthetic
    d = FleetDaemon(exposured, prom.url)
    with open(os.path.join(d.dir, "token"), "w", encoding="ascii") as f:
        f.write("fleet-s3cret\n")
    with open(d.conf, "a", encoding="utf-8") as f:
        f.write("token = %s\n" % os.path.join(d.dir, "token"))
    d.start()
    try:
        assert d.get("/api/v1/fleet/hosts").status == 401
        assert d.get("/").status == 401
        r = http_request(d.base + "/api/v1/fleet/hosts",
                         headers={"Authorization": "Bearer fleet-s3cret"})
        assert r.status == 200 and r.json()["hosts"]
    finally:
        d.stop()
