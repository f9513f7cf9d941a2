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

use super::aggregates::Aggregates;
use super::event::InputState;
use super::facet::FacetFigures;
use super::hist::Hist;
use super::input_stats::{BadLine, InputStats};
use super::registry::Registry;
use super::stats::{Stats, Timer};
use super::summary::{QUANTILES, Row, bump, method_list, rate_over_span};
use crate::format::{ErrorKind, Odd};
use crate::route::{OVERFLOW_ID, RouteId};

pub use super::summary::Overflow;

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
    /// Requests counted without a timer or timestamp they had, by [`Odd`]
    /// index (the value could not be used).
    pub odd: [u64; Odd::ALL.len()],
    /// A messy file's format of several variants: each variant's name and
    /// the requests it parsed, in the order they are tried; empty for a
    /// format of one kind of line.
    pub variants: Vec<(String, u64)>,
    /// First bad lines, with why they did not parse.
    pub samples: Vec<Sample>,
    pub rotations: u64,
    pub has_latency: bool,
    pub has_upstream: bool,
    /// Its format gives each response's size: without, the views show
    /// bytes as unknown, not as 0 (`Snapshot::bytes_known`).
    pub has_bytes: bool,
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
    /// Time the window holds: the last `length` less up to a slice (a
    /// sixth), or while it fills, the time since counting began. The same
    /// for every route of a snapshot.
    pub covered: Duration,
    /// Less than `length` has passed since counting began (routetop's
    /// start, the log's first line, a reset): `covered` is all of it.
    pub filling: bool,
    pub row: Row,
    /// Requests per second over `covered`: `row.requests / covered`.
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

/// Which time since-start rates are over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The log's own timestamps: a `--once` run, or a live replay with
    /// `--window-by log`. Since-start rates are over [`Snapshot::span`],
    /// as the `--once` report computes them.
    #[default]
    Log,
    /// Arrival (live following): since-start rates are over
    /// [`Snapshot::uptime`], the time since routetop began counting.
    Arrival,
}

/// Everything a view shows, computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Increases by one per published snapshot.
    pub seq: u64,
    pub taken_at: Option<SystemTime>,
    /// Since the engine began counting: its start, or the last reset.
    pub uptime: Duration,
    /// Log time covered since start (Unix seconds, first and last).
    pub span: Option<(i64, i64)>,
    /// What since-start rates are over (see [`Snapshot::since_start_rate`]).
    pub clock: Clock,
    /// The lines read are a replay of a log, not live traffic: windows
    /// follow log time, or the newest line was logged well before routetop
    /// started (see `engine/live/`). How far the replay has got is the
    /// end of `span`; `ingest_lag` is then `None`.
    pub replay: bool,
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
    /// Since-start counters per (route, backend) and (route, host), and
    /// per backend and host over all routes (`facet.rs`). Not reset with
    /// the dashboard.
    pub facets: Arc<FacetFigures>,
    /// Lines read per second, recently.
    pub lines_per_sec: f64,
    /// Write-to-read delay: the age of the newest line of the latest batch
    /// read, when it was counted. Live traffic only: `None` in a replay.
    pub ingest_lag: Option<Duration>,
    /// After the dashboard's reset: what it shows instead of the since-start
    /// parts above (which go on counting for every other view).
    pub reset: Option<Arc<SinceReset>>,
    /// Each objective (`--slo`, live runs): since start and burn rates.
    pub slo: Vec<super::slo_figures::SloSnap>,
    /// Since-start Apdex per route (`--apdex`), from the keys.
    pub apdex: Option<Arc<super::apdex_figures::ApdexSnap>>,
    /// A backlog being counted on all cores (`engine/backfill.rs`), whose
    /// lines are not in this snapshot's counts yet; `None` when there is
    /// none.
    pub backfill: Option<BackfillSnap>,
    /// Lines counted by backfills since start, on all cores (their
    /// log-time tails, counted line by line, not included).
    pub backfilled: u64,
}

/// How far the backlog being counted has got.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BackfillSnap {
    /// The source it is of.
    pub name: String,
    /// Bytes read of `total`, and the lines in them.
    pub bytes: u64,
    pub total: u64,
    pub lines: u64,
    /// Since it started.
    pub elapsed: Duration,
    /// Backlogs counted just before it, with no table shown between (a
    /// glob's full files, queued behind each other).
    pub earlier: u32,
}

impl BackfillSnap {
    /// Lines counted per second so far.
    pub fn lines_per_sec(&self) -> f64 {
        match self.elapsed.as_secs_f64() {
            t if t > 0.0 => self.lines as f64 / t,
            _ => 0.0,
        }
    }

