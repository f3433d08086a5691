#!/usr/bin/env bash
# The README's second command: the whole test suite, with the same checks CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# A clean build gains nothing from incremental caches; they only take disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
