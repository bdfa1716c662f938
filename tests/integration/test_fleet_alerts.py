# SPDX-License-Identifier: MIT
"""Alertmanager end to end, on the real fleet: a drop-in weakens a service in one container
(daemon-reload), that host's exposured counts the regression, Prometheus fires the shipped
ServiceExposureRegressed alert, Alertmanager (Debian's prometheus-alertmanager) routes it with
the shipped monitoring/alertmanager.yml to a webhook (an HTTP server in this process), and the
notification names the host, the unit, the old and new exposure (equal to systemd-analyze's in
that container) and links to the host's unit page. Removing the drop-in resolves it.
"""

import shutil
import subprocess
import urllib.parse

import pytest
import yaml

pytest.register_assert_rewrite("fleet_fixtures")
from fleet_fixtures import (FLEET_HARD, MONITORING, Alertmanager, WebhookReceiver,  # noqa: E402
                            wait_until)

pytest_plugins = ["fleet_fixtures"]

AM_CONFIG = MONITORING + "/alertmanager.yml"


def test_amtool_check_config():
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.skip("amtool not installed (apt-get install prometheus-alertmanager)")
    r = subprocess.run([amtool, "check-config", AM_CONFIG], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_config_routes_exposured_alerts():
    """The shipped route: exposured's alerts go to the webhook receiver, grouped per host and
    unit, resolved notifications included (amtool config routes test)."""
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.skip("amtool not installed (apt-get install prometheus-alertmanager)")
    for labels, want in ((["alertname=ServiceExposureRegressed", "instance=h:9573",
                           "unit=a.service"], "exposured"),
                         (["alertname=ExposuredDown", "instance=h:9573"], "exposured"),
                         (["alertname=NodeDown"], "default")):
        r = subprocess.run([amtool, "config", "routes", "test", "--config.file=" + AM_CONFIG]
                           + labels, capture_output=True, text=True, timeout=60, check=False)
        assert r.returncode == 0 and r.stdout.strip() == want, (labels, r.stdout, r.stderr)
    cfg = yaml.safe_load(open(AM_CONFIG, encoding="utf-8"))
    route = cfg["route"]["routes"][0]
    assert {"instance", "unit", "hostname"} <= set(route["group_by"])
    hook = [r for r in cfg["receivers"] if r["name"] == "exposured"][0]["webhook_configs"][0]
    assert hook["send_resolved"] is True


@pytest.fixture
def alertmanager(fleet):
    if Alertmanager.binary() is None:
        pytest.skip("prometheus-alertmanager not installed")
    w = WebhookReceiver().start()
    cfg = yaml.safe_load(open(AM_CONFIG, encoding="utf-8"))
    # The shipped route, with its webhook pointed here and its waits shortened for a test.
    route = cfg["route"]["routes"][0]
    route.update(group_wait="1s", group_interval="1s")
    for r in cfg["receivers"]:
        for h in r.get("webhook_configs", []):
            h["url"] = "WEBHOOK_URL"
    am = Alertmanager(yaml.safe_dump(cfg), w.url).start()
    p = fleet.prometheus
    old = p.alertmanager
    try:
        p.reload(alertmanager=am.address)
        wait_until(lambda: p.api("alertmanagers")["activeAlertmanagers"], 30, 0.5,
                   "Prometheus to find Alertmanager")
        yield am, w
    finally:
        p.reload(alertmanager=old)
        am.stop()
        w.stop()


def test_regression_reaches_the_webhook_and_resolves(fleet, alertmanager):
    am, hook = alertmanager
    h = fleet.host(257)
    unit = FLEET_HARD
    before = h.oracle([unit])[unit]
    fleet.wait_exposure(h, unit, before)

    def ours(status):
        return [a for a in hook.alerts("ServiceExposureRegressed", status)
                if a["labels"].get("unit") == unit and a["labels"].get("instance") == h.instance]

    assert not ours(None)
    h.weaken(unit)
    try:
        after = h.oracle([unit])[unit]
        assert float(after) > float(before), (before, after)
        fleet.wait_exposure(h, unit, after)
        a = wait_until(lambda: ours("firing"), 60, 0.5,
                       "a firing ServiceExposureRegressed at the webhook; alertmanager: %s"
                       % am.log(500))[0]
        lab, ann = a["labels"], a["annotations"]
        assert lab["hostname"] == h.hostname and lab["severity"] == "warning", lab
        assert ann["host"] == h.hostname
        assert ann["unit"] == unit
        assert ann["previous_exposure"] == before and ann["exposure"] == after, ann
        assert ann["unit_url"] == h.unit_url(unit), ann
        assert ann["summary"] == "%s on %s: exposure regressed %s -> %s" % (
            unit, h.hostname, before, after)
        # The link works: it is the host's own unit page, showing the new exposure.
        page = h.daemon.get(urllib.parse.urlparse(ann["unit_url"]).path)
        assert page.status == 200 and unit in page.text and after in page.text
        # The notification came through the shipped route, grouped per host and unit.
        notes = [n for n in hook.notifications()
                 if any(x["labels"].get("unit") == unit for x in n["alerts"])]
        assert notes[0]["receiver"] == "exposured"
        assert notes[0]["groupLabels"] == {"alertname": "ServiceExposureRegressed",
                                           "instance": h.instance, "hostname": h.hostname,
                                           "unit": unit}, notes[0]["groupLabels"]
        # No other host regressed.
        others = {x["labels"]["instance"] for x in hook.alerts("ServiceExposureRegressed")}
        assert others == {h.instance}, others
    finally:
        h.restore(unit)
    fleet.wait_exposure(h, unit, before)
    r = wait_until(lambda: ours("resolved"), 60, 0.5,
                   "the resolved notification at the webhook")[0]
    assert r["labels"]["hostname"] == h.hostname
    assert r["annotations"]["unit"] == unit
