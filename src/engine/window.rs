//! Recent-time statistics of one route (or of all traffic): the current
//! step, sliding windows, a per-step series, and the since-start latency
//! histogram, with everything a snapshot needs cached so that publishing
//! several snapshots per step costs next to nothing.
//!
//! Requests are recorded into the current *step* only (one histogram record
//! per request). When a step closes, its counts and histogram are folded into
//! the since-start histogram, into the newest slice of every window and into
//! each window's running sum, its quantiles go into the series ring, and it
//! is reset. Windows are rings of [`SLICES`] slices, each a sixth of the
//! window; when a slice falls out of the window it is subtracted from the
//! running sum, so a window's distribution is always one histogram, never a
//! merge of slices at read time. A window reports the exact time it covers
//! (a 1-minute window covers 50–60 s) and its rate is computed over that.
//!
//! Caches: window and since-start quantiles, the drill-down latency buckets
//! and the series are recomputed only when what they depend on changed (a
//! step with traffic closed, a slice expired, a new step began).
//!
//! Memory per route: at most `2 + windows × (SLICES + 1)` latency histograms
//! (16 with the default two windows; each ≤ 1 KiB while it holds ≤ 256
//! values). Once busier, the since-start one is 26.7 KiB (`u64` counters)
//! and the step, slice and window-sum ones 13.3 KiB (`u32`: they hold at
//! most a window of traffic, which cannot reach 4 billion in one bucket).
//! Plus the series ring (`steps × 28 B`, 8.4 KiB for the default 300 steps)
//! and the cached series the snapshots share. A busy route costs at most
//! ~240 KiB, a quiet one a few KiB.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::hist::Hist;
use super::snapshot::{Series, WindowStats, log2_buckets};
use super::summary::{QUANTILES, Row};

/// Slices per window.
pub const SLICES: u64 = 6;
/// Steps between recomputations of the since-start latency distribution.
const LATENCY_EVERY: u64 = 5;

/// Additive counts of a set of requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub classes: [u64; 6],
    pub bytes: u64,
    pub timed: u64,
    pub lat_sum_us: u64,
    pub max_us: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.requests += o.requests;
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a += b;
        }
        self.bytes += o.bytes;
        self.timed += o.timed;
        self.lat_sum_us += o.lat_sum_us;
        self.max_us = self.max_us.max(o.max_us);
    }

    /// Removes `o` (a subset of `self`). The maximum cannot be un-taken:
    /// the caller recomputes it from what remains.
    fn sub(&mut self, o: &Counts) {
        self.requests -= o.requests;
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a -= b;
        }
        self.bytes -= o.bytes;
        self.timed -= o.timed;
        self.lat_sum_us -= o.lat_sum_us;
    }
}

struct Slice {
    /// First step of the slice.
    start: u64,
    counts: Counts,
    hist: Hist<u32>,
}

struct Window {
    len_steps: u64,
    slice_steps: u64,
    slices: VecDeque<Slice>,
    /// Sum of the slices: counts and distribution.
    counts: Counts,
    hist: Hist<u32>,
    /// Quantiles of `hist`, valid unless `stale`.
    q_us: [u64; 4],
    stale: bool,
}

impl Window {
    /// Drops slices wholly older than the window ending before `current`.
    fn expire(&mut self, current: u64, scratch: &mut Histogram<u32>) {
        let mut dropped = false;
        while self
            .slices
            .front()
            .is_some_and(|s| s.start + self.len_steps < current)
        {
            let Some(s) = self.slices.pop_front() else {
                break;
            };
            self.counts.sub(&s.counts);
            self.hist.subtract(&s.hist, scratch);
            dropped = true;
        }
        if dropped {
            self.counts.max_us = self
                .slices
                .iter()
                .map(|s| s.counts.max_us)
                .max()
                .unwrap_or(0);
            if self.slices.is_empty() {
                // Start the next busy period from an exact, small state.
                self.counts = Counts::default();
                self.hist = Hist::default();
            }
            self.stale = true;
        }
    }

