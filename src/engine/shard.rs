//! A parsing thread's side of the engine: line → record → route and method
//! ids → its own aggregates, touching the shared registry only on a cache
//! miss (see `resolve.rs`).
//!
//! A shard records in one of two ways, fixed when it is made:
//!
//! - [`Shard::live`]: each line is recorded before [`Shard::line`] returns,
//!   and the caller gets what was counted ([`Ingested`]) for its windows.
//! - [`Shard::batch`]: a batch worker's shard. Lines of a block are
//!   recorded a few lines late ([`Shard::block_line`], see `deferred.rs`)
//!   and routes are admitted under the cap in input order (`resolve.rs`):
//!   the block ends with [`Shard::end_block`], then [`Shard::admit`] once
//!   every earlier block is done, and the worker ends with
//!   [`Shard::finish`].
//!
//! The aggregates are only reachable through [`Shard::read`] and
//! [`Shard::finish`], which record whatever is still queued first: nothing
//! can read a count that is not there yet.

use std::sync::Arc;

use super::aggregates::Aggregates;
use super::deferred::{Deferred, Target};
use super::event::SourceId;
use super::input_stats::{InputStats, LinePos};
use super::key::{Ingested, Key, standard_method};
use super::options::EngineConfig;
use super::registry::SharedRegistry;
use super::resolve::{Resolved, Resolver};
use crate::format::scan::Scan;
use crate::format::{ErrorKind, Format, Scratch};
use crate::route::Router;

/// What a shard counted, once finished.
pub struct Finished {
    pub agg: Aggregates,
    /// Line accounting per source id.
    pub inputs: Vec<InputStats>,
}

/// Entries a shard reserves room for up front (6.4 MB of address space).
const ENTRIES_RESERVED: usize = 1 << 15;

/// A parsing thread's engine: aggregates plus everything needed to turn a
/// line into a key without touching shared state on the common path.
pub struct Shard {
    registry: SharedRegistry,
    routes: Resolver,
    scratch: Scratch,
    max_line: usize,
    agg: Aggregates,
    /// Lines of routes not yet admitted (batch shards, see `resolve.rs`),
    /// keyed by provisional index; moved into `agg` by [`Shard::admit`].
    unadmitted: Aggregates,
    inputs: Vec<InputStats>,
    /// Requests parsed but not yet recorded (batch shards).
    deferred: Deferred,
}

impl Shard {
    /// A shard that records each line at once (the live engine).
    pub fn live(cfg: &EngineConfig, registry: SharedRegistry, router: Arc<Router>) -> Shard {
        Shard::new(cfg, registry, Resolver::new(router))
    }

    /// A batch worker's shard: recording deferred within a block, routes
    /// admitted in input order whichever worker reads which block.
    pub fn batch(cfg: &EngineConfig, registry: SharedRegistry, router: Arc<Router>) -> Shard {
        Shard::new(cfg, registry, Resolver::ordered(router))
    }

    fn new(cfg: &EngineConfig, registry: SharedRegistry, routes: Resolver) -> Shard {
        let mut agg = Aggregates::new(cfg);
        // Address space only: pages are backed as entries are written. A
        // growing vector is copied whole at each doubling (glibc's
        // `realloc` copies heap blocks), and a batch worker on the
        // 100 000-route file makes ~15 000 entries of 200 B.
        agg.entries.reserve(cfg.max_keys.min(ENTRIES_RESERVED));
        Shard {
            registry,
            routes,
            scratch: Scratch::default(),
            max_line: cfg.max_line,
            agg,
            unadmitted: Aggregates::unbounded(cfg),
            inputs: Vec::new(),
            deferred: Deferred::default(),
        }
    }

    /// Parses and counts one line (no newline) now. `None` for a bad line,
    /// which is counted against its input.
    #[inline]
    pub fn line(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
    ) -> Option<Ingested> {
        self.flush();
        let (ing, target) = self.ingest(src, format, line, pos, crate::format::scan::Plain)?;
        target.pick(&mut self.agg, &mut self.unadmitted).record(
            ing.key,
            ing.bytes,
            ing.latency_us,
            ing.upstream_us,
        );
        Some(ing)
    }

