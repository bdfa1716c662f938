# SPDX-License-Identifier: MIT
"""Helpers for the daemon's integration tests (test_daemon*.py) and its benchmark: `exposured run`
started inside a container as a transient Type=notify service (so READY=1, STATUS= and the
journal are the real thing) or on the host against a container's bus (for kill -9 loops), its
HTTP API, its SQLite database read from the host, the container's journal, and polling with a
deadline instead of sleeps. Standard library only.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import containers

# MESSAGE_IDs of daemon/log.h, copied: the tests check the daemon against them.
MSG_REGRESSION = "bb1c841a4f8a43799190cea8482e4daa"
MSG_IMPROVEMENT = "9dc14f16a3ec4f4a88e42c437a92e87c"
MSG_NEW_EXPOSED = "39d548dde9dd4fbdb8d570dd5aa82b82"

# In the container: where the binary is copied (the host's /usr is shared, /run is the
# container's own tmpfs) and where its state lives.
RUN_DIR = "/run/exposured-test"
STATE_DIR = "/var/lib/exposured-test"


def boot_box(name_prefix="daemontest"):
    """A booted host-systemd container for the daemon tests, its generators masked: a reload
    then costs PID 1 a few hundred ms instead of a second or more (the tests reload a lot), and
    the unit set no longer depends on the host's fstab or init scripts."""
    c = containers.Container("host", containers.unique_name(name_prefix))
    c.boot()
    try:
        gens = c.path("/etc/systemd/system-generators")
        os.makedirs(gens, exist_ok=True)
        for d in ("/usr/lib/systemd/system-generators", "/lib/systemd/system-generators"):
            for n in os.listdir(d) if os.path.isdir(d) else ():
                if not os.path.lexists(os.path.join(gens, n)):
                    os.symlink("/dev/null", os.path.join(gens, n))
        c.daemon_reload()
    except BaseException:
        c.poweroff()
        raise
    return c


@pytest.fixture(scope="session")
def daemon_box():
    """One container shared by the daemon test modules (each test leaves it as it found it)."""
    reason = containers.skip_reason()
    if reason:
        pytest.skip(reason)
    c = boot_box()
    try:
        yield c
    finally:
        c.poweroff()


class Timeout(AssertionError):
    pass


def wait_for(predicate, timeout, what, interval=0.02):
    """Poll predicate() until it returns a true value (returned) or timeout seconds pass
    (Timeout naming `what` and the last value seen). Exceptions of predicate propagate."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise Timeout("timed out after %.1fs waiting for %s (last: %r)"
                          % (timeout, what, last))
        time.sleep(interval)


def free_port():
    """A TCP port free on 127.0.0.1 right now (the containers share the host's network)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fmt_tenths(x):
    """An exposure as systemd prints it: 9.6 -> "9.6", 10 -> "10.0"."""
    return "%.1f" % float(x)


class Api:
    """The daemon's HTTP API on 127.0.0.1:port."""

    def __init__(self, port):
        self.port = port

    def get(self, path, timeout=5):
        """(status, body bytes, headers); status None when nothing answers."""
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
            return None, b"", {}

    def json(self, path):
        status, body, _ = self.get(path)
        if status != 200:
            return None
        return json.loads(body)

    def status(self):
        return self.json("/api/v1/status")

    def units(self):
        """{unit: exposure string} of /api/v1/units, or None."""
        j = self.json("/api/v1/units")
        if j is None:
            return None
        return {u["unit"]: fmt_tenths(u["exposure"]) for u in j["units"]}

    def metrics(self):
        """{series (name{labels}): value} of /metrics, or None."""
        status, body, _ = self.get("/metrics")
        if status != 200:
            return None
        out = {}
        for line in body.decode("utf-8", "replace").splitlines():
            if not line or line.startswith("#"):
                continue
            k, _, v = line.rpartition(" ")
            out[k] = v
        return out


class Db:
    """The daemon's SQLite database, opened read-only for each query (so that a query never holds
    a lock or a stale snapshot while the daemon writes). A database inside a container is read by
    a python3 run in the container: SQLite resolves symbolic links, so the host-side
    /proc/PID/root/... path would lead it to the host's own /var."""

    _QUERY = ("import json, sqlite3, sys\n"
              "con = sqlite3.connect('file:%s?mode=ro' % sys.argv[1], uri=True, timeout=5)\n"
              "try:\n"
              "    rows = con.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()\n"
              "    print(json.dumps(rows))\n"
              "except sqlite3.OperationalError as e:\n"
              "    print(json.dumps({'error': str(e)}))\n")

    def __init__(self, path, container=None):
        self.path = path
        self.c = container

    def exists(self):
        return os.path.exists(self.c.path(self.path) if self.c else self.path)

    def query(self, sql, args=()):
        """The rows (lists), or None when the database file does not exist."""
        if not self.exists():
            return None
        if self.c:
            r = self.c.run(["python3", "-c", self._QUERY, self.path, sql, json.dumps(list(args))],
                           check=True, timeout=30)
            out = json.loads(r.stdout)
            if isinstance(out, dict):
                raise sqlite3.OperationalError(out["error"])
            return out
        con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=5)
        try:
            return [list(x) for x in con.execute(sql, args).fetchall()]
        finally:
            con.close()

    def scalar(self, sql, args=()):
        rows = self.query(sql, args)
        return rows[0][0] if rows else None

    def n_scans(self):
        """Scans stored; 0 also while the database is being created (no table yet)."""
        try:
            return self.scalar("SELECT count(*) FROM scans") or 0
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return 0
            raise

    def unit(self, name):
        """(exposure tenths, gone) of the unit's row, or None."""
        rows = self.query("SELECT exposure, gone FROM units WHERE name = ?", (name,))
        return rows[0] if rows else None

    def changes(self, name):
        """[(time, kind, before, exposure)] of a unit, oldest first."""
        return self.query("SELECT c.time, c.kind, c.before, c.exposure FROM changes c "
                          "JOIN units u ON u.id = c.unit WHERE u.name = ? ORDER BY c.time",
                          (name,)) or []


