#!/usr/bin/env bash
# Smoke test a running deployment: /healthz answers, and a sample event batch is accepted.
# Usage: scripts/smoke_test.sh [BASE_URL]
set -euo pipefail

BASE_URL="${1:-${ANALYTICS_BASE_URL:-http://127.0.0.1:8081}}"

echo "GET  ${BASE_URL}/healthz"
curl --fail --silent --show-error --max-time 5 "${BASE_URL}/healthz"
echo

payload='{"events":[{"type":"pageview","session_id":"smoketest0001","url":"https://www.example.org/","ts":"2026-01-01T00:00:00Z"}]}'
echo "POST ${BASE_URL}/api/events"
status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 \
  -H 'Content-Type: application/json' --data "${payload}" "${BASE_URL}/api/events")
if [ "${status}" != "202" ]; then
  echo "expected 202, got ${status}" >&2
  exit 1
fi
echo "ok"
