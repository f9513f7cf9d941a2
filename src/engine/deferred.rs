//! Recording a batch worker's lines a few lines late, so that the memory
//! each one touches is already being loaded while the lines after it are
//! parsed.
//!
//! Counting a request reads a chain of places that depend on each other:
//! its route's key list header (`Aggregates::by_route`), the list itself
//! (on the heap), the key's entry, and the end of the entry's exact
//! latency list (or of its pending buffer, once HDR). On a log of many
//! routes (100 000 in the benchmark: ~20 000 keys a worker, MiBs of
//! entries) each is a cache miss, and the worker stalled on each in turn:
//! recording was a quarter of the parse time (measured by leaving it out).
//! Here a line's key enters a short queue; each following line advances
//! every queued key by one step, which prefetches the next place of the
//! chain, so by the time a key is recorded — [`DEPTH`] lines after its own
//! — its memory is in cache.
//!
//! Keys are found (and created, capped) and recorded in line order, exactly
//! as without the queue: only the time of each step moves. [`Deferred::flush`]
//! finishes every queued key; a worker calls it at the end of each block,
//! before its aggregates are read or merged.

use super::aggregates::Aggregates;
use super::key::{Ingested, Key};

/// Lines after its own at which a key's route key list is loaded, its
/// entry found (and loaded), the end of its latency list loaded, and the
/// key recorded. Steps further apart (1, 2, 4, 6 or 1, 3, 5, 7) were no
/// faster (`cargo bench --bench stages`, aggregate stage).
const AT_KEYS: usize = 1;
const AT_ENTRY: usize = 2;
const AT_TAIL: usize = 3;
const DEPTH: usize = 4;
/// Ring size: a power of two above [`DEPTH`].
const RING: usize = 8;

/// Which of a shard's aggregates a queued key goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// The shard's aggregates.
    Agg,
    /// Lines of routes awaiting admission (see `resolve.rs`).
    Unadmitted,
}

