//! The route table's columns: what each shows, how wide it is, how much it
//! matters when space is short, and how it sorts.
//!
//! One table of facts ([`Column::ALL`]) drives the header, the width
//! fitting, the sort cycle and the sort keys, so adding a column is one
//! edit here instead of four scattered ones.

use crate::engine::slo::SloState;
use crate::engine::snapshot::{RouteSnap, Snapshot};
use crate::engine::summary::Row;

/// Which statistics the table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowChoice {
    /// `snapshot.windows[i]`.
    Recent(usize),
    SinceStart,
}

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
    /// Objectives (`--slo`) only: the route's worst state.
    Slo,
    /// `--apdex` only: since start.
    Apdex,
    Trend,
}

impl Column {
    /// Display order, left to right.
    pub const ALL: [Column; 18] = [
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
        Column::Slo,
        Column::Apdex,
        Column::Trend,
    ];

    /// Columns that exist only when configured (`--slo`, `--apdex`).
    pub fn absent(snap: &Snapshot) -> u32 {
        let mut out = Vec::new();
        if snap.slo.is_empty() {
            out.push(Column::Slo);
        }
        if snap.apdex.is_none() {
            out.push(Column::Apdex);
        }
        mask(&out)
    }

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
            Column::Slo => "SLO",
            Column::Apdex => "Apdex",
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
            Column::Slo => "objective state",
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
            Column::Slo => 6,
            Column::Apdex => 5,
            Column::Trend => 12,
        }
    }

    /// Lower is kept longer when the terminal is narrow: what ops look at
    /// first (busy, failing, slow) survives 80 columns.
    fn priority(self) -> u8 {
        match self {
            Column::Route => 0,
            Column::Rate => 1,
            // Asked for: it says at once which route breaks its objective.
            Column::Slo => 2,
            Column::Err5 => 3,
            Column::P99 => 4,
            Column::P50 => 5,
            Column::Apdex => 6,
            Column::Requests => 7,
            Column::C4xx => 8,
            Column::C5xx => 9,
            Column::Method => 10,
            Column::P90 => 11,
            Column::Trend => 12,
            Column::Max => 13,
            Column::Bytes => 14,
            Column::Total => 15,
            Column::C2xx => 16,
            Column::C3xx => 17,
        }
    }

    /// Text columns start ascending; numbers start with the biggest, but
    /// Apdex with the lowest: worst first, as with the others.
    pub fn default_descending(self) -> bool {
        !matches!(self, Column::Route | Column::Method | Column::Apdex)
    }

    pub fn right_aligned(self) -> bool {
        !matches!(
            self,
            Column::Route | Column::Method | Column::Slo | Column::Trend
        )
    }
}

/// A set of columns as bits (bit `i` for `Column::ALL[i]`).
pub fn mask(cols: &[Column]) -> u32 {
    cols.iter()
        .filter_map(|c| Column::ALL.iter().position(|a| a == c))
        .fold(0, |m, i| m | 1 << i)
}

/// Widest the route column asks for before other columns give way.
const ROUTE_WANT_MAX: u16 = 40;

