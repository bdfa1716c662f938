# SPDX-License-Identifier: MIT
"""The real daemon over HTTP against a real systemd: /metrics and /api/v1/units agree with
`systemd-analyze security` (online, in the container) for every service; promtool lints the text
format and prometheus_client's strict parser the OpenMetrics one; hostile requests get the right
status and the daemon serves on.
"""

import os
import re
import shutil
import socket
import subprocess

import pytest

import oracle

pytest.register_assert_rewrite("web_fixtures")
from web_fixtures import (ESCAPED_UNIT, MARKUP, MARKUP_UNIT, TEST_UNITS,  # noqa: E402
                          oracle_overview, quote_unit)

pytest_plugins = ["web_fixtures"]

CHECK_OPENMETRICS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                 "prometheus", "check-openmetrics.py")
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"

SAMPLE_RE = re.compile(r'^(\w+)\{(.*)\} (\S+)$')
LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def unescape_label(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_metrics(text):
    """{(family, frozenset(labels.items())): value} of the labelled samples."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE_RE.match(line)
        if not m:
            continue
        labels = {k: unescape_label(v) for k, v in LABEL_RE.findall(m.group(2))}
        out[(m.group(1), frozenset(labels.items()))] = m.group(3)
    return out


def unit_samples(metrics, family, key="unit"):
    res = {}
    for (fam, labels), value in metrics.items():
        if fam == family:
            d = dict(labels)
            res[d[key]] = (d, value)
    return res


def fmt(x):
    return "%.1f" % x


def oracle_for(container, units):
    """{unit: (exposure, predicate)} from systemd-analyze security: the overview (every loaded
    service), plus the named form for services the daemon knows that the overview leaves out
    (loaded-but-not-listed ones such as never-started units)."""
    want = oracle_overview(container)
    rest = sorted(set(units) - set(want))
    if rest:
        rc, reports, err = oracle.analyze_named(container, rest)
        for r in reports:
            want[r["unit"]] = (r["exposure"], r["predicate"])
    return want


def test_api_and_metrics_equal_oracle(daemon, web_container):
    api = {u["unit"]: u for u in daemon.get("/api/v1/units").json()["units"]}
    overview = oracle_overview(web_container)
    for u in TEST_UNITS:
        assert u in overview, "test unit %s not loaded in the container" % u
    # Every service systemd-analyze lists is served ...
    missing = sorted(set(overview) - set(api))
    assert not missing, "services the oracle lists but the API does not: %s" % missing
    want = oracle_for(web_container, api)
    # ... and every service served is scored exactly as systemd-analyze scores it.
    no_oracle = sorted(set(api) - set(want))
    assert not no_oracle, "no oracle answer for %s" % no_oracle
    diffs = ["%s: api %s %s, oracle %s %s" % (u, fmt(a["exposure"]), a["predicate"], *want[u])
             for u, a in sorted(api.items())
             if (fmt(a["exposure"]), a["predicate"]) != want[u]]
    assert not diffs, "\n".join(diffs)
    assert api[MARKUP_UNIT]["description"] == MARKUP

    for accept in (None, OPENMETRICS):
        r = daemon.get("/metrics", headers={"Accept": accept} if accept else None)
        assert r.status == 200
        m = parse_metrics(r.text)
        exp = unit_samples(m, "exposured_unit_exposure")
        pred = unit_samples(m, "exposured_unit_predicate")
        assert set(exp) == set(api), "metrics units differ from the API"
        assert set(pred) == set(api)
        diffs = []
        for u, (exposure, predicate) in want.items():
            if u not in api:
                continue
            got_e = fmt(float(exp[u][1]))
            got_p = pred[u][0]["predicate"]
            if (got_e, got_p) != (exposure, predicate) or pred[u][1] != "1":
                diffs.append("%s: metrics %s %s, oracle %s %s" % (u, got_e, got_p, exposure,
                                                                   predicate))
        assert not diffs, "%s:\n%s" % (accept or "text", "\n".join(diffs))
        assert ESCAPED_UNIT in exp
    oracle.SUMMARY.append("http: %d services, API and /metrics equal systemd-analyze security"
                          % len(api))


def test_promtool_check_metrics(daemon):
    """promtool lints the Prometheus text format (0.0.4). promtool 2.42 (Debian 12) only parses
    that format; OpenMetrics is checked by test_openmetrics_strict_parser and by the real
    Prometheus scrape in test_prometheus.py (which negotiates OpenMetrics)."""
    if shutil.which("promtool") is None:
        pytest.skip("promtool not installed (apt-get install prometheus)")
    r = daemon.get("/metrics")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    p = subprocess.run(["promtool", "check", "metrics"], input=r.body, capture_output=True,
                       timeout=60, check=False)
    # promtool exits 0 when clean; lint findings are printed and make it exit 3.
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        (p.returncode, p.stdout.decode()[:2000], p.stderr.decode()[:2000])


def test_openmetrics_strict_parser(daemon):
    r = daemon.get("/metrics", headers={"Accept": OPENMETRICS})
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.endswith("# EOF\n")
    p = subprocess.run([CHECK_OPENMETRICS], input=r.body, capture_output=True, timeout=60,
                       check=False)
    if p.returncode == 77:
        pytest.skip(p.stderr.decode().strip())
    assert p.returncode == 0, p.stderr.decode()[:2000]
    # And the same samples as the text format.
    text = parse_metrics(daemon.get("/metrics").text)
    om = parse_metrics(r.text)
    for fam in ("exposured_unit_exposure", "exposured_unit_predicate",
                "exposured_unit_failed_checks", "exposured_regressions_total"):
        assert unit_samples(text, fam) == unit_samples(om, fam), fam


def test_unit_detail_and_history(daemon):
    for u in TEST_UNITS:
        r = daemon.get("/api/v1/units/" + quote_unit(u))
        assert r.status == 200, (u, r.body[:200])
        d = r.json()
        assert d["unit"] == u and d["checks"]
        h = daemon.get("/api/v1/units/%s/history" % quote_unit(u)).json()
        assert h["unit"] == u and h["count"] >= 1
        assert h["history"][0]["exposure"] == d["exposure"]


# -- hostile requests ------------------------------------------------------------------------

def raw(daemon, data, timeout=10):
    """Send raw bytes, return (status, headers text, body) of the answer (status None if the
    connection was closed without one)."""
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if b"\r\n\r\n" in buf and b"Connection: close" not in buf and \
                        len(buf) > 16 and _complete(buf):
                    break
        except (ConnectionResetError, socket.timeout):
            pass
    if not buf.startswith(b"HTTP/1."):
        return None, "", b""
    head, _, body = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def _complete(buf):
    head, _, body = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    return m is not None and len(body) >= int(m.group(1))


def get_raw(daemon, target, extra=b""):
    return raw(daemon, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               + extra + b"Connection: close\r\n\r\n")


TRAVERSALS = [
    b"/static/../../etc/passwd",
    b"/static/../../../../../../etc/passwd",
    b"/static/%2e%2e/%2e%2e/etc/passwd",
    b"/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    b"/static/%252e%252e/%252e%252e/etc/passwd",
    b"/static/..%2f..%2fetc%2fpasswd",
    b"/static/..%5c..%5cetc%5cpasswd",
    b"/static/style.css/../../../etc/passwd",
    b"/units/..%2f..%2f..%2fetc%2fpasswd",
    b"/api/v1/units/..%2f..%2fetc%2fpasswd",
    b"/api/v1/units/%2e%2e%2f%2e%2e%2fetc%2fpasswd/history",
    b"/static/%00style.css",
    b"//etc/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_path_traversal(daemon, target):
    status, head, body = get_raw(daemon, target)
    # No path is normalised or mapped to a file: an unknown name is 404, a NUL byte 400.
    assert status == (400 if b"%00" in target else 404), (status, body[:200])
    assert b"root:" not in body
    assert_serves_on(daemon)


def assert_serves_on(daemon):
    assert daemon.alive(), "daemon died:\n" + daemon.log()
    r = daemon.get("/api/v1/status")
    assert r.status == 200
    r = daemon.get("/static/style.css")
    assert r.status == 200


def test_huge_url(daemon):
    status, head, body = get_raw(daemon, b"/api/v1/units/" + b"a" * 100 * 1024)
    assert status == 414, status
    status, _, _ = get_raw(daemon, b"/metrics?" + b"x" * 100 * 1024)
    assert status == 414, status
    # Under libmicrohttpd's limit but over ours.
    status, _, body = get_raw(daemon, b"/units/" + b"b" * 2000)
    assert status == 414, status
    assert_serves_on(daemon)


def test_oversized_headers(daemon):
    status, _, _ = get_raw(daemon, b"/metrics", b"X-Big: " + b"y" * 64 * 1024 + b"\r\n")
    assert status == 431, status
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"z" * 100) for i in range(500))
    status, _, _ = get_raw(daemon, b"/metrics", many)
    assert status == 431, status
    assert_serves_on(daemon)


@pytest.mark.parametrize("unit", ["nope.service", "no\\x2dsuch@x.service", "x" * 200,
                                  "<script>.service"])
def test_unknown_unit_404_json(daemon, unit):
    for path in ("/api/v1/units/%s", "/api/v1/units/%s/history"):
        r = daemon.get(path % quote_unit(unit))
        assert r.status == 404, (path, r.status)
        assert r.headers["Content-Type"].startswith("application/json")
        assert "error" in r.json()
    r = daemon.get("/units/" + quote_unit(unit))
    assert r.status == 404
    assert b"<script>" not in r.body
    assert_serves_on(daemon)


BAD_QUERIES = [
    "/api/v1/events?limit=0",
    "/api/v1/events?limit=1001",
    "/api/v1/events?limit=abc",
    "/api/v1/events?limit=-1",
    "/api/v1/events?limit=99999999999999999999999",
    "/api/v1/events?since=yesterday",
    "/api/v1/events?since=2026-13-45T99:99:99Z",
    "/api/v1/events?kind=bogus",
    "/api/v1/events?bogus=1",
    "/api/v1/events?limit=1&limit=2",
    "/api/v1/events?unit=%00",
    "/api/v1/events?unit=%zz",
    "/api/v1/units?foo=bar",
    "/api/v1/units?limit=0",
    "/api/v1/units?limit=5001",
    "/api/v1/units?limit=abc",
    "/api/v1/units?limit=",
    "/api/v1/units?limit=-1",
    "/api/v1/units?cursor=",
    "/api/v1/units?cursor=not%20a%20unit",
    "/api/v1/units?cursor=%2Fetc%2Fpasswd",
    "/api/v1/units?limit=1&limit=2",
    "/?page=0",
    "/?page=x",
    "/?page=-1",
    "/?limit=0",
    "/?limit=1001",
    "/api/v1/units/web-weak.service/history?until=nope",
    "/api/v1/units/web-weak.service/history?limit=",
    "/?sort=evil",
    "/?predicate=NOTONE",
    "/?q=" + "a" * 201,
]


@pytest.mark.parametrize("path", BAD_QUERIES)
def test_bad_query_400(daemon, path):
    r = daemon.get(path)
    assert r.status == 400, (r.status, r.body[:200])
    if path.startswith("/api/"):
        assert "error" in r.json()
    assert_serves_on(daemon)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/metrics", "/api/v1/units", "/", "/static/style.css"])
def test_methods_405(daemon, method, path):
    r = daemon.get(path, method=method)
    assert r.status == 405, r.status
    assert r.headers["Allow"] == "GET, HEAD"
    assert_serves_on(daemon)


def test_post_with_body_and_garbage(daemon):
    status, head, _ = raw(daemon, b"POST /api/v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert status == 405 and "Allow: GET, HEAD" in head
    status, _, _ = raw(daemon, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 200)
    assert status in (None, 400)
    status, _, _ = raw(daemon, b"GET /metrics HTTP/9.9\r\n\r\n")
    assert status == 505
    assert_serves_on(daemon)


def units_page(daemon, limit, cursor=None):
    path = "/api/v1/units?limit=%d" % limit
    if cursor is not None:
        path += "&cursor=" + quote_unit(cursor)
    r = daemon.get(path)
    assert r.status == 200, (r.status, r.body[:200])
    return r.json()


def test_units_pages_by_cursor(daemon):
    """/api/v1/units?limit=&cursor=: pages in unit-name order that add up to the whole list
    exactly once; next_cursor is the last name of a page and null on the last one; a cursor
    naming no unit (one that left) continues after that name."""
    whole = daemon.get("/api/v1/units").json()
    names = [u["unit"] for u in whole["units"]]
    assert names == sorted(names) and len(names) > 20
    assert whole["next_cursor"] is None and whole["count"] == len(names)

    seen, cursor, pages = [], None, 0
    while True:
        j = units_page(daemon, 7, cursor)
        assert 1 <= len(j["units"]) <= 7 and j["count"] == len(names)
        seen += [u["unit"] for u in j["units"]]
        pages += 1
        cursor = j["next_cursor"]
        if cursor is None:
            break
        assert cursor == seen[-1]
    assert seen == names
    assert pages == (len(names) + 6) // 7

    # The units after a name that is not (or no longer) loaded: byte order, as the daemon's.
    gone = "web-gone.service"
    j = units_page(daemon, 3, gone)
    assert [u["unit"] for u in j["units"]] == [n for n in names if n > gone][:3]
    # The escaped template instance as a cursor (percent-encoded backslash) and the last name.
    j = units_page(daemon, 2, ESCAPED_UNIT)
    assert [u["unit"] for u in j["units"]] == [n for n in names if n > ESCAPED_UNIT][:2]
    j = units_page(daemon, 5, names[-1])
    assert j["units"] == [] and j["next_cursor"] is None
    # The largest page holds them all.
    j = units_page(daemon, 5000)
    assert [u["unit"] for u in j["units"]] == names and j["next_cursor"] is None
