//! The immutable snapshot the engine publishes for every view: dashboard,
//! `/metrics`, Pushgateway, headless summaries.
//!
//! Views never see the engine's live state. The live engine builds a
//! `Snapshot` at a fixed cadence and publishes it as an `Arc<Snapshot>` on a
//! watch channel; a batch run builds one at the end. Everything in it is
//! computed (percentiles, rates, series), so rendering or scraping is a
//! read of plain numbers.
//!
//! Contents: since-start statistics per route and in total, windowed
//! statistics (last 1 min and 5 min by default) per route and in total,
//! per-step series for sparklines, and since-start per-key counters (source,
//! route, method, status) with exact histogram bucket counts for Prometheus.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::summary::{QUANTILES, Row, bump, method_list};
use super::{Aggregates, BadLine, Hist, InputStats, Registry, Stats};
use crate::format::ErrorKind;
use crate::route::{OVERFLOW_ID, RouteId};

pub use super::summary::Overflow;

/// What an input is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputState {
    /// Read to the end once (batch), or stdin closed.
    Done,
    /// Following: reading new lines as they are written.
    Following,
    /// The path does not exist (yet); checked periodically.
    Waiting,
    /// Rotated recently; the new file is being followed (the old one may
    /// still be drained for a grace period).
    Rotated,
    /// Cannot be read; the message says why.
    Error(String),
}

impl InputState {
    pub fn label(&self) -> &str {
        match self {
            InputState::Done => "done",
            InputState::Following => "following",
            InputState::Waiting => "waiting",
            InputState::Rotated => "rotated",
            InputState::Error(_) => "error",
        }
    }
}

/// One input's accounting and state.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSnap {
    /// Index used in keys and the `source` label.
    pub source: u16,
    pub name: String,
    /// Format in use; `None` until detected (no lines yet).
    pub format: Option<String>,
    pub state: InputState,
    pub lines: u64,
    pub requests: u64,
    /// Parse errors by [`ErrorKind`] index.
    pub errors: [u64; ErrorKind::ALL.len()],
    /// First bad lines, with why they did not parse.
    pub samples: Vec<Sample>,
    pub rotations: u64,
    pub has_latency: bool,
    pub has_upstream: bool,
}

impl InputSnap {
    pub fn error_total(&self) -> u64 {
        self.errors.iter().sum()
    }
}

/// A bad line for display.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub line_no: u64,
    pub kind: ErrorKind,
    /// The line's first bytes, lossily decoded (control characters kept:
    /// views escape them).
    pub text: String,
    /// Full length in bytes.
    pub len: u64,
    /// Where the line stops fitting the format (empty when unknown).
    pub why: String,
}

impl Sample {
    pub fn from_bad(b: &BadLine) -> Sample {
        Sample {
            line_no: b.line_no,
            kind: b.kind,
            text: String::from_utf8_lossy(&b.text).into_owned(),
            len: b.len,
            why: b.why.clone(),
        }
    }
}

/// Statistics over a window of recent time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowStats {
    /// The window's nominal length (`1m`, `5m`).
    pub length: Duration,
    /// Time actually covered (shorter than `length` just after start).
    pub covered: Duration,
    pub row: Row,
    /// Requests per second over `covered`.
    pub rate: f64,
}

/// Per-step values for sparklines and charts, oldest first; the last entry
/// is the most recent complete step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub step: Duration,
    /// Index of the step after the newest entry: the series covers steps
    /// `end - len .. end`. Steps are counted from the engine's start, so a
    /// consumer can tell exactly which entries are new since it last looked.
    pub end: u64,
    pub requests: Vec<u64>,
    pub errors_5xx: Vec<u64>,
    pub errors_4xx: Vec<u64>,
    /// Latency quantiles of each step (0 for steps without timed requests).
    pub p50_us: Vec<u64>,
    pub p90_us: Vec<u64>,
    pub p99_us: Vec<u64>,
    pub max_us: Vec<u64>,
}

