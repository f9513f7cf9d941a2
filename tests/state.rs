//! Saved state (`--state`), end to end with the real binary: routetop is
//! killed (SIGKILL, SIGTERM) at random instants while a writer appends and
//! rotates the log, and restarted; at the end every line written is
//! counted exactly once, per status, and no counter a scraper saw ever went
//! down.

mod net;

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use net::{Proc, free_port, get, signal, wait_for};

const STATUSES: [u16; 5] = [200, 200, 404, 500, 302];

/// Line `n`: its status is `STATUSES[n % 5]`.
fn line(n: u64) -> String {
    format!(
        "10.0.{}.{} - - [05/Dec/2026:10:00:00 +0000] \"GET /api/items/{} HTTP/1.1\" {} {} \"-\" \"state-test\" 0.{:03}\n",
        n / 250 % 250,
        n % 250,
        n % 97,
        STATUSES[(n % 5) as usize],
        100 + n % 900,
        n % 1000
    )
}

fn status_of(n: u64) -> u16 {
    STATUSES[(n % 5) as usize]
}

struct Routetop {
    state: PathBuf,
    log: PathBuf,
    addr: SocketAddr,
    proc: Option<Proc>,
    /// `--backfill-min`: backlogs from this many bytes are counted on all
    /// cores (the default when `None`).
    backfill_min: Option<u64>,
}

impl Routetop {
    fn start(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_routetop"));
        if let Some(b) = self.backfill_min {
            cmd.env("ROUTETOP_BACKFILL_MIN", b.to_string());
        }
        let p = Proc::spawn(
            cmd.arg("--headless")
                .arg("--state")
                .arg(&self.state)
                .args(["--state-interval", "1s", "--interval", "1h"])
                .arg("--metrics")
                .arg(self.addr.to_string())
                .arg(&self.log),
            "routetop",
        );
        self.proc = Some(p);
        // Up once /metrics answers.
        let addr = self.addr;
        wait_for(Duration::from_secs(20), || get(addr, "/metrics", &[]).ok())
            .expect("routetop serves /metrics after a start");
    }

    fn kill(&mut self, sig: &str) {
        let mut p = self.proc.take().expect("running");
        signal(p.0.id(), sig);
        let status = wait_for(Duration::from_secs(30), || p.0.try_wait().ok().flatten())
            .unwrap_or_else(|| panic!("routetop did not exit after SIG{sig}"));
        if sig == "TERM" {
            assert!(status.success(), "exit after SIGTERM: {status}");
        }
        let err = p.stderr();
        // Shown when the test fails: what each run said.
        eprintln!("--- routetop stopped with SIG{sig}:\n{err}");
        assert!(!err.contains("panicked"), "routetop panicked:\n{err}");
    }
}

/// `http_requests_total` per status, and every counter series (name and
/// labels → value), from one scrape.
fn scrape(addr: SocketAddr) -> Option<(HashMap<u16, u64>, HashMap<String, f64>)> {
    let r = get(addr, "/metrics", &[]).ok()?;
    if r.status != 200 {
        return None;
    }
    let mut by_status = HashMap::new();
    let mut counters = HashMap::new();
    for l in r.body.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = l.rsplit_once(' ') else {
            continue;
        };
        let Ok(v) = value.parse::<f64>() else {
            continue;
        };
        let name = series.split('{').next().unwrap_or(series);
        let counter = name.ends_with("_total")
            || name.ends_with("_bucket")
            || name.ends_with("_count")
            || name.ends_with("_sum");
        if counter {
            counters.insert(series.to_string(), v);
        }
        if name == "http_requests_total"
            && let Some(s) = series.split("status=\"").nth(1)
            && let Ok(code) = s[..3].parse::<u16>()
        {
            *by_status.entry(code).or_insert(0) += v as u64;
        }
    }
    Some((by_status, counters))
}

