#!/bin/sh
# The version has one source, daemon/version.h (EXPOSURED_VERSION); debian/changelog's newest
# entry must carry the same version (the package is native: no Debian revision). Prints the
# version; fails naming both when they differ. tools/bump-version.sh changes both at once.
# Usage: tools/check-version.sh [TOP]
set -eu

top=${1:-.}
v=$(sed -n 's/^#define EXPOSURED_VERSION "\(.*\)"$/\1/p' "$top/daemon/version.h")
if [ -z "$v" ]; then
        echo "check-version: no EXPOSURED_VERSION in $top/daemon/version.h" >&2
        exit 1
fi
# The first line of a changelog: "exposured (VERSION) SUITE; urgency=...".
d=$(sed -n '1s/^exposured (\([^)]*\)) .*/\1/p' "$top/debian/changelog")
if [ "$d" != "$v" ]; then
        echo "check-version: daemon/version.h says $v but debian/changelog says '${d}';" \
                "run tools/bump-version.sh $v" >&2
        exit 1
fi
echo "$v"
