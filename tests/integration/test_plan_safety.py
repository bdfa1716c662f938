# SPDX-License-Identifier: MIT
"""Fix plans are safe where they say so, and the runtime-informed plan keeps what is in use.

Safety (test_safe_plan_keeps_services_working): real services run in a systemd 252 container
(the host's tree): the sample units, a python http.server serving a page on a port, a service
that writes its StateDirectory as a non-root user, a journald-logging daemon (stdout, syslog and
the native protocol; Type=notify), a non-root service that runs a set-user-ID helper (which the
seccomp-based lines would break: systemd implies NoNewPrivileges=yes for them when the service
lacks CAP_SYS_ADMIN, so the planner does not call them safe there) and a oneshot. Each one is
first shown to work as it is. Then `exposured suggest UNIT --max-risk=safe --dropin` (without
looking at the processes: the worst case, the most lines), run as root inside the container,
gives the drop-in; it is written where the plan says, systemd reloads, systemd-analyze security
must agree with the plan's final exposure (so the lines really took effect), the service
restarts, and it must still work: the page is served, the state file is rewritten by the new
invocation, the new invocation's lines reach the journal by all three ways, the helper still runs
as root, the oneshot succeeds.

Runtime (test_runtime_informed_plan): `exposured suggest` as root inside the container, on a
running http.server listening on an IPv4 port, proposes no PrivateNetwork=yes nor
IPAddressDeny=any even in the "breaks" class, keeps AF_INET and AF_INET6 in its
RestrictAddressFamilies= line, and marks the steps it chose from the processes "checked". The
same plan for a running service without IP sockets does propose PrivateNetwork=yes (checked),
and with --no-runtime nothing is "checked": the test fails if the runtime is ignored either way.
"""

import json
import os
import shutil
import socket
import time

import pytest

import oracle

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(TOP, "tests", "sample-units")
RUN_DIR = "/run/xt-plan-safety"
BIN = RUN_DIR + "/exposured"
WWW = "/srv/xt-plan-www"
TOKEN = "xt-plan-safety-page"

# The sample units that run (demo-worker@ is a template; demo-backup is the oneshot).
SAMPLE_UNITS = ["demo-root.service", "demo-web.service", "demo-markup.service",
                "demo-hardened.service", "demo-backup.service"]

JOURNAL_PY = r'''
import os, socket, syslog, sys, time
inv = os.environ["INVOCATION_ID"]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ready = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = os.environ["NOTIFY_SOCKET"]
ready.sendto(b"READY=1", "\0" + addr[1:] if addr.startswith("@") else addr)
syslog.openlog("xt-plan-journal")
while True:
    print("xt-stdout " + inv, flush=True)
    syslog.syslog("xt-syslog " + inv)
    n.sendto(("MESSAGE=xt-native %s\nSYSLOG_IDENTIFIER=xt-plan-journal\n" % inv).encode(),
             "/run/systemd/journal/socket")
    time.sleep(0.3)
'''

# A non-root service that runs a set-user-ID helper (as one that sends mail through sendmail or
# pings through ping does): a copy of id(1), set-user-ID root, says whether the bit still works.
SUID_DIR = "/var/lib/xt-plan-suid"
SUID_SH = r'''
while :; do
    echo "suid $INVOCATION_ID $(%s/id)"
    sleep 0.3
done
''' % SUID_DIR

STATE_PY = r'''
import os, time
d = os.environ["STATE_DIRECTORY"]
inv = os.environ["INVOCATION_ID"]
while True:
    with open(d + "/stamp.new", "w") as f:
        f.write("%s %d\n" % (inv, time.time_ns()))
    os.replace(d + "/stamp.new", d + "/stamp")
    time.sleep(0.2)
'''


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def units(port):
    return {
        "xt-plan-http.service":
            "[Service]\nExecStart=/usr/bin/python3 -m http.server %d --bind 127.0.0.1 "
            "--directory %s\n" % (port, WWW),
        "xt-plan-state.service":
            "[Service]\nUser=daemon\nStateDirectory=xt-plan-state\n"
            "ExecStart=/usr/bin/python3 %s/state.py\n" % RUN_DIR,
        "xt-plan-journal.service":
            "[Service]\nType=notify\nExecStart=/usr/bin/python3 %s/journal.py\n" % RUN_DIR,
        "xt-plan-sleep.service":
            "[Service]\nExecStart=/bin/sleep infinity\n",
        "xt-plan-suid.service":
            "[Service]\nUser=daemon\nExecStart=/bin/sh %s/suid.sh\n" % RUN_DIR,
    }


