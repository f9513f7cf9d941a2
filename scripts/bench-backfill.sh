#!/usr/bin/env bash
# Benchmark of a follower's backlog (issue 23): the time until a
# `--from-start --headless` run has counted every line of a file, beside
# `--once -o json` on the same file in the same invocation, with the
# parallel backfill (the default) and with the engine's one thread (the
# path before it: --backfill-min above the file's size); then bulk appends
# while following: a file appended whole, in writes of 64 MiB, to a
# followed empty file, both ways. Wall time, lines/s, ratio to --once,
# peak RSS; best and median of RUNS runs.
#
#   scripts/bench-backfill.sh [RUNS]          (default 3; or RUNS=N)
#   BIG_LINES=8000000 scripts/bench-backfill.sh 1
#
# "Counted every line": routetop runs headless with --interval 20ms and
# the script reads its lines as they come: the time is that of the first
# summary whose `lines` figure is the file's line count (as printed:
# `1.0M` is 999 500 lines or more, so the one-thread path may be counted
# done up to 0.05 % of its lines early; a backfill's lines are all counted
# at once, and headless prints its since-start block, exact, as soon as
# they are). Then SIGTERM, and the final summary must say every line
# exactly. (Polling /metrics instead measured its exposition: 38 MB,
# 170 ms to render for 100 000 routes, more to read.) The time includes
# the process start and opening the file; an interval's sort of the
# routes for its top 5 costs the one-thread path a little.
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
import os, statistics, subprocess, sys, tempfile, time

runs, path, binary = int(sys.argv[1]), sys.argv[2], sys.argv[3]
size = os.stat(path).st_size
with open(path, "rb") as f:
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
NEVER = str(size * 2 + (1 << 30))  # --backfill-min no backlog reaches

import threading

def human(n):
    # view/human.rs `count`, for the lines figure of a summary.
    units, u, v = ["", "k", "M", "G", "T"], 0, float(n)
    while v >= 1000 * 0.9995 and u + 1 < len(units):
        v, u = v / 1000, u + 1
    if u == 0:
        return str(int(v))
    return f"{v:.1f}{units[u]}" if v < 9.95 else f"{v:.0f}{units[u]}"

def timed(argv):
    """argv under /usr/bin/time, and the file it writes the peak RSS to:
    a process forked from this Python (which holds 64 MiB chunks) would
    start with Python's own peak as its ru_maxrss."""
    f = tempfile.NamedTemporaryFile(prefix="routetop-bench-rss.", delete=False)
    f.close()
    return ["/usr/bin/time", "-f", "%M", "-o", f.name, *argv], f.name

def peak_rss(p, rss_file):
    p.wait()
    with open(rss_file) as f:
        kib = int(f.read().strip().splitlines()[-1])
    os.unlink(rss_file)
    return kib / 1024

def once():
    argv, rss_file = timed([binary, "--once", "-o", "json", path])
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    p.wait()
    secs = time.perf_counter() - t
    return secs, peak_rss(p, rss_file)

after, wrote = {}, {}

def follow(args, target, feed=None, label=None):
    """Seconds until routetop (args + target) has counted `lines` lines;
    `feed` (a function) runs once routetop has printed its first line, and
    the clock starts then."""
    argv, rss_file = timed([binary, "--headless", "--interval", "20ms", *args, target])
    want = f"lines {human(lines)} "
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = []
    done = threading.Event()
    started = threading.Event()
    def read():
        for l in p.stdout:
            l = l.decode(errors="replace")
            out.append(l)
            started.set()
            # An interval's block (lines rounded), or the since-start block
            # headless prints as soon as a backlog is counted (exact).
            if (want in l and " reading " not in l) or (
                "  since start: " in l and f" lines {lines} " in l
            ):
                done.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    fed = None
    if feed:
        started.wait(60)
        t = time.perf_counter()
        feed()
        fed = time.perf_counter()
    if not done.wait(600):
        p.kill()
        sys.exit(f"error: {' '.join(argv)} did not count {lines} lines in 600 s")
    end = time.perf_counter()
    secs = end - t
    if fed:
        after[label].append(max(end - fed, 0.0))
        wrote[label].append(fed - t)
    # routetop, not /usr/bin/time (which waits for it and says its peak).
    subprocess.run(["pkill", "-TERM", "-P", str(p.pid)], check=False)
    rss = peak_rss(p, rss_file)
    reader.join(60)
    final = [l for l in out if l.startswith("since start:")]
    if not final or f" lines {lines} " not in final[-1]:
        sys.exit(f"error: {' '.join(argv)}: the final summary does not say {lines} lines: {final[-1:]}")
    return secs, rss

def appended(backfill_min, label):
    after.setdefault(label, [])
    wrote.setdefault(label, [])
    d = tempfile.mkdtemp(prefix="routetop-bench-backfill.")
    target = os.path.join(d, "access.log")
    open(target, "wb").close()
    def feed():
        # In writes of 64 MiB: a bulk append (a shipper's batch, a copy),
        # faster than one thread reads, so backlogs form while following.
        with open(path, "rb") as src, open(target, "ab") as dst:
            while chunk := src.read(64 << 20):
                dst.write(chunk)
                dst.flush()
    try:
        return follow(["--backfill-min", backfill_min], target, feed, label)
    finally:
        os.unlink(target)
        os.rmdir(d)

cases = [
    ("--once -o json", once),
    ("--from-start backfill", lambda: follow(["--from-start"], path)),
    ("--from-start 1 thread", lambda: follow(["--from-start", "--backfill-min", NEVER], path)),
    ("bulk append backfill", lambda: appended(str(16 << 20), "bulk append backfill")),
    ("bulk append 1 thread", lambda: appended(NEVER, "bulk append 1 thread")),
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
    if after.get(name):
        print(f"{'':<22} the writes took median {statistics.median(wrote[name]):6.3f} s; "
              f"every line counted median {statistics.median(after[name]):6.3f} s after the last", flush=True)
PY
done
