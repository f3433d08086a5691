#!/usr/bin/env bash
# Trace-replay start-up and memory: replays a Mooncake trace with --fixed-schedule against the
# built-in mock server on loopback and prints the time from process start to the first request
# (the Harness line) and the peak RSS (/usr/bin/time). Usage:
#   scripts/trace-bench.sh [TRACE] [SPEEDUP] [RUNS]
# TRACE defaults to the shared mooncake_conversation_trace.jsonl; GAUNTLET_BIN=path measures
# another build side by side; extra environment (GAUNTLET_STREAM_THRESHOLD_BYTES=…) is passed on.
set -euo pipefail
cd "$(dirname "$0")/.."

TRACE=${1:-../shared/data/traces/mooncake_conversation_trace.jsonl}
SPEEDUP=${2:-100}
RUNS=${3:-1}
TARGET=${CARGO_TARGET_DIR:-target}
if [[ -z "${GAUNTLET_BIN:-}" ]]; then
  cargo build --release --locked --bins >/dev/null 2>&1 || cargo build --release --locked --bins
fi
BIN=${GAUNTLET_BIN:-$TARGET/release/gauntlet}

WORK=$(mktemp -d)
"$BIN" mock-server --port 0 --workers 1 >"$WORK/mock.log" 2>&1 &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/mock.log" && break; sleep 0.05; done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/mock.log" | head -n1)

for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%M %e" -o "$WORK/time" "$BIN" profile --model mock-model --url "$URL" \
    --endpoint-type completions --input-file "$TRACE" --custom-dataset-type mooncake_trace \
    --fixed-schedule --fixed-schedule-speedup "$SPEEDUP" \
    --output-artifact-dir "$WORK/run-$i" >"$WORK/stdout" 2>"$WORK/stderr" || {
      cat "$WORK/stderr" >&2; exit 1; }
  first=$(grep -o 'first request [0-9.]* ms after start' "$WORK/stdout" | grep -o '[0-9.]*' || echo '?')
  read -r rss wall <"$WORK/time"
  inputs=$(du -m "$WORK/run-$i/inputs.json" 2>/dev/null | cut -f1 || echo 0)
  requests=$(grep -o 'Requests: [0-9]* scheduled = [0-9]* succeeded' "$WORK/stdout" | grep -o '[0-9]* succeeded' | grep -o '[0-9]*' || echo '?')
  echo "run=$i first_request=${first} ms peak_rss=$((rss / 1024)) MiB wall=${wall} s succeeded=${requests} inputs_json=${inputs} MiB"
  rm -rf "$WORK/run-$i"
done
