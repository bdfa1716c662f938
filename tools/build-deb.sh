#!/bin/sh
# Build exposured's Debian packages and check them with lintian.
# Usage: tools/build-deb.sh [-o OUTDIR] [-V VERSION]
#   -o OUTDIR   where the .deb, the -dbgsym .deb, .buildinfo and .changes go (default build/deb)
#   -V VERSION  build as this (newer) version: tools/bump-version.sh runs in the build's copy of
#               the tree, the tree itself is left alone (the lifecycle test's upgrade build)
# dpkg-buildpackage writes its results into the parent of the source directory, which in a CI
# checkout may not be writable. So the tree (the files git tracks, or everything but build/ and
# .git outside git) is copied to OUTDIR/exposured-VERSION and built there: the results land in
# OUTDIR, and the build sees only what a fresh clone has. lintian must report no error and no
# warning (overrides: debian/exposured.lintian-overrides, each with its reason).
set -eu

out=build/deb
version=""
while getopts o:V: opt; do
        case $opt in
        o) out=$OPTARG ;;
        V) version=$OPTARG ;;
        *) echo "usage: $0 [-o OUTDIR] [-V VERSION]" >&2; exit 2 ;;
        esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { echo "usage: $0 [-o OUTDIR] [-V VERSION]" >&2; exit 2; }

top=$(pwd)
v=$(tools/check-version.sh)
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Only what an earlier run left there: OUTDIR may hold other things.
rm -rf "$out"/exposured-[0-9]*/
rm -f "$out"/exposured_*.deb "$out"/exposured-dbgsym_*.deb "$out"/exposured_*.buildinfo \
        "$out"/exposured_*.changes "$out/build.log" "$out/lintian.log"
src="$out/exposured-${version:-$v}"
mkdir "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # Tracked files as they are in the work tree (uncommitted edits included); a tracked file
        # deleted in the work tree is skipped.
        (cd "$top" && git ls-files -z | tar --null -T - --ignore-failed-read -cf -) |
                tar -xf - -C "$src"
else
        (cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi
if [ -n "$version" ]; then
        (cd "$src" && tools/bump-version.sh "$version" "Rebuild as $version." >/dev/null)
        v=$version
fi

echo "  DEB     $src" >&2
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 ||
        { tail -n 40 "$out/build.log" >&2; echo "build-deb: see $out/build.log" >&2; exit 1; }
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes="$out/exposured_${v}_${arch}.changes"
lintian --fail-on error,warning --info --display-info "$changes" > "$out/lintian.log" 2>&1 ||
        { cat "$out/lintian.log" >&2; echo "build-deb: lintian failed" >&2; exit 1; }
cat "$out/lintian.log" >&2
rm -rf "$src"
ls "$out"/*.deb
