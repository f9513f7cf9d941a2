//! Saved state: what one engine saves, another restores, figure for figure;
//! and the marks that say how far each file was counted.

use std::sync::Arc;
use std::time::Duration;

use super::engine::Source;
use super::*;
use crate::engine::DEFAULT_BUCKETS;
use crate::engine::event::{FileMark, InputEvent};
use crate::engine::options::EngineConfig;
use crate::engine::persist::Saved;
use crate::engine::snapshot::Snapshot;
use crate::format::{Format, FormatSpec};
use crate::route::Router;

fn cfg() -> LiveConfig {
    LiveConfig {
        engine: EngineConfig::new(100, 64 * 1024, &DEFAULT_BUCKETS),
        windows: vec![Duration::from_secs(6), Duration::from_secs(30)],
        step: Duration::from_secs(1),
        publish: Duration::from_secs(1),
        series: 20,
        formats: vec![
            Some(Arc::new(
                Format::compile(&FormatSpec::Preset("combined_rt"), &[]).unwrap(),
            )),
            None,
        ],
        json: Vec::new(),
        log_time: false,
        slo: Vec::new(),
        apdex_t_us: None,
        strip: None,
    }
}

fn engine() -> LiveEngine {
    LiveEngine::new(cfg(), Arc::new(Router::new(&[], true).unwrap()))
}

fn line(i: usize, path: &str, status: u16, us: u64) -> String {
    format!(
        "10.0.0.{} - - [10/Mar/2024:00:{:02}:{:02} +0000] \"POST {path} HTTP/1.1\" {status} {} \"-\" \"t\" {}.{:06}\n",
        i % 250,
        i / 60 % 60,
        i % 60,
        100 + i,
        us / 1_000_000,
        us % 1_000_000
    )
}

fn mark(file: u64, end: u64, fp: &[u8]) -> FileMark {
    FileMark {
        file: (1, file),
        end,
        fp: fp.to_vec(),
    }
}

/// The since-start parts of a snapshot, which saved state must carry.
fn since(s: &Snapshot) -> String {
    let mut routes: Vec<String> = s
        .routes
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?}",
                r.route, r.total, r.methods, r.statuses, r.sources, r.latency
            )
        })
        .collect();
    routes.sort();
    let inputs: Vec<String> = s
        .inputs
        .iter()
        .map(|i| {
            let samples: Vec<_> = i.samples.iter().map(|b| (b.line_no, &b.text)).collect();
            format!(
                "{} {} {} {} {:?} {:?} {:?} {}",
                i.source, i.name, i.lines, i.requests, i.errors, i.odd, samples, i.rotations
            )
        })
        .collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{routes:#?}\n{inputs:#?}",
        s.total.total, s.total.latency, s.keys, s.span
    )
}

#[test]
fn restored_engine_shows_every_since_start_figure_of_the_saved_one() {
    let mut a = engine();
    a.handle(InputEvent::Added {
        source: 0,
        name: "web".into(),
        input: 0,
    });
    a.handle(InputEvent::Added {
        source: 3,
        name: "api".into(),
        input: 0,
    });
    // Enough latencies for HDR histograms, odd statuses, bad lines, an
    // unusual method, and requests in the open step.
    let mut data = String::new();
    for i in 0..3000 {
        let (path, status) = match i % 7 {
            0 => ("/api/users/1", 503),
            1 | 2 => ("/api/users/2", 200),
            3 => ("/health", 204),
            _ => ("/static/app.js", 304),
        };
        data.push_str(&line(i, path, status, 137 * (i as u64 % 5000) + 11));
    }
    data.push_str("garbage line\n");
    a.handle(InputEvent::Lines {
        source: 0,
        data: data.into_bytes(),
    });
    a.tick();
    a.handle(InputEvent::Lines {
        source: 3,
        data: line(5, "/api/items/9", 200, 4200)
            .replace("POST", "PROPFIND")
            .into_bytes(),
    });
    a.handle(InputEvent::Rotated { source: 3 });
    let before = a.snapshot();
    let saved = Saved::decode(&a.save().encode()).unwrap();

    let mut b = engine();
    b.restore(&saved).unwrap();
    let after = b.snapshot();
    assert_eq!(since(&after), since(&before));
    assert_eq!(before.total.total.requests, 3001);
    // Counting goes on from there.
    b.handle(InputEvent::Added {
        source: 0,
        name: "web".into(),
        input: 0,
    });
    b.handle(InputEvent::Lines {
        source: 0,
        data: line(1, "/health", 204, 500).into_bytes(),
    });
    assert_eq!(b.snapshot().total.total.requests, 3002);
}

