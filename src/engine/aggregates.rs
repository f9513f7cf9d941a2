//! Keys and their statistics: the exact counters and histograms a shard
//! fills, merged and summarised later. Lookups are per route, in a short
//! list (see [`Aggregates`]); the key cap folds new keys into the overflow
//! route.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::facet::Facets;
use super::key::Key;
use super::options::EngineConfig;
use super::stats::Stats;
use crate::route::{OVERFLOW_ID, RouteId};
use crate::simd::prefetch;

/// Keys of one route scanned in a list before a hash map takes the rest: a
/// route with hundreds of statuses and methods (hostile or odd input) costs
/// a 32-entry scan and a probe, not a scan of all of them.
const ROUTE_KEYS_LISTED: usize = 32;

/// One route's keys: ([`Key::rest`], entry index).
#[derive(Default)]
struct RouteKeys {
    list: Vec<(u32, u32)>,
    more: FxHashMap<u32, u32>,
}

/// Keys and their statistics.
pub struct Aggregates {
    /// Per route id (dense, capped by the route table): its keys. A route
    /// has a few to a few dozen keys and one or two take most requests, so
    /// a short scan of a contiguous list (hot keys move to the front) beats
    /// a hash probe into a table of every key, which missed the cache on
    /// nearly every line.
    by_route: Vec<RouteKeys>,
    pub entries: Vec<Entry>,
    /// Earliest and latest log timestamps seen (Unix seconds).
    pub span: Option<(i64, i64)>,
    bounds: Arc<[u64]>,
    max_keys: usize,
    key_hists: bool,
    /// Requests whose key was folded into the overflow route by the key cap.
    pub keys_folded: u64,
    /// Per (route, backend) and (route, host): counted by route id, so
    /// the key cap does not fold them (`facet.rs`).
    pub facets: Facets,
}

impl Aggregates {
    pub fn new(cfg: &EngineConfig) -> Aggregates {
        Aggregates {
            by_route: Vec::new(),
            entries: Vec::new(),
            span: None,
            bounds: cfg.bounds_us.clone(),
            max_keys: cfg.max_keys,
            key_hists: cfg.key_hists,
            keys_folded: 0,
            facets: Facets::new(cfg.max_facets),
        }
    }

    /// Aggregates without a key cap (a shard's lines of routes awaiting
    /// admission: bounded by a block's lines, capped when moved on).
    pub(super) fn unbounded(cfg: &EngineConfig) -> Aggregates {
        Aggregates {
            max_keys: usize::MAX,
            ..Aggregates::new(cfg)
        }
    }

    /// Aggregates with a key cap of `max_keys` (tests of the cap).
    #[cfg(test)]
    pub(super) fn with_max_keys(cfg: &EngineConfig, max_keys: usize) -> Aggregates {
        Aggregates {
            max_keys,
            ..Aggregates::new(cfg)
        }
    }

    pub fn bounds(&self) -> &[u64] {
        &self.bounds
    }

    /// Index of `key`'s entry, created if needed (or folded, past the cap:
    /// `requests` is how many requests that folds).
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub(super) fn slot(&mut self, mut key: Key, requests: u64) -> usize {
        if let Some(i) = self.find(key) {
            return i;
        }
        if self.entries.len() >= self.max_keys && key.route != OVERFLOW_ID {
            self.keys_folded += requests;
            key.route = OVERFLOW_ID;
            if let Some(i) = self.find(key) {
                return i;
            }
        }
        let i = self.entries.len();
        self.entries.push(Entry {
            key,
            stats: Stats::new(self.bounds.len()),
        });
        let r = key.route as usize;
        if self.by_route.len() <= r {
            self.by_route.resize_with(r + 1, RouteKeys::default);
        }
        let keys = &mut self.by_route[r];
        if keys.list.len() < ROUTE_KEYS_LISTED {
            keys.list.push((key.rest(), i as u32));
        } else {
            keys.more.insert(key.rest(), i as u32);
        }
        i
    }

    #[inline]
    fn find(&mut self, key: Key) -> Option<usize> {
        let keys = self.by_route.get_mut(key.route as usize)?;
        let rest = key.rest();
        match keys.list.iter().position(|&(k, _)| k == rest) {
            Some(at) => {
                let i = keys.list[at].1 as usize;
                // Move a hit one place forward: the busiest keys end up first.
                if at > 0 {
                    keys.list.swap(at, at - 1);
                }
                Some(i)
            }
            None if keys.list.len() < ROUTE_KEYS_LISTED => None,
            None => keys.more.get(&rest).map(|&i| i as usize),
        }
    }

