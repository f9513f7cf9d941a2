//! A parsing thread's side of the engine: line → record → route and method
//! ids → its own aggregates, touching the shared registry only on a cache
//! miss (see `resolve.rs`).
//!
//! Two kinds, two types over one core (parsing, routing, line accounting):
//!
//! - [`LiveShard`]: each line is recorded before [`LiveShard::line`]
//!   returns, and the caller gets what was counted ([`Ingested`]) for its
//!   windows. Routes are registered as soon as they are seen.
//! - [`BatchShard`]: a batch worker's. Lines of a block are recorded a few
//!   lines late ([`BatchShard::block_line`], see `deferred.rs`) and routes
//!   (`resolve.rs`) and methods (`key.rs` `PendingMethods`) are admitted
//!   under their caps in input order: the block
//!   ends with [`BatchShard::end_block`], then [`BatchShard::admit`] once
//!   every earlier block is done, and the worker ends with
//!   [`BatchShard::finish`].
//!
//! The aggregates are only reachable through [`LiveShard::read`] and
//! [`BatchShard::finish`] (which records whatever is still queued first):
//! nothing can read a count that is not there yet.

use std::sync::Arc;

use super::aggregates::Aggregates;
use super::deferred::{Deferred, Target};
use super::event::SourceId;
use super::input_stats::{InputStats, LinePos};
use super::key::{Ingested, Key, METHOD_OTHER, METHOD_PENDING, PendingMethods, standard_method};
use super::minutes::Minutes;
use super::options::EngineConfig;
use super::registry::SharedRegistry;
use super::resolve::{Resolved, Resolver};
use super::slo::Objective;
use crate::format::scan::{Plain, Scan};
use crate::format::{ErrorKind, Format, MAX_VARIANTS, Odd, Scratch};
use crate::route::OVERFLOW_ID;
use crate::route::Router;

/// What a batch shard counted, once finished.
pub struct Finished {
    pub agg: Aggregates,
    /// Line accounting per source id.
    pub inputs: Vec<InputStats>,
    /// Requests per objective per log minute, if asked for
    /// ([`BatchShard::count_minutes`]).
    pub minutes: Option<Box<Minutes>>,
}

/// Entries a shard reserves room for up front (6.4 MB of address space).
const ENTRIES_RESERVED: usize = 1 << 15;

/// The live engine's shard: records each line at once.
pub struct LiveShard {
    core: Core,
}

impl LiveShard {
    pub fn new(cfg: &EngineConfig, registry: SharedRegistry, router: Arc<Router>) -> LiveShard {
        LiveShard {
            core: Core::new(cfg, registry, Resolver::new(router), None),
        }
    }

    /// Parses and counts one line (no newline). `None` for a bad line,
    /// which is counted against its input.
    #[inline]
    pub fn line(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
    ) -> Option<Ingested> {
        let (ing, target) = self.core.ingest(src, format, line, pos, Plain, None)?;
        // This shard's resolver registers every route at once: no line
        // waits for admission.
        debug_assert_eq!(target, Target::Agg);
        self.core
            .agg
            .record(ing.key, ing.bytes, ing.latency_us, ing.upstream_us);
        Some(ing)
    }

    /// Everything counted so far, and each source's line accounting. The
    /// routes this shard folded on its own are reported to the registry's
    /// count first.
    pub fn read(&mut self) -> (&Aggregates, &[InputStats]) {
        self.core.report_folded();
        (&self.core.agg, &self.core.inputs)
    }

    /// The counts and line accounting, to restore saved state into (before
    /// any line is counted).
    pub fn parts_mut(&mut self) -> (&mut Aggregates, &mut Vec<InputStats>) {
        self.core.report_folded();
        (&mut self.core.agg, &mut self.core.inputs)
    }

    /// New route rules. Cached ids stay valid: they are keyed by route name.
    pub fn set_router(&mut self, router: Arc<Router>) {
        self.core.routes.set_router(router);
    }

    /// Counts a line too long to hold (the reader kept only its head).
    pub fn oversized(&mut self, src: SourceId, head: &[u8], len: u64, pos: LinePos) {
        self.core.oversized(src, head, len, pos);
    }

    /// Counts a header line (`Format::header`): not a request, not an
    /// error.
    pub fn header(&mut self, src: SourceId) {
        self.core.header(src);
    }

