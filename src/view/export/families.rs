//! The metric families of one [`Snapshot`], as `prometheus` protos: what
//! `/metrics` serves and what is pushed. Pure: the snapshot and the
//! per-consumer [`ScrapeState`] in, families out; the HTTP server, the
//! Pushgateway client and the [`super::SnapshotCollector`] all call
//! [`families`]. What each family is called and says is in `specs.rs`.
//!
//! Request families (prefixed by `--namespace`), per (route, method,
//! status[, source]) unless noted — `status` the code as logged, or its
//! class (`--export-status class`, the keys of a class added up):
//!
//! | family | type | from |
//! |---|---|---|
//! | `http_requests_total` | counter | `KeySnap.count` |
//! | `http_request_duration_seconds` | histogram | exact `KeySnap.buckets`, `_sum`, `_count` |
//! | `http_request_duration_window_seconds` | summary, per route | `RouteSnap.windows[0]` quantiles; `_sum`/`_count` since start |
//! | `http_request_duration_seconds_max` | gauge, per route | `series.max_us` since the previous scrape |
//! | `http_response_size_bytes_total` | counter | `KeySnap.bytes` |
//! | `http_upstream_duration_seconds` | histogram | `KeySnap.upstream` |
//!
//! plus `routetop_*` self metrics (never prefixed, so dashboards and alerts
//! on the exporter itself work whatever the namespace).

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, Quantile, Summary,
};

use super::options::StatusLabel;
use super::specs::FACET_SPECS;
use super::specs::{
    BUILD, BYTES, DURATION, INGEST_LAG, INPUTS, LINES, MAX, ODD_VALUES, OVER, OVERFLOW_REQUESTS,
    OVERFLOW_ROUTES, REQUESTS, ROTATIONS, ROUTES, ROUTES_LIMIT, RenderOptions, SLO_GOOD,
    SLO_TARGET, SLO_TOTAL, SNAPSHOT_TIME, UNPARSED, UPSTREAM, VARIANT_LINES, WINDOW,
};
use crate::engine::facet::FacetKind;
use crate::engine::slo::Matcher;
use crate::engine::snapshot::{InputSnap, KeySnap, RouteSnap, Snapshot};
use crate::engine::summary::Row;
use crate::format::{ErrorKind, Odd};
use crate::version;

/// What a consumer (the `/metrics` endpoint, the push loop) remembers
/// between two renders: the series step it had seen up to, so the max gauge
/// covers exactly the series steps completed since then. One state per
/// consumer: two Prometheus servers scraping one endpoint share it, and each
/// then sees the max since *either* scraped (the classic `_max` caveat).
#[derive(Clone, Debug, Default)]
pub struct ScrapeState {
    prev_end: Option<u64>,
}

/// Input states, in the order `routetop_inputs{state}` lists them.
const STATES: [&str; 5] = ["done", "following", "waiting", "rotated", "error"];

/// Builds every family of `snap`, sorted by name; families with no metric
/// are left out (the text format has no way to say "empty").
pub fn families(
    snap: &Snapshot,
    opts: &RenderOptions,
    state: &mut ScrapeState,
) -> Vec<MetricFamily> {
    let mut out = snapshot_families(snap, opts);
    if let Some(max) = max_gauge(snap, opts, state) {
        let at = out.partition_point(|f| f.name() < max.name());
        out.insert(at, max);
    }
    out
}

/// Every family but the max gauge: what depends on the snapshot alone (so
/// a server may reuse it while the snapshot stays the same). Sorted, empty
/// ones left out.
pub fn snapshot_families(snap: &Snapshot, opts: &RenderOptions) -> Vec<MetricFamily> {
    let mut out = Vec::with_capacity(24);
    request_families(snap, opts, &mut out);
    if opts.summary {
        out.push(summary_family(snap, opts));
    }
    self_families(snap, opts, &mut out);
    out.retain(|f| !f.get_metric().is_empty());
    out.sort_by(|a, b| a.name().cmp(b.name()));
    // The order `prometheus::Registry::gather` gives: metrics by label
    // values. Mostly built in that order already, so this is a linear pass.
    for f in &mut out {
        f.mut_metric().sort_by(|a, b| {
            let (la, lb) = (a.get_label(), b.get_label());
            la.iter()
                .zip(lb)
                .map(|(x, y)| x.value().cmp(y.value()))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| la.len().cmp(&lb.len()))
        });
    }
    out
}

