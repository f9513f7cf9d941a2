//! Live figures of a replay against `--once` (issue 17, findings 1, 2, 4
//! and 6): `sample-logs/combined_rt.log` (2 000 requests over 7m59s of log
//! time) replayed with `--from-start`, in-process through `run::Running`
//! and through the real binary with `--metrics`.

mod net;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use routetop::config::{Config, Mode, OutputFormat, WindowBy};
use routetop::engine::snapshot::{Clock, Snapshot};
use routetop::format::FormatSpec;
use routetop::run::{BatchReport, Running};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/combined_rt.log");

fn config(window_by: WindowBy) -> Config {
    let mut c = Config::once(&[SAMPLE], FormatSpec::Auto, OutputFormat::Table).unwrap();
    c.mode = Mode::Follow;
    c.live.from_start = true;
    c.live.window_by = window_by;
    c
}

/// The `--once` report of the sample and the live engine's snapshot once
/// it has counted every line of it.
fn once_and_replay(window_by: WindowBy) -> (BatchReport, Arc<Snapshot>) {
    let once = routetop::once(&config(window_by)).unwrap();
    assert_eq!(once.summary.totals.requests, 2000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config(window_by), rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    let snap = loop {
        let s = rx.borrow_and_update().clone();
        if s.total.total.requests == 2000 {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "timed out: {} requests",
            s.total.total.requests
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    running.stop();
    (once, snap)
}

/// Finding 1: replayed with `--window-by log`, the since-start rate was the
/// count over wall-clock time (44.4, 34.5, 31.2 req/s as time passed;
/// `/api/v1/tickets/:id/comments` "total 0.97 req/s") where `--once` says
/// 4.18/s (0.06/s). Every since-start rate is now the report's.
#[test]
fn since_start_rate_with_window_by_log_is_the_reports_rate() {
    let (once, s) = once_and_replay(WindowBy::Log);
    let sum = &once.summary;
    assert_eq!(s.clock, Clock::Log);
    assert_eq!(s.span, sum.span);
    assert_eq!(sum.rate(2000), Some(2000.0 / 479.0));
    assert_eq!(s.since_start_rate(s.total.total.requests), sum.rate(2000));
    assert_eq!(s.routes.len(), sum.routes.len());
    for want in &sum.routes {
        let got = s
            .routes
            .iter()
            .find(|r| r.route == want.route)
            .unwrap_or_else(|| panic!("no live route {}", want.route));
        assert_eq!(got.total.requests, want.row.requests, "{}", want.route);
        assert_eq!(
            s.since_start_rate(got.total.requests),
            sum.rate(want.row.requests),
            "{}",
            want.route
        );
    }
}

/// Finding 2: in the 1m window `/faq` showed 3 requests at 0.17/s and
/// `/logout` 5 at 0.10/s (each route over the time since its own first
/// request in the window). Every route of a window, and the total, is over
/// the same time, so rates follow counts.
#[test]
fn window_rates_of_a_replay_follow_counts() {
    let (_, s) = once_and_replay(WindowBy::Log);
    for (i, total) in s.total.windows.iter().enumerate() {
        // The replay ends 479 s of log time in: both windows are full.
        assert!(!total.filling, "window {i}");
        assert!(total.covered > total.length * 5 / 6 && total.covered <= total.length);
        assert_eq!(
            total.rate,
            total.row.requests as f64 / total.covered.as_secs_f64()
        );
        let mut in_window = 0;
        for r in &s.routes {
            // A route with no traffic in any window has no window rows.
            let Some(w) = r.windows.get(i) else { continue };
            assert_eq!(w.covered, total.covered, "{} window {i}", r.route);
            assert_eq!(
                w.rate,
                w.row.requests as f64 / total.covered.as_secs_f64(),
                "{} window {i}",
                r.route
            );
            in_window += w.row.requests;
        }
        assert_eq!(in_window, total.row.requests, "window {i}");
    }
}

/// Finding 4: under `--window-by log` the drill-down's "Latency
/// distribution (since start)" lost the newest request (29 of a route's 30
/// shown). Every route's since-start distribution holds every timed
/// request, and its percentiles are the report's, in both time modes.
#[test]
fn drill_down_since_start_keeps_the_newest_request() {
    for window_by in [WindowBy::Log, WindowBy::Arrival] {
        let (once, s) = once_and_replay(window_by);
        for want in &once.summary.routes {
            let got = s.routes.iter().find(|r| r.route == want.route).unwrap();
            let shown: u64 = got.latency.iter().map(|b| b.2).sum();
            assert_eq!(
                (shown, got.total.timed),
                (want.row.timed, want.row.timed),
                "{} {window_by:?}",
                want.route
            );
            assert_eq!(
                got.total.q_us, want.row.q_us,
                "{} {window_by:?}",
                want.route
            );
            assert_eq!(got.total.lat_max_us, want.row.lat_max_us);
        }
        let shown: u64 = s.total.latency.iter().map(|b| b.2).sum();
        assert_eq!(shown, once.summary.totals.timed);
        assert_eq!(s.total.total.q_us, once.summary.totals.q_us);
    }
}

/// Finding 6: replaying a 2024 log showed `lag 1000d11h` and exported
/// `routetop_ingest_lag_seconds 86439825`. A replay (here: lines logged
/// long before routetop started, without `--window-by log`) has no lag:
/// the snapshot says "replay", and `/metrics` has no lag sample.
#[test]
fn a_replay_is_not_lag() {
    let (_, s) = once_and_replay(WindowBy::Arrival);
    assert!(s.replay);
    assert_eq!(s.ingest_lag, None);
    assert_eq!(s.span.map(|(_, last)| last), Some(1_710_029_278)); // 00:07:58

    let port = net::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let _rt = net::Proc::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_routetop")).args([
            "--headless",
            "--from-start",
            "--metrics",
            &addr.to_string(),
            SAMPLE,
        ]),
        "routetop",
    );
    let read_all = format!("routetop_lines_read_total{{source=\"{SAMPLE}\"}} 2000\n");
    let body = net::wait_for(Duration::from_secs(30), || {
        net::get(addr, "/metrics", &[])
            .ok()
            .map(|r| r.body)
            .filter(|b| b.contains(&read_all))
    })
    .expect("every line read and exported");
    assert!(
        !body
            .lines()
            .any(|l| l.starts_with("routetop_ingest_lag_seconds")),
        "{body}"
    );
    if net::which("promtool").is_some() {
        net::promtool_check_metrics(&body);
    }
}