    /// Counts a line no format could be found for (`auto` found none for
    /// the lines it was in); `why` is called only for a kept sample. A
    /// blank line is `empty`, as a parser would say.
    pub fn unparsed(
        &mut self,
        src: SourceId,
        line: &[u8],
        pos: LinePos,
        why: impl FnOnce() -> String,
    ) {
        self.core.unparsed(src, line, pos, why);
    }
}

/// A batch worker's shard: recording deferred within a block, routes
/// admitted in input order whichever worker reads which block.
pub struct BatchShard {
    core: Core,
    /// Lines of routes not yet admitted (see `resolve.rs`), keyed by
    /// provisional index; moved into the aggregates by
    /// [`BatchShard::admit`].
    unadmitted: Aggregates,
    /// Requests parsed but not yet recorded.
    deferred: Deferred,
    /// Requests per objective per log minute (a backfill's, `minutes.rs`).
    minutes: Option<Box<Minutes>>,
}

impl BatchShard {
    pub fn new(cfg: &EngineConfig, registry: SharedRegistry, router: Arc<Router>) -> BatchShard {
        BatchShard {
            core: Core::new(
                cfg,
                registry,
                Resolver::ordered(router),
                Some(PendingMethods::default()),
            ),
            // Bounded by the block's lines; capped when moved on.
            unadmitted: Aggregates::unbounded(cfg),
            deferred: Deferred::default(),
            minutes: None,
        }
    }

    /// Also counts each line per objective and minute of log time (a
    /// backfill under `--window-by log` with `--slo`).
    pub fn count_minutes(&mut self, objectives: &[Objective]) {
        self.minutes = Some(Box::new(Minutes::new(objectives)));
    }

    /// Parses one line of a block (no newline), finding field ends with
    /// `scan` (the block's index), and counts it within a few lines: by
    /// [`BatchShard::end_block`] at the latest.
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub fn block_line<S: Scan>(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
        scan: S,
    ) {
        let unadmitted = Some(&mut self.unadmitted);
        if let Some((ing, target)) = self.core.ingest(src, format, line, pos, scan, unadmitted) {
            if let Some(m) = &mut self.minutes {
                // A held line's route is where it was held.
                let route = match self.core.held.last() {
                    Some(h) if ing.key.method == METHOD_PENDING => {
                        (h.key.route, h.target == Target::Unadmitted)
                    }
                    _ => (ing.key.route, target == Target::Unadmitted),
                };
                m.line(
                    route,
                    ing.status,
                    ing.latency_us,
                    ing.time,
                    &self.core.registry,
                );
            }
            self.deferred
                .push(&mut self.core.agg, &mut self.unadmitted, target, &ing);
        }
    }

    /// Ends a block: records what is still queued. Returns whether the
    /// block saw routes or methods that await [`BatchShard::admit`].
    pub fn end_block(&mut self) -> bool {
        self.flush();
        self.core.routes.has_unadmitted() || !self.core.held.is_empty()
    }

    /// How many routes, and lines of methods, await [`BatchShard::admit`]:
    /// a worker that reads on before admitting them (`run/once.rs`) bounds
    /// its memory by it.
    pub fn awaiting_admission(&self) -> usize {
        self.core.routes.unadmitted() + self.core.held.len()
    }

    /// Registers the routes first seen in the blocks ended since the last
    /// admission, in the order of their first lines, and moves their lines
    /// to their routes (or the overflow). Call only once every earlier
    /// block is done.
    pub fn admit(&mut self) {
        self.flush();
        let ids = self.core.routes.admit(&self.core.registry);
        if let Some(m) = &mut self.minutes {
            m.admit(&ids, &self.core.registry);
        }
        // Held lines' queued copies are dropped: they are recorded below.
        self.core.agg.merge_rekeyed(&self.unadmitted, |k| {
            (k.method != METHOD_PENDING).then(|| Key {
                route: ids[k.route as usize],
                ..k
            })
        });
        self.unadmitted.clear();
        if self.core.held.is_empty() {
            return;
        }
        let methods = match &mut self.core.pending {
            Some(p) => {
                let mut reg = self.core.registry.lock().unwrap_or_else(|p| p.into_inner());
                p.admit(&mut reg.methods)
            }
            None => Vec::new(),
        };
        for h in std::mem::take(&mut self.core.held) {
            let mut key = h.key;
            if h.target == Target::Unadmitted {
                key.route = ids[key.route as usize];
            }
            key.method = methods
                .get(h.method as usize)
                .copied()
                .unwrap_or(METHOD_OTHER);
            self.core
                .agg
                .record(key, h.bytes, h.latency_us, h.upstream_us);
        }
    }

