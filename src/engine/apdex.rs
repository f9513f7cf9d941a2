//! Apdex (`--apdex T`): the share of satisfied requests (at or under T)
//! plus half the tolerating ones (over T, at or under 4T), over the timed
//! requests; 5xx responses count as frustrated whatever their time (a fast
//! error satisfies nobody — New Relic's rule, stricter than apdex.org's,
//! which looks at times only).
//!
//! Exact, like the latency objectives: the config adds T and 4T to the
//! bucket bounds, so both shares are sums of exact bucket counters of the
//! since-start keys, not HDR estimates, and every view computes them from
//! the same keys. (Windows keep no bucket counters, so Apdex is since
//! start; the same figure Prometheus gets from the exported `le` buckets.)

use std::collections::BTreeMap;
use std::sync::Arc;

pub use super::apdex_figures::{Apdex, ApdexSnap};
use super::snapshot::KeySnap;

/// The Apdex of `keys` (since-start counters, per bucket of `bounds_us`,
/// which hold T and 4T: see the module docs).
pub fn evaluate(t_us: u64, keys: &[KeySnap], bounds_us: &[u64]) -> ApdexSnap {
    let upto = |us: u64| bounds_us.partition_point(|&b| b <= us);
    let (sat_end, tol_end) = (upto(t_us), upto(t_us.saturating_mul(4)));
    let mut routes: BTreeMap<Arc<str>, Apdex> = BTreeMap::new();
    for k in keys {
        let mut a = Apdex {
            timed: k.timed,
            ..Apdex::default()
        };
        if !(500..600).contains(&k.status) {
            let b = &k.buckets;
            a.satisfied = b.iter().take(sat_end).sum();
            a.tolerating = b.iter().take(tol_end).skip(sat_end).sum();
        }
        routes.entry(k.route.clone()).or_default().add(&a);
    }
    let mut total = Apdex::default();
    for a in routes.values() {
        total.add(a);
    }
    ApdexSnap {
        t_us,
        total,
        routes: routes.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(route: &str, status: u16, timed: u64, buckets: &[u64]) -> KeySnap {
        KeySnap {
            route: route.into(),
            status,
            count: timed,
            timed,
            buckets: buckets.to_vec(),
            ..KeySnap::default()
        }
    }

    #[test]
    fn apdex_counts_satisfied_and_half_the_tolerating_and_5xx_as_frustrated() {
        // Bounds 100 ms (T), 400 ms (4T), 1 s; above 1 s is the rest.
        let bounds = [100_000, 400_000, 1_000_000];
        let keys = [
            // 6 ≤ T, 2 in (T, 4T], 1 in (4T, 1s], 1 above.
            key("/a", 200, 10, &[6, 2, 1]),
            // Fast errors: frustrated all the same.
            key("/a", 503, 4, &[4, 0, 0]),
            key("/b", 404, 2, &[0, 2, 0]),
        ];
        let s = evaluate(100_000, &keys, &bounds);
        let a = s.of("/a").unwrap();
        assert_eq!((a.satisfied, a.tolerating, a.timed), (6, 2, 14));
        assert_eq!(a.score(), Some((6.0 + 1.0) / 14.0));
        assert_eq!(s.of("/b").unwrap().score(), Some(0.5));
        assert_eq!(s.of("/c"), None);
        assert_eq!(
            s.total,
            Apdex {
                satisfied: 6,
                tolerating: 4,
                timed: 16
            }
        );
    }

    #[test]
    fn apdex_of_untimed_requests_is_none() {
        let keys = [key("/a", 200, 0, &[0, 0])];
        let s = evaluate(100_000, &keys, &[100_000, 400_000]);
        assert_eq!(s.of("/a").unwrap().score(), None);
    }
}
