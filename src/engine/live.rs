//! The live engine: input events in, snapshots out.
//!
//! Runs on its own thread ([`run`]), fed by the followers through a bounded
//! channel of [`InputEvent`]s. Lines are parsed, routed and counted as they
//! arrive; at a fixed cadence (one *step*, ≤ 1 s) the engine closes the step
//! (folding it into windows, series and since-start histograms) and
//! publishes an immutable [`Snapshot`] on a watch channel. Publishing
//! replaces the previous value and never waits: a slow or absent reader
//! costs nothing, and ingestion never waits on a view.
//!
//! Formats of `auto` inputs are detected from their first lines by the
//! policy `--once` follows too (`format/detect.rs`): lines are held until
//! they can decide, no more will come, or a step has passed, then parsed in
//! order, so no line is counted before its format is known and none is
//! lost while waiting; lines no format fits are counted as unparsed and the
//! next ones are tried.
//!
//! A backlog (`InputEvent::Backlog`: a file's range of whole lines, sent
//! when a file holds `backfill_min` bytes or more unread) is counted on all
//! cores by the run's pool (`backfill.rs`); the engine takes no other event
//! until it has merged it ([`LiveEngine::pump_backfill`]), and publishes
//! its progress meanwhile. With arrival time its requests arrive at the
//! merge, all in that step; with log time its last lines, those within the
//! windows' reach, come back to be counted one by one.
//!
//! Time: with arrival time (the default) a step is a step of the clock and
//! since-start rates are over the time since counting began; with log time
//! (`--window-by log`) a line from a later log second closes the steps
//! before it and since-start rates are over the log's span, as `--once`
//! computes them. Windows cover the same time for every route (see
//! `window.rs`). *Lag* is the write-to-read delay of live traffic; a
//! *replay* — log time, or lines logged more than [`REPLAY_BEFORE_START`]
//! before routetop started — has no lag, only how far into the log it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use hdrhistogram::Histogram;

use super::apdex::{self, ApdexSnap};
use super::backfill::{Backfill, Backfilled, CopyHint, Job, Progress, TailBlock};
use super::epoch::ViewEpoch;
use super::event::{FileMark, InputEvent, InputState, SourceId};
use super::hist::{Hist, new_hdr};
use super::input_stats::LinePos;
use super::key::Key;
use super::options::EngineConfig;
use super::persist::{
    STATE_VERSION, Saved, SavedKey, SavedLatency, SavedMark, SavedSource, restore_hist,
    restore_input, restore_stats, save_hist, save_input, save_timer,
};
use super::registry::SharedRegistry;
use super::shard::LiveShard;
use super::slo::{Objective, Tracker};
use super::snapshot::{self, BackfillSnap, InputSnap, KeySnap, RouteHists, Series, Snapshot};
use super::summary::{QUANTILES, Row};
use super::window::{Counts, Recent};
use crate::format::detect::{self, NO_FORMAT, Verdict};
use crate::format::prefix::Strip;
use crate::format::scan::lines;
use crate::format::{FieldOverride, Format, Header};
use crate::route::{OVERFLOW_ID, RouteId, Router};

/// How often the engine looks whether a backlog is counted.
const BACKFILL_POLL: Duration = Duration::from_millis(5);

/// Steps of per-route series put in each snapshot (the total gets all).
pub const ROUTE_SERIES: usize = 120;

/// Lines logged this long before routetop started are a replay, not live
/// traffic: routetop could not have read them sooner, so their age is no
/// delay of its own. The margin keeps live lines that are stamped a little
/// early (buffered writes, servers that stamp a request when it began) live.
pub const REPLAY_BEFORE_START: Duration = Duration::from_secs(60);

/// Live engine settings.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    pub engine: EngineConfig,
    /// Window lengths, ascending (default 1 min, 5 min).
    pub windows: Vec<Duration>,
    /// Step of windows and series (default 1 s).
    pub step: Duration,
    /// Snapshot cadence (default 200 ms): views see new counts this often;
    /// windows and series advance once per step.
    pub publish: Duration,
    /// Steps of series kept (default 300).
    pub series: usize,
    /// The format of each configured input (`InputEvent::Added::input`),
    /// compiled once by the run; `None` for `auto`.
    pub formats: Vec<Option<Arc<Format>>>,
    /// JSON field overrides, for detecting `auto` inputs.
    pub json: Vec<FieldOverride>,
    /// `--strip-prefix`, for `auto` inputs' detection (given formats
    /// strip it themselves).
    pub strip: Option<Strip>,
    /// Assign requests to steps by their log timestamps instead of by
    /// arrival (useful when replaying a file with `--from-start`).
    pub log_time: bool,
    /// Service-level objectives (`--slo`): burn rates in snapshots.
    pub slo: Vec<Objective>,
    /// Apdex T, µs (`--apdex`): since-start Apdex in snapshots.
    pub apdex_t_us: Option<u64>,
}

