//! Live engine tests: events in, snapshots out.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use super::*;
use crate::engine::DEFAULT_BUCKETS;
use crate::engine::backfill::{Backfill, Backfilled, Job};
use crate::engine::event::{FileMark, InputEvent, InputState, SourceId};
use crate::engine::options::EngineConfig;
use crate::engine::snapshot::{self, Snapshot};
use crate::format::detect::SAMPLE_LINES;
use crate::format::{ErrorKind, Format, FormatSpec, Odd};
use crate::route::Router;

/// Configured inputs of the tests: one given as `combined_rt`, one `auto`.
const COMBINED_RT: usize = 0;
const AUTO: usize = 1;

fn cfg(step_ms: u64) -> LiveConfig {
    LiveConfig {
        engine: EngineConfig::new(100, 64 * 1024, &DEFAULT_BUCKETS),
        windows: vec![
            Duration::from_millis(step_ms * 6),
            Duration::from_millis(step_ms * 30),
        ],
        step: Duration::from_millis(step_ms),
        publish: Duration::from_millis(step_ms),
        series: 20,
        formats: vec![
            Some(Arc::new(
                Format::compile(&FormatSpec::Preset("combined_rt"), &[]).unwrap(),
            )),
            None,
        ],
        json: Vec::new(),
        strip: None,
        log_time: false,
        slo: Vec::new(),
        apdex_t_us: None,
    }
}

fn engine(step_ms: u64) -> LiveEngine {
    LiveEngine::new(cfg(step_ms), Arc::new(Router::new(&[], true).unwrap()))
}

/// `n` combined_rt lines for `path`, status and latency in ms.
fn lines(n: usize, path: &str, status: u16, ms: u64) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        v.extend_from_slice(
            format!(
                "10.0.0.{} - - [10/Mar/2024:00:00:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 100 \"-\" \"t\" {}.{:03}\n",
                i % 250,
                i % 60,
                ms / 1000,
                ms % 1000
            )
            .as_bytes(),
        );
    }
    v
}

fn added(e: &mut LiveEngine, source: SourceId, input: usize) {
    e.handle(InputEvent::Added {
        source,
        name: format!("log{source}"),
        input,
    });
}

fn route<'a>(s: &'a Snapshot, name: &str) -> &'a snapshot::RouteSnap {
    s.routes
        .iter()
        .find(|r| &*r.route == name)
        .unwrap_or_else(|| panic!("no route {name}"))
}

#[test]
fn counts_windows_and_series_are_exact() {
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(30, "/api/users/7", 200, 5),
    });
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(10, "/api/users/8", 503, 250),
    });
    e.tick();
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(5, "/health", 200, 0),
    });
    e.tick();
    let s = e.snapshot();
    assert_eq!(s.total.total.requests, 45);
    assert_eq!(s.inputs[0].lines, 45);
    assert_eq!(s.inputs[0].format.as_deref(), Some("combined_rt"));
    let users = route(&s, "/api/users/:id");
    assert_eq!(users.total.requests, 40);
    assert_eq!(users.total.classes[5], 10);
    assert_eq!(&*users.statuses, &[(200, 30), (503, 10)]);
    // 30 × 5 ms and 10 × 250 ms: p50 5 ms, p90 250 ms (exact while small).
    assert_eq!(users.total.q_us[0], 5_000);
    assert_eq!(users.total.q_us[1], 250_000);
    assert_eq!(users.total.lat_max_us, 250_000);
    // Windows: 6-step window covers the 2 closed steps.
    let w = &users.windows[0];
    assert_eq!((w.row.requests, w.covered), (40, Duration::from_secs(2)));
    assert_eq!(w.rate, 20.0);
    // Series: last 20 steps, users only in step 0 → position 18 of 20.
    assert_eq!(users.series.requests.len(), 20);
    assert_eq!(users.series.requests[18], 40);
    assert_eq!(users.series.errors_5xx[18], 10);
    assert_eq!(s.total.series.requests[19], 5);
    assert_eq!(route(&s, "/health").total.q_us, [0; 4]);
    // Keys carry exact bucket counts: 5 ms → le 0.005, 250 ms → le 0.25.
    let k = s.keys.iter().find(|k| k.status == 503).unwrap();
    assert_eq!(k.count, 10);
    assert_eq!(k.buckets[5], 10);
    assert_eq!(
        s.keys
            .iter()
            .find(|k| k.status == 200 && &*k.route == "/api/users/:id")
            .unwrap()
            .buckets[0],
        30
    );
}

