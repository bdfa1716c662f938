# SPDX-License-Identifier: MIT
"""`exposured scan` against the oracle, `systemd-analyze security`, on every systemd version.

For each container: load the generated test units (unitgen.py), score them with the oracle inside
the container and with `exposured scan --json` on the host over the container's bus, and compare
per unit (exposure, predicate) and per check (set, exposure, description, json_field, and the
weight/badness/range systemd prints in debug mode), by value and JSON type. The same for every
service unit the container's systemd ships, for the no-argument listing, and for the errors.
A difference is reported aggregated: which field of which check, how often, three examples.
"""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle  # noqa: E402
import unitgen  # noqa: E402

SUMMARY = oracle.SUMMARY


class Loaded:
    """A container with the generated units installed (and a few started)."""

    def __init__(self, container, units):
        self.c = container
        self.units = units
        self.instance = None
        self.plain_scan = None   # test_no_arguments' scan, reused by test_all_flag

    def show(self, names, props=("Id", "LoadState", "Type")):
        """{name: {prop: value}} from systemctl show, in batches."""
        out = {}
        for i in range(0, len(names), 200):
            batch = names[i:i + 200]
            r = self.c.run(["systemctl", "show", "-p", ",".join(props), "--"] + batch)
            blocks = r.stdout.rstrip("\n").split("\n\n")
            assert len(blocks) == len(batch), "systemctl show: %d blocks for %d units" % (
                len(blocks), len(batch))
            for n, b in zip(batch, blocks):
                out[n] = dict(l.split("=", 1) for l in b.splitlines() if "=" in l)
        return out

    def template_instance(self, name):
        """The instance name systemd-analyze substitutes for a template (version dependent),
        learned from the oracle itself."""
        if self.instance is None:
            rc, reports, err = oracle.analyze_named(self.c, [unitgen.PREFIX + "tmpl@.service"])
            assert rc == 0 and len(reports) == 1, err
            unit = reports[0]["unit"]
            self.instance = unit[unit.index("@") + 1:-len(".service")]
        if name.endswith("@.service"):
            return name[:-len("@.service")] + "@" + self.instance + ".service"
        return name


@pytest.fixture(scope="module")
def loaded(container):
    """The container (shared with other modules) with the generated units, removed again at
    the end of the module so that other tests see the container's own services only."""
    us = unitgen.generate(container.version)
    container.install_units(us.files)
    try:
        for u in us.start:
            container.run(["systemctl", "start", u], check=False, timeout=60)
        yield Loaded(container, us)
    finally:
        container.run(["systemctl", "stop"] + us.start, check=False, timeout=120)
        container.remove_units(list(us.files), reload=False)
        for d in {os.path.dirname(f) for f in us.files if "/" in f}:
            try:
                os.rmdir(container.path("/etc/systemd/system/" + d))
            except OSError:
                pass
        container.daemon_reload()
        container.run(["systemctl", "reset-failed"], check=False)


def _label(c, what):
    return "systemd %d (%s) %s" % (c.version, c.suite, what)


def _scan_ok(exposured, c, units):
    rc, data, out, err = oracle.scan(exposured, c, units)
    assert rc == 0, "exposured scan exited %d: %s" % (rc, err.strip()[:2000])
    assert isinstance(data, list), "exposured scan printed no JSON array: %r" % out[:300]
    return data


def _compare_named(loaded, exposured, names, what, oracle_extra=(), scan_extra=()):
    c = loaded.c
    rc, theirs, err = oracle.analyze_named(c, names, extra=oracle_extra)
    assert rc == 0 and len(theirs) == len(names), \
        "oracle failed on %s (rc %d, %d of %d reports): %s" % (what, rc, len(theirs),
                                                               len(names), err[:1000])
    rc, ours, out, err = oracle.scan(exposured, c, names, extra=scan_extra)
    assert rc == 0, "exposured scan exited %d: %s" % (rc, err.strip()[:2000])
    assert isinstance(ours, list), "exposured scan printed no JSON array: %r" % out[:300]
    diffs = oracle.compare_reports(_label(c, what), theirs, ours,
                                   has_json_field=c.version >= oracle.JSON_MIN_VERSION)
    # The "oneshot" flag of our output against the Type= the generator wrote (other units:
    # see test_all_flag).
    for n, o in zip(names, ours):
        if isinstance(o, dict) and n in loaded.units.files and n.startswith(unitgen.PREFIX):
            want = n in loaded.units.oneshot
            if o.get("oneshot") is not want:
                diffs.add(n, "oneshot", None, o.get("oneshot"), want)
    SUMMARY.append("%s: %d units, %d checks compared, %d difference kinds"
                   % (diffs.label, diffs.n_units, diffs.n_checks, len(diffs.items)))
    assert not diffs, diffs.report()


