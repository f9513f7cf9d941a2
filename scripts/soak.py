#!/usr/bin/env python3
"""Soak benchmark of the exporter daemon (a benchmark, not a test).

routetop runs headless with --metrics and --state while a writer appends at
RATE lines/s, the log is rotated every ROTATE seconds (renamed to .1, .1 to
.2, the writer reopens after 100 ms as nginx does when told to), /metrics is
scraped every second and routetop gets a SIGHUP every HUP seconds. At the
end, every line written must be counted, per status, and no scraped counter
may ever have gone down. Prints RSS over time (it must stay flat once the
longest window, 5 min, has filled) and the CPU routetop used per 10 000
lines/s.

    scripts/soak.py [--secs 3600] [--rate 20000] [--rotate 60] [--hup 300]
                    [--binary target/release/routetop]
    (or SECS=, RATE=, ROTATE=, HUP= in the environment: scripts/bench.sh soak)

Builds the release binary first unless --binary is given. One line per
minute on stdout; a summary at the end; exit 1 if a count is wrong or a
counter went down.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

STATUSES = [200, 200, 404, 500, 302]


def line(n):
    return (f'10.0.{n // 250 % 250}.{n % 250} - - [05/Dec/2026:10:00:00 +0000] '
            f'"GET /api/items/{n % 97} HTTP/1.1" {STATUSES[n % 5]} {100 + n % 900} '
            f'"-" "soak" 0.{n % 1000:03d}\n')


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(url):
    try:
        body = urllib.request.urlopen(url, timeout=5).read().decode()
    except Exception:
        return None
    counters, by_status = {}, {}
    for l in body.splitlines():
        m = SERIES.match(l)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        if name.endswith(("_total", "_bucket", "_count", "_sum")):
            counters[name + labels] = value
        if name == "http_requests_total":
            st = int(re.search(r'status="(\d+)"', labels).group(1))
            by_status[st] = by_status.get(st, 0) + int(value)
    return counters, by_status


def proc_stats(pid):
    """(RSS kB, CPU seconds) of a process."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / tick


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    env = lambda k, d: int(os.environ.get(k, d))
    ap.add_argument("--secs", type=int, default=env("SECS", 3600))
    ap.add_argument("--rate", type=int, default=env("RATE", 20000))
    ap.add_argument("--rotate", type=int, default=env("ROTATE", 60))
    ap.add_argument("--hup", type=int, default=env("HUP", 300))
    ap.add_argument("--binary")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = a.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
        binary = os.path.join(root, "target/release/routetop")
    d = tempfile.mkdtemp(prefix="routetop-soak-")
    log = os.path.join(d, "access.log")
    open(log, "w").close()
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    conf = os.path.join(d, "routetop.toml")
    with open(conf, "w") as f:
        f.write(f'[[inputs]]\npath = "{log}"\n')
    rt = subprocess.Popen([binary, "--headless", "--interval", "1h", "--config", conf,
                           "--metrics", f"127.0.0.1:{port}", "--state", os.path.join(d, "state")],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "stderr"), "w"))
    for _ in range(100):
        if scrape(url):
            break
        time.sleep(0.1)
    stop = threading.Event()
    went_down, scrapes = [], [0]

    def scraper():
        seen = {}
        while not stop.is_set():
            r = scrape(url)
            if r:
                scrapes[0] += 1
                for k, v in r[0].items():
                    if v < seen.get(k, v):
                        went_down.append(f"{k}: {seen[k]} -> {v}")
                    seen[k] = max(v, seen.get(k, v))
            time.sleep(1)

    threading.Thread(target=scraper, daemon=True).start()
    start = time.monotonic()
    rss0, cpu0 = proc_stats(rt.pid)
    n, per_tick = 0, a.rate // 100
    f = open(log, "a")
    next_rotate, next_hup, next_report = a.rotate, a.hup, 60
    reopen_at = None
    samples = []
    print(f"soak: {a.secs} s at {a.rate} lines/s, rotate every {a.rotate} s, SIGHUP every {a.hup} s, "
          f"scrape every 1 s; routetop pid {rt.pid}, dir {d}", flush=True)
    while True:
        el = time.monotonic() - start
        if el >= a.secs:
            break
        f.write("".join(line(i) for i in range(n, n + per_tick)))
        f.flush()
        n += per_tick
        if el >= next_rotate:
            next_rotate += a.rotate
            if os.path.exists(log + ".1"):
                os.rename(log + ".1", log + ".2")
            os.rename(log, log + ".1")
            reopen_at = time.monotonic() + 0.1
        if reopen_at and time.monotonic() >= reopen_at:
            f.close()
            f = open(log, "a")
            reopen_at = None
        if el >= next_hup:
            next_hup += a.hup
            rt.send_signal(signal.SIGHUP)
        if el >= next_report:
            next_report += 60
            rss, cpu = proc_stats(rt.pid)
            samples.append((el, rss, cpu))
            print(f"  {el / 60:5.1f} min  written {n:>10}  RSS {rss / 1024:6.1f} MiB  "
                  f"CPU {cpu - cpu0:7.1f} s", flush=True)
        due = start + n / a.rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
    f.close()
    written, elapsed = n, time.monotonic() - start
    rss1, cpu1 = proc_stats(rt.pid)
    want = {}
    for i in range(written):
        want[STATUSES[i % 5]] = want.get(STATUSES[i % 5], 0) + 1
    got = None
    for _ in range(120):
        r = scrape(url)
        if r and sum(r[1].values()) >= written:
            time.sleep(2)
            got = scrape(url)[1]
            break
        time.sleep(0.5)
    stop.set()
    rt.send_signal(signal.SIGTERM)
    rt.wait(timeout=30)
    ok = got == want and not went_down
    cpu = cpu1 - cpu0
    print(f"soak: {written} lines in {elapsed:.0f} s ({written / elapsed:.0f}/s), {scrapes[0]} scrapes, "
          f"{a.secs // a.rotate} rotations, {a.secs // a.hup} SIGHUPs")
    print(f"  counted per status: {'exact' if got == want else f'WRONG: got {got}, want {want}'}")
    print(f"  counters that went down: {len(went_down)} {went_down[:5]}")
    print(f"  RSS: start {rss0 / 1024:.1f} MiB, end {rss1 / 1024:.1f} MiB; "
          f"after the 5-min window filled: "
          + ", ".join(f"{s[1] / 1024:.1f}" for s in samples if s[0] >= 300) + " MiB")
    print(f"  CPU: {cpu:.1f} s over {elapsed:.0f} s = {100 * cpu / elapsed:.1f} % of a core, "
          f"{100 * cpu / elapsed / (written / elapsed / 10000):.2f} % of a core per 10 000 lines/s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
