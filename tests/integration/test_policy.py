# SPDX-License-Identifier: MIT
"""Unit policies (/etc/exposured/policy.d, issue 11 items 1-2) against a real systemd: the daemon
runs in a throwaway container as a transient Type=notify service whose ExecReload= is the
shipped unit's, reading its policy from a directory the tests write.

In file order: `exposured baseline` installed as the policy makes every unit ok and fires no
over-policy alert; a weakening drop-in takes a unit over policy within seconds (event, regression
marked broke_policy, metric, dashboard, journal) and removing it brings it back within policy;
an accepted check does not count and an expired waiver does (the waiver-expired event); a
malformed file gets FILE:LINE (journal, /api/v1/status, --check-config) and changes nothing; the
over-policy alert fires in a real Prometheus and the dashboard shows status as a column and a
filter and the accepted checks in a real Chromium.
"""

import datetime
import os
import re
import shutil
import time
import urllib.parse

import pytest

import daemon_fixtures as F

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLICY_DIR = F.RUN_DIR + "/policy.d"
UNIT = "policytest-web.service"
OTHER = "policytest-other.service"

MSG_OVER = "6864af5c157f4db495ea6c2df569e4f9"       # daemon/log.h
MSG_WITHIN = "66ac8597ab784e2e900f630585add692"
MSG_EXPIRED = "147b39b2e90043be9dc4edb1b1769463"
MSG_POLICY_LOAD = "a59bc4b913164644a4875ed7a25fc66e"

SERVICE = """[Unit]
Description=exposured policy test: %s
[Service]
ExecStart=/bin/sleep infinity
PrivateNetwork=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
NoNewPrivileges=yes
"""
WEAKEN = "[Service]\nPrivateNetwork=no\nProtectHome=no\n"
DROPIN = "/etc/systemd/system/%s.d/50-weaken.conf" % UNIT
DEADLINE = 10.0  # "within seconds": a scan after daemon-reload is well under a second here


def put(c, path, text):
    """Write a file inside the container (its directories made)."""
    os.makedirs(os.path.dirname(c.path(path)), exist_ok=True)
    with open(c.path(path), "w", encoding="utf-8") as f:
        f.write(text)


def shipped_exec_reload():
    with open(os.path.join(TOP, "units", "exposured.service"), encoding="utf-8") as f:
        lines = re.findall(r"^ExecReload=(.*)$", f.read(), re.M)
    assert len(lines) == 1, "units/exposured.service must have one ExecReload="
    return lines[0]


class PolicyDaemon(F.ContainerDaemon):
    """ContainerDaemon as a unit file (in /run/systemd/system) with the shipped unit's
    ExecReload=: a transient unit's ExecReload= loses its $MAINPID to an escape over a
    daemon-reload (systemd 252), and the tests daemon-reload a lot."""

    def start(self, wait_ready=True, check=True):
        self.install()
        os.makedirs(self.c.path(os.path.dirname(self.db_path)), exist_ok=True)
        put(self.c, "/run/systemd/system/" + self.unit,
            "[Service]\nType=notify\nNotifyAccess=main\nTimeoutStartSec=60\n"
            "ExecStart=%s\nExecReload=%s\n" % (" ".join(self.argv()), shipped_exec_reload()))
        self.c.daemon_reload()
        r = self.c.run(["systemctl", "start", self.unit], check=False, timeout=90)
        self.started = True
        if check and r.returncode != 0:
            raise AssertionError("systemctl start failed (%d): %s\n%s"
                                 % (r.returncode, r.stderr, self.journal_text()))
        return r


@pytest.fixture(scope="module")
def box(daemon_box):
    c = daemon_box
    for u, what in ((UNIT, "web"), (OTHER, "other")):
        put(c, os.path.join("/etc/systemd/system", u), SERVICE % what)
    os.makedirs(c.path(POLICY_DIR), exist_ok=True)
    c.daemon_reload()
    c.run(["systemctl", "start", UNIT, OTHER])
    try:
        yield c
    finally:
        c.run(["systemctl", "stop", UNIT, OTHER], check=False)
        for p in (DROPIN, "/etc/systemd/system/" + UNIT, "/etc/systemd/system/" + OTHER):
            if os.path.lexists(c.path(p)):
                os.unlink(c.path(p))
        shutil.rmtree(c.path("/etc/systemd/system/%s.d" % UNIT), ignore_errors=True)
        shutil.rmtree(c.path(POLICY_DIR), ignore_errors=True)
        c.daemon_reload()