    /// Ends the shard: everything recorded, histograms settled, folded
    /// routes reported. Runs on the worker, not serially in the summary.
    pub fn finish(mut self) -> Finished {
        self.flush();
        self.core.agg.settle();
        self.core.report_folded();
        Finished {
            agg: self.core.agg,
            inputs: self.core.inputs,
            minutes: self.minutes,
        }
    }

    /// Counts a line too long to hold (the reader kept only its head).
    pub fn oversized(&mut self, src: SourceId, head: &[u8], len: u64, pos: LinePos) {
        self.core.oversized(src, head, len, pos);
    }

    /// Counts a header line (`Format::header`): not a request, not an
    /// error.
    pub fn header(&mut self, src: SourceId) {
        self.core.header(src);
    }

    /// Counts a line no format could be found for (`auto` found none for
    /// the lines it was in); `why` is called only for a kept sample. A
    /// blank line is `empty`, as a parser would say.
    pub fn unparsed(
        &mut self,
        src: SourceId,
        line: &[u8],
        pos: LinePos,
        why: impl FnOnce() -> String,
    ) {
        self.core.unparsed(src, line, pos, why);
    }

    /// Records what [`BatchShard::block_line`] left queued.
    fn flush(&mut self) {
        self.deferred
            .flush(&mut self.core.agg, &mut self.unadmitted);
    }
}

/// What both kinds share: turning a line into a key without touching
/// shared state on the common path, and counting lines per source.
struct Core {
    registry: SharedRegistry,
    routes: Resolver,
    /// Methods awaiting admission (a batch shard's); `None`: methods are
    /// registered as soon as they are seen (the live shard).
    pending: Option<PendingMethods>,
    /// Lines whose method awaits admission, recorded at admission
    /// (`BatchShard::admit`).
    held: Vec<Held>,
    scratch: Scratch,
    max_line: usize,
    agg: Aggregates,
    inputs: Vec<InputStats>,
}

impl Core {
    fn new(
        cfg: &EngineConfig,
        registry: SharedRegistry,
        routes: Resolver,
        pending: Option<PendingMethods>,
    ) -> Core {
        let mut agg = Aggregates::new(cfg);
        // Address space only: pages are backed as entries are written. A
        // growing vector is copied whole at each doubling (glibc's
        // `realloc` copies heap blocks), and a batch worker on the
        // 100 000-route file makes ~15 000 entries of 200 B.
        agg.entries.reserve(cfg.max_keys.min(ENTRIES_RESERVED));
        Core {
            registry,
            routes,
            pending,
            held: Vec::new(),
            scratch: Scratch::default(),
            max_line: cfg.max_line,
            agg,
            inputs: Vec::new(),
        }
    }

    /// Reports the routes this shard folded on its own to the registry's
    /// count.
    fn report_folded(&mut self) {
        self.routes.report_folded(&self.registry);
    }

    fn header(&mut self, src: SourceId) {
        let input = self.input(src);
        input.lines += 1;
        input.headers += 1;
    }

    fn oversized(&mut self, src: SourceId, head: &[u8], len: u64, pos: LinePos) {
        let input = self.input(src);
        input.lines += 1;
        input.note_error(ErrorKind::TooLong, pos, head, len, String::new);
    }

    /// Counts a line no format could be found for (`auto` found none for
    /// the lines it was in); `why` is called only for a kept sample. A blank
    /// line is `empty`, as a parser would say.
    fn unparsed(&mut self, src: SourceId, line: &[u8], pos: LinePos, why: impl FnOnce() -> String) {
        let kind = match line {
            b"" | b"\r" => ErrorKind::Empty,
            _ => ErrorKind::NoMatch,
        };
        let input = self.input(src);
        input.lines += 1;
        input.note_error(kind, pos, line, line.len() as u64, why);
    }

    fn input(&mut self, src: SourceId) -> &mut InputStats {
        input_of(&mut self.inputs, src)
    }

