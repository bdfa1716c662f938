# SPDX-License-Identifier: MIT
"""Incremental rescans (issue 12): after a daemon-reload the daemon re-reads only the units whose
files changed, a full rescan when anything else may have (new or removed unit files and drop-in
directories, generator output, set-property files, system.conf), and the periodic full rescan
proves that nothing was missed.

Against a real systemd in a throwaway container: every change source is made, reloaded, and
the daemon's score of the unit must equal `systemd-analyze security` (online, same container);
then a full rescan is forced (SIGUSR1, the periodic one brought forward) and must find no miss
(exposured_rescan_misses_total unchanged). A deliberate miss (a change no reload announces) must
be caught, counted and logged.
"""

import os
import re
import time

import pytest

import daemon_fixtures as F
import oracle

DEADLINE = 10.0

BASE = """[Unit]
Description=exposured incremental test
[Service]
ExecStart=/bin/sleep infinity
PrivateNetwork=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
NoNewPrivileges=yes
"""

# A generator that writes one service whose sandboxing comes from a file the test edits.
GENERATOR = """#!/bin/sh
set -e
mode=$(cat /etc/exposured-incr-gen.conf 2>/dev/null || echo strict)
cat > "$1/incr-gen.service" <<EOF
[Unit]
Description=exposured incremental test: generated
[Service]
ExecStart=/bin/sleep infinity
ProtectSystem=$mode
PrivateTmp=yes
EOF
"""


@pytest.fixture(scope="module")
def box(daemon_box):
    return daemon_box


@pytest.fixture(scope="module")
def daemon(box, exposured):
    d = F.ContainerDaemon(box, exposured, unit="exposured-incr.service")
    try:
        d.start()
        yield d
    finally:
        d.stop()


def oracle_exposure(c, unit):
    rc, reports, err = oracle.analyze_named(c, [unit])
    assert reports, "systemd-analyze security %s failed (%d): %s" % (unit, rc, err)
    return F.fmt_tenths(reports[0]["exposure"])


def api_exposure(d, unit):
    j = d.api.json("/api/v1/units/" + unit)
    return F.fmt_tenths(j["exposure"]) if j else None


def metric(d, name):
    m = d.api.metrics() or {}
    return int(float(m.get(name, "0")))


def settle(d, quiet=1.5, timeout=60):
    """Wait until no scan completed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    n, since = metric(d, "exposured_scans_total"), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        k = metric(d, "exposured_scans_total")
        if k != n:
            n, since = k, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return n
    raise AssertionError("the daemon never went quiet")


def seen(box, d, unit):
    """The daemon's score of unit reaches the oracle's; returns it."""
    want = oracle_exposure(box, unit)
    F.wait_for(lambda: api_exposure(d, unit) == want, DEADLINE,
               "%s scored %s (daemon: %s)" % (unit, want, api_exposure(d, unit)))
    return want


def verify(box, d):
    """Force the periodic full rescan; returns the misses it counted."""
    settle(d)
    m0, n0 = metric(d, "exposured_rescan_misses_total"), metric(d, "exposured_scans_total")
    box.run(["systemctl", "kill", "--kill-whom=main", "-s", "USR1", d.unit])
    F.wait_for(lambda: metric(d, "exposured_scans_total") > n0, DEADLINE, "the full rescan")
    settle(d)
    return metric(d, "exposured_rescan_misses_total") - m0


def messages(d, since_usec, pattern):
    return [e["MESSAGE"] for e in d.journal("_SYSTEMD_UNIT=" + d.unit)
            if int(e["__REALTIME_TIMESTAMP"]) >= since_usec and re.search(pattern, e["MESSAGE"])]


def reload_and_see(box, d, unit, incremental):
    """daemon-reload; the score must be right, and the rescan incremental (reading a handful of
    units) or full as the change source demands. Then no miss."""
    settle(d)
    t = int(time.time() * 1e6)
    i0 = metric(d, "exposured_incremental_scans_total")
    box.daemon_reload()
    score = seen(box, d, unit)
    settle(d)
    inc = messages(d, t, r"^Incremental scan done")
    if incremental:
        assert metric(d, "exposured_incremental_scans_total") > i0, inc
        reads = [int(re.match(r"Incremental scan done: (\d+) of", x).group(1)) for x in inc]
        assert reads and max(reads) <= 3, inc
    else:
        assert messages(d, t, r"full rescan\.$"), messages(d, t, ".")
    assert verify(box, d) == 0
    return score


def write(box, path, text):
    p = box.path(path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)


def edit_in_place(box, path, text):
    """Rewrite a file keeping its inode and its directory's names."""
    with open(box.path(path), "r+", encoding="utf-8") as f:
        f.seek(0)
        f.write(text)
        f.truncate()


def start(box, unit):
    box.run(["systemctl", "start", unit])


def stop(box, unit):
    box.run(["systemctl", "stop", unit], check=False)


def test_dropin_added_edited_removed(box, daemon):
    unit = "incr-dropin.service"
    box.install_units({unit: BASE})
    start(box, unit)
    first = seen(box, daemon, unit)
    d = "/etc/systemd/system/%s.d/50-weaken.conf" % unit
    # Added: a new drop-in directory, so a full rescan.
    write(box, d, "[Service]\nPrivateNetwork=no\n")
    added = reload_and_see(box, daemon, unit, incremental=False)
    assert added != first
    # Edited in place: the unit's own stamp, an incremental rescan.
    edit_in_place(box, d, "[Service]\nPrivateNetwork=no\nProtectHome=no\n")
    edited = reload_and_see(box, daemon, unit, incremental=True)
    assert edited != added
    # Removed: a name gone from the drop-in directory, a full rescan.
    os.unlink(box.path(d))
    assert reload_and_see(box, daemon, unit, incremental=False) == first
    stop(box, unit)
    box.remove_units([unit, unit + ".d"])


