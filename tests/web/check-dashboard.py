#!/usr/bin/python3
# Drive the dashboard in a real headless Chromium over the DevTools protocol (--remote-debugging-
# pipe: no websocket library needed) and check what only a browser can: the strict CSP lets our
# CSS and JS load and blocks nothing of ours (no console errors, no CSP violations), hostile unit
# text stays text, app.js sorts on a header click and filters while typing.
# Usage: tests/web/check-dashboard.py http://127.0.0.1:PORT   (exit 77 without chromium)
import fcntl  # noqa: F401 (used in Browser)
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

base = sys.argv[1].rstrip("/")
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("chromium not installed; skipped", file=sys.stderr)
    sys.exit(77)


ROW_UNITS = "[...document.querySelectorAll('#units tbody tr')].map(r => r.dataset.unit)"


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="exposured-chromium.")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4. Move our ends out of the way
        # first so that the dup2()s in the child cannot clobber each other.
        r_high = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 20)
        w_high = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 20)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def setup():
            os.dup2(r_high, 3)
            os.dup2(w_high, 4)
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=setup, pass_fds=(3, 4),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r_high)
        os.close(w_high)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self.read()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium exited")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    b = Browser()
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.send(f"{domain}.enable", session=s)

        def evaluate(expr):
            r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                       session=s)
            if "exceptionDetails" in r:
                raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
            return r["result"].get("value")

        def load(path):
            b.events.clear()
            b.send("Page.navigate", {"url": base + path}, session=s)
            deadline = time.time() + 20
            while time.time() < deadline:
                if evaluate("document.readyState") == "complete":
                    break
                time.sleep(0.1)
            time.sleep(0.5)  # let deferred scripts and late console messages arrive
            evaluate("1")
            problems = []
            for e in b.events:
                m = e.get("method")
                p = e.get("params", {})
                if m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                    problems.append(p["entry"]["text"])
                elif m == "Runtime.exceptionThrown":
                    problems.append(str(p["exceptionDetails"]))
                elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning"):
                    problems.append(str(p["args"]))
                elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
                    problems.append(f"{p['response']['url']}: {p['response']['status']}")
            return problems

        failures = []
        problems = load("/")
        if problems:
            failures.append(f"/: console/CSP/network problems: {problems}")
        if not evaluate("getComputedStyle(document.body).margin === '0px'"):
            failures.append("style.css not applied (blocked?)")
        if evaluate("document.querySelectorAll('script').length") != 1:
            failures.append("unexpected script elements (injected markup?)")
        if evaluate("document.querySelectorAll('img[onerror], img[src=x]').length") != 0:
            failures.append("hostile <img> became an element")
        rows = evaluate("document.querySelectorAll('#units tbody tr').length")

        # Sort by name: click the header (ascending), then again (descending).
        evaluate("document.querySelector('th[data-key=name]').click()")
        names = evaluate(ROW_UNITS)
        if names != sorted(names):
            failures.append("click on Service did not sort ascending")
        evaluate("document.querySelector('th[data-key=name]').click()")
        names = evaluate(ROW_UNITS)
        if names != sorted(names, reverse=True):
            failures.append("second click did not sort descending")
        evaluate("document.querySelector('th[data-key=exposure]').click()")
        exp = evaluate("[...document.querySelectorAll('#units tbody tr')]"
                       ".map(r => +r.dataset.exposure)")
        if exp != sorted(exp):
            failures.append("click on Exposure did not sort by exposure")

        # Filter while typing: the rows left visible are exactly those whose first cell contains
        # the text (case-insensitively), computed here from the page's own data.
        cells = evaluate("[...document.querySelectorAll('#units tbody tr')]"
                         ".map(r => [r.dataset.unit, r.cells[0].textContent.toLowerCase()])")
        text = cells[-1][0][:6].lower()
        want = sorted(u for u, c in cells if text in c)
        evaluate(f"const f = document.getElementById('filter'); f.value = {json.dumps(text)};"
                 "f.dispatchEvent(new Event('input'))")
        visible = evaluate("[...document.querySelectorAll('#units tbody tr')]"
                           ".filter(r => !r.classList.contains('hidden')).map(r => r.dataset.unit)")
        if sorted(visible) != want or not want:
            failures.append(f"filter {text!r} shows {visible}, expected {want}")
        shown = evaluate("document.getElementById('shown').textContent")
        if shown != f"Showing {len(want)} of {rows} services.":
            failures.append(f"counter says {shown!r}")
        evaluate("const g = document.getElementById('filter'); g.value = '';"
                 "g.dispatchEvent(new Event('input'))")

        # Live refresh: spoil one exposure cell, ask app.js to refresh, expect the server's value
        # back (set as text) and the row marked as changed.
        evaluate("window.row = document.querySelector('#units tbody tr');"
                 "const c = window.row.querySelector('.exposure'); window.before = c.textContent;"
                 "c.textContent = '<b>?</b>';"
                 "document.dispatchEvent(new Event('exposured-refresh'))")
        time.sleep(1.0)
        after = evaluate("[window.row.querySelector('.exposure').textContent, window.before,"
                         " window.row.classList.contains('changed')]")
        if after[0] != after[1] or not after[2]:
            failures.append(f"refresh did not restore the cell: {after}")

        # A unit page (a hostile one when the fixture has it) and the events page.
        unit_href = evaluate("(document.querySelector('a[href^=\"/units/%3Cscript\"]') ||"
                             " document.querySelector('#units tbody a')).getAttribute('href')")
        for path in (unit_href, "/events"):
            problems = load(path)
            if problems:
                failures.append(f"{path}: {problems}")
            if evaluate("document.querySelectorAll('script').length") != 1:
                failures.append(f"{path}: injected script element")
            if evaluate("document.querySelectorAll('img[onerror], img[src=x]').length") != 0:
                failures.append(f"{path}: hostile <img> became an element")
        title = evaluate("document.querySelector('h1').textContent")
        if failures:
            print("\n".join(failures), file=sys.stderr)
            return 1
        print(f"dashboard ok: {rows} rows, sorting, filtering, no console/CSP problems "
              f"({title!r})", file=sys.stderr)
        return 0
    finally:
        b.close()


sys.exit(main())
