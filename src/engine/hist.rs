//! Latency distribution of one aggregate: exact while small, HDR when large.
//!
//! An HDR histogram covering 1 µs … 1 h at 2 significant digits (≤ 1 %
//! relative error) is 3 328 `u64` counters: 26 KiB. Most (route, method,
//! status) keys are cold — a rare status on a rare route — so a key starts as
//! a list of up to [`SMALL_MAX`] exact values (≤ 1 KiB; its percentiles are
//! exact) and becomes an HDR histogram on the next value. The list is kept
//! unsorted — appending is the hot path — and sorted when read.
//!
//! Memory per key: ≤ 1 KiB while small; 26 624 B (+ ~100 B header) once
//! HDR. Measured on 1 M genlog lines, 200 routes (`MEM=1 cargo bench --bench
//! stages`): with a threshold of 64, 884 of 9 585 keys became HDR and the
//! aggregates took 26.7 MiB; with 256, 371 keys and 14.0 MiB, at the same
//! speed.
//! Counters are `u64` by default: a long-running exporter may put billions
//! of requests in one bucket. Histograms that only ever hold a window's worth
//! (a step, a window slice, a window sum: minutes of traffic) use `u32`
//! counters, half the memory.
//!
//! Quantiles use the nearest-rank rule (the smallest value with at least
//! ⌈q·n⌉ values at or below it). Exact values are returned as they are; HDR
//! returns the top of the value's bucket, as HdrHistogram does everywhere —
//! which can lie above every value recorded (a p99.9 of 60.29 s when the
//! slowest request took 60.05 s). A histogram cannot know its exact maximum
//! once a window has subtracted a slice from it, but its owner always does
//! (`Timer::max_us`, a window's `Counts::max_us`), so [`Hist::quantiles`]
//! takes it and no quantile is ever reported above it. None is ever below
//! the exact minimum: a bucket's top is at least every value in it.

use hdrhistogram::{Counter, Histogram};

use crate::format::value::MAX_LATENCY_US;

/// Exact values kept before switching to HDR.
pub const SMALL_MAX: usize = 256;
/// HDR precision.
pub const SIGFIG: u8 = 2;

#[derive(Clone, Debug)]
// The HDR header sits inline, not boxed: one dependent cache miss less per
// recorded value on a hot key (measured: `cargo bench --bench stages`).
#[allow(clippy::large_enum_variant)]
pub enum Hist<C: Counter = u64> {
    /// Exact values in µs, in arrival order.
    Small(Vec<u32>),
    Big(Histogram<C>),
}

impl<C: Counter> Default for Hist<C> {
    fn default() -> Self {
        Hist::Small(Vec::new())
    }
}

pub fn new_hdr<C: Counter>() -> Histogram<C> {
    // Bounds are constants that HDR accepts; failure would be a programming
    // error caught by every test.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGFIG).expect("valid HDR bounds")
}

/// An HDR histogram holding the values of a small exact list.
fn hdr_of<C: Counter>(v: &[u32]) -> Histogram<C> {
    let mut h = new_hdr();
    for &x in v {
        h.saturating_record(x as u64);
    }
    h
}

impl<C: Counter> Hist<C> {
    #[inline]
    pub fn record(&mut self, us: u64) {
        let us = us.min(MAX_LATENCY_US);
        match self {
            Hist::Small(v) => {
                if v.len() < SMALL_MAX {
                    v.push(us as u32);
                } else {
                    let mut h = hdr_of(v);
                    h.saturating_record(us);
                    *self = Hist::Big(h);
                }
            }
            Hist::Big(h) => h.saturating_record(us),
        }
    }