    fn stats(&mut self, current: u64, step: Duration) -> WindowStats {
        if self.stale {
            self.hist.quantiles(&QUANTILES, &mut self.q_us);
            self.stale = false;
        }
        let oldest = self.slices.front().map_or(current, |s| s.start);
        let covered_steps = (current - oldest.min(current)).min(self.len_steps);
        let covered = step * covered_steps as u32;
        let row = Row {
            requests: self.counts.requests,
            bytes: self.counts.bytes,
            classes: self.counts.classes,
            timed: self.counts.timed,
            lat_sum_us: self.counts.lat_sum_us,
            lat_max_us: self.counts.max_us,
            q_us: if self.counts.timed > 0 {
                self.q_us
            } else {
                [0; 4]
            },
        };
        let rate = if covered.is_zero() {
            0.0
        } else {
            row.requests as f64 / covered.as_secs_f64()
        };
        WindowStats {
            length: step * self.len_steps as u32,
            covered,
            row,
            rate,
        }
    }
}

/// Per-step values, a ring of the last `cap` closed steps.
struct Ring {
    cap: usize,
    /// Step index of the newest entry (valid when not empty).
    newest: u64,
    /// requests, 5xx, 4xx, p50, p90, p99, max per entry.
    data: VecDeque<[u32; 7]>,
}

impl Ring {
    fn push(&mut self, step: u64, v: [u32; 7]) {
        // Idle steps between the last entry and this one are zeros.
        if !self.data.is_empty() {
            let gap = step.saturating_sub(self.newest + 1).min(self.cap as u64);
            for _ in 0..gap {
                self.put([0; 7]);
            }
        }
        self.put(v);
        self.newest = step;
    }

    /// Whether the last `n` steps before `current` hold no entry.
    fn quiet(&self, current: u64, n: usize) -> bool {
        self.data.is_empty() || self.newest + (n as u64) < current
    }

    fn put(&mut self, v: [u32; 7]) {
        if self.data.len() == self.cap {
            self.data.pop_front();
        }
        self.data.push_back(v);
    }

    /// The last `n` steps ending at `current` (exclusive), zero-padded.
    fn tail(&self, current: u64, n: usize) -> Vec<[u32; 7]> {
        let mut out = vec![[0u32; 7]; n];
        // Entries are consecutive steps ending at `newest`.
        for (i, v) in self.data.iter().rev().enumerate() {
            let Some(step) = self.newest.checked_sub(i as u64) else {
                break;
            };
            if step >= current {
                continue;
            }
            let back = (current - 1 - step) as usize;
            if back >= n {
                break;
            }
            out[n - 1 - back] = *v;
        }
        out
    }
}

/// Recent-time state of one route or of all traffic.
pub struct Recent {
    step: Counts,
    step_hist: Hist<u32>,
    since: Hist,
    since_q: [u64; 4],
    since_latency: Arc<[(u64, u64, u64)]>,
    windows: Vec<Window>,
    ring: Ring,
    /// Series as of `series_at` steps, `series_len` long.
    series: Arc<Series>,
    series_at: u64,
    /// Step at which `since_latency` was last computed.
    latency_at: Option<u64>,
}

impl Recent {
    /// `windows` in steps, ascending; `series` steps kept.
    pub fn new(windows: &[u64], series: usize) -> Recent {
        Recent {
            step: Counts::default(),
            step_hist: Hist::default(),
            since: Hist::default(),
            since_q: [0; 4],
            since_latency: Arc::from(Vec::new()),
            windows: windows
                .iter()
                .map(|&w| Window {
                    len_steps: w.max(1),
                    slice_steps: (w / SLICES).max(1),
                    slices: VecDeque::new(),
                    counts: Counts::default(),
                    hist: Hist::default(),
                    q_us: [0; 4],
                    stale: false,
                })
                .collect(),
            ring: Ring {
                cap: series.max(1),
                newest: 0,
                data: VecDeque::new(),
            },
            series: Arc::new(Series::default()),
            series_at: u64::MAX,
            latency_at: None,
        }
    }

    /// Counts one request in the current step.
    #[inline]
    pub fn record(&mut self, status: u16, bytes: Option<u64>, latency_us: Option<u64>) {
        self.step.requests += 1;
        self.step.classes[Row::class_of(status)] += 1;
        self.step.bytes += bytes.unwrap_or(0);
        if let Some(us) = latency_us {
            self.step.timed += 1;
            self.step.lat_sum_us += us;
            self.step.max_us = self.step.max_us.max(us);
            self.step_hist.record(us);
        }
    }

    pub fn is_dirty(&self) -> bool {
        self.step.requests > 0
    }

