#!/usr/bin/env bash
# Installs what building and testing this workspace needs on a fresh machine.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

need_component() {
  rustup component list --installed 2>/dev/null | grep -q "^$1" || rustup component add "$1"
}
if command -v rustup >/dev/null 2>&1; then
  need_component rustfmt
  need_component clippy
fi
