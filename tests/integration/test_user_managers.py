# SPDX-License-Identifier: MIT
"""The daemon watching lingering users' managers (user_managers = lingering), on 252 and 262.

In a booted container: a lingering user with a few user services; the shipped units
(exposured.service + .socket with the shipped drop-in exposured-users-daemon.conf.example,
exposured-user@.service, exposured-users.service/.timer/.path) installed as a package would,
with the timer and path enabled; the daemon with the option on. Checked:
  - the API and /metrics show the user's units labelled by user, and every check of every unit
    (badness, weight, range, exposure, description) equals `systemd-analyze security --user`
    run as that user in the same container;
  - the system's units and series are unchanged (no user label), and the option off changes
    nothing even with reports present;
  - a changed user service is seen from the new report at once (inotify, not the 60 s pass);
  - a weaker user service is a stored regression of that user (events, history, the counter in
    /metrics), kept across a restart of the daemon;
  - a user who stops lingering disappears (the path unit removes the report);
  - the report file is root's, and exposured-user@.service's exposure is measured online.
The binary is the host's build, run through the host's loader with its libraries in
/opt/exposured-bin (the sid root has none of them), bound into the daemon's root directory by a
test drop-in.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import conftest  # noqa: E402
import containers  # noqa: E402
import oracle  # noqa: E402
from daemon_fixtures import Api, free_port  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUMMARY = oracle.SUMMARY
USER = "xmuser"
UID = 1743
BIN_DIR = "/opt/exposured-bin"
REPORT = "/run/exposured-users/%d.props" % UID
# 252 and 262 (where user services score differently: systemd#42743), as far as
# EXPOSURED_TEST_SUITES allows; two suites keep the CI time down. (On 247 the report units work,
# checked by hand, docs/user-managers.md; the daemon's own unit does not start in that root
# through the host's loader: 203/EXEC.)
SUITES = [s for s in ("host", "sid") if s in conftest._suites()]

HARDENED = ("[Service]\nExecStart=/bin/sleep infinity\nPrivateTmp=yes\nPrivateNetwork=yes\n"
            "ProtectSystem=strict\nProtectHome=read-only\nNoNewPrivileges=yes\n"
            "RestrictAddressFamilies=AF_UNIX\nSystemCallFilter=@system-service\n"
            "SystemCallArchitectures=native\nCapabilityBoundingSet=\nUMask=0077\n"
            "RestrictNamespaces=yes\nLockPersonality=yes\nMemoryDenyWriteExecute=yes\n")
UNITS = {
    "xm-plain.service": "[Service]\nExecStart=/bin/sleep infinity\n",
    "xm-hardened.service": HARDENED,
    "xm-groups.service": "[Service]\nExecStart=/bin/sleep infinity\nSupplementaryGroups=users\n",
    "xm-oneshot.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
}
# A report lists the loaded units, as a listing does: all of them are started.


def _install_binary(c, exposured):
    """The binary, its libraries and the host's loader in the container's BIN_DIR; returns the
    command line prefix that runs it there."""
    d = c.path(BIN_DIR)
    os.makedirs(d, exist_ok=True)
    libs = subprocess.run(["ldd", exposured], capture_output=True, text=True, check=True).stdout
    loader = None
    for line in libs.splitlines():
        f = line.split()
        path = f[2] if len(f) >= 3 and f[1] == "=>" else f[0] if f and f[0].startswith("/") \
            else None
        if path and os.path.exists(path):
            shutil.copy(path, d)
            if "ld-linux" in path:
                loader = os.path.basename(path)
    assert loader, "no dynamic loader in ldd %s" % exposured
    shutil.copy(exposured, os.path.join(d, "exposured"))
    os.chmod(d, 0o755)
    return "%s/%s --library-path %s %s/exposured" % (BIN_DIR, loader, BIN_DIR, BIN_DIR)


def _unit(name, cmd):
    with open(os.path.join(TOP, "units", name), encoding="utf-8") as f:
        return f.read().replace("/usr/local/bin/exposured", cmd)


def _wait(what, pred, c, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            log = c.run(["journalctl", "-b", "--no-pager", "-o", "short-monotonic", "-n", "60",
                         "-u", "exposured.service", "-u", "exposured-users.service",
                         "-u", "exposured-user@%d.service" % UID], check=False).stdout
            pytest.fail("timed out waiting for %s; journal:\n%s" % (what, log[-4000:]))
        time.sleep(0.2)


class Box:
    def __init__(self, c, port, cmd):
        self.c = c
        self.cmd = cmd.split()  # the exposured CLI in the container, as root
        self.version = c.version
        self.api = Api(port)

    def run(self, argv, check=True, timeout=120, input=None, env=None):
        """As the user (quacks like a Container for oracle.analyze_named())."""
        e = {"XDG_RUNTIME_DIR": "/run/user/%d" % UID, "HOME": "/home/" + USER, "USER": USER}
        e.update(env or {})
        return self.c.run(["setpriv", "--reuid=%d" % UID, "--regid=%d" % UID, "--init-groups",
                           "--"] + list(argv), check=check, timeout=timeout, input=input, env=e)

    def user_units(self):
        j = self.api.json("/api/v1/units?user=" + USER)
        return {u["unit"]: u for u in j["units"]} if j else None

    def set_option(self, on):
        with open(self.c.path("/etc/exposured/exposured.conf"), "w", encoding="utf-8") as f:
            f.write("user_managers = %s\nper_check_metrics = yes\nrescan_coalesce = 50ms\n"
                    % ("lingering" if on else "no"))
        self.c.run(["systemctl", "restart", "exposured.service"], timeout=120)
        _wait("the daemon's first scan", lambda: self.api.json("/api/v1/units"), self.c)

    def refresh(self):
        self.c.run(["systemctl", "start", "exposured-users.service"], timeout=120)


@pytest.fixture(scope="module", params=SUITES,
                ids=lambda s: "v%d" % containers.SUITES[s]["version"])
def box(request, container_pool, exposured):
    c = container_pool.get(request.param)
    port = free_port()
    cmd = _install_binary(c, exposured)
    c.run(["useradd", "-m", "-u", str(UID), "-U", "-s", "/bin/sh", USER])
    udir = c.path("/home/%s/.config/systemd/user" % USER)
    os.makedirs(udir, exist_ok=True)
    for name, text in UNITS.items():
        with open(os.path.join(udir, name), "w", encoding="utf-8") as f:
            f.write(text)
    c.run(["chown", "-R", "%s:%s" % (USER, USER), "/home/%s/.config" % USER])
    # A PAM stack for user@.service that sets XDG_RUNTIME_DIR (test_scan_user.py says why).
    os.makedirs(c.path("/etc/pam.d"), exist_ok=True)
    os.makedirs(c.path("/etc/security"), exist_ok=True)
    with open(c.path("/etc/security/xmuser-env.conf"), "w", encoding="utf-8") as f:
        f.write("XDG_RUNTIME_DIR DEFAULT=/run/user/%d\n" % UID)
    with open(c.path("/etc/pam.d/systemd-user"), "w", encoding="utf-8") as f:
        f.write("account required pam_permit.so\nsession required pam_env.so readenv=0 "
                "user_readenv=0 conffile=/etc/security/xmuser-env.conf\n")

    # The units as shipped (the binary's path aside), the daemon's drop-in as documented.
    os.makedirs(c.path("/etc/sysusers.d"), exist_ok=True)
    shutil.copy(os.path.join(TOP, "units/exposured.sysusers"),
                c.path("/etc/sysusers.d/exposured.conf"))
    c.run(["systemd-sysusers"])
    os.makedirs(c.path("/etc/exposured"), exist_ok=True)
    with open(os.path.join(TOP, "units/exposured-users-daemon.conf.example"),
              encoding="utf-8") as f:
        dropin = f.read()
    files = {n: _unit(n, cmd) for n in ("exposured.service", "exposured-user@.service",
                                        "exposured-users.service", "exposured-users.timer",
                                        "exposured-users.path")}
    files["exposured.socket"] = _unit("exposured.socket", cmd).replace(
        "ListenStream=127.0.0.1:9573", "ListenStream=127.0.0.1:%d" % port)
    files["exposured.service.d/user-managers.conf"] = dropin
    files["exposured.service.d/test-binary.conf"] = "[Service]\nBindReadOnlyPaths=%s\n" % BIN_DIR
    c.install_units(files)
    b = Box(c, port, cmd)
    try:
        c.run(["loginctl", "enable-linger", USER])
        _wait("the user manager", lambda: os.path.exists(
            c.path("/run/user/%d/systemd/private" % UID)), c, timeout=120)
        for u in sorted(UNITS):
            b.run(["systemctl", "--user", "start", u], timeout=60)
        c.run(["systemctl", "enable", "--now", "exposured-users.timer", "exposured-users.path",
               "exposured.socket"], timeout=120)
        b.set_option(True)
        yield b
    finally:
        c.run(["systemctl", "disable", "--now", "exposured.socket", "exposured.service",
               "exposured-users.timer", "exposured-users.path"], check=False, timeout=120)
        c.run(["loginctl", "disable-linger", USER], check=False)
        c.run(["systemctl", "stop", "user@%d.service" % UID], check=False, timeout=120)
        c.remove_units(list(files))
        c.run(["userdel", "-r", "-f", USER], check=False)
        c.run(["rm", "-rf", BIN_DIR, "/run/exposured-users", "/var/lib/exposured",
               "/etc/exposured", "/var/lib/systemd/linger/" + USER], check=False)


def _names():
    return sorted(UNITS)


def test_user_units_equal_oracle(box):
    """Every check of every user unit the daemon has, from /api/v1/units/NAME?user=, equals
    systemd-analyze security --user run as the user."""
    units = _wait("the user's units in the API",
                  lambda: (lambda u: u if u and set(_names()) <= set(u) else None)(
                      box.user_units()), box.c)
    names = sorted(units)
    rc, theirs, err = oracle.analyze_named(box, names, extra=["--user"])
    assert rc == 0 and len(theirs) == len(names), err
    n_checks = 0
    for t in theirs:
        name = t["unit"]
        assert units[name]["user"] == USER
        assert "%.1f" % units[name]["exposure"] == t["exposure"], (name, units[name], t)
        ours = box.api.json("/api/v1/units/%s?user=%s" % (name, USER))
        assert ours and ours["user"] == USER and ours["unit"] == name
        by = {c["name"]: c for c in ours["checks"]}
        assert len(by) == len(t["checks"]), name
        for tc in t["checks"]:
            oc = by[tc["name"]]
            exp = None if oc["exposure"] in (None, 0) else "%.1f" % oc["exposure"]
            assert oracle._badness_equal(oc["badness"], tc["badness"]), (name, oc, tc)
            assert (oc["weight"], oc["range"], exp) == \
                (tc["weight"], tc["range"], tc["exposure"]), (name, oc, tc)
            if tc["description"] is not None:
                assert oc["description"] == tc["description"], (name, oc, tc)
            n_checks += 1
    SUMMARY.append("systemd %d (%s) daemon, user_managers = lingering: %d user units, %d checks "
                   "equal to systemd-analyze --user" % (box.version, box.c.suite, len(theirs),
                                                       n_checks))
    # The scope matters on 262 (systemd#42743): a plain user service does not run as root.
    plain = {c["name"]: c for c in box.api.json(
        "/api/v1/units/xm-plain.service?user=" + USER)["checks"]}
    assert (plain["User=/DynamicUser="]["badness"] == 0) == (box.version >= 262)


def test_labels_in_api_and_metrics(box):
    """User units carry user="xmuser" in /metrics and "user" in the API; the system's carry
    null and no label; ?user= filters, a bad value is a 400."""
    _wait("the user's units", lambda: box.user_units(), box.c)
    every = box.api.json("/api/v1/units?limit=5000")
    system = [u for u in every["units"] if u["user"] is None]
    mine = [u for u in every["units"] if u["user"] == USER]
    assert system and "exposured.service" in [u["unit"] for u in system]
    assert set(_names()) <= set(u["unit"] for u in mine)
    assert every["count"] == len(every["units"])
    m = box.api.metrics()
    for u in mine:
        k = 'exposured_unit_exposure{unit="%s",oneshot="%s",user="%s"}' % (
            u["unit"], "true" if u["oneshot"] else "false", USER)
        assert float(m[k]) == u["exposure"], k
    sys_series = [k for k in m if k.startswith("exposured_unit_exposure{")
                  and 'user="' not in k]
    assert len(sys_series) == len(system)
    assert any('unit="xm-plain.service"' in k and ",check=" in k and 'user="xmuser"' in k
               for k in m)
    for bad in ("", "-x", "a%2Fb", "x" * 65, "a%20b"):
        status, _b, _h = box.api.get("/api/v1/units?user=" + bad)
        assert status == 400, bad
    assert box.api.json("/api/v1/units?user=nobodyhere")["count"] == 0
    status, _b, _h = box.api.get("/api/v1/units/xm-plain.service?user=nobodyhere")
    assert status == 404
    # the report is root's: the user can write it (its stdout) but not replace or chmod it
    st = os.stat(box.c.path(REPORT))
    assert st.st_uid == 0 and not st.st_mode & 0o022, oct(st.st_mode)


def test_change_seen_at_once(box):
    """A user service made stricter: the next report is read on inotify, long before the
    daemon's 60 s pass."""
    before = box.user_units()["xm-plain.service"]["exposure"]
    path = box.c.path("/home/%s/.config/systemd/user/xm-plain.service" % USER)
    with open(path, "a", encoding="utf-8") as f:
        f.write("PrivateNetwork=yes\nNoNewPrivileges=yes\n")
    box.run(["systemctl", "--user", "daemon-reload"], timeout=60)
    t0 = time.monotonic()
    box.refresh()
    _wait("the new exposure", lambda: (box.user_units() or {}).get(
        "xm-plain.service", {}).get("exposure", before) < before, box.c, timeout=20)
    took = time.monotonic() - t0
    rc, theirs, err = oracle.analyze_named(box, ["xm-plain.service"], extra=["--user"])
    assert rc == 0, err
    assert "%.1f" % box.user_units()["xm-plain.service"]["exposure"] == theirs[0]["exposure"]
    SUMMARY.append("systemd %d (%s) daemon: a user unit's change seen %.1f s after the report"
                   % (box.version, box.c.suite, took))


