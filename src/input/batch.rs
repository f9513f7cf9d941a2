//! Batch reading (`--once`): inputs read to the end, parsed on all cores.
//!
//! The calling thread reads each input in 1 MiB blocks, cuts every block
//! after its last newline (the partial line is carried into the next block)
//! and hands blocks to worker threads, each of which owns a [`Shard`]. Blocks
//! are recycled through a pool, so memory is a few MiB whatever the input
//! size. Workers' aggregates are returned as they are, for the summary to
//! group.
//!
//! A line longer than a whole block is never held: its first bytes are kept
//! as the error sample, the rest is skipped up to the next newline, and the
//! lines after it are read normally. A last line without a newline is parsed
//! like any other (a log cut mid-line yields one counted bad line, not a lost
//! good one).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use crate::engine::{
    Aggregates, EngineConfig, InputStats, LinePos, SAMPLE_BYTES, Shard, SharedRegistry, SourceId,
};
use crate::format::detect::{self, Detected};
use crate::format::{FieldOverride, Format, FormatSpec};
use crate::route::Router;

/// Block size: large enough to amortise hand-offs, small enough to stay in
/// L2/L3 while a worker parses it.
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

enum Msg {
    Lines {
        src: SourceId,
        seq: u32,
        buf: Vec<u8>,
        len: usize,
        format: Arc<Format>,
    },
    Oversized {
        src: SourceId,
        seq: u32,
        head: Vec<u8>,
        len: u64,
    },
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

    let threads = threads.max(1);
    let (tx, rx) = sync_channel::<Msg>(threads * 2);
    let rx = Arc::new(Mutex::new(rx));
    let (pool_tx, pool_rx) = std::sync::mpsc::channel::<Vec<u8>>();

    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = rx.clone();
                let pool_tx = pool_tx.clone();
                let mut shard = Shard::new(registry.clone(), router.clone(), cfg);
                scope.spawn(move || {
                    let mut chunk_lines: Vec<(SourceId, u32, u64)> = Vec::new();
                    loop {
                        let msg = {
                            let guard = rx.lock().unwrap_or_else(|p| p.into_inner());
                            guard.recv()
                        };
                        let Ok(msg) = msg else { break };
                        match msg {
                            Msg::Lines {
                                src,
                                seq,
                                buf,
                                len,
                                format,
                            } => {
                                let n = parse_block(&mut shard, src, seq, &buf[..len], &format);
                                chunk_lines.push((src, seq, n));
                                let _ = pool_tx.send(buf);
                            }
                            Msg::Oversized {
                                src,
                                seq,
                                head,
                                len,
                            } => {
                                shard.oversized(src, &head, len, LinePos { seq, local: 0 });
                                chunk_lines.push((src, seq, 1));
                            }
                        }
                    }
                    // Here, on the worker, not serially in the summary.
                    shard.agg.settle();
                    (shard, chunk_lines)
                })
            })
            .collect();
        drop(pool_tx);

        let mut reports = Vec::with_capacity(opened.len());
        let mut failure = None;
        for (i, (input, mut reader)) in opened.into_iter().enumerate() {
            let src = i.min(crate::engine::MAX_SOURCES - 1) as SourceId;
            match read_source(&mut reader, src, &input, json, &tx, &pool_rx) {
                Ok(r) => reports.push(r),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(tx);

        let mut aggs = Vec::with_capacity(threads);
        let mut inputs: Vec<InputStats> = Vec::new();
        let mut chunk_lines = Vec::new();
        for w in workers {
            // A worker panic is a bug; surface it rather than hide counts.
            let (shard, lines) = w.join().expect("parse worker panicked");
            chunk_lines.extend(lines);
            if inputs.len() < shard.inputs.len() {
                inputs.resize_with(shard.inputs.len(), InputStats::default);
            }
            for (a, b) in inputs.iter_mut().zip(&shard.inputs) {
                a.merge(b);
            }
            aggs.push(shard.agg);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        resolve_line_numbers(&mut inputs, chunk_lines);
        Ok(BatchResult {
            aggs,
            inputs,
            sources: reports,
        })
    })
}

