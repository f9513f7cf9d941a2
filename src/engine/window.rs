//! Recent-time statistics of one route (or of all traffic): the current
//! step, sliding windows, a per-step series, and the since-start latency
//! distribution, with everything a snapshot needs cached so that publishing
//! several snapshots per step costs next to nothing.
//!
//! Requests are recorded into the current *step* and into the since-start
//! histogram and distribution at once, so since-start figures include every
//! request counted so far, the open step's too. When a step closes, its
//! counts and histogram are folded into the newest slice of every window
//! and into each window's running sum, its quantiles go into the series
//! ring, and it is reset. Windows are rings of [`SLICES`] slices, each a
//! sixth of the window; when a slice falls out of the window it is
//! subtracted from the running sum, so a window's distribution is always
//! one histogram, never a merge of slices at read time.
//!
//! A window holds whole slices, so it covers a little less than its length
//! (a 1-minute window covers the last 50–60 s), and while it fills (less
//! time has passed since counting began than its length) only the time
//! since then. What it covers is worked out from the step alone, the same
//! for every route whatever its own traffic, and its rate is its count over
//! that: rates within one window are proportional to counts.
//!
//! Caches: window and since-start quantiles and the series are recomputed
//! only when what they depend on changed (a request was counted, a step
//! with traffic closed, a slice expired, a new step began).
//!
//! Memory per route: at most `2 + windows × (SLICES + 1)` latency histograms
//! (16 with the default two windows; each ≤ 1 KiB while it holds ≤ 256
//! values). Once busier, the since-start one is 26.7 KiB (`u64` counters)
//! and the step, slice and window-sum ones 13.3 KiB (`u32`: they hold at
//! most a window of traffic, which cannot reach 4 billion in one bucket).
//! Plus the series ring (`steps × 28 B`, 8.4 KiB for the default 300 steps),
//! the cached series the snapshots share, and the since-start distribution
//! by powers of two (264 B). A busy route costs at most ~240 KiB, a quiet
//! one a few KiB.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::hist::Hist;
use super::snapshot::{Series, WindowStats, log2_bin};
use super::summary::{QUANTILES, Row};
use crate::format::value::MAX_LATENCY_US;

/// Slices per window.
pub const SLICES: u64 = 6;
/// Powers of two a recorded latency can fall in: bit lengths 0 ..= that of
/// the largest value kept.
const LOG2_BINS: usize = (u64::BITS - MAX_LATENCY_US.leading_zeros()) as usize + 1;

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
        self.bytes = self.bytes.saturating_add(o.bytes);
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
        // Saturating as the sums are (`Stats::record`): a sum that hit
        // the ceiling reads low, never wraps.
        self.bytes = self.bytes.saturating_sub(o.bytes);
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

    /// The window as of the end of step `current - 1`, counting having
    /// begun at step `origin` (the engine's start, the log's first second,
    /// a reset).
    fn stats(&mut self, current: u64, origin: u64, step: Duration) -> WindowStats {
        if self.stale {
            self.hist
                .quantiles(&QUANTILES, self.counts.max_us, &mut self.q_us);
            self.stale = false;
        }
        // `expire` keeps the slices starting at or after `current - len`,
        // and slices start at multiples of `slice_steps`: the window holds
        // the steps from the first such boundary (or from `origin`, if
        // later) up to `current`. This depends on the step alone, not on
        // when this route's own traffic began, so every route of a window
        // is divided by the same time.
        let from = current
            .saturating_sub(self.len_steps)
            .next_multiple_of(self.slice_steps)
            .max(origin);
        let covered_steps = current.saturating_sub(from);
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
            filling: from == origin && covered_steps < self.len_steps,
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
    /// Every timed request of the closed steps. Since-start quantiles also
    /// hold the open step's (`step_hist`): [`Recent::refresh_since`] reads
    /// both. Recording every request here as well cost the live engine
    /// ~65 instructions a request (callgrind, `cargo bench --bench live`);
    /// a union at snapshot time costs a copy per route that changed.
    since: Hist,
    /// Exact maximum of `since`: no quantile is reported above it.
    since_max_us: u64,
    /// Timed requests by power of two of their µs (index: bit length), the
    /// drill-down distribution: kept as requests come, since a walk of
    /// `since` for it costs too much to do for every snapshot.
    since_log2: [u64; LOG2_BINS],
    /// Quantiles and distribution of `since` as of `since_at` values.
    since_q: [u64; 4],
    since_latency: Arc<[(u64, u64, u64)]>,
    since_at: u64,
    windows: Vec<Window>,
    ring: Ring,
    /// Series as of `series_at` steps, `series_len` long.
    series: Arc<Series>,
    series_at: u64,
}

