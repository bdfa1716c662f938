# SPDX-License-Identifier: MIT
"""The fleet's own listener, then its diff against hosts behind HTTPS.

The listener (no container): `exposured fleet` over a small synthetic fleet in a real
Prometheus, with tls = yes (a self-signed certificate made by openssl), a token and
allowed_hosts: the host daemon's keys, rules and code. HTTPS with HSTS, 401 without the token,
421 for a Host outside allowed_hosts, loopback names still accepted, plain HTTP refused, and
tls = yes without its certificate stops the start with a message naming it.

The diff against hosts behind HTTPS and a bearer token, as installed: test_tls.py's
container (the host daemon with the shipped TLS drop-in, its token and a self-signed
certificate), a real Prometheus in it scraping over HTTPS with the token, and
exposured-fleet.service as installed, handed the hosts' token and CA as systemd credentials
(LoadCredential=, the service's dynamic user cannot read the root-only files). The diff must
fetch both hosts' /api/v1/units/{unit} over TLS with the token; a wrong CA must fail with a
clear 502.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fleet_tsdb  # noqa: E402
from test_fleet import FleetDaemon  # noqa: E402
from test_tls import TOKEN, tls_installed  # noqa: E402,F401  (the module's fixture)
from web_fixtures import free_port  # noqa: E402

FLEET_TOKEN = "fleet-dashboard-token-0123456789"


@pytest.fixture(scope="module")
def tls_fleet(exposured):
    for tool in ("prometheus", "promtool", "openssl"):
        if shutil.which(tool) is None:
            pytest.skip("%s not installed" % tool)
    d = tempfile.mkdtemp(prefix="exposured-fleet-tls-")
    key, crt, tok = (os.path.join(d, n) for n in ("tls.key", "tls.crt", "token"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=fleet.example", "-addext",
                    "subjectAltName=DNS:fleet.example,IP:127.0.0.1", "-keyout", key, "-out", crt],
                   check=True, capture_output=True, timeout=60)
    with open(tok, "w", encoding="ascii") as f:
        f.write(FLEET_TOKEN + "\n")
    for p in (key, crt, tok):
        os.chmod(p, 0o600)
    fleet = fleet_tsdb.Fleet({"10.0.0.%d:9573" % i: {
        "hostname": "h%d" % i, "systemd": "252.39-1", "units": {"a.service": 50 + i}}
        for i in (1, 2)})
    prom = fleet_tsdb.TsdbPrometheus(fleet).start()
    daemon = FleetDaemon(exposured, prom.url,
                         "cache = 0\ntls = yes\ntls_key = %s\ntls_certificate = %s\n"
                         "token = %s\nallowed_hosts = Fleet.Example\n" % (key, crt, tok))
    try:
        daemon.start()
        ctx = ssl.create_default_context(cafile=crt)
        yield daemon, ctx, crt
    finally:
        daemon.stop()
        prom.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def tls_get(daemon, ctx, path, host="fleet.example", token=FLEET_TOKEN, accept=None):
    headers = {"Host": "%s:%d" % (host, daemon.port)}
    if token:
        headers["Authorization"] = "Bearer " + token
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request("https://127.0.0.1:%d%s" % (daemon.port, path), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_listener_https_token_allowed_hosts(tls_fleet):
    d, ctx, _ = tls_fleet
    status, headers, body = tls_get(d, ctx, "/api/v1/fleet/hosts")
    assert status == 200, body[:300]
    assert sorted(h["hostname"] for h in json.loads(body)["hosts"]) == ["h1", "h2"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    status, headers, body = tls_get(d, ctx, "/", accept="text/html")
    assert status == 200 and headers["Content-Type"].startswith("text/html"), body[:300]
    assert b"h1" in body and "default-src" in headers["Content-Security-Policy"]
    # the token
    assert tls_get(d, ctx, "/api/v1/fleet/hosts", token=None)[0] == 401
    assert tls_get(d, ctx, "/api/v1/fleet/hosts", token="wrong")[0] == 401
    # the Host check: allowed_hosts (case-insensitive), and loopback names, and nothing else
    status, _, body = tls_get(d, ctx, "/api/v1/fleet/hosts", host="evil.example")
    assert status == 421 and b"allowed_hosts" in body, body
    assert tls_get(d, ctx, "/api/v1/fleet/hosts", host="FLEET.example")[0] == 200
    assert tls_get(d, ctx, "/api/v1/fleet/hosts", host="localhost")[0] == 200
    # no plain HTTP on the TLS port
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.sendall(b"GET /api/v1/fleet/hosts HTTP/1.1\r\nHost: fleet.example\r\n"
                  b"Authorization: Bearer " + FLEET_TOKEN.encode() + b"\r\n\r\n")
        try:
            got = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            got = b""
    assert not got.startswith(b"HTTP/1.1 200"), got[:100]


def test_listener_tls_yes_without_certificate(exposured, tmp_path):
    conf = tmp_path / "fleet.conf"
    conf.write_text("prometheus = http://127.0.0.1:1\nlisten = 127.0.0.1:%d\ntls = yes\n"
                    "tls_key = %s/none.key\ntls_certificate = %s/none.crt\n"
                    % (free_port(), tmp_path, tmp_path))
    p = subprocess.run([exposured, "fleet", "--config=%s" % conf], capture_output=True,
                       text=True, timeout=30, env=dict(os.environ, LOG_TARGET="stderr"),
                       check=False)
    assert p.returncode == 1, p.stderr
    assert "tls_key" in p.stderr and "none.key" in p.stderr, p.stderr
    # and --check-config shows the keys as parsed
    p = subprocess.run([exposured, "fleet", "--config=%s" % conf, "-n"], capture_output=True,
                       text=True, timeout=30, check=False)
    assert p.returncode == 0, p.stderr
    assert "tls = yes\n" in p.stdout and "allowed_hosts = auto\n" in p.stdout, p.stdout

PROMETHEUS_YML = """
global: {scrape_interval: 2s, scrape_timeout: 2s}
scrape_configs:
  - job_name: exposured
    scheme: https
    tls_config: {ca_file: /etc/exposured/tls.crt}
    authorization: {credentials_file: /etc/prometheus-fleet/exposured.token}
    static_configs:
      # one daemon under two instance names: two "hosts" for a diff
      - {targets: ['localhost:9573'], labels: {instance: 'host-a'}}
      - {targets: ['localhost:9573'], labels: {instance: 'host-b'}}
