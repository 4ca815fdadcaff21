#!/usr/bin/env bash
# Gates the objects `platform create` applies and the templates' Dockerfiles with tools nobody here
# wrote (installed pinned from PyPI by scripts/install-lint-tools.sh):
#   1. renders every variant with the real `platform create NAME --dry-run -o json` against the test
#      API server (1 and 3 replicas, with and without TLS, an autoscaler, a ServiceMonitor),
#   2. kubernetes-validate --strict -k 1.37.0 on every object (ServiceMonitor is a CRD, not in the
#      Kubernetes schemas: it is reported as a warning and checked by checkov only),
#   3. checkov --framework kubernetes --skip-download on each variant,
#   4. checkov --framework dockerfile --skip-download on each template's rendered Dockerfile.
# Fails on any schema error and any failed check not in scripts/security-allowlist.txt.
# Environment: PLATFORM (binary, default .build/debug/platform), KEEP_TMP=1 keeps the rendered files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/bin:$PATH"
platform=${PLATFORM:-$root/.build/debug/platform}
allowlist="$root/scripts/security-allowlist.txt"
for tool in checkov kubernetes-validate kubectl terraform python3; do
  command -v "$tool" >/dev/null || { echo "check-manifests: $tool missing (scripts/install-lint-tools.sh, install-tools.sh)" >&2; exit 1; }
done
[ -x "$platform" ] || { echo "check-manifests: no platform binary at $platform" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-manifests.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "check-manifests: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
failed=0
fail() { echo "check-manifests: FAILED: $*" >&2; failed=$((failed + 1)); }

# The test API server, with or without the Prometheus Operator CRD.
start_server() { # $1 = extra args
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  : > "$tmp/port"
  # shellcheck disable=SC2086
  python3 "$root/Tests/KubeAPIServer/kube_apiserver.py" --port 0 --kubeconfig "$tmp/kubeconfig" $1 >"$tmp/port" 2>>"$tmp/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do [ -s "$tmp/port" ] && return 0; sleep 0.1; done
  cat "$tmp/server.log" >&2; echo "check-manifests: test API server did not start" >&2; exit 1
}

# variant NAME ENV REPLICAS TLS(none|secret|issuer) AUTOSCALE(none|JSON) MONITOR(yes|no)
render() {
  local variant=$1 env=$2 replicas=$3 tls=$4 autoscale=$5 image=$6
  local project="$tmp/projects/$variant" config="$tmp/config/$variant"
  mkdir -p "$project" "$config/platform" "$tmp/rendered/$variant"
  local tls_json=""
  case "$tls" in
    secret) tls_json=', "tls": {}' ;;
    issuer) tls_json=', "tls": {"cluster_issuer": "letsencrypt-prod"}' ;;
  esac
  printf '{"environments": {"%s": {"ingress_class": "nginx"%s}}}\n' "$env" "$tls_json" > "$config/platform/config.json"
  if [ "$autoscale" = none ]; then
    printf '{"name": "shop", "port": 8080, "image": "registry.example.com/shop"}\n' > "$project/platform.json"
  else
    printf '{"name": "shop", "port": 8080, "image": "registry.example.com/shop", "autoscale": %s}\n' "$autoscale" > "$project/platform.json"
  fi
  (cd "$project" && env KUBECONFIG="$tmp/kubeconfig" XDG_CONFIG_HOME="$config" PLATFORM_STATE_DIR="$tmp/state/$variant" \
     TF_CLI_CONFIG_FILE="$tmp/terraformrc" PLATFORM_TEMPLATES_DIR="$root/templates" \
     "$platform" create shop -e "$env" --replicas "$replicas" --image "$image" --dry-run -o json) \
     >"$tmp/rendered/$variant.json" 2>"$tmp/rendered/$variant.log" \
     || { cat "$tmp/rendered/$variant.log" >&2; fail "$variant: platform create --dry-run failed"; return; }
  python3 - "$tmp/rendered/$variant.json" "$tmp/rendered/$variant" <<'PY'
import json, sys
documents = json.load(open(sys.argv[1]))["documents"]
for index, document in enumerate(documents):
    with open(f"{sys.argv[2]}/{index:02d}-{document['kind']}.json", "w") as f:
        json.dump(document, f, indent=1)
print(f"check-manifests: rendered {len(documents)} objects: " + ", ".join(d["kind"] for d in documents), file=sys.stderr)
PY
}

: > "$tmp/terraformrc"
start_server ""
render development-r1 development 1 none none registry.example.com/shop:latest
render production-r3-tls production 3 issuer none registry.example.com/shop:1.2.0
render staging-r1-hpa staging 1 secret '{"min": 2, "max": 6, "cpu": 70}' registry.example.com/shop:1.2.0
start_server "--crd servicemonitors.monitoring.coreos.com"
render production-r3-monitor production 3 none none registry.example.com/shop:1.2.0
render production-r1-tls-hpa-monitor production 1 issuer '{"min": 1, "max": 4}' registry.example.com/shop:1.2.0
render staging-r3-tls-monitor staging 3 secret none registry.example.com/shop:1.2.0

