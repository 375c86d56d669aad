#!/usr/bin/env bash
# Runs the tool-call format benchmarks (crates/rig-compose/benches/formats.rs)
# and prints, from criterion's results, the median MB/s (10^6 bytes/s) of
# every case and the ratios the issue sets targets for:
#   * JSON formats (family json) parse whole text at >= 200 MB/s (each,
#     and all JSON-family entries together; the serde_json floor row shows
#     what building the same argument values alone costs);
#   * streaming costs at most 1.5x the whole-text parse (stream / whole time);
#   * LFM is at least 3x faster than the published rig-compose 0.5.0.
# Misses are marked with `!`.
#
# Usage: scripts/bench-formats.sh [FILTER]   FILTER: criterion regex, e.g. hermes
#   BENCH_ARGS    criterion arguments (default: a short run)
#   NO_RUN=1      only print the results already on disk
#   CHECK=1       exit 1 when a target is missed
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
args=${BENCH_ARGS:---warm-up-time 1 --measurement-time 2}
target=${CARGO_TARGET_DIR:-$root/target}
criterion=${CRITERION_HOME:-$target/criterion}

if [ "${NO_RUN:-0}" != 1 ]; then
  cd "$root/crates/rig-compose"
  # Corpus notes stay on stderr; criterion's report and progress are dropped.
  # shellcheck disable=SC2086
  { cargo bench --bench formats -- $args "$@" 2>&1 >/dev/null; } |
    { grep -v '^Benchmarking' || true; } >&2
fi

python3 - "$criterion" "${CHECK:-0}" <<'PY'
import json, os, sys
base, check = sys.argv[1], sys.argv[2] == "1"
JSON_MIN_MBS, STREAM_MAX, LFM_MIN = 200.0, 1.5, 3.0

def load(group, func):
    d = os.path.join(base, group, func, "new")
    try:
        with open(os.path.join(d, "estimates.json")) as f:
            ns = json.load(f)["median"]["point_estimate"]
        with open(os.path.join(d, "benchmark.json")) as f:
            size = json.load(f)["throughput"]["Bytes"]
    except (OSError, KeyError, TypeError):
        return None
    return ns, size * 1e3 / ns  # (median ns, MB/s)

if not os.path.isdir(base):
    sys.exit(f"no criterion results under {base}")
groups = sorted(os.listdir(base))
missed = 0
def mark(bad):
    global missed
    missed += bad
    return "!" if bad else " "

rows = []
for g in groups:
    if not g.startswith("fmt_"):
        continue
    _, family, name = g.split("_", 2)
    w, s = load(g, "whole"), load(g, "stream_16")
    if w:
        rows.append((family, name, w, s))
if rows:
    print(f"{'format':<20} {'family':<9} {'whole MB/s':>11} {'stream16 MB/s':>14} {'stream/whole':>13}")
    for family, name, w, s in rows:
        slow = family == "json" and w[1] < JSON_MIN_MBS
        line = f"{name:<20} {family:<9} {w[1]:>10.1f}{mark(slow)}"
        if s:
            ratio = s[0] / w[0]
            line += f" {s[1]:>14.1f} {ratio:>12.2f}{mark(ratio > STREAM_MAX)}"
        print(line)
    print()

w, f = load("json_family", "whole"), load("json_family", "serde_floor")
if w and f:
    print(f"json_family whole {w[1]:.1f} MB/s{mark(w[1] < JSON_MIN_MBS)}  "
          f"(serde_json alone building the same argument values: {f[1]:.1f} MB/s)")
    print()

w = load("auto_mixed", "whole")
if w:
    print(f"auto_mixed  whole {w[1]:.1f} MB/s")
    for chunk in (4, 16, 64, 256, 1024):
        s = load("auto_mixed", f"stream_{chunk}")
        if s:
            ratio = s[0] / w[0]
            print(f"auto_mixed  stream_{chunk:<4} {s[1]:>8.1f} MB/s  stream/whole {ratio:.2f}{mark(ratio > STREAM_MAX)}")
    print()

p = load("lfm_published", "published")
if p:
    print(f"lfm_published  published {p[1]:.1f} MB/s")
    for func in ("ours", "lfm2"):
        o = load("lfm_published", func)
        if o:
            speedup = p[0] / o[0]
            print(f"lfm_published  {func:<9} {o[1]:.1f} MB/s  {speedup:.2f}x published{mark(speedup < LFM_MIN)}")

if missed:
    print(f"\n{missed} target(s) missed (marked !)")
    if check:
        sys.exit(1)
PY