@pytest.fixture(scope="module")
def daemon(box, exposured):
    d = PolicyDaemon(box, exposured, unit="policy-exposured-test.service",
                     db=F.STATE_DIR + "/policy.db", args=["--policy-dir=" + POLICY_DIR])
    if os.path.exists(box.path(d.db_path)):
        os.unlink(box.path(d.db_path))
    try:
        d.start()
        yield d
    finally:
        d.stop()
        if os.path.lexists(box.path("/run/systemd/system/" + d.unit)):
            os.unlink(box.path("/run/systemd/system/" + d.unit))
            box.daemon_reload()


def write_policy(c, name, text):
    path = os.path.join(POLICY_DIR, name)
    put(c, path, text)
    return path


def clear_policy(c):
    for n in os.listdir(c.path(POLICY_DIR)):
        os.unlink(c.path(os.path.join(POLICY_DIR, n)))


def reload_policy(d):
    """`systemctl reload` (the shipped ExecReload=), then wait for the daemon to have read it."""
    before = d.api.status()["policy"]["loads"]
    r = d.c.run(["systemctl", "reload", d.unit], check=False, timeout=30)
    if r.returncode != 0:
        print(d.describe())
        print(d.c.run(["journalctl", "--no-pager", "-n", "40"], check=False).stdout)
    assert r.returncode == 0, r.stderr
    F.wait_for(lambda: d.api.status()["policy"]["loads"] > before, DEADLINE, "policy reloaded")
    return d.api.status()["policy"]


def unit_policy(d, unit):
    j = d.api.json("/api/v1/units/" + urllib.parse.quote(unit, safe=""))
    return j and j["policy"]


def statuses(d):
    return {u["unit"]: u["policy"] for u in d.api.json("/api/v1/units")["units"]}


def events(d, kind, unit=UNIT):
    j = d.api.json("/api/v1/events?kind=%s&unit=%s&since=0" % (kind, unit))
    return j["events"] if j else []