/// A route's statistics (or the total's, with route `(total)`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteSnap {
    pub route: Arc<str>,
    /// Since start.
    pub total: Row,
    /// One per configured window, shortest first (empty in batch runs).
    pub windows: Vec<WindowStats>,
    /// Since-start requests per method, most first. (The since-start parts
    /// are shared: a live engine reuses them while no line arrives.)
    pub methods: Arc<[(Arc<str>, u64)]>,
    /// Since-start requests per status, ascending status.
    pub statuses: Arc<[(u16, u64)]>,
    /// Since-start requests per source, ascending source.
    pub sources: Arc<[(u16, u64)]>,
    /// Shared between snapshots while it does not change.
    pub series: Arc<Series>,
    /// Since-start latency distribution: (lowest µs, highest µs, count) per
    /// non-empty bucket, ascending. Shared between snapshots.
    pub latency: Arc<[(u64, u64, u64)]>,
}

/// Upstream timer counters of a key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimerSnap {
    pub timed: u64,
    pub sum_us: u64,
    pub max_us: u64,
    /// Per bucket of [`Snapshot::buckets_us`], not cumulative.
    pub buckets: Vec<u64>,
}

/// Since-start counters of one (source, route, method, status).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeySnap {
    pub source: u16,
    pub route: Arc<str>,
    pub method: Arc<str>,
    pub status: u16,
    pub count: u64,
    pub bytes: u64,
    pub timed: u64,
    pub lat_sum_us: u64,
    pub lat_max_us: u64,
    /// Timed requests per bucket of [`Snapshot::buckets_us`]: `buckets[i]`
    /// counts values in `(bound[i-1], bound[i]]`; not cumulative. Values
    /// above the last bound: `timed - sum(buckets)`.
    pub buckets: Vec<u64>,
    pub upstream: Option<TimerSnap>,
}

/// Everything a view shows, computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Increases by one per published snapshot.
    pub seq: u64,
    pub taken_at: Option<SystemTime>,
    /// Since the engine started.
    pub uptime: Duration,
    /// Log time covered since start (Unix seconds, first and last).
    pub span: Option<(i64, i64)>,
    /// Configured window lengths, shortest first (empty in batch runs).
    pub windows: Vec<Duration>,
    /// Quantiles of [`Row::q_us`].
    pub quantiles: [f64; 4],
    /// Histogram bucket bounds (µs), ascending.
    pub buckets_us: Arc<[u64]>,
    pub inputs: Vec<InputSnap>,
    /// All requests, route `(total)`.
    pub total: RouteSnap,
    /// Every route with traffic, in no particular order (views sort).
    pub routes: Vec<RouteSnap>,
    /// Since-start counters per key (shared between snapshots while no line
    /// arrives).
    pub keys: Arc<[KeySnap]>,
    pub overflow: Overflow,
    /// Lines read per second, recently.
    pub lines_per_sec: f64,
    /// Age of the newest line when it was counted, recently (live only).
    pub ingest_lag: Option<Duration>,
}

pub const TOTAL_ROUTE: &str = "(total)";

impl Snapshot {
    /// Lines read, over every input.
    pub fn lines(&self) -> u64 {
        self.inputs
            .iter()
            .map(|i| i.lines)
            .fold(0, u64::saturating_add)
    }

    /// Lines that did not parse, over every input.
    pub fn parse_errors(&self) -> u64 {
        self.inputs
            .iter()
            .map(|i| i.error_total())
            .fold(0, u64::saturating_add)
    }
}

/// Latency buckets for drill-down charts: powers of two from 1 µs (a
/// compact, fixed set that charts can use as x axis).
pub fn log2_buckets(h: &Hist) -> Vec<(u64, u64, u64)> {
    let mut out: Vec<(u64, u64, u64)> = Vec::new();
    for (lo, _hi, n) in h.buckets() {
        let b = 64 - lo.leading_zeros() as u64; // 0 for 0, 1 for 1, 2 for 2..3, ...
        let (blo, bhi) = if b == 0 {
            (0, 0)
        } else {
            (1u64 << (b - 1), (1u64 << b) - 1)
        };
        match out.last_mut() {
            Some(last) if last.0 == blo => last.2 += n,
            _ => out.push((blo, bhi, n)),
        }
    }
    out
}