/// Commands to the engine.
#[derive(Clone)]
pub enum Control {
    /// The dashboard's `r`: start figures since now for the dashboard
    /// (`epoch.rs`); no counter is forgotten.
    Reset,
    /// New route rules (SIGHUP re-read the config); lines read from now on
    /// are routed by them.
    Router(Arc<Router>),
    /// The formats of the configured inputs after a reload changed them
    /// (indices never reused: removed inputs keep theirs), for sources
    /// added from now on. The sender is told once they apply, before the
    /// follower is given the new inputs.
    Formats(Vec<Option<Arc<Format>>>, std::sync::mpsc::Sender<()>),
}

struct Source {
    name: String,
    /// Known from the start, or once detected.
    format: Option<Arc<Format>>,
    state: InputState,
    rotations: u64,
    /// Lines (whole, `\n`-terminated) held until the format is detected.
    pending: Vec<u8>,
    pending_since: Option<Instant>,
    /// Lines counted so far, for error line numbers.
    line_no: u64,
    /// How far each file of this source was counted, newest last (at most
    /// [`MARKS_KEPT`]): where a restart resumes (`--state`).
    marks: Vec<FileMark>,
    /// Marks of lines held in `pending`: (length of `pending` when the
    /// mark came, the mark).
    pending_marks: Vec<(usize, FileMark)>,
    /// An oversized line was counted and its `Mark` has not come yet.
    unmarked: bool,
    /// W3C: the `#Fields:` line in force, saved so that a restart reads
    /// the lines after its offset by it (they carry no header of their own).
    fields: Option<Vec<u8>>,
    /// Restored from saved state, applied when the source is added again:
    /// the format's name and its `#Fields:` line.
    resume_fields: Option<(String, Vec<u8>)>,
    /// Restored from saved state: an `auto` format of variants, by name
    /// (`persist::SavedSource::format`).
    resume_format: Option<(String, Vec<String>)>,
}

/// Files of one source whose counted position is kept: the current one and
/// the rotated ones still drained.
const MARKS_KEPT: usize = 16;

impl Source {
    /// Read from files (which say where their lines end), not stdin.
    fn has_file(&self) -> bool {
        !self.marks.is_empty() || !self.pending_marks.is_empty()
    }

    /// The lines before `mark` are counted.
    fn commit(&mut self, mark: FileMark) {
        self.marks.retain(|m| m.file != mark.file);
        if self.marks.len() >= MARKS_KEPT {
            self.marks.remove(0);
        }
        self.marks.push(mark);
    }

    /// The first `used` bytes held in `pending`, `data`, were counted (the
    /// caller took them out of `pending`): the marks they reach are
    /// committed, one that falls inside them is committed where they end.
    fn consumed(&mut self, used: usize, data: &[u8]) {
        let mut from = 0;
        let marks = std::mem::take(&mut self.pending_marks);
        for (len, mark) in marks {
            if len <= used {
                self.commit(mark);
                from = len;
            } else if from < used {
                // The lines up to `used` are one stretch of the mark's
                // file, ending `len - used` bytes before the mark.
                let part = &data[from..used];
                let fp = part[part.len().saturating_sub(super::event::MARK_FP_LEN)..].to_vec();
                self.commit(FileMark {
                    file: mark.file,
                    end: mark.end - (len - used) as u64,
                    fp,
                });
                from = used;
                self.pending_marks.push((len - used, mark));
            } else {
                self.pending_marks.push((len - used, mark));
            }
        }
    }
}

pub struct LiveEngine {
    cfg: LiveConfig,
    registry: SharedRegistry,
    shard: LiveShard,
    sources: Vec<Source>,
    /// Recent-time state per route id.
    recent: Vec<Option<Recent>>,
    total: Recent,
    window_steps: Vec<u64>,
    step: u64,
    /// When counting began: since-start rates of arrival time are over the
    /// time since (a reset is the dashboard's, `epoch.rs`: it restarts
    /// nothing here). Windows fill from step 0.
    started: Instant,
    /// When the engine started, for telling a replay from live traffic.
    started_wall: SystemTime,
    /// Write-to-read delay of the newest line of the latest batch, as
    /// measured when it was counted.
    lag: Option<Duration>,
    /// Log second of step 0 (log-time windows).
    log_origin: Option<i64>,
    /// For subtracting small lists from HDR histograms (window expiry).
    scratch: Histogram<u32>,
    lines_this_step: u64,
    lines_per_sec: f64,
    /// Something arrived since the last snapshot (lines, a state change).
    news: bool,
    /// The since-start part of the last snapshot, valid until a line is
    /// counted, a step with traffic closes or the counts are reset: an idle
    /// engine reuses it instead of walking every key again.
    since_cache: Option<snapshot::SinceStart>,
    /// The Apdex of the keys it was computed from (the same `Arc` while no
    /// line arrives).
    apdex_cache: Option<(Arc<[KeySnap]>, Arc<ApdexSnap>)>,
    /// Scratch for [`Recent::refresh_since`].
    union: Hist,
    /// The all-zero series of the current step, shared by quiet routes.
    zeros: Arc<Series>,
    newest_log_time: Option<i64>,
    seq: u64,
    /// Since the dashboard's last reset, if any (`epoch.rs`).
    view: Option<ViewEpoch>,
    /// Objectives' requests per minute, for burn rates (`slo.rs`).
    slo: Tracker,
    /// The route rules in force, for backfills.
    router: Arc<Router>,
    /// Counts backlogs on all cores (`backfill.rs`), when the run gave one.
    backfill: Option<Arc<dyn Backfill>>,
    /// The backlog being counted.
    filling: Option<Filling>,
    /// Lines counted by backfills (see [`Snapshot::backfilled`]).
    backfilled: u64,
    /// Backlogs counted one after another since views last had no
    /// progress to show ([`LiveEngine::after_backfill`]).
    backlogs_in_row: u32,
    /// Sources whose backlog was dropped as the run stopped: their later
    /// lines are not counted either (a saved state stays exact).
    abandoned: Vec<SourceId>,
}

