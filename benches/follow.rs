//! Live follow throughput of the input side: another process appends to a
//! log as fast as it can while the follower (in this process) delivers the
//! lines to a consumer that only counts them. Reports lines/s, CPU and RSS
//! of this process (follower, watcher and consumer; the writer is apart),
//! input-side lag from write to delivery, and idle CPU.
//!
//! ```text
//! cargo bench --bench follow [-- FILE] [bulk] [perline] [backfill] [lag] [idle]
//! cargo bench --bench follow -- --data-lines 20000 --lines 100000 --secs 1 --idle-secs 1   # quick check
//! ```
//!
//! The writer cycles through FILE's lines; without FILE they are 200 000
//! lines of combined_rt, 200 routes, seed 1, generated on first use into
//! the bench data directory (benches/util/mod.rs). Modes (all by default):
//! - `bulk`: the writer appends 1 MiB blocks (`--lines` lines in all,
//!   default 5 M);
//! - `perline`: one `write()` per line (`--lines`, default 3 M);
//! - `backfill`: `--from-start` on a log of `--lines` lines (default 5 M)
//!   already written: the follower's own ceiling, no writer to wait for;
//! - `lag`: one `write()` per line at `--rate` lines/s (default 100 k) for
//!   `--secs` s (default 5), each line stamped with its write time; p50/p99/
//!   max of write → delivery, CPU, and RSS over the run (a soak with a
//!   large `--secs`);
//! - `idle`: nothing written for `--idle-secs` (default 5); CPU of the
//!   follower.
//!
//! Every setting can also be set in the environment (`LINES`, `RATE`, ...).
//!
//! The writer is this binary started again with `--writer`.

mod util;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use routetop::engine::InputEvent;
use routetop::input::follow::{self, FollowOptions};
use routetop::input::{Input, InputSpec};
use util::args::{Args, File, Opt, Spec, described, opt};
use util::proc::{cpu_secs, rss_mib};

static SPEC: Spec = Spec {
    name: "follow",
    about: "Live follow throughput of the input side: followers delivering to a counting consumer.",
    file: File::Log {
        lines: 200_000,
        routes: 200,
    },
    modes: &[
        ("bulk", "writer appends 1 MiB blocks: lines/s, CPU, RSS"),
        ("perline", "one write() per line"),
        ("backfill", "--from-start on a log already written"),
        (
            "lag",
            "one write() per line at --rate for --secs: write → delivery",
        ),
        ("idle", "nothing written for --idle-secs: CPU"),
    ],
    default_modes: &[],
    opts: &[
        described(
            "lines",
            "N",
            "5000000; perline 3000000",
            "bulk, perline, backfill: lines written",
        ),
        opt("rate", "100000", "lag: lines/s written"),
        opt("secs", "5", "lag: seconds written"),
        opt("idle-secs", "5", "idle: seconds measured"),
    ] as &[Opt],
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--writer") {
        writer(&args[1..]);
        return;
    }
    let args = Args::parse(&SPEC);
    let data = args.log().display().to_string();
    println!("source {data}");
    let lines = |default: u64| args.get_opt::<u64>("lines").unwrap_or(default);
    for m in args.modes() {
        match m {
            "bulk" => throughput("bulk", &data, lines(5_000_000)),
            "perline" => throughput("perline", &data, lines(3_000_000)),
            "backfill" => backfill(&data, lines(5_000_000)),
            "lag" => lag(&data, args.get("rate"), args.get("secs")),
            "idle" => idle(args.get("idle-secs")),
            other => unreachable!("mode {other} not in SPEC"),
        }
    }
}

fn input(path: &Path) -> Input {
    Input::new(InputSpec::Path(path.display().to_string()))
}

const LAG_BUCKETS: usize = 100_001;

struct Run {
    dir: PathBuf,
    log: PathBuf,
    _rt: tokio::runtime::Runtime,
    handle: Option<follow::FollowHandle>,
    lines: Arc<AtomicU64>,
    consumer: Option<std::thread::JoinHandle<Vec<u64>>>,
}

/// Starts a follower on an empty log and a consumer counting its lines
/// (and, with `stamped`, measuring each line's lag in µs).
fn start(stamped: bool) -> Run {
    start_on(stamped, None)
}

