# SPDX-License-Identifier: MIT
"""Hostile neighbours on the system bus: any local user may send a signal straight to the
daemon's unique name (dbus-daemon's system policy allows every signal), and such a unicast
signal is delivered whatever the match rules say. sd-bus cannot tell who sent it by the match
alone: a match on a well-known sender (org.freedesktop.systemd1, org.freedesktop.DBus) passes
any sender on a dbus-daemon bus. So a signal must be checked against the connection that owns
the name, or an unprivileged user can make the daemon look away (a forged Reloading(true): no
unit change seen until the next real reload) or rescan everything in a loop (forged
NameOwnerChanged or Reloading(false)).

Against a real systemd and dbus-daemon in a throwaway container, the forged signals are sent as
nobody with `busctl emit --destination=`; scans (database rows) and unit reads ("Scan done" debug
lines) are counted around them.
"""

import re
import time

import pytest

import daemon_fixtures as F

QUIET = 4.0
N_FORGED = 50


@pytest.fixture(scope="module")
def box(daemon_box):
    return daemon_box


@pytest.fixture(scope="module")
def daemon(box, exposured):
    d = F.ContainerDaemon(box, exposured, unit="exposured-spoof.service")
    try:
        d.start()
        yield d
    finally:
        d.stop()


def unique_name(box, d):
    """The daemon's unique name on the container's system bus."""
    pid = d.show("MainPID")["MainPID"]
    r = box.run(["busctl", "--system", "list", "--unique", "--no-legend", "--no-pager"])
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[1] == pid:
            return f[0]
    raise AssertionError("no bus connection of PID %s:\n%s" % (pid, r.stdout))


def scan_lines(d):
    out = []
    for e in d.journal("_SYSTEMD_UNIT=" + d.unit):
        m = re.match(r"Scan done: (\d+) units, (\d+) calls", e.get("MESSAGE", ""))
        if m:
            out.append(int(m.group(1)))
    return out


def settle(d, quiet=2.0, timeout=60):
    deadline = time.monotonic() + timeout
    n, since = d.db.n_scans(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        m = d.db.n_scans()
        if m != n:
            n, since = m, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return n
    raise AssertionError("the daemon never went quiet: %d scans" % n)


def forge(box, dest, path, interface, member, signature, *args, times=1):
    """Send a signal to dest as nobody, `times` times; busctl's exit status of the last."""
    one = " ".join(["busctl", "--system", "emit", "--destination=" + dest, path, interface,
                    member, signature] + ["'%s'" % a for a in args])
    script = "i=0; while [ $i -lt %d ]; do %s || exit 1; i=$((i+1)); done" % (times, one)
    r = box.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                 "sh", "-c", script], check=False, timeout=300)
    assert r.returncode == 0, r
    return r


def test_forged_reloading_does_not_blind(box, daemon):
    """Reloading(true) from nobody: the daemon must still see a unit that starts afterwards."""
    settle(daemon)
    name = unique_name(box, daemon)
    forge(box, name, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
          "Reloading", "b", "true")
    probe = "spoof-probe-%d.service" % int(time.time())
    box.run(["systemd-run", "--unit=" + probe, "-p", "ProtectSystem=strict", "sleep", "300"])
    try:
        F.wait_for(lambda: daemon.db.unit(probe) is not None, 15,
                   "the daemon storing %s after a forged Reloading(true)" % probe)
    finally:
        box.run(["systemctl", "stop", probe], check=False)


@pytest.mark.parametrize("what", ["name-owner-changed", "reloaded", "unit-new", "job-removed"])
def test_forged_signal_storm(box, daemon, what):
    """N_FORGED forged signals from nobody: no scan, no unit read."""
    n0 = settle(daemon)
    reads0 = len(scan_lines(daemon))
    name = unique_name(box, daemon)
    m = "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"
    if what == "name-owner-changed":
        forge(box, name, "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged",
              "sss", "org.freedesktop.systemd1", ":1.1", ":1.1", times=N_FORGED)
    elif what == "reloaded":
        forge(box, name, *m, "Reloading", "b", "false", times=N_FORGED)
    elif what == "unit-new":
        forge(box, name, *m, "UnitNew", "so", "systemd-journald.service",
              "/org/freedesktop/systemd1/unit/systemd_2djournald_2eservice", times=N_FORGED)
    else:
        forge(box, name, *m, "JobRemoved", "uoss", "1", "/org/freedesktop/systemd1/job/1",
              "systemd-journald.service", "done", times=N_FORGED)
    time.sleep(QUIET)
    n1 = settle(daemon)
    reads = scan_lines(daemon)[reads0:]
    print("%d forged %s signals: %d scans, %d reads (%d units)"
          % (N_FORGED, what, n1 - n0, len(reads), sum(reads)))
    assert n1 == n0, reads
    assert reads == [], reads
    assert daemon.show("ActiveState")["ActiveState"] == "active"
