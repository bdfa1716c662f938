# SPDX-License-Identifier: MIT
"""HTTPS, the bearer token and the Host check, installed as a user installs them, in a real
systemd (host 252), plus the daemon's start-up errors for unusable credentials.

As test_units.py: `make install` into a staging tree, a --volatile=yes container with a private
network that sees it as /usr/local. Then, as an administrator following
units/exposured-tls.conf.example: a self-signed key and certificate and a token in /etc/exposured
(key and token 0600 root), the shipped example as the drop-in exposured.service.d/tls.conf,
sysusers, daemon-reload, start exposured.socket. Checked with curl inside the container: HTTPS
with --cacert and the token answers 200; no token or a wrong one 401 with WWW-Authenticate;
plain HTTP gets no answer; a foreign Host header 421. The service user cannot read the key file
(neither with setpriv nor in a transient unit), yet the service got it through its credentials
directory. A key that GnuTLS refuses and an empty token stop the service with a clear message.
A real Prometheus scrapes with the docs/http.md configuration. The drop-in itself is loaded by
systemd 247, 252, 257 and 262 without a complaint.
The container is powered off at the end of the module whatever happens.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containers  # noqa: E402
import oracle  # noqa: E402
import test_units as tu  # noqa: E402  (its fixtures are not collected through a module object)

PORT = tu.PORT
TOKEN = secrets.token_hex(32)


def openssl_pki(d):
    """A self-signed P-256 certificate for localhost/127.0.0.1 in d: (key, cert)."""
    key, cert = os.path.join(d, "tls.key"), os.path.join(d, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    return key, cert


class TlsInstalled(tu.Installed):
    def curl(self, path, *args, scheme="https", timeout=20):
        """curl inside the container: (exit status, status code, headers+body)."""
        r = self.run("curl", "-sS", "-i", "--max-time", str(timeout), "-w", "\n%{http_code}",
                     *args, "%s://localhost:%d%s" % (scheme, PORT, path), check=False,
                     timeout=timeout + 10)
        out, _, code = r.stdout.rpartition("\n")
        return r.returncode, int(code or 0), out

    def restart_and_fail(self, message):
        """Restart the service; it must fail and log message."""
        self.run("systemctl", "reset-failed", "exposured.service", check=False)
        self.run("systemctl", "restart", "exposured.service", check=False)
        self.wait_for("the service to fail",
                      lambda: self.show("exposured.service", "ActiveState")["ActiveState"]
                      == "failed" or message in self.journal("-u", "exposured.service"))
        assert message in self.journal("-u", "exposured.service")


@pytest.fixture(scope="module")
def tls_installed():
    reason = containers.skip_reason()
    if reason:
        pytest.skip(reason)
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    dest = tu.stage("/usr/local")
    pki = tempfile.mkdtemp(prefix="exposured-tls-")
    c = tu.UnitsContainer(containers.unique_name("tls"),
                          ["--private-network", "--bind-ro=%s/usr/local:/usr/local" % dest])
    try:
        key, cert = openssl_pki(pki)
        os.makedirs(pki + "/other")
        _, other_cert = openssl_pki(pki + "/other")
        c.boot()
        shutil.copytree(dest + "/etc", c.path("/etc"), dirs_exist_ok=True, symlinks=True)
        # The administrator's files: key and token root-only, the certificate public.
        for src, name, mode in ((key, "tls.key", 0o600), (cert, "tls.crt", 0o644),
                                (other_cert, "other-ca.crt", 0o644)):
            shutil.copyfile(src, c.path("/etc/exposured/" + name))
            os.chmod(c.path("/etc/exposured/" + name), mode)
        with open(c.path("/etc/exposured/token"), "w", encoding="ascii") as f:
            f.write(TOKEN + "\n")
        os.chmod(c.path("/etc/exposured/token"), 0o600)
        for name in ("tls.key", "tls.crt", "other-ca.crt", "token"):
            os.chown(c.path("/etc/exposured/" + name), 0, 0)
        # The shipped drop-in, as is.
        os.makedirs(c.path("/etc/systemd/system/exposured.service.d"), exist_ok=True)
        shutil.copyfile(dest + "/usr/local/share/exposured/exposured-tls.conf.example",
                        c.path("/etc/systemd/system/exposured.service.d/tls.conf"))
        inst = TlsInstalled(c, dest)
        inst.run("systemd-sysusers")
        inst.run("systemctl", "daemon-reload")
        inst.run("systemctl", "start", "exposured.socket")
        # As the drop-in says: the service (enabled by the preset, started at this first boot)
        # gets its credentials at its next start.
        inst.run("systemctl", "restart", "exposured.service")
        yield inst
    finally:
        c.poweroff()
        shutil.rmtree(dest, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


def test_https_and_token(tls_installed):
    i = tls_installed
    ca = "--cacert", "/etc/exposured/tls.crt"
    auth = "-H", "Authorization: Bearer " + TOKEN
    # The first connection starts the service (socket activation), over TLS.
    rc, code, out = i.curl("/api/v1/status", *ca, *auth)
    assert (rc, code) == (0, 200), out
    assert '"version"' in out or '"units"' in out or "{" in out
    i.wait_for("the service to run", lambda: i.show("exposured.service", "ActiveState")
               ["ActiveState"] == "active")
    journal = i.journal("-u", "exposured.service")
    assert "HTTPS with the certificate 'tls.crt'." in journal
    assert "Requests need the bearer token from 'token'." in journal
    # Prometheus' way: the token from a file (curl reads it like credentials_file).
    rc, code, out = i.curl("/metrics", *ca, "--oauth2-bearer", TOKEN)
    assert (rc, code) == (0, 200) and "\nexposured_up 1\n" in out, out
    # No token, a wrong one, one of the right length but wrong: 401 with the challenge.
    rc, code, out = i.curl("/metrics", *ca)
    assert (rc, code) == (0, 401), out
    assert 'WWW-Authenticate: Bearer realm="exposured"' in out
    assert '"error"' in out
    for wrong in ("nope", TOKEN[:-1] + ("0" if TOKEN[-1] != "0" else "1"), TOKEN + "x"):
        rc, code, out = i.curl("/metrics", *ca, "-H", "Authorization: Bearer " + wrong)
        assert (rc, code) == (0, 401), (wrong, out)
        assert 'error="invalid_token"' in out
    # /static/ needs it too.
    rc, code, _ = i.curl("/static/style.css", *ca)
    assert code == 401
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    rc, code, out = i.curl("/metrics", *ca, *auth, "-H", "Host: evil.example:9573")
    assert (rc, code) == (0, 421), out
    # The certificate is checked: trusting another CA curl refuses it (60), and plain HTTP to
    # the HTTPS port gets no HTTP answer.
    rc, code, _ = i.curl("/metrics", "--cacert", "/etc/exposured/other-ca.crt", *auth)
    assert rc == 60
    rc, code, _ = i.curl("/metrics", *auth, scheme="http")
    assert rc != 0 and code == 0
    assert i.show("exposured.service", "ActiveState")["ActiveState"] == "active"


def test_key_stays_root_only(tls_installed):
    i = tls_installed
    rc, code, _ = i.curl("/api/v1/status", "--cacert", "/etc/exposured/tls.crt",
                         "--oauth2-bearer", TOKEN)
    assert code == 200
    st = os.stat(i.c.path("/etc/exposured/tls.key"))
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
    # The service user cannot read the key file, neither as a plain process (setpriv: runuser
    # needs PAM files that a volatile /etc lacks) ...
    as_user = ["setpriv", "--reuid=exposured", "--regid=exposured", "--clear-groups", "cat"]
    r = i.run(*as_user, "/etc/exposured/tls.crt", check=False)
    assert r.returncode == 0 and "BEGIN CERTIFICATE" in r.stdout, r.stderr  # the probe works
    for secret in ("/etc/exposured/tls.key", "/etc/exposured/token"):
        r = i.run(*as_user, secret, check=False)
        assert r.returncode != 0 and "Permission denied" in r.stderr, (secret, r.stderr)
    # ... nor in a transient unit as that user ...
    run_as = ["systemd-run", "--wait", "--pipe", "--quiet", "-p", "User=exposured", "cat"]
    r = i.run(*run_as, "/etc/exposured/tls.crt", check=False)
    assert r.returncode == 0 and "BEGIN CERTIFICATE" in r.stdout, r.stderr  # the probe works
    r = i.run(*run_as, "/etc/exposured/tls.key", check=False)
    assert r.returncode != 0 and "BEGIN" not in r.stdout
    # ... while the service itself got the key as a credential: in its own credentials
    # directory (inside its root directory), readable by its user only, not writable.
    pid = i.show("exposured.service", "MainPID")["MainPID"]
    creds = i.c.path("/proc/%s/root/run/credentials/exposured.service" % pid)
    assert sorted(os.listdir(creds)) == ["tls.crt", "tls.key", "token"]
    uid = int(i.run("id", "-u", "exposured").stdout)
    with open(creds + "/tls.key", encoding="ascii") as f:
        assert "PRIVATE KEY" in f.read()
    st = os.stat(creds + "/tls.key")
    assert st.st_mode & 0o077 == 0 and st.st_mode & 0o222 == 0
    assert st.st_uid in (0, uid)
    env = open(i.c.path("/proc/%s/environ" % pid), "rb").read().split(b"\0")
    assert b"CREDENTIALS_DIRECTORY=/run/credentials/exposured.service" in env


def test_exposure_unchanged(tls_installed):
    """The drop-in adds credentials, not exposure: still at or below the bar, online."""
    i = tls_installed
    rc, reports, err = oracle.analyze_named(i.c, ["exposured.service"])
    assert rc == 0 and reports, err
    assert float(reports[0]["exposure"]) <= tu.EXPOSURE_BAR, reports[0]["exposure"]
    dropins = i.show("exposured.service", "DropInPaths")["DropInPaths"]
    assert dropins == "/etc/systemd/system/exposured.service.d/tls.conf"


# The scrape configuration of docs/http.md, for a real Prometheus (run inside the container,
# whose network is private); a second job with a wrong token must fail with 401.
PROMETHEUS_YML = """
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: exposured
    scheme: https
    tls_config:
      ca_file: /etc/exposured/tls.crt
    authorization:
      credentials_file: /etc/prometheus-test/exposured.token
    static_configs:
      - targets: ['localhost:9573']
  - job_name: wrong-token
    scheme: https
    tls_config:
      ca_file: /etc/exposured/tls.crt
    authorization:
      credentials: not-the-token
    static_configs:
      - targets: ['localhost:9573']
