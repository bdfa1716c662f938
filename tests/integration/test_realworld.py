# SPDX-License-Identifier: MIT
"""`exposured scan` against `systemd-analyze security` on unit files written by other people.

tests/realworld/units/ holds a few hundred service units taken from public repositories and
Debian packages (tests/realworld/SOURCES.md says where each one comes from, at which commit, under
which licence, and how it was made loadable). Every file is installed into each container under
its own name (rw-ORIGIN-NAME.service), so nothing clashes with the container's own units. Those
that load are scored by both tools in one batch each, compared per unit and per check on every
field (oracle.py); those that do not load must be refused by both, exit 1. The set of units that
does not load is pinned per version, so a file that silently stops loading (and so stops being
compared) fails the test instead of shrinking it.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS_DIR = os.path.join(TOP, "tests", "realworld", "units")

# Units that do not load: refused by systemd on every version (the reason is in SOURCES.md), and
# more by systemd version. Kept in the set so that the "not loaded" handling is compared too.
NOT_LOADED_ALL = {
    "rw-kicksecure-block-shutdown.service",     # no ExecStart=
    "rw-stephan13360-example-systemd.service",  # no ExecStart=
}
NOT_LOADED_BY_VERSION = {}


def _not_loaded(version):
    return sorted(NOT_LOADED_ALL | NOT_LOADED_BY_VERSION.get(version, set()))


def _files():
    names = sorted(n for n in os.listdir(UNITS_DIR) if n.endswith(".service"))
    out = {}
    for n in names:
        with open(os.path.join(UNITS_DIR, n), encoding="utf-8") as f:
            out[n] = f.read()
    return out


class RealWorld:
    def __init__(self, container, files):
        self.c = container
        self.files = files
        self.instance = None

    def instance_of(self, name):
        """The instance systemd-analyze substitutes for a template (version dependent)."""
        if not name.endswith("@.service"):
            return name
        if self.instance is None:
            rc, reports, err = oracle.analyze_named(self.c, ["rw-systemd-getty@.service"])
            assert rc == 0 and len(reports) == 1, err
            unit = reports[0]["unit"]
            self.instance = unit[unit.index("@") + 1:-len(".service")]
        return name[:-len("@.service")] + "@" + self.instance + ".service"

    def load_states(self):
        """{file name: LoadState} from systemctl show, in batches."""
        names = sorted(self.files)
        out = {}
        for i in range(0, len(names), 200):
            batch = names[i:i + 200]
            r = self.c.run(["systemctl", "show", "-p", "LoadState", "--"] +
                           [self.instance_of(n) for n in batch])
            blocks = r.stdout.rstrip("\n").split("\n\n")
            assert len(blocks) == len(batch), "systemctl show: %d blocks for %d units" % (
                len(blocks), len(batch))
            for n, b in zip(batch, blocks):
                out[n] = b.strip().split("=", 1)[-1]
        return out


@pytest.fixture(scope="module")
def realworld(container):
    """The container with every real-world unit installed, removed again at the end."""
    files = _files()
    container.install_units(files)
    try:
        yield RealWorld(container, files)
    finally:
        container.remove_units(list(files))


def _label(c, what):
    return "systemd %d (%s) %s" % (c.version, c.suite, what)


def test_realworld_corpus():
    """The corpus is what SOURCES.md says: a few hundred service units, every one listed."""
    files = _files()
    assert 200 <= len(files) <= 500, len(files)
    with open(os.path.join(TOP, "tests", "realworld", "SOURCES.md"), encoding="utf-8") as f:
        sources = f.read()
    unlisted = [n for n in files if "`%s`" % n not in sources]
    assert not unlisted, "files not listed in SOURCES.md: %s" % unlisted[:20]
    for n, text in files.items():
        assert n.startswith("rw-") and "[Service]" in text, n


def test_realworld_units(realworld, exposured):
    """Every real-world unit that loads scores exactly as systemd-analyze scores it: one batch
    per tool, every check, every field."""
    c = realworld.c
    states = realworld.load_states()
    good = sorted(n for n, s in states.items() if s == "loaded")
    bad = sorted(n for n, s in states.items() if s != "loaded")
    rc, theirs, err = oracle.analyze_named(c, good)
    assert rc == 0 and len(theirs) == len(good), \
        "oracle failed (rc %d, %d of %d reports): %s" % (rc, len(theirs), len(good), err[:1000])
    rc, ours, out, err = oracle.scan(exposured, c, good)
    assert rc == 0, "exposured scan exited %d: %s" % (rc, err.strip()[:2000])
    assert isinstance(ours, list), "exposured scan printed no JSON array: %r" % out[:300]
    diffs = oracle.compare_reports(_label(c, "real-world units"), theirs, ours,
                                   has_json_field=c.version >= oracle.JSON_MIN_VERSION)
    oracle.SUMMARY.append("%s: %d units, %d checks compared, %d difference kinds; %d not loaded"
                          % (diffs.label, diffs.n_units, diffs.n_checks, len(diffs.items),
                             len(bad)))
    assert not diffs, diffs.report()
    assert bad == _not_loaded(c.version), \
        "units not loaded on %d: %s" % (c.version, {n: states[n] for n in bad})


def test_realworld_not_loaded(realworld, exposured):
    """A real-world unit that does not load is refused by both tools: exit 1."""
    c = realworld.c
    wrong = []
    for n in _not_loaded(c.version):
        rc, _reports, _err = oracle.analyze_named(c, [n])
        our_rc, _data, _out, our_err = oracle.scan(exposured, c, [n])
        if rc != 1 or our_rc != 1:
            wrong.append("%s: systemd-analyze rc %d, exposured rc %d %s"
                         % (n, rc, our_rc, our_err.strip()))
    assert not wrong, "\n".join(wrong)
