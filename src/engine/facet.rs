//! Facets: what a request went through besides its route — the backend
//! that served it and the host it was addressed to ([`FacetKind`]) — counted
//! per (route, facet value) with exact counters: requests, 5xx, timed
//! requests, latency sum and maximum (no histogram per pair: memory).
//!
//! One mechanism for every kind ([`FacetTable`]), held twice in
//! [`Facets`], which lives in each [`super::Aggregates`] beside its keys and
//! is merged with them.
//!
//! **The cap, order-independent.** A kind keeps at most `cap` names
//! (`--max-facets`); the others count under [`OTHER`]. Which names are kept
//! does not depend on the order lines arrive in, nor on how they were split
//! between workers: the kept names are the `cap` smallest by
//! (FxHash of the name, name) among all names seen. A new name smaller
//! than the largest kept one evicts it (its pairs move into `(other)` of
//! the same routes: the counts stay exact), a larger one folds at once.
//! A name among the `cap` smallest of all names is among the smallest of
//! any part of the lines, so no worker, backfill or restored state ever
//! folded it: a `--once` run, the live engine, its backfills and a restart
//! from saved state keep the same names with the same counts. Route
//! admission in input order (`resolve.rs`) is not needed, so recording a
//! facet touches no shared state.
//!
//! Memory: per kind `cap` names, per route at most `cap + 1` pairs of 48 B,
//! so at most routes × (cap + 1) pairs per kind and per aggregates; the
//! distinct folded names are remembered by hash up to
//! [`FACET_FOLDED_TRACKED`], then counted as "at least".

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::route::{RouteId, display_name, fold_hash};

/// The name of the facet value the cap folds names into.
pub const OTHER: &str = "(other)";

/// Id of [`OTHER`] in every table.
const OTHER_ID: u32 = 0;

/// Default of `--max-facets`: names kept per kind.
pub const DEFAULT_MAX_FACETS: usize = 200;

/// Distinct folded names remembered (by hash) before their count becomes a
/// lower bound: 80 KiB per kind at most.
pub const FACET_FOLDED_TRACKED: usize = 10_000;

/// What a facet says of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacetKind {
    /// What served the request behind the logger (`Record::backend`).
    Backend,
    /// The virtual host it was addressed to (`Record::host`).
    Host,
}

impl FacetKind {
    pub const ALL: [FacetKind; 2] = [FacetKind::Backend, FacetKind::Host];

    /// Singular, lower case: a metric label and a JSON key stem.
    pub fn as_str(self) -> &'static str {
        match self {
            FacetKind::Backend => "backend",
            FacetKind::Host => "host",
        }
    }

    /// Plural, for headings.
    pub fn title(self) -> &'static str {
        match self {
            FacetKind::Backend => "Backends",
            FacetKind::Host => "Hosts",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Exact counters of a set of requests with one facet value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FacetCounts {
    pub requests: u64,
    pub errors_5xx: u64,
    /// Requests that carried a timer.
    pub timed: u64,
    pub lat_sum_us: u64,
    pub lat_max_us: u64,
}

impl FacetCounts {
    #[inline]
    fn record(&mut self, status: u16, latency_us: Option<u64>) {
        self.requests += 1;
        self.errors_5xx += u64::from((500..600).contains(&status));
        if let Some(us) = latency_us {
            self.timed += 1;
            self.lat_sum_us = self.lat_sum_us.saturating_add(us);
            self.lat_max_us = self.lat_max_us.max(us);
        }
    }

    pub fn merge(&mut self, o: &FacetCounts) {
        self.requests += o.requests;
        self.errors_5xx += o.errors_5xx;
        self.timed += o.timed;
        self.lat_sum_us = self.lat_sum_us.saturating_add(o.lat_sum_us);
        self.lat_max_us = self.lat_max_us.max(o.lat_max_us);
    }

    /// Mean latency in µs; `None` without a timed request.
    pub fn mean_us(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.lat_sum_us as f64 / self.timed as f64)
    }
}

