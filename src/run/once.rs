//! `--once`: every input read to the end on all cores, then one report.
//!
//! Each worker owns a [`BatchShard`] and a 1 MiB buffer, and takes turns,
//! under a lock, at the shared block reader (`input::Blocks`), which fills
//! its buffer with the next block of whole lines; it parses the block
//! outside the lock (lines and field ends found through the block's
//! structural index, `format::scan::Marks`). Workers' shards are summarised
//! together at the end (`engine::Batch`), without being merged first.
//!
//! Routes are admitted under the cap in input order, not in the order the
//! workers happen to reach them: blocks are numbered by (input, block
//! within it) as they are read, and a worker whose block saw new routes
//! registers them only once every earlier block is done ([`Turns`],
//! `BatchShard::admit`): every block of every earlier input, then the
//! earlier blocks of its own. Input order is the order inputs are named,
//! a glob's files oldest first (`input::expand`). Only blocks with new
//! routes wait, and only while the route table has room, so the report is
//! the same on every run and at any `-j` (equal to `-j1`, which reads the
//! inputs one after the other) at no cost once routes are known.
//!
//! Several inputs are read at once (`input::Blocks`): a worker on a later
//! input whose block saw new routes while an earlier input is still being
//! read would wait for that whole input. Instead it *holds* its input (no
//! other worker takes its blocks) and reads on, keeping the new routes'
//! lines aside (they are recorded at admission, `BatchShard::admit`, which
//! registers the routes of all the held blocks in the order of their first
//! lines: the order one reader would have met them). It admits as soon as
//! the earlier inputs are done, and waits for them only at its input's end
//! or when [`DEFER_ROUTES`] routes await admission (which bounds the
//! memory they take).

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};

use super::error::Error;
use crate::config::{Config, OutputFormat};
use crate::engine::slo::{Compliance, Matcher, Objective};
use crate::engine::summary::Summary;
use crate::engine::{
    Batch, BatchShard, BlockLines, EngineConfig, Finished, LinePos, SourceId, SourceReport,
};
use crate::format::detect::{self, NO_FORMAT, Verdict};
use crate::format::prefix::Strip;
use crate::format::scan::{Marks, Plain, lines};
use crate::format::{FieldOverride, Format, Header};
use crate::input::{BLOCK, BatchError, BatchInput, Block, Blocks, Decision, Start, Want};
use crate::route::Router;
use crate::view::{export, report};

/// What reading every input to the end gave.
pub struct BatchReport {
    /// Per route and per key, with percentiles: what the report prints.
    pub summary: Summary,
    /// The counts it was made from.
    pub batch: Batch,
    /// Inputs left out of the report or cut short, one line each: not
    /// found, not readable, failed while read, or whose format could not be
    /// detected (those lines are counted as unparsed).
    pub skipped: Vec<String>,
}

/// What a `--once` run may end with besides its report: [`Error::Partial`]
/// when inputs were skipped, [`Error::NothingParsed`] when lines were read
/// and none parsed (unless `allow_empty`).
fn outcome(read: &BatchReport, allow_empty: bool) -> Result<(), Error> {
    let lines: u64 = read.batch.inputs.iter().map(|i| i.lines).sum();
    let requests: u64 = read.batch.inputs.iter().map(|i| i.requests).sum();
    if lines > 0 && requests == 0 && !allow_empty {
        return Err(Error::NothingParsed(format!(
            "not one of the {lines} lines read parsed as a request (see the parse errors above; give the format with -f, or --allow-empty to accept an empty report)"
        )));
    }
    match read.skipped.len() {
        0 => Ok(()),
        n => Err(Error::Partial(format!(
            "partial report: {n} input{} could not be read or parsed (said above)",
            if n == 1 { "" } else { "s" }
        ))),
    }
}

