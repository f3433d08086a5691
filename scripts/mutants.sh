#!/usr/bin/env bash
# Mutation testing (cargo-mutants) over the modules that decide gauntlet's numbers. Not part
# of CI: each mutant is a rebuild plus a test run, so a module takes minutes to hours.
#
#   scripts/mutants.sh                 every module below, each bounded by MUTANTS_BUDGET_S
#   scripts/mutants.sh sse stats       only those modules
#   MUTANTS_BUDGET_S=900 scripts/mutants.sh sse
#
# Results land in mutants.out/<module>/ (cargo-mutants' own outcomes.json, caught.txt,
# missed.txt, ...); the last lines print caught / missed / unviable / timeout per module, the
# figures docs/testing.md records. A module cut short by its budget says so: its counts are
# then for the mutants tested so far.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "mutants: cargo-mutants is not installed; run: cargo install --locked cargo-mutants" >&2
  exit 2
fi

# module name → files (space-separated) and the `cargo test` arguments that exercise them.
# Unit tests live beside the code, so each module runs the unit tests of its own part of the
# crate (a mutant's build is most of its cost; the whole suite per mutant would be hours); a
# mutant only an end-to-end test would catch counts as missed here, on purpose: the unit
# tests should catch it.
declare -A FILES=(
  [sse]="src/engine/sse.rs"
  [http1]="src/engine/http1.rs"
  [decoders]="src/engine/api_reply.rs src/engine/reply.rs src/engine/json_walk.rs"
  [derive]="src/metrics/derive.rs src/metrics/derive_details.rs src/metrics/usage_details.rs"
  [stats]="src/metrics/stats.rs src/metrics/aggregate.rs"
  [goodput]="src/metrics/goodput.rs src/metrics/timeslice.rs"
  [accounting]="src/metrics/summary.rs"
  [prompts]="src/tokenizer/prompt.rs"
  [dist]="src/dist/sample.rs src/dist/seq.rs"
  [trace_analysis]="src/dataset/synthesis/analyzer.rs src/dataset/synthesis/stats.rs"
)
declare -A TEST_ARGS=(
  [sse]="--lib engine::"
  [http1]="--lib engine::"
  [decoders]="--lib engine::"
  [derive]="--lib metrics::"
  [stats]="--lib metrics::"
  [goodput]="--lib metrics::"
  [accounting]="--lib metrics::"
  [prompts]="--lib tokenizer::"
  [dist]="--lib dist::"
  [trace_analysis]="--lib dataset::synthesis::"
)
ORDER=(sse http1 decoders derive stats goodput accounting prompts dist trace_analysis)

# Mutants are applied in place (the existing target dir is reused: a copy of the tree would
# rebuild every dependency first), so the tree must have nothing uncommitted to lose; run it in
# a spare worktree (git worktree add) to keep working meanwhile.
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "mutants: the tree has uncommitted changes; commit them or run in a spare worktree" >&2
  exit 2
fi

modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=("${ORDER[@]}")
budget="${MUTANTS_BUDGET_S:-3600}"
mkdir -p mutants.out

summary=()
for m in "${modules[@]}"; do
  files="${FILES[$m]:-}"
  if [ -z "$files" ]; then
    echo "mutants: unknown module '$m' (known: ${ORDER[*]})" >&2
    exit 2
  fi
  args=()
  for f in $files; do args+=(--file "$f"); done
  read -r -a test_args <<<"${TEST_ARGS[$m]}"
  out="mutants.out/$m"
  rm -rf "$out"
  echo "mutants: $m (${files}) for at most ${budget}s" >&2
  status=0
  timeout --signal=INT "$budget" cargo mutants --in-place --no-shuffle \
    --output "$out" "${args[@]}" -- "${test_args[@]}" >"$out.log" 2>&1 || status=$?
  note=""
  [ "$status" -eq 124 ] && note=" (budget reached: partial)"
  dir="$out/mutants.out"
  count() { [ -f "$dir/$1.txt" ] && grep -c . "$dir/$1.txt" || echo 0; }
  line="$m: caught $(count caught), missed $(count missed), unviable $(count unviable), timeout $(count timeout)$note"
  summary+=("$line")
  echo "$line" >&2
done
printf '%s\n' "${summary[@]}"
