//! Follow mode end to end: followers, engine thread and views together.
//! In-process through `run::Running`, and the real binary headless (stdin
//! EOF, SIGTERM, SIGHUP).

mod net;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use routetop::config::OutputFormat;
use routetop::config::{Config, Mode};
use routetop::engine::snapshot::Snapshot;
use routetop::format::FormatSpec;
use routetop::run::Running;

fn line(i: u64, path: &str, status: u16) -> String {
    format!(
        "10.0.0.1 - - [10/Mar/2024:00:00:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"t\" 0.{:03}\n",
        i % 60,
        i % 1000
    )
}

/// A log of `n` requests to `/x` in a new temporary directory.
fn log_of(n: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let text: String = (0..n).map(|i| line(i, "/x", 200)).collect();
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn config(inputs: &[&Path]) -> Config {
    let paths: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let mut c = Config::once(&paths, FormatSpec::Auto, OutputFormat::Table).unwrap();
    c.mode = Mode::Follow;
    c.live.step = Duration::from_millis(100);
    c.live.from_start = true;
    c
}

fn wait_for(
    rx: &mut tokio::sync::watch::Receiver<Arc<Snapshot>>,
    what: &str,
    f: impl Fn(&Snapshot) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if f(&rx.borrow_and_update()) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A writer appends while the engine runs, through a rename-and-create
/// rotation; the final snapshot counts every line exactly once.
#[test]
fn writer_thread_appends_while_the_engine_runs_final_counts_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, "").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(&[&path]), rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        let mut n = 0u64;
        for batch in 0..40u64 {
            if batch == 20 {
                // logrotate `create`: rename, then a new file at the path.
                std::fs::rename(&p, p.with_extension("log.1")).unwrap();
                f = std::fs::File::create(&p).unwrap();
            }
            let mut buf = String::new();
            for _ in 0..250 {
                let status = if n.is_multiple_of(10) { 503 } else { 200 };
                buf.push_str(&line(n, &format!("/api/items/{n}"), status));
                n += 1;
            }
            f.write_all(buf.as_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        n
    });
    let written = writer.join().unwrap();
    wait_for(&mut rx, "every line", |s| s.total.total.requests == written);
    let last = running.stop();
    assert_eq!(last.total.total.requests, written);
    assert_eq!(last.total.total.classes[5], written / 10);
    assert_eq!(last.routes.len(), 1);
    assert_eq!(&*last.routes[0].route, "/api/items/:id");
    assert_eq!(last.inputs[0].error_total(), 0);
    assert!(last.inputs[0].rotations >= 1, "{:?}", last.inputs[0]);
    // Windows and series saw the traffic too.
    assert_eq!(last.total.series.requests.iter().sum::<u64>(), written);
    assert_eq!(last.total.windows[1].row.requests, written);
}

