# SPDX-License-Identifier: MIT
"""exposured in an administrator's hands, in a real systemd (the host's 252), installed with
`make install PREFIX=/usr/local` as tests/integration/test_units.py does it:

- watching from boot: a first boot presets the units (90-exposured.preset) and exposured.service
  runs and writes history with no HTTP request made; so does `systemctl enable --now
  exposured.socket` after both were disabled, and the boot transaction replayed (`systemctl start
  multi-user.target`) after both were stopped; the socket still activates a stopped service;
- `exposured --check-config` catches what would stop every start (tls = yes or token = yes
  without credentials, a LoadCredential= whose file is missing), naming FILE:LINE in a drop-in,
  and agrees with what systemd then does with the real service;
- history for admins: a member of the group exposured reads `history` and `events` (also with the
  daemon stopped), a user outside it gets "Permission denied", and the unit's exposure stays 0.1.
The container is powered off at the end of the module whatever happens (containers.py hooks).
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containers  # noqa: E402
import oracle  # noqa: E402
import test_units  # noqa: E402

EXPOSURED = "/usr/local/bin/exposured"
UNIT_EXPOSURE = "0.1"   # exposured.service, online, systemd 252 (as on main)


@pytest.fixture(scope="module")
def box():
    reason = containers.skip_reason()
    if reason:
        pytest.skip(reason)
    dest = test_units.stage("/usr/local")
    c = test_units.UnitsContainer(containers.unique_name("admin2-admin"),
                                  ["--private-network", "--bind-ro=%s/usr/local:/usr/local" % dest])
    try:
        c.boot()
        # The shipped configuration (every key commented out), as make install leaves it.
        shutil.copytree(dest + "/etc", c.path("/etc"), dirs_exist_ok=True, symlinks=True)
        yield test_units.Installed(c, dest)
    finally:
        c.poweroff()
        shutil.rmtree(dest, ignore_errors=True)


def state(i, unit):
    return i.show(unit, "ActiveState")["ActiveState"]


def wait_active(i):
    i.wait_for("exposured.service active",
               lambda: state(i, "exposured.service") in ("active", "failed"), timeout=60)
    assert state(i, "exposured.service") == "active", i.journal("-u", "exposured.service")[-3000:]


def history_rows(i):
    return i.run(EXPOSURED, "history", "--json", "exposured.service", check=False)


def test_first_boot_preset_watches(box):
    """A first boot with the package installed: the preset enables socket and service, systemd
    starts the service in the boot transaction, the first scan is stored, no request made."""
    i = box
    for u in ("exposured.socket", "exposured.service"):
        assert i.run("systemctl", "is-enabled", u).stdout.strip() == "enabled", u
    assert os.path.islink(i.c.path("/etc/systemd/system/multi-user.target.wants/"
                                   "exposured.service"))
    wait_active(i)
    s = i.show("exposured.service", "ActiveState", "SubState", "NRestarts", "StatusText")
    assert s["SubState"] == "running" and s["NRestarts"] == "0", s
    i.wait_for("READY=1", lambda: i.show("exposured.service", "StatusText")["StatusText"]
               .startswith("Watching "), timeout=60)
    r = history_rows(i)
    assert r.returncode == 0 and '"unit":"exposured.service"' in r.stdout.replace(" ", ""), r
    assert state(i, "exposured.socket") == "active"
    # The start-up line says what this instance is; the first scan's line follows.
    log = i.journal("-u", "exposured.service")
    assert ("exposured %s starting: scoring with the watched systemd's own table, HTTP on "
            "127.0.0.1:9573 (passed by the service manager), database "
            "'/var/lib/exposured/exposured.db'." % i.run(EXPOSURED, "--version").stdout.split()[1]
            ) in log, log
    assert re.search(r"First scan done: \d+ services \(\d+ of them Type=oneshot\) of systemd "
                     r"252\S* scored with the table of systemd \d+\S*( and later)?; history "
                     r"stored\.", log.replace(",", "")), log


def test_enable_now_socket_starts_service(box):
    """The README's `systemctl enable --now exposured.socket`, from both disabled and stopped."""
    i = box
    wait_active(i)
    before = i.show("exposured.service", "MainPID")["MainPID"]
    i.run("systemctl", "disable", "--now", "exposured.socket", "exposured.service")
    assert state(i, "exposured.service") == "inactive"
    assert i.run("systemctl", "is-enabled", "exposured.service",
                 check=False).stdout.strip() == "disabled"
    i.run("systemctl", "enable", "--now", "exposured.socket")
    assert i.run("systemctl", "is-enabled", "exposured.service").stdout.strip() == "enabled"
    # A new process, with nothing connected to the socket (this test makes no request).
    wait_active(i)
    assert i.show("exposured.service", "MainPID")["MainPID"] not in ("0", before)


