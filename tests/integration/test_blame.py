# SPDX-License-Identifier: MIT
"""Blame and configured-vs-running against a real systemd: the daemon runs in a container of its
own (a transient Type=notify service, as in test_daemon.py) and each way a unit's configuration
changes is made for real: a drop-in added, that drop-in edited, the fragment replaced the way
dpkg does it (a new file renamed over the old one), and `systemctl set-property`. Each change
must be recorded with the right file (size, mtime and the SHA-256 `sha256sum` prints) and the
right directive lines, in the API, the journal and on the unit page in a real Chromium. A
weakening drop-in plus daemon-reload leaves the running process with its old sandbox: the unit
shows "restart pending" with both exposures (API, metric, page, the regression's journal entry)
until `systemctl restart`. Tests run in file order on one unit; each builds on the last.
"""

import hashlib
import os
import shutil
import time

import pytest

import daemon_fixtures as F
import oracle

UNIT = "blame-x.service"
FRAGMENT = "/etc/systemd/system/" + UNIT
DROPIN = "/etc/systemd/system/%s.d/override.conf" % UNIT
CONTROL = "/etc/systemd/system.control/%s.d/50-IPAddressDeny.conf" % UNIT
ARROW = "\u2192"

BASE = """[Unit]
Description=exposured blame test
[Service]
ExecStart=/bin/sleep infinity
PrivateNetwork=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
NoNewPrivileges=yes
"""


@pytest.fixture(scope="module")
def box():
    reason = F.containers.skip_reason()
    if reason:
        pytest.skip(reason)
    c = F.boot_box("blame")
    try:
        yield c
    finally:
        c.poweroff()


@pytest.fixture(scope="module")
def daemon(box, exposured):
    box.install_units({UNIT: BASE})
    box.run(["systemctl", "start", UNIT])
    d = F.ContainerDaemon(box, exposured, unit="blame-exposured.service")
    try:
        d.start()
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium not installed")
    from selenium.webdriver.chrome.service import Service
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("chromium and chromium-driver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    d = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    d.set_page_load_timeout(30)
    try:
        yield d
    finally:
        d.quit()


def page_text(browser, d, selector):
    """The rendered text of the unit page's elements matching selector, in a real browser."""
    browser.get("http://127.0.0.1:%d/units/%s" % (d.port, UNIT))
    F.wait_for(lambda: browser.execute_script("return document.readyState") == "complete", 20,
               "the unit page")
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)", selector)


def exposure(c):
    rc, reports, err = oracle.analyze_named(c, [UNIT])
    assert reports, err
    return F.fmt_tenths(reports[0]["exposure"])


def unit_json(d):
    return d.api.json("/api/v1/units/" + UNIT)


def history(d):
    return d.api.json("/api/v1/units/%s/history" % UNIT)["history"]


def newest_blame(d, after_usec):
    """The newest history row stored after after_usec, once it is there."""
    def find():
        rows = [r for r in history(d) if r["time_usec"] >= after_usec and "blame" in r]
        return rows[0] if rows else None
    return F.wait_for(find, 10, "a change of %s with its blame" % UNIT)


def file_entry(row, path):
    got = [f for f in row["blame"]["files"] if f["path"] == path]
    assert len(got) == 1, row["blame"]["files"]
    return got[0]


def check_file(box, row, path, change):
    """The recorded file is the file on disk: size, mtime and sha256sum's hash."""
    f = file_entry(row, path)
    assert f["change"] == change, f
    with open(box.path(path), "rb") as fh:
        data = fh.read()
    assert f["sha256"] == hashlib.sha256(data).hexdigest(), f
    assert f["size"] == len(data), f
    assert f["mtime_usec"] == os.stat(box.path(path)).st_mtime_ns // 1000, f
    out = box.run(["sha256sum", path]).stdout.split()[0]
    assert out == f["sha256"]


def lines(row):
    return [(x["change"], x["path"], x["key"], x["old"], x["new"]) for x in row["blame"]["lines"]]


