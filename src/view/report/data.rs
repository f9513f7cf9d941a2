//! What a report is made of, shared by its layouts.

use crate::engine::InputStats;
use crate::engine::SourceReport;
use crate::engine::apdex::ApdexSnap;
use crate::engine::slo::{Objective, PerRoute, SloState};
use crate::engine::summary::Summary;

/// Everything a report shows.
pub struct ReportData<'a> {
    pub summary: &'a Summary,
    pub sources: &'a [SourceReport],
    pub inputs: &'a [InputStats],
    /// Each objective (`--slo`) with its figures; empty without.
    pub slo: &'a [(Objective, PerRoute)],
    /// Apdex (`--apdex`) per route; `None` without.
    pub apdex: Option<&'a ApdexSnap>,
}

impl ReportData<'_> {
    pub(super) fn has_latency(&self) -> bool {
        self.summary.totals.timed > 0 || self.sources.iter().any(|s| s.has_latency)
    }

    /// `Snapshot::bytes_known`'s answer for the report.
    pub(super) fn has_bytes(&self) -> bool {
        self.summary.totals.bytes > 0
            || self.sources.iter().enumerate().any(|(i, s)| {
                self.inputs
                    .get(i)
                    .map_or(s.has_bytes, |st| st.logs_bytes(s.has_bytes))
            })
    }

    /// The worst state of `route` over the objectives that count it (met
    /// or violated: a report has no burn rates); `None` when none does.
    pub(super) fn slo_state(&self, route: &str) -> Option<SloState> {
        self.slo
            .iter()
            .filter_map(|(o, p)| {
                let i = p.routes.binary_search_by(|(r, _)| (**r).cmp(route)).ok()?;
                Some(match p.routes[i].1.violated(o.target) {
                    true => SloState::Violated,
                    false => SloState::Met,
                })
            })
            .reduce(SloState::max_by_rank)
    }

    /// `route`'s Apdex score, as the table and CSV print it (`-`/empty
    /// without a timed request).
    pub(super) fn apdex_of(&self, route: Option<&str>) -> Option<f64> {
        let a = self.apdex?;
        match route {
            Some(r) => a.of(r)?.score(),
            None => a.total.score(),
        }
    }
}

pub const SCHEMA_ID: &str = "routetop-report/1";

/// Microseconds as seconds (the unit of every time in JSON and CSV).
pub(super) fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}
