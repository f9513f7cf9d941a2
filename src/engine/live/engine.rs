//! The live engine's state and the events applied to it (see the module
//! docs of `live`): its settings ([`LiveConfig`]) and commands
//! ([`Control`]), each source's format, position and held lines, and the
//! steps of the clock.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;

use crate::engine::apdex::ApdexSnap;
use crate::engine::backfill::{Backfill, Backfilled, Progress, TailBlock};
use crate::engine::epoch::ViewEpoch;
use crate::engine::event::{FileMark, InputEvent, InputState, SourceId};
use crate::engine::hist::{Hist, new_hdr};
use crate::engine::input_stats::LinePos;
use crate::engine::options::EngineConfig;
use crate::engine::registry::SharedRegistry;
use crate::engine::shard::LiveShard;
use crate::engine::slo::{Objective, Tracker};
use crate::engine::snapshot::{self, KeySnap, Series};
use crate::engine::window::Recent;
use crate::format::detect;
use crate::format::prefix::Strip;
use crate::format::scan::lines;
use crate::format::{FieldOverride, Format, Header};
use crate::route::Router;

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

pub(super) struct Source {
    pub(super) name: String,
    /// Known from the start, or once detected.
    pub(super) format: Option<Arc<Format>>,
    pub(super) state: InputState,
    pub(super) rotations: u64,
    /// Lines (whole, `\n`-terminated) held until the format is detected.
    pub(super) pending: Vec<u8>,
    pub(super) pending_since: Option<Instant>,
    /// Lines counted so far, for error line numbers.
    pub(super) line_no: u64,
    /// How far each file of this source was counted, newest last (at most
    /// [`MARKS_KEPT`]): where a restart resumes (`--state`).
    pub(super) marks: Vec<FileMark>,
    /// Marks of lines held in `pending`: (length of `pending` when the
    /// mark came, the mark).
    pub(super) pending_marks: Vec<(usize, FileMark)>,
    /// An oversized line was counted and its `Mark` has not come yet.
    pub(super) unmarked: bool,
    /// W3C: the `#Fields:` line in force, saved so that a restart reads
    /// the lines after its offset by it (they carry no header of their own).
    pub(super) fields: Option<Vec<u8>>,
    /// Restored from saved state, applied when the source is added again:
    /// the format's name and its `#Fields:` line.
    pub(super) resume_fields: Option<(String, Vec<u8>)>,
    /// Restored from saved state: an `auto` format of variants, by name
    /// (`persist::SavedSource::format`).
    pub(super) resume_format: Option<(String, Vec<String>)>,
}

/// Files of one source whose counted position is kept: the current one and
/// the rotated ones still drained.
const MARKS_KEPT: usize = 16;

impl Source {
    /// A source known by `name` only, following, nothing counted yet.
    pub(super) fn new(name: String) -> Source {
        Source {
            name,
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
        }
    }

    /// Read from files (which say where their lines end), not stdin.
    fn has_file(&self) -> bool {
        !self.marks.is_empty() || !self.pending_marks.is_empty()
    }

    /// The lines before `mark` are counted.
    pub(super) fn commit(&mut self, mark: FileMark) {
        self.marks.retain(|m| m.file != mark.file);
        if self.marks.len() >= MARKS_KEPT {
            self.marks.remove(0);
        }
        self.marks.push(mark);
    }

