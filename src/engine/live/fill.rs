//! A backlog counted on all cores and merged into the live engine (see
//! `engine/backfill.rs` for the pool): started from an
//! `InputEvent::Backlog`, moved on by the engine's loop while no other
//! event is applied, merged whole, its log-time tail counted line by line,
//! and its mark committed at its end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::engine::{Filling, LiveEngine, Work};
use crate::engine::backfill::{Backfilled, CopyHint, Job, Progress};
use crate::engine::event::{FileMark, InputEvent, InputState, SourceId};
use crate::engine::input_stats::LinePos;
use crate::engine::key::Key;
use crate::engine::summary::Row;
use crate::engine::window::{Counts, Recent};

/// How often the engine looks whether a backlog is counted.
const BACKFILL_POLL: Duration = Duration::from_millis(5);

impl LiveEngine {
    /// Starts counting a backlog on the backfill pool's threads. Lines held
    /// for detection go first, as its first lines.
    pub(super) fn start_backfill(
        &mut self,
        source: SourceId,
        (file, path): (Arc<std::fs::File>, std::path::PathBuf),
        (from, to): (u64, u64),
        at: Option<FileMark>,
    ) {
        let Some(pool) = self.backfill.clone() else {
            // The run gives the follower a threshold only with a pool.
            debug_assert!(false, "a backlog without a backfill pool");
            return;
        };
        let (registry, router) = (self.registry.clone(), self.router.clone());
        let engine = self.cfg.engine.clone();
        // A compressed stream cannot be probed for a log-time tail (the
        // follower sends one only with arrival-time windows).
        let log_horizon = self.log_horizon().filter(|_| at.is_some());
        // Burn rates by log minute: the workers count them.
        let slo_minutes = match log_horizon {
            Some(_) => self.slo.objectives().to_vec(),
            None => Vec::new(),
        };
        let s = self.source(source);
        s.unmarked = false;
        s.pending_since = None;
        let head = std::mem::take(&mut s.pending);
        // The held lines are counted with the backlog: their marks are
        // committed when it is merged, not before (a state saved meanwhile
        // would skip them).
        let head_marks: Vec<FileMark> = std::mem::take(&mut s.pending_marks)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        let progress = Arc::new(Progress::default());
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            name: s.name.clone(),
            file,
            copy: at.as_ref().map(|at| CopyHint {
                path,
                file: at.file,
                end: at.end,
                fp: at.fp.clone(),
            }),
            compressed: at.is_none(),
            from,
            to,
            head,
            format: s.format.clone(),
            registry,
            router,
            engine,
            progress: progress.clone(),
            cancel: cancel.clone(),
            log_horizon,
            slo_minutes,
        };
        let total = to.saturating_sub(from) + job.head.len() as u64;
        let name = job.name.clone();
        // If no thread can be had, counted here, at once.
        let job = Arc::new(std::sync::Mutex::new(Some(job)));
        let (p, j) = (pool.clone(), job.clone());
        let spawned = std::thread::Builder::new()
            .name("routetop-backfill".into())
            .spawn(move || match lock_job(&j).take() {
                Some(job) => p.run(job),
                None => Backfilled::default(),
            });
        let thread = match spawned {
            Ok(t) => t,
            Err(_) => {
                let done = lock_job(&job).take().map(|job| pool.run(job));
                let mut filled = done.unwrap_or_default();
                // No tail: it is read on a thread the pool could not have.
                filled.tail = None;
                self.merge_backfill(source, &filled);
                for m in head_marks {
                    self.source(source).commit(m);
                }
                self.mark_backlog(source, at);
                self.backlogs_in_row += 1;
                return;
            }
        };
        self.filling = Some(Filling {
            source,
            at,
            name,
            total,
            started: Instant::now(),
            progress,
            cancel,
            head_marks,
            work: Work::Pool(thread),
        });
    }

    /// Log-time windows and series are filled from each line's time: a
    /// backlog's lines within their reach of its last line go the
    /// line-by-line way. (Burn rates by log minute need not: the workers
    /// count each objective's requests per minute, `minutes.rs`.) `None`
    /// with arrival time.
    fn log_horizon(&self) -> Option<Duration> {
        self.cfg.log_time.then(|| {
            let series = self.cfg.step * self.cfg.series as u32;
            let widest = self.cfg.windows.iter().max().copied().unwrap_or_default();
            series.max(widest)
        })
    }

    /// Whether a backlog is being counted: no event may be applied before
    /// it is done ([`LiveEngine::pump_backfill`]).
    pub fn backfilling(&self) -> bool {
        self.filling.is_some()
    }

    /// Moves the backlog being counted on, waiting at most `wait`: merges
    /// the pool's counts once it is done, then counts the log-time tail a
    /// block at a time, and commits the backlog's mark at its end.
    pub fn pump_backfill(&mut self, wait: Duration) {
        let Some(mut f) = self.filling.take() else {
            return;
        };
        self.news = true;
        match f.work {
            Work::Pool(thread) if !thread.is_finished() => {
                std::thread::sleep(wait.min(BACKFILL_POLL));
                f.work = Work::Pool(thread);
            }
            Work::Pool(thread) => {
                // A panic in the pool is a bug: surface it rather than hide
                // counts (as `--once` does).
                let mut filled = thread.join().expect("backfill panicked");
                self.merge_backfill(f.source, &filled);
                for m in std::mem::take(&mut f.head_marks) {
                    self.source(f.source).commit(m);
                }
                match (filled.tail.take(), filled.split.take()) {
                    (Some(rx), Some((end, fp))) => {
                        // The lines counted so far end there.
                        if let Some(file) = f.at.as_ref().map(|a| a.file) {
                            self.mark(f.source, FileMark { file, end, fp });
                        }
                        f.work = Work::Tail(rx);
                    }
                    _ => {
                        self.mark_backlog(f.source, f.at);
                        self.backlogs_in_row += 1;
                        return;
                    }
                }
            }
            Work::Tail(rx) => match rx.recv_timeout(wait) {
                Ok(block) => {
                    self.lines(f.source, block.lines);
                    if let Some(file) = f.at.as_ref().map(|a| a.file) {
                        let (end, fp) = (block.end, block.fp);
                        self.mark(f.source, FileMark { file, end, fp });
                    }
                    f.work = Work::Tail(rx);
                }
                Err(RecvTimeoutError::Timeout) => f.work = Work::Tail(rx),
                Err(RecvTimeoutError::Disconnected) => {
                    self.mark_backlog(f.source, f.at);
                    self.backlogs_in_row += 1;
                    return;
                }
            },
        }
        self.filling = Some(f);
    }

    /// A backlog is done: applies the events queued behind it (for at most
    /// `within`) before anything is published, so that a backlog queued
    /// next (a glob's other full files, sent together) starts at once and
    /// the views go on showing progress rather than the table for a moment
    /// between two backlogs. Returns false if the channel closed.
    pub fn after_backfill(&mut self, events: &Receiver<InputEvent>, within: Duration) -> bool {
        let open = self.drain(events, Instant::now() + within);
        if !self.backfilling() {
            self.backlogs_in_row = 0;
        }
        open
    }

    /// Waits for the backlog being counted, if any, and merges it.
    pub fn finish_backfill(&mut self) {
        while self.filling.is_some() {
            self.pump_backfill(Duration::from_millis(50));
        }
    }

    /// Stops the backlog being counted, if any, and drops what is not
    /// counted yet: the run is stopping. Its source counts nothing more,
    /// so its counts and marks (`--state`) agree: those of before the
    /// backlog, or in its log-time tail, of the last block counted (each
    /// commits its mark).
    pub fn cancel_backfill(&mut self) {
        if let Some(f) = self.filling.take() {
            f.cancel.store(true, Ordering::Relaxed);
            if let Work::Pool(thread) = f.work {
                let _ = thread.join();
            }
            self.abandoned.push(f.source);
        }
    }

    /// Adds a counted backlog of `source`: counters, line accounting, and
    /// each key's requests to its route's recent state. With arrival time
    /// they arrive now, all at once: in the current step. With log time
    /// they are older than the windows and series reach (the lines within
    /// reach are the tail, counted one by one after): only in since-start
    /// figures, the log clock starting from their first time, and in the
    /// objectives' minutes the workers counted (`minutes.rs`).
    fn merge_backfill(&mut self, source: SourceId, r: &Backfilled) {
        let s = self.source(source);
        // Detected, or changed by a W3C header.
        if s.format.is_none() || r.fields.is_some() {
            s.format = r.format.clone().or(s.format.take());
        }
        if r.fields.is_some() {
            s.fields = r.fields.clone();
        }
        if s.format.is_some() && !s.pending.is_empty() {
            // Cannot be: the held lines went to the pool. Kept counted.
            debug_assert!(false, "lines held past a backlog");
        }
        if let Some(e) = &r.error {
            s.state = InputState::Error(format!("backfill: {e}"));
        }
        let base = s.line_no;
        let lines = r.input.lines;
        s.line_no += lines;
        self.lines_this_step += lines;
        self.backfilled += lines;
        let mut input = r.input.clone();
        for b in &mut input.samples {
            b.pos = LinePos {
                seq: 0,
                local: base + b.line_no.saturating_sub(1),
            };
        }
        let minute = self.minute(None);
        let bounds = self.cfg.engine.bounds_us.clone();
        let (agg, inputs) = self.shard.parts_mut();
        let i = source as usize;
        if inputs.len() <= i {
            inputs.resize_with(i + 1, Default::default);
        }
        inputs[i].merge(&input);
        let mut newest: Option<i64> = None;
        for a in &r.aggs {
            for e in &a.entries {
                agg.add(Key { source, ..e.key }, &e.stats.without_hists());
            }
            if let Some((lo, hi)) = a.span {
                agg.note_time(lo);
                agg.note_time(hi);
                newest = Some(newest.map_or(hi, |n| n.max(hi)));
            }
            agg.keys_folded += a.keys_folded;
            agg.facets.merge_rekeyed(&a.facets, |r| r);
        }
        let log_time = self.cfg.log_time;
        if log_time && let Some(a) = r.aggs.iter().filter_map(|a| a.span).map(|s| s.0).min() {
            self.log_origin.get_or_insert(a);
        }
        let (ws, series) = (&self.window_steps, self.cfg.series);
        for a in &r.aggs {
            for e in &a.entries {
                let (k, st) = (e.key, &e.stats);
                let mut c = Counts {
                    requests: st.count,
                    bytes: st.bytes,
                    timed: st.latency.timed,
                    lat_sum_us: st.latency.sum_us,
                    max_us: st.latency.max_us,
                    ..Counts::default()
                };
                c.classes[Row::class_of(k.status)] = st.count;
                let route = k.route as usize;
                if self.recent.len() <= route {
                    self.recent.resize_with(route + 1, || None);
                }
                let recent = self.recent[route].get_or_insert_with(|| Recent::new(ws, series));
                match log_time {
                    true => {
                        recent.record_since(&c, &st.latency.hist);
                        self.total.record_since(&c, &st.latency.hist);
                    }
                    false => {
                        recent.record_bulk(&c, &st.latency.hist);
                        self.total.record_bulk(&c, &st.latency.hist);
                    }
                }
                if let Some(v) = &mut self.view {
                    v.record_bulk(k.route, &c, &st.latency.hist, a.span);
                }
                // By log minute, the workers counted them (`minutes`).
                if !self.slo.is_empty() && r.minutes.is_none() {
                    let reg = &self.registry;
                    let name = || {
                        let r = reg.lock().unwrap_or_else(|p| p.into_inner());
                        r.routes.name(k.route).to_string()
                    };
                    let buckets = &st.latency.buckets;
                    let at_most = |t: u64| {
                        let upto = bounds.partition_point(|&b| b <= t);
                        buckets.iter().take(upto).sum::<u64>()
                    };
                    let counts = (st.count, st.latency.timed);
                    // By log minute: older than the longest burn window.
                    let minute = match (log_time, a.span) {
                        (true, Some((_, t))) => t.max(0) as u64 / 60,
                        _ => minute,
                    };
                    self.slo
                        .record_many(k.route, name, minute, k.status, counts, at_most);
                }
            }
        }
        if let Some(m) = &r.minutes {
            // Lines before any with a time: in the minute the engine is at,
            // as one by one they would have been.
            self.slo.add(m.timed());
            self.slo.add_at(m.untimed(), minute);
        }
        if let Some(t) = newest {
            self.counted_newest(t);
        }
        self.since_cache = None;
        self.news = true;
    }

    /// A backlog's end, if it has one (a compressed stream has none).
    fn mark_backlog(&mut self, source: SourceId, at: Option<FileMark>) {
        if let Some(at) = at {
            self.mark(source, at);
        }
    }
}

fn lock_job(job: &std::sync::Mutex<Option<Job>>) -> std::sync::MutexGuard<'_, Option<Job>> {
    job.lock().unwrap_or_else(|p| p.into_inner())
}