"""


def test_prometheus_scrape(tls_installed):
    i = tls_installed
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed")
    # Start the service first (a scrape times out while it waits for its first scan).
    rc, code, out = i.curl("/api/v1/status", "--cacert", "/etc/exposured/tls.crt",
                           "--oauth2-bearer", TOKEN, timeout=30)
    assert code == 200, out
    # A volatile /etc has no /etc/hosts, and Go's resolver needs it for "localhost".
    if not os.path.exists(i.c.path("/etc/hosts")):
        with open(i.c.path("/etc/hosts"), "w", encoding="ascii") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n")
    d = i.c.path("/etc/prometheus-test")
    os.makedirs(d, exist_ok=True)
    with open(d + "/prometheus.yml", "w", encoding="ascii") as f:
        f.write(PROMETHEUS_YML)
    with open(d + "/exposured.token", "w", encoding="ascii") as f:
        f.write(TOKEN + "\n")
    i.run("systemd-run", "--unit=prometheus-tls", "/usr/bin/prometheus",
          "--config.file=/etc/prometheus-test/prometheus.yml",
          "--storage.tsdb.path=/var/tmp/prometheus-tls", "--web.listen-address=127.0.0.1:9090")
    try:
        def targets():
            r = i.run("curl", "-fsS", "http://127.0.0.1:9090/api/v1/targets", check=False)
            if r.returncode != 0:
                return None
            t = {x["labels"]["job"]: x for x in json.loads(r.stdout)["data"]["activeTargets"]}
            last[0] = t
            if len(t) != 2 or t["exposured"]["health"] != "up" or \
               t["wrong-token"]["health"] == "unknown":
                return None
            return t
        last = [None]
        try:
            t = i.wait_for("Prometheus to scrape", targets, timeout=60)
        except BaseException:
            print("last targets:", last[0])
            raise
        assert t["exposured"]["scrapeUrl"] == "https://localhost:9573/metrics"
        assert t["wrong-token"]["health"] == "down"
        assert "401" in t["wrong-token"]["lastError"], t["wrong-token"]
    finally:
        i.run("systemctl", "stop", "prometheus-tls.service", check=False)


def test_bad_credentials_stop_the_start(tls_installed):
    i = tls_installed
    key = i.c.path("/etc/exposured/tls.key")
    token = i.c.path("/etc/exposured/token")
    with open(key, encoding="ascii") as f:
        good_key = f.read()
    try:
        # A certificate where the key should be: GnuTLS refuses it; no plain-HTTP fallback.
        shutil.copyfile(i.c.path("/etc/exposured/tls.crt"), key)
        i.restart_and_fail("tls_key: 'tls.key' is not a PEM private key.")
        with open(key, "w", encoding="ascii") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        i.restart_and_fail("Failed to start the HTTPS server")
        rc, code, _ = i.curl("/metrics", scheme="http", timeout=3)
        assert code != 200
        with open(key, "w", encoding="ascii") as f:
            f.write(good_key)
        # An empty token file.
        with open(token, "w", encoding="ascii") as f:
            f.write("\n")
        i.restart_and_fail("token_file: 'token': expected one line of printable ASCII")
    finally:
        with open(key, "w", encoding="ascii") as f:
            f.write(good_key)
        with open(token, "w", encoding="ascii") as f:
            f.write(TOKEN + "\n")
        i.run("systemctl", "reset-failed", "exposured.service", check=False)
    i.run("systemctl", "restart", "exposured.service")
    rc, code, out = i.curl("/api/v1/status", "--cacert", "/etc/exposured/tls.crt",
                           "--oauth2-bearer", TOKEN)
    assert code == 200, out


# -- start-up errors, on this host (no container: the daemon stops before it needs a bus) ------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def creds(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path / "creds"
    d.mkdir()
    openssl_pki(str(d))
    return d


def run_daemon(tmp_path, creds_dir, conf="", wait=20):
    exe = os.environ.get("EXPOSURED") or os.path.join(tu.TOP, "build", "exposured")
    cf = tmp_path / "exposured.conf"
    cf.write_text("db = %s\nlisten = 127.0.0.1:%d\n%s" % (tmp_path / "db", free_port(), conf))
    env = dict(os.environ, LOG_TARGET="stderr", DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
    env.pop("CREDENTIALS_DIRECTORY", None)
    if creds_dir is not None:
        env["CREDENTIALS_DIRECTORY"] = str(creds_dir)
    p = subprocess.Popen([exe, "run", "--config", str(cf)], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = p.communicate(timeout=wait)
        return p.returncode, err
    except subprocess.TimeoutExpired:
        # Still running (it waits for a bus that never comes): it did start.
        p.terminate()
        _, err = p.communicate(timeout=30)
        return None, err


@pytest.mark.parametrize("case", ["tls-yes-no-dir", "key-only", "cert-only", "bad-key",
                                  "encrypted-key", "big-cert", "token-yes-missing",
                                  "token-spaces", "token-empty"])
def test_startup_errors(tmp_path, creds, case):
    conf = ""
    d = creds
    if case == "tls-yes-no-dir":
        conf, d = "tls = yes\n", None
        want = "tls_key: credential 'tls.key' required, but $CREDENTIALS_DIRECTORY is not set"
    elif case == "key-only":
        (creds / "tls.crt").unlink()
        want = "TLS: found 'tls.key' but not 'tls.crt': give both or neither."
    elif case == "cert-only":
        (creds / "tls.key").unlink()
        want = "TLS: found 'tls.crt' but not 'tls.key': give both or neither."
    elif case == "bad-key":
        (creds / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                       "-----END PRIVATE KEY-----\n")
        want = "Failed to start the HTTPS server"
    elif case == "encrypted-key":
        (creds / "tls.key").write_text("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                                       "-----END ENCRYPTED PRIVATE KEY-----\n")
        want = "is an encrypted key"
    elif case == "big-cert":
        (creds / "tls.crt").write_text("x" * (64 * 1024 + 1))
        want = "is larger than 65536 bytes."
    elif case == "token-yes-missing":
        conf = "token = yes\n"
        want = "token_file: failed to read"
    elif case == "token-spaces":
        (creds / "token").write_text("two words\n")
        want = "expected one line of printable ASCII without spaces."
    else:
        (creds / "token").write_text("")
        want = "is empty."
    rc, err = run_daemon(tmp_path, d, conf)
    # It stops at once (never a silent fallback to plain HTTP or no token), saying why.
    assert rc == 1 and want in err, err


def test_startup_tls_off(tmp_path, creds):
    """tls = no ignores the credentials; auto without any is plain HTTP (and says so)."""
    (creds / "tls.key").write_text("garbage")
    rc, err = run_daemon(tmp_path, creds, "tls = no\ntoken = no\n", wait=3)
    assert rc is None and "HTTP without TLS (tls = no)." in err, err
    (tmp_path / "empty-dir").mkdir()
    rc, err = run_daemon(tmp_path, tmp_path / "empty-dir", "", wait=3)
    assert rc is None, err
    assert "HTTP without TLS (tls = auto, no credential 'tls.crt')." in err
    assert "No bearer token (token = auto, no credential 'token')." in err


def test_dropin_on_every_version(container):
    """The shipped drop-in, loaded by every systemd version under test (the other roots cannot
    run our binary): LoadCredential= is understood, nothing is logged about the files."""
    c = container
    units = {}
    for name in ("exposured.service", "exposured.socket"):
        with open(os.path.join(tu.TOP, "units", name), encoding="utf-8") as f:
            units[name] = f.read()
    with open(os.path.join(tu.TOP, "units", "exposured-tls.conf.example"), encoding="utf-8") as f:
        units["exposured.service.d/tls.conf"] = f.read()
    c.install_units(units)
    try:
        r = c.run(["systemctl", "show", "-p", "DropInPaths", "exposured.service"])
        assert r.stdout.strip() == "DropInPaths=/etc/systemd/system/exposured.service.d/tls.conf"
        r = c.run(["busctl", "get-property", "org.freedesktop.systemd1",
                   "/org/freedesktop/systemd1/unit/exposured_2eservice",
                   "org.freedesktop.systemd1.Service", "LoadCredential"])
        words = r.stdout.split()
        assert words[:2] == ["a(ss)", "3"], r.stdout
        pairs = set(zip(words[2::2], words[3::2]))  # order varies between versions
        assert pairs == {('"%s"' % n, '"/etc/exposured/%s"' % n)
                         for n in ("tls.key", "tls.crt", "token")}, r.stdout
        log = c.run(["journalctl", "-b", "--no-pager", "-o", "cat", "--grep", "tls.conf"],
                    check=False).stdout
        assert log.strip() == "", log
    finally:
        c.remove_units(list(units))
