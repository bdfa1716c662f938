# SPDX-License-Identifier: MIT
"""The daemon's HTTP side under hostile neighbours, against a real systemd in a container:
200 slowloris connections from one address while a legitimate client is served within a second;
100 slow readers of the largest response (/metrics with per_check_metrics = yes over 1,000 units)
with the process staying under the unit's MemoryMax; the listen example working as written on a
non-loopback address of the container's own network namespace, with the Host check kept on the
connections that arrive on loopback; `listen =` (empty) binding nothing; the configuration keys
of those limits applied as set, and refused out of range with FILE:LINE.

The daemon tests' container shares the host's network: its clients only ever use 127.0.0.0/8.
Anything with a non-loopback address runs in a --private-network container, whose network
namespace this test creates, and the traffic to that address never leaves it.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import containers
import daemon_fixtures as F
import oracle
import test_units as U

SLOWLORIS = 200
READERS = 100
N_UNITS = 1000
MEMORY_MAX = 256 * 1024 * 1024   # units/exposured.service's MemoryMax=
NS_ADDR = "10.213.7.1"           # only in the private network namespace


@pytest.fixture(scope="module")
def box(daemon_box):
    return daemon_box


def numbers(line):
    """Record a measurement in the run's summary and on stdout."""
    print(line)
    oracle.SUMMARY.append("hostile http: " + line)


