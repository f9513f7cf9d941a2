use super::*;

/// Methods with as many requests are listed in an order that does not
/// depend on the order the workers met them in (their ids).
#[test]
fn method_ties_do_not_depend_on_ids() {
    let list = |order: &[&str]| {
        let mut reg = Registry::new(10);
        let mut counts: Vec<(u8, u64)> = order
            .iter()
            .map(|m| (reg.methods.intern(m.as_bytes()), 5))
            .collect();
        counts.push((reg.methods.intern(b"GET"), 9));
        method_list(&reg, counts)
            .into_iter()
            .map(|(m, _)| m.to_string())
            .collect::<Vec<_>>()
    };
    let want = ["GET", "POST", "DELETE", "BREW", "PURGE"];
    assert_eq!(list(&["PURGE", "BREW", "DELETE", "POST"]), want);
    assert_eq!(list(&["BREW", "POST", "PURGE", "DELETE"]), want);
}

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

use crate::format::value::MAX_LATENCY_US;

use crate::props::config;

/// The latency histograms of 1 to 6 routes, each 0 to 5 histograms of
/// values up to 2 s and at and past the latency bound: of sizes each
/// side of `SMALL_MAX`, or of sizes that add up to `SMALL_MAX` - 2 to
/// `SMALL_MAX` + 2 (the switch to HDR) or to at most 700.
fn routes() -> impl Strategy<Value = Vec<Vec<Vec<u64>>>> {
    let value = prop_oneof![
        8 => 0..2_000_000u64,
        1 => Just(0u64),
        1 => MAX_LATENCY_US - 1..=MAX_LATENCY_US + 1,
    ];
    let size = prop_oneof![
        Just(0usize),
        Just(1usize),
        2..=60usize,
        120..=140usize,
        SMALL_MAX - 4..=SMALL_MAX + 4,
        SMALL_MAX + 5..=300usize,
    ];
    let total = prop_oneof![SMALL_MAX - 2..=SMALL_MAX + 2, 0..=700usize];
    let split = (1..=5usize, total).prop_flat_map(|(parts, total)| {
        vec(0..=total, parts - 1).prop_map(move |mut cuts| {
            cuts.push(0);
            cuts.push(total);
            cuts.sort_unstable();
            cuts.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
        })
    });
    let sizes = prop_oneof![vec(size, 0..=5), split];
    let route = sizes.prop_flat_map(move |sizes| {
        sizes
            .into_iter()
            .map(|n| vec(value.clone(), n))
            .collect::<Vec<_>>()
    });
    vec(route, 1..=6)
}

fn hist_of(values: &[u64]) -> Hist {
    let mut h = Hist::default();
    values.iter().for_each(|&v| h.record(v));
    h
}

proptest! {
    // 64 cases of up to 6 routes: ~0.3 s in a debug build.
    #![proptest_config(config(64))]

    /// A rollup reused route after route holds what merging the same
    /// histograms into a fresh one does: the same representation
    /// (exact list up to `SMALL_MAX` values, HDR beyond), the same
    /// buckets and quantiles.
    #[test]
    fn a_reused_rollup_matches_merging_into_a_fresh_hist(routes in routes()) {
        let mut rollup = Rollup::new();
        for (i, hists) in routes.iter().enumerate() {
            rollup.clear();
            let mut fresh = Hist::default();
            for values in hists {
                let h = hist_of(values);
                rollup.add(&h);
                fresh.merge(&h);
            }
            let got = rollup.hist();
            prop_assert_eq!(
                matches!(got, Hist::Big(_)),
                matches!(fresh, Hist::Big(_)),
                "route {}",
                i
            );
            prop_assert_eq!(got.count(), fresh.count(), "route {}", i);
            prop_assert_eq!(got.buckets(), fresh.buckets(), "route {}", i);
            let (mut a, mut b) = ([0; 4], [0; 4]);
            got.quantiles(&QUANTILES, u64::MAX, &mut a);
            fresh.quantiles(&QUANTILES, u64::MAX, &mut b);
            prop_assert_eq!(a, b, "route {}", i);
        }
    }
}

/// The generated routes roll up into both representations, and an
/// exact list follows an HDR one in the same rollup (its reuse): in
/// 100 cases from a fixed seed.
#[test]
fn generated_routes_reach_both_representations() {
    let mut runner = TestRunner::new_with_rng(
        config(0),
        TestRng::from_seed(RngAlgorithm::XorShift, &[7; 16]),
    );
    let (mut exact, mut hdr, mut exact_after_hdr) = (0, 0, 0);
    let strategy = routes();
    for _ in 0..100 {
        let mut was_big = false;
        for hists in strategy.new_tree(&mut runner).unwrap().current() {
            let big = hists.iter().map(Vec::len).sum::<usize>() > SMALL_MAX;
            if big {
                hdr += 1;
            } else {
                exact += 1;
                exact_after_hdr += usize::from(was_big);
            }
            was_big = big;
        }
    }
    assert!(
        exact > 75 && hdr > 75 && exact_after_hdr > 25,
        "{exact} exact, {hdr} HDR, {exact_after_hdr} exact after HDR"
    );
}