/// `--once`: reads every input, writes the report as `output` (the `top`
/// busiest routes, or all) to `out` and the parse-error summary to `err`,
/// then pushes the result if asked.
pub fn run(
    config: &Config,
    output: OutputFormat,
    top: Option<usize>,
    allow_empty: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let mut read = once(config)?;
    // Said first, so that the one-line outcome at the end refers back to it.
    for msg in &read.skipped {
        writeln!(err, "routetop: {msg}")?;
    }
    // Objectives (`--slo`), from the exact key counters.
    let slo: Vec<(Objective, Compliance)> = match config.slo.is_empty() {
        true => Vec::new(),
        false => {
            let snap = read.batch.snapshot();
            let c = Matcher::new(&config.slo).evaluate(&snap.keys, &snap.buckets_us);
            config.slo.iter().cloned().zip(c).collect()
        }
    };
    let data = report::ReportData {
        summary: &read.summary,
        sources: &read.batch.sources,
        inputs: &read.batch.inputs,
        slo: &slo,
    };
    // The writers buffer (stdout is line-buffered, and a JSON report of
    // many routes is ~100 000 lines: 50 ms of write calls unbuffered) and
    // flush. A JSON report uses both cores.
    match output {
        OutputFormat::Table => report::table(out, &data, top),
        OutputFormat::Json => report::json(out, &data),
        OutputFormat::Csv => report::csv(out, &data, top).and_then(|()| report::slo(err, &data)),
    }?;
    if config.export.push.is_none() {
        // Nothing reads the aggregates after the summary without --push.
        // Freeing every key's histograms took ~1.5 ms on 1 M lines: do it
        // on another thread while the rest is written and the process ends
        // (if no thread can be had, the failed spawn drops them here).
        let aggs = std::mem::take(&mut read.batch.aggs);
        let _ = std::thread::Builder::new().spawn(move || drop(aggs));
    }
    report::parse_errors(err, &read.batch.sources, &read.batch.inputs)?;
    // `--push`: after the report, so a slow or absent Pushgateway never
    // delays it; failures are reported, not fatal.
    if config.export.push.is_some() {
        for msg in export::push_once(&config.export, &read.batch.snapshot()) {
            writeln!(err, "routetop: {msg}")?;
        }
    }
    let violated: Vec<&str> = slo
        .iter()
        .filter(|(o, c)| c.violated(o.target))
        .map(|(o, _)| o.name.as_str())
        .collect();
    // A violated objective is what a gate on a log asks about: it wins
    // over a partial report (said above in any case).
    if !violated.is_empty() {
        if let Err(e) = outcome(&read, allow_empty) {
            writeln!(err, "routetop: {e}")?;
        }
        return Err(Error::SloViolated(format!(
            "objective{} not met: {}",
            if violated.len() == 1 { "" } else { "s" },
            violated.join(", ")
        )));
    }
    outcome(&read, allow_empty)
}

/// Reads every input to the end and summarises it. An input that cannot be
/// read, or an `auto` input whose lines no format fits, is left out and
/// listed in [`BatchReport::skipped`]; the run fails only when that leaves
/// nothing to report (every input is such).
pub fn once(config: &Config) -> Result<BatchReport, Error> {
    let router = Arc::new(Router::new(&config.routes, config.templating).map_err(Error::Input)?);
    // Exact histogram bucket counters only matter to Prometheus and to
    // latency objectives: a report without --push or --slo skips them (one
    // cache miss less per line).
    let buckets: &[f64] = if config.export.push.is_some() || !config.slo.is_empty() {
        &config.buckets
    } else {
        &[]
    };
    let engine = EngineConfig::new(config.max_routes, config.max_line, buckets);
    let formats = config.formats();
    let (inputs, not_found) = BatchInput::expand(&config.input_list());
    let start = Box::new(move |input: &BatchInput, lines: &[u8], more: bool| {
        let strip = config.strip_prefix.as_ref();
        source_format(
            &formats[input.input],
            &config.json_fields,
            strip,
            lines,
            more,
        )
    });
    let (batch, failed) = read_all(inputs, start, router, &engine, config.threads);
    let mut skipped: Vec<String> = not_found
        .iter()
        .chain(&failed)
        .map(|e| e.to_string())
        .collect();
    for (src, st) in batch.sources.iter().zip(&batch.inputs) {
        if src.format.is_none() && st.lines > 0 {
            skipped.push(format!(
                "cannot detect the format of {}: no known format matches any of its {} lines; give it with -f (a preset, an nginx log_format string, an Apache LogFormat string, json or regex:...)",
                src.name, st.lines
            ));
        }
    }
    // Nothing to report: every input named was skipped (an input with no
    // line is read, not skipped).
    let read_some = batch.sources.iter().any(|s| s.format.is_some());
    if !skipped.is_empty() && !read_some {
        return Err(Error::Input(match skipped.len() {
            1 => skipped.remove(0),
            _ => format!("no input could be read: {}", skipped.join("; ")),
        }));
    }
    let summary = batch.summary(config.threads);
    Ok(BatchReport {
        summary,
        batch,
        skipped,
    })
}

