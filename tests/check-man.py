#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The man pages against the binary (make check-unit runs it): every configuration key, with its
default as `exposured --check-config` prints it, is documented in man/exposured.conf.5; every
verb and every option its --help lists, and every event kind of daemon/event.c (but "none",
which no command accepts), is in man/exposured.8. Usage: tests/check-man.py BUILD/exposured"""

import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERBS = ["run", "scan", "history", "events", "suggest", "fleet", "baseline"]


def page_text(path):
    """The page's source with roff escapes and font macros taken out, one string."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    out = []
    for line in src.splitlines():
        if line.startswith(('.\\"', "'\\\"")):
            continue
        m = re.match(r"^\.(B|I|BR|RB|BI|IB|IR|RI)\s+(.*)$", line)
        if m:
            line = re.sub(r"\s+", " ", m.group(2).replace('"', ""))
        line = re.sub(r"\\f[BIRP]|\\f\[[A-Z]*\]|\\&|\\%", "", line)
        line = line.replace("\\-", "-").replace("\\(em", "-").replace("\\e", "\\")
        out.append(line)
    return "\n".join(out)


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build/exposured")
    errors = []
    conf5 = page_text(os.path.join(TOP, "man/exposured.conf.5"))
    man8 = page_text(os.path.join(TOP, "man/exposured.8"))

    # Keys and defaults: what --check-config prints for an empty file. No drop-ins, no bus
    # check (an empty environment: the credential check only warns when it cannot look).
    with tempfile.TemporaryDirectory() as d:
        empty = os.path.join(d, "empty.conf")
        open(empty, "w", encoding="utf-8").close()
        r = subprocess.run([exe, "run", "--check-config", "-c", empty], capture_output=True,
                           text=True, check=False, env={"LOG_TARGET": "stderr",
                                                        "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/"})
    if r.returncode != 0:
        errors.append("--check-config of an empty file failed: %s" % r.stderr)
    keys = [line.split(" =", 1) for line in r.stdout.splitlines() if " =" in line]
    if len(keys) < 10:
        errors.append("only %d keys from --check-config" % len(keys))
    for key, default in keys:
        want = (key + " =" + default).strip()
        if not re.search(r"^" + re.escape(want) + r"\s*$", conf5, re.M):
            errors.append("exposured.conf.5: no entry '%s' (key %s with its default)"
                          % (want, key))

    # Verbs and options.
    for verb in VERBS:
        if not re.search(r"exposured " + verb + r"\b", man8):
            errors.append("exposured.8: verb %s is not documented" % verb)
        h = subprocess.run([exe, verb, "--help"], capture_output=True, text=True, check=False)
        if h.returncode != 0 or not h.stdout:
            errors.append("exposured %s --help: exit %d" % (verb, h.returncode))
        for opt in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", h.stdout))):
            if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", man8):
                errors.append("exposured.8: option %s of %s is not documented" % (opt, verb))
        for opt in sorted(set(re.findall(r"^\s+(-[a-zA-Z])\b", h.stdout, re.M))):
            if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", man8):
                errors.append("exposured.8: option %s of %s is not documented" % (opt, verb))

    # Event kinds.
    with open(os.path.join(TOP, "daemon/event.c"), encoding="utf-8") as f:
        kinds = re.findall(r'\[EVENT_[A-Z_]+\]\s*=\s*"([a-z-]+)"', f.read())
    if len(kinds) < 5:
        errors.append("only %d event kinds found in daemon/event.c" % len(kinds))
    for k in kinds:
        if k != "none" and not re.search(r"(?<![\w-])" + re.escape(k) + r"(?![\w-])", man8):
            errors.append("exposured.8: event kind %s is not documented" % k)

    for e in errors:
        print("check-man: " + e, file=sys.stderr)
    print("check-man: %d keys, %d verbs, %d event kinds checked, %d problems"
          % (len(keys), len(VERBS), len(kinds), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
