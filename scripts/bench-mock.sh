#!/usr/bin/env bash
# Measures the mock server's throughput: streaming chat, 16 output tokens, zero latency,
# one tokio worker pinned to CPU 0, wrk pinned to CPU 1, 64 connections, both SSE modes.
# Usage: scripts/bench-mock.sh [duration, default 10s]
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION="${1:-10s}"
PORT="${PORT:-18080}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
BIN="$CARGO_TARGET_DIR/release/gauntlet"

cargo build --release --quiet
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; true; }
trap cleanup EXIT

for mode in one-body chunked; do
  log="$(mktemp)"
  taskset -c 0 "$BIN" mock-server --port "$PORT" --workers 1 --sse-mode "$mode" >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q "mock server listening" "$log" && break
    sleep 0.05
  done
  grep -q "mock server listening" "$log" || { echo "server did not start:" >&2; cat "$log" >&2; exit 1; }
  echo "=== --sse-mode $mode ==="
  taskset -c 1 wrk -t1 -c64 -d"$DURATION" -s scripts/wrk-chat.lua "http://127.0.0.1:$PORT/"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rm -f "$log"
done
