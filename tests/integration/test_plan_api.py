# SPDX-License-Identifier: MIT
"""/api/v1/units/{unit}/plan takes max_risk=, target= and steps= like `exposured suggest`.

The real daemon on the host watches the host-systemd container of web_fixtures; for each set of
parameters the API's plan must be the plan `exposured suggest --json --no-runtime` (the same
planner, over the same bus) prints with the matching options: the same lines with the same
exposures and risks. Bad values get a 400 JSON error that names the parameter.
"""

import json
import subprocess

import pytest

pytest.register_assert_rewrite("web_fixtures")
from web_fixtures import WEAK_UNIT, quote_unit  # noqa: E402

pytest_plugins = ["web_fixtures"]


def cli_plan(exposured, c, args, unit):
    r = subprocess.run([exposured, "suggest", "--json", "--no-runtime"] + list(args) + [unit],
                       env=c.host_env(), capture_output=True, encoding="utf-8", timeout=60,
                       check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def api_plan(daemon, unit, query=""):
    r = daemon.get("/api/v1/units/%s/plan%s" % (quote_unit(unit), query))
    return r


def same(api, cli):
    key = [(s["line"], s["exposure"], s["risk"]) for s in api["steps"]]
    return key == [(s["line"], s["exposure"], s["risk"]) for s in cli["steps"]]


@pytest.mark.parametrize("query,args", [
    ("", []),
    ("?max_risk=safe", ["--max-risk=safe"]),
    ("?max_risk=breaks", ["--max-risk=breaks"]),
    ("?max_risk=may-break", ["--max-risk=may-break"]),
    ("?steps=2", ["--steps=2"]),
    ("?steps=1&max_risk=breaks", ["--steps=1", "--max-risk=breaks"]),
    ("?target=7.5", ["--target=7.5"]),
    ("?target=3&max_risk=safe", ["--target=3", "--max-risk=safe"]),
    ("?target=10.0", ["--target=10.0"]),
])
def test_plan_api_matches_cli(daemon, exposured, query, args):
    r = api_plan(daemon, WEAK_UNIT, query)
    assert r.status == 200, (query, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    api = r.json()
    cli = cli_plan(exposured, daemon.container, args, WEAK_UNIT)
    assert api["unit"] == WEAK_UNIT and api["exposure"] == cli["exposure"]
    assert same(api, cli), (query, api["steps"], cli["steps"])
    if "max_risk=" in query:
        assert api["max_risk"] == query.split("max_risk=")[1].split("&")[0]
    else:
        assert api["max_risk"] == "may-break"


def test_plan_api_options_take_effect(daemon):
    full = api_plan(daemon, WEAK_UNIT, "?max_risk=breaks").json()
    assert len(full["steps"]) > 5
    two = api_plan(daemon, WEAK_UNIT, "?max_risk=breaks&steps=2").json()
    assert len(two["steps"]) == 2
    safe = api_plan(daemon, WEAK_UNIT, "?max_risk=safe").json()
    assert safe["steps"] and all(s["risk"] == "safe" for s in safe["steps"])
    assert len(safe["steps"]) < len(full["steps"])
    # A target the plan reaches: it stops at the first step at or below it.
    t = api_plan(daemon, WEAK_UNIT, "?max_risk=breaks&target=8.0").json()
    ex = [float(s["exposure"]) for s in t["steps"]]
    assert ex[-1] <= 8.0 and all(e > 8.0 for e in ex[:-1]), ex
    assert len(t["steps"]) < len(full["steps"])
    # target=10.0: already there, an empty plan.
    assert api_plan(daemon, WEAK_UNIT, "?target=10.0").json()["steps"] == []


@pytest.mark.parametrize("query,param", [
    ("?max_risk=yolo", "max_risk"),
    ("?max_risk=", "max_risk"),
    ("?max_risk=SAFE", "max_risk"),
    ("?target=10.1", "target"),
    ("?target=-1", "target"),
    ("?target=abc", "target"),
    ("?target=5.55", "target"),
    ("?target=", "target"),
    ("?steps=0", "steps"),
    ("?steps=1001", "steps"),
    ("?steps=two", "steps"),
    ("?steps=-3", "steps"),
    ("?max_risk=safe&steps=0", "steps"),
])
def test_plan_api_bad_values(daemon, query, param):
    r = api_plan(daemon, WEAK_UNIT, query)
    assert r.status == 400, (query, r.status, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err.startswith(param + ":"), (query, err)


def test_plan_api_unknown_parameter_and_unit(daemon):
    r = api_plan(daemon, WEAK_UNIT, "?max-risk=safe")
    assert r.status == 400 and "unknown query argument" in r.json()["error"], r.text
    r = api_plan(daemon, "xt-no-such.service", "?max_risk=safe")
    assert r.status == 404 and r.json()["error"], r.text
    assert daemon.alive()
