#!/usr/bin/env bash
# Soak test (issue #18): gauntlet against the built-in mock for a long time at a moderate
# rate, with faults mixed in (HTTP 500s, streams cut after their first event, SSE error
# events) and the server's /metrics scraped, sampling the client's RSS and open files every
# SAMPLE seconds. A leak shows as RSS or open files growing with time; the accounting line
# must still balance at the end. Not run in CI (it takes an hour by default).
# Usage: scripts/soak.sh [SECONDS] [RATE]   (defaults: 3600 s at 100 requests/s)
# BIN=path uses a built gauntlet instead of building the release one; OUT=dir keeps the
# artifacts and the samples (default: a temporary folder, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-3600}
RATE=${2:-100}
SAMPLE=${SAMPLE:-10}
if [[ -z "${BIN:-}" ]]; then
  TARGET=${CARGO_TARGET_DIR:-target}
  cargo build --release --locked --bins >/dev/null 2>&1 || cargo build --release --locked --bins
  BIN="$TARGET/release/gauntlet"
fi
KEEP=${OUT:-}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
LOG="$OUT/mock.log"
"$BIN" mock-server --port 0 --workers 1 --ttft-ms 20 --itl-ms 2 --itl-stddev-ms 1 \
  --fail-every 97 --drop-every 89 --error-event-every 83 >"$LOG" 2>&1 &
MOCK=$!
cleanup() {
  kill "$MOCK" 2>/dev/null || true
  [[ -n "${CLIENT:-}" ]] && kill "$CLIENT" 2>/dev/null || true
  [[ -z "$KEEP" ]] && rm -rf "$OUT"
  return 0
}
trap cleanup EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$LOG" && break; sleep 0.05; done
URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -n1)

"$BIN" profile --model mock-model --url "$URL" --endpoint-type chat --streaming \
  --isl 200 --isl-stddev 50 --osl 32 --request-rate "$RATE" --benchmark-duration "$DURATION" \
  --num-dataset-entries 500 --server-metrics "$URL/metrics" \
  --output-artifact-dir "$OUT/run" >"$OUT/stdout" 2>"$OUT/stderr" &
CLIENT=$!

echo "elapsed_s,rss_kib,open_files" >"$OUT/samples.csv"
START=$(date +%s)
while kill -0 "$CLIENT" 2>/dev/null; do
  RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$CLIENT/status" 2>/dev/null || true)
  FDS=$(ls "/proc/$CLIENT/fd" 2>/dev/null | wc -l)
  [[ -n "$RSS" ]] && echo "$(($(date +%s) - START)),$RSS,$FDS" >>"$OUT/samples.csv"
  sleep "$SAMPLE"
done
set +e
wait "$CLIENT"
CODE=$?
set -e
CLIENT=

echo "exit code: $CODE"
grep -E "^Requests:|completed" "$OUT/stdout" | head -n 3 || true
# RSS and open files: first sample after warm-up (a tenth of the run), the largest, the last.
awk -F, -v warm="$((DURATION / 10))" 'NR > 1 {
    if (!base && $1 >= warm) { base = $2; bfd = $3 }
    if ($2 > max) max = $2; if ($3 > fdmax) fdmax = $3; last = $2; lfd = $3; n++
  }
  END {
    printf "samples: %d; RSS after warm-up %.1f MiB, largest %.1f MiB, last %.1f MiB (%+.1f%% after warm-up)\n",
      n, base / 1024, max / 1024, last / 1024, base ? (last - base) * 100 / base : 0
    printf "open files after warm-up %d, largest %d, last %d\n", bfd, fdmax, lfd
  }' "$OUT/samples.csv"
