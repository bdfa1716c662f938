# SPDX-License-Identifier: MIT
"""The oracle: `systemd-analyze security`, run online inside a container, parsed into the same
shape as `exposured scan --json`, and the comparison of the two.

systemd >= 250 prints JSON (--json=short); 247 only prints text tables, which are parsed by
column position. SYSTEMD_ANALYZE_DEBUG=1 adds the weight, badness and range of every check in
both forms, so those are compared too. The per-unit details never name their unit and carry no
overall exposure; the overview table (printed when two or more units are named) does, in the
order the units were analyzed, so the oracle is always asked about at least two units.
Standard library only.
"""

import json
import re
import subprocess

UINT64_MAX = 18446744073709551615
JSON_MIN_VERSION = 250     # --json= and json_field arrived in systemd 250

ORACLE_ENV = {"SYSTEMD_ANALYZE_DEBUG": "1"}

SUMMARY = []    # one line per comparison, printed at the end of the pytest run (conftest.py)


class OracleError(Exception):
    pass


def _decode_json_stream(text):
    """The JSON values in text, which holds several top-level arrays separated by whitespace."""
    dec = json.JSONDecoder()
    out = []
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return out
        v, i = dec.raw_decode(text, i)
        out.append(v)


# -- text tables (systemd 247) -------------------------------------------------------------------

MARKS = {"\u2713": True, "\u2717": False, " ": None}


def _parse_details_table(lines):
    """Rows of a details table (text); lines[0] is its header."""
    head = lines[0]
    cols = {}
    for word in ("NAME", "DESCRIPTION", "WEIGHT", "BADNESS", "RANGE", "EXPOSURE"):
        m = re.search(r"\b%s\b" % word, head)
        if m:
            cols[word] = m.start()
    if "NAME" not in cols or "DESCRIPTION" not in cols:
        raise OracleError("unexpected details header %r" % head)
    desc_end = cols.get("WEIGHT", cols.get("EXPOSURE"))
    checks = []
    for line in lines[1:]:
        mark = line[:1]
        if mark not in MARKS:
            raise OracleError("unexpected check mark in %r" % line)
        name = line[cols["NAME"]:cols["DESCRIPTION"]].rstrip()
        desc = line[cols["DESCRIPTION"]:desc_end].rstrip()
        tail = line[desc_end:].split()
        check = {"set": MARKS[mark], "name": name, "description": desc}
        if "WEIGHT" in cols:
            if len(tail) not in (3, 4):
                raise OracleError("cannot parse numbers of %r" % line)
            check["weight"] = int(tail[0])
            check["badness"] = int(tail[1])
            check["range"] = int(tail[2])
            tail = tail[3:]
        if len(tail) > 1:
            raise OracleError("cannot parse exposure of %r" % line)
        check["exposure"] = tail[0] if tail else None
        checks.append(check)
    return checks


OVERALL_RE = re.compile(r"^\u2192 Overall exposure level for (.+): (\d+\.\d) (\w+) ")


def _parse_text_named(out):
    """systemd-analyze security (text) with unit names: [{unit, exposure, predicate, checks}]."""
    lines = out.split("\n")
    reports = []
    i = 0
    current = None
    while i < len(lines):
        line = lines[i]
        if re.match(r"^  NAME\s+DESCRIPTION", line):
            j = i + 1
            while j < len(lines) and lines[j] != "":
                j += 1
            current = _parse_details_table(lines[i:j])
            i = j
            continue
        m = OVERALL_RE.match(line)
        if m:
            if current is None:
                raise OracleError("overall line without a details table: %r" % line)
            reports.append({"unit": m.group(1), "exposure": m.group(2),
                            "predicate": m.group(3), "checks": current})
            current = None
        i += 1
    return reports


def _parse_text_overview(out):
    lines = [l for l in out.split("\n") if l.strip()]
    start = None
    for i, l in enumerate(lines):
        if re.match(r"^UNIT\s+EXPOSURE\s+PREDICATE\s+HAPPY", l):
            start = i
    if start is None:
        return []
    rows = []
    for l in lines[start + 1:]:
        f = l.split()
        if len(f) < 3:
            raise OracleError("cannot parse overview row %r" % l)
        rows.append({"unit": f[0], "exposure": f[1], "predicate": f[2]})
    return rows


