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
//! How an input's lines are read is decided from its first block, before
//! that block goes out, by the caller's `start` (`run/once.rs`: the format
//! given, or the one `auto` detects). When `start` cannot decide, the lines
//! it looked at are set aside and the rest of the block is offered again
//! in place, unless `start` would rather see them with the lines after
//! them ([`Decision::Wait`]): then they are carried to the next block. The
//! lines set aside go out as one [`Block::Undecided`]. This module never
//! parses: it hands each block out with what `start` decided for its input,
//! as changed since by the caller's [`Blocks::follow`], if any, from the
//! blocks handed out before (a log whose header lines change how the lines
//! after them read).
//!
//! A line longer than a whole block is never held: its first bytes are kept
//! as the error sample, the rest is skipped up to the next newline, and the
//! lines after it are read normally. A last line without a newline is parsed
//! like any other (a log cut mid-line yields one counted bad line, not a lost
//! good one).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use super::spec::{Input, InputSpec, expand};
use crate::engine::{MAX_SOURCES, SAMPLE_BYTES, SourceId};

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
    /// The index of the input (as given) it comes from.
    pub input: usize,
}

impl BatchInput {
    /// The files and stdin `inputs` name now, globs expanded, in order, and
    /// the inputs that name none (a glob that matches no file): one input
    /// that cannot be read does not stop the others.
    pub fn expand(inputs: &[Input]) -> (Vec<BatchInput>, Vec<BatchError>) {
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match &input.spec {
                InputSpec::Stdin => out.push(BatchInput {
                    name: input.name.clone().unwrap_or_else(|| "stdin".into()),
                    open: Opener::Stdin,
                    input: i,
                }),
                InputSpec::Path(p) => {
                    let files = match expand(p) {
                        Ok(f) if f.is_empty() => {
                            skipped.push(BatchError::Input(format!("no file matches {p}")));
                            continue;
                        }
                        Ok(f) => f,
                        Err(e) => {
                            skipped.push(BatchError::Input(e));
                            continue;
                        }
                    };
                    let several = files.len() > 1;
                    for f in files {
                        out.push(BatchInput {
                            name: input.file_name(&f, several),
                            open: Opener::File(f),
                            input: i,
                        });
                    }
                }
            }
        }
        (out, skipped)
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
}

/// What a worker got from its turn at the reader.
pub enum Block<P> {
    /// `len` bytes of whole lines at the start of the worker's buffer, and
    /// how their input is read (what `start` decided).
    Lines {
        src: SourceId,
        seq: u32,
        len: usize,
        parser: P,
    },
    /// `len` bytes of whole lines of an input `start` could not decide on
    /// (yet).
    Undecided { src: SourceId, seq: u32, len: usize },
    /// A line longer than a block: its head and full length.
    Oversized {
        src: SourceId,
        seq: u32,
        head: Vec<u8>,
        len: u64,
    },
}

/// An input being read.
struct Current<P> {
    src: SourceId,
    input: BatchInput,
    reader: Box<dyn Read + Send>,
    /// Known once the first block is read.
    parser: Option<P>,
    seq: u32,
}

/// What `start` made of the whole lines it was offered.
pub enum Decision<P> {
    /// Read the input this way, from these lines on.
    Decided(P),
    /// Nothing fits the first `used` bytes of the lines (whole lines): they
    /// go out in a [`Block::Undecided`], and the lines after them are
    /// offered again.
    Undecided { used: usize },
    /// Offer these lines again with the lines after them. Only heeded when
    /// `start` was told they can be (else they count as undecided).
    Wait,
}

/// Decides how an input's lines are read, from the input and its next
/// whole lines; `true` when they could be offered again with more lines
/// after them (lines left in a block after undecided ones, not the
/// input's last), `false` when these are all `start` will see together (a
/// block's first lines, the input's last).
pub type Start<'a, P> = dyn FnMut(&BatchInput, &[u8], bool) -> Decision<P> + Send + 'a;

/// What the caller decides for an input's next blocks from the block just
/// handed out read as `P`: `None` to keep `P` (see [`Blocks::follow`]).
pub type Follow<'a, P> = dyn FnMut(&P, &[u8]) -> Option<P> + Send + 'a;

/// The inputs, read in order, one block per call, by whichever worker is
/// free.
pub struct Blocks<'a, P> {
    pending: std::vec::IntoIter<(BatchInput, Box<dyn Read + Send>)>,
    next_src: usize,
    current: Option<Current<P>>,
    /// The start of a line cut at the end of the previous block.
    carry: Vec<u8>,
    start: Box<Start<'a, P>>,
    follow: Option<Box<Follow<'a, P>>>,
    /// Each input read so far: its name, and what `start` decided (`None`
    /// for an input without a line).
    started: Vec<(String, Option<P>)>,
    /// Inputs that could not be opened, or failed while read (their lines
    /// read before the error count): the others are read all the same.
    failures: Vec<BatchError>,
    /// Blocks handed out so far, over all inputs: the next one's number.
    handed: u64,
}

