# SPDX-License-Identifier: MIT
"""The dashboard in a real headless Chromium (chromium + chromium-driver, python3-selenium),
served by the real daemon watching a real systemd: the table equals the API, header clicks
sort, typing filters, a unit page draws its history as an SVG line, hostile unit text stays
text, and the console shows no error (CSP violations included). Ported from
tests/web/check-dashboard.py (which drives Chromium over the DevTools pipe by hand).
"""

import shutil
import time

import pytest

pytest.register_assert_rewrite("web_fixtures")
from web_fixtures import (MARKUP, MARKUP_UNIT, WEAK_UNIT, quote_unit,  # noqa: E402
                          wait_until)

pytest_plugins = ["web_fixtures"]

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium not installed")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

HARDEN = "[Service]\nPrivateNetwork=yes\nProtectSystem=strict\nNoNewPrivileges=yes\n"
ROWS = "#units tbody tr"


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromium-driver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path)
    d = webdriver.Chrome(options=opts, service=service)
    d.set_page_load_timeout(30)
    try:
        yield d
    finally:
        d.quit()


def load(d, url):
    d.get_log("browser")        # drop what earlier pages logged
    d.get(url)
    wait_until(lambda: d.execute_script("return document.readyState") == "complete", 20, 0.1,
               "page load")
    time.sleep(0.3)             # late console messages (CSP reports are asynchronous)
    return console_problems(d)


