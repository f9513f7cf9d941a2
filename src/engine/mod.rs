//! The aggregation engine: parsed lines → per-key statistics.
//!
//! A key is (source, route, method, status). Each key keeps the request
//! count, bytes, the exact latency sum and maximum, a latency [`Hist`], exact
//! counters for the configured histogram buckets (so Prometheus `le` counts
//! are exact, not HDR-rounded) and, when the format has one, the same for the
//! upstream time.
//!
//! Ingestion is sharded: each parsing thread owns a [`Shard`] (its own
//! aggregates, scratch buffers and a cache of route ids, `resolve.rs`) and
//! only touches the shared [`Registry`] — route and method names — on a
//! cache miss, which is once per route per thread (past the route cap, once
//! per batch of folded names). At the end of a batch run the summary groups
//! keys across the shards (`summary::Summary::build`), without merging
//! them first; the live engine uses one shard.
//!
//! Memory is bounded on any input: routes are capped by the route table,
//! methods by the method table, statuses are 0–999, and the number of keys is
//! capped too, per shard (beyond it, new keys fold into the overflow route).
//! Per key: ~120 B fixed + buckets (8 B each) + the histogram (≤ 1 KiB while
//! it is an exact list of up to 256 values, 26 KiB once HDR: `hist.rs`) and,
//! once HDR, up to [`PENDING`] latencies waiting to enter it (2 KiB; the
//! same again for the upstream time when the log has one).

mod deferred;
pub mod hist;
pub mod live;
mod resolve;
mod shard;
pub mod snapshot;
mod stats;
pub mod summary;
pub mod window;

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::format::ErrorKind;
use crate::route::{OVERFLOW_ID, RouteId, RouteTable};
pub use hist::Hist;
pub use shard::{Ingested, Shard};
pub use stats::{Stats, Timer};

/// Latencies a key buffers before adding them to its HDR histogram.
///
/// A 26 KiB HDR is mostly out of cache by the time its key's next request
/// comes, so recording one value at a time cost a cache miss per line (84 %
/// of the recording time was that one load, by `perf annotate`). Added 512
/// at a time, each counter's line is loaded once per batch, and the buffer
/// is appended to in order.
pub const PENDING: usize = 512;

/// Index of an input (file, stdin) in the run.
pub type SourceId = u16;
/// At most this many sources are told apart; ids fit 12 bits of a key.
pub const MAX_SOURCES: usize = 4096;

/// Standard methods get fixed ids so the hot path needs no lock for them.
pub const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];
/// Method of lines whose request line was not a request.
pub const METHOD_NONE: u8 = 9;
/// Methods beyond the table's capacity.
pub const METHOD_OTHER: u8 = 10;
const MAX_METHODS: usize = 32;

#[inline]
fn standard_method(m: &[u8]) -> Option<u8> {
    Some(match m {
        b"GET" => 0,
        b"HEAD" => 1,
        b"POST" => 2,
        b"PUT" => 3,
        b"DELETE" => 4,
        b"CONNECT" => 5,
        b"OPTIONS" => 6,
        b"TRACE" => 7,
        b"PATCH" => 8,
        b"" => METHOD_NONE,
        _ => return None,
    })
}

/// Method names ↔ ids; WebDAV and custom methods are registered up to a cap.
pub struct MethodTable {
    names: Vec<Arc<str>>,
}

impl Default for MethodTable {
    fn default() -> Self {
        let mut names: Vec<Arc<str>> = STANDARD_METHODS.iter().map(|m| Arc::from(*m)).collect();
        names.push(Arc::from("-"));
        names.push(Arc::from("OTHER"));
        MethodTable { names }
    }
}

impl MethodTable {
    pub fn intern(&mut self, m: &[u8]) -> u8 {
        if let Some(id) = standard_method(m) {
            return id;
        }
        if let Some(i) = self.names.iter().position(|n| n.as_bytes() == m) {
            return i as u8;
        }
        if self.names.len() >= MAX_METHODS
            || m.len() > 32
            || !m.iter().all(|c| c.is_ascii_graphic())
        {
            return METHOD_OTHER;
        }
        self.names
            .push(Arc::from(String::from_utf8_lossy(m).as_ref()));
        (self.names.len() - 1) as u8
    }

    pub fn name(&self, id: u8) -> &Arc<str> {
        &self.names[id as usize]
    }

    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }
}

/// Names shared by all shards.
pub struct Registry {
    pub routes: RouteTable,
    pub methods: MethodTable,
}

impl Registry {
    pub fn new(max_routes: usize) -> Registry {
        Registry {
            routes: RouteTable::new(max_routes),
            methods: MethodTable::default(),
        }
    }
}

pub type SharedRegistry = Arc<Mutex<Registry>>;

/// What requests are aggregated by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub source: SourceId,
    pub route: RouteId,
    pub method: u8,
    pub status: u16,
}

