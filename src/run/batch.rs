//! The batch worker pool, shared by `--once` (`once.rs`) and a follower's
//! backfill (`backfill.rs`): workers each own a [`BatchShard`] and a 1 MiB
//! buffer and take turns at the shared block reader (`input::Blocks`);
//! routes are admitted in input order ([`Turns`]). `once.rs`'s module doc
//! says how and why.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::engine::backfill::Progress;
use crate::engine::slo::Objective;
use crate::engine::{
    Batch, BatchShard, BlockLines, EngineConfig, Finished, LinePos, SharedRegistry, SourceId,
    SourceReport,
};
use crate::format::detect::{self, NO_FORMAT, Verdict};
use crate::format::prefix::Strip;
use crate::format::scan::{Marks, Plain, lines};
use crate::format::{FieldOverride, Format, Header};
use crate::input::{BLOCK, BatchError, BatchInput, Block, Blocks, Decision, Start, Want};
use crate::route::Router;

/// How a source's lines are parsed: its format, and how well `auto` fit
/// the sample it was detected from.
#[derive(Clone)]
pub(super) struct SourceFormat {
    pub format: Arc<Format>,
    pub detected: Option<(usize, usize)>,
    /// The W3C `#Fields:` line `format` was made by, if a header changed
    /// it (a follower keeps it for the lines after a backfill).
    pub fields: Option<Vec<u8>>,
}

/// The format of an input, decided from its next whole `lines` (`more`:
/// they can be offered again with the lines after them): the one given, or
/// the one `auto` detects from them (`format/detect.rs`). When no format
/// fits, the lines the detector looked at are counted as unparsed, and the
/// lines after them are tried. Lines that could be offered with more wait
/// for them unless their verdict is settled: each sample is then the one a
/// whole block would give, wherever the block reader cut.
pub(super) fn source_format(
    given: &Option<Arc<Format>>,
    json: &[FieldOverride],
    strip: Option<&Strip>,
    lines: &[u8],
    more: bool,
) -> Decision<SourceFormat> {
    if let Some(f) = given {
        return Decision::Decided(SourceFormat {
            format: f.clone(),
            detected: None,
            fields: None,
        });
    }
    if more && !detect::settled(lines) {
        return Decision::Wait;
    }
    // Final when the lines cannot be offered with more: a block's first
    // lines are all of a small input, or 1 MiB, or a few before a line of
    // half a block or more, which they cannot wait past.
    match detect::detect_start_with(lines, json, !more, strip) {
        Verdict::Found(d) => Decision::Decided(SourceFormat {
            format: Arc::new(d.format),
            detected: Some((d.matched, d.sampled)),
            fields: None,
        }),
        Verdict::Unknown { used, .. } => Decision::Undecided { used },
        Verdict::Wait => Decision::Wait,
    }
}

/// What became of a source, for the report.
pub(super) fn source_report((name, parser): (String, Option<SourceFormat>)) -> SourceReport {
    match parser {
        Some(p) => SourceReport {
            name,
            format: Some(p.format.name().to_string()),
            detected: p.detected,
            has_latency: p.format.has_latency(),
            has_upstream: p.format.has_upstream(),
            has_bytes: p.format.has_bytes(),
            variants: p
                .format
                .variant_names()
                .into_iter()
                .map(String::from)
                .collect(),
        },
        None => SourceReport {
            name,
            ..Default::default()
        },
    }
}

/// What reading a set of inputs to the end on all cores gave.
pub(super) struct ReadAll {
    pub batch: Batch,
    /// How each source was read at its end (by source id): the format
    /// given or detected, as the last W3C header left it.
    pub parsers: Vec<Option<SourceFormat>>,
    /// Inputs that could not be opened or failed while read.
    pub failed: Vec<BatchError>,
}

/// Who else watches a pool read: a backfill shows its progress and can be
/// stopped half-way (its counts are then dropped whole).
#[derive(Clone, Copy, Default)]
pub(super) struct Watch<'a> {
    /// Set: workers take no more blocks.
    pub cancel: Option<&'a AtomicBool>,
    /// Bytes and lines parsed so far, added after each block.
    pub progress: Option<&'a Progress>,
    /// Objectives each worker also counts per minute of log time
    /// (`engine/minutes.rs`); none when empty.
    pub minutes: &'a [Objective],
}

