#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script):
# formatting, lints, and every test, including the ones that drive real
# nginx, Prometheus, the Pushgateway and tmux. Installs those Debian
# packages first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/nginx ] || [ -x /usr/bin/nginx ] || [ -x /usr/local/sbin/nginx ] || need+=(nginx)  # where tests/nginx*.rs look
command -v tmux >/dev/null || need+=(tmux)
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-pushgateway >/dev/null || need+=(prometheus-pushgateway)
command -v openssl >/dev/null || need+=(openssl)  # tests/reload.rs makes certificates
# The Debian package test (scripts/deb-test.sh, root only): man -w, and
# systemd-analyze verify on the installed unit.
command -v man >/dev/null || need+=(man-db)
command -v systemd-analyze >/dev/null || need+=(systemd)

# Installs the packages as root, or through sudo when it needs no password;
# otherwise says what is missing and how to install it, and the tests that
# need it skip (saying so) instead of failing. The run then ends in failure
# all the same: it did not test everything.
missing=()
if [ ${#need[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  fi
  if [ "$(id -u)" = 0 ] || [ ${#as_root[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    missing=("${need[@]}")
    echo "test.sh: not root and no password-less sudo: missing Debian packages ${missing[*]}"
    echo "test.sh: install them as root with: apt-get install --no-install-recommends ${missing[*]}"
    echo "test.sh: running every test that needs none of them; those that do skip"
  fi
fi

# The tests that need these tools fail, not skip, when they are missing
# (tests/net/mod.rs, skip_or_fail), unless the packages could not be
# installed (above).
if [ ${#missing[@]} -eq 0 ]; then
  export ROUTETOP_REQUIRE_TOOLS=1
fi

# Snapshot tests (insta: dashboard screens, Prometheus expositions) fail on
# a missing or changed snapshot and write nothing, here as in CI. insta does
# this by itself when CI is set to anything but false/0, but the runner
# calling .ci/run may not set it, and its default elsewhere writes
# .snap.new files; say it outright. To accept changes, see README.md
# (Development).
export INSTA_UPDATE=no

cargo fmt --all --check
# Third-party licences: the summary is current, every licence is allowed,
# no unexplained duplicate crate versions.
scripts/licenses.py --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Rustdoc: every intra-doc link resolves (private items too: module docs
# link across the crate, and ARCHITECTURE.md points readers at them).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --document-private-items --locked
cargo test --workspace --locked

# The fuzz targets (fuzz/, a workspace of its own): formatted and linted
# like the rest (checked into target/, beside the workspace's, so the
# dependencies' checks are shared), then each run for a short while from
# the committed seeds (scripts/fuzz.sh installs nightly and cargo-fuzz
# when missing; FUZZ_SECONDS changes the time per target).
cargo fmt --manifest-path fuzz/Cargo.toml --check
cargo clippy --manifest-path fuzz/Cargo.toml --target-dir target --all-targets --locked -- -D warnings
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"

# The Debian package: built, installed, used, removed and purged on this
# machine (dpkg -i needs root; CI runs as root).
if [ "$(id -u)" = 0 ]; then
  scripts/deb-test.sh
else
  echo "test.sh: skipped scripts/deb-test.sh (dpkg -i needs root)"
  missing+=("(root, for the Debian package test)")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: INCOMPLETE: every test that could run passed; missing: ${missing[*]}"
  exit 1
fi
