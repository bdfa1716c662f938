#!/bin/sh
# Scrape a running exposured with a real Prometheus (Debian package prometheus; it negotiates
# OpenMetrics first) with our alert rules loaded, and check that the scrape succeeds and every
# watched unit arrived. Exit 77 (skip) without prometheus.
# Usage: tests/prometheus/scrape.sh HOST:PORT EXPECTED_UNITS [PROMETHEUS_PORT]
set -eu
target=$1
expected=$2
pport=${3:-19090}
here=$(cd "$(dirname "$0")" && pwd)
command -v prometheus >/dev/null 2>&1 || { echo "prometheus not installed; skipped" >&2; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "curl not installed; skipped" >&2; exit 77; }

dir=$(mktemp -d /tmp/exposured-prom.XXXXXX)
pid=
cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT INT TERM
cp "$here/../../units/exposured.rules.yml" "$dir/"
cat > "$dir/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [exposured.rules.yml]
scrape_configs:
  - job_name: exposured
    static_configs:
      - targets: ['$target']
CONF
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
        --web.listen-address="127.0.0.1:$pport" >"$dir/log" 2>&1 &
pid=$!

query() {
        curl -fsS --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
                /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
for _ in $(seq 1 30); do
        sleep 1
        up=$(query 'up{job="exposured"}' 2>/dev/null || echo none)
        [ "$up" = 1 ] && break
done
if [ "$up" != 1 ]; then
        echo "scrape failed: up=$up" >&2
        curl -fsS "http://127.0.0.1:$pport/api/v1/targets" >&2 || tail -20 "$dir/log" >&2
        exit 1
fi
n=$(query 'count(exposured_unit_exposure)')
fmt=$(curl -fsS "http://127.0.0.1:$pport/api/v1/targets" | /usr/bin/python3 -c \
        'import json,sys; t=json.load(sys.stdin)["data"]["activeTargets"][0]; print(t.get("lastError") or "ok")')
rules=$(curl -fsS "http://127.0.0.1:$pport/api/v1/rules" | /usr/bin/python3 -c \
        'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
echo "prometheus scrape: up=$up units=$n expected=$expected last_error=$fmt rules_loaded=$rules"
[ "$n" = "$expected" ] && [ "$fmt" = ok ] && [ "$rules" -ge 5 ]
