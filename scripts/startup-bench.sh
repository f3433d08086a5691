#!/usr/bin/env bash
# Start-up benchmark: time from process start to the first request for a synthetic workload of
# ENTRIES distinct prompts (streaming chat, ISL 100, OSL 16), built cold (empty workload cache,
# warm corpus cache) and then read back from the workload cache, against the built-in mock
# server on loopback. Usage: scripts/startup-bench.sh [ENTRIES] [RUNS]
# GAUNTLET_BIN=path compares another build of gauntlet side by side.
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${1:-100000}
RUNS=${2:-3}
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

run() { # $1 = label, $2 = artifact dir; prints the Harness line's start-up and memory
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" profile --model mock-model --url "$URL" \
    --endpoint-type chat --streaming --isl 100 --osl 16 --concurrency 64 \
    --request-count "$ENTRIES" --num-dataset-entries "$ENTRIES" \
    --output-artifact-dir "$2" >"$WORK/stdout" 2>/dev/null
  local first
  first=$(grep -o 'first request [0-9.]* ms after start' "$WORK/stdout" | grep -o '[0-9.]*')
  echo "$1 entries=$ENTRIES first_request=${first} ms peak_rss=$(($(cat "$WORK/rss") / 1024)) MiB"
}

for i in $(seq 1 "$RUNS"); do
  export GAUNTLET_CACHE_DIR="$WORK/cache-$i"
  # Warm the corpus cache only: a one-entry workload has another key.
  "$BIN" profile --model mock-model --url "$URL" --streaming --isl 100 --osl 16 \
    --request-count 1 --output-artifact-dir "$WORK/warm-$i" >/dev/null 2>&1
  run cold "$WORK/cold-$i"
  run cached "$WORK/cached-$i"
  rm -rf "$WORK"/*-"$i"
done
