//! The statistics of a set of requests (a key, or a rollup of keys):
//! counts, bytes, and for each timer (total and upstream time) the exact
//! sum and maximum, the latency [`Hist`] and the configured buckets.

use super::hist::Hist;
use crate::format::value::MAX_LATENCY_US;
use crate::simd::prefetch;

/// Latencies a key buffers before adding them to its HDR histogram.
///
/// A 26 KiB HDR is mostly out of cache by the time its key's next request
/// comes, so recording one value at a time cost a cache miss per line (84 %
/// of the recording time was that one load, by `perf annotate`). Added 512
/// at a time, each counter's line is loaded once per batch, and the buffer
/// is appended to in order.
pub const PENDING: usize = 512;

/// Statistics of one set of requests (a key, or a rollup of keys).
///
/// `repr(C)`: what every line reads or updates — the counters, the upstream
/// timer's pointer, the latency timer's sums and its histogram's header —
/// comes first, in 80 bytes (two cache lines at most, which a batch worker
/// loads ahead: `deferred.rs`), instead of wherever the compiler puts it.
#[derive(Clone, Debug, Default)]
#[repr(C)]
pub struct Stats {
    pub count: u64,
    pub bytes: u64,
    /// Upstream time, once a request carried one.
    pub upstream: Option<Box<Timer>>,
    /// Total request time, of the requests that carried one.
    pub latency: Timer,
}

/// One timer of a set of requests (total or upstream time).
#[derive(Clone, Debug, Default)]
#[repr(C)]
pub struct Timer {
    /// Requests that carried this timer.
    pub timed: u64,
    pub sum_us: u64,
    pub max_us: u64,
    /// Complete only once settled ([`Stats::settle`]); see [`PENDING`].
    pub hist: Hist,
    pending: Vec<u32>,
    /// Timed requests per configured bucket: `buckets[i]` counts values in
    /// `(bound[i-1], bound[i]]`; values above the last bound are
    /// `timed - sum(buckets)`.
    pub buckets: Box<[u64]>,
}

impl Timer {
    /// A timer with these figures and an empty histogram (saved state: the
    /// live engine keeps histograms per route, not per key).
    pub(super) fn restored(timed: u64, sum_us: u64, max_us: u64, buckets: Vec<u64>) -> Timer {
        Timer {
            timed,
            sum_us,
            max_us,
            buckets: buckets.into_boxed_slice(),
            ..Default::default()
        }
    }

    /// An empty timer with `n` bucket counters.
    fn new(n: usize) -> Timer {
        Timer {
            buckets: vec![0; n].into_boxed_slice(),
            ..Default::default()
        }
    }

    /// Counts one timed request of `us` µs (see [`Stats::record`]).
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    fn record(&mut self, bounds: &[u64], with_hist: bool, us: u64) {
        self.timed += 1;
        self.sum_us += us;
        self.max_us = self.max_us.max(us);
        if with_hist {
            self.record_deferred(us);
        }
        if let Some(i) = bucket_of(bounds, us) {
            self.buckets[i] += 1;
        }
    }

    /// Records `us` in the histogram, through `pending` once it is HDR
    /// (see [`PENDING`]). An exact list is appended to directly: that is
    /// already one write to the end of a short array.
    #[inline]
    fn record_deferred(&mut self, us: u64) {
        if let Hist::Big(_) = self.hist {
            self.pending.push(us.min(MAX_LATENCY_US) as u32);
            if self.pending.len() >= PENDING {
                self.settle();
            }
        } else {
            self.hist.record(us);
        }
    }

    /// Loads where [`Timer::record_deferred`] writes next: the end of the
    /// exact list, or of the pending buffer once HDR.
    #[inline(always)]
    pub(super) fn prefetch_tail(&self) {
        let next = match &self.hist {
            Hist::Small(v) => v.as_ptr().wrapping_add(v.len()),
            Hist::Big(_) => self.pending.as_ptr().wrapping_add(self.pending.len()),
        };
        prefetch(next);
    }

    fn settle(&mut self) {
        self.hist.record_batch(&self.pending);
        self.pending.clear();
    }

    /// Adds `o`, its pending values included.
    fn merge(&mut self, o: &Timer) {
        self.timed += o.timed;
        self.sum_us += o.sum_us;
        self.max_us = self.max_us.max(o.max_us);
        self.hist.merge(&o.hist);
        record_all(&mut self.hist, &o.pending);
        add_buckets(&mut self.buckets, &o.buckets);
    }

