//! Recent-time statistics of one route (or of all traffic): the current
//! step, sliding windows and a per-step series.
//!
//! Requests are recorded into the current *step* only (one histogram record
//! per request). When a step closes (at each publication, ≤ 1 s), its counts
//! and histogram are folded into the since-start histogram and into the
//! newest slice of every window, its quantiles go into the series ring, and
//! it is reset. Windows are rings of [`SLICES`] slices each a sixth of the
//! window long; expired slices drop out and the window reports the exact
//! time it covers, so a 1-minute window covers 50–60 s and its rate is
//! computed over that, not over a nominal minute.
//!
//! Memory per route: at most `2 + windows × SLICES` latency histograms
//! (14 for the default two windows; each ≤ 256 B while it holds ≤ 64
//! values, 26.7 KiB once busier) plus the series ring, `steps × 28 B`
//! (8.4 KiB for the default 300 steps). A busy route therefore costs at most
//! ~380 KiB, a quiet one a few KiB.

use std::collections::VecDeque;
use std::time::Duration;

use super::Hist;
use super::snapshot::{Series, WindowStats};
use super::summary::{QUANTILES, Row};

/// Slices per window.
pub const SLICES: u64 = 6;

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

    fn row(&self, hist: &Hist) -> Row {
        let mut r = Row {
            requests: self.requests,
            bytes: self.bytes,
            classes: self.classes,
            timed: self.timed,
            lat_sum_us: self.lat_sum_us,
            lat_max_us: self.max_us,
            q_us: [0; 4],
        };
        hist.quantiles(&QUANTILES, &mut r.q_us);
        r
    }
}

struct Slice {
    /// First step of the slice.
    start: u64,
    counts: Counts,
    hist: Hist,
}

struct Window {
    len_steps: u64,
    slice_steps: u64,
    slices: VecDeque<Slice>,
}

/// Per-step values, a ring of the last `cap` closed steps.
struct Ring {
    cap: usize,
    /// Step index of the newest entry (valid when `len > 0`).
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
    step_hist: Hist,
    since: Hist,
    windows: Vec<Window>,
    ring: Ring,
    /// Step of the last request seen (for idle detection).
    pub last_active: u64,
}