    /// The first `used` bytes held in `pending`, `data`, were counted (the
    /// caller took them out of `pending`): the marks they reach are
    /// committed, one that falls inside them is committed where they end.
    pub(super) fn consumed(&mut self, used: usize, data: &[u8]) {
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
                let fp =
                    part[part.len().saturating_sub(crate::engine::event::MARK_FP_LEN)..].to_vec();
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
    pub(super) cfg: LiveConfig,
    pub(super) registry: SharedRegistry,
    pub(super) shard: LiveShard,
    pub(super) sources: Vec<Source>,
    /// Recent-time state per route id.
    pub(super) recent: Vec<Option<Recent>>,
    pub(super) total: Recent,
    pub(super) window_steps: Vec<u64>,
    pub(super) step: u64,
    /// When counting began: since-start rates of arrival time are over the
    /// time since (a reset is the dashboard's, `epoch.rs`: it restarts
    /// nothing here). Windows fill from step 0.
    pub(super) started: Instant,
    /// When the engine started, for telling a replay from live traffic.
    pub(super) started_wall: SystemTime,
    /// Write-to-read delay of the newest line of the latest batch, as
    /// measured when it was counted.
    pub(super) lag: Option<Duration>,
    /// Log second of step 0 (log-time windows).
    pub(super) log_origin: Option<i64>,
    /// For subtracting small lists from HDR histograms (window expiry).
    pub(super) scratch: Histogram<u32>,
    pub(super) lines_this_step: u64,
    pub(super) lines_per_sec: f64,
    /// Something arrived since the last snapshot (lines, a state change).
    pub(super) news: bool,
    /// The since-start part of the last snapshot, valid until a line is
    /// counted, a step with traffic closes or the counts are reset: an idle
    /// engine reuses it instead of walking every key again.
    pub(super) since_cache: Option<snapshot::SinceStart>,
    /// The Apdex of the keys it was computed from (the same `Arc` while no
    /// line arrives).
    pub(super) apdex_cache: Option<(Arc<[KeySnap]>, Arc<ApdexSnap>)>,
    /// Scratch for [`Recent::refresh_since`].
    pub(super) union: Hist,
    /// The all-zero series of the current step, shared by quiet routes.
    pub(super) zeros: Arc<Series>,
    pub(super) newest_log_time: Option<i64>,
    pub(super) seq: u64,
    /// Since the dashboard's last reset, if any (`epoch.rs`).
    pub(super) view: Option<ViewEpoch>,
    /// Objectives' requests per minute, for burn rates (`slo.rs`).
    pub(super) slo: Tracker,
    /// The route rules in force, for backfills.
    pub(super) router: Arc<Router>,
    /// Counts backlogs on all cores (`backfill.rs`), when the run gave one.
    pub(super) backfill: Option<Arc<dyn Backfill>>,
    /// The backlog being counted.
    pub(super) filling: Option<Filling>,
    /// Lines counted by backfills (see [`Snapshot::backfilled`](crate::engine::snapshot::Snapshot::backfilled)).
    pub(super) backfilled: u64,
    /// Backlogs counted one after another since views last had no
    /// progress to show ([`LiveEngine::after_backfill`]).
    pub(super) backlogs_in_row: u32,
    /// Sources whose backlog was dropped as the run stopped: their later
    /// lines are not counted either (a saved state stays exact).
    pub(super) abandoned: Vec<SourceId>,
}

/// A backlog being counted (see `backfill.rs`).
pub(super) struct Filling {
    pub(super) source: SourceId,
    /// Where its lines end; `None` for a compressed file's stream.
    pub(super) at: Option<FileMark>,
    pub(super) name: String,
    pub(super) total: u64,
    pub(super) started: Instant,
    pub(super) progress: Arc<Progress>,
    pub(super) cancel: Arc<AtomicBool>,
    /// Marks of the lines held for detection that went first in the
    /// backlog: committed with it.
    pub(super) head_marks: Vec<FileMark>,
    pub(super) work: Work,
}

/// Where a backlog is.
pub(super) enum Work {
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

    pub(super) fn source(&mut self, id: SourceId) -> &mut Source {
        let i = id as usize;
        while self.sources.len() <= i {
            let n = self.sources.len();
            self.sources.push(Source::new(format!("input {n}")));
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

    /// Applies the events already queued, until `until` or until a
    /// backlog is being counted (no event may pass it). Returns false if
    /// the channel closed.
    pub fn drain(&mut self, events: &Receiver<InputEvent>, until: Instant) -> bool {
        while !self.backfilling() && Instant::now() < until {
            match events.try_recv() {
                Ok(ev) => self.handle(ev),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
        true
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

    /// Where the lines of `source` received so far end in their file.
    pub(super) fn mark(&mut self, source: SourceId, at: FileMark) {
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

    /// Closes the current step and moves to `next`.
    pub(super) fn close_steps(&mut self, next: u64) {
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
    ///
    /// [`Snapshot::reset`]: crate::engine::snapshot::Snapshot::reset
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

    /// Lines whose newest log time is `t` (Unix seconds) were counted:
    /// the newest log time and the lag, measured now, as they are counted
    /// (an idle log's lag stays what it was rather than grow with the
    /// clock).
    pub(super) fn counted_newest(&mut self, t: i64) {
        self.newest_log_time = Some(self.newest_log_time.map_or(t, |n| n.max(t)));
        let logged = SystemTime::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
        self.lag = Some(
            SystemTime::now()
                .duration_since(logged)
                .unwrap_or(Duration::ZERO),
        );
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
