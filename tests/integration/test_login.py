# SPDX-License-Identifier: MIT
"""The browser login of a token-protected daemon, in a real headless Chromium (selenium) against
the real daemon watching a real systemd: a browser without a session lands on /login; a wrong
token is refused; the right one, typed once, gives an HttpOnly, SameSite=Strict session cookie
with which the dashboard, its app.js requests and plain links all work; logout revokes the
session on the server (the old cookie replayed is refused); scripts still need the bearer token.
Failed logins are limited per client address: from a non-loopback address (in a network
namespace of the test's own) the sixth wrong token within a minute gets 429 with Retry-After and
from then on even the right one does, logged once; loopback is counted and logged but never
refused (every local client shares it). A token file others can read is warned about at start
(and still served: refusing would turn a loose chmod into an outage).
"""

import os
import re
import secrets
import shutil
import subprocess
import time

import pytest

pytest.register_assert_rewrite("web_fixtures")
import containers  # noqa: E402
from web_fixtures import WEAK_UNIT, Daemon, http_request, quote_unit, stop, wait_until  # noqa: E402

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
    # the default view: systemd-analyze's set, Type=oneshot services aside
    assert n == sum(1 for u in token_daemon.get("/api/v1/units").json()["units"]
                    if not u["oneshot"])
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


# -- failed logins, from a non-loopback address -------------------------------------------------

NS_ADDR = "10.213.8.1"      # only in the daemon's own network namespace
MANY_ADDRS = ["10.213.8.%d" % i for i in range(10, 24)]   # 14 more there
FORM = "application/x-www-form-urlencoded"


def form_token(t):
    return "token=" + t.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


