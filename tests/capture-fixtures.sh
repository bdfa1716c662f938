#!/bin/bash
# SPDX-License-Identifier: MIT
# Capture fixtures and oracle output from a real systemd (root; boots a throwaway container).
#   tests/capture-fixtures.sh ROOT OUTDIR [UNIT_FILE...]
# ROOT is a systemd-nspawn root ("/" for the host's own systemd, booted with --volatile=yes;
# anything else with --volatile=overlay, so the root is never modified). The unit files (default:
# tests/fixtures/units/*.service) are installed in the container's /run/systemd/system. For every
# loaded service plus those units OUTDIR gets NAME.props (`systemctl show -p ...`: the fixture
# format), NAME.txt (`SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze security NAME`, online) and, on
# v250+, NAME.json (the same with --json=short); also syscall-filter.txt and the version.
# Compare with: tests/check-oracle.py build/tests/test-golden VERSION OUTDIR
set -u
root=$1
out=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then set -- "$top"/tests/fixtures/units/*.service; fi
props=Id,LoadState,FragmentPath,Description,DefaultDependencies,Type,NotifyAccess,User
props=$props,DynamicUser,SupplementaryGroups,PrivateDevices,PrivateMounts,PrivateNetwork
props=$props,PrivateTmp,PrivateUsers,ProtectControlGroups,ProtectKernelModules
props=$props,ProtectKernelTunables,ProtectKernelLogs,ProtectClock,ProtectHostname,ProtectHome
props=$props,ProtectSystem,RootDirectory,RootImage,LockPersonality,MemoryDenyWriteExecute
props=$props,NoNewPrivileges,CapabilityBoundingSet,AmbientCapabilities,UMask,KeyringMode
props=$props,ProtectProc,ProcSubset,RemoveIPC,RestrictRealtime,RestrictSUIDSGID
props=$props,RestrictNamespaces,RestrictAddressFamilies,SystemCallArchitectures
props=$props,SystemCallFilter,Delegate,DevicePolicy,DeviceAllow,IPAddressAllow,IPAddressDeny
props=$props,IPIngressFilterPath,IPEgressFilterPath
mkdir -p "$out"
if [ "$root" = / ]; then volatile=yes; else volatile=overlay; fi
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -D "$root" --volatile=$volatile --register=no \
        --keep-unit -M "capture$$" -b --console=pipe >"$out/boot.log" 2>&1 &
ns=$!
trap 'kill $ns 2>/dev/null; wait $ns 2>/dev/null' EXIT
pid1=
for _ in $(seq 100); do
        pid1=$(ps --ppid $ns -o pid= | tr -d ' ' | head -1)
        [ -n "$pid1" ] && [ -S "/proc/$pid1/root/run/systemd/private" ] && break
        sleep 0.3
done
[ -n "$pid1" ] || { echo "container did not boot" >&2; exit 1; }
run_in() { nsenter -t "$pid1" -a "$@"; }
for _ in $(seq 60); do
        case $(run_in systemctl is-system-running 2>/dev/null) in running|degraded) break;; esac
        sleep 0.5
done
cp "$@" "/proc/$pid1/root/run/systemd/system/"
run_in systemctl daemon-reload
run_in systemctl show -p Version --value > "$out/version"
run_in systemd-analyze syscall-filter > "$out/syscall-filter.txt" 2>&1
json=1
run_in systemd-analyze security --json=short systemd-journald.service >/dev/null 2>&1 || json=0
{ run_in systemctl list-units --all --type=service --plain --no-legend --no-pager | awk '{print $1}'
  for f in "$@"; do basename "$f"; done; } | grep '\.service$' | sort -u |
while read -r u; do
        run_in systemctl show -p "$props" "$u" > "$out/$u.props" 2>/dev/null
        run_in env SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze security --no-pager "$u" \
                > "$out/$u.txt" 2>/dev/null
        [ $json = 0 ] || run_in env SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze security --json=short \
                "$u" > "$out/$u.json" 2>/dev/null
done
run_in systemctl poweroff >/dev/null 2>&1
for _ in $(seq 40); do kill -0 $ns 2>/dev/null || break; sleep 0.5; done
n=$(find "$out" -maxdepth 1 -name "*.props" | wc -l)
echo "captured $n units from systemd $(cat "$out/version")"
