# SPDX-License-Identifier: MIT
"""The Debian package's whole life, in a fresh Debian 12 (bookworm) root, never the host's /.

The packages are built as CI builds them: `make deb` in a fresh clone of HEAD (uncommitted
changes are not in it), as an unprivileged user (nobody), in a directory whose parent is not
writable; then, in the same clone, a newer version (tools/build-deb.sh -V VERSION+test1). A debootstrapped minimal bookworm root, cached in
/var/cache/exposured-tests/roots/bookworm like the other roots (containers.ensure_root) and seen
through a throwaway overlay (--volatile=overlay), is booted with systemd-nspawn. It shares the
host's network, so apt resolves the package's dependencies from the archive the root was
bootstrapped from; for the same reason the socket listens on a free port chosen here, set by an
administrator's drop-in (/etc/systemd/system/exposured.socket.d/), which the package must not
touch. First the version's single source (no container) and the -dbgsym package (it matches
the binary's build ID); then in order, as an administrator would do it:
  install (apt-get install ./exposured_V.deb): the user exists, exposured.socket and
      exposured.service are enabled and active (the service watches from the start, no request
      needed); its scores agree with `systemd-analyze security` in the same container; its own
      exposure is at most 1.0.
  upgrade to the newer build: the new binary serves, the history database and an edited
      conffile are kept.
  apt-get remove: socket and service stopped, database, configuration and user kept.
  apt-get purge: database, configuration, user and group gone.
  reinstall: works again from scratch.
  the README's TLS and token recipe, with the drop-in example the package ships.
EXPOSURED_DEB_DIR: a directory that already holds both builds (exposured_V_ARCH.deb and
exposured_V+test1_ARCH.deb, in it or below it), to skip the builds. The container is powered off
at the end of the module whatever happens (containers.py hooks).
"""

import glob
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containers  # noqa: E402
import oracle  # noqa: E402
from test_tls import openssl_pki  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = "bookworm"
EXPOSURE_BAR = 1.0
BUILD_TIMEOUT = 1800
APT_TIMEOUT = 900
DROPIN = "/etc/systemd/system/exposured.socket.d/50-test-port.conf"


def _version():
    r = subprocess.run(["tools/check-version.sh"], cwd=TOP, capture_output=True, text=True,
                       check=True)
    return r.stdout.strip()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build(out):
    """Build both packages as CI would: `make deb` in a fresh clone of HEAD (so uncommitted
    changes are not in them), by an unprivileged user, in a directory whose parent it cannot
    write; then the newer build from the same clone. Returns the clone's build/deb."""
    os.chmod(out, 0o755)        # mkdtemp's 0700 would keep nobody out
    parent = os.path.join(out, "ro")
    clone = os.path.join(parent, "exposured")
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", TOP, clone], check=True,
                   capture_output=True)
    head = subprocess.run(["git", "-C", TOP, "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    subprocess.run(["git", "-C", clone, "checkout", "-q", head], check=True)
    home = os.path.join(out, "home")
    os.makedirs(home)
    subprocess.run(["chown", "-R", "nobody", clone, home], check=True)
    os.chmod(parent, 0o555)
    # The unit tests are make check-unit's business; here it is the packaging that is tested.
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2", HOME=home)
    # Under `make SANITIZE=1 check` the caller's make variables would reach the package build
    # through MAKEFLAGS and the environment (make exports command-line variables: BUILD= moved
    # the .debs to build/sanitize/deb): a package is built plainly.
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUILD", "SANITIZE", "CC",
              "WERROR", "PREFIX", "DESTDIR"):
        env.pop(k, None)
    for cmd in (["make", "deb"], ["tools/build-deb.sh", "-o", "build/deb/new", "-V",
                                  _version() + "+test1"]):
        r = subprocess.run(["runuser", "-u", "nobody", "--"] + cmd, cwd=clone,
                           capture_output=True, text=True, env=env, check=False,
                           timeout=BUILD_TIMEOUT)
        if r.returncode != 0:
            pytest.fail("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout[-2000:],
                                                 r.stderr[-4000:]))
    assert os.listdir(parent) == ["exposured"]     # nothing written beside the clone
    return os.path.join(clone, "build/deb")


