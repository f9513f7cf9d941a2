//! A batch worker's requests per objective per minute of log time, for
//! the burn rates of a backfill under `--window-by log` with `--slo`: what
//! the live engine's [`Tracker`] would have counted had the backlog's
//! lines come one by one, merged into it at the backfill's merge
//! (`live/fill.rs`). Without them the lines within the longest burn window
//! (3 days) of a backlog's last line would have to go the line-by-line way.
//!
//! Each line counts under its route's final id, as the live engine counts
//! it: a route awaiting admission (`resolve.rs`) holds its lines here
//! until `Minutes::admit` says which id (or the overflow) it became.
//! A line without a log time counts in the minute of the newest line the
//! worker saw before it, as the live engine's counts in its newest
//! (`LiveEngine::minute`); before the worker saw any, in the minute the
//! engine is at when it merges ([`Minutes::untimed`]).

use super::registry::SharedRegistry;
use super::slo::{Objective, Tracker};
use crate::route::RouteId;

/// One worker's counts.
pub struct Minutes {
    /// By the minute of each line's log time.
    timed: Tracker,
    /// Lines before the worker saw a time, all in minute 0.
    untimed: Tracker,
    /// The newest minute seen.
    newest: Option<u64>,
    /// Lines of routes awaiting admission: (provisional index, minute,
    /// status, latency µs).
    pending: Vec<(RouteId, Option<u64>, u16, Option<u64>)>,
}

impl Minutes {
    pub fn new(objectives: &[Objective]) -> Minutes {
        Minutes {
            timed: Tracker::new(objectives.to_vec()),
            untimed: Tracker::new(objectives.to_vec()),
            newest: None,
            pending: Vec::new(),
        }
    }

    /// Counts a line of route `route` (a provisional index if
    /// `provisional`) logged at `time`.
    pub(super) fn line(
        &mut self,
        (route, provisional): (RouteId, bool),
        status: u16,
        latency_us: Option<u64>,
        time: Option<i64>,
        registry: &SharedRegistry,
    ) {
        if let Some(t) = time {
            let m = t.max(0) as u64 / 60;
            self.newest = Some(self.newest.map_or(m, |n| n.max(m)));
        }
        let minute = time.map(|t| t.max(0) as u64 / 60).or(self.newest);
        match provisional {
            true => self.pending.push((route, minute, status, latency_us)),
            false => self.record(route, minute, status, latency_us, registry),
        }
    }

    /// The routes awaiting admission got their ids (`ids`, by provisional
    /// index): their lines count.
    pub(super) fn admit(&mut self, ids: &[RouteId], registry: &SharedRegistry) {
        for (i, minute, status, latency) in std::mem::take(&mut self.pending) {
            if let Some(&id) = ids.get(i as usize) {
                self.record(id, minute, status, latency, registry);
            }
        }
    }

    fn record(
        &mut self,
        route: RouteId,
        minute: Option<u64>,
        status: u16,
        latency_us: Option<u64>,
        registry: &SharedRegistry,
    ) {
        let name = || {
            let r = registry.lock().unwrap_or_else(|p| p.into_inner());
            r.routes.name(route).to_string()
        };
        match minute {
            Some(m) => self.timed.record(route, name, m, status, latency_us),
            None => self.untimed.record(route, name, 0, status, latency_us),
        }
    }

    /// Adds another worker's counts.
    pub fn merge(&mut self, other: &Minutes) {
        self.timed.add(&other.timed);
        self.untimed.add(&other.untimed);
    }

    /// The counts by minute of log time.
    pub fn timed(&self) -> &Tracker {
        &self.timed
    }

    /// The counts of lines no worker had a time for yet, in minute 0: the
    /// engine counts them in its own minute ([`Tracker::add_at`]).
    pub fn untimed(&self) -> &Tracker {
        &self.untimed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::engine::registry::Registry;
    use crate::route::OVERFLOW_ID;

    fn objectives() -> Vec<Objective> {
        let d = |s: &str| match s {
            "100ms" => Ok(std::time::Duration::from_millis(100)),
            _ => Err(format!("{s}?")),
        };
        ["/api/*:99%", "*:90%<100ms"]
            .iter()
            .map(|o| Objective::parse(o, d).unwrap())
            .collect()
    }

    /// A worker's lines count as the live engine counts them one by one:
    /// under their route's final id (a provisional route's once admitted,
    /// the overflow's if it folded), a line without a time in the newest
    /// minute before it, or untimed before any.
    #[test]
    fn a_workers_minutes_are_those_of_its_lines_one_by_one() {
        let registry: SharedRegistry = Arc::new(Mutex::new(Registry::new(2)));
        let (api_x, api_y) = {
            let mut r = registry.lock().unwrap();
            (r.routes.intern(b"/api/x"), r.routes.intern(b"/api/y"))
        };
        let mut m = Minutes::new(&objectives());
        // Before any time: untimed.
        m.line((api_x, false), 500, Some(50_000), None, &registry);
        m.line((api_x, false), 200, Some(150_000), Some(125), &registry);
        // Provisional 0 (becomes /api/y), no time: minute 2.
        m.line((0, true), 503, Some(10_000), None, &registry);
        // Provisional 1 folds into the overflow: not an /api/ route.
        m.line((1, true), 500, Some(200_000), Some(250), &registry);
        m.admit(&[api_y, OVERFLOW_ID], &registry);
        let mut want = Tracker::new(objectives());
        let name = |id| {
            let r = registry.lock().unwrap();
            r.routes.name(id).to_string()
        };
        want.record(api_x, || name(api_x), 2, 200, Some(150_000));
        want.record(api_y, || name(api_y), 2, 503, Some(10_000));
        want.record(OVERFLOW_ID, || name(OVERFLOW_ID), 4, 500, Some(200_000));
        for o in 0..2 {
            assert_eq!(m.timed().minutes(o), want.minutes(o), "objective {o}");
        }
        // A route counts for the first objective whose pattern it matches.
        assert_eq!(m.timed().minutes(0), vec![(2, 1, 2)]);
        assert_eq!(m.timed().minutes(1), vec![(4, 0, 1)]);
        assert_eq!(m.untimed().minutes(0), vec![(0, 0, 1)]);
        assert_eq!(m.untimed().minutes(1), vec![]);
    }
}
