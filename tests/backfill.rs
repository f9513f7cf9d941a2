//! A follower's backlog counted on all cores (`engine/backfill.rs`), end
//! to end through `Running` (the follower, the engine, the pool): the
//! hand-off from the backfill to following loses and doubles no line,
//! while lines are appended during the backfill and when the file is
//! rotated during it. Every line is counted exactly once, per route.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use routetop::config::{Config, Mode, OutputFormat};
use routetop::engine::snapshot::Snapshot;
use routetop::format::FormatSpec;
use routetop::run::Running;

/// Routes lines are spread over: [`route`] of `n % ROUTES`.
const ROUTES: u64 = 37;

/// A route of its own (letters: no templating makes it `:id`).
fn route(k: u64) -> String {
    let c = |i: u64| (b'a' + i as u8) as char;
    format!("/r/{}{}", c(k / 26 % 26), c(k % 26))
}

/// Line `n` of a test log (combined format, ~110 bytes).
fn line(n: u64) -> String {
    format!(
        "10.1.{}.{} - - [05/Dec/2026:10:{:02}:{:02} +0000] \"GET {} HTTP/1.1\" 200 {} \"-\" \"backfill-test/{n}\"\n",
        n / 250 % 250,
        n % 250,
        n / 60_000 % 60,
        n / 1_000 % 60,
        route(n % ROUTES),
        100 + n % 900,
    )
}

fn lines(range: std::ops::Range<u64>) -> Vec<u8> {
    range.flat_map(|n| line(n).into_bytes()).collect()
}

/// Requests per route of lines `0..n` (each counted once).
fn want_routes(n: u64) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for i in 0..n {
        *m.entry(route(i % ROUTES)).or_default() += 1;
    }
    m
}

fn routes(s: &Snapshot) -> BTreeMap<String, u64> {
    s.routes
        .iter()
        .map(|r| (r.route.to_string(), r.total.requests))
        .collect()
}

/// Follows `path` from its start, backlogs of `backfill_min` bytes or more
/// counted on all cores.
fn start(path: &Path, backfill_min: u64, rt: &tokio::runtime::Runtime) -> Running {
    let mut c = Config::once(
        &[path.to_str().unwrap()],
        FormatSpec::parse("combined").unwrap(),
        OutputFormat::Table,
    )
    .unwrap();
    c.mode = Mode::Follow;
    c.live.from_start = true;
    c.live.backfill_min = backfill_min;
    c.live.publish = Duration::from_millis(50);
    Running::start(&c, rt.handle()).unwrap()
}