#[test]
fn stopping_counts_what_was_read() {
    let (_dir, path) = log_of(5000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(&[&path]), rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    wait_for(&mut rx, "the file", |s| s.total.total.requests == 5000);
    let last = running.stop();
    assert_eq!(
        (last.total.total.requests, last.inputs[0].lines),
        (5000, 5000)
    );
}

/// Regression: a path named twice was followed by two tailers of one
/// source; the second found the file read by the first and set the
/// source's state to an error while its lines were counted. It is followed
/// once, and its state is the first tailer's.
#[test]
fn a_path_named_twice_is_followed_once() {
    let (_dir, path) = log_of(3000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(&[&path, &path]), rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    wait_for(&mut rx, "the file", |s| s.total.total.requests == 3000);
    // Time for a second reading, were there one.
    std::thread::sleep(Duration::from_millis(500));
    let last = running.stop();
    assert_eq!(last.total.total.requests, 3000);
    let inputs: Vec<_> = last
        .inputs
        .iter()
        .map(|i| (i.lines, i.state.label()))
        .collect();
    assert_eq!(inputs, [(3000, "following")]);
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_routetop"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn headless_on_stdin_prints_summaries_and_ends_at_eof() {
    let data = std::fs::read("sample-logs/combined_rt.log").unwrap();
    let mut child = bin()
        .args(["--headless", "--interval", "200ms", "--step", "100ms"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Half now, half a little later: summaries in between, then EOF.
    stdin.write_all(&data[..data.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(700));
    stdin.write_all(&data[data.len() / 2..]).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let last = text
        .lines()
        .position(|l| l.starts_with("since start: "))
        .expect("final summary");
    assert!(last >= 1, "interval summaries before the end:\n{text}");
    assert!(
        text.lines()
            .nth(last)
            .unwrap()
            .starts_with("since start: 2000 requests"),
        "{text}"
    );
    assert!(text.contains("lines 2000  unparsed 0"), "{text}");
}

#[test]
fn headless_on_a_file_stops_cleanly_on_sigterm_with_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, "").unwrap();
    let child = bin()
        .args([
            "--headless",
            "--interval",
            "1h",
            "--step",
            "100ms",
            path.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let text: String = (0..1234).map(|i| line(i, "/y", 404)).collect();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    net::signal(child.id(), "TERM");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("since start: 1234 requests"), "{text}");
    assert!(text.contains("4xx 100%"), "{text}");
}

#[test]
fn sighup_rereads_route_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let conf = dir.path().join("routetop.toml");
    std::fs::write(&path, "").unwrap();
    std::fs::write(&conf, "").unwrap();
    let child = bin()
        .args([
            "--headless",
            "--interval",
            "1h",
            "--step",
            "100ms",
            "--config",
        ])
        .args([conf.to_str().unwrap(), path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let append = |n: u64| {
        let text: String = (0..n)
            .map(|i| line(i, &format!("/users/{i}"), 200))
            .collect();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    };
    std::thread::sleep(Duration::from_millis(300));
    append(10);
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(
        &conf,
        "[[routes]]\nmatch = '^/users/'\ntemplate = \"/people/*\"\n",
    )
    .unwrap();
    let pid = child.id();
    net::signal(pid, "HUP");
    std::thread::sleep(Duration::from_millis(500));
    append(7);
    std::thread::sleep(Duration::from_millis(700));
    net::signal(pid, "TERM");
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("since start: 17 requests"), "{text}");
    assert!(
        text.contains("         10  5xx 0%    p99 ") && text.contains("/users/:id"),
        "{text}"
    );
    assert!(
        text.contains("          7  5xx 0%    p99 ") && text.contains("/people/*"),
        "{text}"
    );
}

/// Follow mode and `--once` apply one auto-detection policy: on a log that
/// starts with lines no format fits (and blank ones), both count the same
/// lines as unparsed, of the same kinds, and read the rest.
#[test]
fn a_log_that_starts_with_junk_counts_the_same_as_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk-first.log");
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!("starting worker {i}\n"));
    }
    text.push_str("\n\n");
    let good: String = (0..3000).map(|i| line(i, "/y", 200)).collect();
    text.push_str(&good);
    std::fs::write(&path, text).unwrap();

    let once = routetop::once(&config(&[&path])).unwrap();
    let want = &once.batch.inputs[0];
    assert_eq!(once.batch.sources[0].format.as_deref(), Some("combined_rt"));
    assert_eq!((want.lines, want.requests), (3102, 3000));

    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(&[&path]), rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    wait_for(&mut rx, "every line", |s| {
        s.inputs.first().is_some_and(|i| i.lines == 3102)
    });
    let last = running.stop();
    let got = &last.inputs[0];
    assert_eq!(got.format.as_deref(), Some("combined_rt"));
    assert_eq!(
        (got.lines, got.requests, got.errors),
        (want.lines, want.requests, want.errors)
    );
    assert_eq!(last.total.total.requests, once.summary.totals.requests);
}

/// The counter families of an exposition (`_total`, `_count`, `_sum`,
/// `_bucket` samples), line by line.
fn counters(snap: &Snapshot) -> Vec<String> {
    use routetop::view::export::{RenderOptions, ScrapeState, render};
    render(snap, &RenderOptions::default(), &mut ScrapeState::default())
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            let name = l.split(['{', ' ']).next().unwrap_or("");
            ["_total", "_count", "_sum", "_bucket"]
                .iter()
                .any(|s| name.ends_with(s))
        })
        .map(str::to_string)
        .collect()
}