    /// Records every value of `values`. An HDR histogram takes each
    /// distinct value once, with its count: a busy key's latencies repeat
    /// (nginx logs milliseconds), and an HDR record is ~90 instructions.
    /// Values are counted in a small table by hash first (a value whose
    /// place is taken by another is recorded directly): sorting the batch
    /// cost ~64 instructions a value, this ~10.
    pub fn record_batch(&mut self, values: &[u32]) {
        const PLACES: usize = 128;
        match self {
            Hist::Big(h) => {
                let mut keys = [0u32; PLACES];
                let mut counts = [0u32; PLACES];
                for &v in values {
                    let i = (v.wrapping_mul(0x9E37_79B1) >> 25) as usize % PLACES;
                    if counts[i] == 0 {
                        keys[i] = v;
                        counts[i] = 1;
                    } else if keys[i] == v {
                        counts[i] += 1;
                    } else {
                        h.saturating_record((v as u64).min(MAX_LATENCY_US));
                    }
                }
                for (&v, &n) in keys.iter().zip(&counts) {
                    if n == 0 {
                        continue;
                    }
                    let us = (v as u64).min(MAX_LATENCY_US);
                    match C::from_u32(n) {
                        Some(n) => h.saturating_record_n(us, n),
                        // A counter too narrow for the count.
                        None => (0..n).for_each(|_| h.saturating_record(us)),
                    }
                }
            }
            Hist::Small(_) => {
                for &us in values {
                    self.record(us as u64);
                }
            }
        }
    }

    /// Makes `self` a copy of `other`, reusing `self`'s HDR counters when
    /// both are HDR: no allocation (and no fresh pages to fault in) when
    /// the summary copies busy histograms one after another.
    pub fn copy_from(&mut self, other: &Hist<C>) {
        match (&mut *self, other) {
            // Same bounds on both sides, so this cannot fail.
            (Hist::Big(a), Hist::Big(b)) => {
                let _ = a.set_to(b);
            }
            (Hist::Small(a), Hist::Small(b)) => {
                a.clear();
                a.extend_from_slice(b);
            }
            _ => *self = other.clone(),
        }
    }

    /// Empties the histogram, keeping its allocation (a busy step's HDR is
    /// reused every step instead of reallocated).
    pub fn clear(&mut self) {
        match self {
            Hist::Small(v) => v.clear(),
            Hist::Big(h) => h.reset(),
        }
    }

