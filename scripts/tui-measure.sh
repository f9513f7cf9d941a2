#!/usr/bin/env bash
# Dashboard CPU and key-to-screen latency in a real terminal (tmux).
#
#   scripts/tui-measure.sh                 # the dashboard alone (benches/dashboard.rs), 2000 routes
#   scripts/tui-measure.sh -- CMD ARGS...  # any command, e.g. routetop access.log
#
# 1. CPU while idle: utime+stime from /proc/PID/stat over IDLE_SECS (30)
#    with no key pressed, (a) while snapshots arrive every second (a quiet
#    engine publishes once per step) and (b) with none arriving.
# 2. Key-to-screen: sends `?` (help on) / Escape (help off) N times and
#    polls `tmux capture-pane` every ~2 ms until the screen changes. This
#    includes tmux's own pty read and redraw, so it is an upper bound.
#
# IDLE_SECS (default 30) and KEYS (default 20) set the lengths; the
# smallest useful run is IDLE_SECS=1 KEYS=2.
#
# Needs tmux. Builds benches/dashboard.rs (bench profile). It cycles
# prebuilt snapshots, so the CPU measured is the dashboard's own.
#
# Figures (2 cores shared with other builds, 160x50 pane):
#   idle CPU, 2000 routes, 1 snapshot/s:   0.23 % of one core
#   idle CPU, no new snapshots:            0.07 %
#   key-to-screen (? / Esc, 20 keys):      median 15.9 ms, max 49 ms
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
IDLE_SECS=${IDLE_SECS:-30}
KEYS=${KEYS:-20}
command -v tmux >/dev/null || { echo "error: needs tmux" >&2; exit 1; }
SOCK=$(mktemp -u /tmp/routetop-measure.XXXXXX)
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -f "$SOCK"' EXIT

if [[ "${1:-}" == "--" ]]; then
  shift
  CMDS=("$*")
  LABELS=("$*")
else
  EX=$(bench_exe dashboard)
  CMDS=("$EX --routes 2000 --every-ms 1000" "$EX --routes 2000 --every-ms 100000000")
  LABELS=("2000 routes, 1 snapshot/s" "2000 routes, no new snapshots")
fi
TCK=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now_ns() { date +%s%N; }

for i in "${!CMDS[@]}"; do
  tm kill-server 2>/dev/null || true
  tm new-session -d -s m -x 160 -y 50 "exec env TERM=xterm-256color ${CMDS[$i]}"
  sleep 3
  PID=$(tm display-message -p -t m '#{pane_pid}')
  a=$(cpu_ticks "$PID")
  sleep "$IDLE_SECS"
  b=$(cpu_ticks "$PID")
  awk -v d=$((b - a)) -v t="$TCK" -v s="$IDLE_SECS" -v l="${LABELS[$i]}" \
    'BEGIN { printf "idle CPU (%s): %.2f%% of one core over %ds\n", l, 100 * d / t / s, s }'

  if [[ $i -eq 0 ]]; then
    lat=()
    for ((k = 0; k < KEYS; k++)); do
      before=$(tm capture-pane -p -t m | md5sum)
      if ((k % 2 == 0)); then key='?'; else key=Escape; fi
      t0=$(now_ns)
      tm send-keys -t m "$key"
      while [[ $(tm capture-pane -p -t m | md5sum) == "$before" ]]; do
        if (($(now_ns) - t0 > 2000000000)); then echo "no change after key $key" >&2; break; fi
      done
      lat+=($((($(now_ns) - t0) / 1000)))
      sleep 0.2
    done
    printf '%s\n' "${lat[@]}" | sort -n | awk '{ v[NR] = $1 } END {
      printf "key-to-screen over %d keys: median %.1f ms, max %.1f ms\n", NR, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }'
  fi
  tm send-keys -t m q
  sleep 0.5
done
