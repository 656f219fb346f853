#!/usr/bin/env bash
# Regenerates test/golden/dist from a fresh synthesis of the reference platform.
# Run it only in a commit of its own that says why the output changed (a bug fix).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
CDK8S_OUTDIR="$out" node -r ts-node/register/transpile-only stacks/main.ts 2>/dev/null
rm -rf test/golden/dist
mkdir -p test/golden
cp -r "$out" test/golden/dist
rm -rf "$out"
echo "test/golden/dist: $(find test/golden/dist -type f | wc -l) files"
