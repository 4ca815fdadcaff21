#!/usr/bin/env bash
# Checks that a service template really works:
#   scripts/check-template.sh LANG/FRAMEWORK        e.g. python/flask, node/express, go/http
# 1. scaffolds "demo-svc" from templates/LANG/FRAMEWORK with the platform binary
#    (${PLATFORM:-.build/debug/platform}) into a temporary folder,
# 2. checks the rendered platform.json,
# 3. installs the template's dependencies only if they are missing (see scripts/install-template-deps.sh),
# 4. runs the template's own unit tests (`make test`, the target its CI pipeline calls),
# 5. starts the service with the Dockerfile's command as uid/gid 10001 with the project folder
#    mounted read-only (only /tmp writable), checks /healthz and / on PORT, /metrics on METRICS_PORT
#    (and 404 on PORT), stops it.
# Prints "check-template: LANG/FRAMEWORK ok" at the end; exits non-zero on any failure.
# Environment: PLATFORM (binary), START_TIMEOUT (seconds to wait for /healthz once the service is
# started, default 15), KEEP_TMP=1 keeps the temp folder. swift/hummingbird works too but takes minutes.
set -euo pipefail

usage() { echo "usage: $0 LANG/FRAMEWORK" >&2; exit 2; }
[ $# -eq 1 ] || usage
template=$1
case "$template" in */*) ;; *) usage ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
name=demo-svc
name_snake=demo_svc
configured_port=18080 # rendered into the project with --set; the service is then run on a free PORT

platform=${PLATFORM:-.build/debug/platform}
case "$platform" in
  /*) ;;
  */*) if [ -e "$platform" ]; then platform="$(pwd)/$platform"; else platform="$root/$platform"; fi ;;
esac

log() { echo "check-template: $template: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

[ -f "$root/templates/$template/template.json" ] || die "no template at templates/$template"
if ! command -v "$platform" >/dev/null 2>&1 && [ ! -x "$platform" ]; then
  die "platform binary not found at $platform (run 'swift build' or set PLATFORM)"
fi
command -v curl >/dev/null || die "curl is missing (scripts/install-template-deps.sh installs it)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-template.XXXXXX")
service_pid=
cleanup() {
  if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A TCP port nothing listens on right now.
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free port found"
}

# --- 1. scaffold -------------------------------------------------------------------------------
log "scaffolding $name"
"$platform" scaffold "$name" --template "$template" --templates-dir "$root/templates" \
  --dir "$tmp" --set "port=$configured_port" --no-git >"$tmp/scaffold.log" 2>&1 \
  || { cat "$tmp/scaffold.log" >&2; die "platform scaffold failed"; }
project="$tmp/$name"
[ -f "$project/platform.json" ] || die "scaffold did not create $project/platform.json"
cd "$project"

# --- 2. rendered files ---------------------------------------------------------------------------
grep -Eq "\"name\": *\"$name\"" platform.json || die "platform.json: name is not $name"
grep -Eq "\"port\": *$configured_port *[,}]" platform.json || die "platform.json: port is not the number $configured_port"
for key in image healthPath metricsPath; do
  grep -q "\"$key\"" platform.json || die "platform.json: missing $key"
done
for file in Dockerfile README.md .gitignore Makefile; do
  [ -f "$file" ] || die "missing $file"
done
if leftovers=$(grep -rIlE '\{\{ *(name|name_snake|name_pascal|port|image_repository) *\}\}' . 2>/dev/null); then
  die "unrendered placeholders in: $leftovers"
fi