/// Parses every line of a block; returns the number of lines.
fn parse_block(shard: &mut Shard, src: SourceId, seq: u32, data: &[u8], format: &Format) -> u64 {
    let mut n = 0u64;
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        shard.line(src, format, &data[start..end], LinePos { seq, local: n });
        n += 1;
        start = end + 1;
    }
    n
}

/// Turns (block, line in block) positions of error samples into line numbers.
fn resolve_line_numbers(inputs: &mut [InputStats], mut chunk_lines: Vec<(SourceId, u32, u64)>) {
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

fn read_source(
    r: &mut dyn Read,
    src: SourceId,
    input: &BatchInput,
    json: &[FieldOverride],
    tx: &SyncSender<Msg>,
    pool: &Receiver<Vec<u8>>,
) -> Result<SourceReport, BatchError> {
    let read_err = |err| BatchError::Read {
        name: input.name.clone(),
        err,
    };
    let take = || pool.try_recv().unwrap_or_else(|_| vec![0u8; BLOCK]);
    let mut report = SourceReport {
        name: input.name.clone(),
        ..Default::default()
    };
    let mut buf = take();
    let mut filled = fill(r, &mut buf, 0).map_err(read_err)?;
    if filled == 0 {
        return Ok(report);
    }

    let format = Arc::new(match &input.format {
        FormatSpec::Auto => {
            let sample_end = memchr::memrchr(b'\n', &buf[..filled]).map_or(filled, |i| i + 1);
            let lines: Vec<&[u8]> = buf[..sample_end]
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
                    format
                }
                None => {
                    let sampled = lines
                        .iter()
                        .filter(|l| !l.is_empty())
                        .count()
                        .min(detect::SAMPLE_LINES);
                    return Err(BatchError::Undetected {
                        name: input.name.clone(),
                        sampled,
                    });
                }
            }
        }
        spec => Format::compile(spec, json)?,
    });
    report.format = Some(format.name().to_string());
    report.has_latency = format.has_latency();
    report.has_upstream = format.has_upstream();

    let mut seq = 0u32;
    let send = |msg: Msg| {
        // Workers only stop when the channel closes, so a send cannot fail
        // while we hold the sender; if it did, the join reports the panic.
        let _ = tx.send(msg);
    };
    loop {
        let at_eof = filled < buf.len();
        if at_eof {
            if filled > 0 {
                send(Msg::Lines {
                    src,
                    seq,
                    buf,
                    len: filled,
                    format: format.clone(),
                });
            }
            return Ok(report);
        }
        match memchr::memrchr(b'\n', &buf[..filled]) {
            Some(i) => {
                let mut next = take();
                let carry = filled - (i + 1);
                next[..carry].copy_from_slice(&buf[i + 1..filled]);
                send(Msg::Lines {
                    src,
                    seq,
                    buf,
                    len: i + 1,
                    format: format.clone(),
                });
                seq += 1;
                buf = next;
                filled = fill(r, &mut buf, carry).map_err(read_err)?;
            }
            None => {
                // One line fills the whole block: keep its head, skip to its end.
                let head = buf[..SAMPLE_BYTES.min(filled)].to_vec();
                let mut len = filled as u64;
                let rest = loop {
                    let n = fill(r, &mut buf, 0).map_err(read_err)?;
                    if n == 0 {
                        break 0..0;
                    }
                    match memchr::memchr(b'\n', &buf[..n]) {
                        Some(i) => {
                            len += i as u64;
                            break i + 1..n;
                        }
                        None => len += n as u64,
                    }
                };
                send(Msg::Oversized {
                    src,
                    seq,
                    head,
                    len,
                });
                seq += 1;
                let carry = rest.len();
                buf.copy_within(rest, 0);
                filled = fill(r, &mut buf, carry).map_err(read_err)?;
                if filled == 0 {
                    return Ok(report);
                }
            }
        }
    }
}
