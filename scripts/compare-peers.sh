#!/usr/bin/env bash
# Side-by-side load comparison of gauntlet with AIPerf, GuideLLM and (when given) vllm-bench,
# against gauntlet's zero-latency mock server on this machine. See docs/performance.md.
#
#   scripts/compare-peers.sh [--vllm-bench PATH] [--requests N] [--rates 1000,2000,...] ...
#
# AIPerf and GuideLLM are installed from PyPI into private virtualenvs under
# ${GAUNTLET_PEERS:-~/.cache/gauntlet-peers} (once). vllm-bench is never built here: build it
# from its public repository outside this tree and pass the binary with --vllm-bench.
# Results: target/compare-peers/results.json and a Markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
peers="${GAUNTLET_PEERS:-$HOME/.cache/gauntlet-peers}"
mkdir -p "$peers"
for tool in aiperf guidellm; do
    if [ ! -x "$peers/$tool/bin/$tool" ]; then
        echo "installing $tool into $peers/$tool" >&2
        python3 -m venv "$peers/$tool"
        "$peers/$tool/bin/pip" install --quiet "$tool"
    fi
done
cargo build --release --locked --bins
exec python3 scripts/compare_peers.py --peers "$peers" \
    --gauntlet "${CARGO_TARGET_DIR:-target}/release/gauntlet" "$@"
