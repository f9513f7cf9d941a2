#!/usr/bin/env python3
"""Scrape latency of /metrics under siege: the real binary
(`routetop --headless --metrics`), N connections that never send a byte
and N that send one byte per second (slow headers), then timed scrapes
(connect to last byte). The tests (tests/export_lockout.rs) only check
that such a scrape is answered; this measures how fast. Target (issue 20):
answered within 1 s with 1 000 idle or slow connections open.

    scripts/bench-lockout.py                  # release build; 1 000 idle + 1 000 slow
    scripts/bench-lockout.py --idle 5000 --slow 0 --bin target/debug/routetop

IDLE, SLOW and SCRAPES in the environment set the defaults (scripts/bench.sh
--quick uses them). Everything stays on 127.0.0.1; the routetop started
here is stopped by its pid.
"""

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scrape(port, timeout):
    """Seconds from connect to the end of a 200 response."""
    t = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(1 << 16):
            data += chunk
    took = time.perf_counter() - t
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"scrape answered {data[:40]!r}")
    return took


def wait_healthy(port, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("routetop did not answer /healthz")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def figures(xs):
    ms = sorted(x * 1000 for x in xs)
    return f"min {ms[0]:.2f} ms, median {statistics.median(ms):.2f} ms, max {ms[-1]:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = lambda k, d: int(os.environ.get(k, d))
    ap.add_argument("--bin", help="routetop to run (default: build the release one)")
    ap.add_argument("--log", default=str(ROOT / "sample-logs/combined_rt.log"))
    ap.add_argument("--idle", type=int, default=env("IDLE", 1000), help="connections that send nothing")
    ap.add_argument("--slow", type=int, default=env("SLOW", 1000), help="connections sending a byte a second")
    ap.add_argument("--scrapes", type=int, default=env("SCRAPES", 20), help="timed scrapes")
    a = ap.parse_args()
    if a.bin is None:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "routetop"], cwd=ROOT, check=True)
        meta = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
        a.bin = str(Path(json.loads(meta.stdout)["target_directory"]) / "release/routetop")

    # The sockets are this process's; the server keeps at most its cap.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.idle + a.slow + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    port = free_port()
    proc = subprocess.Popen(
        [a.bin, "--headless", "--metrics", f"127.0.0.1:{port}", a.log],
        stdout=subprocess.DEVNULL,
    )
    held, stop = [], threading.Event()
    try:
        wait_healthy(port, 30)
        base = [scrape(port, 30) for _ in range(a.scrapes)]
        print(f"no siege:                  {figures(base)}")

        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(a.idle)]
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(a.slow)]
        held += slow

        def trickle():
            head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "
            i = 0
            while not stop.is_set():
                b = head[i : i + 1] or b"a"
                i += 1
                for s in slow:
                    try:
                        s.send(b)
                    except OSError:
                        pass  # evicted
                stop.wait(1.0)

        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        # The first scrape after the siege also waits for the server to
        # accept (and evict) the connections queued before it.
        first = scrape(port, 30)
        rest = [scrape(port, 30) for _ in range(a.scrapes)]
        print(f"{a.idle} idle + {a.slow} slow open:")
        print(f"  first scrape:            {first * 1000:.2f} ms")
        print(f"  next {a.scrapes:<4} scrapes:       {figures(rest)}")
    finally:
        stop.set()
        for s in held:
            s.close()
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
