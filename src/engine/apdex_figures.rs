//! What the views show of Apdex (`apdex.rs`): the counts and their score,
//! per route and in all. A leaf of its own, so that snapshots carry them
//! without depending on how they are computed.

use std::sync::Arc;

/// Apdex counts of a set of requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Apdex {
    /// At or under T, not 5xx.
    pub satisfied: u64,
    /// Over T, at or under 4T, not 5xx.
    pub tolerating: u64,
    /// Timed requests: the denominator.
    pub timed: u64,
}

impl Apdex {
    /// `(satisfied + tolerating / 2) / timed`; `None` without a timed
    /// request (a format with no request time).
    pub fn score(&self) -> Option<f64> {
        (self.timed > 0)
            .then(|| (self.satisfied as f64 + self.tolerating as f64 / 2.0) / self.timed as f64)
    }

    pub(super) fn add(&mut self, o: &Apdex) {
        self.satisfied += o.satisfied;
        self.tolerating += o.tolerating;
        self.timed += o.timed;
    }
}

/// Apdex of every route and of all traffic, since start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApdexSnap {
    /// T, µs.
    pub t_us: u64,
    pub total: Apdex,
    /// Routes with requests, by name ascending.
    pub routes: Vec<(Arc<str>, Apdex)>,
}

impl ApdexSnap {
    pub fn of(&self, route: &str) -> Option<&Apdex> {
        let i = self
            .routes
            .binary_search_by(|(r, _)| (**r).cmp(route))
            .ok()?;
        Some(&self.routes[i].1)
    }
}