    /// Closes step `step` (which had traffic, see [`Recent::is_dirty`]):
    /// folds it into the since-start histogram, the windows and the series.
    pub fn close_step(&mut self, step: u64, scratch: &mut Histogram<u32>) {
        if self.step.requests == 0 {
            return;
        }
        let mut q = [0u64; 4];
        self.step_hist.quantiles(&QUANTILES, &mut q);
        let c = |v: u64| v.min(u32::MAX as u64) as u32;
        self.ring.push(
            step,
            [
                c(self.step.requests),
                c(self.step.classes[5]),
                c(self.step.classes[4]),
                c(q[0]),
                c(q[1]),
                c(q[2]),
                c(self.step.max_us),
            ],
        );
        self.series_at = u64::MAX;
        if self.step.timed > 0 {
            self.step_hist.merge_into_wide(&mut self.since);
            self.since.quantiles(&QUANTILES, &mut self.since_q);
            // The drill-down chart needs a full walk of the histogram: a few
            // steps of staleness are invisible in it, the walk per step is not.
            if self.latency_at.is_none_or(|at| step >= at + LATENCY_EVERY) {
                self.since_latency = Arc::from(log2_buckets(&self.since));
                self.latency_at = Some(step);
            }
        }
        for w in &mut self.windows {
            w.expire(step + 1, scratch);
            let start = step - step % w.slice_steps;
            if w.slices.back().is_none_or(|s| s.start != start) {
                w.slices.push_back(Slice {
                    start,
                    counts: Counts::default(),
                    hist: Hist::default(),
                });
            }
            if let Some(s) = w.slices.back_mut() {
                s.counts.add(&self.step);
                s.hist.merge(&self.step_hist);
            }
            w.counts.add(&self.step);
            w.hist.merge(&self.step_hist);
            w.stale = true;
        }
        self.step = Counts::default();
        self.step_hist.clear();
    }

    /// Since-start latency quantiles (complete steps) and distribution.
    pub fn since(&self) -> super::snapshot::Latency {
        (self.since_q, self.since_latency.clone())
    }

    /// Window statistics as of the end of step `current - 1`.
    pub fn windows(
        &mut self,
        current: u64,
        step: Duration,
        scratch: &mut Histogram<u32>,
    ) -> Vec<WindowStats> {
        self.windows
            .iter_mut()
            .map(|w| {
                w.expire(current, scratch);
                w.stats(current, step)
            })
            .collect()
    }

    /// The last `n` closed steps before `current`, oldest first (shared
    /// between snapshots of the same step). A route with no traffic in those
    /// steps gets `zeros`, shared by every such route.
    pub fn series(
        &mut self,
        current: u64,
        n: usize,
        step: Duration,
        zeros: &Arc<Series>,
    ) -> Arc<Series> {
        if self.ring.quiet(current, n) && zeros.end == current && zeros.requests.len() == n {
            return zeros.clone();
        }
        if self.series_at != current || self.series.requests.len() != n {
            let t = self.ring.tail(current, n);
            let col = |i: usize| t.iter().map(|v| v[i] as u64).collect::<Vec<u64>>();
            self.series = Arc::new(Series {
                step,
                end: current,
                requests: col(0),
                errors_5xx: col(1),
                errors_4xx: col(2),
                p50_us: col(3),
                p90_us: col(4),
                p99_us: col(5),
                max_us: col(6),
            });
            self.series_at = current;
        }
        self.series.clone()
    }

