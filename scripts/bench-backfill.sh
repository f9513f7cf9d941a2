#!/usr/bin/env bash
# Benchmark of a follower's backlog (issue 23): the time until a
# `--from-start --headless` run has counted every line of a file, beside
# `--once -o json` on the same file in the same invocation, with the
# parallel backfill (the default) and with the engine's one thread (the
# path before it: --backfill-min above the file's size); then bulk appends
# while following: a file appended whole (`cat big >> followed`) to a
# followed empty file, both ways. Wall time, lines/s, ratio to --once,
# peak RSS; best and median of RUNS runs.
#
#   scripts/bench-backfill.sh [RUNS]          (default 3; or RUNS=N)
#   BIG_LINES=8000000 scripts/bench-backfill.sh 1
#
# "Counted every line": routetop serves /metrics on a free port, and the
# script polls it every 10 ms until routetop_lines_read_total is the
# file's line count (an exposition is rendered at most once per published
# snapshot, 5 per second, whoever asks). The time includes the process
# start, opening the file, and routetop's first snapshot after the last
# line (publish period 200 ms: up to that much late; --once has no such
# wait). The run is then stopped with SIGTERM.
#
# Data: DATA_LINES (default 1 000 000) lines of genlog combined_rt, seed 1,
# with 200 and with 100 000 routes; with BIG_LINES set, also that many
# lines with 200 routes (8 000 000 lines is 1.8 GB). Made once by
# tools/genlog into the bench data directory (scripts/bench-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

RUNS=${1:-${RUNS:-3}}
LINES=${DATA_LINES:-1000000}
BIG=${BIG_LINES:-}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "error: RUNS must be a positive integer, not '$RUNS'" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: needs /usr/bin/time (Debian package time)" >&2; exit 1; }

FILES=("$(bench_data "$LINES" 200)" "$(bench_data "$LINES" 100000)")
[ -z "$BIG" ] || FILES+=("$(bench_data "$BIG" 200)")

cargo build --release --quiet --bin routetop
BIN="$(cargo_target_dir)/release/routetop"
echo "routetop $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes') ($BIN)"
echo "$(nproc) cores, $RUNS run$([ "$RUNS" = 1 ] || echo s) each"

for f in "${FILES[@]}"; do
  echo "== $(basename "$f") ($(du -mL "$f" | cut -f1) MB)"
  python3 - "$RUNS" "$f" "$BIN" <<'PY'
import os, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

runs, path, binary = int(sys.argv[1]), sys.argv[2], sys.argv[3]
size = os.stat(path).st_size
with open(path, "rb") as f:
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
NEVER = str(size * 2 + (1 << 30))  # --backfill-min no backlog reaches

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def counted(port):
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    except OSError:
        return -1
    n = 0
    for l in body.decode().splitlines():
        if l.startswith("routetop_lines_read_total"):
            n += int(float(l.rsplit(" ", 1)[1]))
    return n

def peak_rss(p):
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = status
    return usage.ru_maxrss / 1024

def once():
    t = time.perf_counter()
    p = subprocess.Popen([binary, "--once", "-o", "json", path], stdout=subprocess.DEVNULL)
    rss = peak_rss(p)
    return time.perf_counter() - t, rss

def follow(args, target, feed=None):
    """Seconds until routetop (args + target) has counted `lines` lines;
    `feed` (a function) runs once routetop serves /metrics, and the clock
    starts then."""
    port = free_port()
    argv = [binary, "--headless", "--interval", "1h", "--metrics", f"127.0.0.1:{port}", *args, target]
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while counted(port) < 0:
        time.sleep(0.005)
    if feed:
        t = time.perf_counter()
        feed()
    deadline = time.perf_counter() + 600
    while (n := counted(port)) < lines:
        if time.perf_counter() > deadline:
            p.kill()
            sys.exit(f"error: {' '.join(argv)} counted {n} of {lines} lines in 600 s")
        time.sleep(0.01)
    secs = time.perf_counter() - t
    p.send_signal(signal.SIGTERM)
    rss = peak_rss(p)
    if n != lines:
        sys.exit(f"error: {' '.join(argv)} counted {n} lines, not {lines}")
    return secs, rss

def appended(backfill_min):
    d = tempfile.mkdtemp(prefix="routetop-bench-backfill.")
    target = os.path.join(d, "access.log")
    open(target, "wb").close()
    def feed():
        with open(path, "rb") as src, open(target, "ab") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    try:
        return follow(["--backfill-min", backfill_min], target, feed)
    finally:
        os.unlink(target)
        os.rmdir(d)

cases = [
    ("--once -o json", once),
    ("--from-start backfill", lambda: follow(["--from-start"], path)),
    ("--from-start 1 thread", lambda: follow(["--from-start", "--backfill-min", NEVER], path)),
    ("bulk append backfill", lambda: appended(str(16 << 20))),
    ("bulk append 1 thread", lambda: appended(NEVER)),
]
secs = {c: [] for c, _ in cases}
rss = {c: [] for c, _ in cases}
for i in range(runs):
    for name, fn in (cases if i % 2 == 0 else cases[::-1]):
        s, r = fn()
        secs[name].append(s)
        rss[name].append(r)
once_best = min(secs["--once -o json"])
once_med = statistics.median(secs["--once -o json"])
for name, _ in cases:
    best, med = min(secs[name]), statistics.median(secs[name])
    print(f"{name:<22} best {best:6.3f} s {lines/best/1e6:5.2f} M lines/s (x{best/once_best:4.2f} --once) | "
          f"median {med:6.3f} s (x{med/once_med:4.2f}) | peak RSS {max(rss[name]):6.1f} MiB", flush=True)
PY
done
