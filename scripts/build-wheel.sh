#!/usr/bin/env bash
# Builds gauntlet's Python wheel: the `gauntlet` and `gauntlet-ffmpeg` binaries (on the PATH
# of the environment it is installed in), and `import gauntlet` over the C library.
#   scripts/build-wheel.sh [--profile release|debug] [--out DIR]
# Prints the wheel's path; `pip install` it (no network needed). docs/embedding.md.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
profile=release
out="$target_dir/wheels"
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="${2:?--profile needs release or debug}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    *) echo "build-wheel.sh: unknown argument $1 (expected --profile release|debug, --out DIR)" >&2; exit 2 ;;
  esac
done
# Debug binaries are hundreds of MB: compressing them costs more time than it saves.
case "$profile" in
  release) flag=(--release); store=() ;;
  debug) flag=(); store=(--store) ;;
  *) echo "build-wheel.sh: --profile is release or debug, not $profile" >&2; exit 2 ;;
esac

"${CARGO:-cargo}" build --locked "${flag[@]}" -p gauntlet --bins -p gauntlet-ffi --lib >&2
built="$target_dir/$profile"
exec python3 scripts/build_wheel.py --bin-dir "$built" --library "$built/libgauntlet_ffi.so" \
  --out "$out" "${store[@]}"
