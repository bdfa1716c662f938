# SPDX-License-Identifier: MIT
"""`exposured run` when things go wrong around it: a bad configuration, SIGKILL at random moments
while the manager reloads, a database path it cannot write, a full disk. The daemon must refuse
bad input clearly, never lose or corrupt committed history, keep watching and serving from
memory while the database is unavailable, and catch up without a restart once it is back.
"""

import os
import random
import re
import subprocess
import threading
import time

import pytest

import daemon_fixtures as F

HARDENED = """[Unit]
Description=exposured daemon test: a hardened service
[Service]
ExecStart=/bin/sleep infinity
PrivateNetwork=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
NoNewPrivileges=yes
"""
WEAKEN = "[Service]\nPrivateNetwork=no\nProtectHome=no\n"
FAIL_MSG = "Failed to write to the database"
# /api/v1/status reuses the database's numbers, health included, for up to 10 s
# (HTTP_DB_STATS_USEC in daemon/http-routes.h).
STATS_CACHE = 10


# -- a bad configuration -------------------------------------------------------------------------

BAD_CONFIGS = [
    # (text, line, words the message must hold)
    ("db = /var/lib/x.db\nfrobnicate = 1\n", 2, "unknown key 'frobnicate'"),
    ("# ok\n\nretention = 90\n", 3, "retention:"),
    ("listen = 127.0.0.1\n", 1, "listen:"),
    ("db = relative.db\n", 1, "db:"),
    ("db_retry = 0\n", 1, "db_retry:"),
    ("just words\n", 1, "expected 'key = value'"),
]


@pytest.mark.parametrize("text,line,needle", BAD_CONFIGS,
                         ids=[re.sub(r"\W+", "-", b[2]).strip("-") for b in BAD_CONFIGS])
def test_bad_config(exposured, tmp_path, text, line, needle):
    """--check-config and a start with the same file both exit 1 naming the file, the line and
    the problem, and touch no database."""
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    db = tmp_path / "never.db"
    for argv in ([exposured, "run", "--check-config", "--config=%s" % conf],
                 [exposured, "run", "--config=%s" % conf, "--db=%s" % db,
                  "--listen=127.0.0.1:%d" % F.free_port()]):
        env = dict(os.environ, LOG_TARGET="stderr",
                   DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, env=env)
        assert r.returncode == 1, (argv, r.returncode, r.stderr)
        assert "%s:%d: " % (conf, line) in r.stderr and needle in r.stderr, r.stderr
        assert r.stdout == "", r.stdout
    assert not db.exists()


