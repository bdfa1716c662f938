#!/usr/bin/python3
# Parse OpenMetrics text from stdin with prometheus_client's strict parser (Debian:
# python3-prometheus-client). Exit 0 when valid, 1 with the parser's error, 77 when the module is
# missing. Used by tests/unit/test-render-metrics.c.
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    print("python3-prometheus-client not installed; skipped", file=sys.stderr)
    sys.exit(77)

text = sys.stdin.buffer.read().decode("utf-8")
try:
    n = sum(len(f.samples) for f in text_string_to_metric_families(text))
except Exception as e:  # the parser raises ValueError and friends
    print(f"invalid OpenMetrics: {e}", file=sys.stderr)
    sys.exit(1)
print(f"{n} samples", file=sys.stderr)