/// The max gauge (advancing `state`), unless turned off or empty.
pub fn max_gauge(
    snap: &Snapshot,
    opts: &RenderOptions,
    state: &mut ScrapeState,
) -> Option<MetricFamily> {
    if !opts.max_gauge {
        return None;
    }
    Some(max_family(snap, opts, state)).filter(|f| !f.get_metric().is_empty())
}

/// The max gauge's family name under `opts`.
pub fn max_gauge_name(opts: &RenderOptions) -> String {
    MAX.name(opts)
}

fn pair(name: &str, value: &str) -> LabelPair {
    let mut p = LabelPair::default();
    p.set_name(name.to_string());
    p.set_value(value.to_string());
    p
}

fn counter(labels: Vec<LabelPair>, v: f64) -> Metric {
    let mut c = Counter::default();
    c.set_value(v);
    let mut m = Metric::from_label(labels);
    m.set_counter(c);
    m
}

fn gauge(labels: Vec<LabelPair>, v: f64) -> Metric {
    let mut g = Gauge::default();
    g.set_value(v);
    let mut m = Metric::from_label(labels);
    m.set_gauge(g);
    m
}

fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

/// A classic histogram from per-bucket (not cumulative) counts. The `+Inf`
/// bucket is `count`, which the encoder adds. Cumulative counts are capped
/// by `count` so a histogram stays valid even if the counters disagree.
fn histogram(
    labels: Vec<LabelPair>,
    bounds_s: &[f64],
    per_bucket: &[u64],
    count: u64,
    sum_us: u64,
) -> Metric {
    let mut cum = 0u64;
    let buckets = bounds_s
        .iter()
        .enumerate()
        .map(|(i, &le)| {
            cum += per_bucket.get(i).copied().unwrap_or(0);
            let mut b = Bucket::default();
            b.set_upper_bound(le);
            b.set_cumulative_count(cum.min(count));
            b
        })
        .collect();
    let mut h = Histogram::default();
    h.set_bucket(buckets);
    h.set_sample_count(count);
    h.set_sample_sum(secs(sum_us));
    let mut m = Metric::from_label(labels);
    m.set_histogram(h);
    m
}

/// The `status` label of the per-key families under `opts`.
fn status_label(status: u16, opts: &RenderOptions) -> String {
    match opts.status {
        // Three digits as logged: `000` (nginx's "no response"), not `0`.
        StatusLabel::Code => format!("{status:03}"),
        StatusLabel::Class => STATUS_CLASSES[Row::class_of(status)].to_string(),
    }
}

/// Class labels by [`Row::class_of`]: the reports' classes.
const STATUS_CLASSES: [&str; 6] = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"];

/// Adds `b`'s counts into `a` (keys whose labels are the same: statuses of
/// one class).
fn add_key(a: &mut KeySnap, b: &KeySnap) {
    a.count += b.count;
    a.bytes = a.bytes.saturating_add(b.bytes);
    a.timed += b.timed;
    a.lat_sum_us += b.lat_sum_us;
    a.lat_max_us = a.lat_max_us.max(b.lat_max_us);
    add_buckets(&mut a.buckets, &b.buckets);
    match (&mut a.upstream, &b.upstream) {
        (Some(x), Some(y)) => {
            x.timed += y.timed;
            x.sum_us += y.sum_us;
            x.max_us = x.max_us.max(y.max_us);
            add_buckets(&mut x.buckets, &y.buckets);
        }
        (None, Some(y)) => a.upstream = Some(y.clone()),
        _ => {}
    }
}

