#!/usr/bin/env bash
# The one entry point for routetop's benchmarks (figures, never timed
# tests): the cargo benches (benches/*.rs) and the script benches.
#
#   scripts/bench.sh                      # list them: what each measures, how long it takes
#   scripts/bench.sh all                  # run every one (not the interactive `dashboard`, nor the 1-hour `soak` unless --quick)
#   scripts/bench.sh stages once export   # run those, in that order
#   scripts/bench.sh stages -- FILE parse # one bench, with its own arguments
#   scripts/bench.sh --quick all          # each at its smallest settings: a check that it runs
#
# Each bench builds what it needs (bench/release profile) and prints its
# figures. A bench that fails does not stop the others; the script exits 1
# at the end if any failed, 2 on a usage error. Settings can also come from
# the environment (RUNS=1 for the script benches, BASELINE=old-binary for
# `once`; see each bench's docs or `cargo bench --bench NAME -- --help`).
#
# Data: generated logs (tools/genlog, combined_rt, seed 1) are made on first
# use into $BENCH_DIR (default $CARGO_TARGET_DIR/bench-data, else
# target/bench-data) and reused; see scripts/bench-lib.sh and
# benches/util/mod.rs. Compare figures from one invocation, never across
# sessions: the machine is shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

# name|kind (cargo, script:FILE, interactive)|time (default settings)|what it measures
BENCHES=(
  "stages|cargo|~10 s|parse, parse via block index, route, aggregate: M lines/s on one core (1 M lines, 200 routes)"
  "formats|cargo|~60 s|each format's parser (alb, elb, s3, haproxy, envoy, ...) on the same 1 M requests, one core, ratio to combined"
  "formats_w3c|cargo|~20 s|the W3C parser on the same 1 M requests as IIS and as CloudFront lines, one core, block by block, ratio to combined"
  "once|script:bench-once.sh|~15 s|routetop --once end to end beside wc -l, -j default and -j1, 1 M lines x 200 and 100 000 routes; BASELINE=old-binary compares"
  "backfill|script:bench-backfill.sh|~2 min|time until --from-start has counted every line (parallel backfill, and one thread) and bulk appends while following, beside --once on the same file; BIG_LINES=8000000 adds 8 M lines"
  "vs|script:bench-vs.sh|~1 min|routetop --once against lnav's SQL (per path and status: count, mean, max request time) and GoAccess's JSON report on the same 1 M lines; BASELINE=old-binary adds it"
  "rotated|script:bench-rotated.sh|~2 min|routetop --once over 8 gzip-rotated files of 1 M lines: one glob vs zcat | routetop vs the plain files (first run: ~2 min more to make the data)"
  "export|cargo|~5 s|/metrics render time and size, 2 000 routes x 3 keys"
  "snapshot|cargo|~10 s|live snapshot build cost with 2 000 busy routes"
  "tui|cargo|~10 s|dashboard frame cost per kind of frame, 2 000 routes, 50 visible rows"
  "live|cargo|~40 s|live pipeline under a writer: lines/s, write->snapshot lag, idle CPU, RSS (1 M lines x 3)"
  "follow|cargo|~30 s|followers alone: bulk, per-line, backfill lines/s, write->delivery lag, idle CPU"
  "scrape-ingest|script:bench-scrape-ingest.sh|~15 s|follow-mode ingest of 1 M lines, scraped 10/s versus not (needs curl)"
  "lockout|script:bench-lockout.py|~5 s|/metrics scrape latency with 1 000 idle and 1 000 slow-header connections open"
  "soak|script:soak.py|1 h (--secs N)|exporter daemon with --state: 20 000 lines/s, rotation every minute, scrape every second, SIGHUP every 5 min: exact counts, no counter down, RSS over time, CPU per 10 000 lines/s"
  "tui-measure|script:tui-measure.sh|~75 s|dashboard idle CPU and key-to-screen latency in a real terminal (needs tmux)"
  "dashboard|interactive|until q|the dashboard alone in this terminal, synthetic snapshots (not run by \`all\`)"
)