impl Key {
    /// Everything but the route, in 30 bits: source (12), method (8),
    /// status (10; statuses are 0–999).
    #[inline]
    fn rest(self) -> u32 {
        ((self.source as u32 & 0xFFF) << 18)
            | ((self.method as u32) << 10)
            | (self.status as u32 & 0x3FF)
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Key,
    pub stats: Stats,
}

/// Engine settings that shape the aggregates.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Histogram bucket bounds in µs, ascending (Prometheus `le`).
    pub bounds_us: Arc<[u64]>,
    /// Keys kept before new ones fold into the overflow route.
    pub max_keys: usize,
    /// Lines longer than this are parse errors (`too_long`).
    pub max_line: usize,
    /// Keep a latency histogram per key (batch) or not (live: per route).
    pub key_hists: bool,
}

/// Prometheus' default buckets, in seconds.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl EngineConfig {
    pub fn new(max_routes: usize, max_line: usize, buckets_s: &[f64]) -> EngineConfig {
        let mut bounds: Vec<u64> = buckets_s.iter().map(|s| (s * 1e6).round() as u64).collect();
        bounds.sort_unstable();
        bounds.dedup();
        EngineConfig {
            bounds_us: bounds.into(),
            max_keys: max_routes.saturating_mul(64).max(1024),
            max_line,
            key_hists: true,
        }
    }
}

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
        }
    }

    pub fn bounds(&self) -> &[u64] {
        &self.bounds
    }

    /// Index of `key`'s entry, created if needed (or folded, past the cap:
    /// `requests` is how many requests that folds).
    #[inline]
    fn slot(&mut self, mut key: Key, requests: u64) -> usize {
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
    fn record_at(
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

    /// Adds another shard's aggregates (same registry).
    pub fn merge(&mut self, other: &Aggregates) {
        self.merge_rekeyed(other, |k| k);
    }

    /// [`Aggregates::merge`], with each of `other`'s keys turned into
    /// `rekey(key)` (a shard's provisional route ids into final ones).
    pub(super) fn merge_rekeyed(&mut self, other: &Aggregates, rekey: impl Fn(Key) -> Key) {
        for e in &other.entries {
            let i = self.slot(rekey(e.key), e.stats.count);
            self.entries[i].stats.merge(&e.stats);
        }
        if let Some((a, b)) = other.span {
            self.note_time(a);
            self.note_time(b);
        }
        self.keys_folded += other.keys_folded;
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

    /// Forgets all counts (the dashboard's reset), keeping settings.
    pub fn clear(&mut self) {
        self.by_route.clear();
        self.entries.clear();
        self.span = None;
        self.keys_folded = 0;
    }

    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
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

/// Where a line was: `seq`-th chunk of its source, `local`-th line in it.
/// Sources read in one piece use seq 0 and the absolute line index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LinePos {
    pub seq: u32,
    pub local: u64,
}

/// A bad line kept for display.
#[derive(Clone, Debug)]
pub struct BadLine {
    pub pos: LinePos,
    /// 1-based line number once resolved (0 while unknown).
    pub line_no: u64,
    pub kind: ErrorKind,
    /// The first [`SAMPLE_BYTES`] bytes of the line, verbatim.
    pub text: Vec<u8>,
    /// Full length of the line.
    pub len: u64,
    /// Why it did not parse (where it stops fitting the format), worked out
    /// once, from the whole line, when the sample is kept.
    pub why: String,
}

pub const MAX_SAMPLES: usize = 5;
pub const SAMPLE_BYTES: usize = 512;

/// Per-input line accounting.
#[derive(Clone, Debug, Default)]
pub struct InputStats {
    pub lines: u64,
    pub requests: u64,
    pub errors: [u64; ErrorKind::ALL.len()],
    /// The first bad lines (by position), at most [`MAX_SAMPLES`].
    pub samples: Vec<BadLine>,
}

impl InputStats {
    pub fn error_total(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Counts a bad line; keeps it as a sample if it is among the first.
    /// `why` is only called for a kept sample.
    pub fn note_error(
        &mut self,
        kind: ErrorKind,
        pos: LinePos,
        text: &[u8],
        len: u64,
        why: impl FnOnce() -> String,
    ) {
        self.errors[kind.index()] += 1;
        if self.samples.len() >= MAX_SAMPLES && self.samples.last().is_some_and(|s| s.pos < pos) {
            return;
        }
        let why = match kind {
            ErrorKind::TooLong => format!("longer than the line limit ({len} bytes)"),
            ErrorKind::Empty => "blank line".into(),
            _ => why(),
        };
        let sample = BadLine {
            pos,
            line_no: 0,
            kind,
            text: text[..text.len().min(SAMPLE_BYTES)].to_vec(),
            len,
            why,
        };
        let at = self.samples.partition_point(|s| s.pos < pos);
        self.samples.insert(at, sample);
        self.samples.truncate(MAX_SAMPLES);
    }

    pub fn merge(&mut self, o: &InputStats) {
        self.lines += o.lines;
        self.requests += o.requests;
        for (a, b) in self.errors.iter_mut().zip(o.errors) {
            *a += b;
        }
        for s in &o.samples {
            let at = self.samples.partition_point(|x| x.pos < s.pos);
            self.samples.insert(at, s.clone());
        }
        self.samples.truncate(MAX_SAMPLES);
    }
}

#[cfg(test)]
mod tests;