def test_generated_units_load(loaded):
    """The generator's units load on this version (else they would test nothing), all of them
    are in memory for the no-argument listing, and the broken ones are broken."""
    r = loaded.c.run(["systemctl", "list-units", "--all", "--plain", "--no-legend",
                      "--type=service", unitgen.PREFIX + "*"])
    states = {}
    for line in r.stdout.splitlines():
        f = line.split()
        states[f[0]] = f[1]
    bad = {n: states.get(n) for n in loaded.units.wanted
           if states.get(n) != "loaded" and n not in loaded.units.errors}
    assert not bad, "generated units that are not loaded: %s" % bad
    err = {n: states.get(n) for n in loaded.units.errors if n in loaded.units.wanted}
    assert err and all(v != "loaded" for v in err.values()), err


def test_generated_units(loaded, exposured):
    """Every generated unit (plus templates and an alias, named as such), scored by name."""
    us = loaded.units
    _compare_named(loaded, exposured, us.loadable + us.named_extra, "generated units")


def test_started_units(loaded, exposured):
    """Units that were started (running, exited, failed) score like the oracle says."""
    st = loaded.show(loaded.units.start, ("ActiveState",))
    assert any(v["ActiveState"] == "active" for v in st.values()), st
    _compare_named(loaded, exposured, loaded.units.start, "started units")


def test_shipped_units(loaded, exposured):
    """Every service unit file the container's systemd ships (templates and aliases too)."""
    c = loaded.c
    names = sorted(set(c.list_files("/lib/systemd/system", ".service")) |
                   set(c.list_files("/usr/lib/systemd/system", ".service")))
    assert len(names) > 20, names
    st = loaded.show([loaded.template_instance(n) for n in names], ("LoadState",))
    good = [n for n in names if st[loaded.template_instance(n)].get("LoadState") == "loaded"]
    bad = [n for n in names if n not in good]
    _compare_named(loaded, exposured, good, "shipped units (%d)" % len(good))
    wrong = []
    for n in bad:
        rc, _reports, _err = oracle.analyze_named(c, [n])
        our_rc, _data, _out, our_err = oracle.scan(exposured, c, [n])
        if rc != 1 or our_rc != 1:
            wrong.append("%s: systemd-analyze rc %d, exposured rc %d %s" % (n, rc, our_rc,
                                                                            our_err.strip()))
    oracle.SUMMARY.append("%s: %d shipped units fail to load, refused by both: %d"
                          % (_label(c, "shipped units"), len(bad), len(bad) - len(wrong)))
    assert not wrong, "shipped units that fail to load:\n" + "\n".join(wrong)


def test_no_arguments(loaded, exposured):
    """`scan` with no unit lists the same units, in the same order, with the same scores as
    `systemd-analyze security` with no unit. Retried when the set of units in memory changed
    between the two runs (a unit garbage-collected or activated meanwhile)."""
    c = loaded.c
    for _attempt in range(3):
        rc, theirs, err = oracle.analyze_all(c)
        assert rc == 0, err
        ours = _scan_ok(exposured, c, [])
        their_units = [t["unit"] for t in theirs]
        our_units = [o.get("unit") if isinstance(o, dict) else o for o in ours]
        if our_units == their_units:
            break
    loaded.plain_scan = ours
    assert len(their_units) > len(loaded.units.wanted) // 2
    if our_units != their_units:
        missing = [u for u in their_units if u not in our_units]
        extra = [u for u in our_units if u not in their_units]
        order = not missing and not extra
        pytest.fail("%s: unit lists differ: %d missing %s, %d extra %s%s"
                    % (_label(c, "no-argument scan"), len(missing), missing[:15], len(extra),
                       extra[:15], " (same units, different order)" if order else ""))
    diffs = oracle.Differences(_label(c, "no-argument scan"))
    for t, o in zip(theirs, ours):
        diffs.n_units += 1
        exp = o.get("exposure")
        if oracle._jtype(exp) != "number" or abs(exp - float(t["exposure"])) > 1e-9:
            diffs.add(t["unit"], "exposure", None, exp, t["exposure"])
        if o.get("predicate") != t["predicate"]:
            diffs.add(t["unit"], "predicate", None, o.get("predicate"), t["predicate"])
        if o.get("oneshot") is not False:
            diffs.add(t["unit"], "oneshot", None, o.get("oneshot"), False)
    SUMMARY.append("%s: %d units compared, %d difference kinds"
                   % (diffs.label, diffs.n_units, len(diffs.items)))
    assert not diffs, diffs.report()


