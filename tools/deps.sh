#!/bin/sh
# shellcheck disable=SC2034 # the pkgs_* lists are read through eval
# Make sure the Debian packages a make target needs are installed.
# Usage: tools/deps.sh GROUP...   (groups: build test integration deb sanitize valgrind bench)
# As root it installs what is missing with apt-get; otherwise it prints the exact apt-get line and
# fails, so that `make check` never runs half its tests silently.
set -eu

pkgs_build="gcc make pkg-config libsystemd-dev libmicrohttpd-dev libsqlite3-dev libjson-c-dev
        libcurl4-gnutls-dev"
# python3: tests/check-man.py (check-unit); man-db (with groff-base): man --warnings (make lint).
pkgs_test="libcmocka-dev python3 man-db"
pkgs_integration="systemd systemd-container dbus debootstrap python3 python3-pytest sqlite3 curl
        prometheus prometheus-alertmanager chromium chromium-driver python3-selenium
        python3-prometheus-client python3-yaml iproute2"
# make deb (systemd: `pkg-config systemd` for the unit directories; binutils (readelf) and git for
# tests/integration/test_package.py, which also needs the integration group).
pkgs_deb="debhelper dpkg-dev lintian systemd binutils git"
pkgs_sanitize="clang"
pkgs_valgrind="valgrind"
# bench/ (not part of any check): wrk for bench-http, node_exporter for bench-http.py
pkgs_bench="wrk prometheus-node-exporter"

want=""
for g in "$@"; do
        eval "want=\"\$want \$pkgs_$g\""
done

missing=""
for p in $want; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
                missing="$missing $p"
        fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
        echo "Missing Debian packages. Install them with:" >&2
        echo "    sudo apt-get install -y$missing" >&2
        exit 1
fi
echo "Installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # $missing is a list of words
apt-get install -y -q $missing >&2 || { apt-get update -q >&2 && apt-get install -y -q $missing >&2; }
