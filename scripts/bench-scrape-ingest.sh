#!/usr/bin/env bash
# Does scraping slow ingestion? Follow-mode ingest throughput of a headless
# exporter, unscraped versus scraped 10 times a second (target: < 5 %
# slower). Scrape render cost alone: `cargo bench --bench export`.
#
#   scripts/bench-scrape-ingest.sh [RUNS]     (default 3 runs each; or RUNS=N)
#
# Each run starts `routetop --headless --metrics 127.0.0.1:PORT` on an empty
# file, appends DATA_LINES (default 1 M) generated lines (tools/genlog,
# combined_rt, 2 000 routes so scrapes are big, seed 1; made once into the
# bench data directory, see scripts/bench-lib.sh) at once, and times until
# routetop_lines_read_total reaches the line count (polled 5 times a second
# in both cases, so "unscraped" means 5 scrapes/s). The scraper is a loop of
# curl every 100 ms on the same machine (it competes for the same 2 cores,
# so this is an upper bound on the slowdown). Everything stays on
# 127.0.0.1; every process started here is stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
RUNS=${1:-${RUNS:-3}}
LINES=${DATA_LINES:-1000000}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "error: RUNS must be a positive integer, not '$RUNS'" >&2; exit 2; }
[[ $LINES =~ ^[1-9][0-9]*$ ]] || { echo "error: DATA_LINES must be a positive integer, not '$LINES'" >&2; exit 2; }
command -v curl >/dev/null || { echo "error: needs curl" >&2; exit 1; }
SRC=$(bench_data "$LINES" 2000)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/routetop-scrape.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin routetop
BIN="$(cargo_target_dir)/release/routetop"
echo "routetop $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $LINES lines ($(basename "$SRC")), $RUNS run$([ "$RUNS" = 1 ] || echo s) each"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

lines_read() { # port → lines read so far (0 when not up yet)
  curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^routetop_lines_read_total/ {n += $NF} END {print n + 0}'
}

one() { # scraped(0|1) → seconds to ingest
  local scraped=$1 p log pid spid=""
  p=$(port)
  log="$WORK/follow.log"
  : > "$log"
  "$BIN" --headless --interval 1h --metrics "127.0.0.1:$p" -f combined_rt "$log" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$p/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "error: routetop exited before serving /healthz" >&2; return 1; }
    sleep 0.05
  done
  if [ "$scraped" = 1 ]; then
    (while :; do curl -sf -o /dev/null "http://127.0.0.1:$p/metrics"; sleep 0.1; done) &
    spid=$!
  fi
  local t0 t1
  t0=$(date +%s.%N)
  cat "$SRC" >> "$log"
  # Poll cheaply (the poll is itself a scrape, once per 0.2 s in both cases).
  local deadline=$((SECONDS + 600)) ok=1
  until [ "$(lines_read "$p")" -ge "$LINES" ]; do
    if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then ok=0; break; fi
    sleep 0.2
  done
  t1=$(date +%s.%N)
  [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$ok" = 1 ] || { echo "error: routetop did not read $LINES lines within 600 s" >&2; return 1; }
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