    /// Counts one request; returns its entry index.
    #[inline]
    pub fn record(
        &mut self,
        key: Key,
        bytes: Option<u64>,
        latency_us: Option<u64>,
        upstream_us: Option<u64>,
    ) -> usize {
        let i = self.slot(key, 1);
        self.record_at(i, bytes, latency_us, upstream_us);
        i
    }

    /// Counts one request in entry `i`.
    #[inline(always)]
    pub(super) fn record_at(
        &mut self,
        i: usize,
        bytes: Option<u64>,
        latency_us: Option<u64>,
        upstream_us: Option<u64>,
    ) {
        let bounds = &self.bounds;
        self.entries[i]
            .stats
            .record(bounds, self.key_hists, bytes, latency_us, upstream_us);
    }

    #[inline]
    pub fn note_time(&mut self, t: i64) {
        self.span = Some(match self.span {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        });
    }

    /// Adds `stats` to `key`'s (saved state being restored).
    pub(super) fn add(&mut self, key: Key, stats: &Stats) {
        let i = self.slot(key, stats.count);
        self.entries[i].stats.merge(stats);
    }

    /// Adds another shard's aggregates (same registry).
    pub fn merge(&mut self, other: &Aggregates) {
        self.merge_rekeyed(other, Some);
    }

    /// [`Aggregates::merge`], with each of `other`'s keys turned into
    /// `rekey(key)` (a shard's provisional route ids into final ones), or
    /// left out where that is `None`.
    pub(super) fn merge_rekeyed(&mut self, other: &Aggregates, rekey: impl Fn(Key) -> Option<Key>) {
        for e in &other.entries {
            let Some(key) = rekey(e.key) else {
                continue;
            };
            let i = self.slot(key, e.stats.count);
            self.entries[i].stats.merge(&e.stats);
        }
        if let Some((a, b)) = other.span {
            self.note_time(a);
            self.note_time(b);
        }
        self.keys_folded += other.keys_folded;
        // `rekey` changes only routes, and keeps every key of method 0
        // (see its callers).
        let route_of = |route| {
            rekey(Key {
                source: 0,
                route,
                method: 0,
                status: 0,
            })
            .map_or(route, |k| k.route)
        };
        self.facets.merge_rekeyed(&other.facets, route_of);
    }

    /// One aggregate holding the sum of `parts` (a batch run's shards), with
    /// the first one's settings.
    pub fn merged(parts: &[Aggregates]) -> Aggregates {
        let mut out = Aggregates {
            by_route: Vec::new(),
            entries: Vec::new(),
            span: None,
            bounds: parts
                .first()
                .map_or_else(|| Arc::from([]), |p| p.bounds.clone()),
            max_keys: parts.iter().map(|p| p.max_keys).sum::<usize>().max(1024),
            key_hists: parts.first().is_none_or(|p| p.key_hists),
            keys_folded: 0,
            facets: Facets::new(parts.first().map_or(0, |p| p.facets.cap())),
        };
        for p in parts {
            out.merge(p);
        }
        out
    }

    /// Settles every key's histograms ([`Stats::settle`]): a batch worker
    /// does this for its own shard when its input ends.
    pub fn settle(&mut self) {
        for e in &mut self.entries {
            e.stats.settle();
        }
    }

    /// Forgets all counts, keeping settings.
    pub fn clear(&mut self) {
        self.by_route.clear();
        self.entries.clear();
        self.span = None;
        self.keys_folded = 0;
        self.facets.clear();
    }

    pub fn heap_bytes(&self) -> usize {
        self.facets.heap_bytes()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.by_route.capacity() * size_of::<RouteKeys>()
            + self
                .by_route
                .iter()
                .map(|k| k.list.capacity() * 8 + k.more.capacity() * 12)
                .sum::<usize>()
            + self
                .entries
                .iter()
                .map(|e| e.stats.heap_bytes())
                .sum::<usize>()
    }
}

/// Loading ahead what recording a key reads (see `deferred.rs`).
impl Aggregates {
    /// Loads the header of `route`'s key list.
    #[inline(always)]
    pub(super) fn prefetch_route(&self, route: RouteId) {
        if let Some(k) = self.by_route.get(route as usize) {
            prefetch(k);
        }
    }

    /// Loads the start of `route`'s key list (its header is in cache).
    #[inline(always)]
    pub(super) fn prefetch_keys(&self, route: RouteId) {
        if let Some(k) = self.by_route.get(route as usize) {
            prefetch(k.list.as_ptr());
        }
    }

    /// Loads what recording into entry `i` reads first.
    #[inline(always)]
    pub(super) fn prefetch_entry(&self, i: usize) {
        let e: *const Entry = &self.entries[i];
        // `Stats` starts the entry and keeps what a record touches in its
        // first 80 bytes: at most two cache lines.
        prefetch(e);
        prefetch(e.cast::<u8>().wrapping_add(79));
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Key,
    pub stats: Stats,
}