def journal_entry(d, unit, after_usec):
    def find():
        rows = [e for e in d.journal("EXPOSURED_UNIT=" + unit)
                if int(e["__REALTIME_TIMESTAMP"]) >= after_usec and "EXPOSURED_BLAME" in e]
        return rows[-1] if rows else None
    return F.wait_for(find, 5, "a journal entry with EXPOSURED_BLAME for " + unit)


def metric(d, name):
    """The value of name{unit="UNIT", ...} (other labels, such as oneshot, whatever they are)."""
    for k, v in d.api.metrics().items():
        if k.startswith(name + "{") and ('unit="%s"' % UNIT) in k:
            return v
    return None


def write_dropin(box, text):
    os.makedirs(os.path.dirname(box.path(DROPIN)), exist_ok=True)
    with open(box.path(DROPIN), "w", encoding="utf-8") as f:
        f.write(text)


def test_dropin_added_restart_pending(box, daemon, browser):
    F.wait_for(lambda: unit_json(daemon), 10, UNIT + " watched")
    before = exposure(box)
    assert F.fmt_tenths(unit_json(daemon)["exposure"]) == before
    assert unit_json(daemon)["restart_pending"] is False

    t = int(time.time() * 1e6)
    write_dropin(box, "[Service]\n# weaker, for the test\nProtectSystem=no\nPrivateNetwork=no\n")
    box.daemon_reload()
    after = exposure(box)
    assert float(after) > float(before)
    row = newest_blame(daemon, t)
    assert row["kind"] == "regression" and F.fmt_tenths(row["exposure"]) == after, row
    b = row["blame"]
    assert b["reason"] == "files", b
    check_file(box, row, DROPIN, "added")
    assert file_entry(row, FRAGMENT)["change"] == "same"
    assert sorted(lines(row)) == sorted([
        ("changed", DROPIN, "PrivateNetwork", "yes", "no"),
        ("changed", DROPIN, "ProtectSystem", "strict", "no"),
    ]), b
    text = "ProtectSystem=strict %s no in %s" % (ARROW, DROPIN)
    assert text in [x["text"] for x in b["lines"]], b
    # The process was started before the change: not live yet.
    assert b["live"] is False and F.fmt_tenths(b["running_exposure"]) == before, b

    u = unit_json(daemon)
    assert u["restart_pending"] is True, u
    assert F.fmt_tenths(u["running_exposure"]) == before, u
    assert F.fmt_tenths(u["exposure"]) == after, u
    assert metric(daemon, "exposured_unit_restart_pending") == "1"
    assert metric(daemon, "exposured_unit_running_exposure") == before

    e = journal_entry(daemon, UNIT, t)
    assert text in e["EXPOSURED_BLAME"], e
    assert e["EXPOSURED_REASON"] == "files" and e["EXPOSURED_LIVE"] == "no", e
    assert e["EXPOSURED_RUNNING"] == before, e
    assert text in e["MESSAGE"] and "restart pending" in e["MESSAGE"], e

    # The CLI's history shows the same line under the change.
    rc, out, err = daemon.cli("history", UNIT)
    assert rc == 0 and "\n    %s\n" % text in out, (out, err)

    pending = page_text(browser, daemon, ".restart-pending")
    assert len(pending) == 1, pending
    assert "restart pending: running with exposure %s (configured %s)" % (before, after) \
        in pending[0], pending
    changes = page_text(browser, daemon, "#changes td.blame")
    assert any(text in c for c in changes), changes

    # A restart starts a process with the new configuration: nothing pending any more.
    box.run(["systemctl", "restart", UNIT])
    F.wait_for(lambda: unit_json(daemon)["restart_pending"] is False, 10,
               "restart pending gone after the restart")
    u = unit_json(daemon)
    assert F.fmt_tenths(u["running_exposure"]) == after, u
    assert metric(daemon, "exposured_unit_restart_pending") == "0"
    assert metric(daemon, "exposured_unit_running_exposure") == after
    assert page_text(browser, daemon, ".restart-pending") == []


