# SPDX-License-Identifier: MIT
"""The history database under attack from its neighbours, with the real daemon watching a real
systemd in a container: another process holding the write lock, a file damaged before start-up
or while the daemon runs, a wall clock that jumps ten years ahead. Each time the daemon must keep
serving, lose nothing silently, and leave a "database" event (in the history, /api/v1/status and
the journal or its log) that says what happened.

The host's clock is shared with everything else on the machine and is not ours to set: the
clock jump is made by moving the stored times back instead (see test_clock_jump).
"""

import glob
import os
import sqlite3
import threading
import time

import pytest

import daemon_fixtures as F

UNIT = "dtest-dbf.service"
HARDENED = """[Unit]
Description=exposured database fault test
[Service]
ExecStart=/bin/sleep infinity
PrivateNetwork=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
NoNewPrivileges=yes
"""
WEAKEN = "[Service]\nPrivateNetwork=no\nProtectHome=no\n"
MSG_DATABASE = "54178c8fb91c482a9eb51e3048ae4e55"  # LOG_MESSAGE_DATABASE, daemon/log.h
STATS_CACHE = 10  # HTTP_DB_STATS_USEC: /api/v1/status reuses the database's numbers that long


@pytest.fixture
def unit(daemon_box):
    c = daemon_box
    c.install_units({UNIT: HARDENED})
    c.run(["systemctl", "start", UNIT])
    yield UNIT
    c.run(["systemctl", "stop", UNIT], check=False)
    c.remove_units([UNIT, UNIT + ".d"])


def weaken(c, on):
    if on:
        c.install_units({UNIT + ".d/w.conf": WEAKEN})
    else:
        c.remove_units([UNIT + ".d"])


class _WithEnv:
    """The container as HostDaemon sees it, with more environment for the daemon."""

    def __init__(self, c, env):
        self.c, self.env = c, env

    def host_env(self, **extra):
        return self.c.host_env(**dict(self.env, **extra))


def start_host(c, exposured, db, log, env=None):
    """A HostDaemon with db_retry = 1s, once its first scan is stored and it serves."""
    conf_path = db + ".conf"
    with open(conf_path, "w", encoding="utf-8") as f:
        f.write("db_retry = 1s\nos_root = /proc/%d/root\n" % c.pid1)
    d = F.HostDaemon(_WithEnv(c, env or {}), exposured, db,
                     args=["--config=" + conf_path, "--log-level=debug"])
    d.start(log)
    try:
        F.wait_for(lambda: d.db.exists() and d.db.n_scans() >= 1, 30, "the first scan stored")
        F.wait_for(d.api.status, 10, "the daemon serving")
    except BaseException:
        d.kill(9)
        raise
    return d


def db_events(api):
    j = api.json("/api/v1/events?kind=database&limit=100")
    assert j is not None, "the events endpoint failed"
    return j["events"]


