#!/bin/sh
# Set exposured's version: EXPOSURED_VERSION in daemon/version.h and a new top entry in
# debian/changelog, so that the two agree (tools/check-version.sh). The entry's author is
# DEBFULLNAME/DEBEMAIL, else the changelog's previous one.
# Usage: tools/bump-version.sh VERSION [CHANGE]
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
        echo "usage: $0 VERSION [CHANGE]" >&2
        exit 2
fi
v=$1
change=${2:-New upstream version $v.}
# A Debian native version usable as a C string: digits first, then [A-Za-z0-9.+~].
if ! printf '%s\n' "$v" | grep -Eq '^[0-9][A-Za-z0-9.+~]*$'; then
        echo "bump-version: '$v' is not a version (digits first, then A-Z a-z 0-9 . + ~)" >&2
        exit 1
fi
old=$(sed -n '1s/^exposured (\([^)]*\)) .*/\1/p' debian/changelog)
if ! dpkg --compare-versions "$v" gt "$old"; then
        echo "bump-version: $v is not newer than $old" >&2
        exit 1
fi
who=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' debian/changelog | head -n 1)
if [ -n "${DEBEMAIL:-}" ]; then
        who="${DEBFULLNAME:-exposured maintainers} <$DEBEMAIL>"
fi
suite=$(sed -n '1s/^exposured ([^)]*) \([^;]*\);.*/\1/p' debian/changelog)

sed -i "s/^#define EXPOSURED_VERSION \".*\"$/#define EXPOSURED_VERSION \"$v\"/" daemon/version.h
{
        printf 'exposured (%s) %s; urgency=medium\n\n  * %s\n\n -- %s  %s\n\n' \
                "$v" "$suite" "$change" "$who" "$(date -R)"
        cat debian/changelog
} > debian/changelog.tmp
mv debian/changelog.tmp debian/changelog
tools/check-version.sh
