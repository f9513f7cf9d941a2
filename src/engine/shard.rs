//! A parsing thread's side of the engine: line → record → route and method
//! ids → its own aggregates, touching the shared [`Registry`] only on a
//! cache miss (see `resolve.rs`).

#[cfg(doc)]
use super::Registry;
use super::deferred::{Deferred, Target};
use super::resolve;
use super::{
    Aggregates, EngineConfig, ErrorKind, InputStats, Key, LinePos, SharedRegistry, SourceId,
    standard_method,
};
use crate::format::scan::{Plain, Scan};
use crate::format::{Format, Scratch};
#[cfg(doc)]
use crate::route::RouteTable;
use crate::route::Router;
use std::sync::Arc;

/// One request as the engine saw it, for callers that keep more views of it
/// (windows, series). With ordered resolution ([`Shard::set_ordered`]),
/// `entry` and `key.route` of a line whose route awaits admission are
/// provisional.
#[derive(Clone, Copy, Debug)]
pub struct Ingested {
    pub entry: usize,
    pub key: Key,
    pub status: u16,
    pub bytes: Option<u64>,
    pub latency_us: Option<u64>,
    pub upstream_us: Option<u64>,
    pub time: Option<i64>,
}

/// Entries a shard reserves room for up front (6.4 MB of address space).
const ENTRIES_RESERVED: usize = 1 << 15;

/// A parsing thread's engine: aggregates plus everything needed to turn a
/// line into a key without touching shared state on the common path.
pub struct Shard {
    registry: SharedRegistry,
    routes: resolve::Resolver,
    scratch: Scratch,
    max_line: usize,
    pub agg: Aggregates,
    /// Lines of routes not yet admitted (ordered resolution, see
    /// `resolve.rs`), keyed by provisional index; moved into `agg` by
    /// [`Shard::admit`].
    unadmitted: Aggregates,
    pub inputs: Vec<InputStats>,
    /// Requests parsed but not yet recorded (batch workers).
    deferred: Deferred,
}

impl Shard {
    pub fn new(registry: SharedRegistry, router: Arc<Router>, cfg: &EngineConfig) -> Shard {
        let mut agg = Aggregates::new(cfg);
        // Address space only: pages are backed as entries are written. A
        // growing vector is copied whole at each doubling (glibc's
        // `realloc` copies heap blocks), and a batch worker on the
        // 100 000-route file makes ~15 000 entries of 200 B.
        agg.entries.reserve(cfg.max_keys.min(ENTRIES_RESERVED));
        Shard {
            registry,
            routes: resolve::Resolver::new(router),
            scratch: Scratch::default(),
            max_line: cfg.max_line,
            agg,
            unadmitted: Aggregates {
                // Bounded by the block's lines; capped when moved to `agg`.
                max_keys: usize::MAX,
                ..Aggregates::new(cfg)
            },
            inputs: Vec::new(),
            deferred: Deferred::default(),
        }
    }

    /// Admits routes in input order, whichever worker reads which block
    /// (batch runs): new routes wait for [`Shard::admit`].
    pub fn set_ordered(&mut self) {
        self.routes.set_ordered();
    }

    /// Whether the block just read has routes awaiting [`Shard::admit`].
    pub fn has_unadmitted(&self) -> bool {
        self.routes.has_unadmitted()
    }

    /// Registers the routes first seen in the block just read, in the order
    /// of their first lines, and moves their lines to their routes (or the
    /// overflow). Call only once every earlier block is done.
    pub fn admit(&mut self) {
        debug_assert!(self.deferred.is_empty(), "admitted before a flush");
        let ids = self.routes.admit(&self.registry);
        self.agg.merge_rekeyed(&self.unadmitted, |k| Key {
            route: ids[k.route as usize],
            ..k
        });
        self.unadmitted.clear();
    }

    pub fn registry(&self) -> &SharedRegistry {
        &self.registry
    }

    /// Reports the routes this shard folded on its own to the registry's
    /// count: call before reading [`RouteTable::folded`].
    pub fn report_folded(&mut self) {
        self.routes.report_folded(&self.registry);
    }

    /// New route rules. Cached ids stay valid: they are keyed by route name.
    pub fn set_router(&mut self, router: Arc<Router>) {
        self.routes.set_router(router);
    }

    pub fn input(&mut self, src: SourceId) -> &mut InputStats {
        let i = src as usize;
        if self.inputs.len() <= i {
            self.inputs.resize_with(i + 1, InputStats::default);
        }
        &mut self.inputs[i]
    }

    /// Counts a line that was too long to even hold (the reader kept only
    /// its head).
    pub fn oversized(&mut self, src: SourceId, head: &[u8], len: u64, pos: LinePos) {
        let input = self.input(src);
        input.lines += 1;
        input.note_error(ErrorKind::TooLong, pos, head, len, String::new);
    }

    /// Parses and counts one line (no newline). `None` for a bad line, which
    /// is counted against its input.
    #[inline]
    pub fn line(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
    ) -> Option<Ingested> {
        self.line_scan(src, format, line, pos, Plain)
    }

    /// [`Shard::line`], finding field ends with `scan` (see
    /// [`Format::parse_scan`]).
    #[inline]
    pub fn line_scan<S: Scan>(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
        scan: S,
    ) -> Option<Ingested> {
        let (mut ing, target) = self.ingest(src, format, line, pos, scan)?;
        let agg = target.pick(&mut self.agg, &mut self.unadmitted);
        ing.entry = agg.record(ing.key, ing.bytes, ing.latency_us, ing.upstream_us);
        Some(ing)
    }

    /// [`Shard::line_scan`] for a batch worker, which needs no [`Ingested`]:
    /// the request is recorded a few lines later (see `deferred.rs`), once
    /// [`Shard::flush`] at the latest.
    #[inline]
    pub fn line_deferred<S: Scan>(
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

    /// Records the requests [`Shard::line_deferred`] left queued: call
    /// before the aggregates are read, merged or admitted.
    pub fn flush(&mut self) {
        self.deferred.flush(&mut self.agg, &mut self.unadmitted);
    }

    /// Parses one line and finds its key (`entry` left 0) and the
    /// aggregates it goes to; counts the line, or the bad line.
    #[inline(always)]
    fn ingest<S: Scan>(
        &mut self,
        src: SourceId,
        format: &Format,
        line: &[u8],
        pos: LinePos,
        scan: S,
    ) -> Option<(Ingested, Target)> {
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
        let route = self.routes.id(rec.target, &self.registry);
        let method = match standard_method(rec.method) {
            Some(m) => m,
            None => self
                .registry
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .methods
                .intern(rec.method),
        };
        let target = if route & resolve::UNADMITTED == 0 {
            Target::Agg
        } else {
            Target::Unadmitted
        };
        if let Some(t) = rec.time {
            self.agg.note_time(t);
        }
        let ing = Ingested {
            entry: 0,
            key: Key {
                source: src,
                route: route & !resolve::UNADMITTED,
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