def connect_from(src, port, rcvbuf=None):
    """A blocking connection from 127.0.0.SRC to the daemon, or None when refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("127.0.0.%d" % src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    return s


def timed_get(api, path):
    t0 = time.monotonic()
    status, body, _ = api.get(path, timeout=10)
    return status, time.monotonic() - t0


def test_slowloris(box, exposured):
    """200 connections from 127.0.0.2 that send one header line a second, for longer than the
    head deadline: every request of a client on 127.0.0.1 during that time is answered within a
    second (the per-address limit refuses most of them; the head deadline closes the rest)."""
    d = F.ContainerDaemon(box, exposured, unit="exposured-slowloris.service")
    socks = []
    try:
        d.start()
        F.wait_for(lambda: d.api.get("/api/v1/status")[0] == 200, 30, "the first scan")
        for _ in range(SLOWLORIS):
            s = connect_from(2, d.port)
            if s:
                try:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n")
                except OSError:
                    pass
                socks.append(s)
        worst, n, t_end = 0.0, 0, time.monotonic() + 15
        while time.monotonic() < t_end:
            for s in socks:
                try:
                    s.send(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            status, took = timed_get(d.api, "/api/v1/status")
            assert status == 200, "the legitimate client got %r\n%s" % (status, d.describe())
            worst, n = max(worst, took), n + 1
            time.sleep(0.5)
        open_ = 0
        for s in socks:
            s.setblocking(False)
            try:
                s.recv(1)           # b"": closed by the server
            except BlockingIOError:
                open_ += 1          # still waiting for the rest of its head
            except OSError:
                pass                # reset
        numbers("%d slowloris connections from one address: %d requests of a legitimate "
                "client, the slowest answered in %.0f ms; %d attacker connections still open "
                "after 15 s" % (SLOWLORIS, n, worst * 1000, open_))
        assert worst < 1.0
        assert open_ == 0, "the head deadline (10 s) left %d slow heads open" % open_
        assert d.show("ActiveState")["ActiveState"] == "active"
    finally:
        for s in socks:
            s.close()
        d.stop()


def many_units(n):
    files = {}
    for i in range(n):
        name = "hx-%04d.service" % i
        files[name] = ("[Unit]\nDescription=hostile http test unit %d\n[Service]\n"
                       "Type=oneshot\nExecStart=/bin/true\n" % i)
        files["multi-user.target.wants/" + name] = ("symlink", "/etc/systemd/system/" + name)
    return files


def proc_status(box, pid):
    r = box.run(["cat", "/proc/%s/status" % pid], check=False)
    return {k: int(v.split()[0]) * 1024 for k, v in re.findall(r"^(Vm\w+):\s+(.*)$", r.stdout,
                                                                 re.M)}


def test_slow_readers_memory(box, exposured):
    """100 clients (from 100 addresses: the per-address limit would stop one) request /metrics
    with per_check_metrics = yes over 1,000 more units and read nothing: the body is rendered
    per request but shared, so the daemon's peak RSS stays far below MemoryMax (it used to keep
    one copy per reader and get OOM-killed)."""
    files = many_units(N_UNITS)
    box.install_units(files)
    d = F.ContainerDaemon(box, exposured, unit="exposured-readers.service",
                          config_text="per_check_metrics = yes\nmax_connections = 128\n")
    socks = []
    try:
        d.start()
        d.c.run(["systemctl", "set-property", "--runtime", d.unit, "MemoryMax=256M"])
        def scored():
            # more units than one page of /api/v1/units (1,000): ask for them all
            j = d.api.json("/api/v1/units?limit=5000")
            return j and any(u["unit"] == "hx-%04d.service" % (N_UNITS - 1) for u in j["units"])
        F.wait_for(scored, 60, "the generated units scored")
        status, body, _ = d.api.get("/metrics", timeout=30)
        assert status == 200
        size = len(body)
        pid = d.show("MainPID")["MainPID"]
        base = proc_status(box, pid)
        req = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
        for i in range(READERS):
            s = connect_from(10 + i, d.port, rcvbuf=4096)
            assert s, "reader %d refused" % i
            s.sendall(req)
            socks.append(s)
        time.sleep(5)
        st = proc_status(box, pid)
        cur = d.show("MemoryCurrent")["MemoryCurrent"]
        cur = "%d MiB" % (int(cur) >> 20) if cur.isdigit() else "n/a"
        alive = d.show("ActiveState", "MainPID")
        numbers("%d slow readers of /metrics (%d KiB, %d units, per_check_metrics): RSS %d MiB "
                "before, %d MiB with them (peak %d MiB); cgroup MemoryCurrent %s; "
                "MemoryMax 256 MiB"
                % (READERS, size // 1024, N_UNITS, base.get("VmRSS", 0) >> 20,
                   st.get("VmRSS", 0) >> 20, st.get("VmHWM", 0) >> 20, cur))
        assert alive["ActiveState"] == "active" and alive["MainPID"] == pid, d.describe()
        # What the readers cost: one copy per reader would be 100 x 8 MB. The growth is the
        # measure (a sanitized build starts at ~150 MiB of its own shadow memory, an ordinary
        # one at ~35 MiB), the unit's MemoryMax the hard bound. A few bodies may be alive at
        # once (the cached one, an older generation's still being sent, the render buffer;
        # under ASan freed ones wait in its quarantine): 8 at most.
        grew = st["VmHWM"] - base.get("VmRSS", 0)
        assert grew < 8 * size, "the readers added %d MiB" % (grew >> 20)
        assert st["VmHWM"] < MEMORY_MAX
        # Still serving everyone else, at once: the 100 requests were one render (the render
        # cache keeps the body per state generation; each used to cost ~70 ms of the only
        # thread), so the next client is not queued behind them.
        status, took = timed_get(d.api, "/api/v1/status")
        numbers("a legitimate client behind those %d readers: answered in %.0f ms"
                % (READERS, took * 1000))
        assert status == 200
        assert took < 1.0
    finally:
        for s in socks:
            s.close()
        d.stop()
        box.remove_units(list(files))


# -- the listen example, in a network namespace of our own ------------------------------------

@pytest.fixture(scope="module")
def netbox():
    """The installed units in a --private-network container whose namespace holds NS_ADDR: a
    non-loopback address that exists only there."""
    reason = containers.skip_reason()
    if reason:
        pytest.skip(reason)
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    dest = U.stage("/usr/local")
    c = U.UnitsContainer(containers.unique_name("listen"),
                         ["--private-network", "--bind-ro=%s/usr/local:/usr/local" % dest])
    try:
        c.boot()
        shutil.copytree(dest + "/etc", c.path("/etc"), dirs_exist_ok=True, symlinks=True)
        inst = U.Installed(c, dest)
        # On lo (this kernel has no dummy or veth module): a non-loopback address all the same,
        # to the kernel's routing and to exposured's loopback test alike.
        inst.run("ip", "link", "set", "lo", "up")
        inst.run("ip", "addr", "add", NS_ADDR + "/32", "dev", "lo")
        inst.run("systemd-sysusers")
        inst.run("systemctl", "daemon-reload")
        yield inst
    finally:
        c.poweroff()
        shutil.rmtree(dest, ignore_errors=True)


def curl(inst, url, host=None):
    """(status, body) of a GET inside the container's namespace."""
    cmd = ["curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}"]
    if host:
        cmd += ["-H", "Host: " + host]
    r = inst.run(*(cmd + [url]), check=False, timeout=40)
    assert r.returncode == 0, "curl %s: %s" % (url, r.stderr)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def test_listen_example(netbox):
    """units/exposured-listen.conf.example as written: the socket starts (it used to fail with
    EADDRINUSE), serves on the namespace's non-loopback address and on 127.0.0.1, and keeps the
    Host check for connections that arrive on loopback."""
    i = netbox
    dropin = i.c.path("/etc/systemd/system/exposured.socket.d")
    os.makedirs(dropin, exist_ok=True)
    shutil.copy(os.path.join(U.TOP, "units", "exposured-listen.conf.example"),
                os.path.join(dropin, "listen.conf"))
    i.run("systemctl", "daemon-reload")
    r = i.run("systemctl", "restart", "exposured.socket", check=False)
    assert r.returncode == 0, i.journal("-u", "exposured.socket")[-2000:]
    assert i.show("exposured.socket", "ActiveState")["ActiveState"] == "active"
    listen = i.show("exposured.socket", "Listen")["Listen"]
    assert "0.0.0.0:9573" in listen

    code, body = curl(i, "http://%s:9573/metrics" % NS_ADDR)
    assert code == 200 and "exposured_unit_exposure" in body
    assert curl(i, "http://127.0.0.1:9573/api/v1/status")[0] == 200
    # a remote client's Host is its business (no allowed_hosts) ...
    assert curl(i, "http://%s:9573/metrics" % NS_ADDR, host="mon.example")[0] == 200
    # ... but a page in a browser on this host that rebinds evil.example to 127.0.0.1 is not
    assert curl(i, "http://127.0.0.1:9573/metrics", host="evil.example")[0] == 421
    i.run("systemctl", "stop", "exposured.socket", "exposured.service")
    os.unlink(os.path.join(dropin, "listen.conf"))
    i.run("systemctl", "daemon-reload")