def read_log(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def poll_latency(api, stop, out):
    """Request /api/v1/status back to back; record each (seconds, status)."""
    while not stop.is_set():
        t = time.monotonic()
        status, _, _ = api.get("/api/v1/status", timeout=30)
        out.append((time.monotonic() - t, status))
        time.sleep(0.002)


def churn(c, rounds):
    """Unit changes and reloads: every one makes the daemon scan and try to store."""
    for i in range(rounds):
        weaken(c, i % 2 == 0)
        c.run(["systemctl", "daemon-reload"], timeout=120)
        time.sleep(0.3)


def measure(d, c, rounds):
    samples, stop = [], threading.Event()
    t = threading.Thread(target=poll_latency, args=(d.api, stop, samples), daemon=True)
    t.start()
    try:
        churn(c, rounds)
    finally:
        stop.set()
        t.join(timeout=60)
    assert samples and all(s == 200 for _, s in samples), \
        [s for _, s in samples if s != 200][:5]
    return max(x for x, _ in samples), len(samples)


def test_held_write_lock(daemon_box, exposured, unit, tmp_path):
    """Another process holds the write lock for long: the event loop never waits on it for more
    than the store's bounded busy timeout at a time (measured as the longest HTTP answer while
    the daemon scans and tries to store), changes are served from memory, and once the lock is
    gone the history catches up and a "database" event says writes were refused and why."""
    c = daemon_box
    db = str(tmp_path / "lock.db")
    log = str(tmp_path / "daemon.log")
    d = start_host(c, exposured, db, log)
    try:
        hardened = F.wait_for(lambda: (d.api.units() or {}).get(unit), 10, "%s scored" % unit)
        base_max, base_n = measure(d, c, 4)
        weaken(c, False)
        c.run(["systemctl", "daemon-reload"])
        F.wait_for(lambda: d.api.units()[unit] == hardened, 10, "%s hardened again" % unit)
        F.wait_for(lambda: F.fmt_tenths(d.db.unit(unit)[0] / 10) == hardened, 10, "stored")

        locker = sqlite3.connect(db, isolation_level=None, timeout=0)
        locker.execute("BEGIN IMMEDIATE")
        locker.execute("INSERT INTO checks (name) VALUES ('HeldByAnotherProcess=')")
        t_locked = time.monotonic()
        try:
            lock_max, lock_n = measure(d, c, 7)  # ends weakened
            weak = F.wait_for(lambda: d.api.units()[unit] != hardened and d.api.units()[unit],
                              10, "the weakened score served from memory")
            F.wait_for(lambda: d.api.status()["database"]["ok"] is False, STATS_CACHE + 2,
                       "database.ok false while locked")
            # Nothing of it reached the file (the lock holder sees the old row).
            row = locker.execute("SELECT exposure FROM units WHERE name = ?", (unit,)).fetchone()
            assert F.fmt_tenths(row[0] / 10) == hardened
            held = time.monotonic() - t_locked
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        F.wait_for(lambda: F.fmt_tenths(d.db.unit(unit)[0] / 10) == weak, 10,
                   "the history caught up")
        ev = F.wait_for(lambda: [e for e in db_events(d.api) if "busy" in (e["detail"] or "")],
                        10, "a database event about the lock")
        assert ev[0]["unit"] is None and "failed" in ev[0]["detail"], ev
        st = F.wait_for(lambda: (lambda s: s["database"]["ok"] and s)(d.api.status()),
                        STATS_CACHE + 2, "database.ok true")
        assert "busy" in st["database"]["last_event"]["message"], st
        assert d.proc.poll() is None
        print("lock held %.1fs: longest answer %.3fs over %d requests (without the lock: %.3fs "
              "over %d)" % (held, lock_max, lock_n, base_max, base_n))
        # Bounded: the busy timeout is 50 ms; scans and scoring take their own (small) share.
        assert lock_max < 0.5, "an answer took %.3fs while the lock was held" % lock_max
        assert "Failed to write to the database" in read_log(log)
    finally:
        d.stop()


def scribble(path, start, length):
    """Damage length bytes of a file from start (the same pattern store's unit test uses)."""
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(bytes((0x5a ^ (i & 0xff)) for i in range(length)))


def test_corrupt_at_start(daemon_box, exposured, unit):
    """A damaged file at start-up (pages scribbled over, the header intact): the daemon, as a
    systemd service, moves it aside with a timestamp, starts a fresh history, becomes ready and
    serves, and says so in the journal (MESSAGE_ID, the old and new names), in the history and
    in /api/v1/status."""
    c = daemon_box
    db = F.STATE_DIR + "/corrupt-start.db"
    d = F.ContainerDaemon(c, exposured, unit="exposured-corrupt.service", db=db)
    for f in glob.glob(c.path(db) + "*"):
        os.unlink(f)
    try:
        d.start()
        F.wait_for(lambda: d.db.n_scans() >= 1, 10, "a scan stored")
        d.stop()
        size = os.path.getsize(c.path(db))
        # Everything is in the main file: the WAL, kept after a clean stop (store.c keeps it for
        # read-only readers), is empty.
        wal = c.path(db) + "-wal"
        assert size > 8 * 4096 and (not os.path.exists(wal) or os.path.getsize(wal) == 0)
        scribble(c.path(db), 2 * 4096, size - 3 * 4096)

        t_usec = int(time.time() * 1e6)
        d.start()
        moved = glob.glob(c.path(db) + ".corrupt-*Z")
        assert len(moved) == 1 and os.path.getsize(moved[0]) == size, moved
        name = db + moved[0][len(c.path(db)):]
        F.wait_for(lambda: d.db.scalar("SELECT count(*) FROM units WHERE gone IS NULL")
                   == len(d.api.units()), 10, "the fresh database holds every unit again")
        assert d.db.scalar("PRAGMA integrity_check") == "ok"
        assert d.show("ActiveState")["ActiveState"] == "active"
        assert unit in d.api.units()

        entries = F.wait_for(lambda: [e for e in d.journal("MESSAGE_ID=" + MSG_DATABASE)
                                      if int(e["__REALTIME_TIMESTAMP"]) >= t_usec], 5,
                             "the journal entry")
        assert len(entries) == 1, entries
        e = entries[0]
        assert e["EXPOSURED_DB"] == db and e["EXPOSURED_DB_MOVED_TO"] == name, e
        assert "at start-up" in e["MESSAGE"] and name in e["MESSAGE"], e["MESSAGE"]
        ev = db_events(d.api)
        assert len(ev) == 1 and ev[0]["kind"] == "database" and name in ev[0]["detail"], ev
        st = d.api.status()["database"]
        assert st["ok"] and name in st["last_event"]["message"], st
        # The old file is what it was (damaged, not deleted): the bytes before the damage match.
        with open(moved[0], "rb") as f:
            assert f.read(16) == b"SQLite format 3\0"
    finally:
        d.stop()
        for f in glob.glob(c.path(db) + "*"):
            os.unlink(f)


def test_corrupt_while_running(daemon_box, exposured, unit, tmp_path):
    """The file is damaged while the daemon runs (behind its page cache): the next write finds
    it; the daemon moves the file aside, starts over, stores what it holds in memory, keeps
    serving, and leaves the event."""
    c = daemon_box
    db = str(tmp_path / "corrupt-run.db")
    log = str(tmp_path / "daemon.log")
    d = start_host(c, exposured, db, log)
    d.stop()  # the close checkpoints: everything is in the main file now
    d = start_host(c, exposured, db, log)
    try:
        hardened = F.wait_for(lambda: (d.api.units() or {}).get(unit), 10, "%s scored" % unit)
        size = os.path.getsize(db)
        scribble(db, 2 * 4096, size - 3 * 4096)
        weaken(c, True)
        weak = F.wait_for(lambda: d.api.units()[unit] != hardened and d.api.units()[unit], 10,
                          "the weakened score")
        moved = F.wait_for(lambda: glob.glob(db + ".corrupt-*Z"), 10, "the damaged file moved")
        assert len(moved) == 1 and os.path.getsize(moved[0]) >= size
        F.wait_for(lambda: d.db.unit(unit) and F.fmt_tenths(d.db.unit(unit)[0] / 10) == weak,
                   10, "the fresh database holds the weakened score")
        assert d.db.scalar("PRAGMA integrity_check") == "ok"
        n = len(d.api.units())
        assert d.db.scalar("SELECT count(*) FROM units WHERE gone IS NULL") == n
        ev = db_events(d.api)
        assert [e for e in ev if "while running" in e["detail"] and moved[0] in e["detail"]], ev
        text = read_log(log)
        assert "was found damaged while running" in text and moved[0] in text
        assert d.proc.poll() is None
    finally:
        d.stop()
    assert d.proc.returncode == 0


YEARS_10 = 10 * 365 * 86400 * 10**6


def _history_rows(db):
    return db.scalar("SELECT count(*) FROM changes")


def _shift_back(path, usec):
    """Move every stored time back: to the daemon, its clock jumped forward that much since."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.executescript(
            "BEGIN;"
            "UPDATE changes SET time = time - {0}; UPDATE scans SET time = time - {0};"
            "UPDATE notices SET time = time - {0}; UPDATE versions SET first_seen = first_seen - {0};"
            "UPDATE units SET first_seen = first_seen - {0}, last_change = last_change - {0},"
            " gone = gone - {0};"
            "COMMIT;".format(int(usec)))
    finally:
        con.close()


def test_clock_jump(daemon_box, exposured, unit, tmp_path):
    """The wall clock jumped ten years ahead while the daemon was down (the stored times are moved
    back ten years: the daemon sees exactly that). The first prune pass, which used to take every
    row (90 days of retention), takes none and a "database" event says why; the daemon serves.
    A restart once new rows are stored trusts their time: the old rows go, but every present unit
    keeps its newest change. (A jump while the daemon runs is test-store's
    test_retention_cutoff: libfaketime, the one way to move only the daemon's clock, breaks
    sd-event's CLOCK_MONOTONIC timerfd, EINVAL.)"""
    c = daemon_box
    db = str(tmp_path / "clock.db")
    d = start_host(c, exposured, db, str(tmp_path / "run0.log"))
    try:
        hardened = F.wait_for(lambda: (d.api.units() or {}).get(unit), 10, "%s scored" % unit)
        weaken(c, True)
        F.wait_for(lambda: F.fmt_tenths(d.db.unit(unit)[0] / 10) != hardened, 10, "stored")
    finally:
        d.stop()
    rows = _history_rows(d.db)
    assert rows >= 5, rows
    _shift_back(db, YEARS_10)

    log = str(tmp_path / "run1.log")
    d = start_host(c, exposured, db, log)
    try:
        ev = F.wait_for(lambda: [e for e in db_events(d.api) if "long after" in e["detail"]],
                        10, "the event of the first prune pass")
        assert "the clock jumped" in ev[0]["detail"], ev
        assert _history_rows(d.db) >= rows
        assert "Pruned" not in read_log(log)
        st = F.wait_for(lambda: (lambda s: "long after" in s["database"].get("last_event", {})
                                 .get("message", "") and s)(d.api.status()),
                        STATS_CACHE + 2, "the event in /api/v1/status")
        assert st["database"]["ok"], st
        weaken(c, False)
        F.wait_for(lambda: F.fmt_tenths(d.db.unit(unit)[0] / 10) == hardened, 10, "stored")
        kept = _history_rows(d.db)
    finally:
        d.stop()

    log = str(tmp_path / "run2.log")
    d = start_host(c, exposured, db, log)
    try:
        F.wait_for(lambda: "Pruned" in read_log(log), 10, "a prune pass")
        units = d.api.units()
        newest = dict(d.db.query("SELECT u.name, count(c.time) FROM units u LEFT JOIN changes c "
                               "ON c.unit = u.id WHERE u.gone IS NULL GROUP BY u.id"))
        assert set(units) <= set(newest) and all(newest[u] >= 1 for u in units), newest
        assert d.proc.poll() is None
        after = _history_rows(d.db)
    finally:
        d.stop()
    print("clock jump: %d rows stored; %d after the first pass and a change; %d after a restart "
          "(every present unit's newest)" % (rows, kept, after))