/// A backlog being counted (see `backfill.rs`).
struct Filling {
    source: SourceId,
    /// Where its lines end; `None` for a compressed file's stream.
    at: Option<FileMark>,
    name: String,
    total: u64,
    started: Instant,
    progress: Arc<Progress>,
    cancel: Arc<AtomicBool>,
    /// Marks of the lines held for detection that went first in the
    /// backlog: committed with it.
    head_marks: Vec<FileMark>,
    work: Work,
}

/// Where a backlog is.
enum Work {
    /// Being counted by the pool.
    Pool(JoinHandle<Backfilled>),
    /// Counted but for its last lines (log-time windows), which come
    /// here in blocks to be counted one by one.
    Tail(Receiver<TailBlock>),
}

impl LiveEngine {
    pub fn new(cfg: LiveConfig, router: Arc<Router>) -> LiveEngine {
        let mut engine_cfg = cfg.engine.clone();
        engine_cfg.key_hists = false;
        let registry = engine_cfg.registry();
        let step_ns = cfg.step.as_nanos().max(1);
        let window_steps: Vec<u64> = cfg
            .windows
            .iter()
            .map(|w| (w.as_nanos() / step_ns).max(1) as u64)
            .collect();
        LiveEngine {
            shard: LiveShard::new(&engine_cfg, registry.clone(), router.clone()),
            total: Recent::new(&window_steps, cfg.series),
            recent: Vec::new(),
            window_steps,
            registry,
            sources: Vec::new(),
            step: 0,
            started: Instant::now(),
            started_wall: SystemTime::now(),
            lag: None,
            log_origin: None,
            scratch: new_hdr(),
            lines_this_step: 0,
            lines_per_sec: 0.0,
            news: false,
            since_cache: None,
            apdex_cache: None,
            union: Hist::default(),
            zeros: Arc::new(Series::default()),
            newest_log_time: None,
            seq: 0,
            view: None,
            slo: Tracker::new(cfg.slo.clone()),
            router: router.clone(),
            backfill: None,
            filling: None,
            backfilled: 0,
            backlogs_in_row: 0,
            abandoned: Vec::new(),
            cfg,
        }
    }

    /// Counts backlogs ([`InputEvent::Backlog`]) with `pool`. Without one,
    /// the follower must not send them.
    pub fn set_backfill(&mut self, pool: Arc<dyn Backfill>) {
        self.backfill = Some(pool);
    }

    fn source(&mut self, id: SourceId) -> &mut Source {
        let i = id as usize;
        while self.sources.len() <= i {
            let n = self.sources.len();
            self.sources.push(Source {
                name: format!("input {n}"),
                format: None,
                state: InputState::Following,
                rotations: 0,
                pending: Vec::new(),
                pending_since: None,
                line_no: 0,
                marks: Vec::new(),
                pending_marks: Vec::new(),
                unmarked: false,
                fields: None,
                resume_fields: None,
                resume_format: None,
            });
        }
        &mut self.sources[i]
    }

