#!/usr/bin/env bash
# Load benchmark of the whole harness against the built-in mock server on loopback:
# streaming chat, ISL 100, OSL 16, concurrency 64, client and server sharing this machine.
# Prints achieved requests/s, client CPU-seconds per 1,000 requests, peak RSS and the time
# from process start to the first request, and the send lag (actual - scheduled send) p50/p99.
# Usage: scripts/load-bench.sh [REQUESTS] [SSE_MODE]
# CONCURRENCY=N sets the closed-loop concurrency (default 64); RATE=N runs open loop instead, N
# requests/s with constant gaps (then concurrency is not capped).
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-200000}
SSE_MODE=${2:-one-body}
CONCURRENCY=${CONCURRENCY:-64}
RATE=${RATE:-}
if [[ -n "$RATE" ]]; then
  LOAD=(--request-rate "$RATE" --arrival-pattern constant)
else
  LOAD=(--concurrency "$CONCURRENCY")
fi
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --locked --bins >/dev/null 2>&1 || cargo build --release --locked --bins
BIN="$TARGET/release/gauntlet"

LOG=$(mktemp)
OUT=$(mktemp -d)
"$BIN" mock-server --port 0 --workers 1 --sse-mode "$SSE_MODE" >"$LOG" 2>&1 &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true; rm -rf "$LOG" "$OUT"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$LOG" && break; sleep 0.05; done
URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -n1)

# Warm the corpus cache so start-up is measured warm.
"$BIN" profile --model mock-model --url "$URL" --streaming --isl 100 --osl 16 \
  --request-count 1 --output-artifact-dir "$OUT/warm" >/dev/null

/usr/bin/time -f "%e %U %S %M" -o "$OUT/time" \
  "$BIN" profile --model mock-model --url "$URL" --endpoint-type chat --streaming \
  --isl 100 --osl 16 "${LOAD[@]}" --request-count "$REQUESTS" \
  --num-dataset-entries 1000 --output-artifact-dir "$OUT/run" >"$OUT/stdout"

read -r WALL USER SYS RSS_KB <"$OUT/time"
python3 - "$OUT/run/profile_export_aiperf.json" "$REQUESTS" "$WALL" "$USER" "$SYS" "$RSS_KB" "$SSE_MODE" "$OUT/stdout" <<'PY'
import json, sys, re
path, n, wall, user, sys_, rss, mode, stdout = sys.argv[1:]
d = json.load(open(path))
n = int(n); cpu = float(user) + float(sys_)
rps = d["request_throughput"]["avg"]
lag = d["credit_to_start_latency"]
txt = open(stdout).read()
startup = re.search(r"first request ([0-9.]+) ms after start", txt)
running = re.search(r"CPU per 1,000 requests ([0-9.]+) ms while running", txt)
print(f"mode={mode} requests={n} achieved={rps:,.0f} req/s wall={float(wall):.2f}s "
      f"client_cpu={cpu:.2f}s ({cpu / n * 1000 * 1000:.1f} ms per 1,000 requests, "
      f"{running.group(1) if running else '?'} ms while running) "
      f"peak_rss={int(rss) / 1024:.1f} MiB "
      f"first_request={startup.group(1) if startup else '?'} ms "
      f"send_lag p50={lag['p50'] * 1000:.1f} us p99={lag['p99'] * 1000:.1f} us "
      f"errors={d.get('error_request_count', {}).get('avg', 0)}")
PY