#[test]
fn auto_inputs_hold_lines_until_detected_and_lose_none() {
    let mut e = engine(1000);
    added(&mut e, 0, AUTO);
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(3, "/a", 200, 1),
    });
    let s = e.snapshot();
    assert_eq!(s.inputs[0].format, None, "3 lines are not enough to decide");
    assert_eq!(s.total.total.requests, 0);
    // Enough lines arrive: detected, and the held ones are counted too.
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(SAMPLE_LINES, "/a", 200, 1),
    });
    e.tick();
    let s = e.snapshot();
    assert_eq!(s.inputs[0].format.as_deref(), Some("combined_rt"));
    assert_eq!(s.total.total.requests, 3 + SAMPLE_LINES as u64);
}

/// A log that starts with lines no format fits: once they can decide
/// (a full sample), they are counted as unparsed, blank ones as blank, and
/// the lines after them are detected and counted.
#[test]
fn junk_first_lines_are_counted_and_the_rest_is_read() {
    let mut e = engine(1000);
    added(&mut e, 0, AUTO);
    let mut junk = Vec::new();
    for i in 0..SAMPLE_LINES {
        junk.extend_from_slice(format!("startup message {i}\n").as_bytes());
    }
    junk.extend_from_slice(b"\n\n");
    e.handle(InputEvent::Lines {
        source: 0,
        data: junk,
    });
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(5, "/a", 200, 1),
    });
    e.handle(InputEvent::State {
        source: 0,
        state: InputState::Done,
    });
    let s = e.snapshot();
    let i = &s.inputs[0];
    assert_eq!(i.format.as_deref(), Some("combined_rt"));
    assert_eq!(i.lines, SAMPLE_LINES as u64 + 2 + 5);
    assert_eq!(i.requests, 5);
    assert_eq!(i.errors[ErrorKind::NoMatch.index()], SAMPLE_LINES as u64);
    assert_eq!(i.errors[ErrorKind::Empty.index()], 2);
    assert_eq!(s.total.total.requests, 5);
}

#[test]
fn a_closed_input_is_detected_from_what_it_sent() {
    let mut e = engine(1000);
    added(&mut e, 0, AUTO);
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(2, "/a", 200, 1),
    });
    e.handle(InputEvent::State {
        source: 0,
        state: InputState::Done,
    });
    let s = e.snapshot();
    assert_eq!(
        (s.total.total.requests, s.inputs[0].state.clone()),
        (2, InputState::Done)
    );
}

/// Follow mode counts odd values as `--once` does: a bad timer or
/// timestamp per input, the request counted; a status that is not three
/// digits a bad value; `000` and `600` statuses counted.
#[test]
fn live_counts_bad_timer_and_bad_time_per_input() {
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    let line = |st: &str, rt: &str, time: &str| {
        format!("1.2.3.4 - - [{time}] \"GET /a HTTP/1.1\" {st} 100 \"-\" \"t\" {rt}\n")
    };
    let ok = "10/Mar/2024:00:00:00 +0000";
    let data = [
        line("200", "0.005", ok),
        line("000", "10", ok),
        line("600", "nan", ok),
        line("200", "-0.001", ok),
        line("200", "0.005", "10/Foo/2024:00:00:00 +0000"),
        line("20", "0.005", ok),
    ]
    .concat();
    e.handle(InputEvent::Lines {
        source: 0,
        data: data.into_bytes(),
    });
    let s = e.snapshot();
    let i = &s.inputs[0];
    assert_eq!((i.lines, i.requests), (6, 5));
    assert_eq!(i.errors[ErrorKind::BadValue.index()], 1);
    assert_eq!(i.odd[Odd::BadTimer.index()], 2);
    assert_eq!(i.odd[Odd::BadTime.index()], 1);
    let t = &s.total.total;
    assert_eq!(
        (t.requests, t.timed, t.classes[0], t.classes[2]),
        (5, 3, 2, 3)
    );
    assert_eq!(t.lat_sum_us, 10_010_000);
}