def test_boot_transaction_starts_service(box):
    """Both stopped but enabled, then the boot's target again: the service comes up by itself.
    The socket alone still activates it when the service is disabled."""
    i = box
    i.run("systemctl", "stop", "exposured.service", "exposured.socket")
    assert state(i, "exposured.service") == "inactive"
    i.run("systemctl", "start", "multi-user.target")
    wait_active(i)
    # Socket activation alone (documented): disable the service, keep the socket.
    i.run("systemctl", "disable", "--now", "exposured.service")
    assert i.run("systemctl", "is-enabled", "exposured.socket").stdout.strip() == "enabled"
    i.run("systemctl", "start", "exposured.socket")
    assert state(i, "exposured.service") == "inactive"
    code, _ = i.http("/api/v1/status")
    assert code == 200
    wait_active(i)
    i.run("systemctl", "enable", "exposured.service")


def check_config(i):
    return i.run(EXPOSURED, "run", "--check-config", check=False)


def test_check_config_credentials(box):
    """tls = yes / token = yes without the credentials the unit passes: --check-config fails
    with FILE:LINE, and systemd indeed cannot start the service; with them, both succeed."""
    i = box
    conf_d = i.c.path("/etc/exposured/exposured.conf.d")
    os.makedirs(conf_d, exist_ok=True)
    dropin = i.c.path("/etc/systemd/system/exposured.service.d/tls.conf")
    try:
        assert check_config(i).returncode == 0
        with open(conf_d + "/50-tls.conf", "w", encoding="utf-8") as f:
            f.write("# HTTPS only\n\ntls = yes   # the credentials come from tls.conf\n")
        r = check_config(i)
        assert r.returncode == 1, r
        assert re.search(r"/etc/exposured/exposured.conf.d/50-tls.conf:3: tls = yes, but "
                         r"tls_key: no credential 'tls.key' is passed to exposured.service",
                         r.stderr), r.stderr
        # What systemd does with that configuration: the start fails.
        i.run("systemctl", "restart", "exposured.service", check=False)
        i.wait_for("the failed start", lambda: state(i, "exposured.service")
                   in ("failed", "activating") and
                   i.show("exposured.service", "Result")["Result"] != "success", timeout=30)
        i.run("systemctl", "stop", "exposured.service", check=False)
        i.run("systemctl", "reset-failed", "exposured.service", check=False)

        # The drop-in of the README, but the files not made yet: systemd would fail too.
        os.makedirs(os.path.dirname(dropin), exist_ok=True)
        shutil.copy(i.dest + "/usr/local/share/exposured/exposured-tls.conf.example", dropin)
        i.run("systemctl", "daemon-reload")
        r = check_config(i)
        assert r.returncode == 1
        assert re.search(r"^exposured.service: LoadCredential=(tls.key|tls.crt|token):"
                         r"/etc/exposured/\S+: the file does not exist", r.stderr), r.stderr
        r = i.run("systemctl", "restart", "exposured.service", check=False)
        assert r.returncode != 0
        i.run("systemctl", "reset-failed", "exposured.service", check=False)

        # The files: then both agree it starts.
        # (made by the host's openssl: the container's volatile /etc has no openssl.cnf)
        etc = i.c.path("/etc/exposured")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-keyout", etc + "/tls.key", "-out", etc + "/tls.crt"],
                       capture_output=True, check=True)
        with open(etc + "/token", "w", encoding="ascii") as f:
            f.write("0123456789abcdef0123456789abcdef\n")
        r = check_config(i)
        assert r.returncode == 0, r.stderr
        assert "tls = yes\n" in r.stdout
        i.run("systemctl", "restart", "exposured.service")
        wait_active(i)

        # token = yes without a token credential (only the TLS lines passed).
        with open(dropin, "w", encoding="utf-8") as f:
            f.write("[Service]\nLoadCredential=tls.key:/etc/exposured/tls.key\n"
                    "LoadCredential=tls.crt:/etc/exposured/tls.crt\n")
        with open(conf_d + "/60-token.conf", "w", encoding="utf-8") as f:
            f.write("token = yes\n")
        i.run("systemctl", "daemon-reload")
        r = check_config(i)
        assert r.returncode == 1
        assert re.search(r"/etc/exposured/exposured.conf.d/60-token.conf:1: token = yes, but "
                         r"token_file: no credential 'token'", r.stderr), r.stderr
    finally:
        shutil.rmtree(conf_d, ignore_errors=True)
        for f in ("tls.key", "tls.crt", "token"):
            if os.path.exists(i.c.path("/etc/exposured/" + f)):
                os.unlink(i.c.path("/etc/exposured/" + f))
        shutil.rmtree(os.path.dirname(dropin), ignore_errors=True)
        i.run("systemctl", "daemon-reload")
        i.run("systemctl", "reset-failed", "exposured.service", check=False)
        i.run("systemctl", "restart", "exposured.service", check=False)
    wait_active(i)
    assert check_config(i).returncode == 0


