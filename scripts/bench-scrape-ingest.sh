#!/usr/bin/env bash
# Does scraping slow ingestion? Follow-mode ingest throughput of a headless
# exporter, unscraped versus scraped 10 times a second (target: < 5 %
# slower). Scrape render cost alone: `cargo bench --bench export`.
#
#   scripts/bench-scrape-ingest.sh [RUNS]     (default 3 runs each)
#
# Each run starts `routetop --headless --metrics 127.0.0.1:PORT` on an empty
# file, appends 1 M generated lines (../shared/genlog.py, combined_rt, 2 000
# routes so scrapes are big) at once, and times until
# routetop_lines_read_total reaches the line count (polled 5 times a second
# in both cases, so "unscraped" means 5 scrapes/s). The scraper is a loop of
# curl every 100 ms on the same machine (it competes for the same 2 cores,
# so this is an upper bound on the slowdown). Everything stays on
# 127.0.0.1; every process started here is stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
DIR=${BENCH_DIR:-/tmp/routetop-bench}
GENLOG=${GENLOG:-../shared/genlog.py}
LINES=1000000
mkdir -p "$DIR"
SRC="$DIR/combined_rt_1m_2k.log"
[ -s "$SRC" ] || python3 "$GENLOG" --lines $LINES --routes 2000 --format combined_rt -o "$SRC"
command -v curl >/dev/null || { echo "needs curl"; exit 1; }

cargo build --release --quiet
BIN=target/release/routetop

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

lines_read() { # port → lines read so far (0 when not up yet)
  curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^routetop_lines_read_total/ {n += $NF} END {print n + 0}'
}

one() { # scraped(0|1) → seconds to ingest
  local scraped=$1 p log pid spid=""
  p=$(port)
  log="$DIR/follow.log"
  : > "$log"
  "$BIN" --headless --interval 1h --metrics "127.0.0.1:$p" -f combined_rt "$log" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$p/healthz" >/dev/null; do sleep 0.05; done
  if [ "$scraped" = 1 ]; then
    (while :; do curl -sf -o /dev/null "http://127.0.0.1:$p/metrics"; sleep 0.1; done) &
    spid=$!
  fi
  local t0 t1
  t0=$(date +%s.%N)
  cat "$SRC" >> "$log"
  # Poll cheaply (the poll is itself a scrape, once per 0.2 s in both cases).
  until [ "$(lines_read "$p")" -ge $LINES ]; do sleep 0.2; done
  t1=$(date +%s.%N)
  [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null || true
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}

for mode in 0 1; do
  for _ in $(seq "$RUNS"); do one $mode; done | python3 -c '
import sys, statistics
mode = "scraped 10/s" if sys.argv[1] == "1" else "unscraped   "
t = sorted(float(l) for l in sys.stdin if l.strip())
n = int(sys.argv[2])
print(f"{mode}: best {t[0]:.2f} s ({n / t[0] / 1e6:.2f} M lines/s), median {statistics.median(t):.2f} s")
' $mode $LINES
done
