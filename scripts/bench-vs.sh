#!/usr/bin/env bash
# Benchmark of `routetop --once -o json` against two other tools answering
# (a part of) the same question on the same file in the same run:
#
# - lnav's SQL over a log: `SELECT cs_uri_stem, sc_status, count(*),
#   avg(request_time), max(request_time) ... GROUP BY 1,2` (count, mean and
#   maximum latency per path and status; routetop also templates paths into
#   routes, splits by method, counts bytes and status classes and computes
#   four percentiles per key and per route);
# - GoAccess writing its JSON report (`-o report.json`).
#
#   scripts/bench-vs.sh [RUNS]                              (default 3; or RUNS=N)
#   BASELINE=/path/to/old/routetop scripts/bench-vs.sh [RUNS]
#
# Each tool runs RUNS times (lnav and GoAccess take seconds each:
# OTHER_RUNS, default 1, for them), alternated, with wall time, CPU time
# (user + system) and peak RSS (/usr/bin/time); the figures are the best
# and median wall time and the best CPU time, and the ratios are the other
# tool's best over routetop's best, in wall time (targets of issue 23: lnav
# >= 30x, GoAccess >= 250x) and in CPU time (on a busy machine, wall time
# measures the other processes' load as much as the tools). With BASELINE, a
# baseline routetop runs too (alternated with the current build) and its
# ratio to the current build is printed, as in bench-once.sh.
#
# Before timing, each tool's result is checked to cover every line: lnav
# must count every line with a request time (its format for combined_rt
# is scripts/lnav/formats/routetop/combined_rt.json, since lnav's own
# access_log has no request time; lnav runs with a temporary HOME, so no
# user configuration is read or written), GoAccess's report must say every
# request was valid, routetop's report must count every request. A tool
# that fails its check stops the script (exit 1).
#
# Needs lnav and goaccess (Debian: apt-get install -y lnav goaccess; the
# script installs them when it runs as root and they are missing) and
# /usr/bin/time. Data: DATA_LINES (default 1 000 000) lines of genlog
# combined_rt, seed 1, ROUTES (default 200) routes (scripts/bench-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

RUNS=${1:-${RUNS:-3}}
OTHER_RUNS=${OTHER_RUNS:-1}
LINES=${DATA_LINES:-1000000}
ROUTES=${ROUTES:-200}
BASELINE=${BASELINE:-}
for v in RUNS OTHER_RUNS LINES ROUTES; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "error: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "error: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "error: BASELINE=$BASELINE is not an executable file" >&2
  exit 2
fi
missing=()
command -v lnav >/dev/null || missing+=(lnav)
command -v goaccess >/dev/null || missing+=(goaccess)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: needs ${missing[*]} (Debian: apt-get install -y lnav goaccess)" >&2
    exit 1
  fi
fi

FILE=$(bench_data "$LINES" "$ROUTES")
cargo build --release --quiet --bin routetop
BIN="$(cargo_target_dir)/release/routetop"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/routetop-bench-vs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/home"

echo "routetop $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes') ($BIN)"
[ -z "$BASELINE" ] || echo "baseline $BASELINE"
echo "$(lnav -V | head -1), $(goaccess -V | head -1)"
echo "$(nproc) cores; $(basename "$FILE") ($(du -mL "$FILE" | cut -f1) MB)"

python3 - "$RUNS" "$OTHER_RUNS" "$FILE" "$BIN" "$BASELINE" "$TMP" "$PWD/scripts/lnav" <<'PY'
import json, os, statistics, subprocess, sys, time
runs, other_runs, path, current, baseline, tmp, lnav_dir = sys.argv[1:]
runs, other_runs = int(runs), int(other_runs)
with open(path, "rb") as f:
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
env = dict(os.environ, HOME=os.path.join(tmp, "home"))
report = os.path.join(tmp, "report.json")
QUERY = ("SELECT cs_uri_stem, sc_status, count(*), avg(request_time), max(request_time) "
         "FROM combined_rt_log GROUP BY 1,2")

