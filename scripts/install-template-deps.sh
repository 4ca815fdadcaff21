#!/usr/bin/env bash
# Installs what scripts/check-template.sh needs for the python/flask, node/express and go/http
# templates, from Debian's packages and PyPI only. Idempotent: installs nothing when all is there.
#   curl                      <- Debian curl
#   Express 4 for node        <- Debian node-express (into /usr/share/nodejs; see templates/node/express/README.md)
#   go (1.19+)                <- Debian golang-go
#   Flask 3, pytest, gunicorn <- PyPI, with the python3 on PATH
#   setpriv, unshare          <- Debian util-linux (check-template.sh runs each service as 10001 on a read-only folder)
# Runs as root in CI (no sudo). Prints what it installs on stderr.
set -euo pipefail

say() { echo "install-template-deps: $*" >&2; }

have_express() {
  node -e "require('express')" 2>/dev/null \
    || NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}" node -e "require('express')" 2>/dev/null
}

apt_packages=()
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
if ! command -v node >/dev/null 2>&1; then
  apt_packages+=(nodejs node-express)
elif ! have_express; then
  apt_packages+=(node-express)
fi
command -v go >/dev/null 2>&1 || apt_packages+=(golang-go)

if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing: ${apt_packages[*]}; run as root: apt-get update && apt-get install -y ${apt_packages[*]}"
    exit 1
  fi
  say "apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >&2
fi

py_packages=()
python3 -c 'import flask, sys, importlib.metadata as m; sys.exit(m.version("flask").split(".")[0] != "3")' 2>/dev/null \
  || py_packages+=('Flask>=3,<4')
python3 -m pytest --version >/dev/null 2>&1 || py_packages+=(pytest)
# gunicorn: the python template's production server, which check-template.sh runs hardened.
python3 -c 'import gunicorn' 2>/dev/null || py_packages+=('gunicorn>=23,<28')
if [ ${#py_packages[@]} -gt 0 ]; then
  say "pip install ${py_packages[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${py_packages[@]}" >&2
fi

# Verify.
command -v curl >/dev/null || { say "curl is still missing"; exit 1; }
have_express || { say "node cannot load express (tried NODE_PATH=/usr/share/nodejs)"; exit 1; }
command -v go >/dev/null || { say "go is still missing"; exit 1; }
python3 -c 'import flask' && python3 -m pytest --version >/dev/null 2>&1 \
  || { say "Flask or pytest is still missing"; exit 1; }
