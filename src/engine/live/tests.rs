//! Live engine tests: events in, snapshots out.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::*;
use crate::engine::DEFAULT_BUCKETS;
use crate::format::detect::SAMPLE_LINES;
use crate::format::{ErrorKind, FormatSpec, Odd};

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
        log_time: false,
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

#[test]
fn reset_forgets_counts_but_keeps_inputs() {
    let mut e = engine(1000);
    added(&mut e, 0, COMBINED_RT);
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(7, "/a", 200, 1),
    });
    e.tick();
    e.reset();
    e.handle(InputEvent::Lines {
        source: 0,
        data: lines(2, "/b", 200, 1),
    });
    e.tick();
    let s = e.snapshot();
    assert_eq!(s.total.total.requests, 2);
    assert_eq!(s.routes.len(), 1);
    assert_eq!(s.inputs[0].format.as_deref(), Some("combined_rt"));
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
    let h = std::thread::spawn(move || run(e, rx, crx, ptx, stop));
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