def test_all_flag(loaded, exposured):
    """`scan --all` adds exactly the loaded oneshot services, marked "oneshot": true, and keeps
    every unit of the plain listing, with the same scores."""
    c = loaded.c
    plain = loaded.plain_scan or _scan_ok(exposured, c, [])
    rc, data, out, err = oracle.scan(exposured, c, [], extra=["--all"])
    assert rc == 0, err
    assert isinstance(data, list), out[:300]
    by_unit = {o.get("unit"): o for o in data}
    missing = [o["unit"] for o in plain if o["unit"] not in by_unit]
    assert not missing, "scan --all lacks %s" % missing[:20]
    changed = [o["unit"] for o in plain if by_unit[o["unit"]] != o]
    assert not changed, "scan --all reports differently: %s" % changed[:20]
    plain_units = {o["unit"] for o in plain}
    extra = {u: o for u, o in by_unit.items() if u not in plain_units}
    not_oneshot = [u for u, o in extra.items() if o.get("oneshot") is not True]
    assert not not_oneshot, "scan --all adds non-oneshot units: %s" % not_oneshot[:20]
    want = {u for u in loaded.units.oneshot if u in loaded.units.wanted}
    assert want <= set(extra), "scan --all lacks oneshot units %s" % sorted(want - set(extra))[:20]


def _error_cases():
    return sorted(unitgen.generate(252).errors.items())


@pytest.mark.parametrize("unit,why", _error_cases(), ids=[n for n, _ in _error_cases()])
def test_errors(loaded, exposured, unit, why):
    """Both tools refuse a unit that is masked, missing, broken or not a service: exit 1, one
    line on stderr, and the same when the bad unit is named between two good ones."""
    c = loaded.c
    good = unitgen.PREFIX + "hardened.service"
    for names in ([unit], [good, unit, good]):
        rc, _reports, err = oracle.analyze_named(c, names)
        assert rc == 1, "systemd-analyze accepted %s (%s): %s" % (names, why, err)
        our_rc, _data, out, our_err = oracle.scan(exposured, c, names)
        assert our_rc == 1, "exposured scan %s (%s) exited %d, expected 1; stdout %r" % (
            names, why, our_rc, out[:200])
        lines = our_err.strip().splitlines()
        assert len(lines) == 1, "expected one line on stderr, got %r" % our_err
        assert unit in lines[0] or unit.rsplit(".", 1)[0] in lines[0], lines[0]


def test_scan_no_bus(exposured, tmp_path):
    """Without a reachable bus, scan fails cleanly: exit 1, one line on stderr."""
    env = dict(os.environ)
    env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=%s/no-such-socket" % tmp_path
    r = subprocess.run([exposured, "scan", "--json"], env=env, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL, encoding="utf-8", errors="replace", check=False)
    assert r.returncode == 1, (r.returncode, r.stdout[:200], r.stderr[:200])
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# A --security-policy that exercises every kind of override: weights (0 excludes the check),
# ranges, the three descriptions (description_bad is chosen by the table's range, not the
# overridden one), the json_field with systemd's stray ")", and what systemd ignores: unknown
# fields, unknown keys, values of the wrong type.
POLICY = {
    "PrivateNetwork": {"weight": 5000, "description_bad": "xt: shares the host network",
                       "description_good": "xt: own network"},
    "UserOrDynamicUser": {"weight": 0},
    "UMask": {"range": 20},
    "ProtectProc": {"description_good": "xt: /proc hidden", "weight": 10},
    "SupplementaryGroups": {"description_na": "xt: n/a (root)"},
    "PrivateTmp": {"description_na": "xt: boot phase", "weight": 2000},
    "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)": {"weight": 3000},
    "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW": {"weight": 0},
    "SystemCallFilter_swap": {"weight": "abc", "range": -1},
    "RestrictNamespaces_user": {"weight": 1, "range": 4, "xt_unknown": 1},
    "IPAddressDeny": {"range": 100, "description_bad": "xt: IP reachable"},
    "DeviceAllow": 5,
    "RootDirectoryOrRootImage": {"weight": 0, "description_na": "xt: never shown"},
    "NoSuchCheck": {"weight": 7},
}


