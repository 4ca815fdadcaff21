#!/usr/bin/env bash
# Installs what the completion, metrics and terminal tests need, from Debian's packages only:
#   bash-completion   <- Debian bash-completion (/usr/share/bash-completion/bash_completion)
#   zsh               <- Debian zsh (compinit)
#   fish              <- Debian fish (complete -C)
#   promtool          <- Debian prometheus (promtool check metrics)
#   tmux              <- Debian tmux (TerminalProgressEndToEndTests: the live progress line on a real terminal)
# Idempotent: runs `apt-get update` and `apt-get install` only when something is missing.
# Runs as root in CI (no sudo). Prints what it installs on stderr.
set -euo pipefail

say() { echo "install-test-shells: $*" >&2; }

packages=()
[ -f /usr/share/bash-completion/bash_completion ] || packages+=(bash-completion)
command -v zsh >/dev/null 2>&1 || packages+=(zsh)
command -v fish >/dev/null 2>&1 || packages+=(fish)
command -v promtool >/dev/null 2>&1 || packages+=(prometheus)
command -v tmux >/dev/null 2>&1 || packages+=(tmux)

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
say "apt-get install ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