#[test]
fn undetectable_lines_are_counted_not_dropped() {
    let mut e = engine(1000);
    added(&mut e, 0, AUTO);
    e.handle(InputEvent::Lines {
        source: 0,
        data: b"garbage one\n\xff\xfe binary\n".to_vec(),
    });
    e.handle(InputEvent::State {
        source: 0,
        state: InputState::Done,
    });
    let s = e.snapshot();
    let i = &s.inputs[0];
    assert_eq!((i.lines, i.requests, i.error_total()), (2, 0, 2));
    assert_eq!(i.samples[0].line_no, 1);
    assert_eq!(i.samples[1].line_no, 2);
    assert_eq!(i.samples[1].text, "\u{FFFD}\u{FFFD} binary");
}

#[test]
fn bad_lines_keep_their_line_numbers_between_good_ones() {
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    let mut data = lines(2, "/a", 200, 1);
    data.extend_from_slice(b"oops\n");
    data.extend(lines(1, "/a", 200, 1));
    e.handle(InputEvent::Lines { source: 0, data });
    e.handle(InputEvent::Oversized {
        source: 0,
        head: b"x".repeat(10),
        len: 2_000_000,
    });
    let s = e.snapshot();
    let i = &s.inputs[0];
    assert_eq!((i.lines, i.requests), (5, 3));
    assert_eq!(i.samples[0].line_no, 3);
    assert!(
        i.samples[0].why.contains("expected"),
        "{}",
        i.samples[0].why
    );
    assert_eq!((i.samples[1].line_no, i.samples[1].len), (5, 2_000_000));
}

