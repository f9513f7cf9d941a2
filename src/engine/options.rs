//! Engine settings: what shapes the aggregates (bucket bounds, caps, the
//! line limit), given by the run as a plain struct.

use std::sync::{Arc, Mutex};

use super::facet::DEFAULT_MAX_FACETS;
use super::registry::{Registry, SharedRegistry};

/// Lines longer than this are parse errors unless `--max-line` says
/// otherwise.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// Engine settings that shape the aggregates.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Histogram bucket bounds in µs, ascending (Prometheus `le`).
    pub bounds_us: Arc<[u64]>,
    /// Routes tracked before new ones fold into the overflow route.
    pub max_routes: usize,
    /// Keys kept (per shard) before new ones fold into the overflow route:
    /// follows the route cap.
    pub max_keys: usize,
    /// Lines longer than this are parse errors (`too_long`).
    pub max_line: usize,
    /// Keep a latency histogram per key (batch) or not (live: per route).
    pub key_hists: bool,
    /// Names of each facet kind (backend, host) kept before the others
    /// count under `(other)` (`--max-facets`, `facet.rs`).
    pub max_facets: usize,
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
            max_routes,
            max_keys: max_routes.saturating_mul(64).max(1024),
            max_line,
            key_hists: true,
            max_facets: DEFAULT_MAX_FACETS,
        }
    }

    /// The names every shard of one run shares, capped at `max_routes`.
    pub fn registry(&self) -> SharedRegistry {
        Arc::new(Mutex::new(Registry::new(self.max_routes)))
    }
}