    /// Makes `self` a copy of `o`, reusing its histogram's allocation
    /// ([`Hist::copy_from`]).
    fn copy_from(&mut self, o: &Timer) {
        self.timed = o.timed;
        self.sum_us = o.sum_us;
        self.max_us = o.max_us;
        self.hist.copy_from(&o.hist);
        self.pending.clone_from(&o.pending);
        self.buckets.clone_from(&o.buckets);
    }

    fn heap_bytes(&self) -> usize {
        self.hist.heap_bytes() + self.pending.capacity() * 4 + self.buckets.len() * 8
    }
}

/// Adds a timer's buffered latencies (see [`PENDING`]) to a histogram.
fn record_all(hist: &mut Hist, pending: &[u32]) {
    for &us in pending {
        hist.record(us as u64);
    }
}

#[inline]
fn bucket_of(bounds: &[u64], us: u64) -> Option<usize> {
    let i = bounds.partition_point(|&b| b < us);
    (i < bounds.len()).then_some(i)
}

impl Stats {
    pub(super) fn new(n_buckets: usize) -> Stats {
        Stats {
            latency: Timer::new(n_buckets),
            ..Default::default()
        }
    }

    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    /// Counts one request. `with_hist`: also record the latency in this
    /// key's histogram (batch reports show per-key percentiles; the live
    /// engine keeps histograms per route instead, see `window`).
    pub fn record(
        &mut self,
        bounds: &[u64],
        with_hist: bool,
        bytes: Option<u64>,
        latency_us: Option<u64>,
        upstream_us: Option<u64>,
    ) {
        self.count += 1;
        // Saturating: one hostile line may claim 2^64 - 1 bytes, and a
        // total must not wrap to a small number (exact up to 16 EiB).
        self.bytes = self.bytes.saturating_add(bytes.unwrap_or(0));
        if let Some(us) = latency_us {
            self.latency.record(bounds, with_hist, us);
        }
        if let Some(us) = upstream_us {
            self.upstream
                .get_or_insert_with(|| Box::new(Timer::new(bounds.len())))
                .record(bounds, with_hist, us);
        }
    }

    /// Makes `self` a copy of `o`, reusing its histogram's allocation
    /// ([`Hist::copy_from`]).
    pub(crate) fn copy_from(&mut self, o: &Stats) {
        self.count = o.count;
        self.bytes = o.bytes;
        self.latency.copy_from(&o.latency);
        self.upstream.clone_from(&o.upstream);
    }

    /// Loads where the next latency will be written (and the upstream
    /// timer, a box of its own).
    #[inline(always)]
    pub(super) fn prefetch_tail(&self) {
        self.latency.prefetch_tail();
        if let Some(u) = &self.upstream {
            prefetch(&**u);
        }
    }

    /// Adds the pending latencies to the histograms: call before reading
    /// them.
    pub fn settle(&mut self) {
        self.latency.settle();
        if let Some(u) = &mut self.upstream {
            u.settle();
        }
    }

    /// Whether the histograms hold every recorded latency.
    pub fn settled(&self) -> bool {
        self.latency.pending.is_empty()
            && self.upstream.as_ref().is_none_or(|u| u.pending.is_empty())
    }

    pub fn merge(&mut self, o: &Stats) {
        self.count += o.count;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.latency.merge(&o.latency);
        if let Some(ou) = &o.upstream {
            self.upstream
                .get_or_insert_with(|| Box::new(Timer::new(ou.buckets.len())))
                .merge(ou);
        }
    }

    /// A copy without histograms (a backfill's key merged into the live
    /// engine, which keeps histograms per route, not per key).
    pub(super) fn without_hists(&self) -> Stats {
        let strip = |t: &Timer| Timer::restored(t.timed, t.sum_us, t.max_us, t.buckets.to_vec());
        Stats {
            count: self.count,
            bytes: self.bytes,
            upstream: self.upstream.as_deref().map(|u| Box::new(strip(u))),
            latency: strip(&self.latency),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.latency.heap_bytes()
            + self
                .upstream
                .as_ref()
                .map_or(0, |u| std::mem::size_of::<Timer>() + u.heap_bytes())
    }
}

fn add_buckets(a: &mut Box<[u64]>, b: &[u64]) {
    if a.len() < b.len() {
        let mut v = a.to_vec();
        v.resize(b.len(), 0);
        *a = v.into_boxed_slice();
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}