def test_regression_stored(box):
    """A user service made weaker raises what a system one does: a regression event stored with
    the user named (/api/v1/events, the unit's history with ?user=), counted in
    exposured_regressions_total with the user label (the system's series keep none). All of it
    survives a restart of the daemon, which counts nothing again."""
    name = "xm-hardened.service"
    units = _wait("the user's units", lambda: box.user_units(), box.c)
    before = units[name]["exposure"]
    path = box.c.path("/home/%s/.config/systemd/user/%s" % (USER, name))
    with open(path, "w", encoding="utf-8") as f:
        f.write(HARDENED.replace("PrivateNetwork=yes\n", "").replace(
            "ProtectSystem=strict\n", ""))
    box.run(["systemctl", "--user", "daemon-reload"], timeout=60)
    box.refresh()
    _wait("the weaker exposure", lambda: (box.user_units() or {}).get(
        name, {}).get("exposure", before) > before, box.c, timeout=30)
    after = box.user_units()[name]["exposure"]
    key = 'exposured_regressions_total{unit="%s",oneshot="false",user="%s"}' % (name, USER)

    def regressions():
        j = box.api.json("/api/v1/events?kind=regression&limit=1000")
        return [e for e in j["events"] if e["unit"] == name] if j else None

    def check():
        ev = regressions()
        assert len(ev) == 1 and ev[0]["user"] == USER, ev
        assert (ev[0]["previous"], ev[0]["exposure"]) == (before, after), ev
        h = box.api.json("/api/v1/units/%s/history?user=%s" % (name, USER))
        assert h and h["history"][0]["kind"] == "regression", h
        assert h["history"][0]["user"] == USER and h["history"][0]["exposure"] == after
        assert [e["kind"] for e in box.api.json(
            "/api/v1/events?unit=%s&user=%s" % (name, USER))["events"]] == ["regression"]
        # the system has no unit of that name: neither history nor events
        assert box.api.get("/api/v1/units/%s/history" % name)[0] == 404
        assert box.api.json("/api/v1/events?unit=" + name)["events"] == []
        m = box.api.metrics()
        assert m[key] == "1", key
        system = [u for u in box.api.json("/api/v1/units?limit=5000")["units"]
                  if u["user"] is None]
        sys_series = [k for k in m if k.startswith("exposured_regressions_total{")
                      and 'user="' not in k]
        assert len(sys_series) == len(system)
        assert box.user_units()[name]["regressions"] == 1
        # test_change_seen_at_once's stricter xm-plain is a stored improvement
        hp = box.api.json("/api/v1/units/xm-plain.service/history?user=" + USER)
        assert "improvement" in [r["kind"] for r in hp["history"]], hp
        return h["count"]

    _wait("the stored regression", lambda: regressions(), box.c, timeout=10)
    n_rows = check()
    assert box.api.get("/api/v1/events?user=" + USER)[0] == 400
    # The CLI, from the database the daemon writes: --user= is the user's unit; the system has
    # none of that name; the events table names the user.
    r = box.c.run(box.cmd + ["history", "--json", "--user=" + USER, name])
    rows = json.loads(r.stdout)
    assert rows[0]["kind"] == "regression" and rows[0]["user"] == USER, rows
    assert abs(rows[0]["exposure"] - after) < 0.01, rows
    r = box.c.run(box.cmd + ["history", name], check=False)
    assert r.returncode == 1 and "No history for unit" in r.stderr, r
    r = box.c.run(box.cmd + ["events", "--kind=regression", "--user=" + USER])
    assert re.search(r"\n\S+ %s \(user %s\) regression " % (re.escape(name), USER),
                     r.stdout), r.stdout
    r = box.c.run(box.cmd + ["events", "--kind=regression", "--user=nosuchuser"])
    assert len(r.stdout.splitlines()) == 1, r.stdout  # the header only
    r = box.c.run(box.cmd + ["events", "--user=-x"], check=False)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r
    box.c.run(["systemctl", "restart", "exposured.service"], timeout=120)
    _wait("the user's units after a restart",
          lambda: (box.user_units() or {}).get(name), box.c)
    _wait("the counter after a restart", lambda: key in (box.api.metrics() or {}), box.c,
          timeout=10)
    assert check() == n_rows
    # The refresh and the restart (which wants exposured-users.service) count towards that
    # unit's start limit (5 in 10 s); the tests after this one start it as often again.
    box.c.run(["systemctl", "reset-failed", "exposured-users.service"], check=False)
    SUMMARY.append("systemd %d (%s) daemon: a weaker user unit (%.1f -> %.1f) stored as a "
                   "regression of user %s, counted, kept across a restart"
                   % (box.version, box.c.suite, before, after, USER))