    /// Applies one input event. A backlog being counted is merged first:
    /// no event after it is applied before it.
    pub fn handle(&mut self, ev: InputEvent) {
        self.finish_backfill();
        self.news = true;
        if let Some(src) = data_source(&ev)
            && self.abandoned.contains(&src)
        {
            return;
        }
        match ev {
            InputEvent::Added {
                source,
                name,
                input,
            } => {
                let mut format = self.cfg.formats.get(input).cloned().flatten();
                let json = self.cfg.json.clone();
                let strip = self.cfg.strip.clone();
                let s = self.source(source);
                s.name = name;
                // Resumed (`--state`) in the middle of a W3C log: its lines
                // read by the header in force when the state was saved.
                if let Some((base, fields)) = s.resume_fields.take() {
                    let base = format.clone().or_else(|| {
                        let spec = crate::format::FormatSpec::parse(&base).ok()?;
                        Format::compile(&spec, &json).ok().map(Arc::new)
                    });
                    if let Some(Header::Fields(next)) = base.and_then(|b| b.header(&fields)) {
                        format = Some(Arc::new(next));
                        s.fields = Some(fields);
                    }
                }
                // Resumed with a messy file's variants: the same ones, so
                // the saved counts by variant stay theirs.
                if let Some((name, variants)) = s.resume_format.take()
                    && format.is_none()
                {
                    format =
                        detect::rebuild_variants(&name, &variants, strip.as_ref()).map(Arc::new);
                }
                s.format = format;
            }
            InputEvent::Lines { source, data } => {
                // From a file, lines come without their position only when
                // an oversized line follows them: see `Oversized`.
                let s = self.source(source);
                s.unmarked = s.has_file();
                self.lines(source, data)
            }
            InputEvent::FileLines { source, data, at } => {
                self.lines(source, data);
                self.mark(source, at);
            }
            InputEvent::Oversized { source, head, len } => {
                let s = self.source(source);
                // A file's position comes with a later event (`Mark`, or
                // `FileLines`): until then no state is saved (`run`).
                s.unmarked = s.has_file();
                let pos = LinePos {
                    seq: 0,
                    local: s.line_no,
                };
                s.line_no += 1;
                self.lines_this_step += 1;
                self.shard.oversized(source, &head, len, pos);
            }
            InputEvent::State { source, state } => {
                let done = state.ended();
                self.source(source).state = state;
                if done {
                    // No more lines will come: detect from what there is.
                    self.detect_pending(source, true);
                }
            }
            InputEvent::Rotated { source } => self.source(source).rotations += 1,
            InputEvent::Mark { source, at } => self.mark(source, at),
            InputEvent::Backlog {
                source,
                file,
                path,
                from,
                to,
                at,
                compressed,
            } => {
                let at = (!compressed).then_some(at);
                self.start_backfill(source, (file, path), (from, to), at)
            }
            InputEvent::Preamble { source, data } => self.preamble(source, &data),
        }
    }

    /// A file followed from its end was written under these header lines
    /// (`input/preamble.rs`): its format (given, or detected from them
    /// when `auto`) takes the columns of the last `#Fields:` among them,
    /// so the lines after parse. None of them is counted. Lines of any
    /// other format leave the source as it was.
    fn preamble(&mut self, source: SourceId, data: &[u8]) {
        let (json, strip) = (self.cfg.json.clone(), self.cfg.strip.clone());
        let s = self.source(source);
        let base = match &s.format {
            Some(f) => f.clone(),
            None => {
                let head: Vec<&[u8]> = lines(data).collect();
                match detect::detect_with(&head, &json, strip.as_ref()) {
                    Some(d) => Arc::new(d.format),
                    None => return,
                }
            }
        };
        if !base.has_headers() {
            return;
        }
        let mut format = base;
        let mut fields = None;
        for line in lines(data) {
            if let Some(Header::Fields(next)) = format.header(line) {
                format = Arc::new(next);
                fields = Some(line.to_vec());
            }
        }
        if fields.is_some() {
            s.format = Some(format);
            s.fields = fields;
        }
    }

