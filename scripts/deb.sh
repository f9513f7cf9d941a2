#!/usr/bin/env bash
# Builds the Debian package, target/debian/routetop_VERSION-1_ARCH.deb, with
# cargo-deb (Cargo.toml [package.metadata.deb] lists what goes where). The
# man page and completions come from the release binary itself
# (`routetop --generate`), and the unit from assets/routetop.service, with
# the package's paths: one source of truth for each. Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: a new cargo-deb may change the layout scripts/deb-test.sh checks.
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $CARGO_DEB_VERSION\|$CARGO_DEB_VERSION"; then
  echo "installing cargo-deb $CARGO_DEB_VERSION" >&2
  cargo install --quiet --locked cargo-deb --version "$CARGO_DEB_VERSION"
fi

cargo build --release --locked --quiet
bin=target/release/routetop
out=target/deb-assets
rm -rf "$out"
mkdir -p "$out"
"$bin" --generate man | gzip -9n > "$out/routetop.1.gz"
"$bin" --generate complete-bash > "$out/routetop.bash"
"$bin" --generate complete-zsh > "$out/_routetop"
"$bin" --generate complete-fish > "$out/routetop.fish"

# The unit: the package's binary path, its config file, and a header that
# says where the package's settings are (the original's header tells how
# to install by hand).
{
  cat <<'HEAD'
# routetop as a headless Prometheus exporter on loopback, from the routetop
# Debian package. Not enabled on install: set the logs first, then
#   systemctl enable --now routetop
# Settings: /etc/default/routetop (LISTEN, LOGS, any ROUTETOP_* variable,
# e.g. LISTEN=0.0.0.0:9898 with ROUTETOP_WEB_CONFIG for TLS and basic auth)
# and /etc/routetop/routetop.toml; `man routetop`.
HEAD
  sed -n '/^\[Unit\]/,$p' assets/routetop.service \
    | sed -e 's|/usr/local/bin/routetop|/usr/bin/routetop|' \
          -e 's|^Environment=LOGS=.*|&\nEnvironment=ROUTETOP_CONFIG=/etc/routetop/routetop.toml|'
} > "$out/routetop.service"
grep -q '^ExecStart=/usr/bin/routetop ' "$out/routetop.service"
grep -q '^Environment=ROUTETOP_CONFIG=' "$out/routetop.service"

cargo deb --no-build --locked --quiet >/dev/null
ls target/debian/routetop_*.deb | sort -V | tail -n 1