def test_dropin_edited(box, daemon, browser):
    t = int(time.time() * 1e6)
    write_dropin(box, "[Service]\nProtectSystem=full\nPrivateNetwork=no\nPrivateDevices=yes\n")
    box.daemon_reload()
    row = newest_blame(daemon, t)
    assert F.fmt_tenths(row["exposure"]) == exposure(box)
    check_file(box, row, DROPIN, "changed")
    assert sorted(lines(row)) == sorted([
        ("added", DROPIN, "PrivateDevices", None, "yes"),
        ("changed", DROPIN, "ProtectSystem", "no", "full"),
    ]), row["blame"]
    # An improvement on a running process: live after a restart only.
    assert row["blame"]["live"] is False
    changes = page_text(browser, daemon, "#changes td.blame")
    assert "ProtectSystem=no %s full in %s" % (ARROW, DROPIN) in changes[0], changes
    assert "PrivateDevices=yes added in %s" % DROPIN in changes[0], changes
    box.run(["systemctl", "restart", UNIT])
    F.wait_for(lambda: unit_json(daemon)["restart_pending"] is False, 10, "restarted")


def test_fragment_replaced(box, daemon, browser):
    """As dpkg installs a new version: a new file written beside it, renamed over the old."""
    t = int(time.time() * 1e6)
    new = BASE.replace("ProtectHome=yes\n", "ProtectHome=read-only\nRestrictRealtime=yes\n")
    tmp = box.path(FRAGMENT + ".dpkg-new")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
    os.rename(tmp, box.path(FRAGMENT))
    box.daemon_reload()
    row = newest_blame(daemon, t)
    assert F.fmt_tenths(row["exposure"]) == exposure(box)
    check_file(box, row, FRAGMENT, "changed")
    assert file_entry(row, DROPIN)["change"] == "same"
    assert sorted(lines(row)) == sorted([
        ("added", FRAGMENT, "RestrictRealtime", None, "yes"),
        ("changed", FRAGMENT, "ProtectHome", "yes", "read-only"),
    ]), row["blame"]
    changes = page_text(browser, daemon, "#changes td.blame")
    assert "ProtectHome=yes %s read-only in %s" % (ARROW, FRAGMENT) in changes[0], changes


def test_set_property(box, daemon, browser):
    """`systemctl set-property` writes a drop-in under system.control and applies it at once;
    the next job of the unit (here a start of the running unit) is read again."""
    t = int(time.time() * 1e6)
    box.run(["systemctl", "set-property", UNIT, "IPAddressDeny=any"])
    box.run(["systemctl", "start", UNIT])
    row = newest_blame(daemon, t)
    assert F.fmt_tenths(row["exposure"]) == exposure(box)
    assert row["blame"]["reason"] == "runtime", row["blame"]
    check_file(box, row, CONTROL, "added")
    # What systemd wrote (a reset, then the addresses "any" stands for), line by line.
    with open(box.path(CONTROL), encoding="utf-8") as f:
        values = [x.split("=", 1)[1] for x in f.read().splitlines()
                  if x.startswith("IPAddressDeny=")]
    assert len(values) >= 2 and values[0] == "", values
    assert lines(row) == [("added", CONTROL, "IPAddressDeny", None, v) for v in values], \
        row["blame"]
    changes = page_text(browser, daemon, "#changes td.blame")
    assert "IPAddressDeny=%s added in %s" % (values[-1], CONTROL) in changes[0], changes
    # Cgroup settings apply to the running unit: no restart is pending for this one.
    assert row["blame"]["live"] is True, row["blame"]
    assert unit_json(daemon)["restart_pending"] is False


def main_start_usec(box):
    """The unit's ExecMainStartTimestamp (usec), as PID 1 has it."""
    out = box.run(["busctl", "get-property", "org.freedesktop.systemd1",
                   "/org/freedesktop/systemd1/unit/blame_2dx_2eservice",
                   "org.freedesktop.systemd1.Service", "ExecMainStartTimestamp"]).stdout.split()
    assert out[0] == "t", out
    return int(out[1])


def stored_running(d):
    """(running exposure, running start) of the unit's stored snapshot, or None."""
    rows = d.db.query("SELECT s.running, s.running_start FROM snapshots s JOIN units u ON"
                      " u.id = s.unit WHERE u.name = ?", (UNIT,))
    return tuple(rows[0]) if rows else None