/// Scrapes every 100 ms until stopped; fails (with the series) when a
/// counter is ever lower than in an earlier scrape.
fn scraper(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(usize, Vec<String>)> {
    std::thread::spawn(move || {
        let mut seen: HashMap<String, f64> = HashMap::new();
        let mut went_down = Vec::new();
        let mut scrapes = 0;
        while !stop.load(Ordering::Relaxed) {
            if let Some((_, counters)) = scrape(addr) {
                scrapes += 1;
                for (k, v) in counters {
                    let before = seen.entry(k.clone()).or_insert(v);
                    if v < *before {
                        went_down.push(format!("{k}: {before} -> {v}"));
                    }
                    *before = before.max(v);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (scrapes, went_down)
    })
}

/// Appends lines `from..` at `rate` lines/s for `secs`, rotating at each
/// of `rotate_at` (seconds): the log is renamed to `.1` (`.1` to `.2`), the
/// writer goes on writing to the renamed file for 100 ms, as nginx does
/// until told to reopen, then opens a new log. Returns lines written.
fn write_for(log: &Path, rate: u64, secs: u64, rotate_at: &[u64]) -> u64 {
    let open = || {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open log")
    };
    let mut f = open();
    let start = Instant::now();
    let per_tick = rate / 100;
    let mut n = 0u64;
    let mut rotations = rotate_at.iter().peekable();
    let mut reopen_at: Option<Instant> = None;
    while start.elapsed() < Duration::from_secs(secs) {
        let mut batch = String::new();
        for _ in 0..per_tick {
            batch.push_str(&line(n));
            n += 1;
        }
        f.write_all(batch.as_bytes()).expect("write");
        if rotations
            .peek()
            .is_some_and(|&&at| start.elapsed() >= Duration::from_secs(at))
        {
            rotations.next();
            rotate(log);
            reopen_at = Some(Instant::now() + Duration::from_millis(100));
        }
        if reopen_at.is_some_and(|t| Instant::now() >= t) {
            reopen_at = None;
            f = open();
        }
        // On schedule, not just 10 ms after the last batch.
        let due = start + Duration::from_millis(10 * (n / per_tick.max(1)));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    n
}

fn rotate(log: &Path) {
    let one = with(log, ".1");
    if one.exists() {
        fs::rename(&one, with(log, ".2")).expect("rotate .1");
    }
    fs::rename(log, &one).expect("rotate");
}

fn with(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn expected(lines: u64) -> HashMap<u16, u64> {
    let mut want = HashMap::new();
    for n in 0..lines {
        *want.entry(status_of(n)).or_insert(0) += 1;
    }
    want
}

/// Waits until /metrics shows `lines` requests (the state is saved every
/// second, and a restart catches up), then compares per status.
fn assert_counted(addr: SocketAddr, lines: u64) {
    let want = expected(lines);
    let mut last = HashMap::new();
    let got = wait_for(Duration::from_secs(60), || {
        let (by_status, _) = scrape(addr)?;
        let total: u64 = by_status.values().sum();
        last = by_status.clone();
        (total >= lines).then_some(by_status)
    })
    .unwrap_or_else(|| panic!("never counted {lines} lines: {last:?}"));
    // A moment more: nothing beyond the lines written may show up.
    std::thread::sleep(Duration::from_millis(1500));
    let (again, _) = scrape(addr).expect("scrape");
    assert_eq!(got, want, "requests per status");
    assert_eq!(again, want, "requests per status, later");
}

/// Kills routetop with `sig` at each of `kills` (seconds after the start,
/// each jittered by up to a second), restarting it after `down`, while the
/// writer appends at `rate` lines/s for `secs` seconds with rotations at
/// `rotate_at`.
fn survive(sig: &'static str, rate: u64, secs: u64, kills: &[u64], rotate_at: &[u64]) {
    survive_with(sig, (rate, secs), kills, rotate_at, None)
}

/// [`survive`], backlogs of `backfill_min` bytes or more counted on all
/// cores.
fn survive_with(
    sig: &'static str,
    (rate, secs): (u64, u64),
    kills: &[u64],
    rotate_at: &[u64],
    backfill_min: Option<u64>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    File::create(&log).expect("create log");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let rt = Arc::new(Mutex::new(Routetop {
        state: dir.path().join("state"),
        log: log.clone(),
        addr,
        proc: None,
        backfill_min,
    }));
    rt.lock().unwrap().start();
    let stop = Arc::new(AtomicBool::new(false));
    let scrapes = scraper(addr, stop.clone());
    let killer = {
        let rt = rt.clone();
        let kills = kills.to_vec();
        std::thread::spawn(move || {
            let start = Instant::now();
            // Instants vary from run to run (sub-second jitter from the
            // clock), so runs together cover many points of the cycle.
            let jitter = |i: usize| {
                let nanos = Instant::now().duration_since(start).subsec_nanos() as u64;
                Duration::from_millis((nanos / 1000 + i as u64 * 377) % 1000)
            };
            for (i, at) in kills.iter().enumerate() {
                let when = Duration::from_secs(*at) + jitter(i);
                if let Some(d) = when.checked_sub(start.elapsed()) {
                    std::thread::sleep(d);
                }
                let mut r = rt.lock().unwrap();
                r.kill(sig);
                // Lines written while it is down are counted after.
                std::thread::sleep(Duration::from_millis(300 + 200 * i as u64));
                r.start();
            }
        })
    };
    let written = write_for(&log, rate, secs, rotate_at);
    killer.join().expect("killer");
    assert_counted(addr, written);
    stop.store(true, Ordering::Relaxed);
    let (n, went_down) = scrapes.join().expect("scraper");
    assert!(n > 20, "only {n} scrapes");
    assert!(went_down.is_empty(), "counters went down: {went_down:#?}");
    let mut r = rt.lock().unwrap();
    r.kill("TERM");
}

/// The promise: 20 000 lines/s for 60 s, two rotations, SIGKILL three times.
#[test]
fn sigkill_three_times_across_two_rotations_loses_and_doubles_nothing() {
    survive("KILL", 20_000, 60, &[9, 27, 44], &[20, 40]);
}

#[test]
fn sigterm_three_times_across_two_rotations_loses_and_doubles_nothing() {
    survive("TERM", 20_000, 30, &[5, 13, 24], &[10, 20]);
}

/// The same with every backlog of 64 KiB or more counted on all cores (the
/// lines written while routetop is down, bursts): a stop during a
/// backfill drops it whole, and the next run counts it again from the
/// saved mark.
#[test]
fn sigterm_during_backfills_loses_and_doubles_nothing() {
    survive_with(
        "TERM",
        (20_000, 30),
        &[5, 13, 24],
        &[10, 20],
        Some(64 << 10),
    );
}

/// While routetop is down the log is rotated twice: the file it was
/// reading is now `.2`, a file it never saw is `.1`, and a third is the log.
/// All of their unread lines are counted, none twice.
#[test]
fn restart_after_two_rotations_while_down_counts_every_line_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let mut r = Routetop {
        state: dir.path().join("state"),
        log: log.clone(),
        addr,
        proc: None,
        backfill_min: None,
    };
    let mut n = 0u64;
    let append = |count: u64, n: &mut u64| {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log");
        let mut s = String::new();
        for _ in 0..count {
            s.push_str(&line(*n));
            *n += 1;
        }
        f.write_all(s.as_bytes()).expect("write");
    };
    // History before the first start is not counted (follow starts at the
    // end), as without --state.
    append(500, &mut n);
    let history = n;
    r.start();
    append(1000, &mut n);
    assert_counted(addr, n - history);
    r.kill("KILL");
    append(700, &mut n);
    rotate(&log);
    append(900, &mut n);
    rotate(&log);
    append(1100, &mut n);
    r.start();
    let want = expected(n);
    let before = expected(history);
    let mut want_now = want.clone();
    for (s, c) in before {
        *want_now.get_mut(&s).expect("status") -= c;
    }
    let total: u64 = want_now.values().sum();
    assert_eq!(total, n - history);
    let got = wait_for(Duration::from_secs(30), || {
        let (by_status, _) = scrape(addr)?;
        (by_status.values().sum::<u64>() >= total).then_some(by_status)
    })
    .expect("every line counted");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(got, want_now);
    assert_eq!(scrape(addr).expect("scrape").0, want_now);
    r.kill("TERM");
}

/// A state file that cannot be used — damaged, cut short, not routetop's —
/// is kept aside as `FILE.bad` with one message, and routetop starts fresh
/// and saves a good one.
#[test]
fn unusable_state_is_set_aside_and_routetop_starts_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let mut f = File::create(&log).expect("log");
    for n in 0..100 {
        f.write_all(line(n).as_bytes()).expect("write");
    }
    let state = dir.path().join("state");
    let run = |expect: &str| {
        let mut p = headless_with_state(&state, &log);
        // Saved at exit.
        wait_for(Duration::from_secs(20), || {
            fs::read(&state)
                .ok()
                .filter(|b| b.starts_with(b"routetop state\n"))
        });
        std::thread::sleep(Duration::from_millis(500));
        let status = net::sigterm_and_wait(&mut p, Duration::from_secs(20));
        assert!(status.success());
        let err = p.stderr();
        assert!(err.contains(expect), "want {expect:?} in:\n{err}");
        assert_eq!(err.matches("state:").count(), 1, "one message:\n{err}");
        err
    };
    run("does not exist yet; starting fresh");
    let good = fs::read(&state).expect("saved");
    let cases: [(&str, Vec<u8>); 3] = [
        ("cut short", good[..good.len() / 2].to_vec()),
        ("damaged", {
            let mut b = good.clone();
            let mid = b.len() / 2;
            b[mid] ^= 0x55;
            b
        }),
        ("foreign", b"{\"hello\": 1}\n".to_vec()),
    ];
    for (what, bytes) in cases {
        fs::write(&state, &bytes).expect("write state");
        let _ = fs::remove_file(with(&state, ".bad"));
        run("cannot be used");
        assert_eq!(fs::read(with(&state, ".bad")).expect(what), bytes, "{what}");
    }
    // The good one resumes: nothing new to count, the 100 lines stay.
    run("resuming from");
}

/// `routetop --headless --from-start --state STATE LOG`.
fn headless_with_state(state: &Path, log: &Path) -> Proc {
    Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--from-start", "--state"])
            .arg(state)
            .arg(log),
        "routetop",
    )
}

/// Regression: a file rotated during one run kept its mark in the state,
/// and every later restart drained it again and said the log had rotated,
/// though nothing had changed. A rotated file counted to its end and not
/// written since the save is left alone; counts stay exact.
#[test]
fn a_restart_after_a_drained_rotation_says_no_rotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("a.log");
    let state = dir.path().join("state");
    let text = |r: std::ops::Range<u64>| -> String { r.map(line).collect() };
    // One run, stopped (its counts saved at exit): its stderr.
    let run = || -> String {
        let mut p = headless_with_state(&state, &log);
        std::thread::sleep(Duration::from_millis(1500));
        assert!(net::sigterm_and_wait(&mut p, Duration::from_secs(20)).success());
        p.stderr()
    };
    fs::write(&log, text(0..100)).expect("log");
    run();
    // Rotated while routetop is down, the new log already written.
    fs::rename(&log, with(&log, ".1")).expect("rotate");
    fs::write(&log, text(100..200)).expect("log");
    let err = run();
    assert!(err.contains(": 100 requests, 1 inputs)"), "{err}");
    // Nothing changed: no rotation to say, and all 200 still counted.
    let err = run();
    assert!(err.contains(": 200 requests, 1 inputs)"), "{err}");
    assert!(!err.contains("rotated"), "{err}");
    let err = run();
    assert!(err.contains(": 200 requests, 1 inputs)"), "{err}");
    assert!(!err.contains("rotated"), "{err}");
}

/// Regression: two processes given one `--state` saved over each other's
/// file, and the survivor's restart resumed the other's counts. The second
/// is refused (exit 1, naming the file) while the first runs, and starts
/// once the first has stopped.
#[test]
fn a_state_file_in_use_by_another_process_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    for (log, n) in [(&a, 100), (&b, 30)] {
        let text: String = (0..n).map(line).collect();
        fs::write(log, text).expect("log");
    }
    let state = dir.path().join("state");
    let spawn = |log: &Path| headless_with_state(&state, log);
    let mut first = spawn(&a);
    // Its first save: it holds the lock by then.
    wait_for(Duration::from_secs(20), || {
        fs::read(&state)
            .ok()
            .filter(|b| b.starts_with(b"routetop state\n"))
    });
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--headless", "--from-start", "--state"])
        .arg(&state)
        .arg(&b)
        .output()
        .expect("run routetop");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is in use by another routetop process"),
        "{err}"
    );
    assert!(net::sigterm_and_wait(&mut first, Duration::from_secs(20)).success());
    let mut again = spawn(&a);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(net::sigterm_and_wait(&mut again, Duration::from_secs(20)).success());
    let err = again.stderr();
    assert!(err.contains("resuming from"), "{err}");
    assert!(!err.contains("in use"), "{err}");
}

/// copytruncate while routetop is down: the log it was reading is copied to
/// `.1` and truncated. The lines after its offset are read from the copy,
/// then the truncated log from its start; none is lost or counted twice.
#[test]
fn restart_after_copytruncate_while_down_reads_the_rest_from_the_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    fs::write(&log, "").expect("log");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let mut r = Routetop {
        state: dir.path().join("state"),
        log: log.clone(),
        addr,
        proc: None,
        backfill_min: None,
    };
    let append = |from: u64, count: u64| {
        let mut f = OpenOptions::new().append(true).open(&log).expect("log");
        let s: String = (from..from + count).map(line).collect();
        f.write_all(s.as_bytes()).expect("write");
    };
    r.start();
    append(0, 1000);
    // Shown by /metrics once saved.
    assert_counted(addr, 1000);
    r.kill("KILL");
    append(1000, 300);
    fs::copy(&log, with(&log, ".1")).expect("copy");
    File::create(&log).expect("truncate");
    append(1300, 400);
    r.start();
    assert_counted(addr, 1700);
    r.kill("TERM");
}