/// Reads `inputs` to the end on `threads` workers whose shards register
/// routes in `registry`.
pub(super) fn read_all(
    inputs: Vec<BatchInput>,
    start: Box<Start<'_, SourceFormat>>,
    router: Arc<Router>,
    cfg: &EngineConfig,
    registry: SharedRegistry,
    threads: usize,
    watch: Watch<'_>,
) -> ReadAll {
    let blocks = Blocks::open(inputs, start).follow(Box::new(header_after));
    let turns = Turns::default();
    let threads = threads.max(1);
    let results: Vec<(Finished, Vec<BlockLines>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let mut shard = BatchShard::new(cfg, registry.clone(), router.clone());
                if !watch.minutes.is_empty() {
                    shard.count_minutes(watch.minutes);
                }
                let (blocks, turns) = (&blocks, &turns);
                scope.spawn(move || work(shard, blocks, turns, watch))
            })
            .collect();
        workers
            .into_iter()
            // A worker panic is a bug; surface it rather than hide counts.
            .map(|w| w.join().expect("parse worker panicked"))
            .collect()
    });
    let (started, failed) = blocks.finish();
    let parsers = started.iter().map(|(_, p)| p.clone()).collect();
    let sources = started.into_iter().map(source_report).collect();
    let (shards, lines): (Vec<Finished>, Vec<Vec<BlockLines>>) = results.into_iter().unzip();
    let batch = Batch::new(
        shards,
        lines.into_iter().flatten().collect(),
        sources,
        registry,
        cfg.bounds_us.clone(),
    );
    ReadAll {
        batch,
        parsers,
        failed,
    }
}

/// Routes (and lines of new methods) a worker holding its input lets
/// await admission at most, past which it waits for the earlier inputs to
/// be done (each holds its lines' statistics per key until then).
const DEFER_ROUTES: usize = 4096;

/// One worker: blocks until there are none left.
fn work(
    mut shard: BatchShard,
    blocks: &Blocks<SourceFormat>,
    turns: &Turns,
    watch: Watch<'_>,
) -> (Finished, Vec<BlockLines>) {
    let mut buf = vec![0u8; BLOCK];
    let mut marks = Marks::default();
    let mut block_lines: Vec<BlockLines> = Vec::new();
    let mut held = Held {
        turns,
        stream: None,
        seqs: Vec::new(),
        end: None,
    };
    loop {
        if watch.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            // A held input goes back, so that no worker waits for it.
            if let Some(stream) = held.stream {
                blocks.release(stream);
            }
            break;
        }
        let want = held.stream.map_or(Want::Any, Want::Held);
        let Some((stream, block)) = blocks.next(&mut buf, want) else {
            break;
        };
        let (seq, end) = (block.seq(), matches!(block, Block::End { .. }));
        // Done when dropped, even by a panic: no worker waits for a block
        // that will never end.
        let turn = Turn {
            turns,
            stream,
            seq,
            end,
        };
        let new_routes = match block {
            Block::Lines {
                src,
                seq,
                len,
                parser,
            } => {
                let n = parse_block(
                    &mut shard,
                    &mut marks,
                    src,
                    seq,
                    &buf[..len],
                    &parser.format,
                );
                block_lines.push((src, seq, n));
                if let Some(p) = watch.progress {
                    p.add(len as u64, n);
                }
                shard.end_block()
            }
            Block::Undecided { src, seq, len } => {
                let n = unparsed_block(&mut shard, src, seq, &buf[..len]);
                block_lines.push((src, seq, n));
                if let Some(p) = watch.progress {
                    p.add(len as u64, n);
                }
                false
            }
            Block::Oversized {
                src,
                seq,
                head,
                len,
            } => {
                shard.oversized(src, &head, len, LinePos { seq, local: 0 });
                block_lines.push((src, seq, 1));
                false
            }
            Block::End { .. } => false,
        };
        if held.stream.is_some() {
            // Done once admitted, with the other held blocks.
            held.seqs.push(seq);
            std::mem::forget(turn);
            if end {
                held.end = Some(seq);
            }
            let first = held.seqs[0];
            let must = end || shard.awaiting_admission() > DEFER_ROUTES;
            if must || turns.ready(stream, first) {
                turns.wait(stream, first);
                shard.admit();
                held.done();
                if !end {
                    blocks.release(stream);
                }
            }
            continue;
        }
        if new_routes {
            turns.wait_within(stream, seq);
            if !turns.ready(stream, seq)
                && shard.awaiting_admission() <= DEFER_ROUTES
                && blocks.hold(stream, seq + 1)
            {
                held.stream = Some(stream);
                held.seqs.push(seq);
                std::mem::forget(turn);
                continue;
            }
            turns.wait(stream, seq);
            shard.admit();
        }
        drop(turn);
    }
    (shard.finish(), block_lines)
}