/// Regression: the dashboard's reset zeroed the engine, and with it what
/// /metrics and pushes export (`http_requests_total` 2000 → 1,
/// `routetop_lines_read_total` 2001 → 1): counters went backwards without a
/// restart. After a reset every exported counter is what it was, and the
/// snapshot carries the dashboard's since-reset figures beside them.
#[test]
fn reset_keeps_exported_counters_counting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let text: String = (0..2000).map(|i| line(i, "/x", 200)).collect();
    std::fs::write(&path, format!("{text}not a request\n")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(&[&path]), rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    wait_for(&mut rx, "the file", |s| s.lines() == 2001);
    let before = counters(&rx.borrow());
    assert!(
        before
            .iter()
            .any(|l| l.starts_with("routetop_lines_read_total") && l.ends_with(" 2001")),
        "{before:#?}"
    );
    running
        .control
        .send(routetop::engine::live::Control::Reset)
        .unwrap();
    wait_for(&mut rx, "the reset", |s| s.reset.is_some());
    let snap = rx.borrow().clone();
    assert_eq!(counters(&snap), before);
    let r = snap.reset.as_ref().unwrap();
    assert_eq!((r.total.total.requests, r.inputs[0].lines), (0, 0));
    // Lines after the reset count in both.
    let more: String = (0..5).map(|i| line(i, "/y", 500)).collect();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(more.as_bytes())
        .unwrap();
    wait_for(&mut rx, "the new lines", |s| s.lines() == 2006);
    let snap = rx.borrow().clone();
    assert_eq!(snap.total.total.requests, 2005);
    let r = snap.reset.as_ref().unwrap();
    assert_eq!((r.total.total.requests, r.total.total.classes[5]), (5, 5));
    let last = running.stop();
    assert_eq!(last.total.total.requests, 2005);
}

/// `dir/*.log` followed, with `a.log`'s ten lines counted: the directory,
/// those lines, the runtime and the run.
fn glob_following_ten_lines() -> (tempfile::TempDir, String, tokio::runtime::Runtime, Running) {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..10).map(|i| line(i, "/same", 200)).collect();
    std::fs::write(dir.path().join("a.log"), &text).unwrap();
    let glob = dir.path().join("*.log");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(&[&glob]), rt.handle()).unwrap();
    wait_for(&mut running.snapshots.clone(), "a.log", |s| {
        s.total.total.requests == 10
    });
    (dir, text, rt, running)
}

/// Regression: a new file a glob found, whose bytes at the followed file's
/// offset are that file's (its first lines are the same), was taken for a
/// copytruncate copy not yet followed by the truncation, and none of its
/// lines were counted for as long as the other file was not truncated. A
/// file longer than the one it would be a copy of is not a copy.
#[test]
fn a_new_file_that_starts_like_a_followed_one_is_not_taken_for_its_copy() {
    let (dir, text, _rt, running) = glob_following_ten_lines();
    let mut rx = running.snapshots.clone();
    // b.log: a.log's ten lines, then 990 of its own.
    let mut b = text.clone();
    b.extend((10..1000).map(|i| line(i, "/other", 200)));
    std::fs::write(dir.path().join("b.log"), b).unwrap();
    wait_for(&mut rx, "b.log's 1000 lines", |s| {
        s.total.total.requests == 1010
    });
    let last = running.stop();
    assert_eq!(last.total.total.requests, 1010);
}

/// A copy a copytruncate is making (not longer than the original) waits
/// for the truncation; but a copy whose original is never truncated is,
/// after the grace period (10 s), a file of its own and counted.
#[test]
fn a_copy_whose_original_is_never_truncated_is_counted_after_the_grace_period() {
    let (dir, text, _rt, running) = glob_following_ten_lines();
    let mut rx = running.snapshots.clone();
    std::fs::write(dir.path().join("copy.log"), &text).unwrap();
    wait_for(&mut rx, "the copy's 10 lines", |s| {
        s.total.total.requests == 20
    });
    running.stop();
}
