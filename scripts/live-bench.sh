#!/usr/bin/env bash
# What the live views cost: the load of scripts/load-bench.sh (streaming chat, ISL 100, OSL 16,
# closed loop, concurrency 64, against the built-in mock on loopback) run with --ui-type none,
# simple (the progress line) and dashboard, side by side, each in a pseudo-terminal (`script`,
# 120 x 40) so the views are really drawn; stdout goes to a file as in load-bench.sh.
# The three alternate REPEATS times (default 3); the medians are printed at the end.
# Usage: scripts/live-bench.sh [REQUESTS]   (default 100000; CONCURRENCY=N, REPEATS=N)
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-100000}
CONCURRENCY=${CONCURRENCY:-64}
REPEATS=${REPEATS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --locked --bins >/dev/null 2>&1 || cargo build --release --locked --bins
BIN="$(cd "$TARGET/release" && pwd)/gauntlet"
command -v script >/dev/null || { echo "needs script (util-linux)" >&2; exit 1; }

OUT=$(mktemp -d)
MOCK=""
trap '[[ -n "$MOCK" ]] && kill "$MOCK" 2>/dev/null; rm -rf "$OUT"' EXIT
"$BIN" mock-server --port 0 --workers 1 >"$OUT/mock.log" 2>&1 &
MOCK=$!
for _ in $(seq 1 100); do grep -q "listening on" "$OUT/mock.log" && break; sleep 0.05; done
URL=$(grep -o 'http://[0-9.:]*' "$OUT/mock.log" | head -n1)
"$BIN" profile --model mock-model --url "$URL" --streaming --isl 100 --osl 16 \
  --request-count 1 --output-artifact-dir "$OUT/warm" >/dev/null 2>&1

measure() {
  local ui=$1 run="$OUT/run-$1-$RANDOM"
  local cmd="stty cols 120 rows 40; /usr/bin/time -f '%e %U %S %M' -o '$run.time' '$BIN' profile \
    --model mock-model --url '$URL' --endpoint-type chat --streaming --isl 100 --osl 16 \
    --concurrency $CONCURRENCY --request-count $REQUESTS --num-dataset-entries 1000 \
    --ui-type $ui --output-artifact-dir '$run' >'$run.stdout'"
  script -qefc "$cmd" /dev/null >"$run.screen"
  read -r WALL USER SYS RSS_KB <"$run.time"
  python3 - "$run/profile_export_aiperf.json" "$REQUESTS" "$USER" "$SYS" "$RSS_KB" "$run.stdout" "$ui" <<'PY'
import json, re, sys
path, n, user, sys_, rss, stdout, ui = sys.argv[1:]
d = json.load(open(path))
cpu = (float(user) + float(sys_)) / int(n) * 1e6
running = re.search(r"CPU per 1,000 requests ([0-9.]+) ms while running", open(stdout).read())
lag = d["credit_to_start_latency"]
print(f"{ui} {d['request_throughput']['avg']:.0f} req/s, {cpu:.1f} ms CPU per 1,000 requests "
      f"({running.group(1) if running else '?'} while running), send lag p99 {lag['p99'] * 1000:.1f} us, "
      f"peak RSS {int(rss) / 1024:.1f} MiB, errors {d.get('error_request_count', {}).get('avg', 0)}")
PY
}

for i in $(seq 1 "$REPEATS"); do
  for ui in none simple dashboard; do measure "$ui" | tee -a "$OUT/lines"; done
done
python3 - "$OUT/lines" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    ui = line.split()[0]
    rps = float(line.split()[1])
    cpu = float(re.search(r"([0-9.]+) ms CPU", line).group(1))
    lag = float(re.search(r"p99 ([0-9.]+) us", line).group(1))
    rows.setdefault(ui, []).append((rps, cpu, lag))
base = statistics.median(r for r, _, _ in rows["none"]), statistics.median(c for _, c, _ in rows["none"])
for ui, v in rows.items():
    rps = statistics.median(r for r, _, _ in v); cpu = statistics.median(c for _, c, _ in v)
    lag = statistics.median(l for _, _, l in v)
    print(f"median {ui:9} {rps:8,.0f} req/s ({100 * (rps / base[0] - 1):+5.1f} %), "
          f"{cpu:5.1f} ms CPU per 1,000 requests ({100 * (cpu / base[1] - 1):+5.1f} %), send lag p99 {lag:.1f} us")
PY