# -- running the oracle --------------------------------------------------------------------------

def _run(container, args, timeout):
    r = container.run(["systemd-analyze", "security", "--no-pager"] + args, check=False,
                      timeout=timeout, env=ORACLE_ENV)
    return r


def analyze_named(container, units, timeout=600):
    """Score the named units with systemd-analyze in the container.

    Returns (rc, reports, stderr); reports holds one dict per unit that was analyzed, in order:
    {"unit": Id, "exposure": "9.6", "predicate", "checks": [{set, name, json_field?,
    description, exposure, weight, badness, range}]}. Units that fail are absent from reports
    (their errors are on stderr). A single unit is asked for twice so that the overview (the only
    JSON that carries the exposure) is printed."""
    args = list(units)
    single = len(args) == 1
    if single:
        args = args * 2
    json_mode = container.version >= JSON_MIN_VERSION
    r = _run(container, (["--json=short"] if json_mode else []) + ["--"] + args, timeout)
    if json_mode:
        values = _decode_json_stream(r.stdout)
        if not values:
            reports = []
        else:
            overview = values[-1]
            details = values[:-1]
            if len(overview) != len(details):
                raise OracleError("%d details arrays but %d overview rows"
                                  % (len(details), len(overview)))
            reports = [{"unit": o["unit"], "exposure": o["exposure"],
                        "predicate": o["predicate"], "checks": d}
                       for o, d in zip(overview, details)]
    else:
        reports = _parse_text_named(r.stdout)
        overview = _parse_text_overview(r.stdout)
        if [(o["unit"], o["exposure"]) for o in overview] != \
                [(x["unit"], x["exposure"]) for x in reports]:
            raise OracleError("text overview disagrees with the per-unit summaries")
    if single:
        reports = reports[:1]
    return r.returncode, reports, r.stderr


def analyze_all(container, timeout=600):
    """systemd-analyze security with no unit: (rc, [{unit, exposure, predicate}], stderr)."""
    json_mode = container.version >= JSON_MIN_VERSION
    r = _run(container, ["--json=short"] if json_mode else [], timeout)
    if json_mode:
        values = _decode_json_stream(r.stdout)
        if len(values) > 1:
            raise OracleError("expected one overview array, got %d values" % len(values))
        rows = values[0] if values else []
    else:
        rows = _parse_text_overview(r.stdout)
    return r.returncode, [{"unit": x["unit"], "exposure": x["exposure"],
                           "predicate": x["predicate"]} for x in rows], r.stderr


# -- our side ------------------------------------------------------------------------------------

def scan(exposured, container, units=(), extra=(), timeout=600):
    """Run `exposured scan --json [extra] UNIT...` on the host against the container's bus.
    Returns (rc, parsed JSON or None, stdout, stderr)."""
    cmd = [exposured, "scan", "--json"] + list(extra) + list(units)
    r = subprocess.run(cmd, env=container.host_env(), capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, encoding="utf-8", errors="replace", check=False)
    data = None
    if r.stdout.strip():
        try:
            data = json.loads(r.stdout)
        except ValueError as e:
            raise OracleError("exposured scan printed invalid JSON (%s): %r"
                              % (e, r.stdout[:500])) from e
    return r.returncode, data, r.stdout, r.stderr


# -- comparison ----------------------------------------------------------------------------------

def _jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return type(v).__name__


def _same(a, b):
    """Equal values of the same JSON type (True is not 1)."""
    return _jtype(a) == _jtype(b) and a == b


CHECK_FIELDS = ("set", "exposure", "description", "json_field")
DEBUG_FIELDS = ("weight", "range", "badness")


def _badness_equal(ours, theirs):
    # systemd prints "not applicable" as UINT64_MAX; we accept it or null for it.
    if theirs == UINT64_MAX:
        return ours is None or ours == UINT64_MAX
    return _same(ours, theirs)


