#!/usr/bin/env bash
# Installs what `make bench` compares against (Debian packages), when missing:
#   cookiecutter  the scaffold reference
#   time          /usr/bin/time (the table's RSS figures are read with wait4 instead; kept for manual checks)
#   git           the cp + git baseline (also needed by scaffold itself)
# Idempotent: does nothing when everything is there. Needs root (or sudo) only when installing.
set -euo pipefail

missing=()
command -v cookiecutter >/dev/null 2>&1 || missing+=(cookiecutter)
[ -x /usr/bin/time ] || missing+=(time)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ ${#missing[@]} = 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-bench-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-bench-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $sudo apt-get update -qq -o DPkg::Lock::Timeout=600 &&
       $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-bench-deps: apt-get failed" >&2
  exit 1
fi
command -v cookiecutter >/dev/null 2>&1 || { echo "install-bench-deps: cookiecutter did not install" >&2; exit 1; }