def test_option_off_changes_nothing(box):
    """user_managers = no, with the reports present: no user unit, no user label, the system's
    units and series as before."""
    assert os.path.exists(box.c.path(REPORT))
    on = box.api.json("/api/v1/units?limit=5000")
    box.set_option(False)
    try:
        off = _wait("the daemon with the option off",
                    lambda: box.api.json("/api/v1/units?limit=5000"), box.c)
        assert [u for u in off["units"] if u["user"] is not None] == []
        # (the report oneshots come and go as system units)
        steady = lambda l: sorted(u["unit"] for u in l if u["user"] is None
                                  and not u["unit"].startswith("exposured-user"))
        assert steady(off["units"]) == steady(on["units"])
        m = box.api.metrics()
        assert not [k for k in m if 'user="' in k]
        assert box.api.json("/api/v1/units?user=" + USER)["count"] == 0
    finally:
        box.set_option(True)
    _wait("the user's units back", lambda: box.user_units(), box.c)


def test_unit_exposure(box):
    """exposured-user@.service's exposure, online, in this systemd; and the daemon's drop-in
    leaves exposured.service's own exposure where it is without it."""
    rc, reports, err = oracle.analyze_named(box.c, ["exposured-user@%d.service" % UID,
                                                    "exposured.service",
                                                    "exposured-users.service"])
    assert rc == 0 and len(reports) == 3, err
    e = {r["unit"]: float(r["exposure"]) for r in reports}
    SUMMARY.append("systemd %d (%s) units online: exposured-user@.service %.1f, "
                   "exposured-users.service %.1f, exposured.service with the drop-in %.1f"
                   % (box.version, box.c.suite, e["exposured-user@%d.service" % UID],
                      e["exposured-users.service"], e["exposured.service"]))
    assert e["exposured-user@%d.service" % UID] <= 1.0
    assert e["exposured.service"] <= 1.0


def test_stop_lingering(box):
    """loginctl disable-linger: the path unit runs exposured-users.service, which removes the
    report; the daemon drops the user's units and series."""
    _wait("the user's units", lambda: box.user_units(), box.c)
    box.c.run(["loginctl", "disable-linger", USER])
    _wait("the report removed", lambda: not os.path.exists(box.c.path(REPORT)), box.c,
          timeout=30)
    _wait("the user's units gone", lambda: box.user_units() == {}, box.c, timeout=10)
    assert not [k for k in box.api.metrics() if 'user="%s"' % USER in k]
    log = box.c.run(["journalctl", "-b", "--no-pager", "-o", "cat", "-u", "exposured.service"],
                    check=False).stdout
    assert re.search(r"User manager of '%s' \(uid %d\): no report any more" % (USER, UID), log)
