#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, tests with all and
# with no features, doctests, loom models and the downstream compatibility
# suites. Set SKIP_DOWNSTREAM=1 to leave out the (slow) downstream suites.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

step() { printf '\n==== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all --check

step "clippy (all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings
step "clippy (no default features)"
cargo clippy --workspace --all-targets --no-default-features -- -D warnings

step "tests and doctests (all features)"
cargo test --workspace --all-features
step "tests and doctests (no default features)"
cargo test --workspace --no-default-features

if ls crates/rig-compose/tests/*loom*.rs >/dev/null 2>&1; then
  step "loom models"
  for t in crates/rig-compose/tests/*loom*.rs; do
    # Run from the crate's folder: `-p rig-compose` is ambiguous because the
    # published 0.5.0 is a (renamed) dev-dependency for differential tests.
    (cd crates/rig-compose && RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=../../target/loom \
      cargo test --release --test "$(basename "$t" .rs)")
  done
fi

if [ "${SKIP_DOWNSTREAM:-0}" != 1 ]; then
  step "downstream compatibility suites"
  bash scripts/downstream-compat.sh
fi
step "all checks passed"