def test_history_for_admin_group(box):
    """A member of the group exposured reads history and events; anyone else is told
    "Permission denied" (exit 1), not that the database does not exist."""
    i = box
    wait_active(i)
    i.wait_for("READY=1", lambda: i.show("exposured.service", "StatusText")["StatusText"]
               .startswith("Watching "), timeout=60)
    i.run("useradd", "-M", "-G", "exposured", "alice")
    i.run("useradd", "-M", "bob")
    st = os.stat(i.c.path("/var/lib/exposured"))
    assert st.st_mode & 0o777 == 0o750
    gid = int(i.run("getent", "group", "exposured").stdout.split(":")[2])
    for suffix in ("", "-wal", "-shm"):
        st = os.stat(i.c.path("/var/lib/exposured/exposured.db" + suffix))
        assert (st.st_mode & 0o777, st.st_gid) == (0o640, gid), suffix

    def as_user(user, *argv):
        # setpriv, not runuser: the volatile /etc has no PAM configuration.
        pw = i.run("getent", "passwd", user).stdout.split(":")
        return i.run("setpriv", "--reuid=" + pw[2], "--regid=" + pw[3], "--init-groups", "--",
                     EXPOSURED, *argv, check=False)

    for attempt in ("running", "stopped"):
        r = as_user("alice", "history", "exposured.service")
        assert r.returncode == 0 and re.search(r"^\S+Z\s+none\s+startup ", r.stdout, re.M), \
            (attempt, r)
        r = as_user("alice", "events", "--since=-1d")
        assert r.returncode == 0, (attempt, r)
        r = as_user("bob", "history", "exposured.service")
        assert r.returncode == 1, (attempt, r)
        assert r.stderr.startswith("Permission denied: cannot read the database "
                                   "'/var/lib/exposured/exposured.db'"), r.stderr
        assert "group 'exposured'" in r.stderr and "does not exist" not in r.stderr
        r = as_user("bob", "events")
        assert r.returncode == 1 and "Permission denied" in r.stderr, r
        if attempt == "running":
            i.run("systemctl", "stop", "exposured.service")
    i.run("systemctl", "start", "exposured.service")
    wait_active(i)

    # The unit is not weakened by it.
    r = i.run("systemd-analyze", "security", "--no-pager", "exposured.service")
    m = re.search(r"Overall exposure level for exposured.service: (\d+\.\d)", r.stdout)
    assert m and m.group(1) == UNIT_EXPOSURE, r.stdout[-500:]


def metric(text, series):
    m = re.search(r"^" + re.escape(series) + r" (\S+)$", text, re.M)
    assert m, series
    return float(m.group(1))


def test_metrics_follow_systemd_analyze(box):
    """exposured_units counts what `systemd-analyze security` lists, predicate by predicate;
    oneshot services are labelled and counted apart; the database's health is exported."""
    i = box
    wait_active(i)
    i.wait_for("READY=1", lambda: i.show("exposured.service", "StatusText")["StatusText"]
               .startswith("Watching "), timeout=60)
    rc, rows, err = oracle.analyze_all(i.c)
    assert rc == 0, err
    code, text = i.http("/metrics")
    assert code == 200
    theirs = {}
    for r in rows:
        theirs[r["predicate"]] = theirs.get(r["predicate"], 0) + 1
    for p in ("PERFECT", "SAFE", "OK", "MEDIUM", "EXPOSED", "UNSAFE", "DANGEROUS"):
        assert metric(text, 'exposured_units{predicate="%s"}' % p) == theirs.get(p, 0), p
    listed = {r["unit"] for r in rows}
    units = re.findall(r'^exposured_unit_exposure\{unit="([^"]+)",oneshot="(true|false)"\} ',
                       text, re.M)
    assert {u for u, o in units if o == "false"} == listed
    oneshots = {u for u, o in units if o == "true"}
    assert oneshots and not oneshots & listed
    assert sum(metric(text, 'exposured_oneshot_units{predicate="%s"}' % p) for p in
               ("PERFECT", "SAFE", "OK", "MEDIUM", "EXPOSED", "UNSAFE", "DANGEROUS")) \
        == len(oneshots)
    assert metric(text, "exposured_database_write_ok") == 1
    assert metric(text, "exposured_database_size_bytes") == sum(
        os.path.getsize(i.c.path("/var/lib/exposured/exposured.db" + x)) for x in ("", "-wal"))
    assert metric(text, "exposured_database_last_write_timestamp_seconds") > 1.7e9
    assert metric(text, "exposured_database_errors_total") == 0