/// One kind's names (capped, see the module doc) and pairs.
#[derive(Clone, Debug)]
pub struct FacetTable {
    /// Display name → id; [`OTHER`] is not in it.
    ids: FxHashMap<Box<[u8]>, u32>,
    /// Id → (display name, its hash); `None` for a free id (evicted). Id 0
    /// is [`OTHER`].
    names: Vec<Option<(Arc<str>, u64)>>,
    free: Vec<u32>,
    /// The kept name largest by (hash, name): the next to evict. Set while
    /// the table is full.
    largest: Option<u32>,
    /// Per id, the routes that have a pair with it (an eviction visits only
    /// those).
    routes_of: Vec<Vec<RouteId>>,
    /// Per route id, its pairs: (facet id, counts), busiest first roughly.
    by_route: Vec<Vec<(u32, FacetCounts)>>,
    cap: usize,
    /// Hashes of the distinct names folded, up to [`FACET_FOLDED_TRACKED`].
    folded: FxHashSet<u64>,
    folded_at_least: bool,
}

impl FacetTable {
    pub fn new(cap: usize) -> FacetTable {
        FacetTable {
            ids: FxHashMap::default(),
            names: vec![None],
            free: Vec::new(),
            largest: None,
            routes_of: vec![Vec::new()],
            by_route: Vec::new(),
            cap,
            folded: FxHashSet::default(),
            folded_at_least: false,
        }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Names kept (not counting [`OTHER`]).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Distinct names folded into [`OTHER`], and whether that is a lower
    /// bound.
    pub fn folded(&self) -> (u64, bool) {
        (self.folded.len() as u64, self.folded_at_least)
    }

    /// The hashes of the folded names, ascending (saved state).
    pub fn folded_hashes(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.folded.iter().copied().collect();
        v.sort_unstable();
        v
    }

    /// Counts folded names by hash (saved state being restored, a merge).
    pub fn note_folded(&mut self, hashes: impl IntoIterator<Item = u64>) {
        for h in hashes {
            if self.folded.len() >= FACET_FOLDED_TRACKED {
                self.folded_at_least |= !self.folded.contains(&h);
                continue;
            }
            self.folded.insert(h);
        }
    }

    fn name_of(&self, id: u32) -> &str {
        match &self.names[id as usize] {
            Some((n, _)) => n,
            None => OTHER,
        }
    }

    /// Every pair: (route id, facet name, counts), in no particular order.
    pub fn pairs(&self) -> impl Iterator<Item = (RouteId, &str, &FacetCounts)> {
        self.by_route.iter().enumerate().flat_map(move |(r, v)| {
            v.iter()
                .map(move |(id, c)| (r as RouteId, self.name_of(*id), c))
        })
    }

    /// Counts one request with facet value `name` (raw, not empty) on
    /// `route`.
    #[inline]
    pub fn record(&mut self, route: RouteId, name: &[u8], status: u16, latency_us: Option<u64>) {
        let id = self.intern(name);
        self.pair(route, id).record(status, latency_us);
    }

    /// Adds `counts` to the pair (route, `name`) (merges, saved state).
    pub fn add(&mut self, route: RouteId, name: &[u8], counts: &FacetCounts) {
        let id = self.intern(name);
        self.pair(route, id).merge(counts);
    }

    /// The pair (route, id), made if needed.
    #[inline]
    fn pair(&mut self, route: RouteId, id: u32) -> &mut FacetCounts {
        let r = route as usize;
        if self.by_route.len() <= r {
            self.by_route.resize_with(r + 1, Vec::new);
        }
        let pairs = &mut self.by_route[r];
        let at = match pairs.iter().position(|&(i, _)| i == id) {
            // Move a hit one place forward: the busiest pairs end up first.
            Some(at) if at > 0 => {
                pairs.swap(at, at - 1);
                at - 1
            }
            Some(at) => at,
            None => {
                pairs.push((id, FacetCounts::default()));
                self.routes_of[id as usize].push(route);
                pairs.len() - 1
            }
        };
        &mut pairs[at].1
    }

    /// The id of `name` (raw), admitting it, evicting the largest kept
    /// name or folding it into [`OTHER`] as the cap says.
    #[inline]
    fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        self.intern_slow(name)
    }