    /// Parses one line and finds its key and the aggregates it goes to;
    /// counts the line, or the bad line. Its host and backend are counted
    /// at once, in the aggregates of its route (`unadmitted`'s for a
    /// provisional one).
    #[inline(always)]
    fn ingest<S: Scan>(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
        scan: S,
        unadmitted: Option<&mut Aggregates>,
    ) -> Option<(Ingested, Target)> {
        // Not `self.input`: the borrow must stay on `self.inputs` alone.
        let input = input_of(&mut self.inputs, src);
        input.lines += 1;
        if line.len() > self.max_line {
            input.note_error(
                ErrorKind::TooLong,
                pos,
                line,
                line.len() as u64,
                String::new,
            );
            return None;
        }
        let rec = match format.parse_scan(line, &mut self.scratch, scan) {
            Ok(r) => r,
            Err(kind) => {
                input.note_error(kind, pos, line, line.len() as u64, || format.explain(line));
                return None;
            }
        };
        input.requests += 1;
        if rec.bytes.is_none() {
            input.sizeless += 1;
        }
        // Rare: one well-predicted branch per line, not two increments.
        if rec.odd != 0 {
            for k in Odd::ALL {
                input.odd[k.index()] += u64::from(rec.odd >> k.index() & 1);
            }
        }
        let (mut route, mut target) = match self.routes.id(rec.target, &self.registry) {
            Resolved::Route(id) => (id, Target::Agg),
            Resolved::Provisional(i) => (i, Target::Unadmitted),
        };
        if let Some(t) = rec.time {
            self.agg.note_time(t);
        }
        // One well-predicted branch for formats without host or backend.
        if !(rec.host.is_empty() && rec.backend.is_empty()) {
            let agg = match (target, unadmitted) {
                (Target::Unadmitted, Some(u)) => u,
                _ => &mut self.agg,
            };
            agg.facets
                .record(route, rec.host, rec.backend, rec.status, rec.latency_us);
        }
        let method = match standard_method(rec.method) {
            Some(m) => m,
            None => {
                let held = Held {
                    key: Key {
                        source: src,
                        route,
                        method: 0,
                        status: rec.status,
                    },
                    target,
                    method: 0,
                    bytes: rec.bytes,
                    latency_us: rec.latency_us,
                    upstream_us: rec.upstream_us,
                };
                let m = custom_method(
                    &self.registry,
                    &mut self.pending,
                    &mut self.held,
                    rec.method,
                    held,
                );
                if m == METHOD_PENDING {
                    // Held, and recorded at admission; what the caller
                    // queues goes to a key admission drops (a branch
                    // around the caller's queueing cost ~2 % more
                    // instructions per line).
                    (route, target) = (OVERFLOW_ID, Target::Unadmitted);
                }
                m
            }
        };
        let ing = Ingested {
            key: Key {
                source: src,
                route,
                method,
                status: rec.status,
            },
            status: rec.status,
            bytes: rec.bytes,
            latency_us: rec.latency_us,
            upstream_us: rec.upstream_us,
            time: rec.time,
        };
        // A format of several variants: which one took the line (0, the
        // first, is counted as the rest of the requests). One
        // well-predicted branch for other formats.
        let v = self.scratch.variant;
        if v != 0 {
            input.variants[v as usize % MAX_VARIANTS] += 1;
            self.scratch.variant = 0;
        }
        Some((ing, target))
    }
}

/// The id of a method other than the standard ones. A batch shard's
/// method the table does not hold yet but could is [`METHOD_PENDING`],
/// and its line is held (`line`, given its method's pending index):
/// whether the method gets a place depends on the blocks before this one.
/// A full table never changes, so a method it lacks then is `OTHER` for
/// good. Out of line: rare, and it takes the lock.
#[inline(never)]
fn custom_method(
    registry: &SharedRegistry,
    pending: &mut Option<PendingMethods>,
    held: &mut Vec<Held>,
    m: &[u8],
    line: Held,
) -> u8 {
    let mut reg = registry.lock().unwrap_or_else(|p| p.into_inner());
    let Some(pending) = pending else {
        return reg.methods.intern(m);
    };
    match reg.methods.get(m) {
        Some(id) => id,
        None if !reg.methods.has_room_for(m) => METHOD_OTHER,
        None => {
            drop(reg);
            held.push(Held {
                method: pending.index(m),
                ..line
            });
            METHOD_PENDING
        }
    }
}

/// A line held until its method is admitted: its key but the method, the
/// aggregates its route was in (`Unadmitted`: a provisional route), its
/// method's pending index, and its figures.
struct Held {
    key: Key,
    target: Target,
    method: u32,
    bytes: Option<u64>,
    latency_us: Option<u64>,
    upstream_us: Option<u64>,
}

/// Source `src`'s line accounting, made on its first line.
#[inline(always)]
fn input_of(inputs: &mut Vec<InputStats>, src: SourceId) -> &mut InputStats {
    let i = src as usize;
    if inputs.len() <= i {
        inputs.resize_with(i + 1, InputStats::default);
    }
    &mut inputs[i]
}