/// How a source's lines are parsed: its format, and how well `auto` fit
/// the sample it was detected from.
#[derive(Clone)]
struct SourceFormat {
    format: Arc<Format>,
    detected: Option<(usize, usize)>,
}

/// The format of an input, decided from its next whole `lines` (`more`:
/// they can be offered again with the lines after them): the one given, or
/// the one `auto` detects from them (`format/detect.rs`). When no format
/// fits, the lines the detector looked at are counted as unparsed, and the
/// lines after them are tried. Lines that could be offered with more wait
/// for them unless their verdict is settled: each sample is then the one a
/// whole block would give, wherever the block reader cut.
fn source_format(
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
        }),
        Verdict::Unknown { used, .. } => Decision::Undecided { used },
        Verdict::Wait => Decision::Wait,
    }
}

/// What became of a source, for the report.
fn source_report((name, parser): (String, Option<SourceFormat>)) -> SourceReport {
    match parser {
        Some(p) => SourceReport {
            name,
            format: Some(p.format.name().to_string()),
            detected: p.detected,
            has_latency: p.format.has_latency(),
            has_upstream: p.format.has_upstream(),
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

/// Reads `inputs` to the end on `threads` workers; also returns the inputs
/// that could not be opened or failed while read.
fn read_all(
    inputs: Vec<BatchInput>,
    start: Box<Start<'_, SourceFormat>>,
    router: Arc<Router>,
    cfg: &EngineConfig,
    threads: usize,
) -> (Batch, Vec<BatchError>) {
    let registry = cfg.registry();
    let blocks = Blocks::open(inputs, start).follow(Box::new(header_after));
    let turns = Turns::default();
    let threads = threads.max(1);
    let results: Vec<(Finished, Vec<BlockLines>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let shard = BatchShard::new(cfg, registry.clone(), router.clone());
                let (blocks, turns) = (&blocks, &turns);
                scope.spawn(move || work(shard, blocks, turns))
            })
            .collect();
        workers
            .into_iter()
            // A worker panic is a bug; surface it rather than hide counts.
            .map(|w| w.join().expect("parse worker panicked"))
            .collect()
    });
    let (started, failed) = blocks.finish();
    let sources = started.into_iter().map(source_report).collect();
    let (shards, lines): (Vec<Finished>, Vec<Vec<BlockLines>>) = results.into_iter().unzip();
    let batch = Batch::new(
        shards,
        lines.into_iter().flatten().collect(),
        sources,
        registry,
        cfg.bounds_us.clone(),
    );
    (batch, failed)
}

/// Routes a worker holding its input lets await admission at most, past
/// which it waits for the earlier inputs to be done (each holds its lines'
/// statistics per key until then).
const DEFER_ROUTES: usize = 4096;

/// One worker: blocks until there are none left.
fn work(
    mut shard: BatchShard,
    blocks: &Blocks<SourceFormat>,
    turns: &Turns,
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
                shard.end_block()
            }
            Block::Undecided { src, seq, len } => {
                let n = unparsed_block(&mut shard, src, seq, &buf[..len]);
                block_lines.push((src, seq, n));
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
            let must = end || shard.unadmitted_routes() > DEFER_ROUTES;
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
                && shard.unadmitted_routes() <= DEFER_ROUTES
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
    inputs: Vec<Progress>,
}

/// One input's blocks done.
#[derive(Default)]
struct Progress {
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
            self.inputs.resize_with(stream + 1, Progress::default);
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