/// Parses every line of a block; returns the number of lines. Lines and
/// field ends are found through the block's structural index, built here
/// in one pass.
///
/// Inlining decides the cost of a line here. Moving code between modules
/// moved it between codegen units, and LLVM stopped inlining the per-line
/// calls (route lookup, method id, key slot, recording): ~2 % more
/// instructions per line (callgrind, `-j1`, 100 000 lines). So this
/// function is never inlined into the worker's loop, and the calls it makes
/// per line are marked `#[inline(always)]` (each says so), which gives the
/// instruction count of before the move (within 1 %).
#[inline(never)]
fn parse_block(
    shard: &mut BatchShard,
    marks: &mut Marks,
    src: SourceId,
    seq: u32,
    data: &[u8],
    format: &Format,
) -> u64 {
    if !format.reads_block_index() && !format.has_headers() {
        return parse_plain_block(shard, src, seq, data, format);
    }
    marks.index(data);
    if format.has_headers() {
        return parse_headed_block(shard, marks, src, seq, data, format);
    }
    let mut n = 0u64;
    for (start, end) in marks.lines() {
        let pos = LinePos { seq, local: n };
        shard.block_line(src, format, &data[start..end], pos, marks.at(start));
        n += 1;
    }
    n
}

/// [`parse_block`] for a format that finds its fields without the
/// block's index (`Format::reads_block_index`): lines cut by `memchr`,
/// parsed with the plain scan; the index is not built.
#[inline(never)]
fn parse_plain_block(
    shard: &mut BatchShard,
    src: SourceId,
    seq: u32,
    data: &[u8],
    format: &Format,
) -> u64 {
    let mut n = 0u64;
    for line in lines(data) {
        let pos = LinePos { seq, local: n };
        shard.block_line(src, format, line, pos, Plain);
        n += 1;
    }
    n
}

/// [`parse_block`] for a format whose files carry their own header (W3C
/// `#Fields:`): a header line is counted as such, and a `#Fields:` one
/// changes how the block's next lines parse. `format` is the one in force
/// at the block's start ([`header_after`] carried it from the blocks
/// before).
#[inline(never)]
fn parse_headed_block(
    shard: &mut BatchShard,
    marks: &Marks,
    src: SourceId,
    seq: u32,
    data: &[u8],
    format: &Format,
) -> u64 {
    let mut current: Option<Format> = None;
    let mut n = 0u64;
    for (start, end) in marks.lines() {
        let pos = LinePos { seq, local: n };
        let line = &data[start..end];
        n += 1;
        match current.as_ref().unwrap_or(format).header(line) {
            None => {
                let f = current.as_ref().unwrap_or(format);
                shard.block_line(src, f, line, pos, marks.at(start));
            }
            Some(Header::Line) => shard.header(src),
            Some(Header::Fields(next)) => {
                shard.header(src);
                current = Some(next);
            }
        }
    }
    n
}

/// How the blocks after `block` (whole lines of an input read as `p`)
/// parse: `None` when as `p`, else as the last `#Fields:` header in the
/// block says (W3C). Runs at the block reader, under its lock, for formats
/// with headers only: one `memmem` pass over the block.
fn header_after(p: &SourceFormat, block: &[u8]) -> Option<SourceFormat> {
    if !p.format.has_headers() {
        return None;
    }
    let at = memchr::memmem::find_iter(block, b"#Fields:")
        .filter(|&i| i == 0 || block[i - 1] == b'\n')
        .last()?;
    let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |e| at + e);
    match p.format.header(&block[at..end])? {
        Header::Fields(f) => Some(SourceFormat {
            format: Arc::new(f),
            detected: p.detected,
            fields: Some(block[at..end].to_vec()),
        }),
        Header::Line => None,
    }
}

