# SPDX-License-Identifier: MIT
"""The browser login of a token-protected daemon, in a real headless Chromium (selenium) against
the real daemon watching a real systemd: a browser without a session lands on /login; a wrong
token is refused; the right one, typed once, gives an HttpOnly, SameSite=Strict session cookie
with which the dashboard, its app.js requests and plain links all work; logout revokes the
session on the server (the old cookie replayed is refused); scripts still need the bearer token.
"""

import os
import secrets
import shutil
import time

import pytest

pytest.register_assert_rewrite("web_fixtures")
from web_fixtures import WEAK_UNIT, Daemon, http_request, quote_unit, wait_until  # noqa: E402

pytest_plugins = ["web_fixtures"]

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium not installed")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

TOKEN = secrets.token_urlsafe(24) + "+/="   # characters a form must encode
ROWS = "#units tbody tr"


class TokenDaemon(Daemon):
    """The web fixtures' daemon with token = yes; its own requests carry the bearer token."""

    def __init__(self, exposured, container):
        super().__init__(exposured, container)
        path = os.path.join(self.dir, "token")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (TOKEN + "\n").encode("ascii"))
        os.close(fd)
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("token = yes\ntoken_file = %s\n" % path)

    def get(self, path, headers=None, method="GET", timeout=15):
        h = {"Authorization": "Bearer " + TOKEN}
        h.update(headers or {})
        return http_request(self.base + path, headers=h, method=method, timeout=timeout)


@pytest.fixture(scope="module")
def token_daemon(exposured, web_container):
    d = TokenDaemon(exposured, web_container).start()
    try:
        yield d
    finally:
        d.stop()


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
    d = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    d.set_page_load_timeout(30)
    try:
        yield d
    finally:
        d.quit()


def load(d, url):
    d.get_log("browser")
    d.get(url)
    wait_until(lambda: d.execute_script("return document.readyState") == "complete", 20, 0.1,
               "page load")
    time.sleep(0.3)


def problems(d):
    return [e["message"] for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def submit_token(d, token):
    field = d.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    d.find_element(By.ID, "login").click()
    wait_until(lambda: d.execute_script("return document.readyState") == "complete", 20, 0.1,
               "the form's answer")
    time.sleep(0.3)


def test_login_flow(browser, token_daemon):
    d, base = browser, token_daemon.base

    # No session: the dashboard sends the browser to the form; scripts get 401 as before.
    load(d, base + "/")
    assert d.current_url == base + "/login"
    assert d.find_elements(By.ID, "token")
    r = http_request(base + "/metrics")
    assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")

    # A wrong token: refused, no cookie.
    submit_token(d, "not-" + TOKEN)
    assert d.find_element(By.ID, "error").text == "Wrong token."
    assert not d.get_cookies()

    # The right one, typed once.
    d.get_log("browser")        # the 401 of the wrong one was logged
    submit_token(d, TOKEN)
    assert d.current_url == base + "/"
    cookies = {c["name"]: c for c in d.get_cookies()}
    assert list(cookies) == ["exposured"], cookies
    c = cookies["exposured"]
    assert c["httpOnly"] and c["sameSite"] == "Strict" and c["path"] == "/"
    assert not c["secure"]      # plain HTTP on loopback; Secure and __Host- with TLS
    assert d.execute_script("return document.cookie") == ""   # out of reach of scripts
    n = wait_until(lambda: len(d.find_elements(By.CSS_SELECTOR, ROWS)), 20, 0.2, "table rows")
    assert n == token_daemon.get("/api/v1/units").json()["count"]
    assert problems(d) == []    # app.js's requests were answered, nothing blocked

    # app.js-style requests and plain links carry the session.
    status = d.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/v1/units').then(r => done(r.status)).catch(e => done(String(e)));")
    assert status == 200
    load(d, base + "/units/" + quote_unit(WEAK_UNIT))
    assert WEAK_UNIT in d.page_source
    load(d, base + "/metrics")
    assert "exposured_unit_exposure" in d.page_source
    session = c["value"]

    # Logout: back to the form, the cookie gone, and the old value dead on the server too.
    load(d, base + "/login")
    d.find_element(By.ID, "logout").click()
    wait_until(lambda: d.current_url == base + "/login", 20, 0.1, "the logout redirect")
    assert not d.get_cookies()
    load(d, base + "/")
    assert d.current_url == base + "/login"
    r = http_request(base + "/api/v1/units", headers={"Cookie": "exposured=" + session})
    assert r.status == 401
    r = http_request(base + "/", headers={"Cookie": "exposured=" + session,
                                          "Accept": "text/html"})
    assert r.status == 200 and b'id="token"' in r.body   # urllib followed the 303 to /login


def test_login_refuses_cross_site_posts(token_daemon):
    """A form on another site cannot log the browser in or out (Origin checked, 403)."""
    base = token_daemon.base
    body = ("token=" + TOKEN.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"))
    r = http_request(base + "/login", method="POST", data=body.encode(),
                     headers={"Origin": "http://evil.example",
                              "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 403
    r = http_request(base + "/login", method="POST", data=b"x" * 2000,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 413