def test_check_config_good_and_missing(exposured, tmp_path):
    conf = tmp_path / "good.conf"
    conf.write_text("db_retry = 5s\nrescan_coalesce = 250\n")
    r = subprocess.run([exposured, "run", "--check-config", "--config=%s" % conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "db_retry = 5s\n" in r.stdout and "rescan_coalesce = 250ms\n" in r.stdout, r.stdout
    missing = tmp_path / "missing.conf"
    r = subprocess.run([exposured, "run", "--check-config", "--config=%s" % missing],
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LOG_TARGET="stderr"))
    assert r.returncode == 1 and str(missing) in r.stderr, r.stderr


def test_bad_config_as_a_service(daemon_box, exposured):
    """Started by systemd, the bad file fails the start and the journal names file and line."""
    d = F.ContainerDaemon(daemon_box, exposured, unit="exposured-badconf.service",
                          db=F.STATE_DIR + "/badconf.db",
                          config_text="log_level = debug\nmax_connections = 0\n")
    try:
        r = d.start(check=False)
        assert r.returncode != 0
        show = d.show("ActiveState", "ExecMainStatus")
        assert show["ExecMainStatus"] == "1", show
        assert "exposured.conf:2: max_connections:" in d.journal_text(), d.journal_text()
        assert not d.db.exists()
    finally:
        d.stop()


# -- SIGKILL at random moments ---------------------------------------------------------------------

KILLS = int(os.environ.get("EXPOSURED_TEST_KILLS", "30"))


def _history(db):
    """Every committed history row: changes (unit name, time, kind, exposure) and scans."""
    if not db.exists() or not db.query("SELECT 1 FROM sqlite_master WHERE name = 'scans'"):
        return set(), set()  # not created or not migrated yet
    changes = db.query("SELECT u.name, c.time, c.kind, c.exposure FROM changes c "
                       "JOIN units u ON u.id = c.unit") or []
    scans = db.query("SELECT time, units, changes FROM scans") or []
    return {tuple(x) for x in changes}, {tuple(x) for x in scans}


def test_kill9_loop(daemon_box, exposured, tmp_path):
    """SIGKILL the daemon a few dozen times at random moments while the manager reloads and a
    unit flips between two scores: every row committed before a kill is still there after it,
    and the database passes integrity_check."""
    c = daemon_box
    unit = "dtest-kill.service"
    c.install_units({unit: HARDENED})
    c.run(["systemctl", "start", unit])
    db_path = str(tmp_path / "kill.db")
    log = str(tmp_path / "daemon.log")
    stop = threading.Event()
    reloads = [0]

    def churn():
        weak = False
        while not stop.is_set():
            weak = not weak
            if weak:
                c.install_units({unit + ".d/w.conf": WEAKEN}, reload=False)
            else:
                c.remove_units([unit + ".d"], reload=False)
            c.run(["systemctl", "daemon-reload"], check=False, timeout=120)
            reloads[0] += 1
            stop.wait(0.3)

    rng = random.Random(int(os.environ.get("EXPOSURED_TEST_SEED", "4")))
    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    seen_changes, seen_scans = set(), set()
    kills_mid_scan = 0
    try:
        for i in range(KILLS):
            d = F.HostDaemon(c, exposured, db_path, args=["--log-level=debug"])
            n_start = len(seen_scans)
            d.start(log)
            try:
                # Half the kills land early (start-up, migration, the first scan), half after a
                # scan of this run was stored (in later scans, while persisting, idle).
                if i % 2:
                    time.sleep(rng.uniform(0.02, 0.6))
                else:
                    n = d.db.n_scans() if d.db.exists() else 0
                    F.wait_for(lambda: d.db.exists() and d.db.n_scans() > n, 20,
                               "a scan stored in run %d" % i, interval=0.05)
                    time.sleep(rng.uniform(0, 1.5))
                before = _history(d.db)
                if len(before[1]) == n_start:
                    kills_mid_scan += 1
            finally:
                d.kill(9)
            assert d.proc.returncode == -9, "the daemon exited by itself (%d): see %s" \
                % (d.proc.returncode, log)
            after = _history(d.db)
            lost = (before[0] - after[0], before[1] - after[1])
            assert not lost[0] and not lost[1], "kill %d lost rows: %s" % (i, lost)
            assert seen_changes <= after[0] and seen_scans <= after[1], "kill %d" % i
            seen_changes, seen_scans = after
    finally:
        stop.set()
        worker.join(timeout=120)
    assert F.Db(db_path).scalar("PRAGMA integrity_check") == "ok"
    # The flips were recorded: several changes of the unit, both ways.
    kinds = {k for (u, _t, k, _e) in seen_changes if u == unit}
    print("%d kills, %d reloads, %d before their run stored a scan, %d change rows, "
          "%d scans" % (KILLS, reloads[0], kills_mid_scan, len(seen_changes), len(seen_scans)))
    assert len(seen_scans) >= KILLS // 2
    assert {1, 2} <= kinds, "no regression and improvement of %s were stored" % unit
    # And a last, clean run: it opens the database, scans and stops cleanly.
    d = F.HostDaemon(c, exposured, db_path)
    d.start(log)
    try:
        n = len(seen_scans)
        F.wait_for(lambda: d.db.n_scans() > n, 20, "a scan stored after the kills")
    finally:
        d.stop()
    assert d.proc.returncode == 0, "see %s" % log
    assert F.Db(db_path).scalar("PRAGMA integrity_check") == "ok"
    c.run(["systemctl", "stop", unit])
    c.remove_units([unit, unit + ".d"])


# -- an unwritable database path, a full disk ----------------------------------------------------

def _cpu_seconds(d, pid):
    """utime + stime of the daemon (its PID in the container), in seconds."""
    try:
        with open(d.c.path("/proc/%d/stat" % pid), encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        raise AssertionError("the daemon (%d) is gone: %s" % (pid, d.describe())) from None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _messages(d, needle, after_usec):
    return [e["MESSAGE"] for e in d.journal("_SYSTEMD_UNIT=" + d.unit)
            if int(e["__REALTIME_TIMESTAMP"]) >= after_usec and needle in e.get("MESSAGE", "")]


@pytest.fixture
def tmpfs(daemon_box):
    """A directory of the container with a tmpfs of its own, unmounted afterwards."""
    mounted = []

    def make(path, options):
        daemon_box.run(["mkdir", "-p", path])
        daemon_box.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path])
        mounted.append(path)
        return path
    yield make
    for p in mounted:
        daemon_box.run(["umount", "-l", p], check=False)