fn add_buckets(a: &mut Vec<u64>, b: &[u64]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Per-key families; keys in label order so the output is stable. Keys
/// whose labels are the same (`--export-status class`) are added up into
/// one series.
fn request_families(snap: &Snapshot, opts: &RenderOptions, out: &mut Vec<MetricFamily>) {
    let several = snap.inputs.len() > 1;
    let source_name = |s: u16| -> String {
        snap.inputs
            .iter()
            .find(|i| i.source == s)
            .map_or_else(|| s.to_string(), |i| i.name.clone())
    };
    let mut keys: Vec<(&KeySnap, String, String)> = snap
        .keys
        .iter()
        .map(|k| {
            let source = if several {
                source_name(k.source)
            } else {
                String::new()
            };
            (k, status_label(k.status, opts), source)
        })
        .collect();
    keys.sort_by(|(a, sa, ra), (b, sb, rb)| {
        (&a.route, &a.method, sa, ra).cmp(&(&b.route, &b.method, sb, rb))
    });
    let bounds_s: Vec<f64> = snap.buckets_us.iter().map(|&us| secs(us)).collect();

    let mut requests = REQUESTS.family(opts);
    let mut duration = DURATION.family(opts);
    let mut bytes = BYTES.family(opts);
    let mut upstream = UPSTREAM.family(opts);
    // No input's format logs a size: no bytes series, as there is no
    // latency histogram without a timer (a dashboard's bandwidth panel
    // says "no data", not 0).
    let sized = snap.bytes_known();
    let mut i = 0;
    while i < keys.len() {
        let (first, status, source) = &keys[i];
        let same = keys[i..]
            .iter()
            .take_while(|(k, st, so)| {
                (&k.route, &k.method, st, so) == (&first.route, &first.method, status, source)
            })
            .count();
        // Only keys that share labels are copied and added up.
        let merged;
        let k: &KeySnap = if same == 1 {
            first
        } else {
            let mut m = (*first).clone();
            for (other, _, _) in &keys[i + 1..i + same] {
                add_key(&mut m, other);
            }
            merged = m;
            &merged
        };
        i += same;
        let mut labels = vec![
            pair("route", &k.route),
            pair("method", &k.method),
            pair("status", status),
        ];
        if several {
            labels.push(pair("source", source));
        }
        requests
            .mut_metric()
            .push(counter(labels.clone(), k.count as f64));
        if sized {
            bytes
                .mut_metric()
                .push(counter(labels.clone(), k.bytes as f64));
        }
        if k.timed > 0 {
            duration.mut_metric().push(histogram(
                labels.clone(),
                &bounds_s,
                &k.buckets,
                k.timed,
                k.lat_sum_us,
            ));
        }
        if let Some(u) = k.upstream.as_ref().filter(|u| u.timed > 0) {
            upstream
                .mut_metric()
                .push(histogram(labels, &bounds_s, &u.buckets, u.timed, u.sum_us));
        }
    }
    out.extend([requests, duration, bytes, upstream]);
}

fn sorted_routes(snap: &Snapshot) -> Vec<&RouteSnap> {
    let mut r: Vec<&RouteSnap> = snap.routes.iter().filter(|r| r.total.timed > 0).collect();
    r.sort_by(|a, b| a.route.cmp(&b.route));
    r
}

/// `1m`, `5m`, `90s`, `1h`.
fn human_window(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

/// What the summary's quantiles cover, for its help: `over the last 1m`,
/// or `since start` in a batch snapshot.
pub(crate) fn over(snap: &Snapshot) -> String {
    match snap.windows.first() {
        Some(w) => format!("over the last {}", human_window(*w)),
        None => "since start".to_string(),
    }
}

/// Quantiles per route over the shortest window (since start in a batch
/// snapshot, which has no windows); `_sum`/`_count` since start, as client
/// libraries' summaries do. NaN quantiles for a window without timed
/// requests, the convention of client libraries.
fn summary_family(snap: &Snapshot, opts: &RenderOptions) -> MetricFamily {
    let mut f = WINDOW.family(opts);
    f.set_help(WINDOW.help.replace(OVER, &over(snap)));
    for r in sorted_routes(snap) {
        let (q_us, timed) = match (snap.windows.is_empty(), r.windows.first()) {
            (true, _) => (r.total.q_us, r.total.timed),
            (false, Some(w)) => (w.row.q_us, w.row.timed),
            (false, None) => (r.total.q_us, 0),
        };
        let quantiles = snap
            .quantiles
            .iter()
            .zip(q_us)
            .map(|(&q, us)| {
                let mut x = Quantile::default();
                x.set_quantile(q);
                x.set_value(if timed > 0 { secs(us) } else { f64::NAN });
                x
            })
            .collect();
        let mut s = Summary::default();
        s.set_quantile(quantiles);
        s.set_sample_count(r.total.timed);
        s.set_sample_sum(secs(r.total.lat_sum_us));
        let mut m = Metric::from_label(vec![pair("route", &r.route)]);
        m.set_summary(s);
        f.mut_metric().push(m);
    }
    f
}

/// Per backend and per host over all routes (`routetop_backend_*`,
/// `routetop_host_*`), for the kinds any request had a value of.
fn facet_families(snap: &Snapshot, opts: &RenderOptions, out: &mut Vec<MetricFamily>) {
    for (kind, specs) in FacetKind::ALL.into_iter().zip(FACET_SPECS) {
        let f = snap.facets.kind(kind);
        if f.totals.is_empty() {
            continue;
        }
        let [requests, errors, duration, limit, folded] = specs.map(|s| s.family(opts));
        let (mut requests, mut errors, mut duration, mut limit, mut folded) =
            (requests, errors, duration, limit, folded);
        let mut values: Vec<_> = f.totals.iter().collect();
        values.sort_by(|a, b| a.name.cmp(&b.name));
        for v in values {
            let l = || vec![pair(kind.as_str(), &v.name)];
            let c = &v.counts;
            requests.mut_metric().push(counter(l(), c.requests as f64));
            errors.mut_metric().push(counter(l(), c.errors_5xx as f64));
            let mut s = Summary::default();
            s.set_sample_count(c.timed);
            s.set_sample_sum(secs(c.lat_sum_us));
            let mut m = Metric::from_label(l());
            m.set_summary(s);
            duration.mut_metric().push(m);
        }
        limit.mut_metric().push(gauge(vec![], f.cap as f64));
        folded.mut_metric().push(gauge(vec![], f.folded as f64));
        out.extend([requests, errors, duration, limit, folded]);
    }
}

/// The slowest request per route in the series steps completed since the
/// previous render (at least the latest step, so a scrape faster than the
/// step still sees it); on the first render, the whole series. A batch
/// snapshot has no series: its since-start maximum.
fn max_family(snap: &Snapshot, opts: &RenderOptions, state: &mut ScrapeState) -> MetricFamily {
    // Steps completed between the two snapshots, from the series' absolute
    // step index; a smaller index means the engine restarted.
    let end = snap.total.series.end;
    let new_steps = match state.prev_end {
        Some(prev) if end >= prev => Some((end - prev).max(1) as usize),
        _ => None,
    };
    state.prev_end = Some(end);
    let mut f = MAX.family(opts);
    for r in sorted_routes(snap) {
        let s = &r.series.max_us;
        let us = if s.is_empty() {
            r.total.lat_max_us
        } else {
            let k = new_steps.unwrap_or(s.len()).min(s.len());
            s[s.len() - k..].iter().copied().max().unwrap_or(0)
        };
        f.mut_metric()
            .push(gauge(vec![pair("route", &r.route)], secs(us)));
    }
    f
}

fn self_families(snap: &Snapshot, opts: &RenderOptions, out: &mut Vec<MetricFamily>) {
    let mut build = BUILD.family(opts);
    build.mut_metric().push(gauge(
        vec![
            pair("version", version::VERSION),
            pair("revision", version::REVISION),
            pair("build_date", version::BUILD_DATE),
            pair("rustc", version::rustc_version()),
        ],
        1.0,
    ));

    let mut inputs = INPUTS.family(opts);
    for st in STATES {
        let n = snap.inputs.iter().filter(|i| i.state.label() == st).count();
        inputs
            .mut_metric()
            .push(gauge(vec![pair("state", st)], n as f64));
    }

    let mut lines = LINES.family(opts);
    let mut unparsed = UNPARSED.family(opts);
    let mut rotations = ROTATIONS.family(opts);
    let mut odd = ODD_VALUES.family(opts);
    let mut variants = VARIANT_LINES.family(opts);
    for i in &by_name(&snap.inputs) {
        let src = || vec![pair("source", &i.name)];
        lines.mut_metric().push(counter(src(), i.lines as f64));
        rotations
            .mut_metric()
            .push(counter(src(), i.rotations as f64));
        for kind in ErrorKind::ALL {
            let n = i.errors.get(kind.index()).copied().unwrap_or(0);
            unparsed.mut_metric().push(counter(
                vec![pair("reason", kind.as_str()), pair("source", &i.name)],
                n as f64,
            ));
        }
        for kind in Odd::ALL {
            let n = i.odd.get(kind.index()).copied().unwrap_or(0);
            odd.mut_metric().push(counter(
                vec![pair("kind", kind.as_str()), pair("source", &i.name)],
                n as f64,
            ));
        }
        // Empty unless several variants read the input.
        for (v, n) in &i.variants {
            variants.mut_metric().push(counter(
                vec![pair("source", &i.name), pair("variant", v)],
                *n as f64,
            ));
        }
    }

    let o = &snap.overflow;
    let mut routes = ROUTES.family(opts);
    routes.mut_metric().push(gauge(vec![], o.routes as f64));
    let mut limit = ROUTES_LIMIT.family(opts);
    limit.mut_metric().push(gauge(vec![], o.max_routes as f64));
    let mut folded = OVERFLOW_ROUTES.family(opts);
    folded
        .mut_metric()
        .push(gauge(vec![], o.folded_routes as f64));
    let mut folded_req = OVERFLOW_REQUESTS.family(opts);
    folded_req
        .mut_metric()
        .push(counter(vec![], o.requests as f64));
    out.extend([
        build, inputs, lines, unparsed, variants, odd, rotations, routes, limit, folded, folded_req,
    ]);
    facet_families(snap, opts, out);

    if !opts.slo.is_empty() {
        // Counters of since-start requests: they aggregate across hosts
        // (sum by slo), and rates of them are burn rates.
        let c = Matcher::new(&opts.slo).evaluate(&snap.keys, &snap.buckets_us);
        let (mut target, mut good, mut total) = (
            SLO_TARGET.family(opts),
            SLO_GOOD.family(opts),
            SLO_TOTAL.family(opts),
        );
        for (o, c) in opts.slo.iter().zip(c) {
            let l = || vec![pair("slo", &o.name)];
            target.mut_metric().push(gauge(l(), o.target));
            good.mut_metric().push(counter(l(), c.good as f64));
            total.mut_metric().push(counter(l(), c.total as f64));
        }
        out.extend([target, good, total]);
    }

    if let Some(lag) = snap.ingest_lag {
        let mut f = INGEST_LAG.family(opts);
        f.mut_metric().push(gauge(vec![], lag.as_secs_f64()));
        out.push(f);
    }
    if let Some(t) = snap
        .taken_at
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
    {
        let mut f = SNAPSHOT_TIME.family(opts);
        f.mut_metric().push(gauge(vec![], t.as_secs_f64()));
        out.push(f);
    }
}

/// The inputs' counts, one per name, in name order: inputs that share a
/// name (config `name`, given alike to two inputs) are added up, as their
/// keys are in the per-key families, since a label set names one series.
/// Only such inputs are copied.
fn by_name(inputs: &[InputSnap]) -> Vec<Cow<'_, InputSnap>> {
    let mut ins: Vec<&InputSnap> = inputs.iter().collect();
    ins.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Cow<'_, InputSnap>> = Vec::with_capacity(ins.len());
    for i in ins {
        let Some(m) = out.last_mut().filter(|m| m.name == i.name) else {
            out.push(Cow::Borrowed(i));
            continue;
        };
        let m = m.to_mut();
        m.lines += i.lines;
        m.requests += i.requests;
        m.rotations += i.rotations;
        for (a, b) in m.errors.iter_mut().zip(&i.errors) {
            *a += b;
        }
        for (a, b) in m.odd.iter_mut().zip(&i.odd) {
            *a += b;
        }
        for (v, n) in &i.variants {
            match m.variants.iter_mut().find(|(w, _)| w == v) {
                Some((_, k)) => *k += n,
                None => m.variants.push((v.clone(), *n)),
            }
        }
    }
    out
}