fn latency_of(h: &Hist) -> Latency {
    let mut q = [0; 4];
    h.quantiles(&QUANTILES, &mut q);
    (q, Arc::from(log2_buckets(h)))
}

/// Latency kept per route rather than per key (the live engine): since-start
/// quantiles and distribution, already computed, by route id and in total.
pub type Latency = ([u64; 4], Arc<[(u64, u64, u64)]>);
pub struct RouteHists<'a> {
    pub route: &'a dyn Fn(RouteId) -> Option<Latency>,
    pub total: Latency,
}

/// The since-start part of a snapshot.
#[derive(Clone)]
pub struct SinceStart {
    pub total: RouteSnap,
    /// With the id of each route.
    pub routes: Vec<(RouteId, RouteSnap)>,
    pub keys: Arc<[KeySnap]>,
    pub overflow: Overflow,
}

/// Since-start part of a snapshot, built from aggregates: routes (with
/// methods, statuses, sources, latency distribution), the total, keys and
/// the overflow. Latency comes from the keys' histograms, or from `hists`
/// when given. Windows and series are left empty for the live engine to
/// fill; a batch run publishes it as is.
pub fn since_start(agg: &Aggregates, reg: &Registry, hists: Option<RouteHists>) -> SinceStart {
    let mut order: Vec<usize> = (0..agg.entries.len()).collect();
    order.sort_unstable_by_key(|&i| agg.entries[i].key.route);
    let mut routes = Vec::new();
    let mut total_stats = Stats::default();
    let mut total_classes = [0u64; 6];
    let mut total_methods: Vec<(u8, u64)> = Vec::new();
    let mut total_statuses: Vec<(u16, u64)> = Vec::new();
    let mut total_sources: Vec<(u16, u64)> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let route = agg.entries[order[i]].key.route;
        let mut stats = Stats::default();
        let mut classes = [0u64; 6];
        let mut methods: Vec<(u8, u64)> = Vec::new();
        let mut statuses: Vec<(u16, u64)> = Vec::new();
        let mut sources: Vec<(u16, u64)> = Vec::new();
        while i < order.len() && agg.entries[order[i]].key.route == route {
            let e = &agg.entries[order[i]];
            stats.merge(&e.stats);
            classes[Row::class_of(e.key.status)] += e.stats.count;
            bump(&mut methods, e.key.method, e.stats.count);
            bump(&mut statuses, e.key.status, e.stats.count);
            bump(&mut sources, e.key.source, e.stats.count);
            i += 1;
        }
        total_stats.merge(&stats);
        for (a, b) in total_classes.iter_mut().zip(classes) {
            *a += b;
        }
        for &(m, n) in &methods {
            bump(&mut total_methods, m, n);
        }
        for &(s, n) in &statuses {
            bump(&mut total_statuses, s, n);
        }
        for &(s, n) in &sources {
            bump(&mut total_sources, s, n);
        }
        let (q_us, latency) = match hists.as_ref().and_then(|h| (h.route)(route)) {
            Some(l) => l,
            None => latency_of(&stats.latency.hist),
        };
        routes.push((
            route,
            RouteSnap {
                route: reg.routes.name(route).clone(),
                total: Row {
                    q_us,
                    classes,
                    ..Row::counts(&stats)
                },
                methods: method_list(reg, methods).into(),
                statuses: sorted(statuses).into(),
                sources: sorted(sources).into(),
                latency,
                ..Default::default()
            },
        ));
    }
    let (q_us, latency) = match hists {
        Some(h) => h.total,
        None => latency_of(&total_stats.latency.hist),
    };
    let total = RouteSnap {
        route: Arc::from(TOTAL_ROUTE),
        total: Row {
            q_us,
            classes: total_classes,
            ..Row::counts(&total_stats)
        },
        methods: method_list(reg, total_methods).into(),
        statuses: sorted(total_statuses).into(),
        sources: sorted(total_sources).into(),
        latency,
        ..Default::default()
    };
    let keys = agg
        .entries
        .iter()
        .map(|e| KeySnap {
            source: e.key.source,
            route: reg.routes.name(e.key.route).clone(),
            method: reg.methods.name(e.key.method).clone(),
            status: e.key.status,
            count: e.stats.count,
            bytes: e.stats.bytes,
            timed: e.stats.latency.timed,
            lat_sum_us: e.stats.latency.sum_us,
            lat_max_us: e.stats.latency.max_us,
            buckets: e.stats.latency.buckets.to_vec(),
            upstream: e.stats.upstream.as_ref().map(|u| TimerSnap {
                timed: u.timed,
                sum_us: u.sum_us,
                max_us: u.max_us,
                buckets: u.buckets.to_vec(),
            }),
        })
        .collect();
    let (folded_routes, at_least) = reg.routes.folded();
    let overflow_requests = routes
        .iter()
        .find(|(id, _)| *id == OVERFLOW_ID)
        .map_or(0, |(_, r)| r.total.requests);
    let overflow = Overflow {
        max_routes: reg.routes.cap(),
        routes: reg.routes.len(),
        folded_routes,
        at_least,
        requests: overflow_requests,
        keys_folded: agg.keys_folded,
    };
    SinceStart {
        total,
        routes,
        keys,
        overflow,
    }
}

