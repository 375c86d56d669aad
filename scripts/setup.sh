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

# rig-compose-redis tests and benches start a real, throwaway redis-server.
if ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y redis-server
  else
    echo "setup.sh: redis-server is missing and apt-get is unavailable; install Redis 7+" >&2
    exit 1
  fi
fi
