#!/usr/bin/env bash
# Benchmark of `routetop --once -o json` (end to end, with percentiles)
# beside `wc -l` on the same file in the same run: lines/s, MB/s and peak
# RSS, best and median of RUNS runs, with the default -j and with -j1.
#
#   scripts/bench-once.sh [RUNS]                                (default 5; or RUNS=N)
#   BASELINE=/path/to/old/routetop scripts/bench-once.sh [RUNS]
#
# With BASELINE, the baseline binary and the current build run alternately
# (baseline, current, then current, baseline, ...) on the same files, each
# gets its figures, and a ratio line follows: current / baseline lines/s,
# best and median (>= 1.00: not slower). This is how the project reports
# "not slower than before": both figures from one invocation, never across
# sessions (the machine is shared and noisy). Before measuring, the two
# binaries' `--once -o json` outputs (-j default and -j1) are compared byte
# for byte on each file; a difference is reported, and the script then
# exits 1 after the figures (a restructure must not change results).
#
# Data: DATA_LINES (default 1 000 000) lines of genlog combined_rt, seed 1,
# with 200 routes and with 100 000 routes, made once by tools/genlog into
# the bench data directory ($BENCH_DIR; see scripts/bench-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

RUNS=${1:-${RUNS:-5}}
LINES=${DATA_LINES:-1000000}
BASELINE=${BASELINE:-}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "error: RUNS must be a positive integer, not '$RUNS'" >&2; exit 2; }
[[ $LINES =~ ^[1-9][0-9]*$ ]] || { echo "error: DATA_LINES must be a positive integer, not '$LINES'" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "error: BASELINE=$BASELINE is not an executable file" >&2
  exit 2
fi

FILES=("$(bench_data "$LINES" 200)" "$(bench_data "$LINES" 100000)")

cargo build --release --quiet --bin routetop
BIN="$(cargo_target_dir)/release/routetop"
if [ -n "$BASELINE" ]; then
  BASELINE=$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")
  [ "$BASELINE" -ef "$BIN" ] &&
    echo "warning: BASELINE is the binary being built ($BIN); copy the old one elsewhere" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/routetop-bench-once.XXXXXX")
KEEP=""
trap '[ -n "$KEEP" ] || rm -rf "$TMP"' EXIT

# Measures one file in one Python process: `wc -l`, then `--once -o json`
# with -j default and -j1, RUNS runs each, the baseline's and the current
# build's runs alternated; wall time (perf_counter, as before) and peak RSS
# (/usr/bin/time) of each run.
measure() { # file
  python3 - "$RUNS" "$1" "$BIN" "$BASELINE" <<'PY'
import os, statistics, subprocess, sys, time
runs, path, current, baseline = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
nbytes = os.stat(path).st_size
with open(path, "rb") as f:
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))

def once(argv):
    # Peak RSS by /usr/bin/time: a process forked from this Python would
    # start with Python's own peak as its ru_maxrss.
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(argv)} exited with {p.returncode}: {p.stderr.decode(errors='replace')}")
    return secs, int(p.stderr.decode().strip().splitlines()[-1]) / 1024

def report(label, who, secs, rss):
    best, med = min(secs), statistics.median(secs)
    print(f"{label:<20} {who:<9} best {lines/best/1e6:6.2f} M lines/s {nbytes/best/1e6:6.0f} MB/s | "
          f"median {lines/med/1e6:6.2f} M lines/s | peak RSS {max(rss):6.1f} MiB", flush=True)
    return best, med

def binaries(args):
    both = [("baseline", baseline)] if baseline else []
    return [(who, [b, *args, path]) for who, b in both + [("current", current)]]

groups = [
    ("wc -l", [("reference", ["wc", "-l", path])]),
    ("--once -o json", binaries(["--once", "-o", "json"])),
    ("--once -j1 -o json", binaries(["--once", "-j1", "-o", "json"])),
]
for label, cmds in groups:
    secs = {who: [] for who, _ in cmds}
    rss = {who: [] for who, _ in cmds}
    for i in range(runs):
        # Alternated, the order swapped every run so that neither binary
        # always runs first (or right after the other).
        for who, argv in (cmds if i % 2 == 0 else cmds[::-1]):
            s, r = once(argv)
            secs[who].append(s)
            rss[who].append(r)
    figs = {who: report(label, who, secs[who], rss[who]) for who, _ in cmds}
    if "baseline" in figs:
        (bb, bm), (cb, cm) = figs["baseline"], figs["current"]
        print(f"{label:<20} {'ratio':<9} current/baseline lines/s: best {bb/cb:.3f}, median {bm/cm:.3f} "
              f"(>= 1.00: not slower)", flush=True)
PY
}

echo "routetop $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes') ($BIN)"
[ -z "$BASELINE" ] || echo "baseline $BASELINE ($("$BASELINE" --version 2>/dev/null | head -1 || true))"
echo "$(nproc) cores, $RUNS run$([ "$RUNS" = 1 ] || echo s) each${BASELINE:+, baseline and current alternated}"

differ=0
for f in "${FILES[@]}"; do
  echo "== $(basename "$f") ($(du -mL "$f" | cut -f1) MB)"
  if [ -n "$BASELINE" ]; then
    same=()
    for j in "" -j1; do
      tag=${j#-}
      tag=${tag:-jdefault}
      for who in baseline current; do
        b=$BIN
        [ "$who" = current ] || b=$BASELINE
        "$b" --once ${j:+"$j"} -o json "$f" > "$TMP/$who.$tag.json" ||
          { echo "error: $who: $b --once ${j:+$j }-o json $f failed" >&2; exit 1; }
      done
      if cmp -s "$TMP/baseline.$tag.json" "$TMP/current.$tag.json"; then
        same+=("${j:--j default}")
      else
        differ=1
        KEEP=1
        mkdir -p "$TMP/$(basename "$f")"
        mv "$TMP"/*."$tag".json "$TMP/$(basename "$f")/"
        echo "output --once ${j:+$j }-o json: DIFFERS between baseline and current (both kept in $TMP/$(basename "$f")/):"
        cmp "$TMP/$(basename "$f")/baseline.$tag.json" "$TMP/$(basename "$f")/current.$tag.json" 2>&1 || true
      fi
    done
    [ ${#same[@]} -eq 0 ] ||
      echo "output --once -o json: byte-identical between baseline and current ($(IFS=,; echo "${same[*]}" | sed 's/,/, /g'))"
  fi
  measure "$f"
done
if [ "$differ" = 1 ]; then
  echo "error: baseline and current outputs differ (see above)" >&2
  exit 1
fi
