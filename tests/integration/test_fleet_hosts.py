# SPDX-License-Identifier: MIT
"""The fleet fixture's hosts, through a real Prometheus: every host's exposured_host_info names
its container (not the machine the daemons run on), every exposure Prometheus holds equals that
container's `systemd-analyze security`, and a regression on one host moves that host's series
only. Runs on the four-version fleet of fleet_fixtures.py.
"""

import re

import pytest

pytest.register_assert_rewrite("fleet_fixtures")
from fleet_fixtures import FLEET_HARD, FLEET_UNITS, JOB  # noqa: E402

pytest_plugins = ["fleet_fixtures"]


def os_release(container):
    """{KEY: value} of the container's os-release, read inside the container."""
    r = container.run(["sh", "-c", "f=/etc/os-release; [ -e $f ] || f=/usr/lib/os-release; . $f; "
                       "printf '%s\\n%s\\n' \"$ID\" \"${VERSION_ID:-}\""])
    lines = r.stdout.split("\n")
    return {"ID": lines[0], "VERSION_ID": lines[1]}


def test_host_info_names_each_container(fleet):
    p = fleet.prometheus
    info = {x["metric"]["instance"]: x["metric"] for x in p.query("exposured_host_info")}
    assert set(info) == {h.instance for h in fleet.hosts}
    kernel = open("/proc/sys/kernel/osrelease", encoding="ascii").read().strip()
    for h in fleet.hosts:
        m = info[h.instance]
        osr = os_release(h.container)
        version = h.container.run(["systemctl", "show", "-p", "Version", "--value"]).stdout.strip()
        assert m["hostname"] == h.hostname, (h, m)
        assert m["machine_id"] == h.machine_id, (h, m)
        assert m["os_id"] == osr["ID"] == "debian", (h, m)
        # Prometheus drops empty labels: sid has no VERSION_ID, so no os_version_id.
        assert m.get("os_version_id", "") == osr["VERSION_ID"], (h, m, osr)
        assert m["systemd_version"] == version, (h, m)
        assert re.match(r"%d\b" % h.version, version), (h, version)
        assert m["kernel"] == kernel, (h, m)
        assert m["job"] == JOB and m["__name__"] == "exposured_host_info"
        # exactly the documented label set
        assert sorted(set(m) | {"os_version_id"}) == sorted(
            ["__name__", "instance", "job", "hostname", "machine_id", "os_id", "os_version_id",
             "systemd_version", "kernel"]), m
    # four different machines, four different versions
    assert len({m["machine_id"] for m in info.values()}) == len(fleet.hosts)
    assert sorted(int(m["systemd_version"].split(".")[0].split("-")[0].split("~")[0])
                  for m in info.values()) == [247, 252, 257, 262]


def test_series_per_host(fleet):
    """The documented cardinality (docs/fleet.md): 32 host-level series, plus 6 per service and
    one more for each service with a main process (exposured_unit_running_exposure); no unit
    policy here, so no exposured_unit_policy_max_exposure."""
    p = fleet.prometheus
    for h in fleet.hosts:
        units = h.api("/api/v1/units?limit=5000")["units"]
        n_units = len(units)
        n_running = sum(1 for u in units if u.get("running_exposure") is not None)
        total = p.values('count({instance="%s",__name__=~"exposured_[a-z_]+"})' % h.instance,
                         key=("instance",))
        per_unit = p.values('count({instance="%s",__name__=~"exposured_[a-z_]+",unit!=""})'
                            % h.instance, key=("instance",))
        assert per_unit[""] == 6 * n_units + n_running, (h, per_unit, n_units, n_running)
        assert total[""] - per_unit[""] == 32, (h, total, per_unit)


def test_every_exposure_matches_the_oracle(fleet):
    p = fleet.prometheus
    got = p.values("exposured_unit_exposure")
    for h in fleet.hosts:
        want = h.oracle()
        for u in FLEET_UNITS:
            assert u in want, (h, u)
        mine = {u: "%.1f" % v for (inst, u), v in got.items() if inst == h.instance}
        diffs = ["%s %s: prometheus %s, systemd-analyze %s" % (h, u, mine.get(u), e)
                 for u, e in want.items() if mine.get(u) != e]
        assert not diffs, diffs


def test_regression_on_one_host_only(fleet):
    h = fleet.host(257)
    p = fleet.prometheus
    before = {(x["metric"]["instance"]): float(x["value"][1])
              for x in p.query('exposured_unit_exposure{unit="%s"}' % FLEET_HARD)}
    h.weaken(FLEET_HARD)
    try:
        after = h.oracle([FLEET_HARD])[FLEET_HARD]
        assert float(after) > before[h.instance]
        fleet.wait_exposure(h, FLEET_HARD, after)
        regs = p.values('exposured_regressions_total{unit="%s"}' % FLEET_HARD,
                        key=("instance",))
        assert regs[h.instance] >= 1
        now = {(x["metric"]["instance"]): float(x["value"][1])
               for x in p.query('exposured_unit_exposure{unit="%s"}' % FLEET_HARD)}
        assert {i: v for i, v in now.items() if i != h.instance} == \
            {i: v for i, v in before.items() if i != h.instance}
    finally:
        h.restore(FLEET_HARD)
    fleet.wait_exposure(h, FLEET_HARD, before[h.instance])
