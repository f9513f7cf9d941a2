//! Since-start statistics in the shape views need: per key, per route
//! (rolled up over methods, statuses and sources) and in total, with
//! percentiles computed. Built once per report or snapshot, never per line.

use std::sync::Arc;

use super::{Aggregates, Registry, Stats};
use crate::route::OVERFLOW_ID;

/// Quantiles shown everywhere: p50, p90, p99, p99.9.
pub const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

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

    fn from_stats(s: &Stats, status: Option<u16>) -> Row {
        let mut r = Row {
            requests: s.count,
            bytes: s.bytes,
            timed: s.timed,
            lat_sum_us: s.lat_sum_us,
            lat_max_us: s.lat_max_us,
            ..Default::default()
        };
        if let Some(st) = status {
            r.classes[Row::class_of(st)] = s.count;
        }
        s.hist.quantiles(&QUANTILES, &mut r.q_us);
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

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
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
}

impl Summary {
    /// Seconds covered by the log's own timestamps: last − first + 1 (the
    /// timestamps have one-second resolution, so one second of traffic is
    /// one second, not zero).
    pub fn span_seconds(&self) -> Option<u64> {
        self.span.map(|(a, b)| (b - a).max(0) as u64 + 1)
    }

    /// Requests per second of log time.
    pub fn rate(&self, requests: u64) -> Option<f64> {
        self.span_seconds().map(|s| requests as f64 / s as f64)
    }

    pub fn build(agg: &Aggregates, reg: &Registry) -> Summary {
        // Group entry indices by (route, method, status) across sources.
        let mut order: Vec<usize> = (0..agg.entries.len()).collect();
        order.sort_unstable_by_key(|&i| {
            let k = agg.entries[i].key;
            (k.route, k.method, k.status, k.source)
        });

        let mut entries: Vec<EntryRow> = Vec::new();
        let mut routes: Vec<(RouteRow, usize, usize)> = Vec::new(); // row, first entry, end
        let mut total = Stats::default();
        let mut i = 0;
        while i < order.len() {
            let route = agg.entries[order[i]].key.route;
            let mut route_stats = Stats::default();
            let mut route_classes = [0u64; 6];
            let mut methods: Vec<(u8, u64)> = Vec::new();
            let first_entry = entries.len();
            while i < order.len() && agg.entries[order[i]].key.route == route {
                let k = agg.entries[order[i]].key;
                let mut es = agg.entries[order[i]].stats.clone();
                i += 1;
                while i < order.len() {
                    let k2 = agg.entries[order[i]].key;
                    if (k2.route, k2.method, k2.status) != (k.route, k.method, k.status) {
                        break;
                    }
                    es.merge(&agg.entries[order[i]].stats);
                    i += 1;
                }
                route_classes[Row::class_of(k.status)] += es.count;
                match methods.iter_mut().find(|(m, _)| *m == k.method) {
                    Some(m) => m.1 += es.count,
                    None => methods.push((k.method, es.count)),
                }
                route_stats.merge(&es);
                entries.push(EntryRow {
                    route: reg.routes.name(route).clone(),
                    method: reg.methods.name(k.method).clone(),
                    status: k.status,
                    row: Row::from_stats(&es, Some(k.status)),
                });
            }
            total.merge(&route_stats);
            methods.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut row = Row::from_stats(&route_stats, None);
            row.classes = route_classes;
            routes.push((
                RouteRow {
                    route: reg.routes.name(route).clone(),
                    methods: methods
                        .iter()
                        .map(|(m, _)| reg.methods.name(*m).clone())
                        .collect(),
                    row,
                },
                first_entry,
                entries.len(),
            ));
        }
        routes.sort_by(|a, b| {
            b.0.row
                .requests
                .cmp(&a.0.row.requests)
                .then_with(|| a.0.route.cmp(&b.0.route))
        });
        let mut sorted_entries = Vec::with_capacity(entries.len());
        for (_, a, b) in &routes {
            let mut group: Vec<EntryRow> = entries[*a..*b].to_vec();
            group.sort_by(|x, y| x.method.cmp(&y.method).then(x.status.cmp(&y.status)));
            sorted_entries.extend(group);
        }
        let mut totals = Row::from_stats(&total, None);
        totals.classes = routes.iter().fold([0u64; 6], |mut acc, (r, _, _)| {
            for (a, b) in acc.iter_mut().zip(r.row.classes) {
                *a += b;
            }
            acc
        });
        let (folded_routes, at_least) = reg.routes.folded();
        let overflow_requests = routes
            .iter()
            .find(|(r, _, _)| Arc::ptr_eq(&r.route, reg.routes.name(OVERFLOW_ID)))
            .map_or(0, |(r, _, _)| r.row.requests);
        Summary {
            routes: routes.into_iter().map(|(r, _, _)| r).collect(),
            entries: sorted_entries,
            totals,
            span: agg.span,
            overflow: Overflow {
                max_routes: reg.routes.cap(),
                routes: reg.routes.len(),
                folded_routes,
                at_least,
                requests: overflow_requests,
            },
        }
    }
}
