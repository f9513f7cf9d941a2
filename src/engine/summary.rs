//! Since-start statistics in the shape views need: per key, per route
//! (rolled up over methods, statuses and sources) and in total, with
//! percentiles computed. Built once per report or snapshot, never per line.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::aggregates::Aggregates;
use super::facet::{FacetFigures, Facets};
use super::hist::Hist;
use super::hist::{SMALL_MAX, new_hdr};
use super::key::{Key, STANDARD_METHODS};
use super::registry::Registry;
use super::stats::Stats;
use crate::route::OVERFLOW_ID;
use crate::simd::prefetch;

/// Quantiles shown everywhere: p50, p90, p99, p99.9.
pub const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// Pieces of the summary's work per thread (see [`Summary::build`]).
const PIECES_PER_THREAD: usize = 8;

/// Computed statistics of a set of requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub requests: u64,
    pub bytes: u64,
    /// Requests by status class: `[0]` other (<100, ≥600), `[1]` 1xx … `[5]` 5xx.
    pub classes: [u64; 6],
    /// Requests that carried a timer; latency fields are meaningful when > 0.
    pub timed: u64,
    pub lat_sum_us: u64,
    pub lat_max_us: u64,
    /// Latency at [`QUANTILES`], µs.
    pub q_us: [u64; 4],
}

impl Row {
    pub fn class_of(status: u16) -> usize {
        match status {
            100..=599 => (status / 100) as usize,
            _ => 0,
        }
    }

    /// The counters of `s` (requests, bytes, latency sum and maximum), with
    /// no status classes or quantiles.
    pub(super) fn counts(s: &Stats) -> Row {
        Row {
            requests: s.count,
            bytes: s.bytes,
            timed: s.latency.timed,
            lat_sum_us: s.latency.sum_us,
            lat_max_us: s.latency.max_us,
            ..Default::default()
        }
    }

    fn from_stats(s: &Stats, status: Option<u16>) -> Row {
        let mut r = Row::counts(s);
        if let Some(st) = status {
            r.classes[Row::class_of(st)] = s.count;
        }
        s.latency
            .hist
            .quantiles(&QUANTILES, s.latency.max_us, &mut r.q_us);
        r
    }

    pub fn err5(&self) -> f64 {
        ratio(self.classes[5], self.requests)
    }
    pub fn err4(&self) -> f64 {
        ratio(self.classes[4], self.requests)
    }
    pub fn mean_us(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.lat_sum_us as f64 / self.timed as f64)
    }
}

pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Adds `n` to `k`'s count in a short (key, count) list, appending `k` if
/// it is not there yet (lists stay in first-seen order).
pub(super) fn bump<K: PartialEq>(v: &mut Vec<(K, u64)>, k: K, n: u64) {
    match v.iter_mut().find(|(x, _)| *x == k) {
        Some(e) => e.1 += n,
        None => v.push((k, n)),
    }
}

/// Methods by id with their counts → names, most requests first; on a tie
/// the standard methods in their fixed order, then other methods by name
/// (their ids depend on which worker met them first).
pub(super) fn method_list(reg: &Registry, mut v: Vec<(u8, u64)>) -> Vec<(Arc<str>, u64)> {
    let fixed = |m: u8| (m as usize) < STANDARD_METHODS.len();
    v.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(fixed(b.0).cmp(&fixed(a.0)))
            .then_with(|| match fixed(a.0) && fixed(b.0) {
                true => a.0.cmp(&b.0),
                false => reg.methods.name(a.0).cmp(reg.methods.name(b.0)),
            })
    });
    v.into_iter()
        .map(|(m, n)| (reg.methods.name(m).clone(), n))
        .collect()
}

/// Seconds covered by a log-time span (Unix seconds, first and last): last −
/// first + 1 (the timestamps have one-second resolution, so one second of
/// traffic is one second, not zero).
pub fn span_seconds(span: Option<(i64, i64)>) -> Option<u64> {
    span.map(|(a, b)| b.saturating_sub(a).max(0) as u64 + 1)
}

