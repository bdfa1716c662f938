# SPDX-License-Identifier: MIT
"""Hostile neighbours: a local user looping `systemctl status` over installed, disabled units.
PID 1 loads such a unit to answer (UnitNew), the daemon reads it, and PID 1 unloads it again a
moment later (its garbage collection of inactive units nothing references: UnitRemoved). Taking
each unload for a departure wrote a "gone" row and, at the next question, a "returned" one:
about two rows a second for every unit named (79 rows in 12 s over 4 units, measured on main),
history that db_max_size would then prune real rows to make room for. A unit whose file is still
there stays watched through an unload; one whose file was deleted still leaves.

Against a real systemd in a throwaway container, the loops run as nobody; database rows and the
daemon's unit reads ("Scan done" debug lines) are counted around them.
"""

import os
import re
import time

import pytest

import daemon_fixtures as F

LOOPS = 30
QUIET = 3.0


@pytest.fixture(scope="module")
def box(daemon_box):
    return daemon_box


@pytest.fixture(scope="module")
def daemon(box, exposured):
    d = F.ContainerDaemon(box, exposured, unit="exposured-unload.service")
    try:
        d.start()
        yield d
    finally:
        d.stop()


def rows(d):
    return sum(d.db.scalar("SELECT count(*) FROM %s" % t) or 0
               for t in ("scans", "changes", "units"))


def reads(d):
    n = 0
    for e in d.journal("_SYSTEMD_UNIT=" + d.unit):
        if re.match(r"(Incremental s|S)can done", e.get("MESSAGE", "")):
            n += 1
    return n


def settle(d, quiet=2.0, timeout=60):
    deadline = time.monotonic() + timeout
    n, since = rows(d), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        m = rows(d)
        if m != n:
            n, since = m, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return n
    raise AssertionError("the daemon never went quiet: %d rows" % n)


def as_nobody(box, script):
    r = box.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                 "sh", "-c", script], check=False, timeout=600)
    assert r.stdout.strip().endswith("done"), r
    return r


def unloaded_units(box, n=4):
    """Installed services PID 1 has not loaded (disabled, nothing wants them)."""
    r = box.run(["systemctl", "list-unit-files", "--type=service", "--state=disabled",
                 "--no-legend", "--no-pager"])
    files = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    r = box.run(["systemctl", "list-units", "--all", "--type=service", "--no-legend",
                 "--no-pager", "--plain"])
    loaded = {line.split()[0] for line in r.stdout.splitlines() if line.strip()}
    out = [u for u in files if "@" not in u and u not in loaded][:n]
    if len(out) < 2:
        pytest.skip("fewer than 2 disabled, unloaded services in the container: %r" % files)
    return out


def status_loop(units, loops, pause=0.3):
    return ("i=0; while [ $i -lt %d ]; do for u in %s; do systemctl status --no-pager $u "
            ">/dev/null 2>&1; done; sleep %s; i=$((i+1)); done; echo done"
            % (loops, " ".join(units), pause))


def test_status_loop_over_installed_units(box, daemon):
    units = unloaded_units(box)
    settle(daemon)
    # The first question loads each unit: scored and stored once, as any new unit.
    as_nobody(box, status_loop(units, 1))
    for u in units:
        F.wait_for(lambda: daemon.db.unit(u) is not None, 10, "%s stored" % u)
    rows0 = settle(daemon, quiet=QUIET)
    reads0 = reads(daemon)
    t0 = time.monotonic()
    as_nobody(box, status_loop(units, LOOPS))
    took = time.monotonic() - t0
    rows1 = settle(daemon, quiet=QUIET)
    n_reads = reads(daemon) - reads0
    print("%d x systemctl status over %d installed units (%.1f s): %d rows, %d reads"
          % (LOOPS, len(units), took, rows1 - rows0, n_reads))
    assert rows1 == rows0, daemon.db.query(
        "SELECT u.name, c.kind, c.time FROM changes c JOIN units u ON u.id = c.unit "
        "ORDER BY c.time DESC LIMIT 10")
    assert n_reads == 0
    # Still watched, never called gone; the API says PID 1 has not loaded them (which is why
    # systemd-analyze does not list them).
    listed = daemon.api.units()
    loaded = {u["unit"]: u["loaded"] for u in daemon.api.json("/api/v1/units")["units"]}
    for u in units:
        assert u in listed, u
        assert daemon.db.unit(u)[1] is None, daemon.db.unit(u)
        assert loaded[u] is False, u
    assert loaded["systemd-journald.service"] is True, loaded


def test_deleted_unit_still_leaves(box, daemon):
    """The unload of a unit whose file is gone is its departure, reload or not."""
    name = "unload-gone-%d.service" % int(time.time())
    path = "/etc/systemd/system/" + name
    with open(box.path(path), "w", encoding="utf-8") as f:
        f.write("[Service]\nExecStart=/bin/true\n")
    try:
        box.daemon_reload()
        settle(daemon)
        as_nobody(box, status_loop([name], 1))
        F.wait_for(lambda: daemon.db.unit(name) is not None, 10, "%s stored" % name)
        F.wait_for(lambda: name in (daemon.api.units() or {}), 10, "%s listed" % name)
        os.unlink(box.path(path))
        path = None
        # PID 1 collects it once nothing references it; a question makes sure it is loaded
        # and then dropped again.
        as_nobody(box, status_loop([name], 1))
        F.wait_for(lambda: (daemon.db.unit(name) or [0, None])[1] is not None, 15,
                   "%s marked gone" % name)
        assert name not in daemon.api.units()
    finally:
        if path:
            os.unlink(box.path(path))
        box.daemon_reload()
