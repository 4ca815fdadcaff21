#!/usr/bin/env bash
# Builds the libFuzzer target Fuzz/ParserFuzzer.swift with `swiftc -sanitize=fuzzer` from the
# PlatformCore and PlatformCLI sources (not through SwiftPM), then runs it for a bounded number of
# iterations from a small seed corpus of real command lines.
#
#   scripts/fuzz-parser.sh [RUNS]        default RUNS=200000 (FUZZ_RUNS also works); 0 only builds
#
# Build products and the corpus go to .build-fuzz/ (git-ignored). A crash leaves crash-* files there
# and exits non-zero; reproduce with .build-fuzz/parser-fuzzer .build-fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-${FUZZ_RUNS:-200000}}
out=.build-fuzz
mkdir -p "$out/corpus"
# libFuzzer's coverage-guided search and its crash handling; Swift's own checks (bounds, overflow,
# force unwraps, fatalError) are the oracle. (Adding ,address works too but only adds linker noise.)
flags=(-sanitize=fuzzer -parse-as-library -swift-version 6 -O -g -I "$out")

echo "fuzz-parser: compiling PlatformCore" >&2
swiftc "${flags[@]}" -emit-library -static -emit-module -module-name PlatformCore \
  -emit-module-path "$out/PlatformCore.swiftmodule" -o "$out/libPlatformCore.a" Sources/PlatformCore/*.swift
echo "fuzz-parser: compiling PlatformCLI" >&2
swiftc "${flags[@]}" -emit-library -static -emit-module -module-name PlatformCLI \
  -emit-module-path "$out/PlatformCLI.swiftmodule" -o "$out/libPlatformCLI.a" \
  Sources/PlatformCLI/*.swift Sources/PlatformCLI/Commands/*.swift
echo "fuzz-parser: linking the fuzzer" >&2
swiftc "${flags[@]}" -module-name ParserFuzzer Fuzz/ParserFuzzer.swift \
  "$out/libPlatformCLI.a" "$out/libPlatformCore.a" -o "$out/parser-fuzzer"

# Seeds: real command lines, NUL-separated.
seed() { printf '%s\0' "$@" | head -c -1 > "$out/corpus/seed-$1-$RANDOM"; }
seed scaffold shop --template python/flask --set port=9090 --dir /tmp
seed create shop -e staging --image registry.example.com/shop:1.2.0 --replicas 3 -o json
seed deploy shop --image=registry.example.com/shop:1.2.1 --timeout 90s -m 'fix checkout' -qv
seed logs shop -f --since 10m --grep ERROR -n 500
seed -e prod status shop --kube-context kind --kubeconfig /tmp/k
seed help deploy
seed scaffold x -tpython/flask -- --not-an-option

[ "$runs" = 0 ] && exit 0
echo "fuzz-parser: running $runs inputs" >&2
"$out/parser-fuzzer" -runs="$runs" -max_len=512 -artifact_prefix="$out/" "$out/corpus"
