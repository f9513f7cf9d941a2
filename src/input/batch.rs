//! Batch reading (`--once`): inputs read to the end, parsed on all cores.
//!
//! There is no reader thread: each worker owns a [`Shard`] and a 1 MiB
//! block, and takes turns, under a lock, at the shared [`Reader`], which
//! fills the worker's block from the current input and cuts it after its
//! last newline (the partial line is carried into the next block). The
//! worker then parses its block outside the lock. Reading into the block on
//! the core that parses it keeps the bytes in that core's cache; with a
//! separate reader thread every block crossed cores and went through a
//! channel, which cost ~5 % more CPU and ~8 % more wall time on 1 M lines
//! (both builds alternated in one run). Memory is one block per worker
//! whatever the input size. Workers' aggregates are returned as they are,
//! for the summary to group.
//!
//! Routes are admitted under the cap in input order, not in the order the
//! workers happen to reach them: blocks are numbered as they are read, and
//! a worker whose block saw new routes registers them only once every
//! earlier block is done ([`Turns`], `Shard::admit`). Only blocks with new
//! routes wait, and only while the route table has room, so the report is
//! the same on every run and at any `-j` at no cost once routes are known.
//!
//! A line longer than a whole block is never held: its first bytes are kept
//! as the error sample, the rest is skipped up to the next newline, and the
//! lines after it are read normally. A last line without a newline is parsed
//! like any other (a log cut mid-line yields one counted bad line, not a lost
//! good one).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use crate::engine::{
    Aggregates, EngineConfig, InputStats, LinePos, SAMPLE_BYTES, Shard, SharedRegistry, SourceId,
};
use crate::format::detect::{self, Detected};
use crate::format::scan::Marks;
use crate::format::{FieldOverride, Format, FormatSpec};
use crate::route::Router;

/// Block size: large enough to amortise the turns at the reader, small
/// enough to stay in L2 while a worker parses it.
pub const BLOCK: usize = 1 << 20;

pub enum Opener {
    File(PathBuf),
    Stdin,
}

/// One input of a batch run.
pub struct BatchInput {
    pub name: String,
    pub open: Opener,
    pub format: FormatSpec,
}

/// What became of an input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceReport {
    pub name: String,
    /// Format used; `None` when the input had no lines to detect one from.
    pub format: Option<String>,
    /// Auto-detection result: sample lines matched / looked at.
    pub detected: Option<(usize, usize)>,
    pub has_latency: bool,
    pub has_upstream: bool,
}

pub struct BatchResult {
    /// Each worker's aggregates, not merged: the summary groups keys across
    /// them (merging first would copy every busy histogram once more).
    pub aggs: Vec<Aggregates>,
    /// Line accounting per source, over all workers.
    pub inputs: Vec<InputStats>,
    pub sources: Vec<SourceReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot read {name}: {err}")]
    Open { name: String, err: io::Error },
    #[error("error reading {name}: {err}")]
    Read { name: String, err: io::Error },
    #[error(
        "cannot detect the format of {name}: no known format matches its first {sampled} lines; give it with -f (a preset, an nginx log_format string, an Apache LogFormat string, json or regex:...)"
    )]
    Undetected { name: String, sampled: usize },
    #[error("{0}")]
    Format(#[from] crate::format::FormatError),
}

/// (source, block, lines in it): turns block positions into line numbers.
type BlockLines = (SourceId, u32, u64);

/// What a worker got from its turn at the reader.
enum Block {
    /// `len` bytes of whole lines at the start of the worker's buffer.
    Lines {
        src: SourceId,
        seq: u32,
        len: usize,
        format: Arc<Format>,
    },
    /// A line longer than a block: its head and full length.
    Oversized {
        src: SourceId,
        seq: u32,
        head: Vec<u8>,
        len: u64,
    },
}

/// An input being read.
struct Current {
    src: SourceId,
    input: BatchInput,
    reader: Box<dyn Read + Send>,
    report: SourceReport,
    /// Known once the first block is read (detected or compiled).
    format: Option<Arc<Format>>,
    seq: u32,
}

/// The inputs, read in order, one block per call, by whichever worker is
/// free.
struct Reader<'a> {
    pending: std::vec::IntoIter<(BatchInput, Box<dyn Read + Send>)>,
    next_src: usize,
    current: Option<Current>,
    /// The start of a line cut at the end of the previous block.
    carry: Vec<u8>,
    json: &'a [FieldOverride],
    reports: Vec<SourceReport>,
    /// Set by the first error; every later call returns `None`.
    failure: Option<BatchError>,
    /// Blocks handed out so far, over all inputs: the next one's number.
    handed: u64,
}