/// Requests per second of log time: `requests` over [`span_seconds`]. The
/// one rate over a log's span, for the `--once` report and for a live
/// replay's since-start figures alike.
pub fn rate_over_span(requests: u64, span: Option<(i64, i64)>) -> Option<f64> {
    span_seconds(span).map(|s| requests as f64 / s as f64)
}

/// One (route, method, status) over all sources.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryRow {
    pub route: Arc<str>,
    pub method: Arc<str>,
    pub status: u16,
    pub row: Row,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteRow {
    pub route: Arc<str>,
    /// Methods seen, most requests first.
    pub methods: Vec<Arc<str>>,
    pub row: Row,
}

/// The cardinality cap and what it folded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overflow {
    pub max_routes: usize,
    pub routes: usize,
    /// Distinct routes folded into `(overflow)`; a lower bound if `at_least`.
    pub folded_routes: u64,
    pub at_least: bool,
    /// Requests counted under `(overflow)`.
    pub requests: u64,
    /// Of `requests`, those folded by the cap on keys per worker (a new
    /// (route, method, status) past it), not by the route cap.
    pub keys_folded: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Most requests first, then by name.
    pub routes: Vec<RouteRow>,
    /// Grouped by route in `routes` order, then method, then status.
    pub entries: Vec<EntryRow>,
    pub totals: Row,
    /// Log time covered, Unix seconds (first, last).
    pub span: Option<(i64, i64)>,
    pub overflow: Overflow,
    /// Per (route, backend) and (route, host), and per backend and host.
    pub facets: FacetFigures,
}

impl Summary {
    /// Seconds covered by the log's own timestamps: last − first + 1 (the
    /// timestamps have one-second resolution, so one second of traffic is
    /// one second, not zero).
    pub fn span_seconds(&self) -> Option<u64> {
        span_seconds(self.span)
    }

    /// Requests per second of log time.
    pub fn rate(&self, requests: u64) -> Option<f64> {
        rate_over_span(requests, self.span)
    }