def metric(d, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    m = d.api.metrics() or {}
    for k, v in m.items():
        n, _, rest = k.partition("{")
        if n != name:
            continue
        # the labels asked for; others (oneshot=) whatever they are
        got = set(re.findall(r'[a-z_]+="[^"]*"', rest))
        if {w for w in want.split(",") if w} <= got:
            return v
    return None


def journal_since(d, message_id, cursor_time):
    return [e for e in d.journal("MESSAGE_ID=" + message_id)
            if int(e["__REALTIME_TIMESTAMP"]) >= cursor_time]


def now_usec():
    return int(time.time() * 1e6)


def daemon_reload_with(c, dropin_text):
    if dropin_text is None:
        if os.path.lexists(c.path(DROPIN)):
            os.unlink(c.path(DROPIN))
    else:
        put(c, DROPIN, dropin_text)
    c.daemon_reload()


# ---- the baseline ----

def test_no_policy_everything_unmanaged(daemon):
    st = daemon.api.status()["policy"]
    assert st["loaded"] and st["ok"] and st["error"] is None and st["rules"] == 0
    assert set(statuses(daemon).values()) == {"unmanaged"}
    assert metric(daemon, "exposured_unit_policy_status", unit=UNIT, status="unmanaged") == "1"
    assert metric(daemon, "exposured_policy_load_ok") == "1"


def test_baseline_installed_makes_every_unit_ok(daemon):
    c = daemon.c
    r = c.run([daemon.binary, "baseline"], check=False)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    units = statuses(daemon)
    # one section per service the daemon watches, each with today's exposure as the ceiling
    sections = re.findall(r"^\[(.+)\]$", text, re.M)
    assert set(sections) >= set(units), set(units) - set(sections)
    api_exp = daemon.api.units()
    block = text.split("[%s]\n" % UNIT, 1)[1].split("\n[", 1)[0]
    assert "max_exposure = %s\n" % api_exp[UNIT] in block
    failing = [ck["name"] for ck in daemon.api.json("/api/v1/units/" + UNIT)["checks"]
               if ck["verdict"] == "fail"]
    assert failing and all("accept = %s\n" % n in block for n in failing)
    assert "reason = baseline of " in block

    # one unit only
    r1 = c.run([daemon.binary, "baseline", UNIT], check=False)
    assert r1.returncode == 0 and re.findall(r"^\[(.+)\]$", r1.stdout, re.M) == [UNIT]
    assert c.run([daemon.binary, "baseline", "nosuch-xyz.service"],
                 check=False).returncode == 1
    assert c.run([daemon.binary, "baseline", "foo.socket"], check=False).returncode == 2

    write_policy(c, "50-baseline.conf", text)
    st = reload_policy(daemon)
    assert st["ok"] and st["rules"] == len(sections) and st["files"] == 1
    got = statuses(daemon)
    assert set(got.values()) == {"ok"}, {u: s for u, s in got.items() if s != "ok"}
    assert st["units"]["over-policy"] == 0 and st["units"]["ok"] == len(got)
    assert metric(daemon, "exposured_unit_policy_status", unit=UNIT, status="ok") == "1"
    assert metric(daemon, "exposured_unit_policy_max_exposure", unit=UNIT) == api_exp[UNIT]
    m = daemon.api.metrics()
    assert not [k for k in m if 'status="over-policy"' in k and
                k.startswith("exposured_unit_policy_status")]
    assert m['exposured_units_by_policy{status="over-policy"}'] == "0"
    assert events(daemon, "over-policy", unit=UNIT) == []


# ---- over policy and back ----

def test_weakening_goes_over_policy_and_back(daemon):
    c = daemon.c
    t0 = now_usec()
    daemon_reload_with(c, WEAKEN)
    F.wait_for(lambda: unit_policy(daemon, UNIT) == "over-policy", DEADLINE, "over-policy")
    assert statuses(daemon)[OTHER] == "ok"

    detail = daemon.api.json("/api/v1/units/" + UNIT)["policy_detail"]
    assert detail["status"] == "over-policy" and detail["over_max_exposure"]
    assert detail["rule"].startswith(POLICY_DIR + "/50-baseline.conf:")
    # the event, and the regression that caused it, marked as the one that broke the policy
    ev = F.wait_for(lambda: events(daemon, "over-policy"), DEADLINE, "over-policy event")
    assert ev[0]["unit"] == UNIT and ev[0]["time_usec"] >= t0
    assert ev[0]["max_exposure"] is not None and ev[0]["exposure"] > ev[0]["max_exposure"]
    assert "PrivateNetwork=" in ev[0]["policy_checks"]
    reg = events(daemon, "regression")
    assert reg and reg[0]["broke_policy"] is True and reg[0]["time_usec"] >= t0
    # metric, dashboard (column and filter), journal, CLI
    assert metric(daemon, "exposured_unit_policy_status", unit=UNIT,
                  status="over-policy") == "1"
    status, body, _ = daemon.api.get("/?policy=over-policy")
    html = body.decode()
    assert status == 200 and UNIT in html and OTHER not in html
    assert 'data-unit="%s"' % UNIT in html and "pol-over-policy" in html
    j = F.wait_for(lambda: journal_since(daemon, MSG_OVER, t0), DEADLINE, "journal entry")
    assert j[-1]["EXPOSURED_UNIT"] == UNIT and "PrivateNetwork=" in j[-1]["EXPOSURED_CHECKS"]
    assert j[-1]["EXPOSURED_POLICY_RULE"].startswith(POLICY_DIR + "/50-baseline.conf:")
    regj = [e for e in daemon.journal("MESSAGE_ID=" + F.MSG_REGRESSION, "EXPOSURED_UNIT=" + UNIT)
            if int(e["__REALTIME_TIMESTAMP"]) >= t0]
    assert regj and regj[-1]["EXPOSURED_POLICY"] == "over-policy broke"
    rc, out, err = daemon.cli("events", "--kind=over-policy")
    assert rc == 0 and UNIT in out, err
    line = [x for x in out.splitlines() if UNIT in x][0]
    assert "max_exposure %.1f; not accepted:" % ev[0]["max_exposure"] in line
    assert "PrivateNetwork=" in line
    status, body, _ = daemon.api.get("/events?kind=over-policy")
    assert status == 200 and "max_exposure %.1f" % ev[0]["max_exposure"] in body.decode()

    # restored: back within policy
    t1 = now_usec()
    daemon_reload_with(c, None)
    F.wait_for(lambda: unit_policy(daemon, UNIT) == "ok", DEADLINE, "back within policy")
    back = F.wait_for(lambda: events(daemon, "back-within-policy"), DEADLINE, "event")
    assert back[0]["time_usec"] >= t1
    assert F.wait_for(lambda: journal_since(daemon, MSG_WITHIN, t1), DEADLINE, "journal")
    assert metric(daemon, "exposured_unit_policy_status", unit=UNIT, status="ok") == "1"
    # an improvement does not break anything
    imp = events(daemon, "improvement")
    assert imp and imp[0]["broke_policy"] is False


def test_restart_does_not_report_again(daemon):
    """The history says which units are over policy: a restart reports only real changes."""
    c = daemon.c
    daemon_reload_with(c, WEAKEN)
    F.wait_for(lambda: unit_policy(daemon, UNIT) == "over-policy", DEADLINE, "over-policy")
    n = len(events(daemon, "over-policy"))
    daemon.stop()
    daemon.start()
    assert unit_policy(daemon, UNIT) == "over-policy"
    time.sleep(1)
    assert len(events(daemon, "over-policy")) == n
    daemon_reload_with(c, None)
    F.wait_for(lambda: unit_policy(daemon, UNIT) == "ok", DEADLINE, "back within policy")


# ---- waivers ----

def test_accepted_check_does_not_count_expired_waiver_does(daemon):
    c = daemon.c
    checks = daemon.api.json("/api/v1/units/" + UNIT)["checks"]
    failing = [ck["name"] for ck in checks if ck["verdict"] == "fail"]
    assert "PrivateDevices=" in failing
    rest = [n for n in failing if n != "PrivateDevices="]
    expires = (datetime.datetime.now(datetime.timezone.utc) +
               datetime.timedelta(seconds=8)).replace(microsecond=0)
    expires_text = expires.strftime("%Y-%m-%d %H:%M:%S UTC")
    clear_policy(c)
    write_policy(c, "10-web.conf",
                 "# the web unit: an allow list, two waivers\n"
                 "[%s]\n" % UNIT +
                 "".join("accept = %s\n" % n for n in rest) +
                 "reason = known and accepted\n"
                 "\n[%s]\n" % UNIT +
                 "accept = PrivateDevices=\n"
                 "reason = needs /dev/fuse until the rewrite\n"
                 "expires = %s\n" % expires_text)
    st = reload_policy(daemon)
    assert st["ok"] and st["rules"] == 2
    # every failing check accepted: ok, although the unit fails them
    assert unit_policy(daemon, UNIT) == "ok"
    assert statuses(daemon)[OTHER] == "unmanaged"
    j = daemon.api.json("/api/v1/units/" + UNIT)
    acc = {ck["name"]: ck["accepted"] for ck in j["checks"]}
    assert acc["PrivateDevices="]["reason"] == "needs /dev/fuse until the rewrite"
    assert acc["PrivateDevices="]["expires"] == expires_text
    assert acc["PrivateDevices="]["expired"] is False
    assert acc["PrivateDevices="]["rule"] == POLICY_DIR + "/10-web.conf:%d" % (len(rest) + 5)
    assert acc["PrivateNetwork="] is None  # passes, and nobody accepted it
    assert all(acc[n]["reason"] == "known and accepted" and acc[n]["expires"] is None
               for n in rest)
    assert j["policy_detail"]["next_expiry_usec"] == int(expires.timestamp()) * 1000000
    # the unit page marks them
    status, body, _ = daemon.api.get("/units/" + UNIT)
    html = body.decode()
    assert "needs /dev/fuse until the rewrite" in html and expires_text in html
    assert html.count('class="waiver"') == len(failing)

    # the waiver expires while the daemon runs: the check counts again, an event says so
    t0 = now_usec()
    F.wait_for(lambda: unit_policy(daemon, UNIT) == "over-policy", 20, "the waiver to expire")
    assert now_usec() >= int(expires.timestamp() * 1e6)
    ex = F.wait_for(lambda: events(daemon, "waiver-expired"), DEADLINE, "waiver-expired event")
    assert ex[0]["policy_checks"] == ["PrivateDevices="]
    over = events(daemon, "over-policy")
    assert over and over[0]["time_usec"] >= t0 and over[0]["policy_checks"] == ["PrivateDevices="]
    je = F.wait_for(lambda: journal_since(daemon, MSG_EXPIRED, t0), DEADLINE, "journal")
    assert je[-1]["EXPOSURED_CHECKS"] == "PrivateDevices="
    j = daemon.api.json("/api/v1/units/" + UNIT)
    acc = {ck["name"]: ck["accepted"] for ck in j["checks"]}
    assert acc["PrivateDevices="]["expired"] is True
    assert j["policy_detail"]["checks_not_accepted"] == 1


# ---- broken files ----

def test_malformed_policy_file_line_and_nothing_changes(daemon):
    c = daemon.c
    before = statuses(daemon)
    old = daemon.api.status()["policy"]
    path = write_policy(c, "20-broken.conf",
                        "[%s]\n# a typo below\nmax_exposure = 11.5\n" % OTHER)
    t0 = now_usec()
    st = reload_policy(daemon)
    assert st["ok"] is False and st["loaded"] is True
    assert st["error"].startswith(path + ":3: max_exposure: '11.5' is not an exposure"), st
    assert st["rules"] == old["rules"] and st["loaded_at_usec"] == old["loaded_at_usec"]
    assert st["failures"] == old["failures"] + 1
    assert statuses(daemon) == before
    assert metric(daemon, "exposured_policy_load_ok") == "0"
    j = F.wait_for(lambda: journal_since(daemon, MSG_POLICY_LOAD, t0), DEADLINE, "journal")
    assert (path + ":3:") in j[-1]["MESSAGE"] and "keeping the unit policy in force" in \
        j[-1]["MESSAGE"]
    # --check-config says the same, and fails
    r = c.run([daemon.binary, "run", "--check-config", "--policy-dir=" + POLICY_DIR,
               "--db=" + daemon.db_path], check=False)
    assert r.returncode == 1 and (path + ":3: max_exposure:") in r.stderr, r.stderr

    for bad, line, what in (("accept = PrivateNetwork=\n", 1, "outside a rule"),
                            ("[x.service]\naccept = PrivateNetwork=\n", 2, "needs a reason="),
                            ("[x.service]\naccept = NoSuchCheck=\nreason = r\n", 2,
                             "unknown check"),
                            ("[x.service]\nmax_exposure = 5\nexpires = someday\n", 3,
                             "not a date")):
        write_policy(c, "20-broken.conf", bad)
        st = reload_policy(daemon)
        assert st["error"].startswith("%s:%d: " % (path, line)) and what in st["error"], st
        assert statuses(daemon) == before

    # fixed: loaded, the error gone; the load says that 10-web.conf's waiver is past
    write_policy(c, "20-broken.conf", "[%s]\nmax_exposure = 10.0\n" % OTHER)
    t1 = now_usec()
    st = reload_policy(daemon)
    j = F.wait_for(lambda: journal_since(daemon, MSG_POLICY_LOAD, t1), DEADLINE, "journal")
    assert "the waivers of 1 rules are past their expires=" in j[-1]["MESSAGE"], j[-1]["MESSAGE"]
    assert st["ok"] and st["error"] is None and st["rules"] == old["rules"] + 1
    assert statuses(daemon)[OTHER] == "ok"
    assert metric(daemon, "exposured_policy_load_ok") == "1"
    r = c.run([daemon.binary, "run", "--check-config", "--policy-dir=" + POLICY_DIR,
               "--db=" + daemon.db_path], check=False)
    assert r.returncode == 0 and "# unit policy: %d rules in 2 files" % st["rules"] in r.stdout


def test_sighup_reloads_too(daemon):
    before = daemon.api.status()["policy"]["loads"]
    daemon.c.run(["systemctl", "kill", "--signal=HUP", "--kill-whom=main", daemon.unit])
    F.wait_for(lambda: daemon.api.status()["policy"]["loads"] == before + 1, DEADLINE, "reload")
    assert daemon.show("ActiveState")["ActiveState"] == "active"


# ---- the alert rule in a real Prometheus ----

def baseline_policy(d, *units):
    r = d.c.run([d.binary, "baseline"] + list(units), check=False)
    assert r.returncode == 0, r.stderr
    clear_policy(d.c)
    write_policy(d.c, "50-baseline.conf", r.stdout)
    st = reload_policy(d)
    assert st["ok"], st


def test_over_policy_alert_in_prometheus(daemon):
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    from fleet_fixtures import Prometheus
    baseline_policy(daemon, UNIT, OTHER)
    assert unit_policy(daemon, UNIT) == "ok" and unit_policy(daemon, OTHER) == "ok"
    p = Prometheus(scrape_targets=["127.0.0.1:%d" % daemon.port],
                   rule_files=[os.path.join(TOP, "units", "exposured.rules.yml")])
    p.start()

    def alerts(name):
        return [a for a in p.api("alerts")["alerts"] if a["labels"]["alertname"] == name]
    try:
        F.wait_for(lambda: p.query('exposured_unit_policy_status{unit="%s"}' % UNIT), 30,
                   "Prometheus to scrape the policy status", interval=0.5)
        assert p.query('exposured_unit_policy_status{unit="%s",status="ok"}' % UNIT)
        # a few evaluations (1 s each) with every unit within policy or unmanaged: no alert
        time.sleep(3)
        assert alerts("ServiceOverPolicy") == []

        daemon_reload_with(daemon.c, WEAKEN)
        exposure = F.wait_for(lambda: unit_policy(daemon, UNIT) == "over-policy" and
                              daemon.api.units()[UNIT], DEADLINE, "over-policy")
        fired = F.wait_for(lambda: [a for a in alerts("ServiceOverPolicy")
                                    if a["state"] == "firing"], 30,
                           "ServiceOverPolicy to fire", interval=0.5)
        assert [a["labels"]["unit"] for a in fired] == [UNIT]
        ann = fired[0]["annotations"]
        assert ann["exposure"] == exposure and ann["unit"] == UNIT
        assert float(ann["max_exposure"]) < float(exposure)
        assert fired[0]["labels"]["severity"] == "warning"
        # the regression of a managed unit is not ServiceExposureRegressed's
        time.sleep(2)
        assert not [a for a in alerts("ServiceExposureRegressed")
                    if a["labels"].get("unit") == UNIT]

        daemon_reload_with(daemon.c, None)
        F.wait_for(lambda: unit_policy(daemon, UNIT) == "ok", DEADLINE, "back within policy")
        F.wait_for(lambda: not alerts("ServiceOverPolicy"), 30, "the alert to resolve",
                   interval=0.5)
    finally:
        p.stop()
        daemon_reload_with(daemon.c, None)


# ---- the dashboard in a real Chromium ----

def test_dashboard_policy_column_filter_and_accepted_checks(daemon):
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="python3-selenium not installed")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromium-driver not installed")

    # UNIT over policy (weakened past its baseline); OTHER ok with an accepted check
    baseline_policy(daemon, UNIT)
    failing = [ck["name"] for ck in daemon.api.json("/api/v1/units/" + OTHER)["checks"]
               if ck["verdict"] == "fail"]
    write_policy(daemon.c, "60-other.conf",
                 "[%s]\n" % OTHER + "".join("accept = %s\n" % n for n in failing) +
                 "reason = <b>vendor</b> & co\nexpires = 2099-01-01\n")
    reload_policy(daemon)
    daemon_reload_with(daemon.c, WEAKEN)
    F.wait_for(lambda: unit_policy(daemon, UNIT) == "over-policy", DEADLINE, "over-policy")
    assert unit_policy(daemon, OTHER) == "ok"

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    base = "http://127.0.0.1:%d" % daemon.port
    try:
        d.set_page_load_timeout(30)
        d.get(base + "/")
        heads = [th.text for th in d.find_elements(By.CSS_SELECTOR, "#units thead th")]
        assert "Policy" in heads
        col = heads.index("Policy")

        def cell(unit):
            row = d.find_element(By.CSS_SELECTOR, '#units tbody tr[data-unit="%s"]' % unit)
            return row.find_elements(By.TAG_NAME, "td")[col].text
        assert cell(UNIT).startswith("over-policy") and cell(OTHER).startswith("ok")
        # the live filter (app.js), then the server's (?policy=)
        Select(d.find_element(By.ID, "policy")).select_by_value("over-policy")
        visible = [r.get_attribute("data-unit")
                   for r in d.find_elements(By.CSS_SELECTOR, "#units tbody tr")
                   if r.is_displayed()]
        assert visible == [UNIT]
        assert d.find_element(By.ID, "shown").text.startswith("Showing 1 of ")
        d.get(base + "/?policy=ok")
        rows = [r.get_attribute("data-unit")
                for r in d.find_elements(By.CSS_SELECTOR, "#units tbody tr")]
        assert OTHER in rows and UNIT not in rows
        assert Select(d.find_element(By.ID, "policy")).first_selected_option.text == "ok"

        # the unit page: accepted checks with reason (escaped) and expiry
        d.get(base + "/units/" + OTHER)
        marks = d.find_elements(By.CSS_SELECTOR, "#checks td.accepted .waiver")
        assert len(marks) == len(failing)
        texts = [m.find_element(By.XPATH, "..").text for m in marks]
        assert all("accepted <b>vendor</b> & co" in t and "until 2099-01-01" in t
                   and "60-other.conf:" in t for t in texts), texts
        assert not d.find_elements(By.CSS_SELECTOR, "#checks b")
        assert d.find_element(By.ID, "policy").text.startswith("ok")
        d.get(base + "/units/" + UNIT)
        assert d.find_element(By.ID, "policy").text.startswith("over-policy")
        problems = [e["message"] for e in d.get_log("browser")
                    if e["level"] in ("SEVERE", "WARNING")]
        assert not problems, problems
    finally:
        d.quit()
        daemon_reload_with(daemon.c, None)