def lnav(sql):
    return ["lnav", "-I", lnav_dir, "-n", "-c", ";" + sql, path]

goaccess = ["goaccess", path, "--no-progress", "--log-format", '%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T',
            "--date-format", "%d/%b/%Y", "--time-format", "%T", "-o", report]

def routetop(b):
    return [b, "--once", "-o", "json", path]

def run(argv, out=subprocess.DEVNULL):
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *argv], stdout=out, stderr=subprocess.PIPE, env=env)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(argv)} exited with {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    kib, user, system = p.stderr.decode().strip().splitlines()[-1].split()
    return secs, int(kib) / 1024, float(user) + float(system)

# Each tool read every line.
out = subprocess.run(lnav("SELECT count(*), count(request_time) FROM combined_rt_log"),
                     capture_output=True, env=env, check=True).stdout.decode().split()
if out[-2:] != [str(lines), str(lines)]:
    sys.exit(f"error: lnav did not read a request time on every one of the {lines} lines: {' '.join(out)}")
run(goaccess)
with open(report) as f:
    g = json.load(f)["general"]
if (g["total_requests"], g["valid_requests"]) != (lines, lines):
    sys.exit(f"error: GoAccess read {g['valid_requests']} valid of {g['total_requests']} requests, not {lines}")
for who, b in [("current", current)] + ([("baseline", baseline)] if baseline else []):
    r = json.loads(subprocess.run(routetop(b), capture_output=True, check=True).stdout)
    if r["totals"]["requests"] != lines:
        sys.exit(f"error: routetop ({who}) counted {r['totals']['requests']} requests, not {lines}")
print(f"checked: every tool counts all {lines} lines", flush=True)

tools = [("lnav", lnav(QUERY), other_runs), ("goaccess", goaccess, other_runs)]
if baseline:
    tools.append(("routetop baseline", routetop(baseline), runs))
tools.append(("routetop", routetop(current), runs))
secs = {name: [] for name, _, _ in tools}
rss = {name: [] for name, _, _ in tools}
cpu = {name: [] for name, _, _ in tools}
for i in range(max(runs, other_runs)):
    # Alternated, the order reversed every other round.
    for name, argv, n in (tools if i % 2 == 0 else tools[::-1]):
        if i < n:
            s, r, c = run(argv)
            secs[name].append(s)
            rss[name].append(r)
            cpu[name].append(c)
best, best_cpu = {}, {}
for name, _, _ in tools:
    best[name], best_cpu[name] = min(secs[name]), min(cpu[name])
    med = statistics.median(secs[name])
    print(f"{name:<18} wall best {best[name]:7.3f} s ({lines/best[name]/1e6:5.2f} M lines/s), median {med:7.3f} s | "
          f"CPU best {best_cpu[name]:7.3f} s | peak RSS {max(rss[name]):6.1f} MiB | {len(secs[name])} run(s)", flush=True)
# Wall time is what a user waits; CPU time (user + system) is what a
# shared, busy machine cannot hide (wall time there measures the others'
# load as much as the tool).
for name, target in [("lnav", 30), ("goaccess", 250)]:
    ratio = best[name] / best["routetop"]
    print(f"{name + ' / routetop':<20} wall {ratio:6.1f}x (target >= {target}x: {'met' if ratio >= target else 'NOT met'}), "
          f"CPU {best_cpu[name] / best_cpu['routetop']:6.1f}x")
if baseline:
    print(f"{'baseline / current':<20} wall {best['routetop baseline'] / best['routetop']:6.2f}x, "
          f"CPU {best_cpu['routetop baseline'] / best_cpu['routetop']:6.2f}x (> 1: current faster); "
          f"peak RSS {max(rss['routetop']):.1f} MiB vs {max(rss['routetop baseline']):.1f} MiB baseline")
PY