/// Counts every line of a block as unparsed (no format fits its input's
/// lines yet); returns the number of lines.
fn unparsed_block(shard: &mut BatchShard, src: SourceId, seq: u32, data: &[u8]) -> u64 {
    let mut n = 0u64;
    for line in lines(data) {
        shard.unparsed(src, line, LinePos { seq, local: n }, || NO_FORMAT.into());
        n += 1;
    }
    n
}

/// Which blocks are done, for admitting routes in input order: a block is
/// (input, block within it), and every input ends with one more, its end.
#[derive(Default)]
struct Turns {
    order: Mutex<Order>,
    advanced: Condvar,
}

#[derive(Default)]
struct Order {
    /// Every input before this one is done, its end included.
    first: usize,
    inputs: Vec<Done>,
}

/// One input's blocks done.
#[derive(Default)]
struct Done {
    /// Every block before this number is done.
    low: u32,
    /// Done blocks after it.
    later: BTreeSet<u32>,
    /// The number of its end, once done.
    end: Option<u32>,
}

impl Order {
    fn done(&mut self, stream: usize, seq: u32, end: bool) {
        if self.inputs.len() <= stream {
            self.inputs.resize_with(stream + 1, Done::default);
        }
        let p = &mut self.inputs[stream];
        p.later.insert(seq);
        while p.later.remove(&p.low) {
            p.low += 1;
        }
        if end {
            p.end = Some(seq);
        }
        while let Some(p) = self.inputs.get(self.first)
            && p.end.is_some_and(|e| p.low > e)
        {
            self.first += 1;
        }
    }

    /// Are the blocks of `stream` before `seq` done?
    fn within(&self, stream: usize, seq: u32) -> bool {
        self.inputs.get(stream).map_or(0, |p| p.low) >= seq
    }
}

impl Turns {
    fn order(&self) -> std::sync::MutexGuard<'_, Order> {
        self.order.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Is every block before (`stream`, `seq`) done?
    fn ready(&self, stream: usize, seq: u32) -> bool {
        let o = self.order();
        o.first >= stream && o.within(stream, seq)
    }

    /// Waits until every block before (`stream`, `seq`) is done. The
    /// earliest block not done never waits, so this always ends.
    fn wait(&self, stream: usize, seq: u32) {
        let mut o = self.order();
        while !(o.first >= stream && o.within(stream, seq)) {
            o = self.advanced.wait(o).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Waits until the blocks of `stream` before `seq` are done.
    fn wait_within(&self, stream: usize, seq: u32) {
        let mut o = self.order();
        while !o.within(stream, seq) {
            o = self.advanced.wait(o).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn done(&self, stream: usize, seq: u32, end: bool) {
        self.order().done(stream, seq, end);
        self.advanced.notify_all();
    }
}

/// A worker's block, marked done when dropped.
struct Turn<'a> {
    turns: &'a Turns,
    stream: usize,
    seq: u32,
    end: bool,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.turns.done(self.stream, self.seq, self.end);
    }
}

/// The blocks of the input a worker holds, parsed but not done until their
/// routes are admitted; marked done when admitted, or dropped (a panic).
struct Held<'a> {
    turns: &'a Turns,
    stream: Option<usize>,
    seqs: Vec<u32>,
    /// The number of the input's end, among `seqs`.
    end: Option<u32>,
}

impl Held<'_> {
    /// Marks the held blocks done; the worker holds nothing.
    fn done(&mut self) {
        if let Some(stream) = self.stream.take() {
            let mut o = self.turns.order();
            for seq in self.seqs.drain(..) {
                o.done(stream, seq, self.end == Some(seq));
            }
            drop(o);
            self.turns.advanced.notify_all();
        }
        self.end = None;
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.done();
    }
}