def test_event_of_unit_that_left_while_db_was_down(box, exposured):
    """A policy event is in the history even when its unit never was: a new unit went over policy
    and left while the database could not be written (a read-only directory, made writable
    afterwards). The journal had the event at once; the history gets the unit's score, marked
    as the one that broke the policy, and the event, when the database takes writes again."""
    c = box
    pdir = F.RUN_DIR + "/policy-dbdown.d"
    leaver = "policytest-leaver.service"
    path = "/var/lib/exposured-policy-ro"
    put(c, pdir + "/10-leaver.conf", "[%s]\nmax_exposure = 1.0\n" % leaver)
    c.run(["mkdir", "-p", path])
    c.run(["mount", "-t", "tmpfs", "-o", "ro,size=8m,mode=0755", "tmpfs", path])
    d = F.ContainerDaemon(c, exposured, unit="policy-ro-exposured.service", db=path + "/h.db",
                          config_text="db_retry = 1s\n", args=["--policy-dir=" + pdir])
    d.binary = F.RUN_DIR + "/exposured-dbdown"  # the module's daemon runs the other copy
    try:
        d.start(wait_ready=False)
        F.wait_for(d.api.units, 15, "units served from memory")
        assert d.api.status()["database"]["ok"] is False
        t = now_usec()
        c.run(["systemd-run", "--unit=" + leaver, "/bin/sleep", "600"])
        F.wait_for(lambda: unit_policy(d, leaver) == "over-policy", DEADLINE, "over-policy")
        j = F.wait_for(lambda: [e for e in journal_since(d, MSG_OVER, t)
                                if e.get("EXPOSURED_UNIT") == leaver], DEADLINE, "the journal")
        assert len(j) == 1, j
        c.run(["systemctl", "stop", leaver])
        F.wait_for(lambda: leaver not in d.api.units(), DEADLINE, leaver + " gone")
        assert not d.db.exists()

        c.run(["mount", "-o", "remount,rw", path])
        F.wait_for(lambda: d.db.exists() and d.db.n_scans() >= 1, 10, "the history stored")
        ev = F.wait_for(lambda: events(d, "over-policy", unit=leaver), DEADLINE,
                        "the over-policy event in the history")
        assert len(ev) == 1 and ev[0]["unit"] == leaver, ev
        hist = d.api.json("/api/v1/units/%s/history" % leaver)["history"]
        assert [h["kind"] for h in hist][:1] == ["over-policy"], hist
        scores = [h for h in hist if h["kind"] != "over-policy"]
        assert len(scores) == 1 and scores[0]["exposure"] == ev[0]["exposure"], (hist, ev)
        # a new exposed unit: its first score is an event, the one that broke the policy
        assert scores[0]["kind"] == "new-exposed-unit", hist
        first = events(d, "new-exposed-unit", unit=leaver)
        assert len(first) == 1 and first[0]["broke_policy"] is True, first
    finally:
        d.stop()
        c.run(["systemctl", "stop", leaver], check=False)
        c.run(["umount", "-l", path], check=False)
        shutil.rmtree(c.path(pdir), ignore_errors=True)
