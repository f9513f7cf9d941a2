//! One stream's next read, outside the block reader's lock: the carry
//! first, then `READ` bytes (on up to the whole buffer for a longer
//! line); on the first read, what the stream's first bytes say it is
//! (text, a compressed stream decompressed from there on, or binary);
//! and a line longer than the buffer, skipped to its end with its head
//! kept as the error sample.

use std::io::{self, Read};

use crate::engine::SAMPLE_BYTES;
use crate::input::decode;
use crate::input::opener::BatchError;

/// An input's bytes: not yet looked at, or its text.
pub(super) enum Reader {
    Raw(Box<dyn Read + Send>),
    Text(Box<dyn Read + Send>),
}

/// What a read outside the lock got: the stream's reader and carry come
/// back with it.
pub(super) struct ReadOut {
    pub(super) reader: Option<Reader>,
    /// Bytes in the buffer (carry included).
    pub(super) filled: usize,
    /// The input has no more bytes.
    pub(super) at_end: bool,
    pub(super) error: Option<BatchError>,
    /// A line filled the whole block: its head and length; what follows it.
    pub(super) oversized: Option<(Vec<u8>, u64)>,
    pub(super) carry: Vec<u8>,
}

/// Reads the next block of a stream into `buf` (its `carry` first), outside
/// the lock: `size` bytes, or on up to the whole of `buf` when they hold no
/// newline after the carry. The first read of a stream looks at its first
/// bytes: a compressed stream is decompressed from there on, a binary one
/// not read.
pub(super) fn read(
    reader: Option<Reader>,
    carry: Vec<u8>,
    buf: &mut [u8],
    size: usize,
    name: &str,
) -> ReadOut {
    let read_err = |err| BatchError::Read {
        name: name.to_string(),
        err,
    };
    let mut got = ReadOut {
        reader: None,
        filled: 0,
        at_end: true,
        error: None,
        oversized: None,
        carry: Vec::new(),
    };
    let mut r = match reader {
        Some(Reader::Text(r)) => r,
        Some(Reader::Raw(mut raw)) => match decode::read_head(&mut raw) {
            Err(err) => {
                got.error = Some(read_err(err));
                return got;
            }
            Ok(head) => {
                let kind = decode::sniff(&head);
                match decode::text_reader(kind, head, raw) {
                    Some(r) => r,
                    None => {
                        got.error = Some(BatchError::Binary {
                            name: name.to_string(),
                        });
                        return got;
                    }
                }
            }
        },
        // Ended, with lines carried from its last read still to go out.
        None => Box::new(io::empty()),
    };
    buf[..carry.len()].copy_from_slice(&carry);
    // More than the carry, so that a read always moves on.
    let asked = size.max(carry.len() + 1).min(buf.len());
    let (mut filled, mut err) = fill(&mut r, &mut buf[..asked], carry.len());
    let mut at_end = filled < asked;
    if !at_end
        && err.is_none()
        && asked < buf.len()
        && memchr::memchr(b'\n', &buf[carry.len()..filled]).is_none()
    {
        // A line longer than the read: on up to the whole buffer, as if
        // it had been asked for.
        (filled, err) = fill(&mut r, buf, filled);
        at_end = filled < buf.len();
    }
    got.filled = filled;
    got.at_end = at_end || err.is_some();
    got.error = err.map(read_err);
    let has_line = got.at_end || memchr::memrchr(b'\n', &buf[..filled]).is_some();
    if !has_line {
        // One line fills the whole block: keep its head, skip to its end.
        let head = buf[..SAMPLE_BYTES.min(filled)].to_vec();
        let mut len = filled as u64;
        loop {
            let (n, err) = fill(&mut r, buf, 0);
            if let Some(e) = err {
                got.error = Some(read_err(e));
            }
            if n == 0 || got.error.is_some() {
                got.at_end = true;
                break;
            }
            match memchr::memchr(b'\n', &buf[..n]) {
                Some(i) => {
                    len += i as u64;
                    got.carry.extend_from_slice(&buf[i + 1..n]);
                    break;
                }
                None => len += n as u64,
            }
        }
        got.filled = 0;
        got.oversized = Some((head, len));
    }
    if !got.at_end {
        got.reader = Some(Reader::Text(r));
    }
    got
}

/// Fills `buf[from..]` from `r` until full, end of input or an error;
/// returns the new fill level (== `from` at end of input), and the error:
/// the bytes read before it are kept.
fn fill(r: &mut dyn Read, buf: &mut [u8], mut from: usize) -> (usize, Option<io::Error>) {
    while from < buf.len() {
        match r.read(&mut buf[from..]) {
            Ok(0) => break,
            Ok(n) => from += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (from, Some(e)),
        }
    }
    (from, None)
}
