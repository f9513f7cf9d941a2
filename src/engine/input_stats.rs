//! Per-input line accounting: lines, requests, parse errors by kind, odd
//! values of counted requests by kind, and the first bad lines kept (with
//! why they did not parse) for display.

use crate::format::{ErrorKind, MAX_VARIANTS, Odd};

/// Where a line was: `seq`-th chunk of its source, `local`-th line in it.
/// Sources read in one piece use seq 0 and the absolute line index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LinePos {
    pub seq: u32,
    pub local: u64,
}

/// A bad line kept for display.
#[derive(Clone, Debug)]
pub struct BadLine {
    pub pos: LinePos,
    /// 1-based line number once resolved (0 while unknown).
    pub line_no: u64,
    pub kind: ErrorKind,
    /// The first [`SAMPLE_BYTES`] bytes of the line, verbatim.
    pub text: Vec<u8>,
    /// Full length of the line.
    pub len: u64,
    /// Why it did not parse (where it stops fitting the format), worked out
    /// once, from the whole line, when the sample is kept.
    pub why: String,
}

pub const MAX_SAMPLES: usize = 5;
pub const SAMPLE_BYTES: usize = 512;

/// Per-input line accounting.
#[derive(Clone, Debug, Default)]
pub struct InputStats {
    pub lines: u64,
    pub requests: u64,
    /// Requests whose line gave no size (a JSON line may lack the field
    /// its format reads sizes from; see [`InputStats::logs_bytes`]).
    /// Counted rather than those that gave one: nearly every line does,
    /// so it costs one well-predicted branch, not an add a line.
    pub sizeless: u64,
    /// Header lines of a format whose files carry their own (W3C
    /// `#Fields:`, `#Software:`, …): neither requests nor errors.
    pub headers: u64,
    /// Requests parsed by each variant after the first of a format of
    /// several (`Format::variants`), by variant index; index 0 is not
    /// counted here (see [`InputStats::variant_lines`]).
    pub variants: [u64; MAX_VARIANTS],
    pub errors: [u64; ErrorKind::ALL.len()],
    /// Requests counted without a field, by [`Odd`] index: a timer or a
    /// timestamp that was there but could not be used.
    pub odd: [u64; Odd::ALL.len()],
    /// The first bad lines (by position), at most [`MAX_SAMPLES`].
    pub samples: Vec<BadLine>,
}

impl InputStats {
    pub fn error_total(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Whether this input logs response sizes, read as a format that
    /// `format_logs` them (`Format::has_bytes`): the format's answer, unless
    /// none of its requests gave one (a JSON log without a size field: its
    /// format would read one, its lines have none), so that its bytes show
    /// as unknown, not as 0.
    pub fn logs_bytes(&self, format_logs: bool) -> bool {
        format_logs && (self.requests == 0 || self.sizeless < self.requests)
    }

    /// Requests per variant of a format of `n` variants: the first took
    /// those the others did not.
    pub fn variant_lines(&self, n: usize) -> Vec<u64> {
        let later: u64 = self.variants[1..].iter().sum();
        (0..n.min(MAX_VARIANTS))
            .map(|i| match i {
                0 => self.requests - later,
                _ => self.variants[i],
            })
            .collect()
    }

    /// Counts a bad line; keeps it as a sample if it is among the first.
    /// `why` is only called for a kept sample.
    pub fn note_error(
        &mut self,
        kind: ErrorKind,
        pos: LinePos,
        text: &[u8],
        len: u64,
        why: impl FnOnce() -> String,
    ) {
        self.errors[kind.index()] += 1;
        if self.samples.len() >= MAX_SAMPLES && self.samples.last().is_some_and(|s| s.pos < pos) {
            return;
        }
        let why = match kind {
            ErrorKind::TooLong => format!("longer than the line limit ({len} bytes)"),
            ErrorKind::Empty => "blank line".into(),
            _ => why(),
        };
        let sample = BadLine {
            pos,
            line_no: 0,
            kind,
            text: text[..text.len().min(SAMPLE_BYTES)].to_vec(),
            len,
            why,
        };
        let at = self.samples.partition_point(|s| s.pos < pos);
        self.samples.insert(at, sample);
        self.samples.truncate(MAX_SAMPLES);
    }

    pub fn merge(&mut self, o: &InputStats) {
        self.lines += o.lines;
        self.requests += o.requests;
        self.sizeless += o.sizeless;
        self.headers += o.headers;
        for (a, b) in self.variants.iter_mut().zip(o.variants) {
            *a += b;
        }
        for (a, b) in self.errors.iter_mut().zip(o.errors) {
            *a += b;
        }
        for (a, b) in self.odd.iter_mut().zip(o.odd) {
            *a += b;
        }
        for s in &o.samples {
            let at = self.samples.partition_point(|x| x.pos < s.pos);
            self.samples.insert(at, s.clone());
        }
        self.samples.truncate(MAX_SAMPLES);
    }
}