    /// Whether anything of this route's recent state can still change with
    /// time alone (a window holds traffic, the series shows some).
    pub fn is_settled(&self, current: u64, n: usize) -> bool {
        self.ring.quiet(current, n)
            && self.windows.iter().all(|w| w.slices.is_empty())
            && !self.is_dirty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::test_runner::RngAlgorithm;

    use super::*;
    use crate::engine::hist::new_hdr;
    use crate::format::value::MAX_LATENCY_US;

    const STEP: Duration = Duration::from_secs(1);

    #[test]
    fn windows_slide_and_report_what_they_cover() {
        // 60-step window: slices of 10 steps.
        let mut r = Recent::new(&[60], 100);
        let mut scratch = new_hdr();
        for step in 0..100u64 {
            for _ in 0..10 {
                r.record(
                    if step % 10 == 0 { 500 } else { 200 },
                    Some(100),
                    Some(1_000 * (step + 1)),
                );
            }
            r.close_step(step, &mut scratch);
        }
        // As of step 100: slices starting 40..=90 remain (6 slices, 60 steps).
        let w = &r.windows(100, STEP, &mut scratch)[0];
        assert_eq!(w.covered, Duration::from_secs(60));
        assert_eq!(w.row.requests, 600);
        assert_eq!(w.row.classes[5], 60);
        assert_eq!(w.row.bytes, 60_000);
        assert_eq!(w.rate, 10.0);
        // Latencies in the window are 41..=100 ms, 10 each: p50 is 70 ms.
        assert_eq!(w.row.lat_max_us, 100_000);
        let p50 = w.row.q_us[0] as f64;
        assert!((p50 - 70_000.0).abs() / 70_000.0 < 0.01, "{p50}");
        // Just after start, the window covers only what has elapsed.
        let mut r = Recent::new(&[60], 100);
        r.record(200, None, Some(5));
        r.close_step(0, &mut scratch);
        let w = &r.windows(1, STEP, &mut scratch)[0];
        assert_eq!((w.covered, w.row.requests, w.rate), (STEP, 1, 1.0));
    }

    /// One request: status, bytes, latency.
    type Request = (u16, Option<u64>, Option<u64>);
    /// Window lengths, series length, and steps: the gap since the last
    /// one and its requests.
    type Run = (Vec<u64>, usize, Vec<(u64, Vec<Request>)>);

    /// Window lengths (ascending, 1 or 2 of them, from 1 step, a slice a
    /// step, to 60, slices of 10), a series length, and 1 to 40 steps with
    /// traffic: each after a gap of 1 step (mostly), a few, or more than a
    /// window, with 0 to 300 requests (each side of `SMALL_MAX` in a step
    /// and in a slice) of every status class, some without bytes or
    /// latency, latencies up to 5 s and at the bound.
    fn runs() -> impl Strategy<Value = Run> {
        let windows =
            vec(select(vec![1u64, 2, 5, 6, 7, 12, 13, 30, 60]), 1..=2).prop_map(|mut w| {
                w.sort_unstable();
                w.dedup();
                w
            });
        let request = (
            select(vec![200u16, 200, 204, 302, 404, 500, 503, 99, 600]),
            prop::option::weighted(0.8, 0..100_000u64),
            prop::option::weighted(
                0.9,
                prop_oneof![
                    8 => 0..5_000_000u64,
                    1 => Just(0u64),
                    1 => Just(MAX_LATENCY_US),
                ],
            ),
        );
        let n = prop_oneof![Just(0usize), 1..=5usize, 30..=50usize, 250..=300usize];
        let gap = prop_oneof![6 => Just(1u64), 2 => 2..=15u64, 1 => 30..=150u64];
        let steps = vec(
            (gap, n.prop_flat_map(move |n| vec(request.clone(), n))),
            1..=40,
        );
        (windows, 1..=20usize, steps)
    }

    proptest! {
        // 20 runs of up to 40 steps: ~0.3 s in a debug build (most of it
        // merging HDR slices afresh for the check). Proptest's XorShift:
        // its default ChaCha is most of a case's time in a debug build.
        // No regression files: a failure found becomes a named test.
        // Shrinking gets 1 000 tries, not 4 a case: a run is worth it.
        #![proptest_config(ProptestConfig {
            cases: 20,
            max_shrink_iters: 1_000,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::XorShift,
            ..ProptestConfig::default()
        })]

        /// The running sums equal a fresh merge of the slices through
        /// expiries one slice at a time and all at once, right after a
        /// step and later: the counts exactly, and the distribution exactly
        /// too, in HDR buckets when the running sum is HDR (it stays so
        /// while it holds anything, see
        /// `an_hdr_window_stays_hdr_while_its_slices_expire`).
        #[test]
        fn running_sums_match_merging_the_slices((windows, series, steps) in runs()) {
            let mut r = Recent::new(&windows, series);
            let mut scratch = new_hdr();
            let mut step = 0;
            for (gap, requests) in steps {
                // Read as of the end of the gap (no step closed in it) …
                let mut at = vec![step + gap];
                step += gap;
                for &(status, bytes, latency) in &requests {
                    r.record(status, bytes, latency);
                }
                r.close_step(step, &mut scratch);
                // … and right after the step.
                at.push(step + 1);
                for current in at {
                    let got = r.windows(current, STEP, &mut scratch);
                    for (wi, w) in r.windows.iter().enumerate() {
                        let mut fresh = Hist::default();
                        let mut counts = Counts::default();
                        for s in &w.slices {
                            fresh.merge(&s.hist);
                            counts.add(&s.counts);
                        }
                        if matches!(w.hist, Hist::Big(_)) && matches!(fresh, Hist::Small(_)) {
                            let mut hdr = Hist::Big(new_hdr());
                            hdr.merge(&fresh);
                            fresh = hdr;
                        }
                        let at = format!("step {step}, as of {current}, window {wi}");
                        prop_assert_eq!(w.hist.count(), fresh.count(), "{}", at);
                        prop_assert_eq!(w.hist.buckets(), fresh.buckets(), "{}", at);
                        let row = &got[wi].row;
                        prop_assert_eq!(
                            (row.requests, row.classes, row.bytes, row.timed, row.lat_sum_us),
                            (counts.requests, counts.classes, counts.bytes, counts.timed, counts.lat_sum_us),
                            "{}",
                            at
                        );
                        prop_assert_eq!(row.lat_max_us, counts.max_us, "{}", at);
                        let mut q = [0; 4];
                        fresh.quantiles(&QUANTILES, &mut q);
                        prop_assert_eq!(row.q_us, if counts.timed > 0 { q } else { [0; 4] }, "{}", at);
                    }
                }
            }
        }
    }

    /// Found by `running_sums_match_merging_the_slices`: a window's running
    /// sum that became HDR stays HDR while its slices expire, even once
    /// what is left would fit an exact list, so its quantiles are the tops
    /// of HDR buckets (within 1 %), not the exact values a fresh merge of
    /// the slices left gives. It becomes exact again once empty.
    #[test]
    fn an_hdr_window_stays_hdr_while_its_slices_expire() {
        // Two steps, a slice a step.
        let mut r = Recent::new(&[2], 10);
        let mut scratch = new_hdr();
        for us in 0..300 {
            r.record(200, None, Some(1_000 + us));
        }
        r.close_step(1, &mut scratch);
        for us in [1_759_851, 2_000_001, 3_254_541] {
            r.record(200, None, Some(us));
        }
        r.close_step(2, &mut scratch);
        // As of step 4 the slice of step 1 has expired.
        let row = &r.windows(4, STEP, &mut scratch)[0].row;
        assert_eq!((row.requests, row.lat_max_us), (3, 3_254_541));
        let w = &r.windows[0];
        assert!(matches!(w.hist, Hist::Big(_)));
        let Hist::Big(h) = &w.hist else {
            unreachable!()
        };
        // p50, p90, p99, p99.9 of 3 values: the 2nd, then the 3rd.
        let tops = [2_000_001, 3_254_541].map(|us| h.highest_equivalent(us));
        assert_eq!(row.q_us, [tops[0], tops[1], tops[1], tops[1]]);
        assert_ne!(tops, [2_000_001, 3_254_541]);
        // Empty, then exact again.
        r.windows(6, STEP, &mut scratch);
        assert!(matches!(r.windows[0].hist, Hist::Small(_)));
    }

    #[test]
    fn idle_steps_are_zeros_and_old_slices_expire() {
        let mut r = Recent::new(&[60], 10);
        let mut scratch = new_hdr();
        r.record(200, None, Some(7));
        r.close_step(3, &mut scratch);
        r.record(404, None, None);
        r.close_step(6, &mut scratch);
        let s = r.series(8, 6, STEP, &Arc::new(Series::default()));
        assert_eq!(s.requests, vec![0, 1, 0, 0, 1, 0]); // steps 2..=7
        assert_eq!(s.errors_4xx, vec![0, 0, 0, 0, 1, 0]);
        assert_eq!(s.p99_us, vec![0, 7, 0, 0, 0, 0]);
        // Shared until the step changes.
        assert!(Arc::ptr_eq(
            &s,
            &r.series(8, 6, STEP, &Arc::new(Series::default()))
        ));
        // 200 steps later the window is empty, without any step closing.
        let w = &r.windows(200, STEP, &mut scratch)[0];
        assert_eq!(
            (w.row.requests, w.row.lat_max_us, w.covered),
            (0, 0, Duration::ZERO)
        );
        assert_eq!(
            r.series(200, 3, STEP, &Arc::new(Series::default()))
                .requests,
            vec![0, 0, 0]
        );
        // Since-start keeps everything.
        assert_eq!(r.since().0[0], 7);
    }

    #[test]
    fn ring_keeps_only_cap_steps() {
        let mut r = Recent::new(&[6], 4);
        let mut scratch = new_hdr();
        for step in 0..10 {
            r.record(200, None, None);
            r.close_step(step, &mut scratch);
        }
        assert_eq!(
            r.series(10, 6, STEP, &Arc::new(Series::default())).requests,
            vec![0, 0, 1, 1, 1, 1]
        );
    }
}