def test_fragment_replaced(box, daemon):
    unit = "incr-fragment.service"
    box.install_units({unit: BASE})
    start(box, unit)
    first = seen(box, daemon, unit)
    # Replaced under the same name (a new inode, as editors and config management do it).
    box.install_units({unit: BASE.replace("PrivateNetwork=yes", "PrivateNetwork=no")},
                      reload=False)
    assert reload_and_see(box, daemon, unit, incremental=True) != first
    stop(box, unit)
    box.remove_units([unit])


def test_new_unit_file(box, daemon):
    unit = "incr-new.service"
    box.install_units({unit: BASE}, reload=False)
    # A new name in /etc/systemd/system: a full rescan (the unit is not loaded yet).
    reload_and_see(box, daemon, unit_present(box), incremental=False)
    start(box, unit)
    seen(box, daemon, unit)
    assert verify(box, daemon) == 0
    stop(box, unit)
    box.remove_units([unit])


def unit_present(box):
    """Some service the daemon watches all the time (for a reload with nothing else to see)."""
    return "systemd-journald.service"


def test_generator_output(box, daemon):
    unit = "incr-gen.service"
    gen = "/etc/systemd/system-generators/exposured-incr-gen"
    write(box, "/etc/exposured-incr-gen.conf", "strict\n")
    write(box, gen, GENERATOR)
    os.chmod(box.path(gen), 0o755)
    box.daemon_reload()
    start(box, unit)
    first = seen(box, daemon, unit)
    # Only the generator's input changes: its output under /run differs after the reload.
    write(box, "/etc/exposured-incr-gen.conf", "no\n")
    assert reload_and_see(box, daemon, unit, incremental=False) != first
    stop(box, unit)
    os.unlink(box.path(gen))
    os.unlink(box.path("/etc/exposured-incr-gen.conf"))
    box.daemon_reload()


def test_set_property(box, daemon):
    unit = "incr-setprop.service"
    box.install_units({unit: BASE})
    start(box, unit)
    first = seen(box, daemon, unit)
    # Persistent (system.control/) and runtime (/run/systemd/system.control/) files, each
    # followed by a reload.
    box.run(["systemctl", "set-property", unit, "DevicePolicy=closed"])
    second = reload_and_see(box, daemon, unit, incremental=False)
    assert second != first
    box.run(["systemctl", "set-property", "--runtime", unit, "IPAddressDeny=any"])
    assert reload_and_see(box, daemon, unit, incremental=False) != second
    stop(box, unit)
    box.remove_units([unit])
    for d in ("/etc/systemd/system.control", "/run/systemd/system.control"):
        p = box.path("%s/%s.d" % (d, unit))
        for n in os.listdir(p) if os.path.isdir(p) else ():
            os.unlink(os.path.join(p, n))
        if os.path.isdir(p):
            os.rmdir(p)
    box.daemon_reload()


def test_system_conf(box, daemon):
    """A manager default changed in a system.conf drop-in: a full rescan, every score right."""
    conf = "/etc/systemd/system.conf.d/50-exposured-incr.conf"
    write(box, conf, "[Manager]\nDefaultTimeoutStartSec=77s\n")
    reload_and_see(box, daemon, unit_present(box), incremental=False)
    os.unlink(box.path(conf))
    reload_and_see(box, daemon, unit_present(box), incremental=False)


def test_reexec(box, daemon):
    unit = "incr-reexec.service"
    box.install_units({unit: BASE})
    start(box, unit)
    seen(box, daemon, unit)
    settle(daemon)
    # Changed while nothing watches reloads, then PID 1 re-executes.
    edit_in_place(box, "/etc/systemd/system/" + unit,
                  BASE.replace("ProtectHome=yes", "ProtectHome=no"))
    box.run(["systemctl", "daemon-reexec"])
    seen(box, daemon, unit)
    assert verify(box, daemon) == 0
    stop(box, unit)
    box.remove_units([unit])


def test_deliberate_miss(box, daemon):
    """A change that no reload announces (set-property --runtime, no daemon-reload: PID 1 changes
    the unit in memory and emits no signal for it) is found by the full rescan: counted, logged,
    fixed."""
    unit = "incr-miss.service"
    box.install_units({unit: BASE})
    start(box, unit)
    first = seen(box, daemon, unit)
    settle(daemon)
    t = int(time.time() * 1e6)
    box.run(["systemctl", "set-property", "--runtime", unit, "DevicePolicy=closed"])
    want = oracle_exposure(box, unit)
    assert want != first
    time.sleep(2)
    assert api_exposure(daemon, unit) == first  # not seen: a miss to be
    assert verify(box, daemon) == 1
    assert api_exposure(daemon, unit) == want
    logged = messages(daemon, t, r"^Missed change of '%s'" % re.escape(unit))
    assert logged, messages(daemon, t, ".")
    assert "held %s, now %s" % (first, want) in logged[0]
    stop(box, unit)
    box.remove_units([unit])
    p = box.path("/run/systemd/system.control/%s.d" % unit)
    for n in os.listdir(p) if os.path.isdir(p) else ():
        os.unlink(os.path.join(p, n))
    if os.path.isdir(p):
        os.rmdir(p)
    box.daemon_reload()