def run_daemon(inst, *args):
    """`exposured run ARGS` as a transient service in the namespace container; its result."""
    return inst.run("systemd-run", "--unit=exposured-mixed.service", "-p", "Type=notify",
                    "-p", "TimeoutStartSec=30", "--", "/usr/local/bin/exposured", "run",
                    "--db=/run/exposured-mixed.db", *args, check=False, timeout=60)


def stop_daemon(inst):
    inst.run("systemctl", "stop", "exposured-mixed.service", check=False)
    inst.run("systemctl", "reset-failed", "exposured-mixed.service", check=False)


def test_mixed_listeners_host_check(netbox):
    """One loopback and one non-loopback listener, no allowed_hosts: the loopback socket keeps
    its Host check (it used to be switched off for both)."""
    i = netbox
    r = run_daemon(i, "--listen=127.0.0.1:9574", "--listen=%s:9574" % NS_ADDR)
    try:
        assert r.returncode == 0, r.stderr + i.journal("-u", "exposured-mixed.service")[-2000:]
        F.wait_for(lambda: curl(i, "http://127.0.0.1:9574/api/v1/status")[0] == 200, 30,
                   "the daemon serving")
        assert curl(i, "http://127.0.0.1:9574/metrics", host="evil.example")[0] == 421
        assert curl(i, "http://127.0.0.1:9574/metrics", host="localhost")[0] == 200
        assert curl(i, "http://%s:9574/metrics" % NS_ADDR, host="mon.example")[0] == 200
    finally:
        stop_daemon(i)