impl Reader<'_> {
    /// Fills `buf` (of [`BLOCK`] bytes) with the next block of whole lines,
    /// or skips over the next oversized line; `None` once every input is
    /// read or reading failed (see `failure`). The block's number, in input
    /// order, comes with it.
    fn next(&mut self, buf: &mut [u8]) -> Option<(u64, Block)> {
        if self.failure.is_some() {
            return None;
        }
        match self.step(buf) {
            Ok(b) => b.map(|b| {
                self.handed += 1;
                (self.handed - 1, b)
            }),
            Err(e) => {
                self.failure = Some(e);
                None
            }
        }
    }

    fn step(&mut self, buf: &mut [u8]) -> Result<Option<Block>, BatchError> {
        loop {
            let cur = match &mut self.current {
                Some(c) => c,
                None => {
                    let Some((input, reader)) = self.pending.next() else {
                        return Ok(None);
                    };
                    let src = self.next_src.min(crate::engine::MAX_SOURCES - 1) as SourceId;
                    self.next_src += 1;
                    self.current.insert(Current {
                        src,
                        report: SourceReport {
                            name: input.name.clone(),
                            ..Default::default()
                        },
                        input,
                        reader,
                        format: None,
                        seq: 0,
                    })
                }
            };
            let read_err = |err| BatchError::Read {
                name: cur.input.name.clone(),
                err,
            };
            let carry = self.carry.len();
            buf[..carry].copy_from_slice(&self.carry);
            self.carry.clear();
            let filled = fill(&mut cur.reader, buf, carry).map_err(read_err)?;
            let format = match &cur.format {
                Some(f) => f.clone(),
                None if filled == 0 => {
                    self.end_source();
                    continue;
                }
                None => {
                    let f = Arc::new(format_of(
                        &cur.input,
                        &mut cur.report,
                        self.json,
                        &buf[..filled],
                    )?);
                    cur.report.format = Some(f.name().to_string());
                    cur.report.has_latency = f.has_latency();
                    cur.report.has_upstream = f.has_upstream();
                    cur.format = Some(f.clone());
                    f
                }
            };
            let (src, seq) = (cur.src, cur.seq);
            if filled < buf.len() {
                // End of input: what is left, newline or not, is the last
                // block.
                self.end_source();
                if filled == 0 {
                    continue;
                }
                return Ok(Some(Block::Lines {
                    src,
                    seq,
                    len: filled,
                    format,
                }));
            }
            cur.seq += 1;
            if let Some(i) = memchr::memrchr(b'\n', &buf[..filled]) {
                self.carry.extend_from_slice(&buf[i + 1..filled]);
                return Ok(Some(Block::Lines {
                    src,
                    seq,
                    len: i + 1,
                    format,
                }));
            }
            // One line fills the whole block: keep its head, skip to its end.
            let head = buf[..SAMPLE_BYTES.min(filled)].to_vec();
            let mut len = filled as u64;
            loop {
                let n = fill(&mut cur.reader, buf, 0).map_err(read_err)?;
                if n == 0 {
                    self.end_source();
                    break;
                }
                match memchr::memchr(b'\n', &buf[..n]) {
                    Some(i) => {
                        len += i as u64;
                        self.carry.extend_from_slice(&buf[i + 1..n]);
                        break;
                    }
                    None => len += n as u64,
                }
            }
            return Ok(Some(Block::Oversized {
                src,
                seq,
                head,
                len,
            }));
        }
    }

    fn end_source(&mut self) {
        if let Some(c) = self.current.take() {
            self.reports.push(c.report);
        }
        self.carry.clear();
    }
}

/// Reads `inputs` to the end on `threads` workers.
pub fn run(
    inputs: Vec<BatchInput>,
    json: &[FieldOverride],
    router: Arc<Router>,
    registry: SharedRegistry,
    cfg: &EngineConfig,
    threads: usize,
) -> Result<BatchResult, BatchError> {
    // Open everything first: a missing file fails the run before any work.
    let mut opened: Vec<(BatchInput, Box<dyn Read + Send>)> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let reader: Box<dyn Read + Send> = match &input.open {
            Opener::File(p) => Box::new(File::open(p).map_err(|err| BatchError::Open {
                name: input.name.clone(),
                err,
            })?),
            Opener::Stdin => Box::new(io::stdin()),
        };
        opened.push((input, reader));
    }

    let reader = Mutex::new(Reader {
        pending: opened.into_iter(),
        next_src: 0,
        current: None,
        carry: Vec::new(),
        json,
        reports: Vec::new(),
        failure: None,
        handed: 0,
    });
    let turns = Turns::default();
    let threads = threads.max(1);
    let results: Vec<(Shard, Vec<BlockLines>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let mut shard = Shard::new(registry.clone(), router.clone(), cfg);
                shard.set_ordered();
                let (reader, turns) = (&reader, &turns);
                scope.spawn(move || {
                    let mut buf = vec![0u8; BLOCK];
                    let mut marks = Marks::default();
                    let mut chunk_lines: Vec<BlockLines> = Vec::new();
                    loop {
                        let block = reader
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .next(&mut buf);
                        let Some((number, block)) = block else {
                            break;
                        };
                        // Done when dropped, even by a panic: no worker
                        // waits for a block that will never end.
                        let turn = Turn { turns, number };
                        match block {
                            Block::Lines {
                                src,
                                seq,
                                len,
                                format,
                            } => {
                                let n = parse_block(
                                    &mut shard,
                                    &mut marks,
                                    src,
                                    seq,
                                    &buf[..len],
                                    &format,
                                );
                                chunk_lines.push((src, seq, n));
                                if shard.has_unadmitted() {
                                    turn.wait();
                                    shard.admit();
                                }
                            }
                            Block::Oversized {
                                src,
                                seq,
                                head,
                                len,
                            } => {
                                shard.oversized(src, &head, len, LinePos { seq, local: 0 });
                                chunk_lines.push((src, seq, 1));
                            }
                        }
                        drop(turn);
                    }
                    // Here, on the worker, not serially in the summary.
                    shard.agg.settle();
                    shard.report_folded();
                    (shard, chunk_lines)
                })
            })
            .collect();
        workers
            .into_iter()
            // A worker panic is a bug; surface it rather than hide counts.
            .map(|w| w.join().expect("parse worker panicked"))
            .collect()
    });
    let reader = reader.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = reader.failure {
        return Err(e);
    }

    let mut aggs = Vec::with_capacity(threads);
    let mut inputs: Vec<InputStats> = Vec::new();
    let mut chunk_lines = Vec::new();
    for (shard, lines) in results {
        chunk_lines.extend(lines);
        if inputs.len() < shard.inputs.len() {
            inputs.resize_with(shard.inputs.len(), InputStats::default);
        }
        for (a, b) in inputs.iter_mut().zip(&shard.inputs) {
            a.merge(b);
        }
        aggs.push(shard.agg);
    }
    resolve_line_numbers(&mut inputs, chunk_lines);
    Ok(BatchResult {
        aggs,
        inputs,
        sources: reader.reports,
    })
}