/// Columns that fit `width` cells (one space between columns), in display
/// order, with the width each gets, leaving out the `absent` ones (a
/// [`mask`]). `route_want` is the widest route name the filter keeps (on
/// screen or not, so that scrolling and sorting move no column): up to
/// [`ROUTE_WANT_MAX`] it is kept whole at the expense of low-priority
/// columns (a cut name is a useless row). The route column absorbs the
/// slack, and the trend grows on wide terminals.
pub fn fit(width: u16, route_want: u16, absent: u32) -> Vec<(Column, u16)> {
    let route_w = route_want.clamp(Column::Route.width(), ROUTE_WANT_MAX);
    let want = |c: Column| {
        if c == Column::Route {
            route_w
        } else {
            c.width()
        }
    };
    let mut by_priority: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|&c| absent & mask(&[c]) == 0)
        .collect();
    by_priority.sort_by_key(|c| c.priority());
    let mut chosen: Vec<Column> = Vec::new();
    let mut used: u16 = 0;
    for c in by_priority {
        let need = want(c) + if chosen.is_empty() { 0 } else { 1 };
        if used.saturating_add(need) <= width || chosen.is_empty() {
            used = used.saturating_add(need);
            chosen.push(c);
        }
    }
    let mut slack = width.saturating_sub(used);
    let mut out: Vec<(Column, u16)> = Column::ALL
        .iter()
        .filter(|c| chosen.contains(c))
        .map(|&c| (c, want(c)))
        .collect();
    // Long routes deserve the room first; past 48 cells the trend's history
    // says more than extra blank space after short routes.
    for (c, w) in out.iter_mut() {
        if *c == Column::Route {
            let add = slack.min(ROUTE_WANT_MAX.saturating_sub(*w));
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

/// Requests per second since start: over the log's span with log time (a
/// replay shows `--once`'s rates), over the time since counting began with
/// arrival time ([`Snapshot::since_start_rate`]).
pub fn since_start_rate(snap: &Snapshot, requests: u64) -> Option<f64> {
    snap.since_start_rate(requests)
}

/// What a route sorts by in a column, computed once per route per sort
/// (not once per comparison: a sort of 2 000 routes makes ~20 000).
/// Numbers are mapped to `u64`s that order like the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey<'a> {
    Num(u64, u64),
    Text(&'a str),
}

/// `f64` → `u64` with the same order (IEEE total order), so rates and
/// ratios sort as integers.
fn ordered(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// A route's key for `column` in the chosen window (ascending order);
/// callers reverse for descending and break ties by name so rows do not
/// jump between frames.
pub fn sort_key<'a>(
    column: Column,
    snap: &Snapshot,
    window: WindowChoice,
    route: &'a RouteSnap,
) -> SortKey<'a> {
    let (r, rate) = window_row(snap, route, window);
    // Untimed routes (no latency field) sort below every timed one.
    let lat = |us: u64| SortKey::Num((r.timed > 0) as u64, us);
    match column {
        Column::Route | Column::Trend => SortKey::Text(&route.route),
        Column::Method => SortKey::Text(route.methods.first().map_or("", |m| &m.0)),
        Column::Rate => SortKey::Num(ordered(rate.unwrap_or(0.0)), r.requests),
        Column::Requests => SortKey::Num(r.requests, 0),
        Column::C2xx => SortKey::Num(r.classes[2], 0),
        Column::C3xx => SortKey::Num(r.classes[3], 0),
        Column::C4xx => SortKey::Num(r.classes[4], 0),
        Column::C5xx => SortKey::Num(r.classes[5], 0),
        Column::Err5 => SortKey::Num(ordered(r.err5()), r.classes[5]),
        Column::P50 => lat(r.q_us[0]),
        Column::P90 => lat(r.q_us[1]),
        Column::P99 => lat(r.q_us[2]),
        Column::Max => lat(r.lat_max_us),
        Column::Bytes => SortKey::Num(r.bytes, 0),
        Column::Total => SortKey::Num(route.total.requests, 0),
        // Worst state first, then the most requests off target.
        Column::Slo => match slo_state(snap, &route.route) {
            Some((state, bad)) => SortKey::Num(1 + u64::from(state.rank()), bad),
            None => SortKey::Num(0, 0),
        },
        // Routes without an Apdex (untimed) sort after every score.
        Column::Apdex => match snap
            .apdex
            .as_ref()
            .and_then(|a| a.of(&route.route)?.score())
        {
            Some(s) => SortKey::Num(ordered(s), 0),
            None => SortKey::Num(u64::MAX, 0),
        },
    }
}

/// The worst state of `route` over the objectives that count it, with its
/// requests off target (bad) over them; `None` when none does.
pub fn slo_state(snap: &Snapshot, route: &str) -> Option<(SloState, u64)> {
    snap.slo
        .iter()
        .filter_map(|o| o.route_state(route))
        .map(|(s, c)| (s, c.total - c.good))
        .reduce(|a, b| (a.0.max_by_rank(b.0), a.1 + b.1))
}

/// Orders two routes by `column` (ascending), as [`sort_key`] does.
#[cfg(test)]
pub fn compare(
    column: Column,
    snap: &Snapshot,
    window: WindowChoice,
    a: &RouteSnap,
    b: &RouteSnap,
) -> std::cmp::Ordering {
    sort_key(column, snap, window, a).cmp(&sort_key(column, snap, window, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_priorities_and_fills_width() {
        let narrow = fit(80, 10, 0);
        let names: Vec<Column> = narrow.iter().map(|c| c.0).collect();
        for must in [Column::Route, Column::Rate, Column::Err5, Column::P99] {
            assert!(names.contains(&must), "{must:?} missing at 80 columns");
        }
        assert!(!names.contains(&Column::C3xx), "3xx should drop first");
        let used: u16 = narrow.iter().map(|c| c.1).sum::<u16>() + narrow.len() as u16 - 1;
        assert_eq!(used, 80);

        let wide = fit(250, 10, 0);
        assert_eq!(wide.len(), Column::ALL.len());
        let used: u16 = wide.iter().map(|c| c.1).sum::<u16>() + wide.len() as u16 - 1;
        assert_eq!(used, 250);

        // Absurdly narrow: the route alone, never a panic.
        assert_eq!(fit(3, 10, 0), vec![(Column::Route, 16)]);
    }

    #[test]
    fn long_routes_push_out_minor_columns() {
        let short = fit(80, 10, 0);
        let long = fit(80, 34, 0);
        let route_w = |f: &[(Column, u16)]| f.iter().find(|c| c.0 == Column::Route).map(|c| c.1);
        assert!(route_w(&long) >= Some(34));
        assert!(long.len() < short.len());
        for must in [Column::Rate, Column::Err5, Column::P99] {
            assert!(long.iter().any(|c| c.0 == must), "{must:?} kept");
        }
        // Past the cap, names are cut rather than hiding more columns.
        assert_eq!(route_w(&fit(80, 200, 0)), route_w(&fit(80, 40, 0)));
    }

    #[test]
    fn ordered_floats_sort_like_floats() {
        let mut v = [3.5, -1.0, 0.0, f64::INFINITY, 1e-9, 1e300, -0.0];
        let mut by_key = v;
        v.sort_by(f64::total_cmp);
        by_key.sort_by_key(|x| ordered(*x));
        assert_eq!(v.map(f64::to_bits), by_key.map(f64::to_bits));
    }
}