#[test]
fn state_with_other_buckets_is_refused() {
    let mut a = engine();
    let mut saved = a.save();
    saved.bounds_us.push(99_000_000);
    assert!(engine().restore(&saved).unwrap_err().contains("--buckets"));
}

#[test]
fn lower_route_cap_folds_restored_routes_into_the_overflow() {
    let mut a = engine();
    a.handle(InputEvent::Added {
        source: 0,
        name: "web".into(),
        input: 0,
    });
    let data: String = (0..40)
        .map(|i| line(i, &format!("/r{}", i % 4), 200, 1000))
        .collect();
    a.handle(InputEvent::Lines {
        source: 0,
        data: data.into_bytes(),
    });
    let saved = a.save();
    let mut c = cfg();
    c.engine = EngineConfig::new(2, 64 * 1024, &DEFAULT_BUCKETS);
    let mut b = LiveEngine::new(c, Arc::new(Router::new(&[], true).unwrap()));
    b.restore(&saved).unwrap();
    let s = b.snapshot();
    assert_eq!(s.total.total.requests, 40);
    let mut got: Vec<(String, u64)> = s
        .routes
        .iter()
        .map(|r| (r.route.to_string(), r.total.requests))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("(overflow)".into(), 20),
            ("/r0".into(), 10),
            ("/r1".into(), 10)
        ]
    );
}

#[test]
fn marks_of_lines_held_for_detection_commit_only_once_they_are_counted() {
    let mut e = engine();
    e.handle(InputEvent::Added {
        source: 0,
        name: "auto".into(),
        input: 1,
    });
    let junk = b"junk one\njunk two\n".to_vec();
    e.handle(InputEvent::Lines {
        source: 0,
        data: junk.clone(),
    });
    e.handle(InputEvent::Mark {
        source: 0,
        at: mark(7, 18, b"two\n"),
    });
    // Held, not counted: nothing is committed yet.
    assert!(e.save().sources[0].marks.is_empty());
    e.flush();
    // Counted as unparsed once nothing more can come: committed.
    let m = &e.save().sources[0].marks;
    assert_eq!(
        (m.len(), m[0].end, m[0].fp.as_slice()),
        (1, 18, &b"two\n"[..])
    );
}

#[test]
fn a_mark_inside_lines_counted_in_part_is_committed_where_they_end() {
    let mut s = Source::new(String::new());
    s.pending_marks = vec![(4, mark(1, 104, b"aaa\n")), (10, mark(2, 6, b"bbbbb\n"))];
    // 7 of the 10 held bytes counted: file 1 whole, file 2 up to 3 bytes
    // before its mark.
    s.consumed(7, b"aaa\nbb\nbbb\n");
    assert_eq!(s.marks, vec![mark(1, 104, b"aaa\n"), mark(2, 3, b"bb\n")]);
    assert_eq!(s.pending_marks, vec![(3, mark(2, 6, b"bbbbb\n"))]);
}

/// An engine reading a format with `$host` and `$upstream_addr`, keeping
/// `max_facets` of each.
fn facet_engine(max_facets: usize) -> LiveEngine {
    let spec = FormatSpec::parse(
        "$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent $host $upstream_addr $request_time",
    )
    .unwrap();
    let mut c = cfg();
    c.engine.max_facets = max_facets;
    c.formats = vec![Some(Arc::new(Format::compile(&spec, &[]).unwrap()))];
    let mut e = LiveEngine::new(c, Arc::new(Router::new(&[], true).unwrap()));
    e.handle(InputEvent::Added {
        source: 0,
        name: "web".into(),
        input: 0,
    });
    e
}

/// Lines `range` over 3 routes, 12 backends (every 13th line none) and 5
/// hosts, one in four a 502.
fn facet_lines(range: std::ops::Range<usize>) -> InputEvent {
    let mut data = String::new();
    for i in range {
        let backend = match i % 13 {
            12 => "-".to_string(),
            b => format!("10.1.0.{b}:80"),
        };
        data.push_str(&format!(
            "10.0.0.1 - - [10/Mar/2024:00:{:02}:{:02} +0000] \"GET /r{}/{i} HTTP/1.1\" {} 9 h{}.example {backend} 0.{:03}\n",
            i / 60 % 60,
            i % 60,
            i % 3,
            if i % 4 == 0 { 502 } else { 200 },
            i % 5,
            i % 997
        ));
    }
    InputEvent::Lines {
        source: 0,
        data: data.into_bytes(),
    }
}

