#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ (or the ones named) for SECONDS
# each, one after another: `scripts/fuzz.sh [SECONDS] [TARGET...]`,
# default 300 s. CI (scripts/test.sh) runs each for 20 s.
#
# Each target starts from the committed seeds (fuzz/seeds/TARGET, made by
# scripts/make-fuzz-seeds.py) and the corpus earlier runs on this machine
# grew (fuzz/corpus/TARGET, not committed). A crash leaves its input in
# fuzz/artifacts/TARGET/; reproduce it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and turn it into a regression test in the normal suite, named after the
# bug. Every target runs even after one fails; the exit status is 1 if any
# did.
#
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz:
# both are installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-300}
shift || true

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# One build for all targets, so each run's time is fuzzing.
cargo +nightly fuzz build

failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
  echo "== fuzz $t: ${secs}s"
  mkdir -p "fuzz/corpus/$t"
  # -timeout: an input that takes 10 s is a hang, reported like a crash.
  # -max_len: the most any target's invariants need (a few log lines, a
  # config, a request), and short inputs run fast.
  if cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -max_len=4096 >"$log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "$log" || tail -n 1 "$log"
  else
    tail -n 60 "$log"
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs}s each, no crash"