def _deb(directory, version):
    found = glob.glob(os.path.join(directory, "**", "exposured_%s_*.deb" % version),
                      recursive=True)
    if len(found) != 1:
        pytest.fail("expected one exposured_%s_*.deb in %s, found %s"
                    % (version, directory, found))
    return found[0]


class Box:
    """The booted container, the two packages and the port; helpers for the phases."""

    def __init__(self, c, old, new, port):
        self.c = c
        self.old = old          # (version, host path of the .deb)
        self.new = new
        self.port = port

    def run(self, *argv, check=True, timeout=120):
        return self.c.run(list(argv), check=check, timeout=timeout)

    def apt(self, *args):
        return self.run("apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0", *args,
                        timeout=APT_TIMEOUT)

    def install(self, deb):
        """apt-get install the package from a file copied into the container."""
        dst = "/var/tmp/" + os.path.basename(deb[1])
        shutil.copyfile(deb[1], self.c.path(dst))
        os.chmod(self.c.path(dst), 0o644)
        return self.apt("install", dst)

    def show(self, unit, *props):
        r = self.run("systemctl", "show", "-p", ",".join(props), unit)
        return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)

    def state(self, unit):
        return self.show(unit, "ActiveState")["ActiveState"]

    def http(self, path, timeout=60, cafile=None, token=None):
        """GET http://127.0.0.1:PORT/PATH (the container shares the host's network), or
        https://localhost:PORT/PATH checked against cafile, with a bearer token if given."""
        if cafile:
            url = "https://localhost:%d%s" % (self.port, path)
            ctx = ssl.create_default_context(cafile=cafile)
        else:
            url, ctx = "http://127.0.0.1:%d%s" % (self.port, path), None
        req = urllib.request.Request(url)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def json(self, path):
        code, body = self.http(path)
        assert code == 200, (path, code, body[:500])
        return json.loads(body)

    def refused(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5):
                return False
        except ConnectionRefusedError:
            return True

    def exists(self, path):
        return os.path.lexists(self.c.path(path))

    def journal(self):
        return self.run("journalctl", "--no-pager", "-o", "cat", "-b", "-u",
                        "exposured.service", "-u", "exposured.socket").stdout

    def wait_for(self, what, pred, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            if time.monotonic() > deadline:
                pytest.fail("timed out waiting for %s; journal:\n%s"
                            % (what, self.journal()[-3000:]))
            time.sleep(0.3)

    def wait_ready(self):
        """After a request: the service is up and its first full scan is stored (READY=1)."""
        self.wait_for("READY=1", lambda: self.state("exposured.service") != "activating")
        s = self.show("exposured.service", "ActiveState", "SubState", "TriggeredBy")
        assert (s["ActiveState"], s["SubState"]) == ("active", "running"), s
        assert s["TriggeredBy"] == "exposured.socket", s

    def package_version(self):
        r = self.run("dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Version}", "exposured",
                     check=False)
        return r.stdout.strip() if r.returncode == 0 else None


@pytest.fixture(scope="module")
def box():
    reason = containers.skip_reason()
    if reason:
        pytest.skip(reason)
    for tool in ("dpkg-buildpackage", "lintian", "dh", "debootstrap", "git", "runuser"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed (tools/deps.sh deb integration)" % tool)
    v = _version()
    newer = v + "+test1"
    given = os.environ.get("EXPOSURED_DEB_DIR")
    out = given or tempfile.mkdtemp(prefix="exposured-deb-")
    c = None
    try:
        debs = given or _build(out)
        old, new = (v, _deb(debs, v)), (newer, _deb(debs, newer))
        c = containers.Container(SUITE, containers.unique_name("package"))
        c.boot()
        b = Box(c, old, new, _free_port())
        # The administrator's drop-in, before the package exists: it must survive everything.
        os.makedirs(os.path.dirname(c.path(DROPIN)), exist_ok=True)
        with open(c.path(DROPIN), "w", encoding="utf-8") as f:
            f.write("[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\n" % b.port)
        b.apt("update")
        yield b
    finally:
        if c is not None:
            c.poweroff()
        if not given:
            if os.path.isdir(out + "/ro"):
                os.chmod(out + "/ro", 0o755)
            shutil.rmtree(out, ignore_errors=True)


def test_version_has_one_source():
    """daemon/version.h is the version; debian/changelog must agree (checked by
    tools/check-version.sh in make deb and debian/rules); tools/bump-version.sh moves both."""
    with open(TOP + "/daemon/version.h", encoding="utf-8") as f:
        v = re.search(r'^#define EXPOSURED_VERSION "(.*)"$', f.read(), re.M).group(1)
    assert _version() == v
    tmp = tempfile.mkdtemp(prefix="exposured-version-")
    try:
        for rel in ("daemon/version.h", "debian/changelog", "tools/check-version.sh",
                    "tools/bump-version.sh"):
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            shutil.copy2(os.path.join(TOP, rel), os.path.join(tmp, rel))

        def tool(*argv):
            return subprocess.run(list(argv), cwd=tmp, capture_output=True, text=True,
                                  check=False)
        with open(tmp + "/daemon/version.h", encoding="utf-8") as f:
            header = f.read()
        with open(tmp + "/daemon/version.h", "w", encoding="utf-8") as f:
            f.write(header.replace('"%s"' % v, '"99.0"'))
        r = tool("tools/check-version.sh")
        assert r.returncode == 1 and "version.h says 99.0 but debian/changelog says '%s'" % v \
            in r.stderr, r.stderr
        with open(tmp + "/daemon/version.h", "w", encoding="utf-8") as f:
            f.write(header)
        r = tool("tools/bump-version.sh", "0.0.1")
        assert r.returncode == 1 and "not newer" in r.stderr, r.stderr
        r = tool("tools/bump-version.sh", "1.0 beta")
        assert r.returncode == 1 and "is not a version" in r.stderr, r.stderr
        r = tool("tools/bump-version.sh", v + ".1", "Testing.")
        assert r.returncode == 0 and r.stdout.strip() == v + ".1", r.stderr
        assert tool("tools/check-version.sh").returncode == 0
        if shutil.which("dpkg-parsechangelog"):
            r = tool("dpkg-parsechangelog", "-S", "Version")
            assert r.stdout.strip() == v + ".1", r.stderr
            r = tool("dpkg-parsechangelog", "-S", "Changes")
            assert "Testing." in r.stdout
            r = tool("dpkg-parsechangelog", "-o", "1", "-c", "1", "-S", "Version")
            assert r.stdout.strip() == v, r.stderr    # the old entry is still there
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_dbgsym(box):
    """The -dbgsym package holds the debug info of exactly the shipped binary (its build ID)."""
    deb = box.old[1]
    dbgsym = deb.replace("/exposured_", "/exposured-dbgsym_")
    assert os.path.exists(dbgsym), dbgsym
    tmp = tempfile.mkdtemp(prefix="exposured-dbgsym-")
    try:
        subprocess.run(["dpkg-deb", "-x", deb, tmp + "/pkg"], check=True)
        subprocess.run(["dpkg-deb", "-x", dbgsym, tmp + "/dbg"], check=True)
        notes = subprocess.run(["readelf", "-n", tmp + "/pkg/usr/bin/exposured"],
                               capture_output=True, text=True, check=True).stdout
        build_id = re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)
        debug = "%s/dbg/usr/lib/debug/.build-id/%s/%s.debug" % (tmp, build_id[:2], build_id[2:])
        assert os.path.getsize(debug) > 0
        r = subprocess.run(["readelf", "-S", tmp + "/pkg/usr/bin/exposured"],
                           capture_output=True, text=True, check=True)
        assert ".debug_info" not in r.stdout    # stripped: the debug info is in -dbgsym
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_install(box):
    b = box
    assert b.package_version() is None
    assert b.run("getent", "passwd", "exposured", check=False).returncode == 2
    # The libraries are not in a minimal root: apt fetches them from the archive.
    assert b.run("dpkg-query", "-W", "libmicrohttpd12", check=False).returncode != 0
    b.install(b.old)
    assert b.run("dpkg-query", "-W", "libmicrohttpd12", "libjson-c5").returncode == 0
    assert b.package_version() == "ii " + b.old[0]
    # The user from the package's sysusers.d file, applied by postinst.
    pw = b.run("getent", "passwd", "exposured").stdout.strip().split(":")
    assert int(pw[2]) < 1000 and pw[5] == "/var/lib/exposured" and pw[6] == "/usr/sbin/nologin"
    assert b.run("getent", "group", "exposured").returncode == 0
    # The package's units are vendor files: nothing of it under /etc/systemd but the enablement
    # symlink, next to the administrator's drop-in.
    assert b.run("systemctl", "is-enabled", "exposured.socket").stdout.strip() == "enabled"
    etc = b.run("find", "/etc/systemd/system", "-name", "*exposured*").stdout.split()
    assert sorted(etc) == ["/etc/systemd/system/exposured.socket.d",
                           "/etc/systemd/system/exposured.socket.wants",
                           "/etc/systemd/system/exposured.socket.wants/exposured.service",
                           "/etc/systemd/system/multi-user.target.wants/exposured.service",
                           "/etc/systemd/system/sockets.target.wants/exposured.socket"], etc
    assert b.run("systemctl", "is-enabled", "exposured.service").stdout.strip() == "enabled"
    s = b.show("exposured.socket", "ActiveState", "FragmentPath", "Listen")
    assert s["ActiveState"] == "active", s
    assert s["FragmentPath"] == "/lib/systemd/system/exposured.socket", s
    assert s["Listen"] == "127.0.0.1:%d (Stream)" % b.port, s
    # The service runs without a request (it watches from install and from every boot).
    b.wait_for("the service", lambda: b.state("exposured.service") == "active")
    assert b.exists("/var/lib/exposured/exposured.db")
    # Any other unit the package ships (other modes) is installed disabled and not started.
    shipped = b.run("dpkg-query", "-L", "exposured").stdout.split()
    others = [os.path.basename(f) for f in shipped if f.startswith("/lib/systemd/system/") and
              f.endswith((".service", ".socket")) and
              os.path.basename(f) not in ("exposured.service", "exposured.socket")]
    for unit in others:
        r = b.run("systemctl", "is-enabled", unit, check=False)
        # A template (exposured-user@.service) has no [Install]: only exposured-users starts it.
        # Without [Install] (exposured-user@.service, exposured-users.service: their timer and
        # path units start them) a unit is static; a template has no state of its own.
        text = b.run("cat", "/lib/systemd/system/" + unit).stdout
        want = "disabled" if "[Install]" in text else "static"
        assert r.stdout.strip() == want, (unit, r.stdout)
        assert "@." in unit or b.state(unit) == "inactive", unit
    r = b.run("dpkg-query", "-W", "-f", "${Conffiles}", "exposured")
    assert r.stdout.split()[0] == "/etc/exposured/exposured.conf", r.stdout


def test_first_request_scores(box):
    """The running service answers on the socket; its scores are systemd-analyze's."""
    b = box
    status = b.json("/api/v1/status")
    b.wait_ready()
    assert status["version"] == b.old[0], status
    s = b.show("exposured.service", "User", "NRestarts", "MainPID")
    assert s["User"] == "exposured" and s["NRestarts"] == "0", s
    units = ["exposured.service", "systemd-journald.service", "systemd-logind.service",
             "dbus.service"]
    rc, reports, err = oracle.analyze_named(b.c, units)
    assert rc == 0 and [r["unit"] for r in reports] == units, err
    for rep in reports:
        ours = b.json("/api/v1/units/" + rep["unit"])
        assert "%.1f" % ours["exposure"] == rep["exposure"], (rep["unit"], ours["exposure"])
        assert ours["predicate"] == rep["predicate"], rep["unit"]
    # And every service of the container, as systemd-analyze lists them (oneshots aside).
    rc, rows, err = oracle.analyze_all(b.c)
    assert rc == 0 and len(rows) >= 10, err
    ours = {u["unit"]: u for u in b.json("/api/v1/units")["units"] if not u["oneshot"]}
    # systemd-analyze lists the units PID 1 has loaded. exposured also keeps, by design (README,
    # test_unload_storm), an installed unit PID 1 loaded and unloaded again since the daemon
    # started, while its file stays ("loaded": false): the package tests ask systemctl about the
    # shipped units, and a slow daemon can see such a load. Only those may be extra.
    def first_words(*argv):
        return set(l.split()[0] for l in b.run(*argv).stdout.splitlines() if l.strip())
    loaded = first_words("systemctl", "list-units", "--all", "--type=service", "--plain",
                         "--no-legend")
    files = first_words("systemctl", "list-unit-files", "--type=service", "--no-legend")
    extra = set(ours) - set(r["unit"] for r in rows)
    assert not extra & loaded and extra <= files, (extra, extra & loaded, extra - files)
    assert all(ours[u]["loaded"] is False for u in extra), extra
    assert sorted(set(ours) - extra) == sorted(r["unit"] for r in rows)
    for r in rows:
        assert ("%.1f" % ours[r["unit"]]["exposure"], ours[r["unit"]]["predicate"]) == \
            (r["exposure"], r["predicate"]), r["unit"]
    theirs = float(reports[0]["exposure"])
    assert theirs <= EXPOSURE_BAR, "exposured.service %.1f > %.1f" % (theirs, EXPOSURE_BAR)
    r = b.run("systemd-analyze", "security", "--no-pager",
              "--threshold=%d" % (EXPOSURE_BAR * 10), "exposured.service", check=False)
    assert r.returncode == 0, r.stdout[-2000:]
    st = os.stat(b.c.path("/var/lib/exposured/exposured.db"))
    assert str(st.st_uid) == b.run("id", "-u", "exposured").stdout.strip()
    oracle.SUMMARY.append("package: exposured.service %.1f online in a fresh bookworm root; "
                          "%d services agree with systemd-analyze" % (theirs, len(rows)))


def test_upgrade_keeps_history_and_conffile(box):
    b = box
    assert b.json("/api/v1/status")["version"] == b.old[0]
    before = b.json("/api/v1/units/exposured.service/history")["history"]
    assert before, "no history for exposured.service"
    conf = b.c.path("/etc/exposured/exposured.conf")
    with open(conf, "a", encoding="utf-8") as f:
        f.write("retention = 30d\n")
    with open(conf, encoding="utf-8") as f:
        edited = f.read()
    old_pid = b.show("exposured.service", "MainPID")["MainPID"]
    b.install(b.new)
    assert b.package_version() == "ii " + b.new[0]
    with open(conf, encoding="utf-8") as f:
        assert f.read() == edited
    assert not glob.glob(conf + ".dpkg-*") and not glob.glob(conf + ".ucf-*")
    assert b.state("exposured.socket") == "active"
    assert b.run("systemctl", "is-enabled", "exposured.socket").stdout.strip() == "enabled"
    # postinst restarts the socket, and with it the service that Requires= it (try-restart):
    # the new binary serves, from the same database.
    assert b.show("exposured.service", "MainPID")["MainPID"] not in (old_pid, "0")
    status = b.json("/api/v1/status")
    b.wait_ready()
    assert status["version"] == b.new[0], status
    after = b.json("/api/v1/units/exposured.service/history")["history"]
    rows = {json.dumps(x, sort_keys=True) for x in after}
    assert all(json.dumps(x, sort_keys=True) in rows for x in before), (before, after)
    assert b.exists(DROPIN)


def test_remove_keeps_data(box):
    b = box
    assert b.state("exposured.service") == "active"
    b.apt("remove", "exposured")
    assert b.package_version() == "rc " + b.new[0]
    assert b.state("exposured.service") == "inactive"
    assert b.state("exposured.socket") == "inactive"
    assert b.refused()
    assert b.exists("/var/lib/exposured/exposured.db")
    with open(b.c.path("/etc/exposured/exposured.conf"), encoding="utf-8") as f:
        assert f.read().endswith("retention = 30d\n")
    assert b.run("getent", "passwd", "exposured").returncode == 0
    assert not b.exists("/usr/bin/exposured")
    assert not b.exists("/lib/systemd/system/exposured.socket")


def test_purge_removes_everything(box):
    b = box
    b.apt("purge", "exposured")
    assert b.package_version() is None
    for path in ("/var/lib/exposured", "/etc/exposured",
                 "/etc/systemd/system/sockets.target.wants/exposured.socket",
                 "/etc/systemd/system/multi-user.target.wants/exposured.service",
                 "/etc/systemd/system/exposured.socket.wants/exposured.service"):
        assert not b.exists(path), path
    assert b.run("getent", "passwd", "exposured", check=False).returncode == 2
    assert b.run("getent", "group", "exposured", check=False).returncode == 2
    assert b.exists(DROPIN)     # the administrator's, not the package's


def test_reinstall(box):
    b = box
    b.install(b.new)
    assert b.package_version() == "ii " + b.new[0]
    assert b.run("getent", "passwd", "exposured").returncode == 0
    assert b.state("exposured.socket") == "active"
    assert b.run("systemctl", "is-enabled", "exposured.socket").stdout.strip() == "enabled"
    b.wait_for("the service", lambda: b.state("exposured.service") == "active")
    with open(b.c.path("/etc/exposured/exposured.conf"), encoding="utf-8") as f:
        assert "retention = 30d" not in f.read()
    status = b.json("/api/v1/status")
    b.wait_ready()
    assert status["version"] == b.new[0]
    history = b.json("/api/v1/units/exposured.service/history")["history"]
    assert history, "no history after reinstall"
    errors = b.run("journalctl", "--no-pager", "-o", "cat", "-b", "-p", "err", "-u",
                   "exposured.service").stdout
    assert errors.strip() == "", errors
    assert not re.search(r"exposured.*(SIGSYS|core-dump|Permission denied)",
                         b.run("journalctl", "--no-pager", "-b").stdout)


def test_tls_and_token(box):
    """The README's recipe for Prometheus: key, certificate and token in /etc/exposured, the
    packaged drop-in example in /etc/systemd/system/exposured.service.d/, restart the socket."""
    b = box
    assert b.state("exposured.service") == "active"
    pki = tempfile.mkdtemp(prefix="exposured-pkg-tls-")
    try:
        key, cert = openssl_pki(pki)
        token = secrets.token_hex(32)
        with open(pki + "/token", "w", encoding="ascii") as f:
            f.write(token + "\n")
        for src, name, mode in ((key, "tls.key", 0o600), (cert, "tls.crt", 0o644),
                                (pki + "/token", "token", 0o600)):
            shutil.copyfile(src, b.c.path("/etc/exposured/" + name))
            os.chmod(b.c.path("/etc/exposured/" + name), mode)
        b.run("install", "-D", "-m", "0644", "/usr/share/exposured/exposured-tls.conf.example",
              "/etc/systemd/system/exposured.service.d/tls.conf")
        b.run("systemctl", "daemon-reload")
        b.run("systemctl", "restart", "exposured.socket")
        # The restart of the socket restarted the service, now with its credentials.
        b.wait_ready()
        code, body = b.http("/api/v1/status", cafile=cert, token=token)
        assert code == 200 and json.loads(body)["version"] == b.new[0], (code, body)
        assert b.http("/api/v1/status", cafile=cert)[0] == 401
        assert b.http("/metrics", cafile=cert, token=token + "x")[0] == 401
        with pytest.raises(OSError):    # plain HTTP to an HTTPS socket: no answer
            b.http("/api/v1/status", timeout=5)
        assert "HTTPS with the certificate" in b.journal()
    finally:
        shutil.rmtree(pki, ignore_errors=True)
