#!/bin/bash
# `make run`: watch this host's systemd and serve the dashboard. Where systemd is not PID 1 (a
# container, a CI box), boot a throwaway systemd container (systemd-nspawn, the host's own /
# with a volatile /etc and /var), load the sample services from tests/sample-units/ and watch that.
# Stops (and powers the container off) on Ctrl-C.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/exposured"
listen=${LISTEN:-127.0.0.1:9573}
db=${DB:-$top/build/demo.db}

if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ]; then
        echo "Watching this host's systemd. Dashboard: http://$listen/"
        exec "$bin" run --db="$db" --listen="$listen"
fi

if [ "$(id -u)" -ne 0 ]; then
        echo "systemd is not PID 1 here; the demo container needs root (systemd-nspawn)." >&2
        exit 1
fi
"$top/tools/deps.sh" build integration

name=exposured-demo-$$
log=$(mktemp)
systemd-nspawn -D / --volatile=yes --register=no --keep-unit -M "$name" -b --console=pipe \
        >"$log" 2>&1 &
nspawn=$!
cleanup() {
        # The daemon first (it would otherwise outlive us, retrying a bus that is gone), then the
        # container.
        if [ -n "${daemon:-}" ]; then
                kill "$daemon" 2>/dev/null || true
                wait "$daemon" 2>/dev/null || true
        fi
        if [ -n "${pid1:-}" ]; then
                nsenter -t "$pid1" -a systemctl poweroff >/dev/null 2>&1 || true
        fi
        for _ in $(seq 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
        kill "$nspawn" 2>/dev/null || true
        wait "$nspawn" 2>/dev/null || true
        rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pid1=
daemon=
for _ in $(seq 300); do
        pid1=$(pgrep -P "$nspawn" -x systemd || true)
        [ -n "$pid1" ] && break
        kill -0 "$nspawn" 2>/dev/null || break
        sleep 0.1
done
# Until the manager answers (its bus appears a moment after PID 1 does) and has booted.
state=
for _ in $(seq 300); do
        [ -n "$pid1" ] || break
        state=$(timeout 60 nsenter -t "$pid1" -a systemctl is-system-running --wait 2>/dev/null) ||
                true
        case "$state" in running | degraded) break ;; esac
        kill -0 "$nspawn" 2>/dev/null || break
        sleep 0.1
done
case "$state" in
running | degraded) ;;
*)
        echo "The demo container did not boot (state '${state:-none}'):" >&2
        cat "$log" >&2
        exit 1
        ;;
esac

cp "$top"/tests/sample-units/*.service "/proc/$pid1/root/etc/systemd/system/"
nsenter -t "$pid1" -a systemctl daemon-reload
nsenter -t "$pid1" -a systemctl start demo-web demo-hardened demo-root demo-markup \
        demo-worker@1 demo-worker@2 demo-backup || true

echo "Watching the demo container's systemd ($name, PID $pid1)."
echo "Dashboard: http://$listen/   (Ctrl-C stops the daemon and the container)"
DBUS_SYSTEM_BUS_ADDRESS="unix:path=/proc/$pid1/root/run/dbus/system_bus_socket" \
        "$bin" run --db="$db" --listen="$listen" &
daemon=$!
wait "$daemon"
