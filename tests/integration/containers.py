# SPDX-License-Identifier: MIT
"""Throwaway systemd containers for the integration tests and the benchmark.

Boots a real systemd (PID 1) with systemd-nspawn: the host's own tree read-only with a throwaway
/etc and /var (--volatile=yes), or a debootstrapped Debian root of another release with a tmpfs
overlay (--volatile=overlay). Roots are cached outside the source tree; a missing one is built with
debootstrap, atomically and under a lock. A cached root is never written to: every container
sees it through an overlay that vanishes at power-off.

Every container started here is powered off at the end, whatever happens: by its owner
(Container.poweroff), by an atexit hook, by a SIGTERM handler, and, if the Python process dies
without running any of those, by the kernel (PR_SET_PDEATHSIG makes systemd-nspawn receive
SIGTERM, which it turns into a clean container shutdown). Standard library only.
"""

import atexit
import ctypes
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOTS_DIR = os.environ.get("EXPOSURED_TEST_ROOTS", "/var/cache/exposured-tests/roots")
LOG_DIR = os.environ.get("EXPOSURED_TEST_LOGS", "/var/tmp/exposured-tests")

# The systemd versions the tests cover: the Debian suite whose root is booted, and how.
# "host" is the machine's own tree (Debian 12, systemd 252). A suite with "backports" is the
# "debootstrap" release with those packages upgraded from the suite of that name.
SUITES = {
    "host": {"version": 252, "root": "/", "volatile": "yes", "env": {}},
    "bullseye": {"version": 247, "volatile": "overlay", "env": {}},
    "bookworm-backports": {"version": 254, "volatile": "overlay", "env": {},
                           "debootstrap": "bookworm",
                           "backports": ["systemd", "systemd-sysv", "libsystemd0",
                                         "libsystemd-shared"]},
    # A fresh Debian 12 root for test_package.py (the .deb installed with apt; not the host's /).
    "bookworm": {"version": 252, "volatile": "overlay", "env": {}},
    "trixie": {"version": 257, "volatile": "overlay", "env": {}},
    "sid": {"version": 262, "volatile": "overlay",
            "env": {"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1"}},
}

# The environment of every command run inside a container: fixed, so that output does not
# depend on the caller's locale, terminal or pager.
CONTAINER_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "SYSTEMD_COLORS": "0",
    "SYSTEMD_PAGER": "cat",
    "SYSTEMD_LOG_COLOR": "0",
    "COLUMNS": "2000",
    "TERM": "dumb",
}

BOOT_TIMEOUT = 120          # seconds until the container's manager must be up
POWEROFF_TIMEOUT = 30       # seconds a clean shutdown may take before we kill
DEBOOTSTRAP_TIMEOUT = 3600  # a cold root build on a slow mirror

_live = {}                  # nspawn pid -> Container, for the emergency hooks


class ContainerError(Exception):
    pass