/// Waits (polling, with a deadline) until `done` holds of the latest
/// snapshot; says what it has on timeout.
fn until(running: &Running, what: &str, done: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = running.snapshots.borrow().clone();
        if done(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {what}: lines {:?}, backfill {:?}",
            s.inputs.iter().map(|i| i.lines).collect::<Vec<_>>(),
            s.backfill
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn lines_of(s: &Snapshot) -> u64 {
    s.inputs.iter().map(|i| i.lines).sum()
}

/// Appends lines `from..to` to `path` in chunks of `chunk` lines.
fn append(path: &Path, from: u64, to: u64, chunk: u64) {
    let mut f = OpenOptions::new().append(true).open(path).unwrap();
    let mut n = from;
    while n < to {
        let end = (n + chunk).min(to);
        f.write_all(&lines(n..end)).unwrap();
        n = end;
    }
}

/// Lines written during the backfill, in small chunks (each below the
/// threshold: followed the usual way), are counted after the backlog and
/// never twice: the follower reads on from the byte after the backlog's
/// last line while the pool counts it.
#[test]
fn backfill_hand_off_under_concurrent_appends_loses_and_doubles_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    const BACKLOG: u64 = 300_000;
    const MORE: u64 = 50_000;
    std::fs::write(&path, lines(0..BACKLOG)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = start(&path, 1 << 20, &rt);
    // Appended while the backlog is counted (its progress is published).
    until(&running, "the backfill to start", |s| s.backfill.is_some());
    append(&path, BACKLOG, BACKLOG + MORE, 500);
    let total = BACKLOG + MORE;
    until(&running, "every line", |s| lines_of(s) >= total);
    let last = running.stop();
    assert_eq!(lines_of(&last), total);
    assert_eq!(last.total.total.requests, total);
    assert_eq!(routes(&last), want_routes(total));
    // The backlog went to the pool; the appends were followed.
    assert!(
        last.backfilled >= BACKLOG && last.backfilled < total,
        "{} lines backfilled",
        last.backfilled
    );
}

/// The file is renamed away during the backfill, the writer goes on
/// writing to it for a while (as nginx does until told to reopen), and a
/// new file takes its path: the backlog, the lines after it in the old
/// file and the new file are each counted once.
#[test]
fn rotation_during_the_backfill_loses_and_doubles_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    const BACKLOG: u64 = 300_000;
    std::fs::write(&path, lines(0..BACKLOG)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = start(&path, 1 << 20, &rt);
    until(&running, "the backfill to start", |s| s.backfill.is_some());
    let old = dir.path().join("access.log.1");
    std::fs::rename(&path, &old).unwrap();
    // The old file gets more lines after the rename, then a new file.
    append(&old, BACKLOG, BACKLOG + 20_000, 1_000);
    std::fs::write(&path, lines(BACKLOG + 20_000..BACKLOG + 30_000)).unwrap();
    append(&path, BACKLOG + 30_000, BACKLOG + 40_000, 1_000);
    let total = BACKLOG + 40_000;
    until(&running, "every line", |s| lines_of(s) >= total);
    let last = running.stop();
    assert_eq!(lines_of(&last), total);
    assert_eq!(routes(&last), want_routes(total));
    assert!(
        last.backfilled >= BACKLOG,
        "{} lines backfilled",
        last.backfilled
    );
}

/// Arrival time (the default): a backlog's requests go into the step of
/// the merge, its histograms merged into its routes' (`record_bulk`). The
/// since-start figures are exactly `--once`'s: per route the counts,
/// statuses, methods, percentiles and latency distribution, per key every
/// counter, per input the lines and errors.
#[test]
fn arrival_time_backfill_gives_the_since_start_figures_of_once() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (file, format) in [
        ("combined_rt.log", "combined_rt"),
        ("mixed-bad.log", "combined"),
    ] {
        // A follower waits for the end of a last line that has none;
        // `--once` counts it: both read a copy whose last line is whole.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file);
        let mut bytes = std::fs::read(root.join("sample-logs").join(file)).unwrap();
        if bytes.last().is_some_and(|&b| b != b'\n') {
            bytes.push(b'\n');
        }
        std::fs::write(&path, bytes).unwrap();
        let once = {
            let mut c = Config::once(
                &[path.to_str().unwrap()],
                FormatSpec::parse(format).unwrap(),
                OutputFormat::Json,
            )
            .unwrap();
            // Bucket counters, as the live engine keeps them.
            c.export.push = Some(routetop::view::export::PushConfig {
                url: "http://127.0.0.1:9".into(),
                interval: Duration::from_secs(60),
                job: "routetop".into(),
                instance: String::new(),
            });
            routetop::once(&c).unwrap().batch.snapshot()
        };
        let mut c = Config::once(
            &[path.to_str().unwrap()],
            FormatSpec::parse(format).unwrap(),
            OutputFormat::Table,
        )
        .unwrap();
        c.mode = Mode::Follow;
        c.live.from_start = true;
        c.live.backfill_min = 0;
        let rt = tokio::runtime::Runtime::new().unwrap();
        let running = Running::start(&c, rt.handle()).unwrap();
        let want = lines_of(&once);
        until(&running, "every line", |s| lines_of(s) >= want);
        let live = running.stop();
        assert_eq!(live.backfilled, want, "{file}: all of it backfilled");
        let since = |s: &Snapshot| {
            let mut r: Vec<_> = s
                .routes
                .iter()
                .map(|r| {
                    let r = (*r).clone();
                    (r.route, r.total, r.methods, r.statuses, r.latency)
                })
                .collect();
            r.sort_by(|a, b| a.0.cmp(&b.0));
            r
        };
        assert_eq!(since(&live), since(&once), "{file}: routes");
        assert_eq!(live.total.total, once.total.total, "{file}: total");
        let keys = |s: &Snapshot| {
            let mut k = s.keys.to_vec();
            k.sort_by(|a, b| (&a.route, &a.method, a.status).cmp(&(&b.route, &b.method, b.status)));
            k
        };
        assert_eq!(keys(&live), keys(&once), "{file}: keys");
        let input = |s: &Snapshot| {
            let i = &s.inputs[0];
            (i.lines, i.requests, i.errors, i.odd)
        };
        assert_eq!(input(&live), input(&once), "{file}: lines and errors");
    }
}

/// A file a glob finds while following, already holding a backlog (moved
/// into place whole), is counted on all cores, and its later lines after.
#[test]
fn a_new_file_a_glob_finds_full_is_backfilled() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), lines(0..10)).unwrap();
    let glob = dir.path().join("*.log");
    let mut c = Config::once(
        &[glob.to_str().unwrap()],
        FormatSpec::parse("combined").unwrap(),
        OutputFormat::Table,
    )
    .unwrap();
    c.mode = Mode::Follow;
    c.live.backfill_min = 1 << 20;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&c, rt.handle()).unwrap();
    // Followed from its end: its 10 lines are not counted.
    until(&running, "the first file", |s| s.inputs.len() == 1);
    // Lines of their own: a file starting with the first one's bytes
    // would be taken for its copy (`input/paths.rs`).
    const FROM: u64 = 1_000_000;
    const BACKLOG: u64 = 100_000;
    let staged = dir.path().join("b.staged");
    std::fs::write(&staged, lines(FROM..FROM + BACKLOG)).unwrap();
    let second = dir.path().join("b.log");
    std::fs::rename(&staged, &second).unwrap();
    until(&running, "the new file's backlog", |s| {
        lines_of(s) >= BACKLOG
    });
    append(&second, FROM + BACKLOG, FROM + BACKLOG + 1_000, 100);
    let total = BACKLOG + 1_000;
    until(&running, "every line", |s| lines_of(s) >= total);
    let last = running.stop();
    assert_eq!(lines_of(&last), total);
    let mut want = BTreeMap::new();
    for i in FROM..FROM + total {
        *want.entry(route(i % ROUTES)).or_default() += 1;
    }
    assert_eq!(routes(&last), want);
    assert_eq!(last.backfilled, BACKLOG);
}