    #[cold]
    fn intern_slow(&mut self, name: &[u8]) -> u32 {
        let shown = display_name(name);
        if let Some(&id) = self.ids.get(shown.as_bytes()) {
            return id;
        }
        if shown == OTHER {
            // A value logged as `(other)` is one label with the fold's.
            return OTHER_ID;
        }
        let hash = fold_hash(shown.as_bytes());
        if self.ids.len() >= self.cap {
            let Some(big) = self.largest_kept() else {
                // A cap of 0: everything is folded.
                self.note_folded([hash]);
                return OTHER_ID;
            };
            let Some((big_name, big_hash)) = self.names[big as usize].clone() else {
                return OTHER_ID;
            };
            if (hash, shown.as_bytes()) > (big_hash, big_name.as_bytes()) {
                self.note_folded([hash]);
                return OTHER_ID;
            }
            self.evict(big);
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.names.push(None);
                self.routes_of.push(Vec::new());
                (self.names.len() - 1) as u32
            }
        };
        let shown: Arc<str> = Arc::from(shown);
        self.ids.insert(shown.as_bytes().into(), id);
        self.names[id as usize] = Some((shown, hash));
        self.largest = None;
        id
    }

    /// The kept name largest by (hash, name), remembered until the set
    /// changes.
    fn largest_kept(&mut self) -> Option<u32> {
        if self.largest.is_none() {
            self.largest = self
                .names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.as_ref().map(|(s, h)| (*h, s.as_bytes(), i as u32)))
                .max()
                .map(|(_, _, i)| i);
        }
        self.largest
    }

    /// Folds kept name `id` into [`OTHER`]: its pairs join their routes'
    /// `(other)` pairs, and the id is free.
    fn evict(&mut self, id: u32) {
        let Some((name, hash)) = self.names[id as usize].take() else {
            return;
        };
        self.ids.remove(name.as_bytes());
        self.note_folded([hash]);
        for route in std::mem::take(&mut self.routes_of[id as usize]) {
            let pairs = &mut self.by_route[route as usize];
            if let Some(at) = pairs.iter().position(|&(i, _)| i == id) {
                let (_, c) = pairs.swap_remove(at);
                self.pair(route, OTHER_ID).merge(&c);
            }
        }
        self.free.push(id);
        self.largest = None;
    }

    /// Adds `other`'s names and pairs, each of its routes turned into
    /// `rekey(route)`.
    pub fn merge_rekeyed(&mut self, other: &FacetTable, rekey: &impl Fn(RouteId) -> RouteId) {
        self.note_folded(other.folded.iter().copied());
        self.folded_at_least |= other.folded_at_least;
        // Pairs are merged name by name as each is admitted: a later name
        // evicting an earlier one moves its pairs along with the rest.
        for (oid, entry) in other.names.iter().enumerate() {
            let id = match entry {
                None if oid as u32 != OTHER_ID => continue,
                None => OTHER_ID,
                Some((n, _)) => self.intern(n.as_bytes()),
            };
            for &route in &other.routes_of[oid] {
                if let Some((_, c)) = other.by_route[route as usize]
                    .iter()
                    .find(|&&(i, _)| i == oid as u32)
                {
                    self.pair(rekey(route), id).merge(c);
                }
            }
        }
    }

    /// Forgets all names and counts, keeping the cap.
    pub fn clear(&mut self) {
        *self = FacetTable::new(self.cap);
    }

    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.ids.keys().map(|k| 2 * k.len() + 48).sum();
        let pairs: usize = self.by_route.iter().map(|v| v.capacity() * 48 + 24).sum();
        let routes: usize = self.routes_of.iter().map(|v| v.capacity() * 4 + 24).sum();
        names + pairs + routes + self.folded.capacity() * 8
    }
}

/// Every kind's table: what an [`super::Aggregates`] holds beside its keys.
#[derive(Clone, Debug)]
pub struct Facets {
    tables: [FacetTable; 2],
}

impl Facets {
    pub fn new(cap: usize) -> Facets {
        Facets {
            tables: [FacetTable::new(cap), FacetTable::new(cap)],
        }
    }

    /// Names kept per kind.
    pub fn cap(&self) -> usize {
        self.tables[0].cap()
    }

    pub fn table(&self, kind: FacetKind) -> &FacetTable {
        &self.tables[kind.index()]
    }

    pub fn table_mut(&mut self, kind: FacetKind) -> &mut FacetTable {
        &mut self.tables[kind.index()]
    }

