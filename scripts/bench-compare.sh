#!/usr/bin/env bash
# Runs the benchmarks that measure this crate against the published
# rig-compose 0.5.0 on the same work, then prints each case's medians and the
# ratio ours / published (below 1.0: this crate is faster).
#
# Usage: scripts/bench-compare.sh [bench ...]   (default: all comparison benches)
# BENCH_ARGS overrides the criterion arguments (default: a short run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(normalizer dispatch budget registry context_pack envelope budget_engine)
args=${BENCH_ARGS:---warm-up-time 1 --measurement-time 3}

cd "$root/crates/rig-compose"
for bench in "${benches[@]}"; do
  # shellcheck disable=SC2086
  cargo bench --bench "$bench" -- $args >/dev/null
done

# Criterion writes under the cargo target dir (CARGO_TARGET_DIR when set).
target=${CARGO_TARGET_DIR:-$root/target}
python3 - "${CRITERION_HOME:-$target/criterion}" <<'PY'
import json, os, sys
base = sys.argv[1]
def median_ns(path):
    with open(os.path.join(path, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]
def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"
rows = []
for dirpath, _, files in os.walk(base):
    if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
        continue
    theirs = os.path.dirname(dirpath)
    parts = os.path.relpath(theirs, base).split(os.sep)
    hits = [i for i, part in enumerate(parts) if part.startswith("published")]
    if not hits:
        continue
    i = hits[0]
    mine = parts[:i] + ["ours" + parts[i][len("published"):]] + parts[i + 1:]
    ours = os.path.join(base, *mine)
    if not os.path.exists(os.path.join(ours, "new", "estimates.json")):
        continue
    case = "/".join(parts[:i] + ([parts[i][len("published"):].lstrip("_")] if parts[i] != "published" else []) + parts[i + 1:])
    rows.append((case, median_ns(ours), median_ns(theirs)))
if not rows:
    sys.exit("no ours/published benchmark pairs found under " + base)
width = max(len(r[0]) for r in rows)
print(f"{'case':<{width}}  {'ours':>10}  {'published':>10}  ratio")
for case, o, p in sorted(rows):
    print(f"{case:<{width}}  {fmt(o):>10}  {fmt(p):>10}  {o / p:.2f}")
PY
