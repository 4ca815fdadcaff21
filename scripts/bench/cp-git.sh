#!/usr/bin/env bash
# The scaffold baseline for `make bench`: copy a folder and commit it to a fresh git repository.
# Usage: cp-git.sh SOURCE TARGET
set -euo pipefail
cp -r "$1" "$2"
cd "$2"
git init -q
git add -A
git -c user.name=bench -c user.email=bench@localhost commit -q -m "Scaffold"