    /// Counts a request's host and backend on `route`; an empty field (or
    /// `-`) is not a facet value and counts nothing.
    #[inline]
    pub fn record(
        &mut self,
        route: RouteId,
        host: &[u8],
        backend: &[u8],
        status: u16,
        latency_us: Option<u64>,
    ) {
        if !matches!(backend, b"" | b"-") {
            self.tables[FacetKind::Backend.index()].record(route, backend, status, latency_us);
        }
        if !matches!(host, b"" | b"-") {
            self.tables[FacetKind::Host.index()].record(route, host, status, latency_us);
        }
    }

    pub fn merge_rekeyed(&mut self, other: &Facets, rekey: impl Fn(RouteId) -> RouteId) {
        for (a, b) in self.tables.iter_mut().zip(&other.tables) {
            a.merge_rekeyed(b, &rekey);
        }
    }

    pub fn clear(&mut self) {
        for t in &mut self.tables {
            t.clear();
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.tables.iter().map(FacetTable::heap_bytes).sum()
    }
}

/// One facet value's counters, for views.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FacetRow {
    pub name: Arc<str>,
    pub counts: FacetCounts,
}

/// One kind's figures, computed for views.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FacetSnap {
    /// Per route (ascending route name), its values: most requests first,
    /// then by name. A route without any value is not here.
    pub by_route: Vec<(Arc<str>, Vec<FacetRow>)>,
    /// Per value over all routes (the sum of its pairs), in the same order.
    pub totals: Vec<FacetRow>,
    /// Names kept before the rest count under [`OTHER`].
    pub cap: usize,
    /// Distinct names folded into [`OTHER`]; a lower bound if `at_least`.
    pub folded: u64,
    pub at_least: bool,
}

impl FacetSnap {
    /// `route`'s values (empty when it has none).
    pub fn route(&self, route: &str) -> &[FacetRow] {
        match self.by_route.binary_search_by(|(r, _)| (**r).cmp(route)) {
            Ok(i) => &self.by_route[i].1,
            Err(_) => &[],
        }
    }
}

/// Every kind's figures: what snapshots and summaries carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FacetFigures {
    pub kinds: [FacetSnap; 2],
}

impl FacetFigures {
    pub fn kind(&self, kind: FacetKind) -> &FacetSnap {
        &self.kinds[kind.index()]
    }

    /// Whether any request had a host or a backend.
    pub fn is_empty(&self) -> bool {
        self.kinds.iter().all(|k| k.totals.is_empty())
    }

    /// The figures of `facets`, routes named by `route_name`. Pairs of
    /// route ids that name one route (none today) add up.
    pub fn of(facets: &Facets, route_name: impl Fn(RouteId) -> Arc<str>) -> FacetFigures {
        let kinds = FacetKind::ALL.map(|k| {
            let t = facets.table(k);
            let mut per: Vec<(Arc<str>, Arc<str>, FacetCounts)> = t
                .pairs()
                .map(|(r, n, c)| (route_name(r), Arc::from(n), *c))
                .collect();
            per.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            let mut by_route: Vec<(Arc<str>, Vec<FacetRow>)> = Vec::new();
            let mut totals: Vec<FacetRow> = Vec::new();
            for (route, name, c) in per {
                match by_route.last_mut() {
                    Some((r, rows)) if *r == route => add_row(rows, &name, &c),
                    _ => by_route.push((
                        route,
                        vec![FacetRow {
                            name: name.clone(),
                            counts: c,
                        }],
                    )),
                }
                totals.push(FacetRow { name, counts: c });
            }
            totals.sort_by(|a, b| a.name.cmp(&b.name));
            totals.dedup_by(|b, a| {
                let same = a.name == b.name;
                if same {
                    a.counts.merge(&b.counts);
                }
                same
            });
            for (_, rows) in &mut by_route {
                sort_rows(rows);
            }
            sort_rows(&mut totals);
            let (folded, at_least) = t.folded();
            FacetSnap {
                by_route,
                totals,
                cap: t.cap(),
                folded,
                at_least,
            }
        });
        FacetFigures { kinds }
    }
}

