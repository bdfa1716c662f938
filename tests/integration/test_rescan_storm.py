# SPDX-License-Identifier: MIT
"""Hostile neighbours, part one (issue 16): a local user asking systemd about units that do not
exist must not keep the daemon busy. Before the fix, one `systemctl status no-such-unit.service`
made it rescan about twice a second forever: reading the not-found unit made PID 1 load it again
and announce it with UnitNew, which asked for another read.

Against a real systemd in a throwaway container, as an unprivileged user (nobody): the scans
(each a database row) and the units read (the daemon's "Scan done" debug lines) are counted
before and after.
"""

import re
import time

import pytest

import daemon_fixtures as F

# How long a loop would show itself: the old daemon did ~2 scans a second.
QUIET = 5.0
# rescan-limit.h: RESCAN_UNKNOWN_BURST reads, then one per RESCAN_UNKNOWN_REFILL_USEC; the
# manager's STORM_RESCAN_USEC: one full rescan covering what was refused.
BURST = 8
REFILL = 5.0
STORM_RESCAN = 30.0


@pytest.fixture(scope="module")
def box(daemon_box):
    return daemon_box


@pytest.fixture(scope="module")
def daemon(box, exposured):
    d = F.ContainerDaemon(box, exposured, unit="exposured-storm.service")
    try:
        d.start()
        yield d
    finally:
        d.stop()


def scan_lines(d):
    """(units, calls) of every "Scan done" line the daemon logged."""
    out = []
    for e in d.journal("_SYSTEMD_UNIT=" + d.unit):
        m = re.match(r"Scan done: (\d+) units, (\d+) calls", e.get("MESSAGE", ""))
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return out


def rows(d):
    """Rows the daemon wrote: scans, changes and units."""
    return sum(d.db.scalar("SELECT count(*) FROM %s" % t) or 0
               for t in ("scans", "changes", "units"))


def settle(d, quiet=2.0, timeout=60):
    """Wait until no scan was stored for `quiet` seconds; returns the scan count."""
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


def as_nobody(box, script, timeout=600):
    return box.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    "sh", "-c", script], check=False, timeout=timeout)


def test_status_of_missing_unit(box, daemon):
    n0 = settle(daemon)
    reads0, rows0 = len(scan_lines(daemon)), rows(daemon)
    r = as_nobody(box, "systemctl status --no-pager no-such-unit.service")
    assert r.returncode != 0 and "could not be found" in (r.stdout + r.stderr), r
    time.sleep(QUIET)
    n1 = daemon.db.n_scans()
    lines = scan_lines(daemon)[reads0:]
    print("systemctl status no-such-unit.service: %d scans, %d rows, %d unit reads in %.0fs"
          % (n1 - n0, rows(daemon) - rows0, sum(u for u, _ in lines), QUIET))
    # One read of the name PID 1 announced, then nothing (the old daemon: ~10 here).
    assert n1 - n0 <= 1, (n1 - n0, lines)
    assert sum(u for u, _ in lines) <= 1, lines
    assert rows(daemon) - rows0 <= 1
    assert daemon.db.unit("no-such-unit.service") is None


def test_status_storm(box, daemon):
    """A loop of 1,000 `systemctl status <random>.service`: a handful of reads and rows, and the
    daemon is idle afterwards."""
    n0 = settle(daemon)
    reads0, rows0 = len(scan_lines(daemon)), rows(daemon)
    t0 = time.monotonic()
    r = as_nobody(box, "i=0; while [ $i -lt 1000 ]; do "
                       "systemctl status --no-pager storm-$i-$$.service >/dev/null 2>&1; "
                       "i=$((i+1)); done; echo done")
    assert r.stdout.strip() == "done", r
    took = time.monotonic() - t0
    # The full rescan that covers the refused reads comes STORM_RESCAN after the first refusal;
    # wait for it, then the daemon must stay quiet.
    time.sleep(max(0.0, STORM_RESCAN + 2 - (time.monotonic() - t0)))
    n1 = settle(daemon, quiet=QUIET)
    lines = scan_lines(daemon)[reads0:]
    unit_scans = [x for x in lines if x[0] <= BURST]
    reads = sum(u for u, _ in unit_scans)
    print("1000 x systemctl status (%.1fs): %d scans, %d rows, %d unknown units read, "
          "%d full rescans" % (took, n1 - n0, rows(daemon) - rows0, reads,
                               len(lines) - len(unit_scans)))
    # The budget: BURST reads, one more per REFILL seconds of the storm; full rescans: at most
    # one per STORM_RESCAN.
    allowed = BURST + int(took / REFILL) + 1
    assert reads <= allowed, (reads, allowed, lines)
    assert n1 - n0 <= allowed + int(took / STORM_RESCAN) + 1, (n1 - n0, lines)
    # No made-up name was stored. (The full rescan may find a real unit changed or gone, e.g.
    # one PID 1 unloaded meanwhile: that row is the daemon doing its job, so it is not counted.)
    assert daemon.db.scalar("SELECT count(*) FROM units WHERE name LIKE 'storm-%'") == 0
    other = rows(daemon) - rows0 - (n1 - n0)
    assert other <= 2, (other, daemon.db.query(
        "SELECT name, last_change, gone FROM units ORDER BY last_change DESC LIMIT 5"))
    # Idle afterwards.
    time.sleep(QUIET)
    assert daemon.db.n_scans() == n1