    /// Parses one line of a block (no newline), finding field ends with
    /// `scan` (the block's index), and counts it within a few lines: by
    /// [`Shard::end_block`] at the latest.
    #[inline]
    pub fn block_line<S: Scan>(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
        scan: S,
    ) {
        if let Some((ing, target)) = self.ingest(src, format, line, pos, scan) {
            self.deferred
                .push(&mut self.agg, &mut self.unadmitted, target, &ing);
        }
    }

    /// Ends a block: records what is still queued. Returns whether the
    /// block saw routes that await [`Shard::admit`].
    pub fn end_block(&mut self) -> bool {
        self.flush();
        self.routes.has_unadmitted()
    }

    /// Registers the routes first seen in the block just ended, in the
    /// order of their first lines, and moves their lines to their routes
    /// (or the overflow). Call only once every earlier block is done.
    pub fn admit(&mut self) {
        self.flush();
        let ids = self.routes.admit(&self.registry);
        self.agg.merge_rekeyed(&self.unadmitted, |k| Key {
            route: ids[k.route as usize],
            ..k
        });
        self.unadmitted.clear();
    }

    /// Everything counted so far, and each source's line accounting. The
    /// routes this shard folded on its own are reported to the registry's
    /// count first.
    pub fn read(&mut self) -> (&Aggregates, &[InputStats]) {
        self.flush();
        self.routes.report_folded(&self.registry);
        (&self.agg, &self.inputs)
    }

    /// Ends the shard: everything recorded, histograms settled, folded
    /// routes reported. Runs on the worker, not serially in the summary.
    pub fn finish(mut self) -> Finished {
        self.flush();
        self.agg.settle();
        self.routes.report_folded(&self.registry);
        Finished {
            agg: self.agg,
            inputs: self.inputs,
        }
    }

    /// Forgets all counts (the dashboard's reset); route names stay.
    pub fn reset(&mut self) {
        self.flush();
        self.agg.clear();
        for s in &mut self.inputs {
            *s = InputStats::default();
        }
    }

    /// New route rules. Cached ids stay valid: they are keyed by route name.
    pub fn set_router(&mut self, router: Arc<Router>) {
        self.routes.set_router(router);
    }

    /// Counts a line that was too long to even hold (the reader kept only
    /// its head).
    pub fn oversized(&mut self, src: SourceId, head: &[u8], len: u64, pos: LinePos) {
        let input = self.input(src);
        input.lines += 1;
        input.note_error(ErrorKind::TooLong, pos, head, len, String::new);
    }

    /// Counts a line no format could be found for (`auto` found none for
    /// the lines it was in); `why` is called only for a kept sample. A blank
    /// line is `empty`, as a parser would say.
    pub fn unparsed(
        &mut self,
        src: SourceId,
        line: &[u8],
        pos: LinePos,
        why: impl FnOnce() -> String,
    ) {
        let kind = match line {
            b"" | b"\r" => ErrorKind::Empty,
            _ => ErrorKind::NoMatch,
        };
        let input = self.input(src);
        input.lines += 1;
        input.note_error(kind, pos, line, line.len() as u64, why);
    }

    /// Records what [`Shard::block_line`] left queued.
    fn flush(&mut self) {
        self.deferred.flush(&mut self.agg, &mut self.unadmitted);
    }

    #[inline(always)]
    fn input(&mut self, src: SourceId) -> &mut InputStats {
        let i = src as usize;
        if self.inputs.len() <= i {
            self.inputs.resize_with(i + 1, InputStats::default);
        }
        &mut self.inputs[i]
    }

    /// Parses one line and finds its key and the aggregates it goes to;
    /// counts the line, or the bad line.
    #[inline(always)]
    fn ingest<S: Scan>(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
        scan: S,
    ) -> Option<(Ingested, Target)> {
        // Not `self.input`: the borrow must stay on `self.inputs` alone.
        let input = {
            let i = src as usize;
            if self.inputs.len() <= i {
                self.inputs.resize_with(i + 1, InputStats::default);
            }
            &mut self.inputs[i]
        };
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
        let (route, target) = match self.routes.id(rec.target, &self.registry) {
            Resolved::Route(id) => (id, Target::Agg),
            Resolved::Provisional(i) => (i, Target::Unadmitted),
        };
        let method = match standard_method(rec.method) {
            Some(m) => m,
            None => self
                .registry
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .methods
                .intern(rec.method),
        };
        if let Some(t) = rec.time {
            self.agg.note_time(t);
        }
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
        Some((ing, target))
    }
}
