//! The route table's columns: what each shows, how wide it is, how much it
//! matters when space is short, and how it sorts.
//!
//! One table of facts ([`Column::ALL`]) drives the header, the width
//! fitting, the sort cycle and the sort keys, so adding a column is one
//! edit here instead of four scattered ones.

use std::cmp::Ordering;

use crate::engine::snapshot::{RouteSnap, Snapshot};
use crate::engine::summary::Row;

use super::app::WindowChoice;

/// A column of the route table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Route,
    Method,
    Rate,
    Requests,
    C2xx,
    C3xx,
    C4xx,
    C5xx,
    Err5,
    P50,
    P90,
    P99,
    Max,
    Bytes,
    Total,
    Trend,
}

impl Column {
    /// Display order, left to right.
    pub const ALL: [Column; 16] = [
        Column::Route,
        Column::Method,
        Column::Rate,
        Column::Requests,
        Column::C2xx,
        Column::C3xx,
        Column::C4xx,
        Column::C5xx,
        Column::Err5,
        Column::P50,
        Column::P90,
        Column::P99,
        Column::Max,
        Column::Bytes,
        Column::Total,
        Column::Trend,
    ];

    /// Columns `s` cycles through (all but the trend, which has no order).
    pub fn sortable() -> impl DoubleEndedIterator<Item = Column> + Clone {
        Column::ALL.into_iter().filter(|c| *c != Column::Trend)
    }

    pub fn title(self) -> &'static str {
        match self {
            Column::Route => "Route",
            Column::Method => "Method",
            Column::Rate => "Req/s",
            Column::Requests => "Reqs",
            Column::C2xx => "2xx",
            Column::C3xx => "3xx",
            Column::C4xx => "4xx",
            Column::C5xx => "5xx",
            Column::Err5 => "5xx%",
            Column::P50 => "p50",
            Column::P90 => "p90",
            Column::P99 => "p99",
            Column::Max => "Max",
            Column::Bytes => "Bytes",
            Column::Total => "Total",
            Column::Trend => "Req/s trend",
        }
    }

    /// Name in the header's `sort …` label, clearer than a column title
    /// when the column itself was dropped for width.
    pub fn sort_label(self) -> &'static str {
        match self {
            Column::Requests => "requests",
            Column::Total => "total requests",
            Column::Err5 => "5xx %",
            c => c.title(),
        }
    }

    /// Cells' width; the route takes what is left (at least this).
    pub fn width(self) -> u16 {
        match self {
            Column::Route => 16,
            Column::Method => 8,
            Column::Rate => 7,
            Column::Requests | Column::Total => 6,
            Column::C2xx | Column::C3xx | Column::C4xx | Column::C5xx => 5,
            Column::Err5 => 5,
            Column::P50 | Column::P90 | Column::P99 | Column::Max => 7,
            Column::Bytes => 6,
            Column::Trend => 12,
        }
    }

    /// Lower is kept longer when the terminal is narrow: what ops look at
    /// first (busy, failing, slow) survives 80 columns.
    fn priority(self) -> u8 {
        match self {
            Column::Route => 0,
            Column::Rate => 1,
            Column::Err5 => 2,
            Column::P99 => 3,
            Column::P50 => 4,
            Column::Requests => 5,
            Column::C4xx => 6,
            Column::C5xx => 7,
            Column::Method => 8,
            Column::P90 => 9,
            Column::Trend => 10,
            Column::Max => 11,
            Column::Bytes => 12,
            Column::Total => 13,
            Column::C2xx => 14,
            Column::C3xx => 15,
        }
    }

    /// Text columns start ascending; numbers start with the biggest.
    pub fn default_descending(self) -> bool {
        !matches!(self, Column::Route | Column::Method)
    }

    pub fn right_aligned(self) -> bool {
        !matches!(self, Column::Route | Column::Method | Column::Trend)
    }
}

/// Columns that fit `width` cells (one space between columns), in display
/// order, with the width each gets. The route column absorbs the slack,
/// and the trend grows on wide terminals.
pub fn fit(width: u16) -> Vec<(Column, u16)> {
    let mut by_priority = Column::ALL;
    by_priority.sort_by_key(|c| c.priority());
    let mut chosen: Vec<Column> = Vec::new();
    let mut used: u16 = 0;
    for c in by_priority {
        let need = c.width() + if chosen.is_empty() { 0 } else { 1 };
        if used.saturating_add(need) <= width || chosen.is_empty() {
            used = used.saturating_add(need);
            chosen.push(c);
        }
    }
    let mut slack = width.saturating_sub(used);
    let mut out: Vec<(Column, u16)> = Column::ALL
        .iter()
        .filter(|c| chosen.contains(c))
        .map(|&c| (c, c.width()))
        .collect();
    // Long routes deserve the room first; past 48 cells the trend's history
    // says more than extra blank space after short routes.
    for (c, w) in out.iter_mut() {
        if *c == Column::Route {
            let add = slack.min(48u16.saturating_sub(*w));
            *w += add;
            slack -= add;
        }
    }
    for (c, w) in out.iter_mut() {
        if *c == Column::Trend {
            let add = slack.min(48);
            *w += add;
            slack -= add;
        }
    }
    for (c, w) in out.iter_mut() {
        if *c == Column::Route {
            *w = w.saturating_add(slack);
        }
    }
    out
}