class NetnsTokenDaemon(TokenDaemon):
    """The token daemon in a network namespace of its own (unshare --net) that holds NS_ADDR on
    lo: a non-loopback address to the kernel and to exposured alike, reachable only from inside
    (nsenter). It listens there and on 127.0.0.1; the container's bus is a Unix socket, which
    the namespace does not hide."""

    def start(self, timeout=60):
        log = open(self.log_path, "wb")
        script = "ip link set lo up && ip addr add %s/32 dev lo && " % NS_ADDR
        script += "".join("ip addr add %s/32 dev lo && " % a for a in MANY_ADDRS)
        script += 'exec "$0" "$@"'
        self.proc = subprocess.Popen(
            ["unshare", "--net", "sh", "-c", script, self.exposured, "run", "-c", self.conf,
             "--db=" + os.path.join(self.dir, "db"), "--listen=%s:%d" % (NS_ADDR, self.port),
             "--listen=127.0.0.1:%d" % self.port],
            env=self.container.host_env(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=containers._set_pdeathsig)
        log.close()
        try:
            wait_until(lambda: self.curl(NS_ADDR, "/api/v1/status", TOKEN)[0] == 200, timeout,
                       0.3, "the namespaced daemon serving")
            return self
        except BaseException:
            self.stop()
            raise

    def curl(self, addr, path, token=None, form=None, source=None):
        """(status, headers, body) of a request from inside the namespace to addr (from
        source, an address of the namespace, if given)."""
        cmd = ["nsenter", "--target", str(self.proc.pid), "--net", "curl", "-sS",
               "--max-time", "20", "-D", "-", "-o", "-"]
        if source:
            cmd += ["--interface", source]
        if token is not None:
            cmd += ["-H", "Authorization: Bearer " + token]
        if form is not None:
            cmd += ["-H", "Content-Type: " + FORM, "--data-raw", form]
        if self.proc.poll() is not None:
            return (0, "", self.log())
        r = subprocess.run(cmd + ["http://%s:%d%s" % (addr, self.port, path)],
                           capture_output=True, text=True, timeout=40, check=False)
        if r.returncode != 0:
            return (0, "", r.stderr)
        head, _, body = r.stdout.partition("\n\n")   # text mode: CRLF read as LF
        m = re.match(r"HTTP/[\d.]+ (\d+)", head)
        return (int(m.group(1)) if m else 0, head, body)


@pytest.fixture(scope="module")
def netns_daemon(exposured, web_container):
    if shutil.which("unshare") is None or shutil.which("nsenter") is None or \
       shutil.which("curl") is None or shutil.which("ip") is None:
        pytest.skip("unshare, nsenter, curl and ip are needed")
    d = NetnsTokenDaemon(exposured, web_container).start()
    try:
        yield d
    finally:
        stop(d.proc)


def retry_after(head):
    m = re.search(r"^Retry-After: (\d+)\r?$", head, re.M | re.I)
    return int(m.group(1)) if m else None


def test_failed_logins_limited(netns_daemon):
    d = netns_daemon
    # Five wrong tokens from NS_ADDR, as bearer tokens and typed into the form: refused as usual.
    for i in range(5):
        if i % 2:
            code, head, _ = d.curl(NS_ADDR, "/login", form=form_token("guess-%d" % i))
        else:
            code, head, _ = d.curl(NS_ADDR, "/metrics", token="guess-%d" % i)
        assert code == 401, (i, head)
        assert retry_after(head) is None
    # The sixth: 429 with Retry-After, and the right token is not even looked at now.
    code, head, body = d.curl(NS_ADDR, "/metrics", token="guess-5")
    assert code == 429, head
    assert 0 < retry_after(head) <= 60, head
    assert "too many failed logins" in body
    code, head, _ = d.curl(NS_ADDR, "/metrics", token=TOKEN)
    assert code == 429, head
    code, head, body = d.curl(NS_ADDR, "/login", form=form_token(TOKEN))
    assert code == 429 and "Set-Cookie" not in head, head
    assert "text/html" in head and "too many failed logins" in body
    # Without any credentials it is no guess: the usual 401 challenge.
    code, head, _ = d.curl(NS_ADDR, "/metrics")
    assert code == 401 and "WWW-Authenticate: Bearer" in head, head

    # Loopback: counted and logged, never refused.
    for i in range(7):
        assert d.curl("127.0.0.1", "/metrics", token="local-guess-%d" % i)[0] == 401
    code, _, body = d.curl("127.0.0.1", "/metrics", token=TOKEN)
    assert code == 200 and "exposured_unit_exposure" in body
    # NS_ADDR is still refused meanwhile.
    assert d.curl(NS_ADDR, "/api/v1/status", token=TOKEN)[0] == 429

    # One warning per address and window, however many refusals followed.
    def lines():
        return [l for l in d.log(400).splitlines() if "failed logins from" in l]
    wait_until(lambda: len(lines()) >= 2, 10, 0.2, "the failed-login warnings")
    log = lines()
    ours = [l for l in log if "from %s " % NS_ADDR in l]
    local = [l for l in log if "from 127.0.0.1 " in l]
    assert len(ours) == 1 and "refused (429)" in ours[0], log
    assert len(local) == 1 and "loopback is never refused" in local[0], log
    assert TOKEN not in d.log(400) and "guess-" not in d.log(400)
    assert d.alive()


@pytest.mark.parametrize("mode,who", [(0o644, "everyone"), (0o640, "its group")])
def test_readable_token_warned(exposured, web_container, mode, who):
    d = TokenDaemon(exposured, web_container)
    path = os.path.join(d.dir, "token")
    os.chmod(path, mode)
    d.start()
    try:
        want = "token_file: '%s' is readable by %s (mode %04o): chmod 0600 it" % (path, who, mode)
        assert want in d.log(200), d.log(200)
        assert TOKEN not in d.log(200)
        # served all the same, with the token
        assert d.get("/api/v1/status").status == 200
        assert http_request(d.base + "/api/v1/status").status == 401
    finally:
        d.stop()
    # and a private one is not warned about
    os.chmod(path, 0o600)
    d.start()
    try:
        assert "is readable by" not in d.log(400)   # start() began a new log
    finally:
        d.stop()


def test_failed_login_warnings_bounded(exposured, web_container):
    """Our own warnings are a flood the clients control (one per address reaching the limit;
    IPv6 gives an attacker 65,536 /64s in a /48): 14 addresses reaching the limit in a minute
    make 10 warnings and one line saying the rest are not logged."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None or \
       shutil.which("curl") is None or shutil.which("ip") is None:
        pytest.skip("unshare, nsenter, curl and ip are needed")
    d = NetnsTokenDaemon(exposured, web_container).start()
    try:
        for a in MANY_ADDRS:
            for i in range(5):
                assert d.curl(NS_ADDR, "/metrics", token="guess-%d" % i, source=a)[0] == 401
            assert d.curl(NS_ADDR, "/metrics", token=TOKEN, source=a)[0] == 429
        log = d.log(400).splitlines()
        per_address = [l for l in log if re.search(r"failed logins from 10\.213\.8\.\d+ ", l)]
        more = [l for l in log if "More addresses reach the failed-login limit" in l]
        assert len(per_address) == 10, per_address
        assert len(more) == 1, log[-20:]
        assert d.alive()
    finally:
        stop(d.proc)
