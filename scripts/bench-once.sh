#!/usr/bin/env bash
# Benchmark of `routetop --once` (end to end, with percentiles) against
# `wc -l` on the same file in the same run: lines/s, MB/s and peak RSS.
#
#   scripts/bench-once.sh [RUNS]          (default 5 runs each, best and median)
#
# Data: ../shared/genlog.py, 1 M lines of combined_rt, with the default 200
# routes and with --routes 100000, generated once into $BENCH_DIR
# (default /tmp/routetop-bench). The machine is shared and noisy: compare
# figures from one invocation, not across invocations.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DIR=${BENCH_DIR:-/tmp/routetop-bench}
GENLOG=${GENLOG:-../shared/genlog.py}
mkdir -p "$DIR"

gen() { # file, extra genlog args
  [ -s "$DIR/$1" ] || python3 "$GENLOG" --lines 1000000 --format combined_rt "${@:2}" -o "$DIR/$1"
}
gen combined_rt_1m.log
gen combined_rt_1m_100k.log --routes 100000

cargo build --release --quiet
BIN=target/release/routetop

measure() { # label, file, command...
  local label=$1 file=$2; shift 2
  python3 - "$label" "$file" "$RUNS" "$@" <<'PY'
import os, statistics, subprocess, sys, time
label, path, runs, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
nbytes = os.stat(path).st_size
with open(path, "rb") as f:
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
secs, rss = [], []
for _ in range(runs):
    # Wall time measured here (perf_counter), peak RSS by /usr/bin/time.
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    secs.append(time.perf_counter() - t)
    rss.append(int(p.stderr.decode().strip().splitlines()[-1]) / 1024)
best, med = min(secs), statistics.median(secs)
print(f"{label:<34} best {lines/best/1e6:6.2f} M lines/s {nbytes/best/1e6:7.0f} MB/s | "
      f"median {lines/med/1e6:6.2f} M lines/s | peak RSS {max(rss):6.1f} MiB")
PY
}

echo "routetop $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $RUNS runs each"
for f in combined_rt_1m.log combined_rt_1m_100k.log; do
  echo "== $f ($(du -mL "$DIR/$f" | cut -f1) MB)"
  measure "wc -l (reference)" "$DIR/$f" wc -l "$DIR/$f"
  measure "routetop --once -o json" "$DIR/$f" "$BIN" --once -o json "$DIR/$f"
  measure "routetop --once -j1 -o json" "$DIR/$f" "$BIN" --once -j1 -o json "$DIR/$f"
done
