//! Reading inputs to the end in blocks of whole lines (`--once`).
//!
//! [`Blocks`] hands out, one call at a time, the next block of whole lines
//! of an input: each batch worker calls it with a 1 MiB buffer of its own,
//! which the call fills from the input ([`READ`] bytes once the input's
//! format is decided, more for a longer line) and cuts after its last
//! newline (the partial line is carried into the input's next block). The
//! worker then parses its block. Reading into the block on the core that
//! parses it keeps the bytes in that core's cache; with a separate reader
//! thread every block crossed cores and went through a channel, which cost
//! ~5 % more CPU and ~8 % more wall time on 1 M lines (both builds
//! alternated in one run).
//! Memory is one block per worker, plus the carry of each input being read.
//!
//! Inputs are *streams* read in parallel: one worker at a time reads a
//! given input (a read is sequential), but a worker finding the earliest
//! unfinished input busy takes the next one. One plain file is thus read by
//! the workers in turn, as before; a rotated set of compressed files, whose
//! blocks take as long to decompress as to parse, is decompressed by every
//! worker at once, each on its own file. Each input is read whole before
//! the later inputs are started by a free worker, so at most one input per
//! worker is open for decoding at a time. Blocks are numbered by (input,
//! block within it), which is the order the workers use to admit routes
//! (`run/once.rs`); a worker may ask to [`Blocks::hold`] an input, so that
//! only it reads that input's next blocks. The end of every input is handed
//! out too ([`Block::End`]), with its number of blocks.
//!
//! An input's first bytes say what it is (`decode.rs`): text, a gzip, zstd,
//! bzip2 or xz stream (decompressed as it is read, whatever its name), or
//! binary (not read: one error naming it). A read that fails — a damaged
//! compressed stream, an I/O error — ends its input: the lines read before
//! it count (a last partial line too), and the error is kept.
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

mod read;

use std::io::{self, Read};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::opener::{BatchError, BatchInput, Opener, Range, open_file};
use crate::engine::{MAX_SOURCES, SourceId};
use read::{ReadOut, Reader, read};

/// A worker's buffer: the longest block, which holds a line of up to
/// [`MAX_LINE_LIMIT`] bytes after the carry before it.
pub const BLOCK: usize = 1 << 20;

/// Bytes read into a block once its input's format is decided, when its
/// lines are shorter (a longer line is read on, up to [`BLOCK`]): large
/// enough to amortise the turns at the reader, small enough that the
/// bytes the kernel copies in are still in the core's cache when the
/// block's index and its lines read them, along with the worker's
/// counters. Read 1 MiB at a time, `--once` on 1 M lines took 3-5 % more
/// CPU (both builds alternated in one run; 128 KiB was no better).
/// An input's first block is still read whole: the lines `auto` detects a
/// format from are the same whatever this size.
pub const READ: usize = 1 << 18;

/// The longest line limit (`--max-line`) the readers can hold: a line and
/// the carry before it must fit in a block.
pub const MAX_LINE_LIMIT: usize = BLOCK / 2;

/// What a worker got from its turn at an input.
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
    /// The input has no more blocks: `seq` of them came before (this is
    /// numbered `seq`, after them).
    End { seq: u32 },
}

impl<P> Block<P> {
    /// Its number within its input.
    pub fn seq(&self) -> u32 {
        match self {
            Block::Lines { seq, .. }
            | Block::Undecided { seq, .. }
            | Block::Oversized { seq, .. }
            | Block::End { seq } => *seq,
        }
    }
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

/// Which input a worker wants its next block from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// The earliest input not being read by another worker.
    Any,
    /// This input, which the worker holds ([`Blocks::hold`]).
    Held(usize),
}

/// An input being read, or to be read.
struct Stream<P> {
    src: SourceId,
    input: BatchInput,
    /// `None` while a worker reads it, and once it has ended.
    reader: Option<Reader>,
    /// A worker is reading it.
    busy: bool,
    /// Only its holder may read it.
    held: bool,
    /// Known once its first lines are read.
    parser: Option<P>,
    /// Blocks handed out so far.
    seq: u32,
    /// The start of a line cut at the end of the previous block.
    carry: Vec<u8>,
    /// No more bytes will be read.
    ended: bool,
    /// Its [`Block::End`] is handed out.
    done: bool,
    /// Why it ended early (its lines before that count).
    failure: Option<BatchError>,
}

/// What the caller decides for an input's next blocks from the block just
/// handed out read as `P`: `None` to keep `P` (see [`Blocks::follow`]).
pub type Follow<'a, P> = dyn FnMut(&P, &[u8]) -> Option<P> + Send + 'a;

