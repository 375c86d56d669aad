#!/usr/bin/env bash
# Instructions per input byte of the tool-call normalizer, counted by
# callgrind over the benchmark corpus (examples/normalizer_profile.rs).
# Deterministic, so it is what to compare on a noisy machine; MB/s comes
# from scripts/bench-formats.sh.
#
# Usage: scripts/instr-per-byte.sh MODE FORMAT...   MODE: whole | streamN
#   e.g. scripts/instr-per-byte.sh whole hermes auto
#        ANNOTATE=40 scripts/instr-per-byte.sh stream16 auto   (top 40 functions)
# Needs valgrind (apt-get install -y valgrind).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
mode=${1:?usage: instr-per-byte.sh MODE FORMAT...}
shift
cd "$root/crates/rig-compose"
CARGO_PROFILE_RELEASE_DEBUG=1 cargo build --quiet --release --example normalizer_profile
for format in "$@"; do
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect='*normalizer_profile::run*' \
    "$target/release/examples/normalizer_profile" "$mode" "$format" 2>"$out.log" >"$out.stdout"
  ir=$(grep -o 'Collected : [0-9]*' "$out.log" | grep -o '[0-9]*$')
  read -r bytes rounds < <(sed -E 's/.*bytes=([0-9]+) rounds=([0-9]+).*/\1 \2/' "$out.stdout")
  python3 -c "print('%-8s %-18s %7.1f instr/byte  (%d bytes x %d)' % ('$mode', '$format', $ir / ($bytes * $rounds), $bytes, $rounds))"
  if [ -n "${ANNOTATE:-}" ]; then
    callgrind_annotate --inclusive="${INCLUSIVE:-no}" "$out" 2>/dev/null | sed -n "20,$((20 + ANNOTATE))p"
  fi
  rm -f "$out" "$out.log" "$out.stdout"
done