impl<'a, P: Clone> Blocks<'a, P> {
    /// Opens every input first, so that one that cannot be opened (missing,
    /// a directory, not readable) is known before any work; it is set aside
    /// (see [`Blocks::finish`]) and the others are read. `start` decides how
    /// each input is read, from its first block.
    pub fn open(inputs: Vec<BatchInput>, start: Box<Start<'a, P>>) -> Blocks<'a, P> {
        let mut opened: Vec<(BatchInput, Box<dyn Read + Send>)> = Vec::with_capacity(inputs.len());
        let mut failures = Vec::new();
        for input in inputs {
            let reader: Box<dyn Read + Send> = match &input.open {
                Opener::File(p) => match open_file(p) {
                    Ok(f) => Box::new(f),
                    Err(err) => {
                        failures.push(BatchError::Open {
                            name: input.name.clone(),
                            err,
                        });
                        continue;
                    }
                },
                Opener::Stdin => Box::new(io::stdin()),
            };
            opened.push((input, reader));
        }
        Blocks {
            pending: opened.into_iter(),
            next_src: 0,
            current: None,
            carry: Vec::new(),
            start,
            follow: None,
            started: Vec::new(),
            failures,
            handed: 0,
        }
    }

    /// Lets what the caller decided for an input change from block to
    /// block: after each block of lines goes out read as `P`, `follow` is
    /// shown its lines and may give the value the input's next blocks go
    /// out with (a log whose header lines change how the lines after them
    /// read: the header in force at each block's start must be known to the
    /// worker that parses it, whichever block it read before). Called
    /// under the reader's turn, so keep it cheap.
    pub fn follow(mut self, follow: Box<Follow<'a, P>>) -> Blocks<'a, P> {
        self.follow = Some(follow);
        self
    }

    /// Each input's name and what `start` decided for it (`None`: it had
    /// no line), once every block is handed out; and the inputs that could
    /// not be opened or failed while read, in input order.
    pub fn finish(self) -> (Vec<(String, Option<P>)>, Vec<BatchError>) {
        (self.started, self.failures)
    }

    /// Fills `buf` (of [`BLOCK`] bytes) with the next block of whole lines,
    /// or skips over the next oversized line; `None` once every input is
    /// read. An input that fails while read ends there (kept in `failures`)
    /// and the next one is read. The block's number, in input order, comes
    /// with it.
    pub fn next(&mut self, buf: &mut [u8]) -> Option<(u64, Block<P>)> {
        loop {
            match self.step(buf) {
                Ok(b) => {
                    return b.map(|b| {
                        self.handed += 1;
                        (self.handed - 1, b)
                    });
                }
                Err(e) => {
                    self.failures.push(e);
                    self.end_source();
                }
            }
        }
    }

    fn step(&mut self, buf: &mut [u8]) -> Result<Option<Block<P>>, BatchError> {
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
                        input,
                        reader,
                        parser: None,
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
            if filled == 0 {
                self.end_source();
                continue;
            }
            // The block's whole lines: all of it at the end of the input (a
            // last line may lack its newline), else up to its last newline.
            let at_end = filled < buf.len();
            let whole = match at_end {
                true => Some(filled),
                false => memchr::memrchr(b'\n', &buf[..filled]).map(|i| i + 1),
            };
            let (src, seq) = (cur.src, cur.seq);
            cur.seq += 1;
            if let Some(whole) = whole {
                let (len, block) = match &cur.parser {
                    Some(p) => (whole, lines(src, seq, whole, p.clone())),
                    // Offered until `start` decides, waits or the lines run
                    // out: those it could not decide on go out as one
                    // block, and the rest is carried (one copy, not one per
                    // offer).
                    None => {
                        let mut at = 0;
                        loop {
                            let can_wait = at > 0 && !at_end;
                            match (self.start)(&cur.input, &buf[at..whole], can_wait) {
                                Decision::Decided(p) => {
                                    cur.parser = Some(p.clone());
                                    break match at {
                                        0 => (whole, lines(src, seq, whole, p)),
                                        _ => (at, Block::Undecided { src, seq, len: at }),
                                    };
                                }
                                Decision::Wait if can_wait => {
                                    break (at, Block::Undecided { src, seq, len: at });
                                }
                                Decision::Wait => {
                                    break (
                                        whole,
                                        Block::Undecided {
                                            src,
                                            seq,
                                            len: whole,
                                        },
                                    );
                                }
                                Decision::Undecided { used } => {
                                    // At least a line, at most the rest, so
                                    // that reading always moves on.
                                    let left = whole - at;
                                    at += if used == 0 || used > left { left } else { used };
                                    if at == whole {
                                        break (
                                            whole,
                                            Block::Undecided {
                                                src,
                                                seq,
                                                len: whole,
                                            },
                                        );
                                    }
                                }
                            }
                        }
                    }
                };
                if let (Some(follow), Block::Lines { parser, .. }) = (&mut self.follow, &block)
                    && let Some(next) = follow(parser, &buf[..len])
                {
                    cur.parser = Some(next);
                }
                self.carry.extend_from_slice(&buf[len..filled]);
                if at_end && len == filled {
                    self.end_source();
                }
                return Ok(Some(block));
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

    /// Ends the current input: no more of its bytes are held.
    fn end_source(&mut self) {
        if let Some(c) = self.current.take() {
            self.started.push((c.input.name, c.parser));
        }
        self.carry.clear();
    }
}

/// Opens a file to read; a directory is refused here (on Linux opening one
/// succeeds and only the first read fails, with a less helpful message).
fn open_file(p: &std::path::Path) -> io::Result<File> {
    let f = File::open(p)?;
    if f.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    Ok(f)
}

/// A block of whole lines read as `parser` says.
fn lines<P>(src: SourceId, seq: u32, len: usize, parser: P) -> Block<P> {
    Block::Lines {
        src,
        seq,
        len,
        parser,
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
