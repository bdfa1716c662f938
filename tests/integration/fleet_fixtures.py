# SPDX-License-Identifier: MIT
"""A real fleet for the fleet tests: four systemd containers (247 bullseye, 252 host, 257 trixie,
262 sid), each watched by its own exposured daemon on the host (against the container's bus, on
its own free loopback port, os_root pointing into the container so that exposured_host_info names
the container), and one real Prometheus (the Debian package) scraping all of them every second
with the shipped rules of monitoring/ loaded. Alertmanager (prometheus-alertmanager) and a webhook
receiver (a loopback HTTP server in this process) are there for the tests that need them.

Use:
    pytest_plugins = ["fleet_fixtures"]
    def test_x(fleet):
        h = fleet.host(257)                      # a FleetHost
        h.install_units({"x.service": TEXT}, start=["x.service"])
        fleet.wait_exposure(h, "x.service", h.oracle(["x.service"])["x.service"])
        fleet.prometheus.query('exposured_unit_exposure{unit="x.service"}')

Everything started here is stopped at the end whatever happens: daemons and Prometheus die with
this process (PR_SET_PDEATHSIG), containers are powered off (containers.py's hooks). Tests that
change a container's units undo it (remove_units). Standard library and python3-yaml.
"""

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

import containers
import oracle
from web_fixtures import Daemon, free_port, http_request, stop, wait_port, wait_until

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MONITORING = os.path.join(TOP, "monitoring")

# The fleet: suite -> systemd major (containers.SUITES), in version order.
FLEET_SUITES = ["bullseye", "host", "trixie", "sid"]
JOB = "exposured"
SCRAPE_INTERVAL = "1s"

# Services every host runs, so that every page has the same unit on four hosts: one hardened
# (its exposure still differs between versions: newer systemds know more checks), one weak.
FLEET_HARD = "fleet-hard.service"
FLEET_WEAK = "fleet-weak.service"
FLEET_UNIT_FILES = {
    FLEET_HARD: """[Unit]
Description=Fleet test: a hardened service
[Service]
ExecStart=/bin/sleep infinity
DynamicUser=yes
CapabilityBoundingSet=
NoNewPrivileges=yes
PrivateDevices=yes
PrivateNetwork=yes
PrivateTmp=yes
PrivateUsers=yes
ProtectSystem=strict
ProtectHome=yes
ProtectClock=yes
ProtectControlGroups=yes
ProtectKernelLogs=yes
ProtectKernelModules=yes
ProtectKernelTunables=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
UMask=0077
""",
    FLEET_WEAK: "[Unit]\nDescription=Fleet test: a weak service\n[Service]\n"
                "ExecStart=/bin/sleep infinity\n",
}
FLEET_UNITS = sorted(FLEET_UNIT_FILES)

# A drop-in that makes a hardened service weaker (a regression when applied).
WEAKEN_DROPIN = """[Service]
PrivateNetwork=no
PrivateUsers=no
ProtectSystem=no
ProtectHome=no
CapabilityBoundingSet=CAP_SYS_ADMIN CAP_NET_ADMIN
"""


def _exposure(x):
    return "%.1f" % float(x)


# -----------------------------------------------------------------------------------------------
# Prometheus