fn sorted(mut v: Vec<(u16, u64)>) -> Vec<(u16, u64)> {
    v.sort_unstable();
    v
}

/// Input accounting → snapshot form. Samples carry the reason they did not
/// parse, worked out when they were kept (see [`BadLine::why`]).
pub fn input_snap(
    source: u16,
    name: &str,
    format: Option<&crate::format::Format>,
    state: InputState,
    st: &InputStats,
    rotations: u64,
) -> InputSnap {
    InputSnap {
        source,
        name: name.to_string(),
        format: format.map(|f| f.name().to_string()),
        state,
        lines: st.lines,
        requests: st.requests,
        errors: st.errors,
        samples: st.samples.iter().map(Sample::from_bad).collect(),
        rotations,
        has_latency: format.is_some_and(|f| f.has_latency()),
        has_upstream: format.is_some_and(|f| f.has_upstream()),
    }
}

/// A fixed, realistic snapshot for view tests (dashboard screens, exposition
/// goldens): three routes over two sources, windows and series filled.
#[doc(hidden)]
pub mod fixture {
    use super::*;

    // A fixture row reads like a table line; a struct literal would not.
    #[allow(clippy::too_many_arguments)]
    fn row(
        requests: u64,
        c2: u64,
        c4: u64,
        c5: u64,
        timed: u64,
        q: [u64; 4],
        max: u64,
        bytes: u64,
    ) -> Row {
        let mut classes = [0; 6];
        classes[2] = c2;
        classes[4] = c4;
        classes[5] = c5;
        classes[3] = requests - c2 - c4 - c5;
        Row {
            requests,
            bytes,
            classes,
            timed,
            lat_sum_us: q[0] * timed,
            lat_max_us: max,
            q_us: q,
        }
    }

    fn series(n: usize, base: u64, err: u64, p99: u64) -> Series {
        Series {
            step: Duration::from_secs(1),
            end: 3_725,
            requests: (0..n as u64).map(|i| base + (i * 7) % 5).collect(),
            errors_5xx: (0..n as u64)
                .map(|i| if i % 10 == 3 { err } else { 0 })
                .collect(),
            errors_4xx: (0..n as u64).map(|i| (i % 3 == 0) as u64).collect(),
            p50_us: (0..n as u64).map(|i| p99 / 8 + i * 10).collect(),
            p90_us: (0..n as u64).map(|i| p99 / 2 + i * 10).collect(),
            p99_us: (0..n as u64).map(|i| p99 + (i % 7) * 1_000).collect(),
            max_us: (0..n as u64).map(|i| p99 * 2 + (i % 5) * 1_000).collect(),
        }
    }

