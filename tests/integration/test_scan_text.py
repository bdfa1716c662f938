# SPDX-License-Identifier: MIT
"""`exposured scan UNIT...` text output against `systemd-analyze security UNIT...`, byte for byte.

In each container (every suite of the bench; EXPOSURED_TEST_SUITES picks some) the
generated test units (unitgen.py) are installed; every loadable one and every service the
container's systemd ships and loads is analyzed by the oracle inside the container (no pager,
no debug columns, not a terminal, C.UTF-8) and by `exposured scan --bus=ADDRESS` on the host
(same locale, no DBUS_SYSTEM_BUS_ADDRESS in its environment: --bus= alone reaches the container).
The per-unit check tables and overall lines must be identical; for several units the overview
table must be identical too except for systemd-analyze's HAPPY column, which exposured does not
print. A difference is reported as a unified diff of the first unit that differs.
"""

import difflib
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle  # noqa: E402
import unitgen  # noqa: E402

LOCALE = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
OVERVIEW_RE = re.compile(r"^UNIT +EXPOSURE PREDICATE( HAPPY)?$", re.M)


# The versions whose text table was compared and found identical: every suite of the bench
# (245..249 sort by weight, 250..261 by description, 262 puts empty descriptions first:
# render-text.c).
TEXT_VERIFIED = (247, 252, 254, 257, 262)


@pytest.fixture(scope="module")
def units(container):
    """The container with the generated units installed; yields the names to compare."""
    if container.version not in TEXT_VERIFIED:
        pytest.skip("scan's text table is verified identical on systemd %s only"
                    % ", ".join(map(str, TEXT_VERIFIED)))
    us = unitgen.generate(container.version)
    container.install_units(us.files)
    try:
        shipped = sorted(set(container.list_files("/lib/systemd/system", ".service")) |
                         set(container.list_files("/usr/lib/systemd/system", ".service")))
        shipped = [n for n in shipped if "@" not in n]
        r = container.run(["systemctl", "show", "-p", "LoadState", "--"] + shipped)
        states = [b.strip() for b in r.stdout.rstrip("\n").split("\n\n")]
        assert len(states) == len(shipped)
        loaded = [n for n, s in zip(shipped, states) if s == "LoadState=loaded"]
        assert len(loaded) > 20, loaded
        yield sorted(set(us.loadable) | set(loaded))
    finally:
        container.remove_units(list(us.files), reload=False)
        for d in {os.path.dirname(f) for f in us.files if "/" in f}:
            try:
                os.rmdir(container.path("/etc/systemd/system/" + d))
            except OSError:
                pass
        container.daemon_reload()


def _oracle(container, names):
    r = container.run(["systemd-analyze", "security", "--no-pager", "--"] + list(names),
                      check=False, timeout=600, env=LOCALE)
    return r.returncode, r.stdout, r.stderr


def _ours(exposured, container, names, extra=()):
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SYSTEM_BUS_ADDRESS"}
    env.pop("TERM", None)
    env.update(LOCALE)
    r = subprocess.run([exposured, "scan", "--bus=" + container.bus_address] + list(extra) +
                       list(names), env=env, capture_output=True, timeout=600,
                       stdin=subprocess.DEVNULL, encoding="utf-8", errors="surrogateescape",
                       check=False)
    return r.returncode, r.stdout, r.stderr


def _blocks(text):
    """Split multi-unit output into per-unit blocks (each ending with its overall line) and the
    overview that follows them."""
    m = OVERVIEW_RE.search(text)
    overview = text[m.start():] if m else None
    body = text[:m.start()] if m else text
    parts = re.split(r"(?<=\n)(?=\n  NAME )", body)
    return parts, overview


def _strip_happy(overview):
    """systemd-analyze's overview without its HAPPY column (and the padding it leaves)."""
    lines = overview.split("\n")
    cut = lines[0].index(" HAPPY")
    return "\n".join(l[:cut].rstrip() for l in lines)


