#!/usr/bin/env bash
# Load benchmark of the whole harness against the built-in mock server on loopback:
# streaming chat, ISL 100, OSL 16, concurrency 64, client and server sharing this machine.
# Prints achieved requests/s, client CPU-seconds per 1,000 requests, peak RSS and the time
# from process start to the first request, and the send lag (actual - scheduled send) p50/p99.
# Usage: scripts/load-bench.sh [REQUESTS] [SSE_MODE]
# CONCURRENCY=N sets the closed-loop concurrency (default 64); RATE=N runs open loop instead, N
# requests/s with constant gaps (then concurrency is not capped).
# TLS=1 runs plaintext and HTTPS side by side: a plain mock and a `mock-server --tls` one, the
# same load against each, alternating, REPEATS times (default 3), then the medians and the TLS
# overhead in requests/s and client CPU per request.
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

OUT=$(mktemp -d)
MOCKS=()
trap 'kill "${MOCKS[@]}" 2>/dev/null || true; rm -rf "$OUT"' EXIT

# Starts a mock server logging to $1 (extra flags after it) and waits until it listens.
start_mock() {
  local log=$1
  shift
  "$BIN" mock-server --port 0 --workers 1 --sse-mode "$SSE_MODE" "$@" >"$log" 2>&1 &
  MOCKS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
}

# One measured run against URL (extra profile flags after it); prints one line.
measure() {
  local url=$1 label=$2
  shift 2
  local run="$OUT/run-$label-$RANDOM"
  /usr/bin/time -f "%e %U %S %M" -o "$run.time" \
    "$BIN" profile --model mock-model --url "$url" --endpoint-type chat --streaming \
    --isl 100 --osl 16 "${LOAD[@]}" --request-count "$REQUESTS" \
    --num-dataset-entries 1000 --output-artifact-dir "$run" "$@" >"$run.stdout"
  read -r WALL USER SYS RSS_KB <"$run.time"
  python3 - "$run/profile_export_aiperf.json" "$REQUESTS" "$WALL" "$USER" "$SYS" "$RSS_KB" "$SSE_MODE" "$run.stdout" "$label" <<'PY'
import json, sys, re
path, n, wall, user, sys_, rss, mode, stdout, label = sys.argv[1:]
d = json.load(open(path))
n = int(n); cpu = float(user) + float(sys_)
rps = d["request_throughput"]["avg"]
lag = d["credit_to_start_latency"]
txt = open(stdout).read()
startup = re.search(r"first request ([0-9.]+) ms after start", txt)
running = re.search(r"CPU per 1,000 requests ([0-9.]+) ms while running", txt)
print(f"{label + ' ' if label else ''}mode={mode} requests={n} achieved={rps:,.0f} req/s wall={float(wall):.2f}s "
      f"client_cpu={cpu:.2f}s ({cpu / n * 1000 * 1000:.1f} ms per 1,000 requests, "
      f"{running.group(1) if running else '?'} ms while running) "
      f"peak_rss={int(rss) / 1024:.1f} MiB "
      f"first_request={startup.group(1) if startup else '?'} ms "
      f"send_lag p50={lag['p50'] * 1000:.1f} us p99={lag['p99'] * 1000:.1f} us "
      f"errors={d.get('error_request_count', {}).get('avg', 0)}")
PY
}

PLAIN_LOG="$OUT/mock-plain.log"
start_mock "$PLAIN_LOG"
URL=$(grep -o 'http://[0-9.:]*' "$PLAIN_LOG" | head -n1)

# Warm the corpus cache so start-up is measured warm.
"$BIN" profile --model mock-model --url "$URL" --streaming --isl 100 --osl 16 \
  --request-count 1 --output-artifact-dir "$OUT/warm" >/dev/null

if [[ -z "${TLS:-}" ]]; then
  measure "$URL" ""
  exit 0
fi

TLS_LOG="$OUT/mock-tls.log"
start_mock "$TLS_LOG" --tls
TLS_URL=$(grep -o 'https://[0-9.:]*' "$TLS_LOG" | head -n1)
CA=$(sed -n 's/^CA certificate: //p' "$TLS_LOG")
trap 'kill "${MOCKS[@]}" 2>/dev/null || true; rm -rf "$OUT" "$(dirname "$CA")"' EXIT
for i in $(seq 1 "${REPEATS:-3}"); do
  measure "$URL" plain | tee -a "$OUT/lines"
  measure "$TLS_URL" tls --ca-cert "$CA" | tee -a "$OUT/lines"
done
python3 - "$OUT/lines" <<'PY'
import re, statistics, sys
rows = {"plain": [], "tls": []}
for line in open(sys.argv[1]):
    label = line.split()[0]
    rps = float(re.search(r"achieved=([0-9,]+)", line).group(1).replace(",", ""))
    cpu = float(re.search(r"\(([0-9.]+) ms per 1,000", line).group(1))
    rows[label].append((rps, cpu))
med = {k: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for k, v in rows.items()}
(prps, pcpu), (trps, tcpu) = med["plain"], med["tls"]
print(f"median plain: {prps:,.0f} req/s, {pcpu:.1f} client CPU-ms per 1,000 requests")
print(f"median tls:   {trps:,.0f} req/s, {tcpu:.1f} client CPU-ms per 1,000 requests")
print(f"TLS overhead: client CPU per request {100 * (tcpu / pcpu - 1):+.1f} %, requests/s {100 * (trps / prps - 1):+.1f} %")
PY
