#!/usr/bin/env bash
# The Python tools the tests use, in a venv at .tools/venv (gitignored), pinned by
# scripts/python-tools.txt: kubernetes-validate checks `gauntlet kube render`'s manifests
# against the Kubernetes schemas it bundles (tests/kube_render_e2e.rs). Idempotent: does
# nothing when the pinned versions are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.tools/venv
PINS=scripts/python-tools.txt
STAMP="$VENV/.pins"

if [ -x "$VENV/bin/kubernetes-validate" ] && cmp -s "$PINS" "$STAMP"; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "setup: python3 is needed for the schema check of kube manifests (install python3 and python3-venv)" >&2
  exit 1
fi
echo "setup: installing the Python test tools into $VENV" >&2
rm -rf "$VENV"
python3 -m venv "$VENV" || {
  echo "setup: python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
  exit 1
}
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$PINS"
cp "$PINS" "$STAMP"
