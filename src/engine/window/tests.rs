use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::*;
use crate::engine::hist::new_hdr;
use crate::engine::snapshot::log2_buckets;
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
    let w = &r.windows(100, 0, STEP, &mut scratch)[0];
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
    let w = &r.windows(1, 0, STEP, &mut scratch)[0];
    assert_eq!((w.covered, w.row.requests, w.rate), (STEP, 1, 1.0));
}

/// Issue 17, finding 2: a route's window rate was its count over the time
/// since its own oldest slice, so a route with 1 request late in the window
/// outranked one with 5 early in it. Every route of a window is divided by
/// the time the window covers, the same for all: rates follow counts.
#[test]
fn window_rate_is_count_over_the_time_the_window_covers() {
    let mut scratch = new_hdr();
    // A 60-step window, slices of 10 steps. `early`: 5 requests at step
    // 45; `late`: 1 request at step 95.
    let mut early = Recent::new(&[60], 100);
    let mut late = Recent::new(&[60], 100);
    for _ in 0..5 {
        early.record(200, None, Some(1_000));
    }
    early.close_step(45, &mut scratch);
    late.record(200, None, Some(1_000));
    late.close_step(95, &mut scratch);
    // As of step 100 the window holds steps 40..100 for both: 60 s.
    let e = &early.windows(100, 0, STEP, &mut scratch)[0];
    let l = &late.windows(100, 0, STEP, &mut scratch)[0];
    assert_eq!((e.covered, e.row.requests), (Duration::from_secs(60), 5));
    assert_eq!((l.covered, l.row.requests), (Duration::from_secs(60), 1));
    assert_eq!((e.rate, l.rate), (5.0 / 60.0, 1.0 / 60.0));
    assert!(!e.filling && !l.filling);
    // As of step 105 the slice of steps 40..50 has gone, `early`'s requests
    // with it: both cover the 55 steps 50..105, whatever their traffic.
    let e = &early.windows(105, 0, STEP, &mut scratch)[0];
    let l = &late.windows(105, 0, STEP, &mut scratch)[0];
    assert_eq!(
        (e.covered, e.row.requests, e.rate),
        (Duration::from_secs(55), 0, 0.0)
    );
    assert_eq!(
        (l.covered, l.row.requests, l.rate),
        (Duration::from_secs(55), 1, 1.0 / 55.0)
    );
}

/// While a window fills it covers the time since counting began (step 0,
/// or a reset), for every route, and says so.
#[test]
fn a_filling_window_covers_the_time_since_counting_began() {
    let mut scratch = new_hdr();
    let mut r = Recent::new(&[60], 100);
    for _ in 0..3 {
        r.record(200, None, None);
    }
    r.close_step(20, &mut scratch);
    let w = &r.windows(35, 0, STEP, &mut scratch)[0];
    assert_eq!(
        (w.covered, w.filling, w.rate),
        (Duration::from_secs(35), true, 3.0 / 35.0)
    );
    // Counting began at step 12 (a reset): 23 steps so far.
    let w = &r.windows(35, 12, STEP, &mut scratch)[0];
    assert_eq!(
        (w.covered, w.filling, w.rate),
        (Duration::from_secs(23), true, 3.0 / 23.0)
    );
    // Exactly a window's length: full, no longer filling.
    let w = &r.windows(60, 0, STEP, &mut scratch)[0];
    assert_eq!((w.covered, w.filling), (Duration::from_secs(60), false));
}

/// Issue 17, finding 4: the since-start distribution lost the requests of
/// the step still open (under `--window-by log` the last one never closes).
/// Since-start figures hold every request counted, closed step or not.
#[test]
fn since_start_latency_includes_the_open_step() {
    let mut scratch = new_hdr();
    let mut r = Recent::new(&[60], 100);
    for _ in 0..29 {
        r.record(200, None, Some(5_000));
    }
    r.close_step(0, &mut scratch);
    r.record(200, None, Some(24_000));
    r.refresh_since(&mut Hist::default());
    let (q, dist) = r.since();
    assert_eq!(&*dist, &[(4_096, 8_191, 29), (16_384, 32_767, 1)]);
    // p50, p90, p99, p99.9 of 29 × 5 ms and 24 ms (exact while small).
    assert_eq!(q, [5_000, 5_000, 24_000, 24_000]);
}