def console_problems(d):
    return [e["message"] for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def injected(d):
    """Elements the hostile Description would create if it were markup: any <img> other than
    the page's logo, anything with an onerror handler, any script but app.js."""
    return d.execute_script(
        "return [...document.querySelectorAll('img, [onerror], script')].filter(e =>"
        " !(e.tagName === 'IMG' && e.getAttribute('src') === '/static/favicon.svg') &&"
        " !(e.tagName === 'SCRIPT' && e.getAttribute('src') === '/static/app.js'))"
        ".map(e => e.outerHTML)")


def no_alert(d):
    try:
        text = d.switch_to.alert.text
    except NoAlertPresentException:
        return True
    raise AssertionError("a JavaScript alert opened: %r" % text)


def rows(d):
    return d.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(r => ({"
        "unit: r.dataset.unit, exposure: r.querySelector('.exposure').textContent,"
        "predicate: r.querySelector('.pred').textContent.trim(),"
        "hidden: r.classList.contains('hidden')}))", ROWS)


def test_dashboard_rows_sort_filter(browser, daemon):
    d = browser
    problems = load(d, daemon.base + "/")
    assert not problems, problems
    no_alert(d)
    every = {u["unit"]: u for u in daemon.get("/api/v1/units").json()["units"]}
    # The default view is systemd-analyze security's set: Type=oneshot services aside.
    api = {u: x for u, x in every.items() if not x["oneshot"]}
    oneshot = sorted(u for u, x in every.items() if x["oneshot"])
    assert oneshot, "the container has Type=oneshot services (systemd-*-setup)"
    got = rows(d)
    assert sorted(r["unit"] for r in got) == sorted(api)
    counts = {li.text.split()[0]: int(li.text.split()[1])
              for li in d.find_elements(By.CSS_SELECTOR, "#counts li")}
    assert counts == {p: sum(1 for x in api.values() if x["predicate"] == p)
                      for p in counts}, counts
    status = daemon.get("/api/v1/status").json()
    assert sum(status["predicates"].values()) == len(api)
    assert status["oneshot_units"] == len(oneshot)
    for r in got:
        u = api[r["unit"]]
        assert (r["exposure"], r["predicate"]) == ("%.1f" % u["exposure"], u["predicate"]), r
    # Our stylesheet and script loaded under the CSP.
    assert d.execute_script("return getComputedStyle(document.body).margin") == "0px"
    assert d.execute_script("return document.scripts.length") == 1

    # Hostile markup in a Description: text, not elements.
    assert injected(d) == []
    desc = d.execute_script(
        "return document.querySelector('tr[data-unit=\"%s\"] .desc').textContent" % MARKUP_UNIT)
    assert desc == MARKUP
    row = d.find_element(By.CSS_SELECTOR, 'tr[data-unit="%s"]' % MARKUP_UNIT)
    assert "<script>alert(1)</script>" in row.text and "<img src=x" in row.text

    # Sorting: a click on a header sorts by it, a second click reverses.
    th_name = d.find_element(By.CSS_SELECTOR, "th[data-key=name]")
    th_name.click()
    names = [r["unit"] for r in rows(d)]
    assert names == sorted(names)
    th_name.click()
    names = [r["unit"] for r in rows(d)]
    assert names == sorted(names, reverse=True)
    d.find_element(By.CSS_SELECTOR, "th[data-key=exposure]").click()
    exp = [float(r["exposure"]) for r in rows(d)]
    assert exp == sorted(exp) and exp[0] < exp[-1]
    d.find_element(By.CSS_SELECTOR, "th[data-key=exposure]").click()
    exp = [float(r["exposure"]) for r in rows(d)]
    assert exp == sorted(exp, reverse=True)

    # Filtering while typing (real key events): visible rows are those whose first cell (name
    # and description) contains the text.
    box = d.find_element(By.ID, "filter")
    box.send_keys("web-")
    vis = sorted(r["unit"] for r in rows(d) if not r["hidden"])
    want = sorted(u for u, x in api.items()
                  if "web-" in (u + " " + (x.get("description") or "")).lower())
    assert vis == want and len(want) >= 4, (vis, want)
    assert d.find_element(By.ID, "shown").text == "Showing %d of %d services." % (len(want),
                                                                                 len(api))
    # And by predicate (this one and worse).
    Select(d.find_element(By.ID, "predicate")).select_by_value("UNSAFE")
    vis = sorted(r["unit"] for r in rows(d) if not r["hidden"])
    assert vis == sorted(u for u in want if api[u]["predicate"] in ("UNSAFE", "DANGEROUS"))
    assert WEAK_UNIT in vis
    box.clear()
    box.send_keys("no-such-service-here")
    assert all(r["hidden"] for r in rows(d))
    assert not console_problems(d)
    no_alert(d)

    # Ticking "Type=oneshot too" asks the server for every service, and keeps the choice.
    box.clear()
    Select(d.find_element(By.ID, "predicate")).select_by_value("")
    d.find_element(By.ID, "oneshot").click()
    wait_until(lambda: "oneshot=yes" in d.current_url, 20, 0.1, "the oneshot view")
    wait_until(lambda: d.execute_script("return document.readyState") == "complete", 20, 0.1,
               "page load")
    assert sorted(r["unit"] for r in rows(d)) == sorted(every)
    assert d.find_element(By.ID, "oneshot").is_selected()
    assert d.find_element(By.ID, "shown").text == "Showing %d of %d services." % (len(every),
                                                                                 len(every))
    assert not console_problems(d)


def test_unit_page_markup_and_chart(browser, daemon, web_container):
    d = browser
    problems = load(d, daemon.base + "/units/" + quote_unit(MARKUP_UNIT))
    assert not problems, problems
    no_alert(d)
    assert injected(d) == []
    assert d.execute_script("return document.scripts.length") == 1
    assert MARKUP in d.find_element(By.TAG_NAME, "body").text

    # A history with a change in it: harden the weak service, then draw its chart.
    api = daemon.get("/api/v1/units/" + quote_unit(WEAK_UNIT)).json()
    web_container.install_units({WEAK_UNIT + ".d/50-harden.conf": HARDEN})
    try:
        wait_until(lambda: daemon.get("/api/v1/units/" + quote_unit(WEAK_UNIT)).json()[
            "exposure"] < api["exposure"], 20, 0.2, "the daemon to see the change")
        hist = daemon.get("/api/v1/units/%s/history" % quote_unit(WEAK_UNIT)).json()["history"]
        assert len(hist) >= 2
        problems = load(d, daemon.base + "/units/" + quote_unit(WEAK_UNIT))
        assert not problems, problems
        pts = d.execute_script(
            "const l = document.querySelector('svg.chart polyline, svg.chart path');"
            "if (!l) return null; const p = l.points; const out = [];"
            "for (let i = 0; i < p.numberOfItems; i++) out.push([p.getItem(i).x,"
            " p.getItem(i).y]); return out;")
        assert pts, "no chart line"
        # A step line: two points per history row (the first and the last are the ends). Its
        # levels are the history's exposures (plot: y = 10 + 180 * (10 - exposure) / 10).
        assert len(pts) == 2 * len(hist), (pts, hist)
        levels = sorted({round(10 - (y - 10) / 18, 1) for _, y in pts})
        assert levels == sorted({h["exposure"] for h in hist}), (levels, hist)
        xs = [x for x, _ in pts]
        assert xs == sorted(xs) and xs[0] < xs[-1]
        assert d.execute_script("return document.querySelector('svg.chart')"
                                ".getBoundingClientRect().width") > 100
    finally:
        web_container.remove_units([WEAK_UNIT + ".d"])
        wait_until(lambda: daemon.get("/api/v1/units/" + quote_unit(WEAK_UNIT)).json()[
            "exposure"] == api["exposure"], 20, 0.2, "the daemon to see the drop-in go")
    assert not console_problems(d)
    no_alert(d)


def test_events_page(browser, daemon):
    problems = load(browser, daemon.base + "/events")
    assert not problems, problems
    no_alert(browser)
    assert injected(browser) == []


def walk_pages(d, url):
    """Follow the pager's Next links from url (real clicks on plain links): the units of every
    page in order, and the "Page i of n" texts seen."""
    problems = load(d, url)
    assert not problems, problems
    units, labels = [], []
    while True:
        units += [r["unit"] for r in rows(d)]
        labels.append(d.find_element(By.CSS_SELECTOR, "nav.pager .page").text)
        nxt = d.find_elements(By.CSS_SELECTOR, "nav.pager a[rel=next]")
        if not nxt:
            break
        before = d.current_url
        nxt[0].click()
        wait_until(lambda: d.current_url != before and
                   d.execute_script("return document.readyState") == "complete", 20, 0.1,
                   "the next page")
        assert not console_problems(d)
    return units, labels


def api_names(daemon, text=""):
    """The units the dashboard lists by default: systemd-analyze's set (no Type=oneshot)."""
    return sorted(u["unit"] for u in daemon.get("/api/v1/units").json()["units"]
                  if not u["oneshot"] and
                  text in (u["unit"] + " " + (u.get("description") or "")).lower())


def test_dashboard_pages(browser, daemon):
    """The dashboard in pages (issue 12): ?limit=10 pages through every unit exactly once by its
    Next links, each page at most 10 rows; a filter and the page size survive paging and the
    Apply button; a page past the end shows the last one."""
    d = browser
    for _ in range(3):  # a unit of the container may come or go meanwhile: then walk again
        want = api_names(daemon)
        units, labels = walk_pages(d, daemon.base + "/?sort=name&limit=10")
        if units == want or units == api_names(daemon):
            break
    assert units == want
    n = (len(want) + 9) // 10
    assert n >= 3
    assert labels == ["Page %d of %d" % (i + 1, n) for i in range(n)]
    assert d.find_elements(By.CSS_SELECTOR, "nav.pager a[rel=prev]")
    assert injected(d) == []

    # The filter and the page size are kept by the links.
    want = api_names(daemon, "web-")
    units, labels = walk_pages(d, daemon.base + "/?q=web-&sort=name&limit=2")
    assert units == want and len(labels) == (len(want) + 1) // 2 >= 2
    shown = d.find_element(By.ID, "shown").text
    assert shown.endswith("of %d matching (%d services)." % (len(want), len(api_names(daemon))))

    # Apply (the form, no script needed) keeps the page size and starts at page 1.
    box = d.find_element(By.ID, "filter")
    box.clear()
    box.send_keys("web-weak")
    before = d.current_url
    d.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_until(lambda: d.current_url != before, 20, 0.1, "the filtered page")
    assert "limit=2" in d.current_url and "page=" not in d.current_url
    assert [r["unit"] for r in rows(d)] == [WEAK_UNIT]
    assert not d.find_elements(By.CSS_SELECTOR, "nav.pager")

    # Past the end: the last page, linked back.
    assert not load(d, daemon.base + "/?sort=name&limit=10&page=9999")
    assert d.find_element(By.CSS_SELECTOR, "nav.pager .page").text == "Page %d of %d" % (n, n)
    assert not d.find_elements(By.CSS_SELECTOR, "nav.pager a[rel=next]")
    no_alert(d)
