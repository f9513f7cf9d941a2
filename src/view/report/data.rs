//! What a report is made of, shared by its layouts.

use crate::engine::InputStats;
use crate::engine::SourceReport;
use crate::engine::slo::{Compliance, Objective};
use crate::engine::summary::Summary;

/// Everything a report shows.
pub struct ReportData<'a> {
    pub summary: &'a Summary,
    pub sources: &'a [SourceReport],
    pub inputs: &'a [InputStats],
    /// Each objective (`--slo`) with its figures; empty without.
    pub slo: &'a [(Objective, Compliance)],
}

impl ReportData<'_> {
    pub(super) fn has_latency(&self) -> bool {
        self.summary.totals.timed > 0 || self.sources.iter().any(|s| s.has_latency)
    }
}

pub const SCHEMA_ID: &str = "routetop-report/1";

/// Microseconds as seconds (the unit of every time in JSON and CSV).
pub(super) fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}