/// Regression: the dashboard's reset zeroed the engine's counters, so
/// `/metrics` went backwards (`http_requests_total` 2000 → 1,
/// `routetop_lines_read_total` 2001 → 1). Reset is a view epoch: the
/// since-start figures and the input accounting go on counting, and the
/// snapshot carries the figures since the reset beside them, exact.
#[test]
fn reset_is_a_view_epoch_and_the_counters_keep_counting() {
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(7, "/a", 200, 900),
    });
    e.handle(InputEvent::Lines {
        source: 0,
        data: b"junk\n".to_vec(),
    });
    e.tick();
    e.reset();
    let s = e.snapshot();
    let r = s.reset.as_ref().expect("since-reset figures");
    assert_eq!((r.total.total.requests, r.routes.len()), (0, 0));
    assert_eq!((r.inputs[0].lines, r.inputs[0].error_total()), (0, 0));
    assert_eq!(r.inputs[0].samples, vec![]);
    e.handle(InputEvent::Lines {
        source: 0,
        data: [lines(2, "/b", 200, 3), lines(1, "/a", 503, 7)].concat(),
    });
    e.handle(InputEvent::Lines {
        source: 0,
        data: b"more junk\n".to_vec(),
    });
    e.tick();
    let s = e.snapshot();
    // Since start, for /metrics and every other view: nothing forgotten.
    assert_eq!(s.total.total.requests, 10);
    assert_eq!((s.inputs[0].lines, s.inputs[0].error_total()), (12, 2));
    assert_eq!(s.routes.len(), 2);
    assert_eq!(s.keys.iter().map(|k| k.count).sum::<u64>(), 10);
    assert_eq!(s.total.total.lat_max_us, 900_000);
    // Since the reset, for the dashboard: exactly what came after.
    let r = s.reset.as_ref().expect("since-reset figures");
    let t = &r.total.total;
    assert_eq!((t.requests, t.classes[2], t.classes[5]), (3, 2, 1));
    assert_eq!((t.bytes, t.timed, t.lat_sum_us), (300, 3, 13_000));
    assert_eq!(t.lat_max_us, 7_000);
    assert_eq!(r.total.windows[0].row.requests, 3);
    assert_eq!(&*r.total.statuses, &[(200, 2), (503, 1)]);
    let a = r.routes.iter().find(|x| &*x.route == "/a").unwrap();
    assert_eq!((a.total.requests, a.total.lat_max_us), (1, 7_000));
    assert_eq!(&*a.statuses, &[(503, 1)]);
    assert_eq!(&*a.methods, &[(Arc::from("GET"), 1)]);
    let b = r.routes.iter().find(|x| &*x.route == "/b").unwrap();
    assert_eq!((b.total.requests, b.total.q_us[3]), (2, 3_000));
    assert_eq!(r.routes.len(), 2);
    let i = &r.inputs[0];
    assert_eq!((i.lines, i.requests, i.error_total()), (4, 3, 1));
    assert_eq!(
        i.samples.len(),
        1,
        "only the bad line read since: {:?}",
        i.samples
    );
    assert_eq!(i.samples[0].line_no, 12);
    // The dashboard's view of the snapshot: since-reset parts in place.
    let shown = r.apply(&s);
    assert_eq!(shown.total.total.requests, 3);
    assert_eq!(shown.keys, s.keys);
    assert_eq!(shown.reset, None);
}

#[test]
fn log_time_windows_follow_the_log_clock() {
    let mut c = cfg(1000);
    c.log_time = true;
    let mut e = LiveEngine::new(c, Arc::new(Router::new(&[], true).unwrap()));
    added(&mut e, 0, COMBINED_RT);
    // 60 lines spread over log seconds 0..59: one step each.
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(60, "/a", 200, 1),
    });
    e.tick(); // wall-clock ticks do not close log-time steps
    let s = e.snapshot();
    // Steps 0..=58 are closed by later lines; the 6-step window holds the
    // six steps 53..=58.
    assert_eq!(s.routes[0].windows[0].row.requests, 6);
    assert_eq!(s.routes[0].windows[0].covered, Duration::from_secs(6));
    assert_eq!(s.routes[0].total.requests, 60);
}