def test_unwritable_db_path(daemon_box, exposured, tmpfs):
    """The database directory is read-only: the daemon still watches and serves from memory,
    says so once, does not spin, and once the directory is writable it creates the database,
    stores the history and becomes ready, without a restart. READY=1 waits for the database
    (the style guide: not before the DB is migrated), so it stays `activating` meanwhile."""
    c = daemon_box
    path = tmpfs("/var/lib/exposured-ro", "ro,size=8m,mode=0755")
    d = F.ContainerDaemon(c, exposured, unit="exposured-ro.service", db=path + "/h.db",
                          config_text="db_retry = 1s\n")
    t_usec = int(time.time() * 1e6)
    try:
        d.start(wait_ready=False)
        units = F.wait_for(d.api.units, 15, "units served from memory")
        st = d.api.status()
        assert st["bus_up"] and st["units"] == len(units) > 20, st
        assert st["database"]["ok"] is False, st
        assert d.show("ActiveState")["ActiveState"] == "activating"
        pid = int(d.show("MainPID")["MainPID"])
        cpu0, t0 = _cpu_seconds(d, pid), time.monotonic()
        F.wait_for(lambda: time.monotonic() - t0 >= 3.5, 5, "three retry periods")
        cpu = _cpu_seconds(d, pid) - cpu0
        assert cpu < 0.5, "the daemon burnt %.2fs of CPU in 3.5s retrying" % cpu
        assert len(_messages(d, FAIL_MSG, t_usec)) == 1, _messages(d, FAIL_MSG, t_usec)
        assert not d.db.exists()

        c.run(["mount", "-o", "remount,rw", path])
        F.wait_for(lambda: d.db.exists() and d.db.n_scans() >= 1, 5, "the history stored")
        F.wait_for(lambda: d.show("ActiveState")["ActiveState"] == "active", 5,
                   "READY=1 after the database came back")
        stored = {name: F.fmt_tenths(e / 10)
                  for name, e in d.db.query("SELECT name, exposure FROM units WHERE gone IS NULL")}
        assert stored == d.api.units()
        F.wait_for(lambda: d.api.status()["database"]["ok"] is True, STATS_CACHE + 2,
                   "database.ok true")
        assert _messages(d, "writable again", t_usec)
        assert int(d.show("MainPID")["MainPID"]) == pid, "restarted"
    finally:
        d.stop()


def test_disk_full(daemon_box, exposured, tmpfs):
    """The database's file system fills up: the daemon keeps running and scoring (in memory),
    logs once, and when space is freed the history catches up without a restart."""
    c = daemon_box
    unit = "dtest-full.service"
    path = tmpfs("/var/lib/exposured-full", "size=4m,mode=0755")
    d = F.ContainerDaemon(c, exposured, unit="exposured-full.service", db=path + "/h.db",
                          config_text="db_retry = 1s\n")
    try:
        c.install_units({unit: HARDENED})
        c.run(["systemctl", "start", unit])
        d.start()
        hardened = F.wait_for(lambda: (d.api.units() or {}).get(unit), 10, "%s scored" % unit)
        F.wait_for(lambda: d.db.unit(unit), 5, "%s stored" % unit)
        pid = int(d.show("MainPID")["MainPID"])
        t_usec = int(time.time() * 1e6)

        c.run(["dd", "if=/dev/zero", "of=" + path + "/fill", "bs=64k"], check=False)
        df = c.run(["df", "--output=avail", "-B1", path]).stdout.split()[-1]
        assert int(df) < 64 * 1024, "the file system is not full: %s bytes free" % df

        c.install_units({unit + ".d/w.conf": WEAKEN})
        weak = F.wait_for(lambda: (d.api.units() or {}).get(unit) != hardened and
                          d.api.units()[unit], 10, "the weakened score in memory")
        F.wait_for(lambda: d.api.status()["database"]["ok"] is False, STATS_CACHE + 2,
                   "database.ok false")
        assert F.fmt_tenths(d.db.unit(unit)[0] / 10) == hardened, "stored on a full disk?"
        # A second change while full; the daemon keeps going and says it once.
        c.remove_units([unit + ".d"])
        F.wait_for(lambda: d.api.units()[unit] == hardened, 10, "the restored score in memory")
        c.install_units({unit + ".d/w.conf": WEAKEN})
        F.wait_for(lambda: d.api.units()[unit] == weak, 10, "weakened again in memory")
        assert d.show("ActiveState")["ActiveState"] == "active"
        assert len(_messages(d, FAIL_MSG, t_usec)) == 1, _messages(d, FAIL_MSG, t_usec)

        c.run(["rm", "-f", path + "/fill"])
        F.wait_for(lambda: F.fmt_tenths(d.db.unit(unit)[0] / 10) == weak, 5,
                   "the history caught up")
        F.wait_for(lambda: d.api.status()["database"]["ok"] is True, STATS_CACHE + 2,
                   "database.ok true")
        rows = d.db.changes(unit)
        assert rows[-1][1] == 1 and F.fmt_tenths(rows[-1][3] / 10) == weak, rows
        assert d.db.scalar("PRAGMA integrity_check") == "ok"
        assert _messages(d, "writable again", t_usec)
        assert int(d.show("MainPID")["MainPID"]) == pid, "restarted"
    finally:
        d.stop()
        c.run(["systemctl", "stop", unit], check=False)
        c.remove_units([unit, unit + ".d"])