    pub fn count(&self) -> u64 {
        match self {
            Hist::Small(v) => v.len() as u64,
            Hist::Big(h) => h.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Adds `other`'s values.
    pub fn merge(&mut self, other: &Hist<C>) {
        match (&mut *self, other) {
            (_, Hist::Small(o)) if o.is_empty() => {}
            (Hist::Small(a), Hist::Small(b)) if a.len() + b.len() <= SMALL_MAX => {
                a.extend_from_slice(b)
            }
            (Hist::Big(a), Hist::Small(b)) => {
                for &x in b {
                    a.saturating_record(x as u64);
                }
            }
            (Hist::Big(a), Hist::Big(b)) => {
                // Same bounds on both sides, so addition cannot fail.
                let _ = a.add(b);
            }
            (Hist::Small(a), _) => {
                let mut h = match other {
                    Hist::Big(b) => b.clone(),
                    Hist::Small(b) => hdr_of(b),
                };
                for &x in a.iter() {
                    h.saturating_record(x as u64);
                }
                *self = Hist::Big(h);
            }
        }
    }

    /// Removes `other`'s values, which must all be in `self` (a window
    /// dropping an expired slice from its running sum). `scratch` is a
    /// reusable HDR histogram for subtracting a small list from an HDR one.
    pub fn subtract(&mut self, other: &Hist<C>, scratch: &mut Histogram<C>) {
        match (&mut *self, other) {
            (_, Hist::Small(o)) if o.is_empty() => {}
            (Hist::Small(a), Hist::Small(b)) => {
                for &x in b {
                    if let Some(i) = a.iter().position(|&y| y == x) {
                        a.swap_remove(i);
                    }
                }
            }
            // Subtraction fails only if `other` is not a subset: counts stay
            // as they were rather than go wrong.
            (Hist::Big(a), Hist::Big(b)) => {
                let _ = a.subtract(b);
            }
            (Hist::Big(a), Hist::Small(b)) => {
                scratch.reset();
                for &x in b {
                    scratch.saturating_record(x as u64);
                }
                let _ = a.subtract(&*scratch);
            }
            (Hist::Small(a), Hist::Big(b)) => {
                let mut h = hdr_of(a);
                let _ = h.subtract(b);
                *self = Hist::Big(h);
            }
        }
    }

    /// Nearest-rank quantile, `q` in 0..=1, of a histogram whose largest
    /// value is `max_us` (see [`Hist::quantiles`]); 0 when empty.
    pub fn quantile(&self, q: f64, max_us: u64) -> u64 {
        let mut out = [0];
        self.quantiles(&[q], max_us, &mut out);
        out[0]
    }

    /// Several quantiles (ascending `qs`) in one pass, none above `max_us`:
    /// the exact largest value recorded, which the caller keeps (an HDR
    /// bucket's top may exceed it; see the module doc).
    pub fn quantiles(&self, qs: &[f64], max_us: u64, out: &mut [u64]) {
        let n = self.count();
        if n == 0 {
            out.iter_mut().for_each(|o| *o = 0);
            return;
        }
        let rank = |q: f64| -> u64 { ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).clamp(1, n) };
        match self {
            Hist::Small(v) => {
                // A small list never holds more than SMALL_MAX values.
                let mut buf = [0u32; SMALL_MAX];
                let sorted = &mut buf[..v.len()];
                sorted.copy_from_slice(v);
                sorted.sort_unstable();
                for (o, &q) in out.iter_mut().zip(qs) {
                    *o = sorted[rank(q) as usize - 1] as u64;
                }
            }
            // One pass over the counts array (hdrhistogram's own loop, far
            // cheaper than its generic iterators): measured with `cargo bench
            // --bench snapshot`.
            Hist::Big(h) => {
                let top = max_us.min(MAX_LATENCY_US);
                for (o, v) in out.iter_mut().zip(h.value_at_quantiles(qs.iter().copied())) {
                    *o = v.min(top);
                }
            }
        }
    }

    pub fn min(&self) -> u64 {
        match self {
            Hist::Small(v) => v.iter().min().copied().unwrap_or(0) as u64,
            Hist::Big(h) => h.min(),
        }
    }

    /// Memory held, for the stated per-key figures and RSS accounting.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Hist::Small(v) => v.capacity() * 4,
            Hist::Big(h) => h.distinct_values() * size_of::<C>() + size_of::<Histogram<C>>(),
        }
    }

    /// Calls `f(lowest value, count)` for each recorded value (a small
    /// list) or non-empty bucket (HDR), in no particular order, without
    /// allocating: a backfill adds thousands of keys' histograms at once.
    pub fn for_each_bucket(&self, mut f: impl FnMut(u64, u64)) {
        match self {
            Hist::Small(v) => v.iter().for_each(|&x| f(x as u64, 1)),
            Hist::Big(h) => {
                for it in h.iter_recorded() {
                    let v = it.value_iterated_to();
                    f(h.lowest_equivalent(v), it.count_since_last_iteration());
                }
            }
        }
    }

    /// Non-empty buckets as (lowest value, highest value, count), ascending.
    /// Small lists give one bucket per distinct value.
    pub fn buckets(&self) -> Vec<(u64, u64, u64)> {
        match self {
            Hist::Small(v) => {
                let mut sorted = v.clone();
                sorted.sort_unstable();
                let mut out: Vec<(u64, u64, u64)> = Vec::new();
                for &x in &sorted {
                    match out.last_mut() {
                        Some(last) if last.0 == x as u64 => last.2 += 1,
                        _ => out.push((x as u64, x as u64, 1)),
                    }
                }
                out
            }
            Hist::Big(h) => h
                .iter_recorded()
                .map(|it| {
                    let v = it.value_iterated_to();
                    (
                        h.lowest_equivalent(v),
                        h.highest_equivalent(v),
                        it.count_since_last_iteration(),
                    )
                })
                .collect(),
        }
    }
}