/// Which blocks are done, for admitting routes in input order.
#[derive(Default)]
struct Turns {
    /// (every block before this number is done, done blocks after it)
    done: Mutex<(u64, BTreeSet<u64>)>,
    advanced: Condvar,
}

/// A worker's block, marked done when dropped.
struct Turn<'a> {
    turns: &'a Turns,
    number: u64,
}

impl Turn<'_> {
    /// Waits until every block before this one is done. The earliest block
    /// not done never waits, so this always ends.
    fn wait(&self) {
        let mut done = self.turns.done.lock().unwrap_or_else(|p| p.into_inner());
        while done.0 < self.number {
            done = self
                .turns
                .advanced
                .wait(done)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut done = self.turns.done.lock().unwrap_or_else(|p| p.into_inner());
        let (low, later) = &mut *done;
        later.insert(self.number);
        while later.remove(low) {
            *low += 1;
        }
        drop(done);
        self.turns.advanced.notify_all();
    }
}

/// Parses every line of a block; returns the number of lines.
/// Lines and field ends are found through the block's structural index
/// (see [`Marks`]), built here in one pass.
fn parse_block(
    shard: &mut Shard,
    marks: &mut Marks,
    src: SourceId,
    seq: u32,
    data: &[u8],
    format: &Format,
) -> u64 {
    marks.index(data);
    let mut n = 0u64;
    for (start, end) in marks.lines() {
        let pos = LinePos { seq, local: n };
        shard.line_deferred(src, format, &data[start..end], pos, marks.at(start));
        n += 1;
    }
    shard.flush();
    n
}

/// Turns (block, line in block) positions of error samples into line numbers.
fn resolve_line_numbers(inputs: &mut [InputStats], mut chunk_lines: Vec<BlockLines>) {
    chunk_lines.sort_unstable();
    for (src, input) in inputs.iter_mut().enumerate() {
        for s in &mut input.samples {
            let before: u64 = chunk_lines
                .iter()
                .filter(|(cs, seq, _)| *cs as usize == src && *seq < s.pos.seq)
                .map(|(_, _, n)| n)
                .sum();
            s.line_no = before + s.pos.local + 1;
        }
    }
}

/// Fills `buf[from..]` from `r` until full or end of input; returns the new
/// fill level (== `from` at end of input).
fn fill(r: &mut dyn Read, buf: &mut [u8], mut from: usize) -> io::Result<usize> {
    while from < buf.len() {
        match r.read(&mut buf[from..]) {
            Ok(0) => break,
            Ok(n) => from += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(from)
}

/// The format of an input: the one given, or detected from its first block.
fn format_of(
    input: &BatchInput,
    report: &mut SourceReport,
    json: &[FieldOverride],
    first: &[u8],
) -> Result<Format, BatchError> {
    match &input.format {
        FormatSpec::Auto => {
            let sample_end = memchr::memrchr(b'\n', first).map_or(first.len(), |i| i + 1);
            let lines: Vec<&[u8]> = first[..sample_end]
                .split(|&c| c == b'\n')
                .take(detect::SAMPLE_LINES * 4)
                .collect();
            match detect::detect(&lines, json) {
                Some(Detected {
                    format,
                    matched,
                    sampled,
                }) => {
                    report.detected = Some((matched, sampled));
                    Ok(format)
                }
                None => Err(BatchError::Undetected {
                    name: input.name.clone(),
                    sampled: lines
                        .iter()
                        .filter(|l| !l.is_empty())
                        .count()
                        .min(detect::SAMPLE_LINES),
                }),
            }
        }
        spec => Ok(Format::compile(spec, json)?),
    }
}
