# SPDX-License-Identifier: MIT
"""pytest fixtures for the integration tests: real systemd managers in throwaway containers.

`container` is session-scoped and parametrized over the systemd versions under test (ids v252,
v247, v254, v257, v262); `host_container` is the host's own systemd 252 only. Containers are booted on
first use, shared by every test of the session and powered off when the session ends (and by
containers.py's atexit/SIGTERM/PDEATHSIG hooks whatever happens). EXPOSURED_TEST_SUITES
(e.g. "host" or "host,sid") limits the versions; EXPOSURED is the binary under test.

Run as root: `make check-integration`, or by hand
    EXPOSURED=build/exposured EXPOSURED_TEST_SUITES=host \
        /usr/bin/python3 -m pytest -p no:cacheprovider -ra tests/integration -k oracle
Roots missing from /var/cache/exposured-tests/roots (EXPOSURED_TEST_ROOTS) are built with
debootstrap on first use (several minutes each); container logs go to /var/tmp/exposured-tests.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containers  # noqa: E402
import oracle  # noqa: E402
from daemon_fixtures import daemon_box  # noqa: E402,F401 (the daemon tests' container)

ALL_SUITES = ["host", "bullseye", "bookworm-backports", "trixie", "sid"]
SUITE_IDS = {s: "v%d" % containers.SUITES[s]["version"] for s in ALL_SUITES}


def _suites():
    want = os.environ.get("EXPOSURED_TEST_SUITES")
    if not want:
        return ALL_SUITES
    out = [s.strip() for s in want.split(",") if s.strip()]
    bad = [s for s in out if s not in containers.SUITES]
    if bad:
        raise pytest.UsageError("EXPOSURED_TEST_SUITES: unknown suite(s) %s; known: %s"
                                % (", ".join(bad), ", ".join(ALL_SUITES)))
    return out


class ContainerPool:
    """One booted container per suite, booted lazily, all powered off at the end."""

    def __init__(self):
        self.live = {}
        self.failed = {}

    def get(self, suite):
        reason = containers.skip_reason()
        if reason:
            pytest.skip(reason)
        if suite in self.failed:
            pytest.fail("container %s failed to boot earlier: %s" % (suite, self.failed[suite]))
        c = self.live.get(suite)
        if c is None:
            c = containers.Container(suite, containers.unique_name("xtest-" + suite))
            try:
                c.boot()
            except containers.ContainerError as e:
                self.failed[suite] = str(e)
                raise
            self.live[suite] = c
        return c

    def close(self):
        for c in self.live.values():
            c.poweroff()
        self.live.clear()


@pytest.fixture(scope="session")
def container_pool():
    pool = ContainerPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session", params=_suites(), ids=lambda s: SUITE_IDS.get(s, s))
def container(request, container_pool):
    """A booted systemd container of each version under test."""
    return container_pool.get(request.param)


@pytest.fixture(scope="session")
def host_container(container_pool):
    """The host's systemd (252) in a --volatile=yes container."""
    return container_pool.get("host")


@pytest.fixture(scope="session")
def exposured():
    """Path of the exposured binary under test ($EXPOSURED, else build/exposured)."""
    path = os.environ.get("EXPOSURED")
    if not path:
        top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.path.join(top, "build", "exposured")
    if not os.access(path, os.X_OK):
        pytest.fail("exposured binary not found at %s: run `make` or set EXPOSURED" % path)
    return path


def pytest_terminal_summary(terminalreporter):
    if oracle.SUMMARY:
        terminalreporter.section("oracle comparisons")
        for line in oracle.SUMMARY:
            terminalreporter.write_line(line)
