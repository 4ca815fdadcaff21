#!/usr/bin/env bash
# `make bench`: performance figures of platform, each a ratio against a reference measured in the
# same run (median of several runs after warm-up). Prints a table; writes bench-results/*.json.
#
# Which binary is measured: release builds only.
#   BENCH_SCRATCH unset  -> swift build -c release (the .build folder `make bench` has just built),
#                           measures .build/release/platform
#   BENCH_SCRATCH=DIR    -> swift build -c release --scratch-path DIR, measures DIR/release/platform
#   PLATFORM_BENCH_BINARY=FILE -> measures FILE as it is (no build)
# The Foundation hello-world reference (scripts/bench/hello) is built the same way (release) into
# scripts/bench/hello/.build. kubectl/terraform come from .tools/bin (scripts/install-tools.sh).
#
# Options are passed on to scripts/bench/bench.py: --quick (fewer runs), --only startup,spawn,...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-tools.sh
bash scripts/install-bench-deps.sh

if [ -n "${PLATFORM_BENCH_BINARY:-}" ]; then
  binary=$PLATFORM_BENCH_BINARY
else
  scratch=${BENCH_SCRATCH:-.build}
  echo "bench: swift build -c release --scratch-path $scratch" >&2
  swift build -c release --scratch-path "$scratch" >&2
  binary=$root/$scratch/release/platform
fi
echo "bench: swift build -c release (scripts/bench/hello)" >&2
swift build -c release --package-path scripts/bench/hello --scratch-path scripts/bench/hello/.build >&2
hello=$root/scripts/bench/hello/.build/release/hello

echo "bench: measuring $binary" >&2
exec python3 scripts/bench/bench.py --platform "$binary" --hello "$hello" --out "$root/bench-results" "$@"