# Allow-list lookup: allowed CHECK FRAMEWORK WHERE
allowed() {
  local check=$1 framework=$2 where=$3 id fw pattern
  while read -r id fw pattern _; do
    case "$id" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2254
    if [ "$id" = "$check" ] && [ "$fw" = "$framework" ]; then case "$where" in $pattern) return 0 ;; esac; fi
  done < "$allowlist"
  return 1
}

# checkov's JSON report → "CHECK_ID<TAB>file<TAB>resource<TAB>name" per failed check.
failures() {
  python3 -c '
import json, sys
data = json.load(open(sys.argv[1]))
for report in (data if isinstance(data, list) else [data]):
    for check in report.get("results", {}).get("failed_checks", []):
        print("\t".join([check["check_id"], check.get("file_path", ""), check.get("resource", ""), check.get("check_name", "")]))
' "$1"
}

# checkov starts slowly (~15 s), so it runs once per framework over every variant / template.
judge() { # FRAMEWORK REPORT; WHERE is derived from the file path by where_of
  local framework=$1 report=$2 check file resource name where passed
  [ -s "$report" ] || { cat "$report.err" >&2; fail "checkov --framework $framework did not run"; return; }
  # A report that passed nothing scanned nothing (a parse failure must not look like a clean run).
  passed=$(python3 -c '
import json, sys
data = json.load(open(sys.argv[1]))
print(sum(len(r.get("results", {}).get("passed_checks", [])) for r in (data if isinstance(data, list) else [data])))
' "$report")
  [ "$passed" -gt 0 ] || { fail "checkov --framework $framework passed no check: nothing was scanned"; return; }
  echo "check-manifests: checkov --framework $framework: $passed passed checks" >&2
  while IFS=$'\t' read -r check file resource name; do
    [ -n "$check" ] || continue
    where=$(where_of "$framework" "$file")
    if allowed "$check" "$framework" "$where"; then
      echo "check-manifests: $where: $check ($name) on $resource: allowed (scripts/security-allowlist.txt)" >&2
    else
      fail "$where: checkov $check ($name) on $resource"
    fi
  done < <(failures "$report")
}
where_of() {
  case "$1" in
    kubernetes) basename "$(dirname "$2")" ;;                      # .../rendered/VARIANT/NN-KIND.json
    dockerfile) basename "$(dirname "$(dirname "$2")")" | sed 's#-#/#' ;;  # .../scaffold/LANG-FRAMEWORK/demo-svc/Dockerfile
  esac
}

for folder in "$tmp"/rendered/*/; do
  variant=$(basename "$folder")
  files=()
  for file in "$folder"*.json; do case "$file" in *-ServiceMonitor.json) ;; *) files+=("$file") ;; esac; done
  if kubernetes-validate --strict -k 1.37.0 --quiet "${files[@]}" >"$tmp/validate.txt" 2>&1; then
    echo "check-manifests: $variant: kubernetes-validate --strict ok (${#files[@]} objects)" >&2
  else
    cat "$tmp/validate.txt" >&2; fail "$variant: kubernetes-validate --strict"
  fi
done
checkov --framework kubernetes --skip-download -d "$tmp/rendered" -o json >"$tmp/checkov-k8s.json" 2>"$tmp/checkov-k8s.json.err" || true
judge kubernetes "$tmp/checkov-k8s.json"

# Each template's Dockerfile, rendered by scaffold.
dockerfiles=()
for template_json in "$root"/templates/*/*/template.json; do
  template=$(basename "$(dirname "$(dirname "$template_json")")")/$(basename "$(dirname "$template_json")")
  out="$tmp/scaffold/${template//\//-}"
  mkdir -p "$out"
  if "$platform" scaffold demo-svc --template "$template" --templates-dir "$root/templates" --dir "$out" --no-git >"$out.log" 2>&1; then
    dockerfiles+=(-f "$out/demo-svc/Dockerfile")
  else
    cat "$out.log" >&2; fail "$template: scaffold failed"
  fi
done
checkov --framework dockerfile --skip-download "${dockerfiles[@]}" -o json >"$tmp/checkov-docker.json" 2>"$tmp/checkov-docker.json.err" || true
judge dockerfile "$tmp/checkov-docker.json"
echo "check-manifests: checkov ran on $(ls -d "$tmp"/rendered/*/ | wc -l) variants and $((${#dockerfiles[@]} / 2)) Dockerfiles" >&2

if [ "$failed" != 0 ]; then echo "check-manifests: $failed failure(s)" >&2; exit 1; fi
echo "check-manifests: ok"