/// Saved state keeps each (route, backend) and (route, host) pair and what
/// the cap folded: a restarted engine shows them as the saved one did, and
/// counting on gives what one engine reading every line gives.
#[test]
fn restored_engine_keeps_backends_and_hosts_and_their_cap() {
    let mut a = facet_engine(4);
    a.handle(facet_lines(0..600));
    let before = a.snapshot();
    let backends = &before.facets.kinds[0];
    assert_eq!(backends.folded, 8, "12 backends, 4 kept");
    assert_eq!(backends.totals.len(), 5, "4 and (other)");
    let counted: u64 = backends.totals.iter().map(|v| v.counts.requests).sum();
    assert_eq!(counted, 600 - 600 / 13 - u64::from(600 % 13 == 0));
    let saved = Saved::decode(&a.save().encode()).unwrap();
    let mut b = facet_engine(4);
    b.restore(&saved).unwrap();
    assert_eq!(b.snapshot().facets, before.facets);
    b.handle(facet_lines(600..1500));
    let mut whole = facet_engine(4);
    whole.handle(facet_lines(0..1500));
    assert_eq!(b.snapshot().facets, whole.snapshot().facets);
}

/// A state file written before backends and hosts were counted has no
/// `facets`: it loads, with every other count, and none of them.
#[test]
fn state_from_before_facets_loads_without_them() {
    let mut a = facet_engine(4);
    a.handle(facet_lines(0..100));
    let mut value = serde_json::to_value(a.save()).unwrap();
    let removed = value.as_object_mut().unwrap().remove("facets");
    assert!(removed.is_some_and(|f| f.as_array().is_some_and(|a| a.len() == 2)));
    let old: Saved = serde_json::from_value(value).unwrap();
    let mut b = facet_engine(4);
    b.restore(&old).unwrap();
    let s = b.snapshot();
    assert_eq!(s.total.total.requests, 100);
    assert!(s.facets.is_empty());
}

/// Requests that gave a size are saved: a JSON log whose lines have no
/// size key shows its bytes as unknown after a restart too. State saved
/// before they were kept takes every request as one that gave a size, as
/// bytes were shown then.
#[test]
fn requests_that_gave_a_size_are_saved() {
    let json_engine = || {
        let mut c = cfg();
        let json = Format::compile(&FormatSpec::Json, &[]).unwrap();
        c.formats = vec![Some(Arc::new(json))];
        LiveEngine::new(c, Arc::new(Router::new(&[], true).unwrap()))
    };
    let mut a = json_engine();
    a.handle(InputEvent::Added {
        source: 0,
        name: "j".into(),
        input: 0,
    });
    a.handle(InputEvent::Lines {
        source: 0,
        data: b"{\"status\":200,\"request\":\"GET /a HTTP/1.1\"}\n".repeat(3),
    });
    let before = a.snapshot();
    assert_eq!(before.total.total.requests, 3);
    assert!(!before.inputs[0].has_bytes && !before.bytes_known());
    let saved = a.save();

    // Restored, and its input found again (as a restart does).
    let restored = |saved: &Saved| {
        let mut e = json_engine();
        e.restore(saved).unwrap();
        e.handle(InputEvent::Added {
            source: 0,
            name: "j".into(),
            input: 0,
        });
        e
    };
    let mut b = restored(&Saved::decode(&saved.encode()).unwrap());
    let after = b.snapshot();
    assert_eq!(after.total.total.requests, 3);
    assert!(after.inputs[0].format.is_some());
    assert!(!after.inputs[0].has_bytes && !after.bytes_known());

    let mut value = serde_json::to_value(&saved).unwrap();
    for s in value["sources"].as_array_mut().unwrap() {
        assert!(s.as_object_mut().unwrap().remove("sized").is_some());
    }
    let old: Saved = serde_json::from_value(value).unwrap();
    let c = restored(&old).snapshot();
    assert_eq!(c.total.total.requests, 3);
    assert!(c.inputs[0].has_bytes && c.bytes_known());
}