class Differences:
    """Aggregated differences: counted by (what, check name), with a few examples each."""

    def __init__(self, label):
        self.label = label
        self.items = {}
        self.units = set()
        self.n_units = 0
        self.n_checks = 0

    def add(self, unit, what, check, ours, theirs):
        key = (what, check)
        e = self.items.setdefault(key, {"count": 0, "examples": []})
        e["count"] += 1
        if len(e["examples"]) < 3:
            e["examples"].append((unit, ours, theirs))
        self.units.add(unit)

    def __bool__(self):
        return bool(self.items)

    def report(self, limit=40):
        out = ["%s: %d difference kinds over %d of %d units (%d checks compared)"
               % (self.label, len(self.items), len(self.units), self.n_units, self.n_checks)]
        for (what, check), e in sorted(self.items.items(), key=lambda kv: -kv[1]["count"])[:limit]:
            out.append("  %-22s %-45s x%d" % (what, check or "-", e["count"]))
            for unit, ours, theirs in e["examples"]:
                out.append("      %s: ours %s | systemd %s"
                           % (unit, json.dumps(ours, ensure_ascii=False)[:160],
                              json.dumps(theirs, ensure_ascii=False)[:160]))
        if len(self.items) > limit:
            out.append("  ... %d more kinds" % (len(self.items) - limit))
        return "\n".join(out)


def compare_unit(diffs, theirs, ours, has_json_field=True):
    """Compare one unit's oracle report with our scan object; record into diffs."""
    unit = theirs["unit"]
    diffs.n_units += 1
    if not isinstance(ours, dict):
        diffs.add(unit, "not an object", None, ours, "object")
        return
    if ours.get("unit") != unit:
        diffs.add(unit, "unit name", None, ours.get("unit"), unit)
    exp = ours.get("exposure")
    if _jtype(exp) != "number" or abs(exp - float(theirs["exposure"])) > 1e-9:
        diffs.add(unit, "exposure", None, exp, theirs["exposure"])
    if ours.get("predicate") != theirs["predicate"]:
        diffs.add(unit, "predicate", None, ours.get("predicate"), theirs["predicate"])
    our_checks = {}
    for c in ours.get("checks") or []:
        if not isinstance(c, dict) or "name" not in c:
            diffs.add(unit, "malformed check", None, c, None)
            continue
        if c["name"] in our_checks:
            diffs.add(unit, "duplicate check", c["name"], c, None)
        our_checks[c["name"]] = c
    their_names = set()
    for t in theirs["checks"]:
        name = t["name"]
        their_names.add(name)
        diffs.n_checks += 1
        o = our_checks.get(name)
        if o is None:
            diffs.add(unit, "missing check", name, None, t)
            continue
        for f in CHECK_FIELDS:
            if f == "json_field" and not has_json_field:
                continue
            if not _same(o.get(f), t.get(f)):
                diffs.add(unit, f, name, o.get(f), t.get(f))
        for f in DEBUG_FIELDS:
            if f not in t:
                continue
            ok = _badness_equal(o.get(f), t[f]) if f == "badness" else _same(o.get(f), t[f])
            if not ok:
                diffs.add(unit, f, name, o.get(f), t[f])
    for name in our_checks:
        if name not in their_names:
            diffs.add(unit, "extra check", name, our_checks[name], None)


def compare_reports(label, theirs_list, ours_list, has_json_field=True):
    """Compare a list of oracle reports with our scan array (matched by position when both have
    the same length, else by unit name). Returns Differences."""
    diffs = Differences(label)
    if not isinstance(ours_list, list):
        diffs.add("-", "scan output", None, _jtype(ours_list), "array")
        return diffs
    if len(ours_list) == len(theirs_list):
        pairs = list(zip(theirs_list, ours_list))
    else:
        by_name = {o.get("unit"): o for o in ours_list if isinstance(o, dict)}
        pairs = [(t, by_name.get(t["unit"])) for t in theirs_list]
        mine = {t["unit"] for t in theirs_list}
        for o in ours_list:
            if isinstance(o, dict) and o.get("unit") not in mine:
                diffs.add(o.get("unit"), "extra unit", None, o.get("unit"), None)
    for t, o in pairs:
        if o is None:
            diffs.add(t["unit"], "missing unit", None, None, t["unit"])
            diffs.n_units += 1
            continue
        compare_unit(diffs, t, o, has_json_field)
    return diffs
