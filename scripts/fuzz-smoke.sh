#!/usr/bin/env bash
# Fuzz smoke run: builds the cargo-fuzz targets in fuzz/ (nightly) and runs
# each one for a few seconds from its seed corpus, then prints one line per
# target with its exec count. Exits 1 if any target crashed, panicked, hit
# the per-input timeout (a hang) or ran out of memory; its log tail and
# crashing input (under fuzz/artifacts/TARGET/) are shown.
#
# Usage: scripts/fuzz-smoke.sh [TARGET ...]    (default: every target)
#   FUZZ_SECONDS    seconds per target (default 30)
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (default 10)
#   CARGO_TARGET_DIR is honoured (cargo-fuzz's default is fuzz/target).
# New inputs found go to a temporary corpus, so fuzz/corpus keeps its seeds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-30}
timeout=${FUZZ_TIMEOUT:-10}
cd "$root/fuzz"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Build everything first so the build does not eat into the fuzzing time.
cargo +nightly fuzz build >&2

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
summary=()
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  seeds=()
  [ -d "corpus/$target" ] && seeds=("corpus/$target")
  log="$scratch/$target.log"
  echo "fuzzing $target for ${seconds}s ..." >&2
  if cargo +nightly fuzz run "$target" "$scratch/$target" "${seeds[@]}" -- \
      -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    summary+=("$(printf '%-18s ok      %12s execs in %ss' "$target" "$runs" "$seconds")")
  else
    failed=1
    summary+=("$(printf '%-18s FAILED  (see below)' "$target")")
    echo "==== $target failed; last lines of its log:" >&2
    tail -n 40 "$log" >&2
  fi
done
printf '%s\n' "${summary[@]}"
exit "$failed"
