//! The dashboard's reset (`r`), as a view epoch: the engine's counters go
//! on counting (what `/metrics`, pushes and headless summaries read never
//! goes back), and from the reset on the engine also keeps what the
//! dashboard shows instead of its since-start figures — [`SinceReset`]:
//! counts since the reset (the since-start counts less those at the
//! reset, exact), windows, series and latency distributions of the
//! requests since the reset (their own [`Recent`] per route, fed line by
//! line like the engine's), and the exact maximum.
//!
//! Costs nothing until the first reset; after it, one more [`Recent`]
//! record per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::hist::Hist;
use super::snapshot::{InputSnap, RouteSnap, Series, SinceReset, Snapshot};
use super::summary::Row;
use super::window::{Counts, Recent};
use crate::route::RouteId;

/// Since-start figures at the reset, and the requests since.
pub struct ViewEpoch {
    started: Instant,
    /// The engine's step at the reset: windows cover the time since it
    /// while they fill, the same for every route.
    origin: u64,
    /// Each route's since-start figures at the reset, by name.
    base: HashMap<Arc<str>, RouteSnap>,
    base_total: RouteSnap,
    base_inputs: Vec<InputSnap>,
    /// Windows, series and latency since the reset, by route id.
    recent: Vec<Option<Recent>>,
    total: Recent,
    /// Exact slowest request since the reset, by route id.
    max_us: Vec<u64>,
    total_max_us: u64,
    /// Log time covered since the reset.
    span: Option<(i64, i64)>,
    window_steps: Vec<u64>,
    series: usize,
    /// Scratch for [`Recent::refresh_since`].
    union: Hist,
}

impl ViewEpoch {
    /// Starts at `at`, the engine's snapshot of the moment (since start),
    /// taken at step `origin`.
    pub fn new(at: &Snapshot, origin: u64, window_steps: &[u64], series: usize) -> ViewEpoch {
        ViewEpoch {
            started: Instant::now(),
            origin,
            base: at
                .routes
                .iter()
                .map(|r| (r.route.clone(), r.clone()))
                .collect(),
            base_total: at.total.clone(),
            base_inputs: at.inputs.clone(),
            recent: Vec::new(),
            total: Recent::new(window_steps, series),
            max_us: Vec::new(),
            total_max_us: 0,
            span: None,
            window_steps: window_steps.to_vec(),
            series,
            union: Hist::default(),
        }
    }