impl Recent {
    /// `windows` in steps, ascending; `series` steps kept.
    pub fn new(windows: &[u64], series: usize) -> Recent {
        Recent {
            step: Counts::default(),
            step_hist: Hist::default(),
            since: Hist::default(),
            since_max_us: 0,
            since_log2: [0; LOG2_BINS],
            since_q: [0; 4],
            since_latency: Arc::from(Vec::new()),
            since_at: 0,
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
        }
    }

    /// Counts one request in the current step.
    #[inline]
    pub fn record(&mut self, status: u16, bytes: Option<u64>, latency_us: Option<u64>) {
        self.step.requests += 1;
        self.step.classes[Row::class_of(status)] += 1;
        self.step.bytes = self.step.bytes.saturating_add(bytes.unwrap_or(0));
        if let Some(us) = latency_us {
            self.step.timed += 1;
            self.step.lat_sum_us += us;
            self.step.max_us = self.step.max_us.max(us);
            self.step_hist.record(us);
            self.since_max_us = self.since_max_us.max(us);
            self.since_log2[log2_bin(us.min(MAX_LATENCY_US))] += 1;
        }
    }

    /// Counts a set of requests in the current step at once: `c` their
    /// counts, `hist` their latencies (a backfill's key).
    pub fn record_bulk(&mut self, c: &Counts, hist: &Hist) {
        self.step.add(c);
        if c.timed == 0 {
            return;
        }
        self.step_hist.add_wide(hist);
        self.since_max_us = self.since_max_us.max(c.max_us);
        // HDR buckets never straddle a power of two: each falls in one bin.
        let log2 = &mut self.since_log2;
        hist.for_each_bucket(|lo, n| log2[log2_bin(lo.min(MAX_LATENCY_US))] += n);
    }

    /// Adds a set of requests to the since-start distribution only (a
    /// backfill's key under log time: older than windows and series reach).
    pub fn record_since(&mut self, c: &Counts, hist: &Hist) {
        if c.timed == 0 {
            return;
        }
        self.since.merge(hist);
        self.since_max_us = self.since_max_us.max(c.max_us);
        let log2 = &mut self.since_log2;
        hist.for_each_bucket(|lo, n| log2[log2_bin(lo.min(MAX_LATENCY_US))] += n);
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
        if self.step.timed > 0 {
            self.step_hist.merge_into_wide(&mut self.since);
        }
        let mut q = [0u64; 4];
        self.step_hist
            .quantiles(&QUANTILES, self.step.max_us, &mut q);
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

    /// Brings the since-start quantiles and distribution up to every
    /// request counted, the open step's included: the quantiles of the
    /// closed steps' histogram and the open step's together (in `union`,
    /// a scratch histogram the caller keeps), only when something changed.
    pub fn refresh_since(&mut self, union: &mut Hist) {
        let n = self.since.count() + self.step_hist.count();
        if n == self.since_at {
            return;
        }
        let all = if self.step_hist.is_empty() {
            &self.since
        } else {
            union.copy_from(&self.since);
            self.step_hist.merge_into_wide(union);
            union
        };
        all.quantiles(&QUANTILES, self.since_max_us, &mut self.since_q);
        let bins: Vec<(u64, u64, u64)> = self
            .since_log2
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(b, &c)| match b {
                0 => (0, 0, c),
                b => (1u64 << (b - 1), (1u64 << b) - 1, c),
            })
            .collect();
        self.since_latency = Arc::from(bins);
        self.since_at = n;
    }

    /// The since-start histogram with the open step's requests, its
    /// maximum and power-of-two distribution (saved state).
    pub fn since_parts<'a>(&'a mut self, union: &'a mut Hist) -> (&'a Hist, u64, &'a [u64]) {
        let all = if self.step_hist.is_empty() {
            &self.since
        } else {
            union.copy_from(&self.since);
            self.step_hist.merge_into_wide(union);
            union
        };
        (all, self.since_max_us, &self.since_log2)
    }

    /// Adds a saved since-start histogram (restoring saved state: several
    /// saved routes may fold into one under a lower cap).
    pub fn restore_since(&mut self, hist: Hist, max_us: u64, log2: &[u64]) {
        self.since.merge(&hist);
        self.since_max_us = self.since_max_us.max(max_us);
        for (a, b) in self.since_log2.iter_mut().zip(log2) {
            *a += *b;
        }
        self.since_at = u64::MAX;
    }

    /// Since-start latency quantiles and distribution, as of the last
    /// [`Recent::refresh_since`].
    pub fn since(&self) -> super::snapshot::Latency {
        (self.since_q, self.since_latency.clone())
    }

    /// Window statistics as of the end of step `current - 1`, counting
    /// having begun at step `origin`.
    pub fn windows(
        &mut self,
        current: u64,
        origin: u64,
        step: Duration,
        scratch: &mut Histogram<u32>,
    ) -> Vec<WindowStats> {
        self.windows
            .iter_mut()
            .map(|w| {
                w.expire(current, scratch);
                w.stats(current, origin, step)
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
mod tests;
