#!/usr/bin/env bash
# Benchmark of `routetop --once` over a gzip-rotated set (figures, never a
# timed test): FILES (default 8) files of DATA_LINES (default 1 000 000)
# lines each, compressed with gzip -6 (logrotate's default), read
#
#   1. as a glob in one run:   routetop --once -o json 'gz/access.log*'
#   2. through a zcat pipe:    zcat gz/access.log.8.gz ... | routetop --once -o json -
#   3. as the plain files:     routetop --once -o json 'plain/access.log*'
#   4. as (1) on one worker:   routetop --once -j1 -o json 'gz/access.log*'
#
# alternated in one Python process (order swapped every run), RUNS (default
# 3) runs each: wall time best and median, and the speed-up of (1) over (2).
# Before measuring, the four runs' totals (requests, lines) are checked equal.
#
#   scripts/bench-rotated.sh [RUNS]                        (or RUNS=N)
#   FILES=8 DATA_LINES=1000000 scripts/bench-rotated.sh
#
# Data: file k is genlog combined_rt with seed k (200 routes), made once by
# tools/genlog into $BENCH_DIR/rotated-FILESxLINES/ (plain/ and gz/) and
# reused; see scripts/bench-lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

RUNS=${1:-${RUNS:-3}}
LINES=${DATA_LINES:-1000000}
N=${FILES:-8}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "error: RUNS must be a positive integer, not '$RUNS'" >&2; exit 2; }
[[ $LINES =~ ^[1-9][0-9]*$ ]] || { echo "error: DATA_LINES must be a positive integer, not '$LINES'" >&2; exit 2; }
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "error: FILES must be a positive integer, not '$N'" >&2; exit 2; }
command -v gzip >/dev/null && command -v zcat >/dev/null ||
  { echo "error: needs gzip and zcat (Debian package gzip)" >&2; exit 1; }

DIR=$BENCH_DIR/rotated-${N}x${LINES}
mkdir -p "$DIR/plain" "$DIR/gz"
for k in $(seq 1 "$N"); do
  p=$DIR/plain/access.log.$k
  if [ ! -s "$p" ]; then
    echo "generating $p ($LINES lines of combined_rt, 200 routes, seed $k)..." >&2
    cargo run --release -q -p routetop-genlog -- \
      --lines "$LINES" --routes 200 --seed "$k" --format combined_rt -o "$p.tmp.$$"
    mv "$p.tmp.$$" "$p"
    rm -f "$DIR/gz/access.log.$k.gz"
  fi
  z=$DIR/gz/access.log.$k.gz
  if [ ! -s "$z" ]; then
    echo "compressing $z (gzip -6)..." >&2
    gzip -6 -c "$p" > "$z.tmp.$$"
    mv "$z.tmp.$$" "$z"
  fi
done

cargo build --release --quiet --bin routetop
BIN="$(cargo_target_dir)/release/routetop"
echo "routetop $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes') ($BIN)"
echo "$(nproc) cores, $N files x $LINES lines, plain $(du -cm "$DIR"/plain/access.log.* | tail -1 | cut -f1) MB, gzip $(du -cm "$DIR"/gz/access.log.*.gz | tail -1 | cut -f1) MB, $RUNS run$([ "$RUNS" = 1 ] || echo s) each"

python3 - "$RUNS" "$BIN" "$DIR" "$N" <<'PY'
import json, statistics, subprocess, sys, time
runs, bin_, d, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
# Oldest first, as the glob reads them.
gz = " ".join(f"{d}/gz/access.log.{k}.gz" for k in range(n, 0, -1))
cmds = [
    ("glob of .gz", f"'{bin_}' --once -o json '{d}/gz/access.log*'"),
    ("zcat | routetop", f"set -o pipefail; zcat {gz} | '{bin_}' --once -o json -"),
    ("plain files", f"'{bin_}' --once -o json '{d}/plain/access.log*'"),
    ("glob of .gz -j1", f"'{bin_}' --once -j1 -o json '{d}/gz/access.log*'"),
]

def run(cmd):
    t = time.perf_counter()
    p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"error: {cmd} exited with {p.returncode}: {p.stderr.decode(errors='replace')}")
    return secs, p.stdout

totals = {}
for label, cmd in cmds:
    r = json.loads(run(cmd)[1])
    totals[label] = (r["totals"]["requests"], sum(i["lines"] for i in r["inputs"]))
if len(set(totals.values())) != 1:
    sys.exit(f"error: the runs disagree: {totals}")
req, lines = next(iter(totals.values()))
print(f"every run: {req} requests of {lines} lines", flush=True)

secs = {label: [] for label, _ in cmds}
for i in range(runs):
    for label, cmd in (cmds if i % 2 == 0 else cmds[::-1]):
        secs[label].append(run(cmd)[0])
for label, _ in cmds:
    s = secs[label]
    print(f"{label:<16} best {min(s):6.2f} s ({lines/min(s)/1e6:5.2f} M lines/s) | median {statistics.median(s):6.2f} s", flush=True)
b = lambda l: min(secs[l])
m = lambda l: statistics.median(secs[l])
print(f"glob of .gz vs zcat | routetop: {b('zcat | routetop')/b('glob of .gz'):.2f}x faster (best), "
      f"{m('zcat | routetop')/m('glob of .gz'):.2f}x (median)")
print(f"glob of .gz vs plain files: {b('plain files')/b('glob of .gz'):.2f}x (best; < 1: slower)")
print(f"glob of .gz, all cores vs -j1: {b('glob of .gz -j1')/b('glob of .gz'):.2f}x faster (best)")
PY
