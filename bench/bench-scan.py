#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: `exposured scan` against `systemd-analyze security` over every loaded service.

Boots a throwaway systemd container (the host's 252 by default), loads N generated services
(tests/integration/unitgen.py) next to the container's own, then times, interleaved, RUNS times
each:
  - systemd-analyze security (no unit) inside the container, as root: it talks to PID 1 over
    the private socket /run/systemd/private;
  - the same as user nobody: it goes through dbus-daemon, like exposured does;
  - exposured scan (no unit) on the host, over the container's dbus-daemon: the table (what
    systemd-analyze prints) and --json (which also holds every check of every unit);
  - the floor: a minimal raw D-Bus client (below, no library) that does what both tools must
    do at the least (Hello, ListUnits, one GetAll per listed service) with every GetAll
    pipelined and no reply decoded; once through dbus-daemon, once on the private socket.
Prints a markdown table of medians (min-max) and ratios, and the load average before and after.
Not a test: nothing is asserted.

--baseline OTHER_EXPOSURED times a second build (say, an older commit) in the same container:
its rows run right next to the first build's, in alternating order (ABBA: old-new, new-old, ...),
so that load and cache effects fall on both alike, and the per-round paired differences (this
build minus the baseline, wall and CPU) are printed with their median and spread.
Run as root: /usr/bin/python3 bench/bench-scan.py [--units 500] [--runs 11] [--suite host]
[--baseline OLD/build/exposured].
"""

import argparse
import os
import resource
import select
import socket
import statistics
import struct
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- a minimal D-Bus client: just enough marshalling for Hello, ListUnits and GetAll ------------

def _pad(buf, n):
    buf.extend(b"\0" * ((-len(buf)) % n))


def _str(buf, s, sig=False):
    b = s.encode()
    if sig:
        buf.append(len(b))
    else:
        _pad(buf, 4)
        buf.extend(struct.pack("<I", len(b)))
    buf.extend(b + b"\0")


def _message(serial, path, member, interface=None, destination=None, body_sig=None, body=b""):
    """A little-endian METHOD_CALL message."""
    fields = bytearray()
    for code, sigc, value in ((1, "o", path), (2, "s", interface), (3, "s", member),
                              (6, "s", destination), (8, "g", body_sig)):
        if value is None:
            continue
        _pad(fields, 8)
        fields.append(code)
        _str(fields, sigc, sig=True)
        _str(fields, value, sig=(sigc == "g"))
    msg = bytearray(b"l\x01\x00\x01")
    msg.extend(struct.pack("<III", len(body), serial, len(fields)))
    msg.extend(fields)
    _pad(msg, 8)
    msg.extend(body)
    return bytes(msg)


def _reply_serial(msg):
    """The REPLY_SERIAL header field of a little-endian message, or None."""
    fields_len = struct.unpack_from("<I", msg, 12)[0]
    off, end = 16, 16 + fields_len
    while off < end:
        off += (-off) % 8
        code = msg[off]
        siglen = msg[off + 1]
        sig = msg[off + 2:off + 2 + siglen]
        off += 2 + siglen + 1
        if sig in (b"s", b"o"):
            off += (-off) % 4
            off += 4 + struct.unpack_from("<I", msg, off)[0] + 1
        elif sig == b"g":
            off += 1 + msg[off] + 1
        elif sig == b"u":
            off += (-off) % 4
            if code == 5:
                return struct.unpack_from("<I", msg, off)[0]
            off += 4
        else:
            raise RuntimeError("unexpected header field signature %r" % sig)
    return None


class RawBus:
    def __init__(self, path, bus_client):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):  # as sd-bus does:
            self.sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)          # 8 MiB, and as
            try:                                                             # root beyond
                self.sock.setsockopt(socket.SOL_SOCKET, force, 8 << 20)      # [rw]mem_max
            except OSError:
                pass
        self.sock.connect(path)
        self.buf = bytearray()
        self.serial = 0
        self.bus_client = bus_client
        uid = str(os.geteuid()).encode().hex().encode()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n")
        line = self._line()
        if not line.startswith(b"OK "):
            raise RuntimeError("D-Bus auth failed: %r" % line)
        self.sock.sendall(b"BEGIN\r\n")
        if bus_client:
            self.call("/org/freedesktop/DBus", "Hello", "org.freedesktop.DBus")
        else:
            # systemd's sd-bus server leaves a message that arrived in the same read as BEGIN
            # unprocessed until more data comes in: ping until a reply shows it listens.
            pings = 0
            while True:
                self.send("/org/freedesktop/systemd1", "Ping", "org.freedesktop.DBus.Peer")
                pings += 1
                if self.buf or select.select([self.sock], [], [], 0.05)[0]:
                    break
            while pings:
                if self.read_message()[0] in (2, 3):
                    pings -= 1

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("D-Bus connection closed")
            self.buf.extend(chunk)
        i = self.buf.index(b"\r\n")
        line = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return line

    def send(self, path, member, interface, body_sig=None, body=b""):
        self.serial += 1
        dest = "org.freedesktop.DBus" if interface == "org.freedesktop.DBus" else \
            "org.freedesktop.systemd1"
        self.sock.sendall(_message(self.serial, path, member, interface,
                                   dest if self.bus_client else None, body_sig, body))

    def read_message(self):
        """(type, body offset, whole message bytes); no decoding of the body."""
        while True:
            if len(self.buf) >= 16:
                if self.buf[0:1] != b"l":
                    raise RuntimeError("big-endian reply not supported")
                body_len, _serial, fields_len = struct.unpack_from("<III", self.buf, 4)
                hdr = 16 + fields_len + ((-(16 + fields_len)) % 8)
                total = hdr + body_len
                if len(self.buf) >= total:
                    msg = bytes(self.buf[:total])
                    del self.buf[:total]
                    return msg[1], hdr, msg
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("D-Bus connection closed")
            self.buf.extend(chunk)

    def call(self, path, member, interface):
        self.send(path, member, interface)
        while True:
            mtype, hdr, msg = self.read_message()
            if mtype in (2, 3) and _reply_serial(msg) == self.serial:
                if mtype == 3:
                    raise RuntimeError("D-Bus error reply to %s" % member)
                return hdr, msg

    def close(self):
        self.sock.close()


def _list_service_paths(bus):
    """ListUnits -> sorted [(id, object path)] of the .service units."""
    hdr, msg = bus.call("/org/freedesktop/systemd1", "ListUnits",
                        "org.freedesktop.systemd1.Manager")
    off = hdr

    def align(o, n):
        return o + ((-o) % n)

    def rstr(o):
        o = align(o, 4)
        n = struct.unpack_from("<I", msg, o)[0]
        return msg[o + 4:o + 4 + n].decode(), o + 4 + n + 1

    off = align(off, 4)
    alen = struct.unpack_from("<I", msg, off)[0]
    off = align(off + 4, 8)
    end = off + alen
    out = []
    while off < end:
        off = align(off, 8)
        uid, off = rstr(off)
        for _ in range(5):
            _, off = rstr(off)
        path, off = rstr(off)
        off = align(off, 4) + 4
        _, off = rstr(off)
        _, off = rstr(off)
        if uid.endswith(".service"):
            out.append((uid, path))
    return sorted(out)


def floor_run(socket_path, bus_client, window=64):
    """Connect, then time ListUnits and one GetAll("") per listed service, pipelined with at
    most `window` calls in flight (dbus-daemon refuses more than 128 pending replies per
    connection on the system bus), until every reply is in, none decoded. Returns (replies,
    milliseconds). The time leaves out connecting (about a millisecond) and building the
    GetAll messages in Python (a C client does that in well under a millisecond)."""
    bus = RawBus(socket_path, bus_client)
    try:
        t0 = time.perf_counter()
        units = _list_service_paths(bus)
        t1 = time.perf_counter()
        body = struct.pack("<I", 0) + b"\0"
        msgs = []
        dest = "org.freedesktop.systemd1" if bus_client else None
        first = bus.serial + 1
        for _uid, path in units:
            bus.serial += 1
            msgs.append(_message(bus.serial, path, "GetAll", "org.freedesktop.DBus.Properties",
                                 dest, "s", body))
        t2 = time.perf_counter()
        sent = got = 0
        while got < len(msgs):
            if sent < len(msgs) and sent - got < window:
                n = min(len(msgs) - sent, window - (sent - got))
                bus.sock.sendall(b"".join(msgs[sent:sent + n]))
                sent += n
            mtype, _hdr, msg = bus.read_message()
            if mtype not in (2, 3):
                continue
            rs = _reply_serial(msg)
            if rs is None or not first <= rs < first + len(msgs):
                continue
            if mtype == 3:
                raise RuntimeError("GetAll failed (error reply): %r" % msg[-200:])
            got += 1
        t3 = time.perf_counter()
        return got, ((t1 - t0) + (t3 - t2)) * 1000.0
    finally:
        bus.close()


# -- the benchmark --------------------------------------------------------------------------------

def _children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * 1000.0


def _loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def _spread(values):
    """"median (min-max, p25-p75)" of a list of ms."""
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return "%+.1f (%+.1f..%+.1f; quartiles %+.1f..%+.1f)" % (statistics.median(values),
                                                               min(values), max(values), q[0],
                                                               q[2])


def timed(fn):
    """Run fn: (wall-clock ms, or the ms fn measured itself; CPU ms of the child processes)."""
    t = time.perf_counter()
    cpu = _children_cpu()
    r = fn()
    ms = (time.perf_counter() - t) * 1000.0
    return (r if isinstance(r, float) else ms), _children_cpu() - cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=500, help="generated services to load")
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--suite", default="host")
    ap.add_argument("--window", type=int, default=64,
                    help="calls in flight for the floor (exposured scan's default is 64)")
    ap.add_argument("--exposured", default=os.environ.get("EXPOSURED",
                                                          os.path.join(TOP, "build/exposured")))
    ap.add_argument("--baseline", metavar="EXPOSURED",
                    help="a second exposured binary, timed next to --exposured in ABBA order")
    ap.add_argument("--machine", default="xbench",
                    help="machine name prefix of the container (default xbench)")
    ap.add_argument("--floor-private", metavar="SOCKET", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_private:
        # Run inside the container: PID 1 refuses private-socket clients from outside it.
        n, ms = floor_run(args.floor_private, False, args.window)
        print("%d %.3f" % (n, ms))
        return

    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    import containers
    import unitgen

    reason = containers.skip_reason()
    if reason:
        sys.exit("bench-scan: " + reason)
    if args.suite not in containers.SUITES:
        sys.exit("bench-scan: unknown suite %s (%s)" % (args.suite, ", ".join(containers.SUITES)))
    for binary in [args.exposured] + ([args.baseline] if args.baseline else []):
        if not os.access(binary, os.X_OK):
            sys.exit("bench-scan: no exposured binary at %s (run make)" % binary)

    load_before = _loadavg()
    c = containers.Container(args.suite,
                             containers.unique_name(args.machine + "-" + args.suite)).boot()
    try:
        us = unitgen.generate(c.version).subset(args.units)
        c.install_units(us.files)
        n_services = int(c.run(["sh", "-c", "systemctl list-units --all --type=service "
                                "--no-legend --plain | wc -l"]).stdout)

        def run_in(argv):
            r = c.run(argv, check=False, timeout=600)
            if r.returncode != 0:
                raise RuntimeError("%s: exit %d: %s" % (argv, r.returncode, r.stderr[-500:]))
            return r.stdout

        def scan(*opts, binary=args.exposured):
            r = subprocess.run([binary, "scan"] + list(opts), env=c.host_env(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=600, check=False)
            if r.returncode != 0:
                raise RuntimeError("exposured scan: exit %d: %s" % (r.returncode, r.stderr[-500:]))

        tools = [
            ("systemd-analyze security (root, private socket)",
             lambda: run_in(["systemd-analyze", "security", "--no-pager"])),
            ("systemd-analyze security (nobody, via dbus-daemon)",
             lambda: run_in(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             "systemd-analyze", "security", "--no-pager"])),
            ("exposured scan, table (via dbus-daemon)", scan),
        ]
        # pairs[i] = (name, baseline's name): timed back to back, in alternating order
        pairs = []
        if args.baseline:
            pairs.append((tools[-1][0], "baseline: " + tools[-1][0]))
            tools.append((pairs[-1][1], lambda: scan(binary=args.baseline)))
        tools.append(("exposured scan --json, every check (via dbus-daemon)",
                      lambda: scan("--json")))
        if args.baseline:
            pairs.append((tools[-1][0], "baseline: " + tools[-1][0]))
            tools.append((pairs[-1][1], lambda: scan("--json", binary=args.baseline)))
        tools += [
            ("floor: pipelined GetAll, no decoding (via dbus-daemon)",
             lambda: floor_run(c.bus_socket, True, args.window)[1]),
        ]
        # The private-socket floor needs a Python inside the container: only the host's tree.
        if os.path.exists(c.path("/usr/bin/python3")):
            with open(os.path.abspath(__file__), encoding="utf-8") as f:
                src = f.read()
            with open(c.path("/run/xbench-floor.py"), "w", encoding="utf-8") as f:
                f.write(src)
            tools.append(("floor: pipelined GetAll, no decoding (private socket)",
                          lambda: float(run_in(["/usr/bin/python3", "/run/xbench-floor.py",
                                                "--floor-private", "/run/systemd/private",
                                                "--window", str(args.window)]
                                               ).split()[1])))
        tools.append(("overhead: nsenter + /bin/true", lambda: run_in(["true"])))
        n_get = floor_run(c.bus_socket, True)[0]
        for _name, fn in tools:  # warm-up: page cache, unit objects, bus names
            fn()
        times = {name: [] for name, _ in tools}
        cpus = {name: [] for name, _ in tools}
        # The rotation below moves every contender through the round; a baseline's row is then
        # put right next to its pair, first on odd rounds and second on even ones (ABBA).
        paired = {b: a for a, b in pairs}
        groups = [[t] for t in tools if t[0] not in paired]
        for g in groups:
            g += [t for t in tools if paired.get(t[0]) == g[0][0]]
        for i in range(args.runs):
            order = []
            for g in groups[i % len(groups):] + groups[:i % len(groups)]:
                order += g if i % 2 == 0 else g[::-1]
            for name, fn in order:
                ms, cpu = timed(fn)
                times[name].append(ms)
                cpus[name].append(cpu)
        version = c.version
        load_after = _loadavg()
    finally:
        c.poweroff()

    ref = statistics.median(times[tools[0][0]])
    print("systemd %d (%s), %d services loaded (%d generated), %d GetAll calls, %d runs each, "
          "interleaved; floor window %d\n" % (version, args.suite, n_services, args.units,
                                              n_get, args.runs, args.window))
    print("load average (1, 5, 15 min) before boot: %s; after the last run: %s\n"
          % (load_before, load_after))
    print("| what | median ms | min-max ms | client CPU ms (min-max) | vs systemd-analyze |")
    print("|---|---:|---:|---:|---:|")
    for name, _ in tools:
        t = times[name]
        med = statistics.median(t)
        cpu = "-" if name.startswith("floor") else "%.0f (%.0f-%.0f)" % (
            statistics.median(cpus[name]), min(cpus[name]), max(cpus[name]))
        print("| %s | %.1f | %.1f-%.1f | %s | %.2fx |" % (name, med, min(t), max(t), cpu,
                                                          med / ref))
    for name, base in pairs:
        print("\n%s minus baseline, per round, ms: wall %s; CPU %s"
              % (name, _spread([a - b for a, b in zip(times[name], times[base])]),
                 _spread([a - b for a, b in zip(cpus[name], cpus[base])])))


if __name__ == "__main__":
    main()