/// [`start`], on a log first filled from `data` with `lines` lines, read
/// from its start.
fn start_on(stamped: bool, fill: Option<(&str, u64)>) -> Run {
    let dir = std::env::temp_dir().join(format!("routetop-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let log = dir.join("access.log");
    std::fs::write(&log, b"").expect("create log");
    if let Some((data, lines)) = fill {
        let status = spawn_writer("bulk", &log, data, lines, 0).wait();
        assert!(status.is_ok_and(|s| s.success()), "writer failed");
    }
    let opts = FollowOptions {
        from_start: fill.is_some(),
        ..FollowOptions::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let (tx, rx) = sync_channel(16);
    let handle = follow::spawn(vec![input(&log)], opts, tx, rt.handle()).expect("spawn follower");
    let lines = Arc::new(AtomicU64::new(0));
    let counted = lines.clone();
    let consumer = std::thread::spawn(move || {
        // Lag histogram in 0.1 ms buckets up to 10 s: fixed memory however
        // long the run.
        let mut lags = vec![0u64; LAG_BUCKETS];
        for ev in rx {
            if let InputEvent::Lines { data, .. } | InputEvent::FileLines { data, .. } = ev {
                let n = memchr::memchr_iter(b'\n', &data).count() as u64;
                if stamped {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default();
                    let now = now.as_nanos() as u64;
                    for l in data.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                        let t = l.split(|&c| c == b' ').next().unwrap_or_default();
                        if let Some(t) = std::str::from_utf8(t)
                            .ok()
                            .and_then(|t| t.parse::<u64>().ok())
                        {
                            let us = now.saturating_sub(t) / 1000;
                            lags[((us / 100) as usize).min(LAG_BUCKETS - 1)] += 1;
                        }
                    }
                }
                counted.fetch_add(n, Ordering::Relaxed);
            }
        }
        lags
    });
    if fill.is_none() {
        // Let the follower open the file (it starts at its end).
        std::thread::sleep(Duration::from_millis(300));
    }
    Run {
        dir,
        log,
        _rt: rt,
        handle: Some(handle),
        lines,
        consumer: Some(consumer),
    }
}

impl Run {
    fn finish(mut self) -> Vec<u64> {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
        let lags = self
            .consumer
            .take()
            .and_then(|c| c.join().ok())
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&self.dir);
        lags
    }
}

fn spawn_writer(mode: &str, log: &Path, data: &str, lines: u64, rate: u64) -> std::process::Child {
    Command::new(std::env::current_exe().expect("current exe"))
        .args(["--writer", mode, &log.display().to_string(), data])
        .args([lines.to_string(), rate.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start writer")
}

fn throughput(mode: &str, data: &str, lines: u64) {
    let run = start(false);
    let (cpu0, t0) = (cpu_secs(), Instant::now());
    let mut child = spawn_writer(mode, &run.log, data, lines, 0);
    let mut rss_max = rss_mib();
    let mut rss_samples = Vec::new();
    let mut writer_done = None;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let rss = rss_mib();
        rss_max = rss_max.max(rss);
        rss_samples.push(rss);
        if writer_done.is_none() && matches!(child.try_wait(), Ok(Some(_))) {
            writer_done = Some(t0.elapsed());
        }
        if run.lines.load(Ordering::Relaxed) >= lines {
            break;
        }
        if t0.elapsed() > Duration::from_secs(300) {
            eprintln!("{mode}: gave up after 300 s");
            break;
        }
    }
    let wall = t0.elapsed();
    let cpu_s = cpu_secs() - cpu0;
    let _ = child.wait();
    let got = run.lines.load(Ordering::Relaxed);
    let written_in = writer_done.unwrap_or(wall);
    println!(
        "{mode:8} {got} lines: writer {:.2} M lines/s ({:.2} s), follower delivered {:.2} M lines/s \
         ({:.2} s, caught up {:.0} ms after the writer), CPU {:.2} s = {:.0}% of one core, \
         RSS {:.1} MiB at first sample, {:.1} max, {:.1} at end",
        lines as f64 / written_in.as_secs_f64() / 1e6,
        written_in.as_secs_f64(),
        got as f64 / wall.as_secs_f64() / 1e6,
        wall.as_secs_f64(),
        wall.saturating_sub(written_in).as_secs_f64() * 1e3,
        cpu_s,
        cpu_s / wall.as_secs_f64() * 100.0,
        rss_samples.first().copied().unwrap_or(0.0),
        rss_max,
        rss_samples.last().copied().unwrap_or(0.0),
    );
    run.finish();
}

fn backfill(data: &str, lines: u64) {
    let t0 = Instant::now();
    let run = start_on(false, Some((data, lines)));
    let (cpu1, t1) = (cpu_secs(), Instant::now());
    while run.lines.load(Ordering::Relaxed) < lines && t1.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = t1.elapsed();
    let cpu_s = cpu_secs() - cpu1;
    let bytes = std::fs::metadata(&run.log).map_or(0, |m| m.len());
    println!(
        "backfill {lines} lines ({:.0} MB, written in {:.2} s first): follower {:.2} M lines/s, {:.0} MB/s, CPU {:.0}% of one core",
        bytes as f64 / 1e6,
        t1.duration_since(t0).as_secs_f64(),
        run.lines.load(Ordering::Relaxed) as f64 / wall.as_secs_f64() / 1e6,
        bytes as f64 / wall.as_secs_f64() / 1e6,
        cpu_s / wall.as_secs_f64() * 100.0
    );
    run.finish();
}

fn lag(data: &str, rate: u64, secs: u64) {
    let run = start(true);
    let lines = rate * secs;
    let (cpu0, t0) = (cpu_secs(), Instant::now());
    let mut child = spawn_writer("stamped", &run.log, data, lines, rate);
    let mut rss = vec![rss_mib()];
    let mut next = Instant::now();
    let mut ticks = 0u64;
    while !matches!(child.try_wait(), Ok(Some(_))) {
        next += Duration::from_millis(100);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        ticks += 1;
        if ticks.is_multiple_of(10) {
            rss.push(rss_mib());
        }
    }
    let end = Instant::now() + Duration::from_secs(10);
    while run.lines.load(Ordering::Relaxed) < lines && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    let cpu_s = cpu_secs() - cpu0;
    let wall = t0.elapsed();
    let got = run.lines.load(Ordering::Relaxed);
    let hist = run.finish();
    let total: u64 = hist.iter().sum();
    let q = |p: f64| {
        let want = (total as f64 * p).ceil() as u64;
        let mut seen = 0;
        let b = hist.iter().position(|&n| {
            seen += n;
            seen >= want.max(1)
        });
        b.unwrap_or(0) as f64 / 10.0
    };
    let max = hist.iter().rposition(|&n| n > 0).unwrap_or(0) as f64 / 10.0;
    let third = rss.len() / 3;
    println!(
        "lag      {got}/{lines} lines in {secs} s at {rate} lines/s, one write() each: write → delivery \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; CPU {:.0}% of one core; RSS MiB start {:.1}, \
         after a third {:.1}, end {:.1}, max {:.1}",
        q(0.5),
        q(0.99),
        max,
        cpu_s / wall.as_secs_f64() * 100.0,
        rss[0],
        rss.get(third).copied().unwrap_or(0.0),
        rss.last().copied().unwrap_or(0.0),
        rss.iter().copied().fold(0.0, f64::max),
    );
}

fn idle(secs: u64) {
    let run = start(false);
    let (cpu0, t0) = (cpu_secs(), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    let cpu_s = cpu_secs() - cpu0;
    println!(
        "idle     CPU {:.2}% of one core over {:.0} s (default poll 250 ms)",
        cpu_s / t0.elapsed().as_secs_f64() * 100.0,
        t0.elapsed().as_secs_f64()
    );
    run.finish();
}

/// The writer process: appends `lines` lines of `data` (cycled) to `log`.
fn writer(args: &[String]) {
    let [mode, log, data, lines, rate] = args else {
        eprintln!("usage: --writer MODE LOG DATA LINES RATE");
        std::process::exit(2);
    };
    let lines: u64 = lines.parse().unwrap_or(0);
    let rate: u64 = rate.parse().unwrap_or(0);
    let src = std::fs::read(data).expect("read data");
    let sample: Vec<&[u8]> = src.split_inclusive(|&c| c == b'\n').collect();
    let mut out = OpenOptions::new().append(true).open(log).expect("open log");
    match mode.as_str() {
        "bulk" => {
            let mut block = Vec::with_capacity(1 << 20);
            for l in sample.iter().cycle().take(lines as usize) {
                block.extend_from_slice(l);
                if block.len() >= 1 << 20 {
                    out.write_all(&block).expect("write");
                    block.clear();
                }
            }
            out.write_all(&block).expect("write");
        }
        "perline" => {
            for l in sample.iter().cycle().take(lines as usize) {
                out.write_all(l).expect("write");
            }
        }
        "stamped" => {
            // Paced per millisecond: `rate / 1000` lines, then wait.
            let per_ms = (rate / 1000).max(1);
            let t0 = Instant::now();
            let mut line = Vec::with_capacity(512);
            for (i, l) in sample.iter().cycle().take(lines as usize).enumerate() {
                let i = i as u64;
                if i.is_multiple_of(per_ms) {
                    let due = t0 + Duration::from_millis(i / per_ms);
                    if let Some(d) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(d);
                    }
                }
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                line.clear();
                line.extend_from_slice(format!("{} ", now.as_nanos()).as_bytes());
                line.extend_from_slice(l);
                out.write_all(&line).expect("write");
            }
        }
        m => panic!("unknown writer mode {m}"),
    }
}