fn add_row(rows: &mut Vec<FacetRow>, name: &Arc<str>, c: &FacetCounts) {
    match rows.iter_mut().find(|r| r.name == *name) {
        Some(r) => r.counts.merge(c),
        None => rows.push(FacetRow {
            name: name.clone(),
            counts: *c,
        }),
    }
}

/// Most requests first, then by name.
fn sort_rows(rows: &mut [FacetRow]) {
    rows.sort_by(|a, b| {
        b.counts
            .requests
            .cmp(&a.counts.requests)
            .then_with(|| a.name.cmp(&b.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs as sorted (route, name, requests, 5xx, timed, sum, max).
    fn pairs(t: &FacetTable) -> Vec<(RouteId, String, [u64; 5])> {
        let mut v: Vec<_> = t
            .pairs()
            .map(|(r, n, c)| {
                (
                    r,
                    n.to_string(),
                    [
                        c.requests,
                        c.errors_5xx,
                        c.timed,
                        c.lat_sum_us,
                        c.lat_max_us,
                    ],
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn pair_counts_requests_5xx_and_timers_exactly() {
        let mut f = Facets::new(10);
        f.record(1, b"a.example", b"10.0.0.1:80", 200, Some(100));
        f.record(1, b"a.example", b"10.0.0.1:80", 502, Some(300));
        f.record(1, b"a.example", b"10.0.0.2:80", 503, None);
        f.record(2, b"", b"10.0.0.1:80", 200, Some(50));
        let b = f.table(FacetKind::Backend);
        assert_eq!(
            pairs(b),
            vec![
                (1, "10.0.0.1:80".into(), [2, 1, 2, 400, 300]),
                (1, "10.0.0.2:80".into(), [1, 1, 0, 0, 0]),
                (2, "10.0.0.1:80".into(), [1, 0, 1, 50, 50]),
            ]
        );
        assert_eq!(
            pairs(f.table(FacetKind::Host)),
            vec![(1, "a.example".into(), [3, 2, 2, 400, 300])]
        );
    }

    #[test]
    fn empty_or_dash_field_is_not_a_facet() {
        let mut f = Facets::new(10);
        f.record(1, b"", b"-", 200, Some(1));
        f.record(1, b"-", b"", 200, Some(1));
        assert_eq!(pairs(f.table(FacetKind::Backend)), vec![]);
        assert_eq!(pairs(f.table(FacetKind::Host)), vec![]);
        assert!(f.table(FacetKind::Host).is_empty());
    }

    /// The names kept past the cap: the `cap` smallest by (hash, name).
    fn smallest(names: &[String], cap: usize) -> Vec<String> {
        let mut v: Vec<(u64, &String)> =
            names.iter().map(|n| (fold_hash(n.as_bytes()), n)).collect();
        v.sort();
        v.dedup();
        let mut kept: Vec<String> = v.into_iter().take(cap).map(|(_, n)| n.clone()).collect();
        kept.sort();
        kept
    }

    fn kept(t: &FacetTable) -> Vec<String> {
        let mut v: Vec<String> = t
            .ids
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn cap_keeps_the_smallest_names_whatever_the_order() {
        let names: Vec<String> = (0..50).map(|i| format!("b{i}")).collect();
        let want = smallest(&names, 7);
        let mut fwd = FacetTable::new(7);
        let mut back = FacetTable::new(7);
        for (i, n) in names.iter().enumerate() {
            fwd.record(i as u32 % 3, n.as_bytes(), 500, Some(i as u64));
        }
        for (i, n) in names.iter().enumerate().rev() {
            back.record(i as u32 % 3, n.as_bytes(), 500, Some(i as u64));
        }
        assert_eq!(kept(&fwd), want);
        assert_eq!(pairs(&fwd), pairs(&back));
        assert_eq!(fwd.folded(), (43, false));
        assert_eq!(back.folded(), (43, false));
        let total: u64 = fwd.pairs().map(|(_, _, c)| c.requests).sum();
        assert_eq!(total, 50);
        let other: u64 = fwd
            .pairs()
            .filter(|(_, n, _)| *n == OTHER)
            .map(|(_, _, c)| c.requests)
            .sum();
        assert_eq!(other, 43);
    }

    #[test]
    fn merged_parts_equal_one_table_of_all_lines() {
        let lines: Vec<(u32, String, u16)> = (0..300)
            .map(|i| {
                (
                    i % 5,
                    format!("10.0.{}.{}:8080", i % 7, i % 31),
                    200 + (i % 4) as u16 * 100,
                )
            })
            .collect();
        let mut whole = FacetTable::new(12);
        for (r, n, s) in &lines {
            whole.record(*r, n.as_bytes(), *s, Some(u64::from(*s)));
        }
        // Three parts, interleaved, merged with route ids shifted and back.
        let mut parts = [
            FacetTable::new(12),
            FacetTable::new(12),
            FacetTable::new(12),
        ];
        for (i, (r, n, s)) in lines.iter().enumerate() {
            parts[i % 3].record(*r + 100, n.as_bytes(), *s, Some(u64::from(*s)));
        }
        let mut merged = FacetTable::new(12);
        for p in parts.iter().rev() {
            merged.merge_rekeyed(p, &|r| r - 100);
        }
        assert_eq!(pairs(&merged), pairs(&whole));
        assert_eq!(kept(&merged), kept(&whole));
        assert_eq!(merged.folded(), whole.folded());
        // 7 × 31 distinct names (i mod 7, i mod 31), 12 kept.
        assert_eq!(whole.folded(), (7 * 31 - 12, false));
    }

    #[test]
    fn non_printable_names_that_display_alike_are_one_name() {
        let mut t = FacetTable::new(5);
        t.record(0, b"x\\xFF", 200, None);
        t.record(0, b"x\xff", 200, None);
        assert_eq!(pairs(&t), vec![(0, "x\\xFF".into(), [2, 0, 0, 0, 0])]);
    }

    #[test]
    fn cap_of_zero_folds_every_name() {
        let mut t = FacetTable::new(0);
        t.record(3, b"a", 500, Some(7));
        t.record(3, b"b", 200, None);
        assert_eq!(pairs(&t), vec![(3, OTHER.into(), [2, 1, 1, 7, 7])]);
        assert_eq!(t.folded(), (2, false));
    }

    use proptest::prelude::*;

    /// Requests: (route, name, status, latency) drawn from few routes and
    /// names, so that caps fold and names repeat.
    fn requests() -> impl Strategy<Value = Vec<(u32, String, u16, Option<u64>)>> {
        proptest::collection::vec(
            (
                0..6u32,
                (0..30u32).prop_map(|n| format!("10.0.0.{n}:80")),
                prop_oneof![Just(200u16), Just(404), Just(502), Just(503)],
                proptest::option::of(0..5_000_000u64),
            ),
            0..300,
        )
    }

    proptest! {
        // 300 cases of up to 300 requests: a few ms in a debug build
        // (settings: `crate::props`).
        #![proptest_config(crate::props::config(300))]

        /// However the requests are split between tables, in whatever
        /// order each sees them and the parts are merged, the pairs, the
        /// kept names and the folded count are those of one table that saw
        /// them in order: what makes every mode agree.
        #[test]
        fn any_split_and_order_gives_the_figures_of_one_table(
            reqs in requests(),
            cap in 0..12usize,
            parts in 1..5usize,
            seed in any::<u64>(),
        ) {
            let mut whole = FacetTable::new(cap);
            for (r, n, s, l) in &reqs {
                whole.record(*r, n.as_bytes(), *s, *l);
            }
            let mut split: Vec<FacetTable> = (0..parts).map(|_| FacetTable::new(cap)).collect();
            let mut x = seed | 1;
            let mut order: Vec<usize> = (0..reqs.len()).collect();
            for i in (1..order.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            for i in order {
                let (r, n, s, l) = &reqs[i];
                split[(i * 7 + seed as usize) % parts].record(*r, n.as_bytes(), *s, *l);
            }
            let mut merged = FacetTable::new(cap);
            for p in split.iter().rev() {
                merged.merge_rekeyed(p, &|r| r);
            }
            prop_assert_eq!(pairs(&merged), pairs(&whole));
            prop_assert_eq!(kept(&merged), kept(&whole));
            prop_assert_eq!(merged.folded(), whole.folded());
            let total: u64 = whole.pairs().map(|(_, _, c)| c.requests).sum();
            prop_assert_eq!(total, reqs.len() as u64);
        }
    }
}