    /// Builds the summary from the aggregates of one or more shards (a
    /// batch run's workers are not merged first: grouping by key here does
    /// the merge, without copying the histogram of a key only one shard
    /// saw). Route groups are independent, so they are split across
    /// `threads`.
    pub fn build(aggs: &[&Aggregates], reg: &Registry, threads: usize) -> Summary {
        debug_assert!(
            aggs.iter()
                .all(|a| a.entries.iter().all(|e| e.stats.settled())),
            "aggregates summarised before they were settled"
        );
        // Every entry of every shard, grouped by (route, method, status)
        // across sources and shards.
        let mut order: Vec<(Key, u32, u32)> =
            Vec::with_capacity(aggs.iter().map(|a| a.entries.len()).sum());
        for (s, agg) in aggs.iter().enumerate() {
            for (i, e) in agg.entries.iter().enumerate() {
                order.push((e.key, s as u32, i as u32));
            }
        }
        // The tuple (route, method, status, source, shard, index) packed in
        // one integer: the comparisons of a 6-tuple cost more than the
        // shifts (~20 000 entries, sorted serially before the split).
        order.sort_unstable_by_key(|&(k, s, i)| {
            (k.route as u128) << 96
                | (k.method as u128) << 88
                | (k.status as u128) << 72
                | (k.source as u128) << 56
                | ((s & 0xFF_FFFF) as u128) << 32
                | i as u128
        });
        let stats = |&(_, s, i): &(Key, u32, u32)| &aggs[s as usize].entries[i as usize].stats;

        // Cut the work at route boundaries into pieces that `threads` take
        // in turn: a route's cost varies a hundredfold (a key with an HDR
        // histogram costs tens of exact lists, and the overflow route is
        // all such keys), so halves by entry count left one thread with
        // most of the work.
        let threads = threads.clamp(1, 8);
        let pieces = if threads == 1 || order.len() < 1024 {
            1
        } else {
            threads * PIECES_PER_THREAD
        };
        let mut cuts = vec![0];
        for t in 1..pieces {
            let mut at = (order.len() * t / pieces).max(*cuts.last().unwrap_or(&0));
            while at > 0 && at < order.len() && order[at].0.route == order[at - 1].0.route {
                at += 1;
            }
            cuts.push(at.min(order.len()));
        }
        cuts.push(order.len());
        let next = AtomicUsize::new(0);
        let take = || {
            let mut done = Vec::new();
            loop {
                let p = next.fetch_add(1, Ordering::Relaxed);
                if p >= pieces {
                    return done;
                }
                done.push(group(&order[cuts[p]..cuts[p + 1]], &stats, reg));
            }
        };
        let parts: Vec<Part> = if pieces == 1 {
            take()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
                let mut parts = take();
                // A panic while summarising is a bug: surface it.
                for h in handles {
                    parts.extend(h.join().expect("summary thread panicked"));
                }
                parts
            })
        };

        let mut totals = Row::default();
        let mut total_hist = Hist::default();
        let mut routes: Vec<(RouteRow, Vec<EntryRow>)> = Vec::new();
        for p in parts {
            add_row_counts(&mut totals, &p.total);
            total_hist.merge(&p.total_hist);
            routes.extend(p.routes);
        }
        routes.sort_by(|a, b| {
            b.0.row
                .requests
                .cmp(&a.0.row.requests)
                .then_with(|| a.0.route.cmp(&b.0.route))
        });
        let mut sorted_entries = Vec::with_capacity(order.len());
        for (_, group) in &mut routes {
            sorted_entries.append(group);
        }
        total_hist.quantiles(&QUANTILES, totals.lat_max_us, &mut totals.q_us);
        let (folded_routes, at_least) = reg.routes.folded();
        let overflow_requests = routes
            .iter()
            .find(|(r, _)| Arc::ptr_eq(&r.route, reg.routes.name(OVERFLOW_ID)))
            .map_or(0, |(r, _)| r.row.requests);
        let span = aggs
            .iter()
            .filter_map(|a| a.span)
            .reduce(|(a, b), (x, y)| (a.min(x), b.max(y)));
        Summary {
            routes: routes.into_iter().map(|(r, _)| r).collect(),
            entries: sorted_entries,
            totals,
            span,
            overflow: Overflow {
                max_routes: reg.routes.cap(),
                routes: reg.routes.len(),
                folded_routes,
                at_least,
                requests: overflow_requests,
                keys_folded: aggs.iter().map(|a| a.keys_folded).sum(),
            },
            facets: {
                // Merged here: a few hundred names and their pairs.
                let mut all = Facets::new(aggs.first().map_or(0, |a| a.facets.cap()));
                for a in aggs {
                    all.merge_rekeyed(&a.facets, |r| r);
                }
                FacetFigures::of(&all, |r| reg.routes.name(r).clone())
            },
        }
    }
}

/// The routes of one slice of the sorted entries, with their own total.
struct Part {
    routes: Vec<(RouteRow, Vec<EntryRow>)>,
    total: Row,
    total_hist: Hist,
}

/// The latency values of a rollup (a route, a part's total), as
/// [`Hist::merge`] would hold them — an exact list while there are at most
/// [`SMALL_MAX`], HDR beyond — but with one HDR allocation reused for every
/// route: merging into a fresh `Stats` per route allocated (and faulted in)
/// a 26 KiB histogram for every busy route, and most of the summary's time
/// went there.
struct Rollup {
    /// Always `Hist::Small`.
    small: Hist,
    /// Always `Hist::Big`; in use when `big` is set.
    hdr: Hist,
    big: bool,
}

impl Rollup {
    fn new() -> Rollup {
        Rollup {
            small: Hist::Small(Vec::with_capacity(SMALL_MAX)),
            hdr: Hist::Big(new_hdr()),
            big: false,
        }
    }

    fn clear(&mut self) {
        self.small.clear();
        if self.big {
            self.hdr.clear();
            self.big = false;
        }
    }

