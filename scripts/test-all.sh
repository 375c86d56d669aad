#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, tests with all and
# with no features, doctests, loom models and the downstream compatibility
# suites, and a fuzz smoke run when cargo-fuzz is available. Set
# SKIP_DOWNSTREAM=1 or SKIP_FUZZ=1 to leave those out locally.
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

# A short fuzz smoke run of the normalizer targets. cargo-fuzz needs a
# nightly toolchain, which a fresh machine may not have (and rustup's servers
# may be unreachable), so the step is skipped with a note when it is absent.
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  if cargo +nightly fuzz --version >/dev/null 2>&1; then
    step "fuzz smoke (normalizer targets, ${FUZZ_SECONDS:-20}s each)"
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash scripts/fuzz-smoke.sh auto stream
  else
    step "fuzz smoke skipped: no nightly toolchain with cargo-fuzz"
  fi
fi

if [ "${SKIP_DOWNSTREAM:-0}" != 1 ]; then
  step "downstream compatibility suites"
  bash scripts/downstream-compat.sh
fi
step "all checks passed"