impl Recent {
    /// `windows` in steps, ascending; `series` steps kept.
    pub fn new(windows: &[u64], series: usize) -> Recent {
        Recent {
            step: Counts::default(),
            step_hist: Hist::default(),
            since: Hist::default(),
            windows: windows
                .iter()
                .map(|&w| Window {
                    len_steps: w.max(1),
                    slice_steps: (w / SLICES).max(1),
                    slices: VecDeque::new(),
                })
                .collect(),
            ring: Ring {
                cap: series.max(1),
                newest: 0,
                data: VecDeque::new(),
            },
            last_active: 0,
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

    /// Closes step `step`: folds it into the since-start histogram, the
    /// windows and the series. Cheap for an idle route (nothing to fold).
    pub fn close_step(&mut self, step: u64) {
        if self.step.requests > 0 {
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
            self.since.merge(&self.step_hist);
            self.last_active = step;
        }
        for w in &mut self.windows {
            // Expire slices wholly older than the window.
            while w
                .slices
                .front()
                .is_some_and(|s| s.start + w.len_steps <= step)
            {
                w.slices.pop_front();
            }
            if self.step.requests == 0 {
                continue;
            }
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
        }
        self.step = Counts::default();
        self.step_hist.clear();
    }

    /// The since-start latency histogram (complete steps).
    pub fn since(&self) -> &Hist {
        &self.since
    }

    /// Window statistics as of the end of step `current - 1`.
    pub fn windows(&self, current: u64, step: Duration, scratch: &mut Hist) -> Vec<WindowStats> {
        self.windows
            .iter()
            .map(|w| {
                let mut counts = Counts::default();
                scratch.clear();
                let mut oldest = current;
                for s in w
                    .slices
                    .iter()
                    .filter(|s| s.start + w.len_steps > current.saturating_sub(1))
                {
                    counts.add(&s.counts);
                    scratch.merge(&s.hist);
                    oldest = oldest.min(s.start);
                }
                // Covered: from the oldest slice kept to now, at most the
                // window, at least one step once anything was seen.
                let covered_steps = (current - oldest.min(current)).min(w.len_steps);
                let covered = step * covered_steps as u32;
                let row = counts.row(scratch);
                let rate = if covered.is_zero() {
                    0.0
                } else {
                    row.requests as f64 / covered.as_secs_f64()
                };
                WindowStats {
                    length: step * w.len_steps as u32,
                    covered,
                    row,
                    rate,
                }
            })
            .collect()
    }

    /// The last `n` closed steps before `current`, oldest first.
    pub fn series(&self, current: u64, n: usize, step: Duration) -> Series {
        let t = self.ring.tail(current, n);
        let col = |i: usize| t.iter().map(|v| v[i] as u64).collect::<Vec<u64>>();
        Series {
            step,
            requests: col(0),
            errors_5xx: col(1),
            errors_4xx: col(2),
            p50_us: col(3),
            p90_us: col(4),
            p99_us: col(5),
            max_us: col(6),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.step_hist.heap_bytes()
            + self.since.heap_bytes()
            + self
                .windows
                .iter()
                .flat_map(|w| w.slices.iter())
                .map(|s| s.hist.heap_bytes() + std::mem::size_of::<Slice>())
                .sum::<usize>()
            + self.ring.data.capacity() * 28
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: Duration = Duration::from_secs(1);

    #[test]
    fn windows_slide_and_report_what_they_cover() {
        // 60-step window: slices of 10 steps.
        let mut r = Recent::new(&[60], 100);
        let mut scratch = Hist::default();
        for step in 0..100u64 {
            for _ in 0..10 {
                r.record(
                    if step % 10 == 0 { 500 } else { 200 },
                    Some(100),
                    Some(1_000 * (step + 1)),
                );
            }
            r.close_step(step);
        }
        // As of step 100: slices starting 40..=90 remain (6 slices, 60 steps).
        let w = &r.windows(100, STEP, &mut scratch)[0];
        assert_eq!(w.covered, Duration::from_secs(60));
        assert_eq!(w.row.requests, 600);
        assert_eq!(w.row.classes[5], 60);
        assert_eq!(w.row.bytes, 60_000);
        assert_eq!(w.rate, 10.0);
        // Latencies in the window are 41..=100 ms, 10 each: exact nearest rank.
        assert_eq!(w.row.lat_max_us, 100_000);
        let p50 = w.row.q_us[0] as f64;
        assert!((p50 - 70_000.0).abs() / 70_000.0 < 0.01, "{p50}");
        // Just after start, the window covers only what has elapsed.
        let mut r = Recent::new(&[60], 100);
        r.record(200, None, Some(5));
        r.close_step(0);
        let w = &r.windows(1, STEP, &mut scratch)[0];
        assert_eq!((w.covered, w.row.requests, w.rate), (STEP, 1, 1.0));
    }

    #[test]
    fn idle_steps_are_zeros_and_old_slices_expire() {
        let mut r = Recent::new(&[60], 10);
        let mut scratch = Hist::default();
        r.record(200, None, Some(7));
        r.close_step(3);
        r.record(404, None, None);
        r.close_step(6);
        let s = r.series(8, 6, STEP);
        assert_eq!(s.requests, vec![0, 1, 0, 0, 1, 0]); // steps 2..=7
        assert_eq!(s.errors_4xx, vec![0, 0, 0, 0, 1, 0]);
        assert_eq!(s.p99_us, vec![0, 7, 0, 0, 0, 0]);
        // 200 steps later the window is empty.
        for step in 7..200 {
            r.close_step(step);
        }
        let w = &r.windows(200, STEP, &mut scratch)[0];
        assert_eq!(w.row.requests, 0);
        assert_eq!(r.series(200, 3, STEP).requests, vec![0, 0, 0]);
        // Since-start keeps everything.
        assert_eq!(r.since().count(), 1);
    }

    #[test]
    fn ring_keeps_only_cap_steps() {
        let mut r = Recent::new(&[6], 4);
        for step in 0..10 {
            r.record(200, None, None);
            r.close_step(step);
        }
        assert_eq!(r.series(10, 6, STEP).requests, vec![0, 0, 1, 1, 1, 1]);
    }
}
