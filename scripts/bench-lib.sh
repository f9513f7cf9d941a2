# Sourced by the bench scripts (bench.sh, bench-once.sh,
# bench-scrape-ingest.sh, tui-measure.sh): where the bench data is and how
# it is made, and where cargo puts what it builds. benches/util/data.rs
# follows the same rules, so the scripts and the cargo benches share the
# generated logs.
#
# Data directory: $BENCH_DIR, else $CARGO_TARGET_DIR/bench-data, else
# target/bench-data in the repository. A generated log is genlog combined_rt
# with seed 1 (every other genlog option at its default), named after its
# options, made once by the repository's generator (tools/genlog), reused
# after.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/bench-data}
case $BENCH_DIR in /*) ;; *) BENCH_DIR=$ROOT/$BENCH_DIR ;; esac

# bench_data_path LINES ROUTES: where that log is (or will be).
bench_data_path() {
  printf '%s/genlog_combined_rt_lines%s_routes%s_seed1.log\n' "$BENCH_DIR" "$1" "$2"
}

# bench_data LINES ROUTES: prints the log's path, generating it first if
# the data directory does not have it (into a temporary name, then renamed,
# so an interrupted run leaves no partial file). Use as
# `f=$(bench_data 1000000 200)`: it fails (status 1) if generation fails.
bench_data() {
  local lines=$1 routes=$2 f tmp
  f=$(bench_data_path "$lines" "$routes")
  if [ ! -s "$f" ]; then
    mkdir -p "$BENCH_DIR" || return 1
    tmp="$f.tmp.$$"
    echo "generating $f ($lines lines of combined_rt, $routes routes, seed 1)..." >&2
    if ! (cd "$ROOT" && cargo run --release -q -p routetop-genlog -- \
      --lines "$lines" --routes "$routes" --seed 1 --format combined_rt -o "$tmp") >&2; then
      rm -f "$tmp"
      echo "error: generating $f failed" >&2
      return 1
    fi
    mv "$tmp" "$f" || return 1
  fi
  printf '%s\n' "$f"
}

# cargo_target_dir: cargo's target directory (honours CARGO_TARGET_DIR and
# cargo's configuration).
cargo_target_dir() {
  (cd "$ROOT" && cargo metadata --format-version 1 --no-deps) |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# bench_exe NAME: builds the cargo bench NAME (bench profile) and prints
# its executable's path.
bench_exe() {
  (cd "$ROOT" && cargo bench --no-run --bench "$1" --message-format=json-render-diagnostics) |
    python3 -c '
import json, sys
name = sys.argv[1]
exe = None
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == name and "bench" in m["target"]["kind"]:
        exe = m.get("executable") or exe
if not exe:
    sys.exit(f"error: no executable for bench {name}")
print(exe)
' "$1"
}
