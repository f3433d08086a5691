#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time each (issue #18); not run in CI,
# which has no nightly toolchain. Crashes land in fuzz/artifacts/TARGET/; each one found is
# turned into a named test in tests/fuzz_regressions.rs, which CI runs.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 60 s, every target)
# Needs: a nightly toolchain (rustup toolchain install nightly) and cargo-fuzz
# (cargo install cargo-fuzz --locked). Targets are built without a sanitizer (-s none): the
# code fuzzed is safe Rust, so libFuzzer looks for panics, hangs and runaway memory.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
shift || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "error: scripts/fuzz.sh needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "error: scripts/fuzz.sh needs cargo-fuzz: cargo install cargo-fuzz --locked" >&2
  exit 2
fi
export GAUNTLET_ASSETS=${GAUNTLET_ASSETS:-$PWD/assets}
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  mapfile -t TARGETS < <(cd fuzz && cargo +nightly fuzz list)
fi
(cd fuzz && cargo +nightly fuzz build -s none)

FAILED=0
printf '%-18s %12s %10s %s\n' target executions seconds result
for target in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  LOG=$(mktemp)
  set +e
  (cd fuzz && cargo +nightly fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1) >"$LOG" 2>&1
  CODE=$?
  set -e
  RUNS=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOG" | grep -o '[0-9]*$' | tail -n1)
  if [[ $CODE -eq 0 ]]; then
    RESULT=ok
  else
    RESULT="FAILED (exit $CODE): $(grep -m1 -E 'panicked|ERROR: libFuzzer' "$LOG" || true)"
    FAILED=1
    cp "$LOG" "fuzz/artifacts/$target.log" 2>/dev/null || true
  fi
  printf '%-18s %12s %10s %s\n' "$target" "${RUNS:-?}" "$SECONDS_EACH" "$RESULT"
  rm -f "$LOG"
done
exit $FAILED