impl Target {
    /// The aggregates this target names, of a shard's two.
    #[inline(always)]
    pub(super) fn pick<'a>(
        self,
        agg: &'a mut Aggregates,
        unadmitted: &'a mut Aggregates,
    ) -> &'a mut Aggregates {
        match self {
            Target::Agg => agg,
            Target::Unadmitted => unadmitted,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Queued {
    target: Target,
    key: Key,
    bytes: Option<u64>,
    latency_us: Option<u64>,
    upstream_us: Option<u64>,
    /// The key's entry, once found (step 2).
    entry: usize,
}

const EMPTY: Queued = Queued {
    target: Target::Agg,
    key: Key {
        source: 0,
        route: 0,
        method: 0,
        status: 0,
    },
    bytes: None,
    latency_us: None,
    upstream_us: None,
    entry: 0,
};

/// The queue of keys awaiting their recording.
pub(super) struct Deferred {
    ring: [Queued; RING],
    /// Keys ever queued; the queue holds the last `len` of them.
    pushed: usize,
    len: usize,
}

impl Default for Deferred {
    fn default() -> Self {
        Deferred {
            ring: [EMPTY; RING],
            pushed: 0,
            len: 0,
        }
    }
}

impl Deferred {
    /// Queues a request and advances the queued ones by a step; records the
    /// one queued [`DEPTH`] lines ago.
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub(super) fn push(
        &mut self,
        agg: &mut Aggregates,
        unadmitted: &mut Aggregates,
        target: Target,
        ing: &Ingested,
    ) {
        let n = self.pushed;
        let key = ing.key;
        self.ring[n % RING] = Queued {
            target,
            key,
            bytes: ing.bytes,
            latency_us: ing.latency_us,
            upstream_us: ing.upstream_us,
            entry: 0,
        };
        self.pushed += 1;
        self.len += 1;
        // Step 0 (this key): its route's list header.
        target.pick(agg, unadmitted).prefetch_route(key.route);
        // Step 1: the route's key list.
        if self.len > AT_KEYS {
            let q = self.ring[(n - AT_KEYS) % RING];
            q.target.pick(agg, unadmitted).prefetch_keys(q.key.route);
        }
        // Step 2: the key's entry, found or created in line order.
        if self.len > AT_ENTRY {
            let q = &mut self.ring[(n - AT_ENTRY) % RING];
            let a = q.target.pick(agg, unadmitted);
            q.entry = a.slot(q.key, 1);
            a.prefetch_entry(q.entry);
        }
        // Step 3: where its latency goes.
        if self.len > AT_TAIL {
            let q = self.ring[(n - AT_TAIL) % RING];
            q.target.pick(agg, unadmitted).entries[q.entry]
                .stats
                .prefetch_tail();
        }
        // Step 4: recorded.
        if self.len > DEPTH {
            let q = self.ring[(n - DEPTH) % RING];
            q.target
                .pick(agg, unadmitted)
                .record_at(q.entry, q.bytes, q.latency_us, q.upstream_us);
            self.len -= 1;
        }
    }

    /// Records every queued key, in order.
    pub(super) fn flush(&mut self, agg: &mut Aggregates, unadmitted: &mut Aggregates) {
        let first = self.pushed - self.len;
        for n in first..self.pushed {
            let q = &mut self.ring[n % RING];
            // Keys queued less than `AT_ENTRY` + 1 lines ago are not found
            // yet: find them now, still in line order (older ones were
            // found first).
            let a = q.target.pick(agg, unadmitted);
            if self.pushed - n <= AT_ENTRY {
                q.entry = a.slot(q.key, 1);
            }
            a.record_at(q.entry, q.bytes, q.latency_us, q.upstream_us);
        }
        self.len = 0;
    }

    /// Whether keys await recording.
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    use super::*;
    use crate::engine::hist::Hist;
    use crate::engine::options::{DEFAULT_BUCKETS, EngineConfig};
    use crate::engine::stats::Timer;
    use crate::route::RouteId;

    /// What a timer holds: requests timed, sum, max, and its values in
    /// arrival order while exact, else its buckets.
    type TimerState = (u64, u64, u64, Vec<u32>, Vec<(u64, u64, u64)>);

    fn timer(t: &Timer) -> TimerState {
        let values = match &t.hist {
            Hist::Small(v) => v.clone(),
            Hist::Big(_) => Vec::new(),
        };
        (t.timed, t.sum_us, t.max_us, values, t.hist.buckets())
    }

    /// Every entry: its key, count, bytes, and both timers.
    type Entry = (Key, u64, u64, TimerState, Option<TimerState>);

    fn summary(a: &mut Aggregates) -> Vec<Entry> {
        a.settle();
        a.entries
            .iter()
            .map(|e| {
                let s = &e.stats;
                let upstream = s.upstream.as_deref().map(timer);
                (e.key, s.count, s.bytes, timer(&s.latency), upstream)
            })
            .collect()
    }

    /// One line: its key, whether it awaits admission, bytes, latency,
    /// upstream time, and how many flushes follow it (a second finds the
    /// queue empty).
    type Line = (Key, Target, Option<u64>, Option<u64>, Option<u64>, u8);

    /// A key cap of 1 to 60 and 1 to 600 lines of up to 1 440 keys (2
    /// sources, 60 routes, 3 methods, 4 statuses), one in 8 awaiting
    /// admission, fields present or not, and flushes after one line in 40,
    /// with 0 to `DEPTH` keys queued.
    fn lines() -> impl Strategy<Value = (usize, Vec<Line>)> {
        let key = (
            0..2u16,
            0..60 as RouteId,
            0..3u8,
            select(vec![200u16, 301, 404, 503]),
        )
            .prop_map(|(source, route, method, status)| Key {
                source,
                route,
                method,
                status,
            });
        let target = prop_oneof![7 => Just(Target::Agg), 1 => Just(Target::Unadmitted)];
        let line = (
            key,
            target,
            prop::option::of(0..1_000u64),
            prop::option::weighted(0.75, 0..1u64 << 20),
            prop::option::weighted(0.25, 0..1u64 << 14),
            prop_oneof![38 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        );
        (1..=60usize, vec(line, 1..=600))
    }

    proptest! {
        // 64 cases of up to 600 lines: ~0.15 s in a debug build
        // (settings: `crate::props`).
        #![proptest_config(crate::props::config(64))]

        /// Queued keys are found, created (up to the key cap, in line
        /// order) and recorded exactly as recording each line at once
        /// does, whatever number of keys is queued when the queue is
        /// flushed.
        #[test]
        fn deferred_recording_equals_recording_at_once((cap, lines) in lines()) {
            let cfg = EngineConfig::new(100, 1 << 16, &DEFAULT_BUCKETS);
            // A small key cap, so that which keys fold depends on the order.
            let capped = || Aggregates::with_max_keys(&cfg, cap);
            let (mut a, mut u) = (capped(), capped());
            let (mut b, mut v) = (capped(), capped());
            let mut d = Deferred::default();
            for &(key, target, bytes, latency, upstream, flushes) in &lines {
                match target {
                    Target::Agg => a.record(key, bytes, latency, upstream),
                    Target::Unadmitted => u.record(key, bytes, latency, upstream),
                };
                let ing = Ingested {
                    key,
                    status: key.status,
                    bytes,
                    latency_us: latency,
                    upstream_us: upstream,
                    time: None,
                };
                d.push(&mut b, &mut v, target, &ing);
                for _ in 0..flushes {
                    d.flush(&mut b, &mut v);
                    prop_assert!(d.is_empty());
                }
            }
            d.flush(&mut b, &mut v);
            prop_assert_eq!(a.keys_folded, b.keys_folded);
            prop_assert_eq!(summary(&mut a), summary(&mut b));
            prop_assert_eq!(summary(&mut u), summary(&mut v));
        }
    }

    /// The generated lines reach the key cap in most cases, and flush
    /// with each number of keys queued (counted on 50 cases from a fixed
    /// seed).
    #[test]
    fn generated_lines_reach_the_key_cap_and_every_queue_length() {
        let mut runner = TestRunner::new_with_rng(
            ProptestConfig::default(),
            TestRng::from_seed(RngAlgorithm::XorShift, &[7; 16]),
        );
        let strategy = lines();
        let mut capped = 0;
        let mut queued = [0; DEPTH + 1];
        for _ in 0..50 {
            let (cap, lines) = strategy.new_tree(&mut runner).unwrap().current();
            let agg: std::collections::HashSet<Key> = lines
                .iter()
                .filter(|line| line.1 == Target::Agg)
                .map(|line| line.0)
                .collect();
            capped += usize::from(agg.len() > cap);
            let mut since_flush = 0;
            for &(.., flushes) in &lines {
                since_flush += 1;
                for _ in 0..flushes {
                    queued[since_flush.min(DEPTH)] += 1;
                    since_flush = 0;
                }
            }
        }
        assert!(capped > 35, "{capped} of 50 reach the cap");
        assert!(
            queued.iter().all(|&n| n > 5),
            "flushes by keys queued: {queued:?}"
        );
    }
}