def _policy_units(loaded):
    us = loaded.units
    picks = [n for n in us.loadable if any(k in n for k in (
        "-user-", "-nodd", "-umask-", "-ip-", "-proc-", "-root-", "-cap-not-cap-net", "hardened",
        "-ns-only-user", "-dev-"))]
    return picks + us.loadable[::7]


def test_security_policy(loaded, exposured):
    """The same --security-policy file given to both tools (systemd >= 250 reads one)."""
    c = loaded.c
    if c.version < oracle.JSON_MIN_VERSION:
        pytest.skip("systemd %d has no --security-policy" % c.version)
    path = "/run/xt-policy.json"
    with open(c.path(path), "w", encoding="utf-8") as f:
        json.dump(POLICY, f, indent=1)
    _compare_named(loaded, exposured, _policy_units(loaded), "with --security-policy",
                   oracle_extra=["--security-policy=" + path],
                   scan_extra=["--security-policy=" + c.path(path)])


def test_threshold(loaded, exposured):
    """--threshold=N: the same exit status as systemd-analyze, for named units and for the
    no-argument listing (systemd >= 250 has the option)."""
    c = loaded.c
    if c.version < oracle.JSON_MIN_VERSION:
        pytest.skip("systemd %d has no --threshold" % c.version)
    p = unitgen.PREFIX
    sets = [[p + "hardened.service"], [p + "user-default.service"],
            [p + "hardened.service", p + "random-000.service", p + "user-user-daemon.service"]]
    wrong = []
    seen = set()
    for n in (0, 1, 5, 10, 50, 84, 96, 100):
        for names in sets + ([[]] if n in (50, 100) else []):
            extra = ["--threshold=%d" % n]
            if names:
                rc, _r, err = oracle.analyze_named(c, names, extra=extra)
            else:
                rc, _r, err = oracle.analyze_all(c, extra=extra)
            our_rc, _d, _out, our_err = oracle.scan(exposured, c, names, extra=extra)
            seen.add(rc)
            if rc != our_rc:
                wrong.append("--threshold=%d %s: systemd-analyze %d, exposured %d %s"
                             % (n, names or "(all)", rc, our_rc, our_err.strip()[:200]))
    assert not wrong, "\n".join(wrong)
    assert seen == {0, 1}, "the thresholds should both pass and fail some units: %s" % seen


# The table each suite's systemd is scored with (score-table.c), all verified live. A point
# release that moves a suite into another table shows here first.
SUITE_TABLES = {247: "247.0-247.7", 252: "252.28+", 254: "254.15+", 257: "256.2-261", 262: "262+"}


def _stats(exposured, c, args):
    r = subprocess.run([exposured, "scan", "--stats"] + list(args), env=c.host_env(),
                       capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
                       encoding="utf-8", errors="replace", check=False)
    return r.returncode, r.stderr


def test_table_reported(container, exposured, tmp_path):
    """scan --stats, the daemon's /api/v1/status and /metrics name the table that scored the host
    and say it was verified live; a version newer than every table gets the newest one, flagged."""
    import daemon_fixtures as F

    c = container
    version = c.run(["systemctl", "show", "-p", "Version", "--value"]).stdout.strip()
    release = ".".join(version.split("-")[0].split("~")[0].split(".")[:2])
    if "." not in release:
        release += ".0"
    table = SUITE_TABLES[c.version]

    rc, err = _stats(exposured, c, ["systemd-journald.service"])
    assert rc in (0, 1), err
    assert "systemd %s (table %s, checked: live)" % (version, table) in err, err

    rc, err = _stats(exposured, c, ["--systemd-version=263.1", "systemd-journald.service"])
    assert rc in (0, 1), err
    assert "(table 262+, checked: newer)" in err, err
    assert "systemd 263.1 is newer than every scoring table: scoring with the table for 262+" \
        in err, err

    d = F.HostDaemon(c, exposured, str(tmp_path / "exposured.db"))
    d.start(str(tmp_path / "daemon.log"))
    try:
        st = F.wait_for(lambda: (d.api.status() or {}).get("score_table"), 60,
                        "a score_table in /api/v1/status")
        assert st == {"release": release, "table": table, "checked": "live",
                      "verified_live": True}, st
        m = d.api.metrics()
        key = 'exposured_score_table_info{release="%s",table="%s",checked="live"}' % (release,
                                                                                      table)
        assert m.get(key) == "1", sorted(k for k in m if "score_table" in k)
    finally:
        d.stop()
