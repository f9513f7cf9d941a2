//! The whole live pipeline under load: another process appends to a log
//! while routetop's followers and engine (in this process, as in
//! `routetop FILE`) count the lines; figures are read from the published
//! snapshots, as a view would see them.
//!
//! ```text
//! cargo bench --bench live [-- FILE] [bulk] [perline] [lag] [idle] [soak]
//! cargo bench --bench live -- --data-lines 20000 --repeat 1 --secs 1 --idle-secs 1   # quick check
//! ```
//!
//! Without FILE the source is 1 M lines of combined_rt, 200 routes, seed 1,
//! generated on first use into the bench data directory
//! (benches/util/mod.rs). Modes (default: all but `soak`):
//!
//! - `bulk`: the writer appends the file `--repeat` times (default 3) in
//!   1 MiB writes as fast as it can; lines/s until the last line is in a
//!   snapshot, CPU and peak RSS.
//! - `perline`: the same with one `write()` per line.
//! - `lag`: one `write()` per line at `--rate` lines/s (default 20 000) for
//!   `--secs` s (default 10); the writer records when each batch was
//!   written, this process when each snapshot arrived: p50/p99/max of
//!   write → snapshot.
//! - `idle`: nothing written for `--idle-secs` (default 10): CPU of the
//!   whole process.
//! - `soak`: `lag` for `--soak-secs` (default 600) s, RSS sampled every 10 s.
//!
//! Every setting can also be set in the environment (`REPEAT`, `RATE`, ...).
//!
//! The writer is this binary started again with `--writer`. The log is on
//! `/dev/shm` (tmpfs) when there is one, so that the writer is fast enough
//! to find the pipeline's limit.

mod util;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use routetop::config::OutputFormat;
use routetop::config::{Config, Mode};
use routetop::engine::snapshot::Snapshot;
use routetop::format::FormatSpec;
use routetop::run::Running;
use util::args::{Args, File, Opt, Spec, opt};
use util::proc::{cpu_secs, peak_rss_mib, rss_mib};