    /// Time left at the rate so far; `None` until a byte is read.
    pub fn left(&self) -> Option<Duration> {
        if self.bytes == 0 {
            return None;
        }
        let per_byte = self.elapsed.as_secs_f64() / self.bytes as f64;
        let left = self.total.saturating_sub(self.bytes) as f64 * per_byte;
        Duration::try_from_secs_f64(left).ok()
    }
}

/// The dashboard's figures since its last reset (`engine/epoch.rs`), in
/// the shape of the since-start parts of a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SinceReset {
    /// Since the reset (what [`Snapshot::uptime`] is since start).
    pub uptime: Duration,
    /// Log time covered since the reset.
    pub span: Option<(i64, i64)>,
    pub total: RouteSnap,
    /// Routes with requests since the reset.
    pub routes: Vec<RouteSnap>,
    /// Lines, requests and parse errors since the reset.
    pub inputs: Vec<InputSnap>,
}

impl SinceReset {
    /// `snap` as the dashboard shows it after a reset: these figures in
    /// place of its since-start ones (keys and the overflow stay: the
    /// dashboard does not show them per reset).
    pub fn apply(&self, snap: &Snapshot) -> Snapshot {
        Snapshot {
            uptime: self.uptime,
            span: self.span,
            inputs: self.inputs.clone(),
            total: self.total.clone(),
            routes: self.routes.clone(),
            reset: None,
            ..snap.clone()
        }
    }
}

pub const TOTAL_ROUTE: &str = "(total)";

impl Snapshot {
    /// Whether the bytes counted mean anything: some input's format gives
    /// each response's size, or some bytes were counted. Without, the
    /// views show bytes as unknown (`-`), as they show latency without a
    /// timer: 0 would be a figure no line gave (`'$remote_addr-[$time_local]
    /// -$request-$status-$request_time'` logs no size).
    pub fn bytes_known(&self) -> bool {
        self.total.total.bytes > 0 || self.inputs.iter().any(|i| i.has_bytes)
    }

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

    /// Since-start requests per second: over the log's span with log time
    /// (the function `--once` uses, so a replay shows the report's rates),
    /// over the time since counting began with arrival time. `None` before
    /// there is any time to divide by.
    pub fn since_start_rate(&self, requests: u64) -> Option<f64> {
        match self.clock {
            Clock::Log => rate_over_span(requests, self.span),
            Clock::Arrival => {
                let secs = self.uptime.as_secs_f64();
                (secs > 0.0).then(|| requests as f64 / secs)
            }
        }
    }
}

/// The power of two a latency falls in, as an index: its bit length (0 for
/// 0, 1 for 1, 2 for 2..=3, ...). An HDR bucket's values share it, so
/// binning a value or its bucket's lowest value agrees.
#[inline]
pub fn log2_bin(us: u64) -> usize {
    (u64::BITS - us.leading_zeros()) as usize
}

/// Latency buckets for drill-down charts: powers of two from 1 µs (a
/// compact, fixed set that charts can use as x axis).
pub fn log2_buckets(h: &Hist) -> Vec<(u64, u64, u64)> {
    let mut out: Vec<(u64, u64, u64)> = Vec::new();
    for (lo, _hi, n) in h.buckets() {
        let b = log2_bin(lo) as u64;
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

fn latency_of(t: &Timer) -> Latency {
    let mut q = [0; 4];
    t.hist.quantiles(&QUANTILES, t.max_us, &mut q);
    (q, Arc::from(log2_buckets(&t.hist)))
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
    pub facets: Arc<FacetFigures>,
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
            None => latency_of(&stats.latency),
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
        None => latency_of(&total_stats.latency),
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
        facets: Arc::new(FacetFigures::of(&agg.facets, |r| {
            reg.routes.name(r).clone()
        })),
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
        odd: st.odd,
        variants: format.map_or_else(Vec::new, |f| variant_lines(&f.variant_names(), st)),
        samples: st.samples.iter().map(Sample::from_bad).collect(),
        rotations,
        has_latency: format.is_some_and(|f| f.has_latency()),
        has_upstream: format.is_some_and(|f| f.has_upstream()),
        has_bytes: format.is_some_and(|f| st.logs_bytes(f.has_bytes())),
    }
}

/// Each variant's name (`names`, as `Format::variant_names` gives them)
/// and the requests of `st` it parsed, the first variant and those that
/// parsed any (an `auto` format's spares are variants only once a line
/// needed one); empty when only the first is left: a format of one kind
/// of line.
pub fn variant_lines<S: AsRef<str>>(names: &[S], st: &InputStats) -> Vec<(String, u64)> {
    let lines: Vec<(String, u64)> = names
        .iter()
        .zip(st.variant_lines(names.len()))
        .enumerate()
        .filter(|(i, (_, c))| *i == 0 || *c > 0)
        .map(|(_, (n, c))| (n.as_ref().to_string(), c))
        .collect();
    if lines.len() < 2 { Vec::new() } else { lines }
}
