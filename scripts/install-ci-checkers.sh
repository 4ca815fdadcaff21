#!/usr/bin/env bash
# Installs what the templates' CI/CD file checks need (scripts/check-template-ci.py):
#   check-jsonschema 0.39.0  <- PyPI (bundles the GitHub Actions and GitLab CI schemas; no download at check time)
#   PyYAML                   <- PyPI (reads the pipeline files to pull out their shell steps)
#   shellcheck               <- Debian shellcheck
#   make                     <- Debian make (the templates' Makefiles)
# Idempotent: installs only what is missing. Runs as root in CI (no sudo). Prints what it installs on stderr.
set -euo pipefail

say() { echo "install-ci-checkers: $*" >&2; }

if ! command -v check-jsonschema >/dev/null 2>&1 || [ "$(check-jsonschema --version 2>/dev/null)" != "check-jsonschema, version 0.39.0" ]; then
  say "pip install check-jsonschema==0.39.0"
  python3 -m pip install --quiet --disable-pip-version-check "check-jsonschema==0.39.0" >&2
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  say "pip install PyYAML"
  python3 -m pip install --quiet --disable-pip-version-check "PyYAML>=6,<7" >&2
fi
packages=()
command -v shellcheck >/dev/null 2>&1 || packages+=(shellcheck)
command -v make >/dev/null 2>&1 || packages+=(make)
if [ ${#packages[@]} -gt 0 ]; then
  say "apt-get install ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
fi
command -v check-jsonschema >/dev/null && command -v shellcheck >/dev/null