static SPEC: Spec = Spec {
    name: "live",
    about: "The whole live pipeline (followers + engine, as `routetop FILE`) under a writer process.",
    file: File::Log {
        lines: 1_000_000,
        routes: 200,
    },
    modes: &[
        (
            "bulk",
            "writer appends FILE --repeat times in 1 MiB writes: lines/s into snapshots",
        ),
        ("perline", "the same, one write() per line"),
        (
            "lag",
            "one write() per line at --rate for --secs: write → snapshot p50/p99/max",
        ),
        ("idle", "nothing written for --idle-secs: CPU"),
        ("soak", "lag for --soak-secs, RSS every 10 s"),
    ],
    default_modes: &["bulk", "perline", "lag", "idle"],
    opts: &[
        opt(
            "repeat",
            "3",
            "bulk, perline: times the writer appends FILE",
        ),
        opt("rate", "20000", "lag, soak: lines/s written"),
        opt("secs", "10", "lag: seconds written"),
        opt("soak-secs", "600", "soak: seconds written"),
        opt("idle-secs", "10", "idle: seconds measured"),
    ] as &[Opt],
};

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The writer process: `--writer MODE SRC DST STAMPS RATE SECS REPEAT`.
fn writer(args: &[String]) {
    let (mode, src, dst, stamps) = (&args[0], &args[1], &args[2], &args[3]);
    let rate: u64 = args[4].parse().unwrap_or(0);
    let secs: u64 = args[5].parse().unwrap_or(0);
    let repeat: u64 = args[6].parse().unwrap_or(1);
    let data = std::fs::read(src).expect("source log");
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .open(dst)
        .expect("log to append to");
    let mut stamp = std::io::BufWriter::new(std::fs::File::create(stamps).expect("stamps"));
    let lines: Vec<&[u8]> = data.split_inclusive(|&c| c == b'\n').collect();
    match mode.as_str() {
        "bulk" => {
            let t = now_ns();
            for _ in 0..repeat {
                for chunk in data.chunks(1 << 20) {
                    out.write_all(chunk).unwrap();
                }
            }
            writeln!(stamp, "{t} {}", now_ns()).unwrap();
        }
        "perline" => {
            let t = now_ns();
            for _ in 0..repeat {
                for l in &lines {
                    out.write_all(l).unwrap();
                }
            }
            writeln!(stamp, "{t} {}", now_ns()).unwrap();
        }
        _ => {
            // Paced: batches every millisecond, `rate` lines/s, cycling
            // through the source; each batch's count and time recorded.
            let start = Instant::now();
            let mut n: u64 = 0;
            while start.elapsed() < Duration::from_secs(secs) {
                let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
                while n < due {
                    out.write_all(lines[(n % lines.len() as u64) as usize])
                        .unwrap();
                    n += 1;
                }
                writeln!(stamp, "{n} {}", now_ns()).unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
    stamp.flush().unwrap();
}

struct Bench {
    dir: tempfile::TempDir,
    log: PathBuf,
    rt: tokio::runtime::Runtime,
    running: Option<Running>,
}

impl Bench {
    fn start() -> Bench {
        // tmpfs when there is one: the writer should be limited by memory
        // copies, not by the disk, to find the pipeline's own limit.
        let dir = match Path::new("/dev/shm").is_dir() {
            true => tempfile::tempdir_in("/dev/shm").unwrap(),
            false => tempfile::tempdir().unwrap(),
        };
        let log = dir.path().join("access.log");
        std::fs::write(&log, "").unwrap();
        let log_path = log.to_str().expect("a UTF-8 temporary path");
        let mut c = Config::once(
            &[log_path],
            FormatSpec::Preset("combined_rt"),
            OutputFormat::Table,
        )
        .expect("a preset compiles");
        c.mode = Mode::Follow;
        let rt = tokio::runtime::Runtime::new().unwrap();
        let running = Running::start(&c, rt.handle()).unwrap();
        Bench {
            dir,
            log,
            rt,
            running: Some(running),
        }
    }

    fn snapshots(&self) -> tokio::sync::watch::Receiver<Arc<Snapshot>> {
        self.running.as_ref().unwrap().snapshots.clone()
    }

    fn spawn_writer(
        &self,
        mode: &str,
        src: &Path,
        rate: u64,
        secs: u64,
        repeat: u64,
    ) -> (std::process::Child, PathBuf) {
        let stamps = self.dir.path().join(format!("{mode}.stamps"));
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--writer",
                mode,
                src.to_str().unwrap(),
                self.log.to_str().unwrap(),
                stamps.to_str().unwrap(),
            ])
            .args([rate.to_string(), secs.to_string(), repeat.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        (child, stamps)
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
        let _ = &self.rt;
    }
}

/// Waits until a snapshot counts `n` requests; returns when it arrived.
fn wait_for(
    rx: &mut tokio::sync::watch::Receiver<Arc<Snapshot>>,
    n: u64,
    limit: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if rx.borrow_and_update().total.total.requests >= n {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

fn throughput(src: &Path, mode: &str, repeat: u64) {
    // Counted in chunks: reading the whole file here would count its size
    // in this process's peak RSS.
    let lines = {
        use std::io::Read;
        let mut f = std::fs::File::open(src).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut n = 0u64;
        loop {
            let k = f.read(&mut buf).unwrap();
            if k == 0 {
                break;
            }
            n += buf[..k].iter().filter(|&&c| c == b'\n').count() as u64;
        }
        n * repeat
    };
    let b = Bench::start();
    let mut rx = b.snapshots();
    std::thread::sleep(Duration::from_millis(300));
    let cpu0 = cpu_secs();
    let t0 = Instant::now();
    let (mut child, stamps) = b.spawn_writer(mode, src, 0, 0, repeat);
    let done = wait_for(&mut rx, lines, Duration::from_secs(600));
    child.wait().unwrap();
    // The writer's own start and end, from its stamps file.
    let writer_secs = std::fs::read_to_string(&stamps)
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|v| v.parse::<u64>().ok());
            Some((it.next()??, it.next()??))
        })
        .map_or(f64::NAN, |(a, b)| (b - a) as f64 / 1e9);
    let cpu = cpu_secs() - cpu0;
    match done {
        Some(t) => {
            let secs = (t - t0).as_secs_f64();
            println!(
                "{mode:<8} {lines} lines: in snapshots after {secs:.2} s = {:.2} M lines/s (writer alone {:.2} M lines/s); CPU {:.2} s ({:.0} % of one core); peak RSS {:.1} MiB",
                lines as f64 / secs / 1e6,
                lines as f64 / writer_secs / 1e6,
                cpu,
                cpu / secs * 100.0,
                peak_rss_mib()
            );
        }
        None => println!("{mode}: not every line arrived within the limit"),
    }
}

fn lag(src: &Path, rate: u64, secs: u64, rss_every: Option<Duration>) {
    let b = Bench::start();
    let mut rx = b.snapshots();
    std::thread::sleep(Duration::from_millis(300));
    let (mut child, stamps) = b.spawn_writer("paced", src, rate, secs, 0);
    // Every snapshot: (requests counted, arrival time).
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut rss: Vec<f64> = Vec::new();
    let mut next_rss = Instant::now();
    let cpu0 = cpu_secs();
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some()
            && t0.elapsed() > Duration::from_secs(secs) + Duration::from_secs(2)
        {
            break;
        }
        if rx.has_changed().unwrap_or(false) {
            let n = rx.borrow_and_update().total.total.requests;
            seen.push((n, now_ns()));
        }
        if let Some(every) = rss_every
            && Instant::now() >= next_rss
        {
            rss.push(rss_mib());
            next_rss += every;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let cpu = cpu_secs() - cpu0;
    let mut lags: Vec<u64> = Vec::new();
    let f = std::io::BufReader::new(std::fs::File::open(stamps).unwrap());
    for l in f.lines().map_while(Result::ok) {
        let mut it = l.split(' ');
        let (Some(n), Some(t)) = (
            it.next().and_then(|v| v.parse::<u64>().ok()),
            it.next().and_then(|v| v.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if let Some(&(_, at)) = seen.iter().find(|(c, _)| *c >= n) {
            lags.push(at.saturating_sub(t));
        }
    }
    lags.sort_unstable();
    let q = |p: f64| {
        lags.get(((lags.len() as f64 * p) as usize).min(lags.len().saturating_sub(1)))
            .map_or(0.0, |v| *v as f64 / 1e6)
    };
    println!(
        "lag      {rate} lines/s for {secs} s: write → snapshot p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} samples); CPU {:.0} % of one core",
        q(0.5),
        q(0.99),
        q(1.0),
        lags.len(),
        cpu / t0.elapsed().as_secs_f64() * 100.0
    );
    if let Some(every) = rss_every
        && !rss.is_empty()
    {
        // Per minute: memory grows while the windows fill (the longest
        // window's length), then must stay flat.
        let per_min = (60.0 / every.as_secs_f64()).round().max(1.0) as usize;
        let minutes: Vec<String> = rss
            .iter()
            .step_by(per_min)
            .map(|v| format!("{v:.0}"))
            .collect();
        println!(
            "soak     RSS (MiB) at each minute of {secs} s: {}; last {:.1}",
            minutes.join(" "),
            rss.last().unwrap_or(&0.0)
        );
    }
}

fn idle(secs: u64) {
    let b = Bench::start();
    let _rx = b.snapshots();
    std::thread::sleep(Duration::from_secs(1));
    let (c0, t0) = (cpu_secs(), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    let cpu = cpu_secs() - c0;
    println!(
        "idle     {secs} s with nothing written: CPU {:.2} s = {:.2} % of one core",
        cpu,
        cpu / t0.elapsed().as_secs_f64() * 100.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--writer") {
        return writer(&args[1..]);
    }
    let args = Args::parse(&SPEC);
    let src = args.log();
    println!(
        "source {} ({} cores)",
        src.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let rate: u64 = args.get("rate");
    for m in args.modes() {
        match m {
            "bulk" | "perline" => throughput(&src, m, args.get("repeat")),
            "lag" => lag(&src, rate, args.get("secs"), None),
            "soak" => lag(
                &src,
                rate,
                args.get("soak-secs"),
                Some(Duration::from_secs(10)),
            ),
            "idle" => idle(args.get("idle-secs")),
            other => unreachable!("mode {other} not in SPEC"),
        }
    }
}