# The smallest settings of each bench: enough to see that it runs.
quick_args() {
  case $1 in
    stages) echo "--data-lines 20000 --passes 1" ;;
    formats) echo "--data-lines 20000 --passes 1" ;;
    formats_w3c) echo "20000 1" ;;
    once) echo "RUNS=1 DATA_LINES=20000" ;;
    vs) echo "RUNS=1 DATA_LINES=20000" ;;
    rotated) echo "RUNS=1 DATA_LINES=20000 FILES=3" ;;
    backfill) echo "RUNS=1 DATA_LINES=20000" ;;
    export) echo "--routes 100 --runs 3" ;;
    snapshot) echo "--routes 50 --steps 30 --builds 3" ;;
    tui) echo "--routes 200 --frames 20" ;;
    live) echo "--data-lines 20000 --repeat 1 --secs 1 --idle-secs 1" ;;
    follow) echo "--data-lines 20000 --lines 100000 --secs 1 --idle-secs 1" ;;
    scrape-ingest) echo "RUNS=1 DATA_LINES=20000" ;;
    lockout) echo "IDLE=100 SLOW=100 SCRAPES=3" ;;
    tui-measure) echo "IDLE_SECS=1 KEYS=2" ;;
    soak) echo "SECS=20 ROTATE=5 HUP=10" ;;
    dashboard) echo "--routes 50" ;;
  esac
}

field() { # name, field number → that field of the bench's entry
  local e
  for e in "${BENCHES[@]}"; do
    if [ "${e%%|*}" = "$1" ]; then
      echo "$e" | cut -d'|' -f"$2"
      return
    fi
  done
  return 1
}

names() { local e; for e in "${BENCHES[@]}"; do echo "${e%%|*}"; done; }

list() {
  echo "usage: scripts/bench.sh [--quick] all | NAME... | NAME -- ARGS..."
  echo
  printf '%-14s %-8s %s\n' benchmark takes "what it measures"
  local e name kind time what
  for e in "${BENCHES[@]}"; do
    IFS='|' read -r name kind time what <<<"$e"
    printf '%-14s %-8s %s\n' "$name" "$time" "$what"
  done
  cat <<EOF

Times: approximate, default settings, 2 shared cores, after the first build
(minutes); generating data the first time adds about 1 s per 1 M lines.
--quick runs each at its smallest settings (a few seconds each; a check
that it runs, not figures).
Generated logs: $BENCH_DIR
Generator: cargo run -p routetop-genlog -- --help
EOF
}

usage_error() {
  echo "error: $*" >&2
  echo "benchmarks: $(names | tr '\n' ' ')(or all; no argument lists them)" >&2
  exit 2
}

QUICK=0
if [ "${1:-}" = "--quick" ]; then
  QUICK=1
  shift
fi
case ${1:-} in
  "" | -h | --help | list)
    list
    exit 0
    ;;
esac

# NAME... [-- ARGS...]
WANT=()
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --)
      shift
      EXTRA=("$@")
      break
      ;;
    # Not the interactive one, nor the hour-long soak unless --quick.
    all) while read -r n; do
        [ "$(field "$n" 2)" = interactive ] || { [ "$n" = soak ] && [ "$QUICK" != 1 ]; } || WANT+=("$n")
      done < <(names) ;;
    -*) usage_error "unknown option $1" ;;
    *) field "$1" 1 >/dev/null || usage_error "unknown benchmark '$1'"; WANT+=("$1") ;;
  esac
  shift
done
[ ${#WANT[@]} -gt 0 ] || usage_error "no benchmark named"
if [ ${#EXTRA[@]} -gt 0 ] && [ ${#WANT[@]} -ne 1 ]; then
  usage_error "arguments after -- go to one benchmark, not ${#WANT[@]}"
fi

run() { # name: runs it with its quick settings (if --quick) and EXTRA
  local name=$1 kind quick=() envs=() a
  kind=$(field "$name" 2)
  if [ "$QUICK" = 1 ]; then
    read -r -a quick <<<"$(quick_args "$name")"
  fi
  case $kind in
    cargo | interactive)
      cargo bench --bench "$name" -- "${quick[@]}" "${EXTRA[@]}"
      ;;
    script:*)
      for a in "${quick[@]}"; do envs+=("$a"); done
      env "${envs[@]}" "scripts/${kind#script:}" "${EXTRA[@]}"
      ;;
  esac
}

FAILED=()
for name in "${WANT[@]}"; do
  echo "=== $name: $(field "$name" 4)"
  start=$SECONDS
  if run "$name"; then
    echo "=== $name: done in $((SECONDS - start)) s"
  else
    status=$?
    echo "=== $name: FAILED (exit $status) after $((SECONDS - start)) s" >&2
    FAILED+=("$name")
  fi
  echo
done
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "failed: ${FAILED[*]}" >&2
  exit 1
fi