/// Since-start quantiles are those of the closed steps and the open one
/// together, exact or HDR on either side, and read again when a step
/// closes give the same answer.
#[test]
fn since_start_is_the_closed_steps_and_the_open_one_together() {
    for (closed, open) in [(10, 10), (200, 100), (300, 5), (5, 300), (700, 700)] {
        let mut scratch = new_hdr();
        let mut union = Hist::default();
        let mut r = Recent::new(&[60], 100);
        let mut all: Hist = Hist::default();
        let mut max = 0;
        for i in 0..closed + open {
            if i == closed {
                r.close_step(0, &mut scratch);
            }
            let us = 1_000 + (i * 7919) % 50_000;
            r.record(200, None, Some(us));
            all.record(us);
            max = max.max(us);
        }
        r.refresh_since(&mut union);
        let (q, dist) = r.since();
        let mut want = [0; 4];
        all.quantiles(&QUANTILES, max, &mut want);
        assert_eq!(q, want, "{closed} + {open}");
        assert_eq!(dist.iter().map(|b| b.2).sum::<u64>(), all.count());
        r.close_step(1, &mut scratch);
        r.refresh_since(&mut union);
        assert_eq!(r.since().0, want, "{closed} + {open}, closed");
        assert_eq!(r.since.buckets(), all.buckets());
    }
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
    let windows = vec(select(vec![1u64, 2, 5, 6, 7, 12, 13, 30, 60]), 1..=2).prop_map(|mut w| {
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
    // merging HDR slices afresh for the check; settings: `crate::props`).
    #![proptest_config(crate::props::config(20))]

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
                let got = r.windows(current, 0, STEP, &mut scratch);
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
                    fresh.quantiles(&QUANTILES, counts.max_us, &mut q);
                    prop_assert_eq!(row.q_us, if counts.timed > 0 { q } else { [0; 4] }, "{}", at);
                }
            }
            // The since-start distribution kept as requests come is the
            // histogram's own, binned by powers of two.
            r.refresh_since(&mut Hist::default());
            let (q, dist) = r.since();
            prop_assert_eq!(&*dist, &log2_buckets(&r.since)[..], "step {}", step);
            let mut want = [0; 4];
            r.since.quantiles(&QUANTILES, r.since_max_us, &mut want);
            prop_assert_eq!(q, want, "step {}", step);
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
    let row = &r.windows(4, 0, STEP, &mut scratch)[0].row;
    assert_eq!((row.requests, row.lat_max_us), (3, 3_254_541));
    let w = &r.windows[0];
    assert!(matches!(w.hist, Hist::Big(_)));
    let Hist::Big(h) = &w.hist else {
        unreachable!()
    };
    // p50, p90, p99, p99.9 of 3 values: the 2nd, then the 3rd — the tops
    // of their buckets, but never above the window's exact maximum.
    let tops = [2_000_001, 3_254_541].map(|us| h.highest_equivalent(us));
    assert_ne!(tops, [2_000_001, 3_254_541]);
    assert_eq!(row.q_us, [tops[0], 3_254_541, 3_254_541, 3_254_541]);
    // Empty, then exact again.
    r.windows(6, 0, STEP, &mut scratch);
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
    // 200 steps later the window is empty, without any step closing; it
    // still covers its minute (nothing happened in it).
    let w = &r.windows(200, 0, STEP, &mut scratch)[0];
    assert_eq!(
        (w.row.requests, w.row.lat_max_us, w.covered, w.rate),
        (0, 0, Duration::from_secs(60), 0.0)
    );
    assert_eq!(
        r.series(200, 3, STEP, &Arc::new(Series::default()))
            .requests,
        vec![0, 0, 0]
    );
    // Since-start keeps everything.
    r.refresh_since(&mut Hist::default());
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