/// A compressed file read once with `--from-start` (never followed) was
/// read line by line on a thread of its own. It is a backlog too: the
/// pool decompresses and counts its whole stream, every line once, and
/// it is done after (with arrival-time windows; a log-time replay reads
/// it line by line, to fill its windows from its lines' times).
#[test]
fn a_compressed_file_read_once_is_counted_by_the_pool() {
    use routetop::config::WindowBy;
    use routetop::engine::InputState;
    const N: u64 = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.2.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&lines(0..N)).unwrap();
    gz.finish().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (by, backfilled) in [(WindowBy::Arrival, N), (WindowBy::Log, 0)] {
        let mut c = Config::once(
            &[path.to_str().unwrap()],
            FormatSpec::parse("combined").unwrap(),
            OutputFormat::Table,
        )
        .unwrap();
        c.mode = Mode::Follow;
        c.live.from_start = true;
        c.live.backfill_min = 0;
        c.live.window_by = by;
        let running = Running::start(&c, rt.handle()).unwrap();
        until(&running, "the file done", |s| {
            s.inputs
                .first()
                .is_some_and(|i| i.state == InputState::Done)
        });
        let last = running.stop();
        assert_eq!(lines_of(&last), N, "{by:?}");
        assert_eq!(routes(&last), want_routes(N), "{by:?}");
        assert_eq!(last.backfilled, backfilled, "{by:?}");
    }
}
