#!/usr/bin/env bash
# Pastes the current `routetop --help` into README.md's CLI reference
# (tests/readme.rs fails until this is done after a flag changes).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
target/debug/routetop --help > target/help.txt
python3 - <<'PY'
s = open("README.md").read()
start = "<!-- help:start -->\n```text\n"
a = s.index(start) + len(start)
b = s.index("```\n<!-- help:end -->")
open("README.md", "w").write(s[:a] + open("target/help.txt").read() + s[b:])
PY
