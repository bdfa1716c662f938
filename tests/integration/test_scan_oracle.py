# SPDX-License-Identifier: MIT
"""`exposured scan` against the oracle, `systemd-analyze security`, on every systemd version.

For each container: load the generated test units (unitgen.py), score them with the oracle inside
the container and with `exposured scan --json` on the host over the container's bus, and compare
per unit (exposure, predicate) and per check (set, exposure, description, json_field, and the
weight/badness/range systemd prints in debug mode), by value and JSON type. The same for every
service unit the container's systemd ships, for the no-argument listing, and for the errors.
A difference is reported aggregated: which field of which check, how often, three examples.
"""

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
        self.props = {}
        self.instance = None

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


@pytest.fixture(scope="session")
def loaded(container):
    us = unitgen.generate(container.version)
    container.install_units(us.files)
    for u in us.start:
        container.run(["systemctl", "start", u], check=False, timeout=60)
    return Loaded(container, us)


def _label(c, what):
    return "systemd %d (%s) %s" % (c.version, c.suite, what)


def _scan_ok(exposured, c, units):
    rc, data, out, err = oracle.scan(exposured, c, units)
    assert rc == 0, "exposured scan exited %d: %s" % (rc, err.strip()[:2000])
    assert isinstance(data, list), "exposured scan printed no JSON array: %r" % out[:300]
    return data


def _compare_named(loaded, exposured, names, what):
    c = loaded.c
    rc, theirs, err = oracle.analyze_named(c, names)
    assert rc == 0 and len(theirs) == len(names), \
        "oracle failed on %s (rc %d, %d of %d reports): %s" % (what, rc, len(theirs),
                                                               len(names), err[:1000])
    ours = _scan_ok(exposured, c, names)
    diffs = oracle.compare_reports(_label(c, what), theirs, ours,
                                   has_json_field=c.version >= oracle.JSON_MIN_VERSION)
    # The "oneshot" flag of our output against the unit's Type.
    types = loaded.show([loaded.template_instance(n) for n in names], ("Type",))
    for n, o in zip(names, ours):
        if isinstance(o, dict):
            want = types[loaded.template_instance(n)].get("Type") == "oneshot"
            if o.get("oneshot") is not want:
                diffs.add(n, "oneshot", None, o.get("oneshot"), want)
    SUMMARY.append("%s: %d units, %d checks compared, %d difference kinds"
                   % (diffs.label, diffs.n_units, diffs.n_checks, len(diffs.items)))
    assert not diffs, diffs.report()


def test_generated_units_load(loaded):
    """The generator's units load on this version (else they would test nothing)."""
    names = loaded.units.loadable
    st = loaded.show(names, ("LoadState",))
    bad = {n: st[n].get("LoadState") for n in names if st[n].get("LoadState") != "loaded"}
    assert not bad, "generated units that do not load: %s" % bad
    err = loaded.show(list(n for n in loaded.units.errors if n.endswith(".service")),
                      ("LoadState",))
    assert all(v.get("LoadState") != "loaded" for v in err.values()), err


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
    assert not wrong, "shipped units that fail to load:\n" + "\n".join(wrong)


def test_no_arguments(loaded, exposured):
    """`scan` with no unit lists the same units, in the same order, with the same scores as
    `systemd-analyze security` with no unit. Retried when the set of units in memory changed
    between the two runs (a unit garbage-collected or activated meanwhile)."""
    c = loaded.c
    for attempt in range(3):
        rc, theirs, err = oracle.analyze_all(c)
        assert rc == 0, err
        ours = _scan_ok(exposured, c, [])
        rc2, theirs2, _ = oracle.analyze_all(c)
        if [t["unit"] for t in theirs] == [t["unit"] for t in theirs2]:
            break
    their_units = [t["unit"] for t in theirs]
    our_units = [o.get("unit") if isinstance(o, dict) else o for o in ours]
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
    SUMMARY.append("%s: %d units compared, %d difference kinds"
                   % (diffs.label, diffs.n_units, len(diffs.items)))
    assert not diffs, diffs.report()


def test_all_flag(loaded, exposured):
    """`scan --all` includes every unit of the plain listing, with the same scores."""
    c = loaded.c
    plain = _scan_ok(exposured, c, [])
    rc, data, out, err = oracle.scan(exposured, c, [], extra=["--all"])
    assert rc == 0, err
    assert isinstance(data, list), out[:300]
    by_unit = {o.get("unit"): o for o in data}
    missing = [o["unit"] for o in plain if o["unit"] not in by_unit]
    assert not missing, "scan --all lacks %s" % missing[:20]
    changed = [o["unit"] for o in plain if by_unit[o["unit"]].get("exposure") != o["exposure"]]
    assert not changed, "scan --all scores differently: %s" % changed[:20]


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
