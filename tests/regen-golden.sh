#!/bin/sh
# SPDX-License-Identifier: MIT
# Rewrite tests/golden/*.out from tests/fixtures/*.props with the scorer as built now, and
# tests/golden/tables/vNNN.out (each version's effective assessor table) with the tables as built
# now. A deliberate step: review the diff. Usage: tests/regen-golden.sh [BINARY]  (the daemon binary is accepted for
# the Makefile's sake but not needed: the printer is build/tests/test-golden --print).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
printer="$top/$build/tests/test-golden"
make -C "$top" --no-print-directory "$build/tests/test-golden" >/dev/null
mkdir -p "$top/tests/golden"
for f in "$top"/tests/fixtures/v*-*.props; do
        name=$(basename "$f" .props)
        version=${name#v}
        version=${version%%-*}
        "$printer" --print "$version" "$f" > "$top/tests/golden/$name.out"
done
n=$(find "$top/tests/fixtures" -maxdepth 1 -name "v*-*.props" | wc -l)
dumper="$top/$build/tests/test-score-table"
make -C "$top" --no-print-directory "$build/tests/test-score-table" >/dev/null
mkdir -p "$top/tests/golden/tables"
t=0
for version in $("$dumper" --list); do
        "$dumper" --print "$version" > "$top/tests/golden/tables/v$version.out"
        t=$((t + 1))
done
echo "regenerated $n golden files and $t table dumps; now run tests/check-oracle.sh"
