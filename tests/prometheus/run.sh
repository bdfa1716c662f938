#!/bin/sh
# Check the Prometheus rules (promtool check rules + promtool test rules): the per-host alerts
# (units/exposured.rules.yml) and the fleet's recording rules and alert
# (monitoring/exposured-fleet.rules.yml); and, when given the exposured binary's /metrics URL,
# lint a live scrape. Exit 77 (skip) without promtool (Debian: apt-get install prometheus).
# Usage: tests/prometheus/run.sh [METRICS_URL]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v promtool >/dev/null 2>&1; then
        echo "promtool not installed (apt-get install prometheus); skipped" >&2
        exit 77
fi
promtool check rules "$here/../../units/exposured.rules.yml" \
        "$here/../../monitoring/exposured-fleet.rules.yml"
cd "$here" && promtool test rules exposured.rules.test.yml exposured-fleet.rules.test.yml \
        exposured-fleet-regressions.rules.test.yml
if [ $# -ge 1 ]; then
        curl -fsS "$1" | promtool check metrics
fi
