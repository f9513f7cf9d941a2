//! The live engine's snapshot: since-start figures (cached while nothing
//! changes them), windows and series of the closed steps, inputs, the
//! dashboard's figures since its reset, objectives, Apdex and a backlog's
//! progress.

use std::sync::Arc;
use std::time::SystemTime;

use super::engine::{LiveEngine, REPLAY_BEFORE_START, ROUTE_SERIES};
use crate::engine::apdex;
use crate::engine::snapshot::{self, BackfillSnap, InputSnap, RouteHists, Series, Snapshot};
use crate::engine::summary::QUANTILES;
use crate::route::RouteId;

impl LiveEngine {
    /// Builds the snapshot of the current state (all closed steps).
    pub fn snapshot(&mut self) -> Snapshot {
        self.seq += 1;
        let replay = self.replaying();
        let (agg, counted) = self.shard.read();
        let since = match &self.since_cache {
            Some(cached) => cached.clone(),
            None => {
                for r in self.recent.iter_mut().flatten() {
                    r.refresh_since(&mut self.union);
                }
                self.total.refresh_since(&mut self.union);
                let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                let recent = &self.recent;
                let lookup = |id: RouteId| {
                    recent
                        .get(id as usize)
                        .and_then(|r| r.as_ref())
                        .map(|r| r.since())
                };
                let built = snapshot::since_start(
                    agg,
                    &reg,
                    Some(RouteHists {
                        route: &lookup,
                        total: self.total.since(),
                    }),
                );
                drop(reg);
                self.since_cache = Some(built.clone());
                built
            }
        };
        let step = self.cfg.step;
        let (current, origin) = (self.step, 0);
        let n = ROUTE_SERIES.min(self.cfg.series);
        if self.zeros.end != current || self.zeros.requests.len() != n {
            let z = vec![0u64; n];
            self.zeros = Arc::new(Series {
                step,
                end: current,
                requests: z.clone(),
                errors_5xx: z.clone(),
                errors_4xx: z.clone(),
                p50_us: z.clone(),
                p90_us: z.clone(),
                p99_us: z.clone(),
                max_us: z,
            });
        }
        self.news = false;
        let mut reset = self.view.as_mut().map(|v| {
            v.since_reset(
                &since.routes,
                &since.total,
                current,
                step,
                n,
                &self.zeros,
                &mut self.scratch,
            )
        });
        let mut routes = Vec::with_capacity(since.routes.len());
        for (id, mut r) in since.routes {
            if let Some(Some(rec)) = self.recent.get_mut(id as usize) {
                r.windows = rec.windows(current, origin, step, &mut self.scratch);
                r.series = rec.series(current, n, step, &self.zeros);
            }
            routes.push(r);
        }
        let mut total = since.total;
        let since_keys = since.keys;
        total.windows = self.total.windows(current, origin, step, &mut self.scratch);
        let none = Arc::new(Series::default());
        total.series = self.total.series(current, self.cfg.series, step, &none);
        let inputs: Vec<InputSnap> = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut st = counted.get(i).cloned().unwrap_or_default();
                // Live inputs count lines as they go: positions are line indexes.
                for b in &mut st.samples {
                    b.line_no = b.pos.local + 1;
                }
                snapshot::input_snap(
                    i as u16,
                    &s.name,
                    s.format.as_deref(),
                    s.state.clone(),
                    &st,
                    s.rotations,
                )
            })
            .collect();
        if let (Some(r), Some(v)) = (&mut reset, &self.view) {
            r.inputs = v.inputs(&inputs);
        }
        let now = SystemTime::now();
        // In a replay the age of the lines is the age of the log, which says
        // nothing of routetop's delay: no lag, only how far the replay is.
        let ingest_lag = self.lag.filter(|_| !replay);
        Snapshot {
            seq: self.seq,
            taken_at: Some(now),
            uptime: self.started.elapsed(),
            span: agg.span,
            clock: if self.cfg.log_time {
                snapshot::Clock::Log
            } else {
                snapshot::Clock::Arrival
            },
            replay,
            windows: self.cfg.windows.clone(),
            quantiles: QUANTILES,
            buckets_us: self.cfg.engine.bounds_us.clone(),
            inputs,
            total,
            routes,
            keys: since_keys.clone(),
            overflow: since.overflow,
            facets: since.facets,
            lines_per_sec: self.lines_per_sec,
            ingest_lag,
            reset: reset.map(Arc::new),
            slo: match self.slo.is_empty() {
                true => Vec::new(),
                false => self.slo.snapshot(&since_keys, &self.cfg.engine.bounds_us),
            },
            apdex: self.cfg.apdex_t_us.map(|t| match &self.apdex_cache {
                Some((keys, a)) if Arc::ptr_eq(keys, &since_keys) => a.clone(),
                _ => {
                    let a = Arc::new(apdex::evaluate(t, &since_keys, &self.cfg.engine.bounds_us));
                    self.apdex_cache = Some((since_keys.clone(), a.clone()));
                    a
                }
            }),
            backfill: self.filling.as_ref().map(|f| {
                let (bytes, lines) = f.progress.read();
                // Of a compressed stream: its compressed bytes read.
                let bytes = match f.at {
                    Some(_) => bytes,
                    None => f.progress.raw(),
                };
                BackfillSnap {
                    name: f.name.clone(),
                    bytes,
                    total: f.total,
                    lines,
                    elapsed: f.started.elapsed(),
                    earlier: self.backlogs_in_row,
                }
            }),
            backfilled: self.backfilled,
        }
    }

    /// Whether a snapshot now would differ from the last one other than by
    /// the clock: new input since, or recent state that time still changes.
    pub fn has_news(&self) -> bool {
        let n = ROUTE_SERIES.min(self.cfg.series);
        self.news
            || !self.total.is_settled(self.step, self.cfg.series)
            || self
                .recent
                .iter()
                .flatten()
                .any(|r| !r.is_settled(self.step, n))
    }

    /// Whether the lines read are a replay rather than live traffic: windows
    /// follow log time, or the newest line was logged more than
    /// [`REPLAY_BEFORE_START`] before the engine started.
    fn replaying(&self) -> bool {
        let start = self
            .started_wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.cfg.log_time
            || self
                .newest_log_time
                .is_some_and(|t| t < start - REPLAY_BEFORE_START.as_secs() as i64)
    }
}