    fn route(
        name: &str,
        total: Row,
        w1: Row,
        w5: Row,
        methods: &[(&str, u64)],
        statuses: &[(u16, u64)],
        s: Series,
    ) -> RouteSnap {
        RouteSnap {
            route: Arc::from(name),
            windows: vec![
                WindowStats {
                    length: Duration::from_secs(60),
                    covered: Duration::from_secs(60),
                    rate: w1.requests as f64 / 60.0,
                    row: w1,
                },
                WindowStats {
                    length: Duration::from_secs(300),
                    covered: Duration::from_secs(300),
                    rate: w5.requests as f64 / 300.0,
                    row: w5,
                },
            ],
            methods: methods.iter().map(|(m, n)| (Arc::from(*m), *n)).collect(),
            statuses: statuses.into(),
            sources: Arc::from(vec![
                (0, total.requests * 3 / 4),
                (1, total.requests - total.requests * 3 / 4),
            ]),
            latency: Arc::from(vec![
                (1024, 2047, total.timed / 10),
                (2048, 4095, total.timed / 5),
                (4096, 8191, total.timed / 3),
                (8192, 16383, total.timed / 4),
                (
                    16384,
                    32767,
                    total.timed
                        - total.timed / 10
                        - total.timed / 5
                        - total.timed / 3
                        - total.timed / 4,
                ),
            ]),
            total,
            series: Arc::new(s),
        }
    }

