#!/usr/bin/env bash
# `make test`: installs what the tests need, builds (warnings fail the build), then runs
#   1. the Swift tests (unit, CLI, end to end with real git/terraform/kubectl and the test API server), in parallel,
#   2. the test API server's own tests against the real kubectl,
#   3. the template checks (scaffold, deps, the template's own tests, start it, curl /healthz).
#   4. the templates' CI/CD files (schema, shellcheck) for each scaffold --ci choice.
#   5. the rendered objects of every variant and each template Dockerfile: kubernetes-validate --strict
#      and checkov (scripts/check-manifests.sh; allowed failures in scripts/security-allowlist.txt).
# In CI (CI=true) a tool that cannot be installed fails the run; nothing is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

failed=0
passed=0
note_fail() { echo "test.sh: FAILED: $*" >&2; failed=$((failed + 1)); }

bash scripts/install-tools.sh || { echo "test.sh: could not install kubectl/terraform into .tools/" >&2; exit 1; }
if [ -x scripts/install-template-deps.sh ] || [ -f scripts/install-template-deps.sh ]; then
  bash scripts/install-template-deps.sh || { [ "${CI:-}" = true ] && { echo "test.sh: template dependencies missing" >&2; exit 1; }; }
fi
bash scripts/install-test-shells.sh || { [ "${CI:-}" = true ] && { echo "test.sh: bash-completion/zsh/fish/promtool/tmux missing" >&2; exit 1; }; }
bash scripts/install-ci-checkers.sh || { [ "${CI:-}" = true ] && { echo "test.sh: check-jsonschema/shellcheck missing" >&2; exit 1; }; }
bash scripts/install-lint-tools.sh || { [ "${CI:-}" = true ] && { echo "test.sh: checkov/kubernetes-validate missing" >&2; exit 1; }; }
export PATH="$root/.tools/bin:$PATH"
export TF_CLI_CONFIG_FILE="$log/terraformrc"
: > "$TF_CLI_CONFIG_FILE"

echo "== swift build" >&2
swift build --build-tests 2>&1 | tee "$log/build.txt" | grep -E "error|warning:|Compiling|Build" >&2
if [ "${PIPESTATUS[0]}" != 0 ]; then echo "test.sh: build failed" >&2; exit 1; fi
if grep -E "warning:" "$log/build.txt" | grep -v "^warning: 'main': Source files" >/dev/null; then
  echo "test.sh: the build has warnings (they are bugs here):" >&2
  grep -E "warning:" "$log/build.txt" >&2
  exit 1
fi

# The Swift tests run in parallel (PLATFORM_TEST_WORKERS processes, default 4): most end-to-end tests
# wait on the test API server's controllers, not on the CPU, so this takes about a third of a serial
# run on 2 cores. A test that fails there is run again alone, once: one that then passes is reported
# as FLAKY by name (and counted as passed); one that fails again fails the run. PLATFORM_TEST_FILTER
# (a `swift test --filter` pattern) runs only some of them, while working on those.
echo "== swift test (parallel, ${PLATFORM_TEST_WORKERS:-4} workers)" >&2
swift test --skip-build --disable-swift-testing --parallel --num-workers "${PLATFORM_TEST_WORKERS:-4}" \
  ${PLATFORM_TEST_FILTER:+--filter "$PLATFORM_TEST_FILTER"} --xunit-output "$log/xunit.xml" 2>&1 | tee "$log/swift-test.txt" | grep -E "error:|failed|Executed .* tests" >&2
swift_status=${PIPESTATUS[0]}
if summary=$(python3 scripts/xunit-summary.py "$log/xunit.xml"); then
  total=$(sed -n 1p <<<"$summary"); bad=$(sed -n 2p <<<"$summary"); failing=$(sed -n 3p <<<"$summary")
  echo "swift test: $total tests, $bad failed in the parallel run" >&2
  flaky=()
  for test in $failing; do
    echo "== swift test, again alone: $test" >&2
    swift test --skip-build --disable-swift-testing --filter "^${test}\$" > "$log/rerun.txt" 2>&1
    rerun=$?
    cat "$log/rerun.txt" >> "$log/swift-test.txt"
    grep -E "error:|Executed [0-9]+ tests?" "$log/rerun.txt" >&2
    if [ "$rerun" = 0 ] && grep -qE "Executed [1-9][0-9]* tests?, with 0 failures" "$log/rerun.txt"; then
      flaky+=("$test"); bad=$((bad - 1))
    fi
  done
  for test in ${flaky[@]+"${flaky[@]}"}; do echo "test.sh: FLAKY (failed in the parallel run, passed alone): $test" >&2; done
  passed=$((passed + total - bad)); failed=$((failed + bad))
  [ "$total" -gt 0 ] || note_fail "swift test ran no test"
  # swift test failed, yet no test case did (a crash outside a test, a build problem): that fails too.
  if [ "$swift_status" != 0 ] && [ -z "$failing" ]; then note_fail "swift test exited $swift_status with no failed test"; fi
else
  note_fail "swift test exited $swift_status and wrote no test results"
fi

if [ -d Tests/KubeAPIServer ] && ls Tests/KubeAPIServer/test_*.py >/dev/null 2>&1; then
  echo "== test API server (python unittest, real kubectl)" >&2
  python3 -m unittest discover -s Tests/KubeAPIServer 2>&1 | tee "$log/unittest.txt" | tail -4 >&2
  ran=$(grep -E "^Ran [0-9]+ tests?" "$log/unittest.txt" | sed -E 's/Ran ([0-9]+).*/\1/')
  if grep -q "^OK" "$log/unittest.txt"; then passed=$((passed + ${ran:-0})); else note_fail "test API server tests"; fi
fi

# The rendered objects (every variant) and the templates' Dockerfiles against kubernetes-validate and checkov.
echo "== manifests and Dockerfiles (kubernetes-validate --strict, checkov)" >&2
if PLATFORM="$root/.build/debug/platform" bash scripts/check-manifests.sh >&2; then passed=$((passed + 1)); else note_fail "check-manifests (kubernetes-validate, checkov)"; fi

if [ -f scripts/check-template.sh ]; then
  export PLATFORM="$root/.build/debug/platform"
  for template in python/flask node/express go/http; do
    if [ "$template" = go/http ] && ! command -v go >/dev/null && [ "${CI:-}" != true ]; then
      echo "test.sh: go not installed, skipping go/http (CI installs it)" >&2; continue
    fi
    echo "== template $template" >&2
    if bash scripts/check-template.sh "$template" >&2; then passed=$((passed + 1)); else note_fail "template $template"; fi
  done
fi

# The CI/CD files every template ships (GitHub Actions, GitLab CI), for each `scaffold --ci` choice:
# schema (check-jsonschema's bundled schemas), shellcheck on every step, no secret in the files.
export PLATFORM="$root/.build/debug/platform"
for template in python/flask node/express go/http swift/hummingbird; do
  echo "== template CI files $template" >&2
  if python3 scripts/check-template-ci.py "$template" >&2; then passed=$((passed + 1)); else note_fail "template CI files $template"; fi
done

echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