# --- 3. dependencies, 4. unit tests, and the command that starts the service -----------------------
start_timeout=${START_TIMEOUT:-15}
case "$template" in
  python/*)
    if ! python3 -c 'import flask' 2>/dev/null || ! python3 -m pytest --version >/dev/null 2>&1; then
      log "installing requirements-dev.txt into $tmp/pydeps"
      python3 -m pip install --quiet --disable-pip-version-check --target "$tmp/pydeps" -r requirements-dev.txt >&2
      export PYTHONPATH="$tmp/pydeps${PYTHONPATH:+:$PYTHONPATH}"
    fi
    log "running unit tests (make test)"
    PYTHONDONTWRITEBYTECODE=1 make --no-print-directory test >&2 || die "unit tests failed"
    ;;
  node/*)
    if ! node -e "require('express')" 2>/dev/null; then
      # Debian's node-express lives in /usr/share/nodejs, which a node not from Debian does not search.
      export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
      node -e "require('express')" 2>/dev/null \
        || die "express not found (apt-get install -y node-express, or scripts/install-template-deps.sh)"
    fi
    log "running unit tests (make test)"
    make --no-print-directory test >&2 || die "unit tests failed"
    ;;
  go/*)
    export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
    if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ]; then export GOCACHE="$tmp/gocache"; fi
    log "running unit tests (make test: go vet, go test)"
    make --no-print-directory test >&2 || die "unit tests failed"
    ;;
  swift/*)
    log "running unit tests (make test = swift test; this takes minutes)"
    make --no-print-directory test >&2 || die "unit tests failed"
    ;;
  *)
    die "don't know how to test $template (add a case to $0)"
    ;;
esac

# --- 5. run the service as the cluster does ------------------------------------------------------
# The production command of the Dockerfile, as the numeric user 10001:10001 (the pods' runAsUser),
# with the project folder bind-mounted read-only in a private mount namespace (the pods'
# readOnlyRootFilesystem); only /tmp is writable. /metrics must answer on METRICS_PORT only.
command -v unshare >/dev/null && command -v setpriv >/dev/null && command -v nsenter >/dev/null \
  || die "unshare/setpriv/nsenter missing (Debian util-linux)"
uid=10001
case "$template" in
  python/*) # An interpreter the service's user may run (a python3 under /root is out of its reach),
            # with requirements.txt (gunicorn) installed for it into $tmp/pyrun.
            run_python=
            for candidate in "$(command -v python3)" /usr/bin/python3; do
              if setpriv --reuid=$uid --regid=$uid --clear-groups -- "$candidate" -c '' 2>/dev/null; then run_python=$candidate; break; fi
            done
            [ -n "$run_python" ] || die "no python3 that uid $uid can run"
            version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }
            [ "$(version "$run_python")" = "$(version python3)" ] \
              || die "$run_python is python $(version "$run_python"), python3 is $(version python3): cannot share installed packages"
            log "installing requirements.txt into $tmp/pyrun for $run_python"
            python3 -m pip install --quiet --disable-pip-version-check --target "$tmp/pyrun" -r requirements.txt >&2
            export PYTHONPATH="$tmp/pyrun"
            run_cmd=("$run_python" -m gunicorn "${name_snake}:create_service()") ;;
  node/*)   run_cmd=(node src/server.js) ;;
  go/*)     go build -o "bin/$name" . >&2 || die "go build failed"
            run_cmd=("bin/$name") ;;
  swift/*)  swift build --product "$name" >&2 || die "swift build failed"
            run_cmd=("$(swift build --show-bin-path)/$name") ;;
esac
chmod 755 "$tmp"   # mktemp -d is 0700: let the service's user reach the project and the dependencies
port=$(free_port)
metrics_port=$(free_port)
[ "$metrics_port" != "$port" ] || metrics_port=$(free_port)
log "starting ${run_cmd[*]} as $uid:$uid on a read-only $project (port $port, metrics $metrics_port)"
PORT=$port METRICS_PORT=$metrics_port HOME=/nonexistent TMPDIR=/tmp \
  unshare --mount --propagation private -- bash -c '
    set -e
    mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"
    cd "$1"; shift
    exec setpriv --reuid='"$uid"' --regid='"$uid"' --clear-groups -- "$@"' _ "$project" "${run_cmd[@]}" \
  >"$tmp/service.log" 2>&1 &
service_pid=$!

deadline=$((SECONDS + start_timeout))
until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
  if ! kill -0 "$service_pid" 2>/dev/null; then
    cat "$tmp/service.log" >&2
    die "service exited before answering /healthz"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    cat "$tmp/service.log" >&2
    die "service did not answer /healthz within ${start_timeout}s"
  fi
  sleep 0.2
done

running_uid=$(awk '/^Uid:/ {print $2}' "/proc/$service_pid/status")
[ "$running_uid" = "$uid" ] || die "the service runs as uid $running_uid, not $uid"
# Seen from the service's mount namespace and user: the project is read-only, /tmp is writable.
as_service() { nsenter --target "$service_pid" --mount -- setpriv --reuid=$uid --regid=$uid --clear-groups -- "$@"; }
as_service touch "$project/.write-probe" 2>/dev/null && die "the service's user can write into the project folder"
as_service sh -c ': > /tmp/.platform-write-probe.$$ && rm /tmp/.platform-write-probe.$$' || die "the service's user cannot write /tmp"

health=$(curl -fsS "http://127.0.0.1:$port/healthz")
echo "$health" | grep -Eq '^\{ *"status" *: *"ok" *\}$' || die "/healthz returned: $health"

curl -fsS -o /dev/null "http://127.0.0.1:$port/" || die "GET / failed"
public_metrics=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
[ "$public_metrics" = 404 ] || die "/metrics on the public port answered $public_metrics, want 404"
metrics=$(curl -fsS -D "$tmp/metrics.headers" "http://127.0.0.1:$metrics_port/metrics") || die "GET /metrics on the metrics port failed"
grep -iq '^content-type: text/plain; version=0.0.4' "$tmp/metrics.headers" \
  || die "/metrics Content-Type is not text/plain; version=0.0.4: $(grep -i '^content-type' "$tmp/metrics.headers")"
echo "$metrics" | grep -q '^# TYPE ' || die "/metrics has no '# TYPE' line"
echo "$metrics" | grep -Eq '^http_requests_total\{path="/healthz",code="200"\} [0-9]+' \
  || die "/metrics does not count GET /healthz: $metrics"
echo "$metrics" | grep -q '^process_start_time_seconds ' || die "/metrics has no process_start_time_seconds"

kill "$service_pid"
wait "$service_pid" 2>/dev/null || true
service_pid=

echo "check-template: $template ok"