class Box:
    def __init__(self, c, port):
        self.c = c
        self.port = port
        self.dropins = []

    def suggest(self, args, check=True):
        r = self.c.run([BIN, "suggest"] + list(args), check=False, timeout=120)
        if check:
            assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r

    def show(self, unit, *props):
        r = self.c.run(["systemctl", "show", "-p", ",".join(props), "--", unit])
        return dict(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)

    def wait_active(self, unit, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            st = self.show(unit, "ActiveState", "SubState", "Result")
            if st["ActiveState"] == "active":
                return st
            if st["ActiveState"] == "failed" or time.monotonic() > deadline:
                log = self.c.run(["journalctl", "-u", unit, "-n", "30", "--no-pager"],
                                 check=False).stdout
                raise AssertionError("%s is %s: %s" % (unit, st, log))
            time.sleep(0.1)


@pytest.fixture(scope="module")
def box(host_container, exposured):
    c = host_container
    port = free_port()
    os.makedirs(c.path(RUN_DIR), exist_ok=True)
    shutil.copy2(exposured, c.path(BIN))
    os.makedirs(c.path(SUID_DIR), exist_ok=True)
    shutil.copy2("/usr/bin/id", c.path(SUID_DIR + "/id"))
    os.chmod(c.path(SUID_DIR + "/id"), 0o4755)
    for name, text in (("state.py", STATE_PY), ("journal.py", JOURNAL_PY), ("suid.sh", SUID_SH)):
        with open(c.path(RUN_DIR + "/" + name), "w", encoding="utf-8") as f:
            f.write(text)
    os.makedirs(c.path(WWW), exist_ok=True)
    with open(c.path(WWW + "/index.html"), "w", encoding="utf-8") as f:
        f.write("<p>%s</p>\n" % TOKEN)
    files = units(port)
    for f in SAMPLE_UNITS:
        with open(os.path.join(SAMPLES, f), encoding="utf-8") as fh:
            files[f] = fh.read()
    c.install_units(files)
    b = Box(c, port)
    try:
        yield b
    finally:
        c.run(["systemctl", "stop"] + list(files), check=False)
        c.remove_units(list(files) + b.dropins, reload=False)
        c.daemon_reload()
        shutil.rmtree(c.path(RUN_DIR), ignore_errors=True)
        shutil.rmtree(c.path(WWW), ignore_errors=True)
        shutil.rmtree(c.path(SUID_DIR), ignore_errors=True)


# ---- what "works" means for each service -------------------------------------------------

def http_get(box):
    """The page, fetched inside the container (the container shares the host's network, but the
    check runs in it so it needs nothing from the test's side)."""
    code = ("import urllib.request,sys;"
            "sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:%d/',timeout=5)"
            ".read().decode())" % box.port)
    return box.c.run(["/usr/bin/python3", "-c", code], check=False, timeout=30)


def works_http(box, unit, inv):
    deadline = time.monotonic() + 20
    while True:
        r = http_get(box)
        if r.returncode == 0 and TOKEN in r.stdout:
            return
        assert time.monotonic() < deadline, "no page from %s: %s" % (unit, r.stderr[-500:])
        time.sleep(0.2)


def works_state(box, unit, inv):
    path = box.c.path("/var/lib/xt-plan-state/stamp")
    deadline = time.monotonic() + 20
    first = None
    while True:
        try:
            with open(path, encoding="utf-8") as f:
                words = f.read().split()
        except FileNotFoundError:
            words = []
        # Written by this invocation, and still being written (two different stamps).
        if len(words) == 2 and words[0] == inv:
            if first is None:
                first = words[1]
            elif words[1] != first:
                owner = os.stat(path).st_uid
                assert owner != 0, "the state file belongs to root"
                return
        assert time.monotonic() < deadline, "%s did not write its state: %s" % (unit, words)
        time.sleep(0.1)


def works_journal(box, unit, inv):
    want = ["xt-stdout " + inv, "xt-syslog " + inv, "xt-native " + inv]
    deadline = time.monotonic() + 20
    while True:
        out = box.c.run(["journalctl", "-u", unit, "-o", "cat", "--no-pager"],
                        check=False).stdout
        missing = [w for w in want if w not in out]
        if not missing:
            return
        assert time.monotonic() < deadline, "%s: not in the journal: %s" % (unit, missing)
        time.sleep(0.2)


def works_suid(box, unit, inv):
    deadline = time.monotonic() + 20
    while True:
        out = box.c.run(["journalctl", "-u", unit, "-o", "cat", "--no-pager"],
                        check=False).stdout
        mine = [l for l in out.splitlines() if l.startswith("suid %s " % inv)]
        if mine:
            assert "euid=0(root)" in mine[-1], "%s: the set-user-ID helper: %s" % (unit, mine[-1])
            return
        assert time.monotonic() < deadline, "%s: no output of this invocation" % unit
        time.sleep(0.2)


def works_running(box, unit, inv):
    time.sleep(0.5)
    st = box.show(unit, "ActiveState", "SubState", "InvocationID")
    assert st["ActiveState"] == "active" and st["SubState"] == "running", (unit, st)
    assert st["InvocationID"] == inv, (unit, st)


CHECKS = {
    "xt-plan-http.service": works_http,
    "xt-plan-state.service": works_state,
    "xt-plan-journal.service": works_journal,
    "xt-plan-sleep.service": works_running,
    "xt-plan-suid.service": works_suid,
    "demo-root.service": works_running,
    "demo-web.service": works_running,
    "demo-markup.service": works_running,
    "demo-hardened.service": works_running,
}


def restart_and_check(box, unit):
    if unit == "demo-backup.service":
        # The oneshot: it must run to completion with success.
        box.c.run(["systemctl", "restart", unit], check=False, timeout=60)
        st = box.show(unit, "Result", "ExecMainStatus", "ActiveState")
        assert st["Result"] == "success" and st["ExecMainStatus"] == "0", (unit, st)
        return
    box.c.run(["systemctl", "restart", unit], timeout=60)
    box.wait_active(unit)
    inv = box.show(unit, "InvocationID")["InvocationID"]
    CHECKS[unit](box, unit, inv)


def tenths(v):
    return int(round(float(v) * 10))


def analyze(box, unit):
    r = box.c.run(["systemd-analyze", "security", "--no-pager", unit], check=False)
    for line in r.stdout.splitlines():
        if line.startswith("\u2192 Overall exposure level for "):
            return tenths(line.split(":", 1)[1].split()[0])
    raise AssertionError("no overall exposure in: %s" % r.stdout[-500:])


ALL = list(CHECKS) + ["demo-backup.service"]


def test_safe_plan_keeps_services_working(box):
    c = box.c
    for u in ALL:
        restart_and_check(box, u)   # it works as it is (else the test proves nothing)

    applied = {}
    for u in ALL:
        r = box.suggest(["--json", "--no-runtime", "--max-risk=safe", u])
        plan = json.loads(r.stdout)
        assert all(s["risk"] == "safe" for s in plan["steps"]), plan
        if not plan["steps"]:
            continue
        text = box.suggest(["--dropin", "--no-runtime", "--max-risk=safe", u]).stdout
        lines = [l for s in plan["steps"] for l in s["line"].split("\n")]
        assert text == "[Service]\n" + "".join(l + "\n" for l in lines), (u, text)
        rel = os.path.relpath(plan["dropin_path"], "/etc/systemd/system")
        c.install_units({rel: text}, reload=False)
        box.dropins.append(os.path.dirname(rel))
        applied[u] = plan
    c.daemon_reload()
    # Most of the services get several lines; the hardened one may already have all of them.
    assert len(applied) >= len(ALL) - 1, sorted(set(ALL) - set(applied))
    assert sum(len(p["steps"]) for p in applied.values()) >= 5 * len(applied)

    broken = []
    try:
        _restart_all(box, applied, broken)
    finally:
        c.remove_units(box.dropins)
        box.dropins.clear()
    assert not broken, "\n".join(broken)
    oracle.SUMMARY.append(
        "plan safety v%d: %d of %d services got a safe drop-in (%d lines), all restarted and "
        "still work; no safe lines for: %s"
        % (c.version, len(applied), len(ALL), sum(len(p["steps"]) for p in applied.values()),
           ", ".join(sorted(set(ALL) - set(applied))) or "none"))


def _restart_all(box, applied, broken):
    for u, plan in applied.items():
        want = tenths(plan["steps"][-1]["exposure"])
        assert analyze(box, u) == want, (u, plan)
        try:
            restart_and_check(box, u)
        except AssertionError as e:
            broken.append("%s with %s: %s" % (
                u, " | ".join(s["line"].replace("\n", " | ") for s in plan["steps"]), e))


def _step(plan, prefix):
    return [s for s in plan["steps"] if s["line"].startswith(prefix)]


def test_runtime_informed_plan(box):
    for u in ("xt-plan-http.service", "xt-plan-sleep.service"):
        restart_and_check(box, u)

    # The listening web server: never off the network, even in the widest class.
    plan = json.loads(box.suggest(["--json", "--max-risk=breaks",
                                   "xt-plan-http.service"]).stdout)
    lines = [l for s in plan["steps"] for l in s["line"].split("\n")]
    assert not [l for l in lines if l.startswith("PrivateNetwork=")], lines
    assert not [l for l in lines if l.startswith("IPAddressDeny=")], lines
    families = _step(plan, "RestrictAddressFamilies=")
    assert len(families) == 1, lines
    # The step may reset the list first ("RestrictAddressFamilies=" on a line of its own).
    fam = families[0]["line"].split("\n")[-1].split("=", 1)[1].split()
    assert "AF_INET" in fam and "AF_INET6" in fam and "AF_UNIX" in fam, fam
    assert families[0]["checked"] is True, families
    checked = {s["line"].split("=", 1)[0] for s in plan["steps"] if s["checked"]}
    assert "RestrictAddressFamilies" in checked, plan
    # Its capabilities: root's effective set is kept whole (it holds them all), so no
    # CapabilityBoundingSet= line removes one it uses; whatever line there is, is checked.
    for s in _step(plan, "CapabilityBoundingSet="):
        assert s["checked"] is True, s
    # The text output says which steps were checked against the running process.
    text = box.suggest(["--max-risk=breaks", "xt-plan-http.service"]).stdout
    assert "CHECKED" in text, text
    row = [l for l in text.splitlines() if "RestrictAddressFamilies=" in l]
    assert row and " yes " in row[0], text

    # A running service without IP sockets does get PrivateNetwork=yes, checked.
    plan = json.loads(box.suggest(["--json", "--max-risk=breaks",
                                   "xt-plan-sleep.service"]).stdout)
    net = _step(plan, "PrivateNetwork=yes")
    assert len(net) == 1 and net[0]["checked"] is True, plan
    families = _step(plan, "RestrictAddressFamilies=")
    assert len(families) == 1 and families[0]["checked"] is True, plan
    assert "AF_INET" not in families[0]["line"], families

    # Without the runtime the same planner checks nothing and offers PrivateNetwork=yes to the
    # web server as well: the difference above comes from the running process.
    plan = json.loads(box.suggest(["--json", "--no-runtime", "--max-risk=breaks",
                                   "xt-plan-http.service"]).stdout)
    assert not [s for s in plan["steps"] if s["checked"]], plan
    assert _step(plan, "PrivateNetwork=yes"), plan

    # A stopped service has no processes to look at: nothing is checked.
    box.c.run(["systemctl", "stop", "xt-plan-sleep.service"])
    try:
        plan = json.loads(box.suggest(["--json", "--max-risk=breaks",
                                       "xt-plan-sleep.service"]).stdout)
        assert not [s for s in plan["steps"] if s["checked"]], plan
    finally:
        box.c.run(["systemctl", "start", "xt-plan-sleep.service"])