/// The statistics of a route in the chosen window, with its request rate
/// (`None` when the snapshot gives no time base, e.g. an empty batch).
pub fn window_row<'a>(
    snap: &Snapshot,
    route: &'a RouteSnap,
    window: WindowChoice,
) -> (&'a Row, Option<f64>) {
    static EMPTY: Row = Row {
        requests: 0,
        bytes: 0,
        classes: [0; 6],
        timed: 0,
        lat_sum_us: 0,
        lat_max_us: 0,
        q_us: [0; 4],
    };
    match window {
        WindowChoice::Recent(i) => match route.windows.get(i) {
            Some(w) => (&w.row, Some(w.rate).filter(|r| r.is_finite())),
            // A route that had no traffic in this window has no entry.
            None => (&EMPTY, Some(0.0)),
        },
        WindowChoice::SinceStart => (&route.total, since_start_rate(snap, route.total.requests)),
    }
}

/// Requests per second since start: over the engine's uptime when live,
/// over the log's own time span in a batch snapshot.
pub fn since_start_rate(snap: &Snapshot, requests: u64) -> Option<f64> {
    let secs = if !snap.uptime.is_zero() {
        snap.uptime.as_secs_f64()
    } else {
        let (a, b) = snap.span?;
        (b.saturating_sub(a)).max(0) as f64 + 1.0
    };
    Some(requests as f64 / secs)
}

/// Orders two routes by `column` (ascending); callers reverse for
/// descending and break ties by name so rows do not jump between frames.
pub fn compare(
    column: Column,
    snap: &Snapshot,
    window: WindowChoice,
    a: &RouteSnap,
    b: &RouteSnap,
) -> Ordering {
    let (ra, rate_a) = window_row(snap, a, window);
    let (rb, rate_b) = window_row(snap, b, window);
    match column {
        Column::Route | Column::Trend => Ordering::Equal,
        Column::Method => {
            let m = |r: &RouteSnap| r.methods.first().map(|m| m.0.clone());
            m(a).cmp(&m(b))
        }
        Column::Rate => rate_a
            .unwrap_or(0.0)
            .total_cmp(&rate_b.unwrap_or(0.0))
            .then(ra.requests.cmp(&rb.requests)),
        Column::Requests => ra.requests.cmp(&rb.requests),
        Column::C2xx => ra.classes[2].cmp(&rb.classes[2]),
        Column::C3xx => ra.classes[3].cmp(&rb.classes[3]),
        Column::C4xx => ra.classes[4].cmp(&rb.classes[4]),
        Column::C5xx => ra.classes[5].cmp(&rb.classes[5]),
        Column::Err5 => ra.err5().total_cmp(&rb.err5()),
        // Untimed routes (no latency field) sort below every timed one.
        Column::P50 => latency_key(ra, 0).cmp(&latency_key(rb, 0)),
        Column::P90 => latency_key(ra, 1).cmp(&latency_key(rb, 1)),
        Column::P99 => latency_key(ra, 2).cmp(&latency_key(rb, 2)),
        Column::Max => (ra.timed > 0, ra.lat_max_us).cmp(&(rb.timed > 0, rb.lat_max_us)),
        Column::Bytes => ra.bytes.cmp(&rb.bytes),
        Column::Total => a.total.requests.cmp(&b.total.requests),
    }
}

fn latency_key(r: &Row, q: usize) -> (bool, u64) {
    (r.timed > 0, r.q_us[q])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_priorities_and_fills_width() {
        let narrow = fit(80);
        let names: Vec<Column> = narrow.iter().map(|c| c.0).collect();
        for must in [Column::Route, Column::Rate, Column::Err5, Column::P99] {
            assert!(names.contains(&must), "{must:?} missing at 80 columns");
        }
        assert!(!names.contains(&Column::C3xx), "3xx should drop first");
        let used: u16 = narrow.iter().map(|c| c.1).sum::<u16>() + narrow.len() as u16 - 1;
        assert_eq!(used, 80);

        let wide = fit(250);
        assert_eq!(wide.len(), Column::ALL.len());
        let used: u16 = wide.iter().map(|c| c.1).sum::<u16>() + wide.len() as u16 - 1;
        assert_eq!(used, 250);

        // Absurdly narrow: the route alone, never a panic.
        assert_eq!(fit(3), vec![(Column::Route, 16)]);
    }
}