#[test]
fn the_loop_publishes_and_ends_with_a_final_snapshot() {
    let e = engine(20);
    let (tx, rx) = std::sync::mpsc::sync_channel(16);
    let (_ctx, crx) = std::sync::mpsc::channel();
    let (ptx, mut prx) = watch::channel(Arc::new(Snapshot::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let h = std::thread::spawn(move || run(e, rx, crx, ptx, stop, None));
    tx.send(InputEvent::Added {
        source: 0,
        name: "x".into(),
        input: COMBINED_RT,
    })
    .unwrap();
    for _ in 0..10 {
        tx.send(InputEvent::Lines {
            source: 0,
            data: lines(100, "/a", 200, 1),
        })
        .unwrap();
    }
    // A snapshot is published within a few steps, without any reader asking.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), prx.changed()).await })
        .expect("published")
        .unwrap();
    drop(tx);
    let last = h.join().unwrap();
    assert_eq!(last.total.total.requests, 1000);
    assert_eq!(prx.borrow().total.total.requests, 1000);
    assert!(last.seq >= 1);
}

/// A combined_rt line for `path` logged `sec` seconds after
/// 2024-03-10T00:00:00Z ([`MARCH_10`]), taking `ms`.
fn line_at(sec: u64, path: &str, ms: u64) -> Vec<u8> {
    format!(
        "10.0.0.1 - - [10/Mar/2024:{:02}:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 200 100 \"-\" \"t\" {}.{:03}\n",
        sec / 3600,
        sec / 60 % 60,
        sec % 60,
        ms / 1000,
        ms % 1000
    )
    .into_bytes()
}

/// 2024-03-10T00:00:00Z, Unix seconds.
const MARCH_10: i64 = 1_710_028_800;

fn log_time_engine() -> LiveEngine {
    let mut c = cfg(1000);
    c.log_time = true;
    let mut e = LiveEngine::new(c, Arc::new(Router::new(&[], true).unwrap()));
    added(&mut e, 0, COMBINED_RT);
    e
}

/// Issue 17, finding 1: replayed with `--window-by log`, the since-start
/// rate was the count over wall-clock time since routetop started (44.4,
/// then 34.5, then 31.2 req/s for what `--once` calls 4.18/s). With log
/// time it is the count over the log's span, by the report's own function.
#[test]
fn since_start_rate_under_log_time_is_the_reports_rate() {
    let mut e = log_time_engine();
    let mut data = Vec::new();
    // 30 requests to /a and 10 to /b over log seconds 0..=479 (480 s).
    for i in 0..30 {
        data.extend(line_at(i * 16, "/a", 5));
    }
    for i in 0..10 {
        data.extend(line_at(479 - i, "/b", 5));
    }
    e.handle(InputEvent::Lines { source: 0, data });
    e.tick();
    let s = e.snapshot();
    assert_eq!(s.clock, snapshot::Clock::Log);
    assert_eq!(s.span, Some((MARCH_10, MARCH_10 + 479)));
    assert_eq!(s.since_start_rate(40), Some(40.0 / 480.0));
    assert_eq!(
        s.since_start_rate(route(&s, "/a").total.requests),
        crate::engine::summary::rate_over_span(30, s.span)
    );
    assert_eq!(s.since_start_rate(30), Some(30.0 / 480.0));
    // Arrival time: over the time since counting began.
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    e.handle(InputEvent::Lines {
        source: 0,
        data: line_at(0, "/a", 5),
    });
    let s = e.snapshot();
    assert_eq!(s.clock, snapshot::Clock::Arrival);
    let r = s.since_start_rate(1).expect("some time has passed");
    assert_eq!(r, 1.0 / s.uptime.as_secs_f64());
    // A reset is the dashboard's: the engine's since-start time goes on.
    if let Some(long_ago) = Instant::now().checked_sub(Duration::from_secs(100)) {
        e.started = long_ago;
        e.reset();
        assert!(e.snapshot().uptime >= Duration::from_secs(100));
    }
}

/// Issue 17, finding 2, as the dashboard showed it: in one window `/faq`
/// had 3 requests at 0.17/s and `/logout` 5 at 0.10/s, each route's count
/// divided by the time since its own first hit. Every route of a window is
/// now divided by the same time, and the total by it too.
#[test]
fn window_rates_in_one_window_are_proportional_to_counts() {
    let mut e = log_time_engine();
    let mut data = Vec::new();
    // Log seconds 0..=100 (the 6-step window, slices of 1 step).
    for sec in 0..=100 {
        let path = match sec {
            95 | 97 | 99 => "/faq",
            90..=94 => "/logout",
            _ => "/other",
        };
        data.extend(line_at(sec, path, 5));
    }
    e.handle(InputEvent::Lines { source: 0, data });
    let s = e.snapshot();
    // Steps 94..=99 are in the window (step 100 is still open).
    let six = Duration::from_secs(6);
    let faq = &route(&s, "/faq").windows[0];
    let logout = &route(&s, "/logout").windows[0];
    assert_eq!((faq.row.requests, faq.covered, faq.rate), (3, six, 0.5));
    assert_eq!(
        (logout.row.requests, logout.covered, logout.rate),
        (1, six, 1.0 / 6.0)
    );
    let total = &s.total.windows[0];
    assert_eq!(
        (total.row.requests, total.covered, total.rate),
        (6, six, 1.0)
    );
    assert!(!total.filling);
    // The 30-step window (slices of 5 steps) holds steps 70..=99.
    let long = &route(&s, "/logout").windows[1];
    assert_eq!(
        (long.row.requests, long.covered),
        (5, Duration::from_secs(30))
    );
    assert_eq!(long.rate, 5.0 / 30.0);
}

/// Issue 17, finding 4: under `--window-by log` the drill-down's
/// "Latency distribution (since start)" lost the newest request (the last
/// log second's step never closes): 29 of 30 shown. Every request counted
/// is in the since-start distribution and quantiles, in both time modes.
#[test]
fn drill_down_since_start_keeps_the_newest_request() {
    for log_time in [true, false] {
        let mut e = if log_time {
            log_time_engine()
        } else {
            let mut e = engine(1000);
            added(&mut e, 0, COMBINED_RT);
            e
        };
        let mut data = Vec::new();
        for i in 0..29 {
            data.extend(line_at(i, "/api/x", 5));
        }
        data.extend(line_at(470, "/api/x", 24));
        e.handle(InputEvent::Lines { source: 0, data });
        let s = e.snapshot();
        let r = route(&s, "/api/x");
        assert_eq!(r.total.requests, 30, "log time {log_time}");
        assert_eq!(
            &*r.latency,
            &[(4_096, 8_191, 29), (16_384, 32_767, 1)],
            "log time {log_time}"
        );
        assert_eq!(r.total.q_us, [5_000, 5_000, 24_000, 24_000]);
        assert_eq!(s.total.latency.iter().map(|b| b.2).sum::<u64>(), 30);
    }
}

/// Issue 17, finding 6: replaying a 2024 log showed `lag 1000d11h` and
/// exported it as `routetop_ingest_lag_seconds`. Lines logged more than a
/// minute before routetop started, or any line under `--window-by log`,
/// are a replay: no lag. Lines logged since are live: their lag is the
/// delay between logging and reading.
#[test]
fn replay_is_not_lag() {
    let at = |secs: i64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64);
    // Started 61 s after the newest line (log second 10): a replay.
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    e.started_wall = at(MARCH_10 + 71);
    e.handle(InputEvent::Lines {
        source: 0,
        data: [line_at(0, "/a", 5), line_at(10, "/a", 5)].concat(),
    });
    let s = e.snapshot();
    assert!(s.replay);
    assert_eq!(
        (s.ingest_lag, s.span),
        (None, Some((MARCH_10, MARCH_10 + 10)))
    );
    // A line logged within the minute before the start is live: its lag is
    // the time from then to now.
    e.handle(InputEvent::Lines {
        source: 0,
        data: line_at(11, "/a", 5),
    });
    let s = e.snapshot();
    assert!(!s.replay);
    let lag = s.ingest_lag.expect("live lines have a lag");
    let since = SystemTime::now().duration_since(at(MARCH_10 + 11)).unwrap();
    assert!(
        lag <= since && since - lag < Duration::from_secs(60),
        "{lag:?}"
    );
    // Log time: always a replay.
    let mut e = log_time_engine();
    e.started_wall = at(MARCH_10);
    e.handle(InputEvent::Lines {
        source: 0,
        data: line_at(0, "/a", 5),
    });
    let s = e.snapshot();
    assert!(s.replay);
    assert_eq!(s.ingest_lag, None);
}

/// Regression: after `r` `y` the dashboard showed the old counts until a
/// new line arrived (the reset published nothing). The reset is published
/// at once, with no line after it: steps here are a minute long, so only
/// the reset can publish.
#[test]
fn reset_is_published_without_waiting_for_a_line() {
    let mut c = cfg(60_000);
    c.publish = Duration::from_millis(50);
    let e = LiveEngine::new(c, Arc::new(Router::new(&[], true).unwrap()));
    let (tx, rx) = std::sync::mpsc::sync_channel(16);
    let (ctx, crx) = std::sync::mpsc::channel();
    let (ptx, mut prx) = watch::channel(Arc::new(Snapshot::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let h = std::thread::spawn(move || run(e, rx, crx, ptx, s, None));
    tx.send(InputEvent::Added {
        source: 0,
        name: "x".into(),
        input: COMBINED_RT,
    })
    .unwrap();
    tx.send(InputEvent::Lines {
        source: 0,
        data: lines(5, "/a", 200, 1),
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut wait_for = |what: &str, f: &dyn Fn(&Snapshot) -> bool| {
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(20), async {
                while !f(&prx.borrow_and_update()) {
                    prx.changed().await.unwrap();
                }
            })
            .await
        })
        .unwrap_or_else(|_| panic!("never published: {what}"));
    };
    wait_for("the lines", &|s| s.total.total.requests == 5);
    ctx.send(Control::Reset).unwrap();
    wait_for("the reset", &|s| {
        s.reset
            .as_ref()
            .is_some_and(|r| r.total.total.requests == 0)
    });
    let last = prx.borrow().clone();
    assert_eq!(last.total.total.requests, 5, "counters keep counting");
    stop.store(true, std::sync::atomic::Ordering::Release);
    drop(tx);
    h.join().unwrap();
}

/// A pool that counts nothing, at once.
struct Instant0;

impl Backfill for Instant0 {
    fn run(&self, _: Job) -> Backfilled {
        Backfilled::default()
    }
}

fn backlog(source: SourceId, file: &tempfile::NamedTempFile) -> InputEvent {
    InputEvent::Backlog {
        source,
        file: Arc::new(file.reopen().unwrap()),
        path: file.path().to_path_buf(),
        from: 0,
        to: 100,
        at: FileMark {
            file: (0, 0),
            end: 100,
            fp: Vec::new(),
        },
        compressed: false,
    }
}

/// Waits for the backlog being counted to be done.
fn count_backlog(e: &mut LiveEngine) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while e.backfilling() {
        assert!(std::time::Instant::now() < deadline, "backlog not done");
        e.pump_backfill(Duration::from_millis(10));
    }
}

/// Regression: a glob's full files, each a backlog sent together, were
/// counted one after another with the table published between them for
/// a moment. The events queued behind a backlog are applied before its
/// end is published: the next backlog's progress is what views see, and
/// says which of the row it is; the table only once none is queued.
#[test]
fn backlogs_queued_together_show_progress_without_the_table_between() {
    let mut e = engine(20);
    e.set_backfill(Arc::new(Instant0));
    let f = tempfile::NamedTempFile::new().unwrap();
    for s in 0..3 {
        added(&mut e, s, COMBINED_RT);
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(8);
    tx.send(backlog(1, &f)).unwrap();
    tx.send(backlog(2, &f)).unwrap();
    e.handle(backlog(0, &f));
    assert_eq!(e.snapshot().backfill.map(|b| b.earlier), Some(0));
    for (name, earlier) in [("log1", 1), ("log2", 2)] {
        count_backlog(&mut e);
        assert!(e.after_backfill(&rx, Duration::from_secs(5)));
        let b = e
            .snapshot()
            .backfill
            .expect("the next backlog, not the table");
        assert_eq!((b.name.as_str(), b.earlier), (name, earlier));
    }
    count_backlog(&mut e);
    assert!(e.after_backfill(&rx, Duration::from_secs(5)));
    assert_eq!(e.snapshot().backfill, None, "none queued: the table");
    // A later backlog starts a row of its own.
    tx.send(backlog(0, &f)).unwrap();
    assert!(e.after_backfill(&rx, Duration::from_secs(5)));
    assert_eq!(e.snapshot().backfill.map(|b| b.earlier), Some(0));
    drop(tx);
    count_backlog(&mut e);
    assert!(!e.after_backfill(&rx, Duration::from_secs(5)), "closed");
}
