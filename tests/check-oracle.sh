#!/bin/sh
# SPDX-License-Identifier: MIT
# Compare the scorer with the oracle output captured next to each fixture (tests/oracle/), per
# systemd version. Needs python3; run after `make` (uses build/tests/test-golden --print).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
versions=$(find "$top/tests/fixtures" -maxdepth 1 -name "v*-*.props" -printf "%f\n" |
        sed -n 's/^v\([0-9]*\)-.*/\1/p' | sort -u)
for v in $versions; do
        mkdir -p "$tmp/$v"
        for f in "$top"/tests/fixtures/v"$v"-*.props; do
                n=$(basename "$f" .props)
                cp "$f" "$tmp/$v/$n.props"
                for ext in txt json overall; do
                        [ ! -f "$top/tests/oracle/$n.$ext" ] || cp "$top/tests/oracle/$n.$ext" "$tmp/$v/"
                done
        done
        python3 "$top/tests/check-oracle.py" "$top/$build/tests/test-golden" "$v" "$tmp/$v" || rc=1
done
exit $rc
