# SPDX-License-Identifier: MIT
"""Fixtures for the HTTP, Prometheus and dashboard tests: one container of the host's systemd with
a few extra services (hostile markup in a Description, an escaped template instance, a weak one, a
hardened one), and the real daemon on the host watching it over the container's bus, listening on
a free loopback port. Both are session-scoped and are stopped at the end whatever happens (the
daemon gets SIGTERM, then SIGKILL; the container is powered off by containers.py's hooks too).
Standard library only; imported by the test modules that use it (pytest_plugins in conftest.py
would clash with the other helpers' conftest edits).
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import containers

MARKUP = "<script>alert(1)</script> <img src=x onerror=alert(1)> & \"q\" 'x'"
MARKUP_UNIT = "web-markup.service"
ESCAPED_UNIT = "web-tmpl@a\\x2db.service"     # systemd-escape a-b -> a\x2db
WEAK_UNIT = "web-weak.service"
HARD_UNIT = "web-hard.service"
TEST_UNITS = [MARKUP_UNIT, ESCAPED_UNIT, WEAK_UNIT, HARD_UNIT]

UNIT_FILES = {
    MARKUP_UNIT: "[Unit]\nDescription=%s\n[Service]\nExecStart=/bin/sleep infinity\n"
                 "DynamicUser=yes\n" % MARKUP,
    "web-tmpl@.service": "[Unit]\nDescription=Template instance %i\n[Service]\n"
                         "ExecStart=/bin/sleep infinity\nPrivateNetwork=yes\n"
                         "ProtectSystem=strict\n",
    WEAK_UNIT: "[Unit]\nDescription=A weak service\n[Service]\nExecStart=/bin/sleep infinity\n",
    HARD_UNIT: """[Unit]
Description=A hardened service
[Service]
ExecStart=/bin/sleep infinity
DynamicUser=yes
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
PrivateDevices=yes
PrivateNetwork=yes
PrivateTmp=yes
PrivateUsers=yes
PrivateIPC=yes
ProtectSystem=strict
ProtectHome=yes
ProtectClock=yes
ProtectControlGroups=yes
ProtectKernelLogs=yes
ProtectKernelModules=yes
ProtectKernelTunables=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
IPAddressDeny=any
UMask=0077
DevicePolicy=closed
KeyringMode=private
""",
}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout, proc=None, what="server"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %d before listening" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s not listening on port %d after %ds" % (what, port, timeout))


def stop(proc, timeout=10):
    """SIGTERM, then SIGKILL: our own child only."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")


class Daemon:
    """`exposured run` on the host, against a container's bus."""

    def __init__(self, exposured, container, extra_conf=""):
        self.exposured = exposured
        self.container = container
        self.dir = tempfile.mkdtemp(prefix="exposured-webtest-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "exposured.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            # os_root: the unit files the daemon stamps and blames are the container's.
            f.write("rescan_coalesce = 100ms\nlog_level = info\nos_root = /proc/%d/root\n"
                    % container.pid1 + extra_conf)
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.proc = None

    def start(self, timeout=30):
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.exposured, "run", "-c", self.conf, "--db=" + os.path.join(self.dir, "db"),
             "--listen=127.0.0.1:%d" % self.port],
            env=self.container.host_env(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=containers._set_pdeathsig)
        log.close()
        try:
            wait_port(self.port, timeout, self.proc, "exposured")
            # The first answer waits for the first scan; be sure it is in.
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                st = self.get("/api/v1/status", timeout=15)
                if st.status == 200 and self.get("/api/v1/units").json()["count"] > 0:
                    return self
                time.sleep(0.1)
            raise RuntimeError("exposured has no units after %ds" % timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        stop(self.proc)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self, n=40):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def get(self, path, headers=None, method="GET", timeout=15):
        return http_request(self.base + path, headers=headers, method=method, timeout=timeout)


def http_request(url, headers=None, method="GET", timeout=15, data=None):
    req = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def quote_unit(unit):
    return urllib.parse.quote(unit, safe="")


def start_test_units(c):
    c.install_units(UNIT_FILES)
    c.run(["systemctl", "start"] + TEST_UNITS)


@pytest.fixture(scope="session")
def web_container():
    """The host's systemd in a container of our own (tests here change units) with TEST_UNITS
    running."""
    reason = containers.skip_reason()
    if reason:
        pytest.skip(reason)
    c = containers.Container("host", containers.unique_name("webtest"))
    c.boot()
    try:
        start_test_units(c)
        yield c
    finally:
        c.poweroff()


@pytest.fixture(scope="session")
def daemon(exposured, web_container):
    d = Daemon(exposured, web_container).start()
    try:
        yield d
    finally:
        d.stop()


def oracle_overview(c):
    """`systemd-analyze security --json=short` (no unit: every loaded service) inside c, as
    {unit: (exposure string, predicate)}."""
    r = c.run(["systemd-analyze", "security", "--no-pager", "--json=short"], timeout=120)
    return {x["unit"]: (x["exposure"], x["predicate"]) for x in json.loads(r.stdout)}


def wait_until(pred, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))