/// Everything the reads share, under one lock.
struct State<'a, P> {
    streams: Vec<Stream<P>>,
    /// Every stream before this one is done.
    first: usize,
    start: Box<Start<'a, P>>,
    follow: Option<Box<Follow<'a, P>>>,
    /// Inputs that could not be opened.
    failures: Vec<BatchError>,
}

/// The inputs, each read in order, one block per call, by whichever worker
/// is free, several inputs at once.
pub struct Blocks<'a, P> {
    state: Mutex<State<'a, P>>,
    /// A stream stopped being busy or held.
    freed: Condvar,
}

impl<'a, P: Clone> Blocks<'a, P> {
    /// Opens every input first, so that one that cannot be opened (missing,
    /// a directory, not readable) is known before any work; it is set aside
    /// (see [`Blocks::finish`]) and the others are read. `start` decides how
    /// each input is read, from its first block.
    pub fn open(inputs: Vec<BatchInput>, start: Box<Start<'a, P>>) -> Blocks<'a, P> {
        let mut streams = Vec::with_capacity(inputs.len());
        let mut failures = Vec::new();
        for mut input in inputs {
            let reader = match &mut input.open {
                Opener::File(p) => match open_file(p) {
                    Ok(f) => Reader::Raw(Box::new(f)),
                    Err(err) => {
                        failures.push(BatchError::Open {
                            name: input.name.clone(),
                            err,
                        });
                        continue;
                    }
                },
                Opener::Stdin => Reader::Raw(Box::new(io::stdin())),
                Opener::Stream(r) => Reader::Raw(std::mem::replace(r, Box::new(io::empty()))),
                Opener::Range {
                    head,
                    file,
                    from,
                    to,
                    copy,
                } => {
                    let range = Range::new(file.clone(), *from, *to, copy.take());
                    let head = io::Cursor::new(std::mem::take(head));
                    Reader::Text(Box::new(head.chain(range)))
                }
            };
            streams.push(Stream {
                src: streams.len().min(MAX_SOURCES - 1) as SourceId,
                input,
                reader: Some(reader),
                busy: false,
                held: false,
                parser: None,
                seq: 0,
                carry: Vec::new(),
                ended: false,
                done: false,
                failure: None,
            });
        }
        Blocks {
            state: Mutex::new(State {
                streams,
                first: 0,
                start,
                follow: None,
                failures,
            }),
            freed: Condvar::new(),
        }
    }

    /// Lets what the caller decided for an input change from block to
    /// block: after each block of lines goes out read as `P`, `follow` is
    /// shown its lines and may give the value the input's next blocks go
    /// out with (a log whose header lines change how the lines after them
    /// read: the header in force at each block's start must be known to the
    /// worker that parses it, whichever worker read the block before).
    /// Called under the lock, in each input's block order: keep it cheap.
    pub fn follow(mut self, follow: Box<Follow<'a, P>>) -> Blocks<'a, P> {
        self.state
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .follow = Some(follow);
        self
    }

    /// Each input's name and what `start` decided for it (`None`: it had
    /// no line), in input order, once every block is handed out; and the
    /// inputs that could not be opened, then those that failed while read
    /// (binary, damaged, an I/O error), in input order.
    pub fn finish(self) -> (Vec<(String, Option<P>)>, Vec<BatchError>) {
        let state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut failures = state.failures;
        let mut started = Vec::with_capacity(state.streams.len());
        for s in state.streams {
            failures.extend(s.failure);
            started.push((s.input.name, s.parser));
        }
        (started, failures)
    }

    fn lock(&self) -> MutexGuard<'_, State<'a, P>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets only the caller read input `stream` from now on, if no other
    /// worker is reading it and its blocks handed out so far are `seq`
    /// (none went to another worker since the caller's last): `false`
    /// otherwise. Until [`Blocks::release`], ask for its blocks with
    /// [`Want::Held`].
    pub fn hold(&self, stream: usize, seq: u32) -> bool {
        let mut st = self.lock();
        let s = &mut st.streams[stream];
        let ok = !s.busy && !s.done && s.seq == seq;
        s.held |= ok;
        ok
    }

    /// Ends [`Blocks::hold`]: any worker may read the input again.
    pub fn release(&self, stream: usize) {
        self.lock().streams[stream].held = false;
        self.freed.notify_all();
    }

    /// Fills `buf` (of [`BLOCK`] bytes) with the next block of whole lines
    /// of an input (which, `want` says), skips over its next oversized
    /// line, or hands out its end; with the input's index. `None` once
    /// every input is done (with [`Want::Any`]). Waits while the inputs
    /// left are all being read by others.
    pub fn next(&self, buf: &mut [u8], want: Want) -> Option<(usize, Block<P>)> {
        let mut st = self.lock();
        let i = loop {
            let pick = match want {
                Want::Held(i) if st.streams[i].done => return None,
                Want::Held(i) => (!st.streams[i].busy).then_some(i),
                Want::Any => {
                    let first = st.first;
                    let free = st.streams[first..]
                        .iter()
                        .position(|s| !s.done && !s.busy && !s.held);
                    if free.is_none() && st.streams[first..].iter().all(|s| s.done) {
                        return None;
                    }
                    free.map(|k| first + k)
                }
            };
            match pick {
                Some(i) => break i,
                None => st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner()),
            }
        };
        let s = &mut st.streams[i];
        if s.ended {
            return Some((i, self.end(&mut st, i)));
        }
        s.busy = true;
        let reader = s.reader.take();
        let carry = std::mem::take(&mut s.carry);
        let name = s.input.name.clone();
        let size = if s.parser.is_some() { READ } else { buf.len() };
        drop(st);
        // Outside the lock: the copy, the decompression, the system calls.
        let reading = Reading { blocks: self, i };
        let got = read(reader, carry, buf, size, &name);
        std::mem::forget(reading);
        let mut st = self.lock();
        let block = self.cut(&mut st, i, got, buf);
        st.streams[i].busy = false;
        drop(st);
        self.freed.notify_all();
        Some((i, block))
    }

    /// Hands out the end of stream `i`.
    fn end(&self, st: &mut State<'a, P>, i: usize) -> Block<P> {
        let s = &mut st.streams[i];
        s.done = true;
        s.held = false;
        s.reader = None;
        s.carry = Vec::new();
        let seq = s.seq;
        while st.first < st.streams.len() && st.streams[st.first].done {
            st.first += 1;
        }
        self.freed.notify_all();
        Block::End { seq }
    }

    /// Makes the block of stream `i` from what was read into `buf`, deciding
    /// how the stream is read if not yet decided.
    fn cut(&self, st: &mut State<'a, P>, i: usize, got: ReadOut, buf: &[u8]) -> Block<P> {
        let State {
            streams,
            start,
            follow,
            ..
        } = st;
        let s = &mut streams[i];
        s.reader = got.reader;
        s.carry = got.carry;
        if got.error.is_some() {
            s.failure = got.error;
            s.ended = true;
        }
        if got.at_end {
            s.ended = true;
        }
        let (src, seq) = (s.src, s.seq);
        if let Some((head, len)) = got.oversized {
            s.seq += 1;
            return Block::Oversized {
                src,
                seq,
                head,
                len,
            };
        }
        let filled = got.filled;
        if filled == 0 {
            s.ended = true;
            return self.end(st, i);
        }
        s.seq += 1;
        // The block's whole lines: all of it at the end of the input (a
        // last line may lack its newline), else up to its last newline
        // (there is one: else the line was oversized).
        let whole = match got.at_end {
            true => filled,
            false => memchr::memrchr(b'\n', &buf[..filled]).map_or(filled, |i| i + 1),
        };
        let (len, block) = match &s.parser {
            Some(p) => (whole, lines(src, seq, whole, p.clone())),
            // Offered until `start` decides, waits or the lines run out:
            // those it could not decide on go out as one block, and the
            // rest is carried (one copy, not one per offer).
            None => {
                let mut at = 0;
                loop {
                    let can_wait = at > 0 && !got.at_end;
                    match start(&s.input, &buf[at..whole], can_wait) {
                        Decision::Decided(p) => {
                            s.parser = Some(p.clone());
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
                            // At least a line, at most the rest, so that
                            // reading always moves on.
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
        if let (Some(follow), Block::Lines { parser, .. }) = (follow, &block)
            && let Some(next) = follow(parser, &buf[..len])
        {
            s.parser = Some(next);
        }
        if len < filled {
            // Carried before what the read left over (nothing, unless an
            // oversized line was skipped, which never comes with lines).
            let mut carry = buf[len..filled].to_vec();
            carry.append(&mut s.carry);
            s.carry = carry;
            // Lines left at the end of the input are read on the next call.
            s.ended &= s.carry.is_empty();
        }
        block
    }
}

/// A stream being read outside the lock. Dropped only by a panic (a bug)
/// in the read: the stream then ends there, so that the other workers do
/// not wait for it forever (the panic is reported when they are joined).
struct Reading<'b, 'a, P> {
    blocks: &'b Blocks<'a, P>,
    i: usize,
}

impl<P> Drop for Reading<'_, '_, P> {
    fn drop(&mut self) {
        let mut st = self.blocks.state.lock().unwrap_or_else(|p| p.into_inner());
        let s = &mut st.streams[self.i];
        s.busy = false;
        s.ended = true;
        s.carry.clear();
        drop(st);
        self.blocks.freed.notify_all();
    }
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

#[cfg(test)]
mod tests;