def _diff(label, theirs, ours):
    return "%s differs:\n%s" % (label, "".join(difflib.unified_diff(
        theirs.splitlines(True), ours.splitlines(True), "systemd-analyze", "exposured scan")))


def _label(c, what):
    return "systemd %d (%s) %s" % (c.version, c.suite, what)


def test_single_units_identical(container, units, exposured):
    """One unit per call: the whole stdout and the exit status are identical, for a sample that
    covers every kind of generated unit and a few shipped ones."""
    sample = units[::7] + ["dbus.service", "systemd-journald.service"]
    sample = [u for u in dict.fromkeys(sample) if u in units]
    diffs = []
    for u in sample:
        rc, theirs, err = _oracle(container, [u])
        our_rc, ours, our_err = _ours(exposured, container, [u])
        assert rc == 0, "%s: oracle failed: %s" % (u, err[:500])
        if our_rc != rc:
            diffs.append("%s: exit %d, oracle %d: %s" % (u, our_rc, rc, our_err[:300]))
        elif ours != theirs:
            diffs.append(_diff(u, theirs, ours))
    oracle.SUMMARY.append("%s: %d units one by one, %d differ"
                          % (_label(container, "scan text"), len(sample), len(diffs)))
    assert not diffs, "\n".join(diffs[:3])


def test_all_units_identical(container, units, exposured):
    """Every unit in one call: each unit's table and overall line identical, in order; the
    overview identical but for the HAPPY column."""
    rc, theirs, err = _oracle(container, units)
    assert rc == 0, err[:1000]
    our_rc, ours, our_err = _ours(exposured, container, units)
    assert our_rc == 0, our_err[:1000]
    tb, tov = _blocks(theirs)
    ob, oov = _blocks(ours)
    assert len(tb) == len(units) and tov, "oracle output not understood (%d blocks)" % len(tb)
    assert len(ob) == len(tb), "%d unit blocks, oracle %d" % (len(ob), len(tb))
    bad = [i for i in range(len(tb)) if tb[i] != ob[i]]
    oracle.SUMMARY.append("%s: %d units in one call, %d check rows, %d units differ"
                          % (_label(container, "scan text"), len(units),
                             theirs.count("\n") - 4 * len(units), len(bad)))
    assert not bad, _diff(units[bad[0]] + " (%d units differ)" % len(bad), tb[bad[0]],
                          ob[bad[0]])
    assert oov == _strip_happy(tov), _diff("overview", _strip_happy(tov), oov)


def test_ascii_locale(container, units, exposured):
    """Without a UTF-8 locale both print ASCII marks and arrows."""
    u = "dbus.service" if "dbus.service" in units else units[0]
    r = container.run(["systemd-analyze", "security", "--no-pager", u], check=False,
                      env={"LANG": "C", "LC_ALL": "C"})
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SYSTEM_BUS_ADDRESS"}
    env.update({"LANG": "C", "LC_ALL": "C"})
    ours = subprocess.run([exposured, "scan", "--bus=" + container.bus_address, u], env=env,
                          capture_output=True, encoding="utf-8", errors="surrogateescape",
                          check=False, timeout=120)
    assert "\n-> Overall exposure level" in r.stdout
    assert ours.stdout == r.stdout, _diff(u + " (LC_ALL=C)", r.stdout, ours.stdout)


def test_bus_option_errors(exposured):
    """--bus= with nothing behind it fails with one clear line and exit 1, without a bus
    environment variable being consulted; an empty --bus= is a usage error (exit 2)."""
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
    r = subprocess.run([exposured, "scan", "--bus=unix:path=/nonexistent/bus", "dbus"],
                       env=env, capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("Failed to connect to bus 'unix:path=/nonexistent/bus': "), \
        r.stderr
    r = subprocess.run([exposured, "scan", "--bus=", "dbus"], capture_output=True, text=True,
                       check=False, timeout=60)
    assert r.returncode == 2 and r.stderr == "--bus= needs a D-Bus address\n", r