    /// The fixture.
    pub fn snapshot() -> Snapshot {
        let users = route(
            "/api/users/:id",
            row(
                12_000,
                11_500,
                400,
                100,
                12_000,
                [4_000, 12_000, 48_000, 120_000],
                250_000,
                6_000_000,
            ),
            row(
                600,
                570,
                20,
                10,
                600,
                [4_100, 12_500, 50_000, 118_000],
                140_000,
                300_000,
            ),
            row(
                3_000,
                2_880,
                90,
                30,
                3_000,
                [4_000, 12_200, 49_000, 121_000],
                200_000,
                1_500_000,
            ),
            &[("GET", 11_000), ("PUT", 1_000)],
            &[(200, 11_500), (404, 400), (500, 100)],
            series(120, 10, 2, 48_000),
        );
        let login = route(
            "/login",
            row(
                3_000,
                2_700,
                290,
                10,
                3_000,
                [25_000, 80_000, 300_000, 900_000],
                1_200_000,
                9_000_000,
            ),
            row(
                120,
                110,
                9,
                1,
                120,
                [26_000, 82_000, 310_000, 700_000],
                700_000,
                360_000,
            ),
            row(
                700,
                630,
                68,
                2,
                700,
                [25_500, 81_000, 305_000, 890_000],
                1_100_000,
                2_100_000,
            ),
            &[("POST", 2_000), ("GET", 1_000)],
            &[(200, 2_700), (302, 0), (401, 290), (503, 10)],
            series(120, 2, 1, 300_000),
        );
        let health = route(
            "/healthz",
            row(900, 900, 0, 0, 900, [300, 500, 900, 1_000], 1_200, 1_800),
            row(60, 60, 0, 0, 60, [300, 500, 900, 1_000], 1_000, 120),
            row(300, 300, 0, 0, 300, [300, 500, 900, 1_000], 1_200, 600),
            &[("GET", 900)],
            &[(200, 900)],
            series(120, 1, 0, 900),
        );
        let total = route(
            TOTAL_ROUTE,
            row(
                15_900,
                15_100,
                690,
                110,
                15_900,
                [5_000, 40_000, 250_000, 800_000],
                1_200_000,
                15_001_800,
            ),
            row(
                780,
                740,
                29,
                11,
                780,
                [5_100, 41_000, 260_000, 650_000],
                700_000,
                660_120,
            ),
            row(
                4_000,
                3_810,
                158,
                32,
                4_000,
                [5_000, 40_500, 255_000, 790_000],
                1_100_000,
                3_600_600,
            ),
            &[("GET", 12_900), ("POST", 2_000), ("PUT", 1_000)],
            &[(200, 15_100), (401, 290), (404, 400), (500, 100), (503, 10)],
            series(120, 13, 3, 250_000),
        );
        let buckets_us: Arc<[u64]> = Arc::from(
            &[
                5_000u64, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
            ][..],
        );
        let key = |source: u16,
                   route: &str,
                   method: &str,
                   status: u16,
                   count: u64,
                   lat_sum_us: u64,
                   buckets: [u64; 8]| KeySnap {
            source,
            route: Arc::from(route),
            method: Arc::from(method),
            status,
            count,
            bytes: count * 500,
            timed: count,
            lat_sum_us,
            lat_max_us: 1_200_000,
            buckets: buckets.to_vec(),
            upstream: None,
        };
        Snapshot {
            seq: 42,
            taken_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_028_800)),
            uptime: Duration::from_secs(3_725),
            span: Some((1_710_025_075, 1_710_028_800)),
            windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
            quantiles: QUANTILES,
            buckets_us,
            inputs: vec![
                InputSnap {
                    source: 0,
                    name: "/var/log/nginx/access.log".into(),
                    format: Some("combined_rt".into()),
                    state: InputState::Following,
                    lines: 12_010,
                    requests: 12_000,
                    errors: [0, 1, 9, 0, 0],
                    samples: vec![Sample {
                        line_no: 17,
                        kind: ErrorKind::NoMatch,
                        text: "GET /garbage \u{1b}[31m".into(),
                        len: 17,
                        why: "expected \" - \" after $remote_addr at byte 3".into(),
                    }],
                    rotations: 1,
                    has_latency: true,
                    has_upstream: false,
                },
                InputSnap {
                    source: 1,
                    name: "/var/log/nginx/api.log".into(),
                    format: Some("json (nginx)".into()),
                    state: InputState::Waiting,
                    lines: 3_900,
                    requests: 3_900,
                    errors: [0; 5],
                    samples: vec![],
                    rotations: 0,
                    has_latency: true,
                    has_upstream: true,
                },
            ],
            total,
            routes: vec![login, users, health],
            keys: Arc::from(vec![
                key(
                    0,
                    "/api/users/:id",
                    "GET",
                    200,
                    10_500,
                    42_000_000,
                    [6_000, 2_500, 1_000, 500, 300, 150, 40, 9],
                ),
                key(
                    0,
                    "/api/users/:id",
                    "GET",
                    500,
                    100,
                    9_000_000,
                    [10, 10, 20, 20, 20, 10, 5, 3],
                ),
                key(
                    1,
                    "/api/users/:id",
                    "PUT",
                    404,
                    400,
                    1_600_000,
                    [300, 60, 20, 10, 5, 3, 1, 1],
                ),
                key(
                    0,
                    "/login",
                    "POST",
                    200,
                    2_700,
                    67_500_000,
                    [100, 200, 900, 800, 400, 200, 60, 30],
                ),
                key(
                    1,
                    "/login",
                    "POST",
                    503,
                    10,
                    9_000_000,
                    [0, 0, 0, 0, 2, 3, 3, 1],
                ),
                key(
                    0,
                    "/healthz",
                    "GET",
                    200,
                    900,
                    270_000,
                    [900, 0, 0, 0, 0, 0, 0, 0],
                ),
            ]),
            overflow: Overflow {
                max_routes: 2000,
                routes: 3,
                folded_routes: 0,
                at_least: false,
                requests: 0,
                keys_folded: 0,
            },
            lines_per_sec: 13.2,
            ingest_lag: Some(Duration::from_millis(40)),
        }
    }

    /// A snapshot of a run that has seen nothing yet.
    pub fn empty() -> Snapshot {
        Snapshot {
            windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
            quantiles: QUANTILES,
            buckets_us: Arc::from(&[5_000u64, 10_000, 25_000][..]),
            total: RouteSnap {
                route: Arc::from(TOTAL_ROUTE),
                ..Default::default()
            },
            inputs: vec![InputSnap {
                source: 0,
                name: "/var/log/nginx/access.log".into(),
                format: None,
                state: InputState::Waiting,
                lines: 0,
                requests: 0,
                errors: [0; 5],
                samples: vec![],
                rotations: 0,
                has_latency: false,
                has_upstream: false,
            }],
            overflow: Overflow {
                max_routes: 2000,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}
