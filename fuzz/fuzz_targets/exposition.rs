//! The exposition encoder on label bytes from outside. The first line
//! names the first input; each later line is `METHOD TARGET STATUS`,
//! where method and target are any bytes but a space.
//!
//! 1. As a `--once --push` run: the lines go through the real engine (a
//!    route cap of 4, so the overflow route shows too), and its snapshot is
//!    rendered.
//! 2. The encoder alone: a snapshot whose route and method names are the
//!    lines' bytes as they are (lossy UTF-8), unescaped by any route table;
//!    the route names are also the first input's variants.
//!
//! Both, in the text format and OpenMetrics, must be read by a strict
//! parser (`check_exposition`): valid names, escaped label values, known
//! types, and no series twice.
#![no_main]

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use routetop::engine::snapshot::{KeySnap, RouteSnap, Snapshot};
use routetop::engine::summary::Row;
use routetop::engine::{
    Batch, BatchShard, DEFAULT_BUCKETS, EngineConfig, LinePos, SourceId, SourceReport,
};
use routetop::format::scan::{self, Plain};
use routetop::format::{Format, FormatSpec};
use routetop::route::Router;
use routetop::testkit;
use routetop::view::export::{self, RenderOptions, ScrapeState, StatusLabel};
use routetop_fuzz::{Dialect, check_exposition, split_spec};

/// Method and target as any bytes: `(?-u)` so invalid UTF-8 matches too.
const LINE: &str = r"regex:(?-u)^(?P<method>[^ ]*) (?P<path>[^ ]*) (?P<status>[0-9]{3})$";

fn format() -> &'static Format {
    static F: OnceLock<Format> = OnceLock::new();
    F.get_or_init(|| {
        let spec = FormatSpec::parse(LINE).expect("the line regex is a spec");
        Format::compile(&spec, &[]).expect("the line regex compiles")
    })
}

/// Both formats, one with the default options and one with the others
/// (each format's escaping is the same under either; status classes add
/// up codes, which must still give one series per label set).
fn check(snap: &Snapshot) {
    // With objectives, so their families are rendered from fuzzed keys too.
    let ms = |s: &str| {
        s.trim_end_matches("ms")
            .parse()
            .map(std::time::Duration::from_millis)
            .map_err(|e| format!("{e}"))
    };
    let slo: Vec<routetop::engine::slo::Objective> = ["*:99%<250ms", "/a*:99.9%"]
        .iter()
        .filter_map(|o| routetop::engine::slo::Objective::parse(o, ms).ok())
        .collect();
    let other = RenderOptions {
        namespace: Some("ns".into()),
        max_gauge: false,
        status: StatusLabel::Class,
        summary: false,
        slo: slo.into(),
    };
    for (opts, format, dialect) in [
        (
            RenderOptions::default(),
            export::Format::Text,
            Dialect::Text,
        ),
        (other, export::Format::OpenMetrics, Dialect::OpenMetrics),
    ] {
        let text = export::render_as(snap, &opts, &mut ScrapeState::default(), format);
        check_exposition(&text, dialect);
    }
}

/// Part 1: the lines through the engine, as `--once` counts them.
fn through_engine(first: &[u8], lines: &[u8]) {
    let cfg = EngineConfig::new(4, 64 * 1024, &DEFAULT_BUCKETS);
    let registry = cfg.registry();
    let router = Arc::new(Router::new(&[], true).expect("no rules"));
    let mut shard = BatchShard::new(&cfg, registry.clone(), router);
    let mut counts = [0u64; 2];
    for (i, line) in scan::lines(lines).enumerate() {
        let src = (i % 2) as SourceId;
        let pos = LinePos {
            seq: 0,
            local: counts[src as usize],
        };
        counts[src as usize] += 1;
        shard.block_line(src, format(), line, pos, Plain);
    }
    if shard.end_block() {
        shard.admit();
    }
    let done = shard.finish();
    let source = |name: String| SourceReport {
        name,
        format: Some(format().name().to_string()),
        ..Default::default()
    };
    let batch = Batch::new(
        vec![done],
        vec![(0, 0, counts[0]), (1, 0, counts[1])],
        vec![
            source(String::from_utf8_lossy(first).into_owned()),
            source("second".into()),
        ],
        registry,
        cfg.bounds_us.clone(),
    );
    check(&batch.snapshot());
}

/// Part 2: names straight into a snapshot, past any route table.
fn encoder_alone(first: &[u8], lines: &[u8]) {
    let mut snap = testkit::empty();
    snap.inputs[0].name = String::from_utf8_lossy(first).into_owned();
    let mut keys = Vec::new();
    let mut routes: Vec<RouteSnap> = Vec::new();
    let mut seen = HashSet::new();
    for line in scan::lines(lines) {
        let (method, route) = match line.iter().position(|&c| c == b' ') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (&b"GET"[..], line),
        };
        let route: Arc<str> = Arc::from(String::from_utf8_lossy(route).as_ref());
        let method: Arc<str> = Arc::from(String::from_utf8_lossy(method).as_ref());
        // One key per name: a snapshot never holds a key twice.
        if !seen.insert((route.clone(), method.clone())) {
            continue;
        }
        keys.push(KeySnap {
            source: 0,
            route: route.clone(),
            method: method.clone(),
            status: 200,
            count: 1,
            bytes: 10,
            timed: 1,
            lat_sum_us: 4_000,
            lat_max_us: 4_000,
            buckets: vec![1, 0, 0],
            upstream: None,
        });
        if !routes.iter().any(|r| r.route == route) {
            routes.push(RouteSnap {
                route,
                total: Row {
                    requests: 1,
                    timed: 1,
                    lat_sum_us: 4_000,
                    lat_max_us: 4_000,
                    q_us: [4_000; 4],
                    ..Default::default()
                },
                methods: Arc::from(vec![(method, 1)]),
                statuses: Arc::from(vec![(200, 1)]),
                ..Default::default()
            });
        }
    }
    // The routes' names as a messy file's variants too (distinct, at most
    // eight, as a format's variants are).
    snap.inputs[0].variants = routes
        .iter()
        .take(8)
        .map(|r| (r.route.to_string(), r.total.requests))
        .collect();
    snap.keys = Arc::from(keys);
    snap.routes = routes;
    check(&snap);
}

fuzz_target!(|data: &[u8]| {
    let (first, lines) = split_spec(data);
    through_engine(first, lines);
    encoder_alone(first, lines);
});