"""

CREDENTIALS = """[Service]
LoadCredential=hosts-token:/etc/exposured/token
LoadCredential=hosts-ca.pem:%s
"""


def fleet_get(i, path):
    r = i.run("curl", "-sS", "--max-time", "30", "-w", "\n%{http_code}",
              "http://127.0.0.1:9574" + path, check=False, timeout=40)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def start_fleet(i, ca):
    dropin = i.c.path("/etc/systemd/system/exposured-fleet.service.d")
    os.makedirs(dropin, exist_ok=True)
    with open(dropin + "/credentials.conf", "w", encoding="ascii") as f:
        f.write(CREDENTIALS % ca)
    with open(i.c.path("/etc/exposured/fleet.conf"), "w", encoding="ascii") as f:
        f.write("prometheus = http://127.0.0.1:9090\ncache = 0\nhosts_token = hosts-token\n"
                "hosts_ca = hosts-ca.pem\n")
    i.run("systemctl", "daemon-reload")
    i.run("systemctl", "restart", "exposured-fleet.service")


def test_diff_over_tls_with_token(tls_installed):  # noqa: F811
    i = tls_installed
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed")
    rc, code, out = i.curl("/api/v1/status", "--cacert", "/etc/exposured/tls.crt",
                           "--oauth2-bearer", TOKEN, timeout=30)
    assert code == 200, out
    if not os.path.exists(i.c.path("/etc/hosts")):
        with open(i.c.path("/etc/hosts"), "w", encoding="ascii") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n")
    d = i.c.path("/etc/prometheus-fleet")
    os.makedirs(d, exist_ok=True)
    with open(d + "/prometheus.yml", "w", encoding="ascii") as f:
        f.write(PROMETHEUS_YML)
    with open(d + "/exposured.token", "w", encoding="ascii") as f:
        f.write(TOKEN + "\n")
    i.run("systemd-run", "--unit=prometheus-fleet-tls", "/usr/bin/prometheus",
          "--config.file=/etc/prometheus-fleet/prometheus.yml",
          "--storage.tsdb.path=/var/tmp/prometheus-fleet-tls",
          "--web.listen-address=127.0.0.1:9090")
    try:
        start_fleet(i, "/etc/exposured/tls.crt")

        def scraped():
            code, body = fleet_get(i, "/api/v1/fleet/hosts")
            if code != 200:
                return None
            hosts = [h for h in json.loads(body)["hosts"] if h["up"] and h["services"] > 0]
            return hosts if len(hosts) == 2 else None
        i.wait_for("Prometheus to scrape both instances over HTTPS", scraped, timeout=90)
        code, body = fleet_get(i, "/api/v1/fleet/units")
        assert code == 200, body
        unit = json.loads(body)["units"][0]["unit"]
        path = "/api/v1/fleet/units/%s/diff?a=host-a&b=host-b" % unit.replace("\\", "%5C")
        code, body = fleet_get(i, path)
        assert code == 200, body
        diff = json.loads(body)
        assert diff["compared"] > 10 and diff["checks"] == [], diff   # the same daemon twice
        assert diff["a"]["exposure"] == diff["b"]["exposure"]

        # a CA that did not sign the hosts' certificate: the fetch fails, and says so
        start_fleet(i, "/etc/exposured/other-ca.crt")
        i.wait_for("the fleet to answer again",
                   lambda: fleet_get(i, "/api/v1/fleet/hosts")[0] == 200, timeout=30)
        code, body = fleet_get(i, path)
        assert code == 502, body
        assert "host a (host-a)" in json.loads(body)["error"], body
    finally:
        i.run("systemctl", "stop", "exposured-fleet.service", "prometheus-fleet-tls.service",
              check=False)
