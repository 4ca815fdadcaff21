#!/usr/bin/env bash
# Installs the manifest and Dockerfile gates of `make test` into .tools/lint (a virtualenv, git-ignored),
# from PyPI only, pinned:
#   checkov              <- checkov (Kubernetes and Dockerfile policies; run with --skip-download)
#   kubernetes-validate  <- kubernetes-validate (the Kubernetes 1.37 JSON schemas, --strict)
# Both are linked into .tools/bin. Prints nothing on success unless VERBOSE=1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
venv="$tools/lint"
CHECKOV_VERSION=${CHECKOV_VERSION:-3.3.30}
KUBERNETES_VALIDATE_VERSION=${KUBERNETES_VALIDATE_VERSION:-1.37.0}
mkdir -p "$bin"

say() { if [ "${VERBOSE:-0}" = 1 ]; then echo "install-lint-tools: $*" >&2; fi; }

have() {
  local shown
  [ -x "$venv/bin/checkov" ] && [ -x "$venv/bin/kubernetes-validate" ] || return 1
  # A virtualenv made in another folder (a moved or copied checkout) has scripts whose #! names
  # an interpreter that is not there: such a one is made again.
  [ "$(head -n 1 "$venv/bin/checkov")" = "#!$venv/bin/python" ] || return 1
  [ "$(head -n 1 "$venv/bin/kubernetes-validate")" = "#!$venv/bin/python" ] || return 1
  # Read pip's whole answer first: `pip show | grep -q` fails under pipefail when grep stops early.
  shown=$("$venv/bin/python" -m pip show checkov kubernetes-validate 2>/dev/null) || return 1
  grep -qx "Version: $CHECKOV_VERSION" <<<"$shown" && grep -qx "Version: $KUBERNETES_VALIDATE_VERSION" <<<"$shown"
}

if have; then
  say "already installed in $venv"
else
  say "installing checkov==$CHECKOV_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $venv"
  if [ -x "$venv/bin/checkov" ] && [ "$(head -n 1 "$venv/bin/checkov")" != "#!$venv/bin/python" ]; then
    say "$venv was made elsewhere: making it again"
    rm -rf "$venv"
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "checkov==$CHECKOV_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
  have || { echo "install-lint-tools: checkov/kubernetes-validate did not install" >&2; exit 1; }
fi
ln -sf "$venv/bin/checkov" "$bin/checkov"
ln -sf "$venv/bin/kubernetes-validate" "$bin/kubernetes-validate"