class ContainerDaemon:
    """`exposured run` as a transient Type=notify service inside a container."""

    def __init__(self, container, exposured, unit="exposured-test.service",
                 db=STATE_DIR + "/exposured.db", config_text=None, args=()):
        self.c = container
        self.exposured = exposured
        self.unit = unit
        self.db_path = db
        self.config_text = config_text
        self.args = list(args)
        self.port = free_port()
        self.api = Api(self.port)
        self.db = Db(db, container)
        self.binary = RUN_DIR + "/exposured"
        self.started = False

    def install(self):
        os.makedirs(self.c.path(RUN_DIR), exist_ok=True)
        shutil.copy2(self.exposured, self.c.path(self.binary))
        if self.config_text is not None:
            with open(self.c.path(RUN_DIR + "/exposured.conf"), "w", encoding="utf-8") as f:
                f.write(self.config_text)

    def argv(self):
        argv = [self.binary, "run", "--db=" + self.db_path,
                "--listen=127.0.0.1:%d" % self.port, "--log-level=debug"]
        if self.config_text is not None:
            argv.append("--config=" + RUN_DIR + "/exposured.conf")
        return argv + self.args

    def start(self, wait_ready=True, check=True):
        """systemd-run waits for the start job, i.e. for READY=1 (Type=notify)."""
        self.install()
        if self.db_path.startswith(STATE_DIR + "/"):
            os.makedirs(self.c.path(os.path.dirname(self.db_path)), exist_ok=True)
        cmd = ["systemd-run", "--unit=" + self.unit, "-p", "Type=notify",
               "-p", "NotifyAccess=main", "-p", "TimeoutStartSec=60"]
        if not wait_ready:
            cmd.append("--no-block")
        r = self.c.run(cmd + ["--"] + self.argv(), check=False, timeout=90)
        self.started = True
        if check and r.returncode != 0:
            raise AssertionError("systemd-run %s failed (%d): %s\n%s"
                                 % (self.unit, r.returncode, r.stderr, self.journal_text()))
        return r

    def stop(self):
        if not self.started:
            return
        self.c.run(["systemctl", "stop", self.unit], check=False, timeout=60)
        self.c.run(["systemctl", "reset-failed", self.unit], check=False, timeout=30)
        self.started = False

    def show(self, *props):
        r = self.c.run(["systemctl", "show", self.unit] + ["-p" + p for p in props], check=False)
        return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)

    def journal(self, *matches, since_cursor=None):
        """Journal entries of the container matching FIELD=VALUE matches, as dicts."""
        cmd = ["journalctl", "--no-pager", "-o", "json"]
        if since_cursor:
            cmd += ["--after-cursor=" + since_cursor]
        r = self.c.run(cmd + list(matches), check=False, timeout=30)
        return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]

    def describe(self):
        """How the service is doing, for failure messages: state, exit and the journal's tail."""
        return "%s\n%s" % (self.show("ActiveState", "SubState", "Result", "ExecMainCode",
                                     "ExecMainStatus", "MainPID"), self.journal_text(30))

    def journal_text(self, n=60):
        r = self.c.run(["journalctl", "--no-pager", "-u", self.unit, "-n", str(n)], check=False)
        return r.stdout

    def cli(self, *args):
        """`exposured ARGS --db=DB` inside the container: (rc, stdout, stderr)."""
        r = self.c.run([self.binary] + list(args) + ["--db=" + self.db_path], check=False)
        return r.returncode, r.stdout, r.stderr

    def wait_scanned(self, after, timeout=10):
        """Wait until the DB holds more than `after` scans; returns the new count."""
        return wait_for(lambda: (self.db.n_scans() or 0) > after and self.db.n_scans(),
                        timeout, "a scan stored after %d" % after)


class HostDaemon:
    """`exposured run` on the host against a container's bus, as a plain child process."""

    def __init__(self, container, exposured, db, args=()):
        self.c = container
        self.exposured = exposured
        self.db_path = db
        self.db = Db(db)
        self.args = list(args)
        self.port = free_port()
        self.api = Api(self.port)
        self.proc = None
        self.log = None

    def start(self, log_path):
        self.log = open(log_path, "ab")
        args = self.args
        if not [a for a in args if a.startswith(("--config=", "-c"))]:
            # The unit files the daemon stamps and blames are the container's (a test that
            # brings its own config sets os_root itself).
            conf = self.db_path + ".host.conf"
            with open(conf, "w", encoding="utf-8") as f:
                f.write("os_root = /proc/%d/root\n" % self.c.pid1)
            args = ["--config=" + conf] + args
        self.proc = subprocess.Popen([self.exposured, "run", "--db=" + self.db_path,
                                      "--listen=127.0.0.1:%d" % self.port] + args,
                                     env=self.c.host_env(LOG_TARGET="stderr"),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def kill(self, sig=9):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if self.log:
            self.log.close()
            self.log = None

    def stop(self):
        self.kill(15)
