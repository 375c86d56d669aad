#!/usr/bin/env bash
# Runs the published test suites of crates that depend on rig-compose 0.5
# against this workspace's kernel, via [patch.crates-io].
#
# Usage: scripts/downstream-compat.sh [crate@version ...]
# Default: rig-mcp@0.2.5 rig-resources@0.2.2
#
# Environment:
#   DOWNSTREAM_DIR     where the crates are unpacked (default: a fresh temp dir)
#   DOWNSTREAM_TARGET  shared cargo target dir (default: target/downstream)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
kernel="$root/crates/rig-compose"
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(rig-mcp@0.2.5 rig-resources@0.2.2)

work=${DOWNSTREAM_DIR:-$(mktemp -d -t rig-compose-downstream.XXXXXX)}
export CARGO_TARGET_DIR=${DOWNSTREAM_TARGET:-$root/target/downstream}
mkdir -p "$work" "$CARGO_TARGET_DIR"

# Let cargo download the exact published sources: a throwaway package that
# depends on each crate, then copy them out of the registry cache.
fetcher="$work/fetch"
mkdir -p "$fetcher/src"
: > "$fetcher/src/lib.rs"
{
  printf '[package]\nname = "downstream-fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\n'
  for spec in "${crates[@]}"; do
    printf '%s = "=%s"\n' "${spec%@*}" "${spec#*@}"
  done
} > "$fetcher/Cargo.toml"
(cd "$fetcher" && cargo fetch --quiet)

registry_src() {
  local name=$1 version=$2 dir
  for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name-$version"; do
    [ -f "$dir/Cargo.toml" ] && { echo "$dir"; return 0; }
  done
  echo "downstream-compat: $name $version not found in the cargo registry cache" >&2
  return 1
}

status=0
for spec in "${crates[@]}"; do
  name=${spec%@*} version=${spec#*@}
  src=$(registry_src "$name" "$version")
  dest="$work/$name-$version"
  rm -rf "$dest"
  cp -r "$src" "$dest"
  chmod -R u+w "$dest"
  rm -f "$dest/Cargo.lock"
  # A standalone workspace, with rig-compose taken from this repository.
  {
    printf '\n[workspace]\n\n[patch.crates-io]\nrig-compose = { path = "%s" }\n' "$kernel"
  } >> "$dest/Cargo.toml"
  echo "== downstream: $name $version against $(basename "$kernel") at $kernel"
  if ! (cd "$dest" && cargo test --all-features); then
    echo "downstream-compat: $name $version FAILED" >&2
    status=1
  fi
  # The patch must really be in use, or the run proves nothing.
  if ! (cd "$dest" && cargo tree --all-features -i rig-compose --prefix none 2>/dev/null | head -n 1 | grep -q "$kernel"); then
    echo "downstream-compat: $name $version did not resolve rig-compose to $kernel" >&2
    status=1
  fi
done
exit $status