def test_empty_listen_binds_nothing(netbox):
    """listen = (empty) means socket activation only: started without a socket, the daemon
    says so and exits instead of binding 127.0.0.1:9573."""
    i = netbox
    with open(i.c.path("/run/exposured-empty.conf"), "w", encoding="utf-8") as f:
        f.write("listen =\n")
    r = run_daemon(i, "--config=/run/exposured-empty.conf")
    try:
        assert r.returncode != 0
        assert "socket activation only" in i.journal("-u", "exposured-mixed.service")
        ss = i.run("ss", "-Hltn", check=False).stdout
        assert ":9573 " not in ss
    finally:
        stop_daemon(i)


# -- the limits' configuration keys ------------------------------------------------------------

def test_limit_keys_applied(box, exposured):
    """max_connections_per_address and request_head_timeout as set in the file: 3 idle
    connections from one address stay, the next ones are closed at accept, and the 3 are closed
    once the 2 s head deadline passes (defaults: 16 and 10 s)."""
    d = F.ContainerDaemon(box, exposured, unit="exposured-limitkeys.service",
                          config_text="max_connections_per_address = 3\n"
                                      "request_head_timeout = 2s\n")
    socks = []
    try:
        d.start()
        F.wait_for(lambda: d.api.get("/api/v1/status")[0] == 200, 30, "the first scan")
        socks = [s for s in (connect_from(7, d.port) for _ in range(6)) if s]

        def open_count():
            n = 0
            for s in socks:
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        continue        # closed by the server
                except BlockingIOError:
                    n += 1              # still open, waiting for its head
                except OSError:
                    pass                # reset
            return n
        time.sleep(0.5)
        assert open_count() == 3, d.describe()
        # another address is not affected
        assert d.api.get("/api/v1/status")[0] == 200
        F.wait_for(lambda: open_count() == 0, 6, "the 2 s head deadline closing the rest")
    finally:
        for s in socks:
            s.close()
        d.stop()


def test_limit_keys_checked(exposured):
    """--check-config refuses out-of-range values of the limit keys with FILE:LINE."""
    cases = [
        ("max_connections_per_address = 0", "max_connections_per_address: expected 1 to 4096"),
        ("max_reading_connections = 4097", "max_reading_connections: expected auto or 1 to"),
        ("request_head_timeout = 10min", "request_head_timeout: expected 1s to 5m"),
        ("idle_timeout = 2h", "idle_timeout: expected 1s to 1h"),
    ]
    with tempfile.TemporaryDirectory(prefix="exposured-limitkeys-") as tmp:
        path = os.path.join(tmp, "exposured.conf")
        for line, message in cases:
            with open(path, "w", encoding="utf-8") as f:
                f.write("# limits\nmax_connections = 64\n" + line + "\n")
            r = subprocess.run([exposured, "run", "--check-config", "-c", path],
                               capture_output=True, text=True, timeout=30, check=False)
            assert r.returncode != 0, (line, r.stdout)
            assert "%s:3: %s" % (path, message) in r.stderr, (line, r.stderr)
        with open(path, "w", encoding="utf-8") as f:
            f.write("max_connections_per_address = 4\nmax_reading_connections = auto\n"
                    "request_head_timeout = 5m\nidle_timeout = 1h\n")
        r = subprocess.run([exposured, "run", "--check-config", "-c", path],
                           capture_output=True, text=True, timeout=30, check=False)
        assert r.returncode == 0, r.stderr
        for want in ("max_connections_per_address = 4\n", "max_reading_connections = auto\n",
                     "request_head_timeout = 5m\n", "idle_timeout = 1h\n"):
            assert want in r.stdout, r.stdout