class Prometheus:
    """The Debian package's prometheus on a free loopback port, on its own data directory.

    scrape_targets: ["127.0.0.1:PORT", ...] for job JOB (none: a server for a TSDB written by
    promtool). rule_files: copied into its directory, every group at the global (1 s)
    evaluation interval: a group's own `interval:` (2m and 15m for the fleet rules) would leave
    a test waiting for its first evaluation. The regressions feed's group keeps its own (its
    rise must be evaluated at the interval its offset names) unless every_second. data_dir: an
    existing TSDB to serve (it is not
    deleted at stop). alertmanager: "127.0.0.1:PORT" or None."""

    def __init__(self, scrape_targets=(), rule_files=(), data_dir=None, alertmanager=None,
                 external_labels=None, retention="30d", extra_args=(), every_second=False):
        self.dir = tempfile.mkdtemp(prefix="exposured-fleet-prom-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.targets = list(scrape_targets)
        self.rules = []
        for f in rule_files:
            dst = os.path.join(self.dir, os.path.basename(f))
            with open(f, encoding="utf-8") as src:
                doc = yaml.safe_load(src)
            for g in doc["groups"]:
                if every_second or g["name"] != "exposured-fleet-regressions":
                    g.pop("interval", None)
            with open(dst, "w", encoding="utf-8") as out:
                yaml.safe_dump(doc, out, sort_keys=False)
            self.rules.append(dst)
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.alertmanager = alertmanager
        self.external_labels = dict(external_labels or {})
        self.retention = retention
        self.extra_args = list(extra_args)
        self.config_path = os.path.join(self.dir, "prometheus.yml")
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None

    def write_config(self):
        # JSON is YAML: no YAML library needed, and every string is quoted correctly.
        cfg = {"global": {"scrape_interval": SCRAPE_INTERVAL, "scrape_timeout": SCRAPE_INTERVAL,
                          "evaluation_interval": SCRAPE_INTERVAL,
                          "external_labels": self.external_labels},
               "rule_files": [os.path.basename(r) for r in self.rules],
               "scrape_configs": []}
        if self.targets:
            cfg["scrape_configs"].append({"job_name": JOB,
                                          "static_configs": [{"targets": self.targets}]})
        if self.alertmanager:
            cfg["alerting"] = {"alertmanagers": [{"static_configs": [
                {"targets": [self.alertmanager]}]}]}
        with open(self.config_path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=1)

    def start(self, timeout=60):
        self.write_config()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["prometheus", "--config.file=" + self.config_path,
                 "--storage.tsdb.path=" + self.data_dir,
                 "--storage.tsdb.retention.time=" + self.retention,
                 "--web.listen-address=127.0.0.1:%d" % self.port] + self.extra_args,
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=containers._set_pdeathsig)
        try:
            wait_port(self.port, timeout, self.proc, "prometheus")
            wait_until(lambda: http_request(self.base + "/-/ready").status == 200, timeout, 0.2,
                       "prometheus to be ready")
        except BaseException:
            self.stop()
            raise
        return self

    def reload(self, **changes):
        """Change targets/alertmanager/external_labels and reload (SIGHUP), then wait until the
        new configuration is the running one."""
        for k, v in changes.items():
            setattr(self, k, v)
        self.write_config()
        self.proc.send_signal(signal.SIGHUP)
        want = open(self.config_path, encoding="utf-8").read()
        wait_until(lambda: self.api("status/config")["yaml"] and
                   self._config_loaded(want), 30, 0.2, "prometheus to reload its config")

    def _config_loaded(self, want):
        text = self.api("status/config")["yaml"]
        return all(t in text for t in self.targets) and \
            (not self.alertmanager or self.alertmanager in text)

    def stop(self):
        stop(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def api(self, path, timeout=30, **params):
        url = "%s/api/v1/%s" % (self.base, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        r = http_request(url, timeout=timeout)
        assert r.status == 200, (path, params, r.status, r.body[:500])
        d = r.json()
        assert d["status"] == "success", d
        return d["data"]

    def query(self, q, time_=None):
        """The raw result list of an instant query."""
        params = {"query": q}
        if time_ is not None:
            params["time"] = "%.3f" % time_
        return self.api("query", **params)["result"]

    def query_range(self, q, start, end, step):
        return self.api("query_range", query=q, start="%.3f" % start, end="%.3f" % end,
                        step=str(step))["result"]

    def values(self, q, key=("instance", "unit")):
        """{tuple of the key labels (or a single label's value): float} of an instant query."""
        out = {}
        for x in self.query(q):
            k = tuple(x["metric"].get(l, "") for l in key)
            out[k[0] if len(k) == 1 else k] = float(x["value"][1])
        return out

    def alerts(self, name=None):
        return [a for a in self.api("alerts")["alerts"]
                if name is None or a["labels"]["alertname"] == name]

    def log(self, n=3000):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""


def shipped_rule_files():
    """The shipped rule files: the per-host alerts (units/) and the fleet's recording rules and
    alert (monitoring/)."""
    return [os.path.join(TOP, "units", "exposured.rules.yml")] + \
        sorted(glob.glob(os.path.join(MONITORING, "*.rules.yml")))


# -----------------------------------------------------------------------------------------------
# Alertmanager and a webhook receiver

class WebhookReceiver:
    """An HTTP server on loopback that records every Alertmanager webhook POST (JSON body)."""

    def __init__(self):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(n, 1 << 20))
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {"invalid": body.decode("utf-8", "replace")}
                with receiver.lock:
                    receiver.received.append({"path": self.path, "body": doc})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def notifications(self):
        with self.lock:
            return [x["body"] for x in self.received]

    def alerts(self, alertname=None, status=None):
        """Every alert of every notification, in arrival order (Alertmanager webhook format)."""
        out = []
        for n in self.notifications():
            for a in n.get("alerts", []):
                if alertname and a["labels"].get("alertname") != alertname:
                    continue
                if status and a.get("status") != status:
                    continue
                out.append(a)
        return out


class Alertmanager:
    """Debian's prometheus-alertmanager on free loopback ports with a given configuration file
    (YAML text; the string WEBHOOK_URL in it is replaced by the receiver's URL)."""

    def __init__(self, config_text, webhook_url):
        self.dir = tempfile.mkdtemp(prefix="exposured-fleet-am-")
        self.port = free_port()
        self.cluster_port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.config_path = os.path.join(self.dir, "alertmanager.yml")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config_text.replace("WEBHOOK_URL", webhook_url))
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None

    @staticmethod
    def binary():
        for b in ("prometheus-alertmanager", "alertmanager"):
            p = shutil.which(b)
            if p:
                return p
        return None

    def start(self, timeout=60):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary(), "--config.file=" + self.config_path,
                 "--storage.path=" + os.path.join(self.dir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--cluster.listen-address=127.0.0.1:%d" % self.cluster_port],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=containers._set_pdeathsig)
        try:
            wait_port(self.port, timeout, self.proc, "alertmanager")
            wait_until(lambda: http_request(self.base + "/-/ready").status == 200, timeout, 0.2,
                       "alertmanager to be ready")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def alerts(self):
        r = http_request(self.base + "/api/v2/alerts")
        assert r.status == 200, r.body[:300]
        return r.json()

    def stop(self):
        stop(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, n=3000):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""


# -----------------------------------------------------------------------------------------------
# The fleet

class FleetHost:
    """One container and the exposured daemon watching it."""

    def __init__(self, suite, container, daemon):
        self.suite = suite
        self.container = container
        self.daemon = daemon
        self.version = container.version
        self.instance = "127.0.0.1:%d" % daemon.port
        self.base = daemon.base
        self.hostname = container.run(["hostname"]).stdout.strip()
        self.machine_id = open(container.path("/etc/machine-id"),
                               encoding="ascii").read().strip()

    def __repr__(self):
        return "<FleetHost v%d %s %s>" % (self.version, self.hostname, self.instance)

    # -- units --

    def install_units(self, files, start=(), reload=True):
        """Write unit files or drop-ins (containers.Container.install_units), daemon-reload, then
        start the named units."""
        self.container.install_units(files, reload=reload)
        if start:
            self.container.run(["systemctl", "start"] + list(start))

    def remove_units(self, names, stop_units=()):
        if stop_units:
            self.container.run(["systemctl", "stop"] + list(stop_units), check=False)
        self.container.remove_units(names)

    def weaken(self, unit, dropin=WEAKEN_DROPIN, name="50-fleet-weaken.conf"):
        """A regression: a drop-in that weakens unit, then daemon-reload. Undo with restore()."""
        self.container.install_units({"%s.d/%s" % (unit, name): dropin})

    def restore(self, unit, name="50-fleet-weaken.conf"):
        self.container.remove_units(["%s.d/%s" % (unit, name)])

    # -- the oracle: systemd-analyze security in this container --

    def oracle(self, units=None):
        """{unit: exposure string} from `systemd-analyze security` run online in the container:
        the named units, or (None) every unit it lists by itself."""
        if units:
            rc, reports, err = oracle.analyze_named(self.container, list(units))
            assert rc == 0, err
            return {r["unit"]: r["exposure"] for r in reports}
        rc, rows, err = oracle.analyze_all(self.container)
        assert rc == 0, err
        return {r["unit"]: r["exposure"] for r in rows}

    def oracle_checks(self, unit):
        """The oracle's checks of one unit: [{name, set, exposure, ...}] (oracle.analyze_named)."""
        rc, reports, err = oracle.analyze_named(self.container, [unit])
        assert rc == 0 and reports, err
        return reports[0]["checks"]

    # -- the daemon --

    def unit_url(self, unit):
        """The host's own unit page (the link alerts and the fleet pages point at)."""
        return "%s/units/%s" % (self.base, urllib.parse.quote(unit, safe=""))

    def api(self, path):
        r = self.daemon.get(path)
        assert r.status == 200, (self, path, r.status, r.body[:300])
        return r.json()

    def units(self):
        """{unit: exposure string} of the daemon's /api/v1/units."""
        return {u["unit"]: _exposure(u["exposure"]) for u in self.api("/api/v1/units")["units"]}


class Fleet:
    def __init__(self, hosts, prometheus):
        self.hosts = hosts
        self.prometheus = prometheus

    def host(self, key):
        """A host by systemd major (247), suite ("trixie") or instance."""
        for h in self.hosts:
            if key in (h.version, h.suite, h.instance, h.hostname):
                return h
        raise KeyError(key)

    def by_instance(self):
        return {h.instance: h for h in self.hosts}

    def wait_scraped(self, timeout=60):
        """Every host up in Prometheus with its host_info and its fleet units."""
        p = self.prometheus
        n = len(self.hosts)

        def ok():
            up = p.values('up{job="%s"}' % JOB, key=("instance",))
            info = p.values("exposured_host_info", key=("instance",))
            units = p.values('count by (instance) (exposured_unit_exposure{unit=~"fleet-.*"})',
                             key=("instance",))
            return (len(up) == n and all(v == 1 for v in up.values()) and len(info) == n and
                    len(units) == n and all(v == len(FLEET_UNITS) for v in units.values()))
        wait_until(ok, timeout, 0.5, "Prometheus to scrape all %d hosts" % n)

    def wait_exposure(self, host, unit, exposure, timeout=30):
        """Until Prometheus holds this exposure (a string or float) for unit on host."""
        want = float(exposure)
        q = 'exposured_unit_exposure{instance="%s",unit="%s"}' % (host.instance, unit)
        wait_until(lambda: self.prometheus.values(q).get((host.instance, unit)) == want,
                   timeout, 0.5, "%s on %s to be %s in Prometheus" % (unit, host, exposure))


def _boot_all(suites):
    """Boot the containers in parallel: spawned here (PR_SET_PDEATHSIG belongs to the spawning
    thread), waited for in threads (each boot is mostly waiting for its PID 1)."""
    boxes = [containers.Container(s, containers.unique_name("fleet-" + s)) for s in suites]
    errors = {}

    def wait(c):
        try:
            c.wait_up()
        except BaseException as e:  # reported below, after every thread is done
            errors[c.suite] = e

    try:
        for c in boxes:
            c.spawn()
    except BaseException:
        for c in boxes:
            c.poweroff()
        raise
    threads = [threading.Thread(target=wait, args=(c,)) for c in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for c in boxes:
            c.poweroff()
        raise containers.ContainerError("; ".join("%s: %s" % kv for kv in errors.items()))
    return boxes


def start_fleet(exposured, suites=FLEET_SUITES, rule_files=None, alertmanager=None,
                external_labels=None):
    """Boot, install FLEET_UNIT_FILES, start the daemons and Prometheus. Returns (Fleet, cleanup
    function). Used by the `fleet` fixture and usable from a script."""
    started = []          # things to stop, in reverse
    try:
        boxes = _boot_all(list(suites))
        started += [b.poweroff for b in boxes]
        hosts = []
        for suite, c in zip(suites, boxes):
            c.install_units(FLEET_UNIT_FILES)
            c.run(["systemctl", "start"] + FLEET_UNITS)
            d = Daemon(exposured, c, extra_conf="os_root = /proc/%d/root\n" % c.pid1)
            d.start(timeout=60)
            started.append(d.stop)
            hosts.append(FleetHost(suite, c, d))
        if rule_files is None:
            rule_files = shipped_rule_files()
        labels = {"exposured_scheme": "http"}
        labels.update(external_labels or {})
        p = Prometheus([h.instance for h in hosts], rule_files=rule_files,
                       alertmanager=alertmanager, external_labels=labels).start()
        started.append(p.stop)
        fleet = Fleet(hosts, p)
        fleet.wait_scraped()
    except BaseException:
        for f in reversed(started):
            f()
        raise

    def cleanup():
        for f in reversed(started):
            try:
                f()
            except Exception as e:  # keep going: the others must stop too
                print("fleet cleanup: %s" % e)
    return fleet, cleanup


def _skip_reason():
    r = containers.skip_reason()
    if r:
        return r
    if shutil.which("prometheus") is None:
        return "prometheus not installed (apt-get install prometheus)"
    return None


@pytest.fixture(scope="session")
def fleet(exposured):
    """Four containers, four daemons, one Prometheus scraping them (see the module doc)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    f, cleanup = start_fleet(exposured)
    try:
        yield f
    finally:
        cleanup()


@pytest.fixture
def webhook():
    w = WebhookReceiver().start()
    try:
        yield w
    finally:
        w.stop()
