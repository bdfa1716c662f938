# SPDX-License-Identifier: MIT
"""The fleet's diff against hosts behind HTTPS and a bearer token, as installed: test_tls.py's
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
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_tls import TOKEN, tls_installed  # noqa: E402,F401  (the module's fixture)

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
