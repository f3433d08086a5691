#!/usr/bin/env bash
# Runs SPEED-Bench end to end against a real llama.cpp server with a draft model.
#
# Builds `llama-server` (CPU only) from the llama.cpp sources vendored in the
# llama-cpp-python sdist on PyPI, writes two tiny random-weight GGUFs (target and draft,
# the project's Qwen2.5 tokenizer, different seeds), then runs the live test in
# tests/llamacpp_spec_e2e.rs. Everything is built under $LLAMA_DIR (default
# ~/.cache/gauntlet-llamacpp), outside the project tree, and reused on the next run.
#
#   scripts/llamacpp-spec-e2e.sh              # build what is missing, run the test
#   LLAMA_SERVER=/path/to/llama-server scripts/llamacpp-spec-e2e.sh   # use your own build
#
# Needs cmake, a C++ compiler and python3 with venv (not needed by the rest of the project,
# so scripts/setup.sh leaves them out). The build takes
# about ten minutes on two cores.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${LLAMA_DIR:-$HOME/.cache/gauntlet-llamacpp}"
sdist_version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
mkdir -p "$dir"

if ! command -v cmake >/dev/null; then
    echo "cmake is missing: apt-get install cmake g++ (only this script needs it)" >&2
    exit 1
fi

if [[ ! -x "$dir/venv/bin/python" ]]; then
    python3 -m venv "$dir/venv"
fi
"$dir/venv/bin/pip" install --quiet numpy gguf

server="${LLAMA_SERVER:-$dir/build/bin/llama-server}"
if [[ ! -x "$server" ]]; then
    src="$dir/llama_cpp_python-$sdist_version/vendor/llama.cpp"
    if [[ ! -d "$src" ]]; then
        "$dir/venv/bin/pip" download --quiet --no-deps --no-binary :all: \
            "llama-cpp-python==$sdist_version" -d "$dir"
        tar -xzf "$dir/llama_cpp_python-$sdist_version.tar.gz" -C "$dir"
    fi
    cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
        > "$dir/cmake.log"
    cmake --build "$dir/build" --target llama-server -j "$(nproc)" > "$dir/build.log"
    server="$dir/build/bin/llama-server"
fi

for seed in 0 1; do
    if [[ ! -f "$dir/tiny-$seed.gguf" ]]; then
        "$dir/venv/bin/python" "$here/scripts/make_tiny_gguf.py" "$dir/tiny-$seed.gguf" "$seed" >/dev/null
    fi
done

cd "$here"
GAUNTLET_LLAMA_SERVER="$server" \
GAUNTLET_LLAMA_MODEL="$dir/tiny-0.gguf" \
GAUNTLET_LLAMA_DRAFT="$dir/tiny-1.gguf" \
    cargo test --test llamacpp_spec_e2e -- --nocapture
