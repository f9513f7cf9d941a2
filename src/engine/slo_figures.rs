//! What the views show of an objective (`slo.rs`): its compliance over a
//! set of requests, and its live figures in a snapshot. A leaf of its own,
//! so that snapshots carry them without depending on the matching.

/// An objective's figures over some requests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compliance {
    pub good: u64,
    pub total: u64,
}

impl Compliance {
    /// Good over total; `None` without requests.
    pub fn ratio(&self) -> Option<f64> {
        (self.total > 0).then(|| self.good as f64 / self.total as f64)
    }

    /// The share of the error budget left: 1 with no bad request, 0 when
    /// the bad ones are exactly the budget, negative past it.
    pub fn budget_left(&self, target: f64) -> Option<f64> {
        let bad = 1.0 - self.ratio()?;
        Some(1.0 - bad / (1.0 - target))
    }

    /// Below target (no requests is not a violation).
    pub fn violated(&self, target: f64) -> bool {
        self.ratio().is_some_and(|r| r < target)
    }
}

/// Windows of the burn rates, in minutes: the SRE workbook's pairs use
/// 5m, 30m, 1h, 6h and 3d (see `view/export/rules.rs`).
pub const BURN_WINDOWS: [(u64, &str); 5] = [
    (5, "5m"),
    (30, "30m"),
    (60, "1h"),
    (360, "6h"),
    (4320, "3d"),
];

/// An objective's live figures: since start, and burn rates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SloSnap {
    pub name: String,
    pub target: f64,
    /// Since start, from the key counters (what `--once` computes).
    pub since: Compliance,
    /// Since start per route it covers, by name ascending (the route
    /// table's SLO column, the drill-down).
    pub routes: Vec<(std::sync::Arc<str>, Compliance)>,
    /// Per [`BURN_WINDOWS`]: bad share over the window divided by the
    /// budget (`1 - target`); `None` without requests in it.
    pub burn: [Option<f64>; BURN_WINDOWS.len()],
    /// The 5-minute burn rate at the end of each of the last minutes,
    /// oldest first (the drill-down's sparkline).
    pub burn_series: Vec<f64>,
}

impl SloSnap {
    /// Met (within target since start) and not burning: no pair of windows
    /// is over its burn rate (see `view/export/rules.rs`).
    pub fn state(&self) -> SloState {
        if self.since.violated(self.target) {
            SloState::Violated
        } else if self.burning() {
            SloState::Burning
        } else {
            SloState::Met
        }
    }

    /// A pair of windows is over its burn rate (see `view/export/rules.rs`).
    pub fn burning(&self) -> bool {
        // (long, short, rate) by index into BURN_WINDOWS.
        let pairs = [(2, 0, 14.4), (3, 1, 6.0), (4, 3, 1.0)];
        let over = |i: usize, rate: f64| self.burn[i].is_some_and(|b| b > rate);
        pairs.iter().any(|&(l, s, r)| over(l, r) && over(s, r))
    }
}

impl SloSnap {
    /// What the route table says of `route` for this objective: violated
    /// when the route's own requests since start are below target; else
    /// burning when the objective (all its routes: burn rates are kept per
    /// objective) burns; else met. `None` when the objective has not
    /// counted a request of the route.
    pub fn route_state(&self, route: &str) -> Option<(SloState, &Compliance)> {
        let i = self
            .routes
            .binary_search_by(|(r, _)| (**r).cmp(route))
            .ok()?;
        let c = &self.routes[i].1;
        let state = if c.violated(self.target) {
            SloState::Violated
        } else if self.burning() {
            SloState::Burning
        } else {
            SloState::Met
        };
        Some((state, c))
    }
}

/// Worst first: the order the route table sorts and reports states in.
impl SloState {
    pub fn rank(self) -> u8 {
        match self {
            SloState::Met => 0,
            SloState::Burning => 1,
            SloState::Violated => 2,
        }
    }

    /// The worse of two.
    pub fn max_by_rank(self, o: SloState) -> SloState {
        if o.rank() > self.rank() { o } else { self }
    }

    /// Symbol and word, so the state reads without colour.
    pub fn label(self) -> &'static str {
        match self {
            SloState::Met => "✓ met",
            SloState::Burning => "! burn",
            SloState::Violated => "✗ viol",
        }
    }
}

/// What the dashboard says of an objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloState {
    Met,
    /// Within target so far, but a pair of windows burns the budget fast
    /// enough to page (or, for 3d/6h, to open a ticket).
    Burning,
    /// Below target since start.
    Violated,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(burn: [Option<f64>; 5]) -> SloSnap {
        let c = |good, total| Compliance { good, total };
        SloSnap {
            name: "*:99%".into(),
            target: 0.99,
            since: c(985, 1_000),
            routes: vec![("/a".into(), c(495, 500)), ("/b".into(), c(490, 500))],
            burn,
            burn_series: Vec::new(),
        }
    }

    #[test]
    fn a_route_is_violated_by_its_own_requests_and_burns_with_its_objective() {
        let calm = snap([Some(0.5); 5]);
        // The objective is violated (98.5 %), but /a is at 99 %: met.
        assert_eq!(calm.state(), SloState::Violated);
        assert_eq!(calm.route_state("/a").map(|s| s.0), Some(SloState::Met));
        assert_eq!(
            calm.route_state("/b").map(|s| s.0),
            Some(SloState::Violated)
        );
        assert_eq!(calm.route_state("/c"), None);
        // 1h and 5m over 14.4×: every route within target burns.
        let hot = snap([Some(15.0), None, Some(14.5), None, None]);
        assert_eq!(hot.route_state("/a").map(|s| s.0), Some(SloState::Burning));
        assert_eq!(hot.route_state("/b").map(|s| s.0), Some(SloState::Violated));
        // One window of a pair is not enough.
        let half = snap([Some(15.0), None, Some(14.0), None, None]);
        assert_eq!(half.route_state("/a").map(|s| s.0), Some(SloState::Met));
    }
}