impl Hist<u32> {
    /// Adds the values of a `u64`-counted histogram (a backfill's counts
    /// into the open step). A bucket past `u32::MAX` saturates: a step
    /// holds far fewer.
    pub fn add_wide(&mut self, src: &Hist<u64>) {
        match src {
            Hist::Small(v) => {
                for &x in v {
                    self.record(x as u64);
                }
            }
            Hist::Big(h) => {
                if let Hist::Small(small) = self {
                    *self = Hist::Big(hdr_of(small));
                }
                if let Hist::Big(d) = self {
                    // Same bounds: each recorded value lands in its own bucket.
                    for it in h.iter_recorded() {
                        let n = it.count_at_value().min(u32::MAX as u64) as u32;
                        d.saturating_record_n(it.value_iterated_to(), n);
                    }
                }
            }
        }
    }

    /// Adds these values to a `u64`-counted histogram (a closed step into
    /// the since-start histogram, or the open one into a copy of it).
    pub fn merge_into_wide(&self, dst: &mut Hist<u64>) {
        match self {
            // Recording each value is what merging a small list does: the
            // same values, kept exact up to SMALL_MAX, then the same counts.
            Hist::Small(v) => {
                for &x in v {
                    dst.record(x as u64);
                }
            }
            Hist::Big(h) => {
                if let Hist::Small(small) = dst {
                    *dst = Hist::Big(hdr_of(small));
                }
                if let Hist::Big(d) = dst {
                    // Same bounds: each recorded value lands in its own bucket.
                    for it in h.iter_recorded() {
                        d.saturating_record_n(it.value_iterated_to(), it.count_at_value() as u64);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    use crate::props::config;

    /// Exact nearest-rank quantile of a sorted slice.
    fn exact(sorted: &[u64], q: f64) -> u64 {
        let n = sorted.len() as u64;
        let r = ((q * n as f64).ceil() as u64).clamp(1, n);
        sorted[r as usize - 1]
    }

    /// A latency: log-uniform from 100 µs to ~30 s mostly; 0, the values
    /// HDR keeps exact (below 256), and values at and past the bound.
    fn latency() -> impl Strategy<Value = u64> + Clone {
        prop_oneof![
            12 => (0.0..12.5f64).prop_map(|u| (100.0 * u.exp()) as u64),
            1 => Just(0u64),
            1 => 1..256u64,
            1 => MAX_LATENCY_US - 1..=MAX_LATENCY_US + 1,
            1 => Just(u64::MAX),
        ]
    }

    /// `latency` values: 0 to 60 of them, or `SMALL_MAX` ± 2, or a few
    /// hundred to a few thousand.
    fn latencies() -> impl Strategy<Value = Vec<u64>> + Clone {
        let n = prop_oneof![0..=60usize, SMALL_MAX - 2..=SMALL_MAX + 2, 300..=3_000usize,];
        n.prop_flat_map(|n| vec(latency(), n))
    }

    /// 1 to 5 lists of `latency` values, of sizes each `latencies`, or
    /// adding up to `SMALL_MAX` (mostly) or 2 more or less.
    fn parts() -> impl Strategy<Value = Vec<Vec<u64>>> {
        let total = prop_oneof![2 => Just(SMALL_MAX), 1 => SMALL_MAX - 2..=SMALL_MAX + 2];
        let split = (1..=5usize, total).prop_flat_map(|(k, total)| {
            vec(0..=total, k - 1).prop_flat_map(move |mut cuts| {
                cuts.extend([0, total]);
                cuts.sort_unstable();
                cuts.windows(2)
                    .map(|w| vec(latency(), w[1] - w[0]))
                    .collect::<Vec<_>>()
            })
        });
        prop_oneof![vec(latencies(), 1..=5), split]
    }

    fn hist_of<C: Counter>(values: &[u64]) -> Hist<C> {
        let mut h = Hist::default();
        values.iter().for_each(|&v| h.record(v));
        h
    }

    proptest! {
        // 32 cases each, of up to 20 000 values: 0.1 to 0.3 s each in a
        // debug build.
        #![proptest_config(config(32))]

        /// Quantiles of an exact list are the exact order statistics; of
        /// an HDR histogram, within 1 % of them; values past the bound
        /// count as the bound.
        #[test]
        fn small_is_exact_and_big_is_within_one_percent(
            values in prop_oneof![
                3 => 1..=10usize,
                3 => SMALL_MAX - 2..=SMALL_MAX + 2,
                3 => 500..=5_000usize,
                1 => 10_000..=20_000usize,
            ].prop_flat_map(|n| vec(latency(), n)),
            q in 0.0..=1.0f64,
        ) {
            let mut qs = vec![0.0, 0.5, 0.9, 0.99, 0.999, 1.0, q];
            qs.sort_by(f64::total_cmp);
            let h: Hist = hist_of(&values);
            let mut sorted: Vec<u64> = values.iter().map(|&v| v.min(MAX_LATENCY_US)).collect();
            sorted.sort_unstable();
            let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
            let mut got = vec![0u64; qs.len()];
            h.quantiles(&qs, hi, &mut got);
            let n = values.len();
            for (i, &q) in qs.iter().enumerate() {
                let want = exact(&sorted, q);
                prop_assert!((lo..=hi).contains(&got[i]), "q={} got={} outside [{}, {}]", q, got[i], lo, hi);
                if n <= SMALL_MAX {
                    prop_assert_eq!(got[i], want, "n={} q={}", n, q);
                } else {
                    let err = (got[i] as f64 - want as f64).abs() / want.max(1) as f64;
                    prop_assert!(err <= 0.01, "n={} q={} got={} want={}", n, q, got[i], want);
                }
                prop_assert_eq!(h.quantile(q, hi), got[i]);
            }
            prop_assert_eq!(h.count(), n as u64);
        }

        /// Merging histograms one after another (exact and HDR, empty ones
        /// too, their sum at `SMALL_MAX`, across it or not) holds what recording
        /// all their values in one does: the same representation, buckets
        /// and quantiles.
        #[test]
        fn merge_matches_recording_everything_in_one(parts in parts()) {
            let mut all: Hist = Hist::default();
            let mut m: Hist = Hist::default();
            for values in &parts {
                values.iter().for_each(|&v| all.record(v));
                m.merge(&hist_of(values));
            }
            prop_assert_eq!(matches!(m, Hist::Big(_)), matches!(all, Hist::Big(_)));
            prop_assert_eq!(m.count(), all.count());
            prop_assert_eq!(m.buckets(), all.buckets());
            for q in [0.5, 0.9, 0.99, 1.0] {
                prop_assert_eq!(m.quantile(q, u64::MAX), all.quantile(q, u64::MAX), "q={}", q);
            }
        }

        /// A `u32`-counted histogram holds the values a `u64` one does.
        #[test]
        fn narrow_counters_hold_what_wide_ones_do(values in latencies()) {
            let narrow: Hist<u32> = hist_of(&values);
            let wide: Hist = hist_of(&values);
            prop_assert_eq!(narrow.buckets(), wide.buckets());
            for q in [0.5, 0.9, 0.99, 1.0] {
                prop_assert_eq!(narrow.quantile(q, u64::MAX), wide.quantile(q, u64::MAX), "q={}", q);
            }
        }

        /// A batch gives the same histogram as its values recorded one by
        /// one, exact or HDR, after 0 to 300 values recorded one by one:
        /// repeats, values past the bound, and values that take each
        /// other's places in the batch's count table.
        #[test]
        fn a_batch_records_like_its_values_one_by_one(
            (before, batch) in {
                let value = prop_oneof![
                    2 => Just(5_000u32),
                    1 => Just(u32::MAX),
                    2 => 0..10_000_000u32,
                    3 => (0..20u32).prop_map(|k| k * 1_000),
                    1 => any::<u32>(),
                ];
                (
                    prop_oneof![0..=10usize, SMALL_MAX - 2..=SMALL_MAX + 2, 0..=300usize],
                    prop_oneof![0..=100usize, 0..=2_500usize],
                )
                    .prop_flat_map(move |(a, b)| (vec(value.clone(), a), vec(value.clone(), b)))
            },
        ) {
            let mut one: Hist = Hist::default();
            let mut batched: Hist = Hist::default();
            let mut narrow: Hist<u32> = Hist::default();
            for &v in &before {
                one.record(v as u64);
                batched.record(v as u64);
                narrow.record(v as u64);
            }
            for &v in &batch {
                one.record(v as u64);
            }
            batched.record_batch(&batch);
            narrow.record_batch(&batch);
            prop_assert_eq!(batched.count(), one.count());
            prop_assert_eq!(batched.buckets(), one.buckets());
            prop_assert_eq!(narrow.buckets(), one.buckets(), "u32");
        }
    }

    proptest! {
        // 600 cases of at most 256 values: ~0.1 s in a debug build.
        #![proptest_config(config(600))]

        /// Small-list quantiles are the exact order statistics, whatever
        /// the order of the values and of the asked quantiles.
        #[test]
        fn small_quantiles_in_any_order(
            values in vec(prop_oneof![3 => 0..300u64, 1 => 0..=MAX_LATENCY_US], 1..=SMALL_MAX),
            qs in vec(
                prop_oneof![
                    0.0..=1.0f64,
                    select(vec![0.0, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0]),
                ],
                1..=6,
            ),
        ) {
            let h: Hist = hist_of(&values);
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let mut out = vec![0; qs.len()];
            h.quantiles(&qs, sorted[sorted.len() - 1], &mut out);
            let want: Vec<u64> = qs.iter().map(|&q| exact(&sorted, q)).collect();
            prop_assert_eq!(out, want);
        }
    }

    #[test]
    fn zero_lands_in_the_first_bucket() {
        let mut h = Hist::<u64>::default();
        for _ in 0..(SMALL_MAX * 2) {
            h.record(0);
        }
        h.record(1_000);
        assert!(matches!(h, Hist::Big(_)));
        assert_eq!(h.quantile(0.5, 1_000), 0);
        assert_eq!(h.buckets()[0], (0, 0, SMALL_MAX as u64 * 2));
        assert_eq!(h.min(), 0);
    }

    #[test]
    fn values_beyond_an_hour_are_clamped() {
        let mut h = Hist::<u64>::default();
        h.record(u64::MAX);
        assert_eq!(h.quantile(1.0, u64::MAX), MAX_LATENCY_US);
    }

    /// `--once -o csv` on a sample log reported p99.9 60.293119 s for a
    /// route whose slowest request took 60.047 s: the top of that value's
    /// HDR bucket. Every quantile stays within the exact maximum.
    #[test]
    fn p999_is_never_above_the_exact_max() {
        let mut h = Hist::<u64>::default();
        for i in 0..SMALL_MAX as u64 {
            h.record(1_000 + i);
        }
        h.record(60_047_000);
        assert!(matches!(h, Hist::Big(_)));
        let mut q = [0; 3];
        h.quantiles(&[0.5, 0.999, 1.0], 60_047_000, &mut q);
        assert_eq!(q[1..], [60_047_000, 60_047_000]);
        // Unclamped, HDR would have said the bucket's top.
        assert!(h.quantile(1.0, u64::MAX) > 60_047_000);
        // Below the maximum, HDR's answer as before: the top of the bucket
        // of the exact p50 (1 128 µs), never below it.
        assert!((1_128..=1_139).contains(&q[0]), "p50 {}", q[0]);
    }
}
