# SPDX-License-Identifier: MIT
"""`exposured scan --user` against `systemd-analyze security --user`, on every version (247 to 262).

In a booted container: a user with lingering enabled (so its user@UID.service runs without a
login), a few user services in ~/.config/systemd/user (plain ones, hardened ones, and the
settings whose scoring depends on the manager's scope: User=, DynamicUser=,
SupplementaryGroups=, RemoveIPC=). Both tools run inside the container as that user with
XDG_RUNTIME_DIR=/run/user/UID: the oracle `systemd-analyze security --user --json=short`, and
`exposured scan --user --json`. Every check of every unit and the exposure must agree. 262 scores
user services as the calling user (systemd#42743), 252 as root: the same units score
differently on the two, and the test checks that too, so a scorer that ignores the scope fails.
As root: `--machine=USER@.host --user` on both sides.

exposured is the host's build; it runs in the container through the host's dynamic loader with
its libraries copied next to it (the sid root has none of them), in the container's namespaces
and as the user, so it connects exactly as a user's own tool would.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import conftest  # noqa: E402
import containers  # noqa: E402
import oracle  # noqa: E402

SUMMARY = oracle.SUMMARY

USER = "xtuser"
UID = 1742
# Every version under test (EXPOSURED_TEST_SUITES limits them, as for the other modules); 252
# and 262 are the two that differ.
SUITES = conftest._suites()
BIN_DIR = "/tmp/exposured-bin"

HARDENED = """[Service]
ExecStart=/bin/sleep infinity
PrivateTmp=yes
PrivateDevices=yes
PrivateNetwork=yes
PrivateUsers=yes
ProtectSystem=strict
ProtectHome=read-only
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
NoNewPrivileges=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RestrictAddressFamilies=AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
CapabilityBoundingSet=
UMask=0077
KeyringMode=private
RemoveIPC=yes
IPAddressDeny=any
"""

UNITS = {
    "xu-plain.service": "[Service]\nExecStart=/bin/sleep infinity\n",
    "xu-oneshot.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    "xu-hardened.service": HARDENED,
    "xu-removeipc.service": "[Service]\nExecStart=/bin/sleep infinity\nRemoveIPC=yes\n",
    "xu-groups.service": "[Service]\nExecStart=/bin/sleep infinity\nSupplementaryGroups=users\n",
    "xu-dynamic.service": "[Service]\nExecStart=/bin/sleep infinity\nDynamicUser=yes\n",
    "xu-root.service": "[Service]\nExecStart=/bin/sleep infinity\nUser=root\n",
    "xu-self.service": "[Service]\nExecStart=/bin/sleep infinity\nUser=%s\n" % USER,
    "xu-nobody.service": "[Service]\nExecStart=/bin/sleep infinity\nUser=nobody\n",
    "xu-tmpl@.service": "[Service]\nExecStart=/bin/sleep infinity\nNoNewPrivileges=yes\n",
}
STARTED = ["xu-plain.service", "xu-hardened.service"]


class UserManager:
    """A lingering user's manager in a container, and how to run things as that user.
    Quacks like a Container for oracle.analyze_named(): version and run()."""

    def __init__(self, c):
        self.c = c
        self.version = c.version
        self.runtime = "/run/user/%d" % UID

    def run(self, argv, check=True, timeout=120, input=None, env=None):
        e = {"XDG_RUNTIME_DIR": self.runtime, "HOME": "/home/" + USER, "USER": USER}
        e.update(env or {})
        return self.c.run(["setpriv", "--reuid=%d" % UID, "--regid=%d" % UID, "--init-groups",
                           "--"] + list(argv), check=check, timeout=timeout, input=input, env=e)


def _install_exposured(c, exposured):
    """Copy the binary, its libraries and the host's loader into the container's /tmp.
    Returns the argv prefix that runs it there."""
    d = c.path(BIN_DIR)
    os.makedirs(d, exist_ok=True)
    libs = subprocess.run(["ldd", exposured], capture_output=True, text=True, check=True).stdout
    loader = None
    for line in libs.splitlines():
        f = line.split()
        path = f[2] if len(f) >= 3 and f[1] == "=>" else f[0] if f and f[0].startswith("/") \
            else None
        if not path or not os.path.exists(path):
            continue
        shutil.copy(path, d)
        if "ld-linux" in path:
            loader = os.path.basename(path)
    assert loader, "no dynamic loader in ldd %s" % exposured
    shutil.copy(exposured, os.path.join(d, "exposured"))
    os.chmod(d, 0o755)
    return [BIN_DIR + "/" + loader, "--library-path", BIN_DIR, BIN_DIR + "/exposured"]


def _wait(c, pred, what, timeout=180):  # generous: the bench runs under heavy load
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            log = c.run(["journalctl", "-b", "--no-pager", "-n", "30", "_PID=1", "+",
                         "_COMM=(systemd)", "+", "_COMM=systemd"], check=False).stdout
            pytest.fail("timed out waiting for %s; journal:\n%s" % (what, log[-3000:]))
        time.sleep(0.2)


@pytest.fixture(scope="module", params=SUITES,
                ids=lambda s: "v%d" % containers.SUITES[s]["version"])
def user_box(request, container_pool, exposured):
    """The container with the user, its lingering manager and its units."""
    c = container_pool.get(request.param)
    c.run(["useradd", "-m", "-u", str(UID), "-U", "-s", "/bin/sh", USER])
    home = c.path("/home/" + USER)
    udir = os.path.join(home, ".config/systemd/user")
    os.makedirs(udir, exist_ok=True)
    for name, text in UNITS.items():
        with open(os.path.join(udir, name), "w", encoding="utf-8") as f:
            f.write(text)
    c.run(["chown", "-R", "%s:%s" % (USER, USER), "/home/" + USER + "/.config"])
    # user@.service opens a PAM session. The roots' own stacks do not work here: the host
    # suite's /etc is an empty tmpfs (--volatile=yes, so its includes are missing), and the
    # Debian roots lack pam_systemd, which sets XDG_RUNTIME_DIR (systemd --user refuses to run
    # without it). So a minimal stack that sets it, on the container's throwaway /etc.
    os.makedirs(c.path("/etc/pam.d"), exist_ok=True)
    os.makedirs(c.path("/etc/security"), exist_ok=True)
    with open(c.path("/etc/security/xtuser-env.conf"), "w", encoding="utf-8") as f:
        f.write("XDG_RUNTIME_DIR DEFAULT=/run/user/%d\n" % UID)
    with open(c.path("/etc/pam.d/systemd-user"), "w", encoding="utf-8") as f:
        f.write("account required pam_permit.so\n"
                "session required pam_env.so readenv=0 user_readenv=0 "
                "conffile=/etc/security/xtuser-env.conf\n")
    # Lingering starts user@UID.service at once (logind), with no session.
    r = c.run(["loginctl", "enable-linger", USER], check=False)
    if r.returncode != 0:
        os.makedirs(c.path("/var/lib/systemd/linger"), exist_ok=True)
        open(c.path("/var/lib/systemd/linger/" + USER), "w").close()
        c.run(["systemctl", "start", "user@%d.service" % UID], timeout=120)
    um = UserManager(c)
    private = c.path(um.runtime + "/systemd/private")
    _wait(c, lambda: os.path.exists(private), "the user manager's private socket")
    _wait(c, lambda: c.run(["systemctl", "is-active", "user@%d.service" % UID],
                        check=False).stdout.strip() == "active", "user@%d.service" % UID)
    for u in STARTED:
        um.run(["systemctl", "--user", "start", u], timeout=60)
    um.prefix = _install_exposured(c, exposured)
    try:
        yield um
    finally:
        c.run(["loginctl", "disable-linger", USER], check=False)
        c.run(["systemctl", "stop", "user@%d.service" % UID], check=False, timeout=120)
        c.run(["userdel", "-r", "-f", USER], check=False)
        c.run(["rm", "-rf", BIN_DIR, "/var/lib/systemd/linger/" + USER], check=False)


def _scan(runner, prefix, args, env=None):
    r = runner.run(prefix + ["scan", "--json"] + list(args), check=False, timeout=300, env=env)
    data = oracle.json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, data, r.stderr


def _compare(um, runner, names, oracle_extra, scan_extra, what):
    rc, theirs, err = oracle.analyze_named(runner, names, extra=oracle_extra)
    assert rc == 0 and len(theirs) == len(names), \
        "oracle failed on %s (rc %d, %d of %d): %s" % (what, rc, len(theirs), len(names), err)
    rc, ours, err = _scan(runner, um.prefix, scan_extra + names)
    assert rc == 0, "exposured scan exited %d: %s" % (rc, err[-2000:])
    label = "systemd %d (%s) %s" % (um.version, um.c.suite, what)
    diffs = oracle.compare_reports(label, theirs, ours,
                                   has_json_field=um.version >= oracle.JSON_MIN_VERSION)
    SUMMARY.append("%s: %d units, %d checks compared, %d difference kinds"
                   % (label, diffs.n_units, diffs.n_checks, len(diffs.items)))
    assert not diffs, diffs.report()
    return theirs


def _load_states(um):
    """{unit: LoadState} (a template is always there: systemd-analyze picks its instance)."""
    names = sorted(n for n in UNITS if not n.endswith("@.service"))
    r = um.run(["systemctl", "--user", "show", "-p", "LoadState", "--"] + names)
    states = [l.split("=", 1)[1] for l in r.stdout.splitlines() if l.startswith("LoadState=")]
    assert len(states) == len(names), r.stdout
    out = dict(zip(names, states))
    out.update({n: "loaded" for n in UNITS if n.endswith("@.service")})
    return dict(sorted(out.items()))


def test_user_units(user_box):
    """As the user: every unit that loads, every check, the exposure."""
    states = _load_states(user_box)
    names = [n for n, st in states.items() if st == "loaded"]
    # 257 and 262 refuse DynamicUser= in a user manager (test_user_unit_errors); 247..254 load
    # it.
    assert len(names) >= len(UNITS) - 1, states
    theirs = _compare(user_box, user_box, names, ["--user"], ["--user"], "user units")
    by = {t["unit"]: t for t in theirs}
    user_row = [c for c in by["xu-plain.service"]["checks"] if c["name"] == "User=/DynamicUser="]
    # The scope matters from 262 on: a plain user service is not "root" there.
    if user_box.version >= 262:
        assert user_row[0]["set"] is True, user_row
    else:
        assert user_row[0]["set"] is False, user_row


def test_user_unit_errors(user_box):
    """A unit that does not load, or does not exist, in the user manager: the same error line
    and exit status from both."""
    states = _load_states(user_box)
    bad = [n for n, st in states.items() if st != "loaded"] + ["xu-nonexistent.service"]
    for name in bad:
        r = user_box.run(["systemd-analyze", "security", "--user", "--no-pager", name],
                         check=False)
        rc, _data, err = _scan(user_box, user_box.prefix, ["--user", name])
        assert (rc, err.strip()) == (r.returncode, r.stderr.strip()), (name, rc, err, r)


def test_user_listing(user_box):
    """No unit named: the same services (the manager's own ones too), exposures, predicates."""
    rc, theirs, err = oracle.analyze_all(user_box, extra=["--user"])
    assert rc == 0 and theirs, "oracle listing failed (rc %d): %s" % (rc, err)
    rc, ours, err = _scan(user_box, user_box.prefix, ["--user"])
    assert rc == 0, "exposured scan --user exited %d: %s" % (rc, err)
    got = [(o["unit"], "%.1f" % o["exposure"], o["predicate"]) for o in ours]
    want = [(t["unit"], t["exposure"], t["predicate"]) for t in theirs]
    SUMMARY.append("systemd %d (%s) user listing: %d units, %s"
                   % (user_box.version, user_box.c.suite, len(want),
                      "equal" if got == want else "DIFFERENT"))
    assert got == want
    assert "xu-plain.service" in [u for u, _e, _p in got]


def test_machine_as_root(user_box):
    """As root: --machine=USER@.host --user reaches USER's manager; every check equals the
    oracle run as USER. (systemd-analyze itself refuses --user with --machine on 252 and 262:
    "Operation not supported"; checked here so that the man page's claim stays true.)"""
    names = [n for n, st in _load_states(user_box).items() if st == "loaded"]
    extra = ["--user", "--machine=%s@.host" % USER]
    r = user_box.c.run(["systemd-analyze", "security", "--no-pager"] + extra + names[:1],
                       check=False)
    assert r.returncode != 0 and "not supported" in r.stderr, r
    rc, theirs, err = oracle.analyze_named(user_box, names, extra=["--user"])
    assert rc == 0 and len(theirs) == len(names), err
    rc, ours, err = _scan(user_box.c, user_box.prefix, extra + names)
    assert rc == 0, "exposured scan %s exited %d: %s" % (" ".join(extra), rc, err[-2000:])
    label = "systemd %d (%s) root, --machine=%s@.host" % (user_box.version, user_box.c.suite,
                                                          USER)
    diffs = oracle.compare_reports(label, theirs, ours,
                                   has_json_field=user_box.version >= oracle.JSON_MIN_VERSION)
    SUMMARY.append("%s: %d units, %d checks compared, %d difference kinds"
                   % (label, diffs.n_units, diffs.n_checks, len(diffs.items)))
    assert not diffs, diffs.report()


def test_machine_errors(user_box):
    """--machine= errors: an unknown user, a user without a running manager, and a user who is
    not root asking for another user's manager."""
    c = user_box.c
    rc, _d, err = _scan(c, user_box.prefix, ["--user", "--machine=xtnosuchuser@.host"])
    assert rc == 1 and "Unknown user 'xtnosuchuser'" in err, err
    rc, _d, err = _scan(c, user_box.prefix, ["--user", "--machine=nobody@.host"])
    assert rc == 1 and "Failed to connect to the manager of user 'nobody'" in err, err
    rc, _d, err = _scan(user_box, user_box.prefix, ["--user", "--machine=root@.host"])
    assert rc == 1 and "Failed to connect" in err, err
    rc, _d, err = _scan(c, user_box.prefix, ["--machine=%s@.host" % USER])
    assert rc == 2 and "needs --user" in err, err
    rc, _d, err = _scan(c, user_box.prefix, ["--user", "--machine=xtuser@box"])
    assert rc == 2 and "only USER@.host" in err, err


def test_user_text_identical(user_box):
    """The text output, byte for byte, per unit (the check table with 262's new texts and the
    overall line): `systemd-analyze security --user UNIT` against `exposured scan --user UNIT`,
    both as the user, not a terminal."""
    names = [n for n, st in _load_states(user_box).items() if st == "loaded"]
    for name in names:
        r = user_box.run(["systemd-analyze", "security", "--user", "--no-pager", name],
                         check=False)
        ours = user_box.run(user_box.prefix + ["scan", "--user", name], check=False)
        assert r.returncode == 0, r.stderr
        assert (ours.returncode, ours.stdout) == (0, r.stdout), \
            "%s: systemd-analyze printed\n%s\nexposured scan printed (rc %d)\n%s%s" % (
                name, r.stdout, ours.returncode, ours.stdout, ours.stderr)
    SUMMARY.append("systemd %d (%s) user units as text: %d units, bytes equal"
                   % (user_box.version, user_box.c.suite, len(names)))


def test_session_bus_fallback(user_box):
    """Without the private socket (no XDG_RUNTIME_DIR/systemd/private), through the user's
    session bus, as systemd-analyze falls back. Only where dbus-user-session runs (the host
    suite): the Debian roots do not have it."""
    bus = user_box.runtime + "/bus"
    if not os.path.exists(user_box.c.path(bus)):
        pytest.skip("no session bus in this root (dbus-user-session is not installed)")
    env = {"XDG_RUNTIME_DIR": "/nonexistent", "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + bus}
    names = ["xu-plain.service", "xu-hardened.service"]
    r = user_box.run(["systemd-analyze", "security", "--user", "--no-pager", "--json=short",
                      "--"] + names, check=False, env=env)
    assert r.returncode == 0, r.stderr
    rc, ours, err = _scan(user_box, user_box.prefix, ["--user"] + names, env=env)
    assert rc == 0, err
    theirs = oracle._decode_json_stream(r.stdout)[-1]
    assert [(o["unit"], "%.1f" % o["exposure"]) for o in ours] == \
        [(t["unit"], t["exposure"]) for t in theirs]


def test_private_socket_of_another_user(user_box):
    """A private socket whose peer is neither root nor the caller (another user planted it, or
    XDG_RUNTIME_DIR points elsewhere) is refused, as systemd's bus_check_peercred() does, and
    there is no fallback to the session bus."""
    c = user_box.c
    d = "/tmp/xt-fake-runtime"
    os.makedirs(c.path(d + "/systemd"), mode=0o755, exist_ok=True)
    os.chmod(c.path(d), 0o755)
    os.chmod(c.path(d + "/systemd"), 0o755)
    sock = c.path(d + "/systemd/private")
    if os.path.lexists(sock):
        os.unlink(sock)
    # A unix socket's peer credentials are those of the process that called listen(): bind as
    # root (the path is reached through /proc/PID/root), then become nobody and listen.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    os.chmod(sock, 0o777)
    pid = os.fork()
    if pid == 0:
        try:
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            s.listen(4)
            s.settimeout(30)
            held = []       # silent, but open: the client must decide before any answer
            while True:
                held.append(s.accept()[0])
        finally:
            os._exit(0)
    s.close()
    try:
        time.sleep(0.2)
        rc, _d, err = _scan(user_box, user_box.prefix, ["--user", "xu-plain.service"],
                            env={"XDG_RUNTIME_DIR": d})
        assert rc == 1 and "Refusing %s/systemd/private: its peer is uid 65534" % d in err, err
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        c.run(["rm", "-rf", d], check=False)
