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
            return SloState::Violated;
        }
        // (long, short, rate) by index into BURN_WINDOWS.
        let pairs = [(2, 0, 14.4), (3, 1, 6.0), (4, 3, 1.0)];
        let over = |i: usize, rate: f64| self.burn[i].is_some_and(|b| b > rate);
        if pairs.iter().any(|&(l, s, r)| over(l, r) && over(s, r)) {
            SloState::Burning
        } else {
            SloState::Met
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