    fn add(&mut self, h: &Hist) {
        if !self.big {
            if let (Hist::Small(a), Hist::Small(b)) = (&mut self.small, h)
                && a.len() + b.len() <= SMALL_MAX
            {
                a.extend_from_slice(b);
                return;
            }
            // Past the exact list's size: the same switch as `Hist::merge`.
            self.big = true;
            self.hdr.merge(&self.small);
            self.small.clear();
        }
        self.hdr.merge(h);
    }

    fn hist(&self) -> &Hist {
        if self.big { &self.hdr } else { &self.small }
    }

    fn into_hist(self) -> Hist {
        if self.big { self.hdr } else { self.small }
    }
}

fn group<'a>(
    order: &[(Key, u32, u32)],
    stats: &(impl Fn(&(Key, u32, u32)) -> &'a Stats + ?Sized),
    reg: &Registry,
) -> Part {
    let mut routes = Vec::new();
    let mut total = Row::default();
    let mut total_hist = Rollup::new();
    let mut route_hist = Rollup::new();
    let mut merged = Stats::default();
    let mut i = 0;
    while i < order.len() {
        let route = order[i].0.route;
        let name = reg.routes.name(route);
        let mut row = Row::default();
        route_hist.clear();
        let mut methods: Vec<(u8, u64)> = Vec::new();
        // The route's slice of `order` bounds its keys: no regrowth.
        let keys = order[i..].partition_point(|e| e.0.route == route);
        let mut entries = Vec::with_capacity(keys);
        while i < order.len() && order[i].0.route == route {
            // The entries were written while parsing, long evicted by the
            // log streaming through: fetch the next ones' stats, then their
            // exact lists, while this one is summarised.
            if let Some(e) = order.get(i + 8) {
                prefetch(stats(e));
            }
            if let Some(e) = order.get(i + 4)
                && let Hist::Small(v) = &stats(e).latency.hist
            {
                prefetch(v.as_ptr());
            }
            let k = order[i].0;
            let mut j = i + 1;
            while j < order.len()
                && (order[j].0.method, order[j].0.status, order[j].0.route)
                    == (k.method, k.status, k.route)
            {
                j += 1;
            }
            // One entry (the common case) is read in place; several (sources,
            // shards) are summed into a copy of the first, in one reused
            // `Stats`: a fresh 26 KiB histogram per busy key cost page faults.
            let es: &Stats = if j == i + 1 {
                stats(&order[i])
            } else {
                merged.copy_from(stats(&order[i]));
                for o in &order[i + 1..j] {
                    merged.merge(stats(o));
                }
                &merged
            };
            i = j;
            bump(&mut methods, k.method, es.count);
            route_hist.add(&es.latency.hist);
            let entry = Row::from_stats(es, Some(k.status));
            // Counts and the status class; quantiles come from the rollup.
            add_row_counts(&mut row, &entry);
            entries.push(EntryRow {
                route: name.clone(),
                method: reg.methods.name(k.method).clone(),
                status: k.status,
                row: entry,
            });
        }
        // Here, on the part's thread, rather than serially after the parts.
        entries.sort_by(|x, y| x.method.cmp(&y.method).then(x.status.cmp(&y.status)));
        route_hist
            .hist()
            .quantiles(&QUANTILES, row.lat_max_us, &mut row.q_us);
        total_hist.add(route_hist.hist());
        add_row_counts(&mut total, &row);
        routes.push((
            RouteRow {
                route: name.clone(),
                methods: method_list(reg, methods)
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect(),
                row,
            },
            entries,
        ));
    }
    Part {
        routes,
        total,
        total_hist: total_hist.into_hist(),
    }
}

/// Adds `o`'s counters and status classes to `r`.
fn add_row_counts(r: &mut Row, o: &Row) {
    r.requests += o.requests;
    r.bytes = r.bytes.saturating_add(o.bytes);
    r.timed += o.timed;
    r.lat_sum_us += o.lat_sum_us;
    r.lat_max_us = r.lat_max_us.max(o.lat_max_us);
    for (a, b) in r.classes.iter_mut().zip(o.classes) {
        *a += b;
    }
}

#[cfg(test)]
mod tests;