def skip_reason():
    """Why containers cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root to boot systemd-nspawn containers"
    for tool in ("systemd-nspawn", "nsenter"):
        if shutil.which(tool) is None and not os.path.exists("/usr/bin/" + tool):
            return "%s is not installed (apt-get install systemd-container util-linux)" % tool
    return None


def _nspawn_path():
    return shutil.which("systemd-nspawn") or "/usr/bin/systemd-nspawn"


def _nsenter_path():
    return shutil.which("nsenter") or "/usr/bin/nsenter"


# ---------------------------------------------------------------------------------------------
# Root file systems

def debian_mirror():
    """The Debian mirror this machine's apt uses: the first URIs: line of the deb822 sources,
    else the first deb line of sources.list. Read at run time so no host name lives in the
    repository."""
    deb822 = "/etc/apt/sources.list.d/debian.sources"
    if os.path.exists(deb822):
        with open(deb822, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*URIs:\s*(\S+)", line)
                if m:
                    return m.group(1)
    if os.path.exists("/etc/apt/sources.list"):
        with open("/etc/apt/sources.list", encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)", line)
                if m:
                    return m.group(1)
    raise ContainerError("cannot find a Debian mirror in /etc/apt/sources.list{.d/debian.sources,}")


def _root_complete(path):
    return os.path.exists(os.path.join(path, "usr/lib/systemd/systemd")) or \
        os.path.exists(os.path.join(path, "lib/systemd/systemd"))


def ensure_root(suite, log=None):
    """Return the path of the cached root of `suite`, building it first if it is missing.

    The build runs in DIR.tmp and is renamed into place, so a root that exists is complete; a
    lock file serialises concurrent test runs (the second one waits, then finds the root)."""
    if suite == "host":
        return "/"
    path = os.path.join(ROOTS_DIR, suite)
    if _root_complete(path):
        return path
    os.makedirs(ROOTS_DIR, exist_ok=True)
    with open(os.path.join(ROOTS_DIR, ".%s.lock" % suite), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _root_complete(path):
            return path
        if os.path.exists(path):
            raise ContainerError("%s exists but holds no systemd: remove it to rebuild" % path)
        if shutil.which("debootstrap") is None:
            raise ContainerError("debootstrap is missing (apt-get install debootstrap)")
        release = SUITES.get(suite, {}).get("debootstrap", suite)
        backports = SUITES.get(suite, {}).get("backports", [])
        script = "/usr/share/debootstrap/scripts/" + release
        if not os.path.exists(script):
            raise ContainerError("debootstrap has no script for %s: %s" % (suite, script))
        tmp = path + ".tmp"
        if os.path.exists(tmp):
            subprocess.run(["rm", "-rf", "--one-file-system", tmp], check=True)
        mirror = debian_mirror()
        cmd = ["debootstrap", "--variant=minbase", "--include=systemd,dbus,systemd-sysv",
               release, tmp, mirror, script]
        if log:
            log("building %s root: %s" % (suite, " ".join(cmd)))
        os.makedirs(LOG_DIR, exist_ok=True)
        with open(os.path.join(LOG_DIR, "debootstrap-%s.log" % suite), "w") as out:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                               timeout=DEBOOTSTRAP_TIMEOUT, check=False)
            if r.returncode == 0 and backports:
                with open(os.path.join(tmp, "etc/apt/sources.list.d/backports.list"), "w") as f:
                    f.write("deb %s %s main\n" % (mirror, suite))
                env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
                for step in (["apt-get", "update"],
                             ["apt-get", "install", "-y", "-t", suite] + backports):
                    r = subprocess.run(["chroot", tmp] + step, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT, env=env,
                                       timeout=DEBOOTSTRAP_TIMEOUT, check=False)
                    if r.returncode != 0:
                        break
        if r.returncode != 0 or not _root_complete(tmp):
            raise ContainerError("debootstrap %s failed (rc %d), see %s/debootstrap-%s.log"
                                 % (suite, r.returncode, LOG_DIR, suite))
        os.rename(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------
# Containers

def _set_pdeathsig():
    # Runs in the child between fork and exec: if the Python process dies, systemd-nspawn gets
    # SIGTERM, which it forwards to the container as a power-off request.
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid), encoding="ascii") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _is_container_init(pid):
    # The nspawn child that matters is PID 1 of its own PID namespace and has exec'd systemd;
    # before that there is a short-lived intermediate child.
    try:
        with open("/proc/%d/status" % pid, encoding="ascii", errors="replace") as f:
            status = f.read()
        with open("/proc/%d/comm" % pid, encoding="ascii", errors="replace") as f:
            comm = f.read().strip()
    except OSError:
        return False
    m = re.search(r"^NSpid:\s*(.*)$", status, re.M)
    return bool(m) and m.group(1).split()[-1] == "1" and comm == "systemd"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Container:
    """One booted systemd container. Use boot(), then run()/install_units()/..., then
    poweroff() (also registered with atexit)."""

    def __init__(self, suite, name):
        if suite not in SUITES:
            raise ValueError("unknown suite %r" % suite)
        self.suite = suite
        self.name = name
        self.spec = SUITES[suite]
        self.root = None
        self.proc = None
        self.pid1 = None
        self.version = None
        self.log_path = os.path.join(LOG_DIR, "%s.log" % name)
        self._log = None

    # -- lifecycle -----------------------------------------------------------------------------

    def boot(self, timeout=BOOT_TIMEOUT):
        self.spawn()
        try:
            self._wait_up(timeout)
        except BaseException:
            self.poweroff()
            raise
        return self

    def spawn(self):
        """Start systemd-nspawn without waiting for the boot (boot() = spawn() + wait_up()).
        Call it from the thread that lives as long as the container: PR_SET_PDEATHSIG fires when
        the spawning THREAD exits. wait_up() may then run in any thread."""
        self.root = ensure_root(self.suite)
        os.makedirs(LOG_DIR, exist_ok=True)
        self._log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.update(self.spec["env"])
        cmd = [_nspawn_path(), "-D", self.root, "--volatile=" + self.spec["volatile"],
               "--register=no", "--keep-unit", "-M", self.name, "-b", "--console=pipe"]
        # stdout/stderr go to a file and stdin is /dev/null: a container must never hold the
        # caller's output open. A new session keeps a terminal's ^C for us to handle.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                     preexec_fn=_set_pdeathsig)
        _live[self.proc.pid] = self
        return self

    def wait_up(self, timeout=BOOT_TIMEOUT):
        """Wait until a spawn()ed container's manager is up; powers it off on failure."""
        try:
            self._wait_up(timeout)
        except BaseException:
            self.poweroff()
            raise
        return self

    def _wait_up(self, timeout):
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            if self.proc.poll() is not None:
                raise ContainerError("systemd-nspawn exited with %d during boot; log: %s"
                                     % (self.proc.returncode, self.tail_log()))
            kids = [k for k in _children(self.proc.pid) if _is_container_init(k)]
            if kids:
                self.pid1 = kids[0]
            elif time.monotonic() > deadline:
                raise ContainerError("no container PID 1 after %ds" % timeout)
            else:
                time.sleep(0.05)
        # The child of systemd-nspawn execs systemd; wait until it has.
        state = ""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ContainerError("container %s not up after %ds (state %r); log: %s"
                                     % (self.name, timeout, state, self.tail_log()))
            if self.proc.poll() is not None:
                raise ContainerError("systemd-nspawn exited with %d during boot; log: %s"
                                     % (self.proc.returncode, self.tail_log()))
            try:
                r = self.run(["systemctl", "is-system-running", "--wait"], check=False,
                             timeout=max(1.0, left))
                state = r.stdout.strip()
            except subprocess.TimeoutExpired:
                continue
            if state in ("running", "degraded") and os.path.exists(self.bus_socket):
                break
            time.sleep(0.1)
        r = self.run(["systemctl", "--version"])
        m = re.match(r"systemd (\d+)", r.stdout)
        if not m:
            raise ContainerError("cannot parse systemctl --version: %r" % r.stdout[:200])
        self.version = int(m.group(1))

    def poweroff(self, timeout=POWEROFF_TIMEOUT):
        """Shut the container down; kill it if a clean shutdown hangs. Idempotent."""
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.poll() is None and self.pid1 is not None and _alive(self.pid1):
                try:
                    self.run(["systemctl", "--no-block", "poweroff"], check=False, timeout=10)
                except (subprocess.TimeoutExpired, OSError):
                    pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)   # nspawn: power the container off
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    if self.pid1 is not None and _alive(self.pid1):
                        os.kill(self.pid1, signal.SIGKILL)  # kills the whole PID namespace
                    proc.kill()
                    proc.wait(timeout=10)
        finally:
            _live.pop(proc.pid, None)
            self.proc = None
            self.pid1 = None
            if self._log:
                self._log.close()
                self._log = None

    def tail_log(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    # -- helpers -------------------------------------------------------------------------------

    @property
    def bus_socket(self):
        return "/proc/%d/root/run/dbus/system_bus_socket" % self.pid1

    @property
    def bus_address(self):
        """DBUS_SYSTEM_BUS_ADDRESS for a host-side client of this container's system bus."""
        return "unix:path=" + self.bus_socket

    def host_env(self, **extra):
        """The environment for a host-side bus client (e.g. `exposured scan`)."""
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        env.update(extra)
        return env

    def path(self, p):
        """The host-side path of path p inside the running container."""
        return "/proc/%d/root/%s" % (self.pid1, p.lstrip("/"))

    def run(self, argv, check=True, timeout=120, input=None, env=None):
        """Run argv inside the container (all its namespaces); returns a CompletedProcess with
        text stdout/stderr. Raises ContainerError if check and the exit status is not 0."""
        if self.pid1 is None:
            raise ContainerError("container %s is not running" % self.name)
        e = dict(CONTAINER_ENV)
        if env:
            e.update(env)
        cmd = [_nsenter_path(), "-t", str(self.pid1), "-a", "--", "env", "-i"]
        cmd += ["%s=%s" % kv for kv in sorted(e.items())]
        cmd += list(argv)
        r = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL, check=False,
                           encoding="utf-8", errors="surrogateescape")
        if check and r.returncode != 0:
            raise ContainerError("in %s: %s: exit %d\n%s" % (self.name, " ".join(argv),
                                                             r.returncode, r.stderr[-2000:]))
        return r

    def daemon_reload(self):
        self.run(["systemctl", "daemon-reload"], timeout=300)

    def install_units(self, files, reload=True):
        """Write unit files into the container's /etc/systemd/system. files maps a relative path
        (e.g. "foo.service", "foo.service.d/x.conf", "multi-user.target.wants/foo.service") to
        its text, or to ("symlink", TARGET). Then daemon-reload."""
        base = self.path("/etc/systemd/system")
        for rel, content in files.items():
            dst = os.path.join(base, rel)
            if os.path.normpath(dst) != dst or not dst.startswith(base + "/"):
                raise ValueError("bad unit path %r" % rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.lexists(dst):
                os.unlink(dst)
            if isinstance(content, tuple):
                os.symlink(content[1], dst)
            else:
                with open(dst, "w", encoding="utf-8") as f:
                    f.write(content)
        if reload:
            self.daemon_reload()

    def remove_units(self, names, reload=True):
        base = self.path("/etc/systemd/system")
        for rel in names:
            dst = os.path.join(base, rel)
            if os.path.isdir(dst) and not os.path.islink(dst):
                shutil.rmtree(dst)
            elif os.path.lexists(dst):
                os.unlink(dst)
        if reload:
            self.daemon_reload()

    def list_files(self, directory, suffix):
        """Names of the files and symlinks in a directory of the container ending in suffix."""
        d = self.path(directory)
        try:
            return sorted(n for n in os.listdir(d) if n.endswith(suffix))
        except FileNotFoundError:
            return []


def poweroff_all():
    """Emergency hook: power off every container still running."""
    for c in list(_live.values()):
        try:
            c.poweroff(timeout=15)
        except Exception as e:  # keep going: the others must go too
            sys.stderr.write("exposured tests: failed to power off %s: %s\n" % (c.name, e))


def _on_sigterm(signum, frame):
    poweroff_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(poweroff_all)
if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
    signal.signal(signal.SIGTERM, _on_sigterm)


def unique_name(prefix):
    """A machine name unlikely to clash with a parallel run: prefix-PID-counter."""
    unique_name.counter += 1
    return "%s-%d-%d" % (prefix, os.getpid(), unique_name.counter)


unique_name.counter = 0
