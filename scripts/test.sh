#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script):
# formatting, lints, and every test, including the ones that drive real
# nginx, Prometheus, the Pushgateway and tmux. Installs those Debian
# packages first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
command -v tmux >/dev/null || need+=(tmux)
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-pushgateway >/dev/null || need+=(prometheus-pushgateway)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