    /// Starts counting a backlog on the backfill pool's threads. Lines held
    /// for detection go first, as its first lines.
    fn start_backfill(
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
        let until = Instant::now() + within;
        let mut open = true;
        while !self.backfilling() && Instant::now() < until {
            match events.try_recv() {
                Ok(ev) => self.handle(ev),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
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
            self.newest_log_time = Some(self.newest_log_time.map_or(t, |n| n.max(t)));
            let logged = SystemTime::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
            self.lag = Some(
                SystemTime::now()
                    .duration_since(logged)
                    .unwrap_or(Duration::ZERO),
            );
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

    /// Where the lines of `source` received so far end in their file.
    fn mark(&mut self, source: SourceId, at: FileMark) {
        let s = self.source(source);
        s.unmarked = false;
        if s.pending.is_empty() {
            s.commit(at);
        } else {
            let len = s.pending.len();
            s.pending_marks.push((len, at));
        }
    }

    /// A file source counted a line whose position has not come yet: a
    /// state saved now would not agree with its counts.
    pub fn unmarked(&self) -> bool {
        self.sources.iter().any(|s| s.unmarked)
    }

    fn lines(&mut self, source: SourceId, data: Vec<u8>) {
        let s = self.source(source);
        if s.format.is_some() {
            self.ingest(source, &data);
            return;
        }
        s.pending.extend_from_slice(&data);
        s.pending_since.get_or_insert_with(Instant::now);
        if detect::ready(&s.pending) {
            self.detect_pending(source, false);
        }
    }

    /// Detects the format of `source` from its held lines and parses them.
    /// With `last`, no more lines will come: lines that fit no format are
    /// counted as unparsed rather than held further. Lines no format fits
    /// are counted as unparsed and the lines after them tried again, until
    /// a format is found or the rest must wait.
    fn detect_pending(&mut self, source: SourceId, last: bool) {
        let json = self.cfg.json.clone();
        let strip = self.cfg.strip.clone();
        loop {
            let s = self.source(source);
            if s.format.is_some() || s.pending.is_empty() {
                return;
            }
            match detect::detect_start_with(&s.pending, &json, last, strip.as_ref()) {
                Verdict::Wait => return,
                Verdict::Found(d) => {
                    s.format = Some(Arc::new(d.format));
                    s.pending_since = None;
                    let data = std::mem::take(&mut s.pending);
                    s.consumed(data.len(), &data);
                    self.ingest(source, &data);
                    return;
                }
                Verdict::Unknown { used, .. } => {
                    let rest = s.pending.split_off(used);
                    let data = std::mem::replace(&mut s.pending, rest);
                    s.consumed(data.len(), &data);
                    s.pending_since = (!s.pending.is_empty()).then(Instant::now);
                    self.unparsed(source, &data);
                    // The rest decides on its own, or waits for more.
                    let s = self.source(source);
                    if !(last || detect::ready(&s.pending)) {
                        return;
                    }
                }
            }
        }
    }

    /// Counts the lines of `data` as unparsed: no format fits them.
    fn unparsed(&mut self, source: SourceId, data: &[u8]) {
        let mut line_no = self.sources[source as usize].line_no;
        for line in lines(data) {
            let pos = LinePos {
                seq: 0,
                local: line_no,
            };
            self.shard.unparsed(source, line, pos, || NO_FORMAT.into());
            line_no += 1;
        }
        let s = &mut self.sources[source as usize];
        self.lines_this_step += line_no - s.line_no;
        s.line_no = line_no;
    }

    fn ingest(&mut self, source: SourceId, data: &[u8]) {
        let Some(mut format) = self.sources[source as usize].format.clone() else {
            return;
        };
        // W3C: a `#Fields:` line changes how the lines after it parse, here
        // and in the lines of later batches (the source keeps it).
        let headed = format.has_headers();
        let mut line_no = self.sources[source as usize].line_no;
        let mut newest: Option<i64> = None;
        for line in lines(data) {
            let pos = LinePos {
                seq: 0,
                local: line_no,
            };
            line_no += 1;
            if headed && let Some(h) = format.header(line) {
                self.shard.header(source);
                if let Header::Fields(next) = h {
                    format = Arc::new(next);
                    let s = &mut self.sources[source as usize];
                    s.format = Some(format.clone());
                    s.fields = Some(line.to_vec());
                }
                continue;
            }
            if let Some(ing) = self.shard.line(source, &format, line, pos) {
                if let Some(t) = ing.time {
                    if self.cfg.log_time {
                        self.advance_log_time(t);
                    }
                    newest = Some(newest.map_or(t, |n| n.max(t)));
                }
                self.since_cache = None;
                let route = ing.key.route as usize;
                if self.recent.len() <= route {
                    self.recent.resize_with(route + 1, || None);
                }
                let (ws, series) = (&self.window_steps, self.cfg.series);
                self.recent[route]
                    .get_or_insert_with(|| Recent::new(ws, series))
                    .record(ing.status, ing.bytes, ing.latency_us);
                self.total.record(ing.status, ing.bytes, ing.latency_us);
                if !self.slo.is_empty() {
                    let minute = self.minute(ing.time);
                    let reg = &self.registry;
                    let name = || {
                        let r = reg.lock().unwrap_or_else(|p| p.into_inner());
                        r.routes.name(ing.key.route).to_string()
                    };
                    self.slo
                        .record(ing.key.route, name, minute, ing.status, ing.latency_us);
                }
                if let Some(v) = &mut self.view {
                    v.record(
                        ing.key.route,
                        ing.status,
                        ing.bytes,
                        ing.latency_us,
                        ing.time,
                    );
                }
            }
        }
        self.lines_this_step += line_no - self.sources[source as usize].line_no;
        self.sources[source as usize].line_no = line_no;
        if let Some(t) = newest {
            self.newest_log_time = Some(self.newest_log_time.map_or(t, |n| n.max(t)));
            // Measured now, as the batch is counted: an idle log's lag stays
            // what it was rather than grow with the clock.
            let logged = SystemTime::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
            self.lag = Some(
                SystemTime::now()
                    .duration_since(logged)
                    .unwrap_or(Duration::ZERO),
            );
        }
    }

    /// The minute a request counts in for burn rates: of its log time under
    /// `--window-by log`, else of the steps since counting began.
    fn minute(&self, time: Option<i64>) -> u64 {
        match (self.cfg.log_time, time.or(self.newest_log_time)) {
            (true, Some(t)) => t.max(0) as u64 / 60,
            // The step count, not the clock: no clock read per line.
            _ => self.step * self.cfg.step.as_millis() as u64 / 60_000,
        }
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

    /// Log-time windows: a line from a later second closes the steps before.
    fn advance_log_time(&mut self, t: i64) {
        let origin = *self.log_origin.get_or_insert(t);
        let secs = self.cfg.step.as_secs().max(1) as i64;
        let step = ((t - origin).max(0) / secs) as u64;
        if step > self.step {
            self.close_steps(step);
        }
    }

    /// Closes the current step and moves to `next`.
    fn close_steps(&mut self, next: u64) {
        let step = self.step;
        // The step goes into since-start histograms, windows and series
        // (since-start quantiles read the open step too: `refresh_since`).
        for r in self.recent.iter_mut().flatten() {
            if r.is_dirty() {
                r.close_step(step, &mut self.scratch);
            }
        }
        self.total.close_step(step, &mut self.scratch);
        if let Some(v) = &mut self.view {
            v.close_step(step, &mut self.scratch);
        }
        self.step = next.max(step + 1);
    }

    /// Ends a step of wall-clock time: held lines whose wait is over are
    /// detected, the step is closed (unless windows follow log time) and the
    /// ingest rate is updated.
    pub fn tick(&mut self) {
        let now = Instant::now();
        let waiting: Vec<SourceId> = self
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.format.is_none() && s.pending_since.is_some_and(|t| now - t >= self.cfg.step)
            })
            .map(|(i, _)| i as SourceId)
            .collect();
        for src in waiting {
            self.detect_pending(src, false);
        }
        if !self.cfg.log_time {
            self.close_steps(self.step + 1);
            // Burn-rate windows move on with the clock, traffic or not.
            let m = self.minute(None);
            self.slo.advance(m);
        }
        self.lines_per_sec = self.lines_this_step as f64 / self.cfg.step.as_secs_f64();
        self.lines_this_step = 0;
    }

    pub fn set_router(&mut self, router: Arc<Router>) {
        self.router = router.clone();
        self.shard.set_router(router);
    }

    /// The dashboard's reset: from now on snapshots also carry the figures
    /// since now ([`Snapshot::reset`]); every counter goes on counting.
    pub fn reset(&mut self) {
        self.view = None;
        let at = self.snapshot();
        self.view = Some(ViewEpoch::new(
            &at,
            self.step,
            &self.window_steps,
            self.cfg.series,
        ));
        self.news = true;
    }

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

    /// The state to save (`--state`): every since-start count and, per
    /// source, how far each file was counted — as of now, between two
    /// events, so the two agree.
    pub fn save(&mut self) -> Saved {
        let (agg, inputs) = self.shard.read();
        let keys = agg
            .entries
            .iter()
            .map(|e| SavedKey {
                source: e.key.source,
                route: e.key.route,
                method: e.key.method,
                status: e.key.status,
                count: e.stats.count,
                bytes: e.stats.bytes,
                latency: save_timer(&e.stats.latency),
                upstream: e.stats.upstream.as_deref().map(save_timer),
            })
            .collect();
        let (span, keys_folded) = (agg.span, agg.keys_folded);
        let facets = super::persist::save_facets(&agg.facets);
        let inputs = inputs.to_vec();
        let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let routes = reg.routes.names().iter().map(|n| n.to_string()).collect();
        let methods = reg.methods.names().iter().map(|n| n.to_string()).collect();
        let folded = reg.routes.folded_hashes();
        let max_routes = reg.routes.cap();
        drop(reg);
        let union = &mut self.union;
        let latency = |route: u32, r: &mut Recent, union: &mut Hist| {
            let (h, max_us, log2) = r.since_parts(union);
            SavedLatency {
                route,
                max_us,
                log2: log2.to_vec(),
                hist: save_hist(h),
            }
        };
        let route_latency = self
            .recent
            .iter_mut()
            .enumerate()
            .filter_map(|(id, r)| Some(latency(id as u32, r.as_mut()?, union)))
            .collect();
        let total_latency = latency(0, &mut self.total, union);
        let sources = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let st = inputs.get(i).cloned().unwrap_or_default();
                let (errors, odd, samples) = save_input(&st);
                SavedSource {
                    id: i as u16,
                    name: s.name.clone(),
                    fields: s.fields.clone().and_then(|f| {
                        let name = s.format.as_ref()?.name();
                        // The preset the header applies to: `iis`, not
                        // the name a header gave it.
                        let base = name.split(' ').next().unwrap_or(name).to_string();
                        Some((base, f))
                    }),
                    line_no: s.line_no,
                    rotations: s.rotations,
                    lines: st.lines,
                    requests: st.requests,
                    errors,
                    odd,
                    samples,
                    variants: st.variants.to_vec(),
                    format: s.format.as_ref().and_then(|f| {
                        let names = f.variant_names();
                        (!names.is_empty()).then(|| {
                            let names = names.into_iter().map(String::from).collect();
                            (f.name().to_string(), names)
                        })
                    }),
                    marks: s
                        .marks
                        .iter()
                        .map(|m| SavedMark {
                            dev: m.file.0,
                            ino: m.file.1,
                            end: m.end,
                            fp: m.fp.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        let saved_at_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Saved {
            version: STATE_VERSION,
            saved_at_ms,
            counting_secs: self.started.elapsed().as_secs_f64(),
            bounds_us: self.cfg.engine.bounds_us.to_vec(),
            max_routes,
            routes,
            methods,
            folded,
            keys_folded,
            span,
            keys,
            route_latency,
            total_latency,
            sources,
            facets,
        }
    }

    /// Starts from saved state, before any event: counts go on from the
    /// saved ones, under the same source ids (the follower gives each
    /// saved input its id back). Routes are registered again by name, under
    /// today's cap (past it they fold into the overflow, as new ones
    /// would). Refused when the bucket bounds differ: the saved bucket
    /// counters would mean other ranges.
    pub fn restore(&mut self, saved: &Saved) -> Result<(), String> {
        if saved.bounds_us[..] != self.cfg.engine.bounds_us[..] {
            return Err("it was saved with other latency buckets (--buckets)".into());
        }
        let (routes, methods) = {
            let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
            let routes: Vec<RouteId> = saved
                .routes
                .iter()
                .enumerate()
                .map(|(i, n)| match i {
                    0 => OVERFLOW_ID,
                    _ => reg.routes.intern(n.as_bytes()),
                })
                .collect();
            reg.routes.note_folded(&saved.folded);
            let methods: Vec<u8> = saved
                .methods
                .iter()
                .map(|m| reg.methods.intern(m.as_bytes()))
                .collect();
            (routes, methods)
        };
        let n_buckets = self.cfg.engine.bounds_us.len();
        let (agg, inputs) = self.shard.parts_mut();
        for k in &saved.keys {
            let key = Key {
                source: k.source,
                route: routes.get(k.route as usize).copied().unwrap_or(OVERFLOW_ID),
                method: methods
                    .get(k.method as usize)
                    .copied()
                    .unwrap_or(super::key::METHOD_OTHER),
                status: k.status,
            };
            agg.add(key, &restore_stats(k, n_buckets));
        }
        if let Some((a, b)) = saved.span {
            agg.note_time(a);
            agg.note_time(b);
        }
        agg.keys_folded += saved.keys_folded;
        let route = |r: u32| routes.get(r as usize).copied().unwrap_or(OVERFLOW_ID);
        super::persist::restore_facets(&mut agg.facets, &saved.facets, route);
        for src in &saved.sources {
            let i = src.id as usize;
            if inputs.len() <= i {
                inputs.resize_with(i + 1, Default::default);
            }
            inputs[i] = restore_input(src);
        }
        for src in &saved.sources {
            let s = self.source(src.id);
            s.name = src.name.clone();
            // Until the follower says what it makes of it (it says `done`
            // of a saved input no path names any more). Not `waiting`,
            // which views would print as "no such file".
            s.state = InputState::Following;
            s.rotations = src.rotations;
            s.line_no = src.line_no;
            s.resume_fields = src.fields.clone();
            s.resume_format = src.format.clone();
            s.marks = src
                .marks
                .iter()
                .map(|m| FileMark {
                    file: (m.dev, m.ino),
                    end: m.end,
                    fp: m.fp.clone(),
                })
                .collect();
        }
        let (ws, series) = (&self.window_steps, self.cfg.series);
        for l in &saved.route_latency {
            let id = routes.get(l.route as usize).copied().unwrap_or(OVERFLOW_ID) as usize;
            if self.recent.len() <= id {
                self.recent.resize_with(id + 1, || None);
            }
            self.recent[id]
                .get_or_insert_with(|| Recent::new(ws, series))
                .restore_since(restore_hist(&l.hist), l.max_us, &l.log2);
        }
        let t = &saved.total_latency;
        self.total
            .restore_since(restore_hist(&t.hist), t.max_us, &t.log2);
        let counted = Duration::try_from_secs_f64(saved.counting_secs).unwrap_or_default();
        self.started = Instant::now().checked_sub(counted).unwrap_or(self.started);
        self.since_cache = None;
        self.news = true;
        Ok(())
    }

    /// Detects whatever is still held (end of run).
    pub fn flush(&mut self) {
        for i in 0..self.sources.len() {
            self.detect_pending(i as SourceId, true);
        }
    }
}

/// The source an event brings lines or a position of, if it does.
fn data_source(ev: &InputEvent) -> Option<SourceId> {
    match ev {
        InputEvent::Lines { source, .. }
        | InputEvent::FileLines { source, .. }
        | InputEvent::Oversized { source, .. }
        | InputEvent::Mark { source, .. }
        | InputEvent::Preamble { source, .. }
        | InputEvent::Backlog { source, .. } => Some(*source),
        InputEvent::Added { .. } | InputEvent::State { .. } | InputEvent::Rotated { .. } => None,
    }
}

fn lock_job(job: &std::sync::Mutex<Option<Job>>) -> std::sync::MutexGuard<'_, Option<Job>> {
    job.lock().unwrap_or_else(|p| p.into_inner())
}

/// Saving state (`--state`): every `every`, the engine hands `save` the
/// state and the snapshot of the same instant; and once more at the end.
pub struct Checkpoint {
    pub every: Duration,
    pub save: Box<dyn FnMut(Saved, Arc<Snapshot>) + Send>,
}

/// The engine loop: applies input events as they come and publishes a
/// snapshot every step, until the input channel closes or `stop` is set.
/// Publishes a final snapshot before returning it.
pub fn run(
    mut engine: LiveEngine,
    events: Receiver<InputEvent>,
    control: Receiver<Control>,
    publish: watch::Sender<Arc<Snapshot>>,
    stop: Arc<AtomicBool>,
    mut checkpoint: Option<Checkpoint>,
) -> Arc<Snapshot> {
    let (step, every) = (engine.cfg.step, engine.cfg.publish.min(engine.cfg.step));
    let start = Instant::now();
    let (mut next_step, mut next_publish) = (start + step, start + every);
    let mut next_save = checkpoint.as_ref().map(|c| start + c.every);
    let mut open = true;
    while open && !stop.load(Ordering::Relaxed) {
        let due = next_step.min(next_publish);
        let wait = due.saturating_duration_since(Instant::now());
        if engine.backfilling() {
            // No event is taken while a backlog is counted (none may be
            // counted before it): its progress is published meanwhile.
            engine.pump_backfill(wait);
            if !engine.backfilling() {
                // Done: every view sees it now, not a publish period later
                // (or the next backlog's progress, if one was queued).
                open = engine.after_backfill(&events, every);
                publish.send_replace(Arc::new(engine.snapshot()));
            }
        } else {
            match events.recv_timeout(wait) {
                Ok(ev) => {
                    engine.handle(ev);
                    // Drain what is queued, but never past the next deadline
                    // nor into a backlog's wait.
                    while Instant::now() < due && !engine.backfilling() {
                        match events.try_recv() {
                            Ok(ev) => engine.handle(ev),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => {
                                open = false;
                                break;
                            }
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        while let Ok(c) = control.try_recv() {
            match c {
                Control::Reset => {
                    engine.reset();
                    // The dashboard shows the reset now, not at the next
                    // line or step.
                    publish.send_replace(Arc::new(engine.snapshot()));
                }
                Control::Router(r) => engine.set_router(r),
                Control::Formats(f, done) => {
                    engine.cfg.formats = f;
                    let _ = done.send(());
                }
            }
        }
        let now = Instant::now();
        let mut stepped = false;
        if now >= next_step {
            engine.tick();
            stepped = true;
            // A huge backlog can make the engine late: skip steps, don't spin.
            next_step = (next_step + step).max(now);
        }
        if now >= next_publish || !open {
            // Between steps, only new input changes a snapshot; at a step,
            // time moves windows and series on. When everything has settled
            // (no traffic within any window or series), nothing changes at
            // all, and an idle routetop costs next to nothing.
            if engine.news || (stepped && engine.has_news()) || !open {
                publish.send_replace(Arc::new(engine.snapshot()));
            }
            next_publish = (next_publish + every).max(now);
        }
        if let (Some(c), Some(due)) = (&mut checkpoint, &mut next_save)
            && now >= *due
        {
            // Between an oversized line and its position (the next event
            // of its source, already sent): take it first, briefly.
            let until = Instant::now() + Duration::from_secs(1);
            while engine.unmarked() && Instant::now() < until {
                match events.recv_timeout(Duration::from_millis(50)) {
                    Ok(ev) => engine.handle(ev),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            // The snapshot of the saved instant goes with it: views that
            // must never show more than is saved (/metrics) show that one.
            let snap = Arc::new(engine.snapshot());
            publish.send_replace(snap.clone());
            (c.save)(engine.save(), snap);
            *due = (*due + c.every).max(now);
        }
    }
    // Stopping: the followers were stopped first, so whatever they sent is
    // queued; count all of it before the final snapshot. A backlog being
    // counted when the run is stopped is dropped, not waited for (it may be
    // minutes of work): its source stops counting where it began.
    let stopped = stop.load(Ordering::Relaxed);
    if stopped {
        engine.cancel_backfill();
    }
    while let Ok(ev) = events.try_recv() {
        engine.handle(ev);
        if stopped {
            engine.cancel_backfill();
        }
    }
    engine.finish_backfill();
    engine.flush();
    engine.tick();
    let last = Arc::new(engine.snapshot());
    publish.send_replace(last.clone());
    if let Some(c) = &mut checkpoint {
        (c.save)(engine.save(), last.clone());
    }
    last
}

#[cfg(test)]
mod state_tests;
#[cfg(test)]
mod tests;