    /// Counts one request of `route` (as the engine's [`Recent`]s do).
    #[inline]
    pub fn record(
        &mut self,
        route: RouteId,
        status: u16,
        bytes: Option<u64>,
        latency_us: Option<u64>,
        time: Option<i64>,
    ) {
        let i = route as usize;
        if self.recent.len() <= i {
            self.recent.resize_with(i + 1, || None);
            self.max_us.resize(i + 1, 0);
        }
        let (ws, series) = (&self.window_steps, self.series);
        self.recent[i]
            .get_or_insert_with(|| Recent::new(ws, series))
            .record(status, bytes, latency_us);
        self.total.record(status, bytes, latency_us);
        if let Some(us) = latency_us {
            self.max_us[i] = self.max_us[i].max(us);
            self.total_max_us = self.total_max_us.max(us);
        }
        if let Some(t) = time {
            self.span = Some(self.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    }

    /// [`ViewEpoch::record`] of a set of requests at once (a backfill's
    /// key): `c` their counts, `hist` their latencies, `span` their times.
    pub fn record_bulk(
        &mut self,
        route: RouteId,
        c: &Counts,
        hist: &Hist,
        span: Option<(i64, i64)>,
    ) {
        let i = route as usize;
        if self.recent.len() <= i {
            self.recent.resize_with(i + 1, || None);
            self.max_us.resize(i + 1, 0);
        }
        let (ws, series) = (&self.window_steps, self.series);
        self.recent[i]
            .get_or_insert_with(|| Recent::new(ws, series))
            .record_bulk(c, hist);
        self.total.record_bulk(c, hist);
        if c.timed > 0 {
            self.max_us[i] = self.max_us[i].max(c.max_us);
            self.total_max_us = self.total_max_us.max(c.max_us);
        }
        if let Some((a, b)) = span {
            self.span = Some(self.span.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
    }

    /// Closes step `step` (see `Recent::close_step`).
    pub fn close_step(&mut self, step: u64, scratch: &mut Histogram<u32>) {
        for r in self.recent.iter_mut().flatten() {
            if r.is_dirty() {
                r.close_step(step, scratch);
            }
        }
        self.total.close_step(step, scratch);
    }

    /// The since-reset figures of the routes and total of a since-start
    /// snapshot part (`routes` with their ids): routes without a request
    /// since the reset are left out. Inputs are added by [`Self::inputs`].
    #[allow(clippy::too_many_arguments)]
    pub fn since_reset(
        &mut self,
        routes: &[(RouteId, RouteSnap)],
        total: &RouteSnap,
        current: u64,
        step: Duration,
        route_series: usize,
        zeros: &Arc<Series>,
        scratch: &mut Histogram<u32>,
    ) -> SinceReset {
        let mut out = Vec::new();
        for (id, r) in routes {
            let i = *id as usize;
            let Some(Some(rec)) = self.recent.get_mut(i) else {
                continue;
            };
            rec.refresh_since(&mut self.union);
            let mut v = less(r, self.base.get(&r.route), rec.since(), self.max_us[i]);
            if v.total.requests == 0 {
                continue;
            }
            v.windows = rec.windows(current, self.origin, step, scratch);
            v.series = rec.series(current, route_series, step, zeros);
            out.push(v);
        }
        self.total.refresh_since(&mut self.union);
        let mut t = less(
            total,
            Some(&self.base_total),
            self.total.since(),
            self.total_max_us,
        );
        t.windows = self.total.windows(current, self.origin, step, scratch);
        let none = Arc::new(Series::default());
        t.series = self.total.series(current, self.series, step, &none);
        SinceReset {
            uptime: self.started.elapsed(),
            span: self.span,
            total: t,
            routes: out,
            inputs: Vec::new(),
        }
    }

    /// The inputs' accounting since the reset: lines, requests and parse
    /// errors less those at the reset, and only the bad lines read since.
    pub fn inputs(&self, now: &[InputSnap]) -> Vec<InputSnap> {
        now.iter()
            .map(|i| {
                let Some(b) = self.base_inputs.iter().find(|b| b.source == i.source) else {
                    return i.clone();
                };
                let mut errors = i.errors;
                for (e, was) in errors.iter_mut().zip(b.errors) {
                    *e = e.saturating_sub(was);
                }
                InputSnap {
                    lines: i.lines.saturating_sub(b.lines),
                    requests: i.requests.saturating_sub(b.requests),
                    errors,
                    samples: i
                        .samples
                        .iter()
                        .filter(|s| s.line_no > b.lines)
                        .cloned()
                        .collect(),
                    ..i.clone()
                }
            })
            .collect()
    }
}

/// `now` less `base` (its figures at the reset): the counts subtracted,
/// the latency (quantiles, distribution, maximum) from the requests since.
fn less(
    now: &RouteSnap,
    base: Option<&RouteSnap>,
    (q_us, latency): super::snapshot::Latency,
    max_us: u64,
) -> RouteSnap {
    let zero = RouteSnap::default();
    let b = base.unwrap_or(&zero);
    let (n, o) = (&now.total, &b.total);
    let mut classes = n.classes;
    for (c, was) in classes.iter_mut().zip(o.classes) {
        *c = c.saturating_sub(was);
    }
    RouteSnap {
        route: now.route.clone(),
        total: Row {
            // Counters only grow; saturating all the same, so that a bug
            // shows as a wrong figure, never as a panic of the engine.
            requests: n.requests.saturating_sub(o.requests),
            bytes: n.bytes.saturating_sub(o.bytes),
            classes,
            timed: n.timed.saturating_sub(o.timed),
            lat_sum_us: n.lat_sum_us.saturating_sub(o.lat_sum_us),
            lat_max_us: max_us,
            q_us,
        },
        windows: Vec::new(),
        methods: most_first(sub(&now.methods, &b.methods)).into(),
        statuses: sub(&now.statuses, &b.statuses).into(),
        sources: sub(&now.sources, &b.sources).into(),
        series: Arc::new(Series::default()),
        latency,
    }
}

/// A breakdown less the same breakdown earlier: what was added since,
/// without the entries that did not grow, in `now`'s order.
fn sub<K: PartialEq + Clone>(now: &[(K, u64)], base: &[(K, u64)]) -> Vec<(K, u64)> {
    now.iter()
        .filter_map(|(k, n)| {
            let was = base.iter().find(|(b, _)| b == k).map_or(0, |(_, v)| *v);
            (*n > was).then(|| (k.clone(), n - was))
        })
        .collect()
}

/// Methods most requests first, as in a since-start snapshot.
fn most_first<K>(mut v: Vec<(K, u64)>) -> Vec<(K, u64)> {
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v
}