def wait_stored_process(box, d):
    """Until the database holds the unit's current main process."""
    start = main_start_usec(box)
    assert start > 0
    return F.wait_for(lambda: (stored_running(d) or (0, 0))[1] == start and stored_running(d),
                      10, "the snapshot of the process started at %d stored" % start)


def restart_daemon(d):
    """Stop exposured and start it again on the same database (and port)."""
    d.stop()
    d.start()
    F.wait_for(lambda: unit_json(d), 10, UNIT + " watched again")


def test_restart_keeps_snapshot_and_restart_pending(box, daemon, browser):
    """What blame compares with and what the process runs with are stored: a drop-in edited
    while exposured is down (and loaded by a daemon-reload, the process left running) is blamed
    on its file and lines at the first scan after the restart, with restart pending; a restart of
    exposured alone changes neither; an edit after the restart is blamed as before."""
    box.run(["systemctl", "restart", UNIT])
    F.wait_for(lambda: unit_json(daemon)["restart_pending"] is False, 10, "restarted")
    live = exposure(box)
    running, _ = wait_stored_process(box, daemon)
    assert F.fmt_tenths(running / 10) == live
    daemon.stop()
    t = int(time.time() * 1e6)
    write_dropin(box, "[Service]\nProtectSystem=no\nPrivateNetwork=no\nPrivateDevices=yes\n")
    box.daemon_reload()
    weaker = exposure(box)
    assert float(weaker) > float(live)
    daemon.start()
    row = newest_blame(daemon, t)
    assert row["kind"] == "regression" and F.fmt_tenths(row["exposure"]) == weaker, row
    b = row["blame"]
    assert b["reason"] == "files", b
    check_file(box, row, DROPIN, "changed")
    assert file_entry(row, FRAGMENT)["change"] == "same"
    assert lines(row) == [("changed", DROPIN, "ProtectSystem", "full", "no")], b
    text = "ProtectSystem=full %s no in %s" % (ARROW, DROPIN)
    assert text in [x["text"] for x in b["lines"]], b
    # The process started before the change (and before this exposured): not live.
    assert b["live"] is False and F.fmt_tenths(b["running_exposure"]) == live, b
    u = unit_json(daemon)
    assert u["restart_pending"] is True, u
    assert F.fmt_tenths(u["running_exposure"]) == live, u
    assert metric(daemon, "exposured_unit_restart_pending") == "1"
    changes = page_text(browser, daemon, "#changes td.blame")
    assert text in changes[0], changes
    pending = page_text(browser, daemon, ".restart-pending")
    assert len(pending) == 1 and "running with exposure %s (configured %s)" % (live, weaker) \
        in pending[0], pending

    # Restarted with nothing changed: still pending, with the same running exposure.
    n_rows = len(history(daemon))
    restart_daemon(daemon)
    u = unit_json(daemon)
    assert u["restart_pending"] is True, u
    assert F.fmt_tenths(u["running_exposure"]) == live, u
    assert len(history(daemon)) == n_rows
    box.run(["systemctl", "restart", UNIT])
    F.wait_for(lambda: unit_json(daemon)["restart_pending"] is False, 10,
               "restart pending gone after the restart")
    assert F.fmt_tenths(unit_json(daemon)["running_exposure"]) == weaker
    running, _ = wait_stored_process(box, daemon)
    assert F.fmt_tenths(running / 10) == weaker

    # An edit after a restart of exposured: compared with what was stored.
    restart_daemon(daemon)
    t = int(time.time() * 1e6)
    write_dropin(box, "[Service]\nProtectSystem=strict\nPrivateNetwork=no\n")
    box.daemon_reload()
    row = newest_blame(daemon, t)
    assert F.fmt_tenths(row["exposure"]) == exposure(box)
    check_file(box, row, DROPIN, "changed")
    assert sorted(lines(row)) == sorted([
        ("changed", DROPIN, "ProtectSystem", "no", "strict"),
        ("removed", DROPIN, "PrivateDevices", "yes", None),
    ]), row["blame"]
    changes = page_text(browser, daemon, "#changes td.blame")
    assert "ProtectSystem=no %s strict in %s" % (ARROW, DROPIN) in changes[0], changes
