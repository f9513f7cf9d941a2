//! Reading inputs to the end in blocks of whole lines (`--once`).
//!
//! [`Blocks`] hands out, one call at a time, the next block of whole lines
//! of the inputs in order: each batch worker takes its turn at it under a
//! lock, with a 1 MiB buffer of its own, which the call fills from the
//! current input and cuts after its last newline (the partial line is
//! carried into the next block). The worker then parses its block outside
//! the lock. Reading into the block on the core that parses it keeps the
//! bytes in that core's cache; with a separate reader thread every block
//! crossed cores and went through a channel, which cost ~5 % more CPU and
//! ~8 % more wall time on 1 M lines (both builds alternated in one run).
//! Memory is one block per worker whatever the input size. Blocks are
//! numbered in input order, which the workers use to admit routes in that
//! order (`run/once.rs`).
//!
//! The format of each input is known before its first block goes out: the
//! one given, or the one `auto` detects from that block
//! (`format::detect::detect_start`, the rules live mode uses too); an input
//! no format fits fails the run.
//!
//! A line longer than a whole block is never held: its first bytes are kept
//! as the error sample, the rest is skipped up to the next newline, and the
//! lines after it are read normally. A last line without a newline is parsed
//! like any other (a log cut mid-line yields one counted bad line, not a lost
//! good one).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use super::spec::{Input, InputSpec, expand};
use crate::engine::{MAX_SOURCES, SAMPLE_BYTES, SourceId, SourceReport};
use crate::format::detect;
use crate::format::{FieldOverride, Format};

/// Block size: large enough to amortise the turns at the reader, small
/// enough to stay in L2 while a worker parses it.
pub const BLOCK: usize = 1 << 20;

/// The longest line limit (`--max-line`) the readers can hold: a line and
/// the carry before it must fit in a block.
pub const MAX_LINE_LIMIT: usize = BLOCK / 2;

pub enum Opener {
    File(PathBuf),
    Stdin,
}

/// One input of a batch run: a file (a glob's matches are one each) or
/// stdin.
pub struct BatchInput {
    pub name: String,
    pub open: Opener,
    /// `None`: detect it.
    pub format: Option<Arc<Format>>,
}

impl BatchInput {
    /// The inputs `inputs` name now, globs expanded, in order: `formats`
    /// has the format of each (`None`: detect it). A glob that matches no
    /// file fails.
    pub fn expand(
        inputs: &[Input],
        formats: &[Option<Arc<Format>>],
    ) -> Result<Vec<BatchInput>, BatchError> {
        let mut out = Vec::new();
        for (input, format) in inputs.iter().zip(formats) {
            match &input.spec {
                InputSpec::Stdin => out.push(BatchInput {
                    name: input.name.clone().unwrap_or_else(|| "stdin".into()),
                    open: Opener::Stdin,
                    format: format.clone(),
                }),
                InputSpec::Path(p) => {
                    let files = expand(p).map_err(BatchError::Input)?;
                    if files.is_empty() {
                        return Err(BatchError::Input(format!("no file matches {p}")));
                    }
                    for f in files {
                        out.push(BatchInput {
                            name: input.file_name(&f),
                            open: Opener::File(f),
                            format: format.clone(),
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Input(String),
    #[error("cannot read {name}: {err}")]
    Open { name: String, err: io::Error },
    #[error("error reading {name}: {err}")]
    Read { name: String, err: io::Error },
    #[error(
        "cannot detect the format of {name}: no known format matches its first {sampled} lines; give it with -f (a preset, an nginx log_format string, an Apache LogFormat string, json or regex:...)"
    )]
    Undetected { name: String, sampled: usize },
}

/// What a worker got from its turn at the reader.
pub enum Block {
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
pub struct Blocks<'a> {
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

impl<'a> Blocks<'a> {
    /// Opens every input first: a missing file fails the run before any
    /// work.
    pub fn open(
        inputs: Vec<BatchInput>,
        json: &'a [FieldOverride],
    ) -> Result<Blocks<'a>, BatchError> {
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
        Ok(Blocks {
            pending: opened.into_iter(),
            next_src: 0,
            current: None,
            carry: Vec::new(),
            json,
            reports: Vec::new(),
            failure: None,
            handed: 0,
        })
    }

    /// What became of each input, once every block is handed out; the
    /// first error if reading failed.
    pub fn finish(self) -> Result<Vec<SourceReport>, BatchError> {
        match self.failure {
            Some(e) => Err(e),
            None => Ok(self.reports),
        }
    }

    /// Fills `buf` (of [`BLOCK`] bytes) with the next block of whole lines,
    /// or skips over the next oversized line; `None` once every input is
    /// read or reading failed (see `failure`). The block's number, in input
    /// order, comes with it.
    pub fn next(&mut self, buf: &mut [u8]) -> Option<(u64, Block)> {
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
                    let src = self.next_src.min(MAX_SOURCES - 1) as SourceId;
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
                    let f = format_of(&cur.input, &mut cur.report, self.json, &buf[..filled])?;
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
) -> Result<Arc<Format>, BatchError> {
    if let Some(f) = &input.format {
        return Ok(f.clone());
    }
    // The first block is all the input has, or a whole block: it decides.
    match detect::detect_now(first, json) {
        Ok(d) => {
            report.detected = Some((d.matched, d.sampled));
            Ok(Arc::new(d.format))
        }
        Err(sampled) => Err(BatchError::Undetected {
            name: input.name.clone(),
            sampled,
        }),
    }
}
