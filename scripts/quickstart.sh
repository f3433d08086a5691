#!/usr/bin/env bash
# The README's first command: installs what the build needs, builds gauntlet, starts the
# built-in mock server on a free loopback port and benchmarks it for real.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --locked --bins
BIN=target/release/gauntlet
if [ -n "${CARGO_TARGET_DIR:-}" ]; then BIN="$CARGO_TARGET_DIR/release/gauntlet"; fi

LOG=$(mktemp)
"$BIN" mock-server --port 0 --ttft-ms 20 --itl-ms 2 >"$LOG" 2>&1 &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$LOG" && break
  sleep 0.05
done
URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -n1)
if [ -z "$URL" ]; then
  echo "quickstart: the mock server did not start:" >&2
  cat "$LOG" >&2
  exit 1
fi

"$BIN" profile --model mock-model --url "$URL" --endpoint-type chat --streaming \
  --isl 100 --osl 16 --concurrency 8 --request-count 1000 --warmup-request-count 16 \
  --output-artifact-dir artifacts/quickstart "$@"
