#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: what each way of reading a service's properties costs PID 1 and the wall clock.

`exposured scan` (like `systemd-analyze security`) reads a service with one
Properties.GetAll("") call, which makes PID 1 serialize every property of the Unit and Service
interfaces although the scorer needs only about 50 of them. This measures the alternatives that
systemd's D-Bus API offers, on every listed service of a throwaway container (the host's 252 by
default, `--suite bullseye|trixie|sid` for the cached roots) with `--units` generated services
loaded, through dbus-daemon with `--window` calls in flight (as bench-scan.py's floor: raw
client, nothing decoded, an error reply aborts):
  getall-all          GetAll("")                                  what exposured does
  getall-service      GetAll("org.freedesktop.systemd1.Service")  lower bound, not enough alone
  getall-unit         GetAll("org.freedesktop.systemd1.Unit")     for comparison
  service+unit        GetAll(Service) + GetAll(Unit)
  service+2get        GetAll(Service) + Get(Unit, DefaultDependencies) + Get(Unit, FragmentPath)
                      (ListUnits already gives Id, Description and LoadState)
  per-property        one Get per property of daemon/unit-props.c's map (Id, Description and
                      LoadState included)
For each: median wall ms (ListUnits to the last reply), median PID 1 CPU ms (utime+stime from
/proc/PID1/stat, in clock ticks), reply body bytes per unit. Runs interleaved, medians printed
as a markdown table. Not a test: nothing is asserted.
Run as root: /usr/bin/python3 bench/bench-props.py [--units 500] [--runs 9] [--suite host].
"""

import argparse
import importlib.util
import os
import re
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT = "org.freedesktop.systemd1.Unit"
SERVICE = "org.freedesktop.systemd1.Service"
PROPERTIES = "org.freedesktop.DBus.Properties"
# The map's properties that live on the Unit interface (see the comment above daemon/unit-props.c's
# prop_map); every other one is on the Service interface.
UNIT_PROPS = ("DefaultDependencies", "Description", "FragmentPath", "Id", "LoadState")


def _load_bench_scan():
    """bench-scan.py's raw D-Bus client (its file name is not a module name)."""
    spec = importlib.util.spec_from_file_location("bench_scan",
                                                  os.path.join(TOP, "bench", "bench-scan.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bs = _load_bench_scan()


def map_properties():
    """The property names of daemon/unit-props.c's prop_map, in file order."""
    with open(os.path.join(TOP, "daemon", "unit-props.c"), encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"prop_map\[\] = \{(.*?)\n\};", src, re.S)
    names = re.findall(r'\{\s*"([A-Za-z]+)",\s*"', m.group(1)) if m else []
    if len(names) < 20 or not set(UNIT_PROPS) <= set(names):
        sys.exit("bench-props: cannot read the property map of daemon/unit-props.c")
    return names


def _strings(*values):
    buf = bytearray()
    for v in values:
        bs._str(buf, v)
    return bytes(buf)


def approaches(props):
    """[(name, fn(object path) -> [(member, signature, body)])]."""
    def getall(iface):
        return ("GetAll", "s", _strings(iface))

    def get(iface, prop):
        return ("Get", "ss", _strings(iface, prop))

    return [
        ("getall-all", lambda: [getall("")]),
        ("getall-service", lambda: [getall(SERVICE)]),
        ("getall-unit", lambda: [getall(UNIT)]),
        ("service+unit", lambda: [getall(SERVICE), getall(UNIT)]),
        ("service+2get", lambda: [getall(SERVICE), get(UNIT, "DefaultDependencies"),
                                  get(UNIT, "FragmentPath")]),
        ("per-property", lambda: [get(UNIT if p in UNIT_PROPS else SERVICE, p) for p in props]),
    ]


def pid1_cpu_ms(pid):
    fields = open("/proc/%d/stat" % pid, encoding="ascii").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def run(socket_path, pid1, calls, window):
    """One pass: (wall ms, PID 1 CPU ms, reply body bytes, services, calls)."""
    bus = bs.RawBus(socket_path, True)
    try:
        cpu = pid1_cpu_ms(pid1)
        t0 = time.perf_counter()
        units = bs._list_service_paths(bus)
        msgs = []
        first = bus.serial + 1
        for _uid, path in units:
            for member, sig, body in calls():
                bus.serial += 1
                msgs.append(bs._message(bus.serial, path, member, PROPERTIES,
                                        "org.freedesktop.systemd1", sig, body))
        sent = got = nbytes = 0
        while got < len(msgs):
            if sent < len(msgs) and sent - got < window:
                n = min(len(msgs) - sent, window - (sent - got))
                bus.sock.sendall(b"".join(msgs[sent:sent + n]))
                sent += n
            mtype, hdr, msg = bus.read_message()
            if mtype not in (2, 3):
                continue
            rs = bs._reply_serial(msg)
            if rs is None or not first <= rs < first + len(msgs):
                continue
            if mtype == 3:
                raise RuntimeError("error reply: %r" % msg[-200:])
            got += 1
            nbytes += len(msg) - hdr
        ms = (time.perf_counter() - t0) * 1000.0
        return ms, pid1_cpu_ms(pid1) - cpu, nbytes, len(units), got
    finally:
        bus.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=500, help="generated services to load")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--suite", default="host")
    ap.add_argument("--window", type=int, default=64, help="calls in flight")
    args = ap.parse_args()

    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    import containers
    import unitgen

    reason = containers.skip_reason()
    if reason:
        sys.exit("bench-props: " + reason)
    if args.suite not in containers.SUITES:
        sys.exit("bench-props: unknown suite %s (%s)" % (args.suite, ", ".join(containers.SUITES)))
    ways = approaches(map_properties())

    c = containers.Container(args.suite, containers.unique_name("xprops-" + args.suite)).boot()
    try:
        c.install_units(unitgen.generate(c.version).subset(args.units).files)
        for _name, calls in ways:  # warm-up
            run(c.bus_socket, c.pid1, calls, args.window)
        res = {name: [] for name, _ in ways}
        for i in range(args.runs):
            for name, calls in ways[i % len(ways):] + ways[:i % len(ways)]:
                res[name].append(run(c.bus_socket, c.pid1, calls, args.window))
        version = c.version
    finally:
        c.poweroff()

    ref = res[ways[0][0]]
    ref_ms = statistics.median(r[0] for r in ref)
    ref_cpu = statistics.median(r[1] for r in ref)
    print("systemd %d (%s), %d services listed (%d generated), %d runs each, interleaved, "
          "window %d, via dbus-daemon\n" % (version, args.suite, ref[0][3], args.units,
                                            args.runs, args.window))
    print("| way | calls | median ms | min-max ms | PID 1 CPU ms | vs getall-all (wall / CPU) "
          "| reply bytes/unit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, _ in ways:
        r = res[name]
        ms = statistics.median(x[0] for x in r)
        cpu = statistics.median(x[1] for x in r)
        print("| %s | %d | %.1f | %.1f-%.1f | %.0f | %.2fx / %.2fx | %.0f |"
              % (name, r[0][4], ms, min(x[0] for x in r), max(x[0] for x in r), cpu,
                 ms / ref_ms, cpu / ref_cpu if ref_cpu else 0.0, r[0][2] / r[0][3]))


if __name__ == "__main__":
    main()
