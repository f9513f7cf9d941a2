//! What a parser produces: a [`Record`] borrowing from its line, or the
//! [`ErrorKind`] of a line that is not a request; and the per-thread
//! working memory ([`Scratch`]) that lets parsing allocate nothing.

use std::fmt;

use regex::bytes::CaptureLocations;

use super::json::layout::Layout;
use super::json::recall::Recall;

/// One parsed request, borrowing from the line (or the scratch buffer when a
/// JSON string had to be unescaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Empty when the request line was not a request.
    pub method: &'a [u8],
    /// Request target as logged (path and query); empty when unknown.
    pub target: &'a [u8],
    pub status: u16,
    pub bytes: Option<u64>,
    /// Total request time in µs; the upstream time when the format has no
    /// request time; `None` when the line carries no timer.
    pub latency_us: Option<u64>,
    pub upstream_us: Option<u64>,
    /// The log's own timestamp, Unix seconds; `None` when the line has
    /// none or it is malformed (then [`Record::bad_time`] says so).
    pub time: Option<i64>,
    /// The virtual host the request was addressed to, as logged (`$host`,
    /// Apache `%v`, W3C `cs-host`, a load balancer's domain); empty when
    /// the format carries none or the line has `-`. Borrowed, so a format
    /// without it pays nothing.
    pub host: &'a [u8],
    /// What served the request behind the logger, as logged: an upstream
    /// address (`$upstream_addr`), a load balancer's target, a proxy's
    /// backend or cluster; empty when the format carries none or no
    /// backend was reached (`-`).
    pub backend: &'a [u8],
    /// The [`Odd`] values the request had to do without, one bit each
    /// ([`Odd::bits`]; 0 on nearly every line): a timer that is not a
    /// duration (NaN, infinite, negative, not a number) was dropped, a
    /// timestamp that is not a time ignored. The request still counts. One
    /// byte, not two flags: it is built and read on every line (3
    /// instructions a line less under cachegrind).
    pub odd: u8,
}

impl Record<'_> {
    /// A timer field held something that is not a duration.
    pub fn bad_timer(&self) -> bool {
        self.odd & 1 << Odd::BadTimer.index() != 0
    }
    /// The timestamp field held something that is not a time.
    pub fn bad_time(&self) -> bool {
        self.odd & 1 << Odd::BadTime.index() != 0
    }
}

/// Why a line was not counted as a request. The set is small and fixed: it is
/// a Prometheus label and a column in the parse-errors view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Blank line.
    Empty,
    /// Longer than the line limit (`--max-line`).
    TooLong,
    /// Does not have the shape of the format.
    NoMatch,
    /// Has the shape, but a value is impossible: a status that is not
    /// three digits (`20`, `2000`, `2x0`), a byte count past `u64::MAX`.
    BadValue,
    /// JSON without a status or request/path field.
    MissingField,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 5] = [
        ErrorKind::Empty,
        ErrorKind::TooLong,
        ErrorKind::NoMatch,
        ErrorKind::BadValue,
        ErrorKind::MissingField,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::TooLong => "too_long",
            ErrorKind::NoMatch => "no_match",
            ErrorKind::BadValue => "bad_value",
            ErrorKind::MissingField => "missing_field",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value a counted request had to do without (see the README's "Odd
/// values"): the line is a request, one field of it is ignored. Counted per
/// input, next to the [`ErrorKind`]s of lines that are not requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Odd {
    /// A timer that is NaN, infinite, negative or not a number: the
    /// request is untimed.
    BadTimer,
    /// A timestamp that is not a time: ignored for `--window-by log` and
    /// the report's time span.
    BadTime,
}

impl Odd {
    pub const ALL: [Odd; 2] = [Odd::BadTimer, Odd::BadTime];
    pub fn as_str(self) -> &'static str {
        match self {
            Odd::BadTimer => "bad_timer",
            Odd::BadTime => "bad_time",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
    /// [`Record::odd`] of a request with a bad timer and/or timestamp.
    #[inline(always)]
    pub fn bits(bad_timer: bool, bad_time: bool) -> u8 {
        (bad_timer as u8) << Odd::BadTimer.index() | (bad_time as u8) << Odd::BadTime.index()
    }
}

impl fmt::Display for Odd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Last timestamp text and its value: consecutive lines mostly repeat it.
#[derive(Default)]
pub struct TimeCache {
    key: [u8; 32],
    len: usize,
    val: Option<i64>,
}

impl TimeCache {
    /// The value of timestamp text `raw`, parsed by `parse` unless it is
    /// the last one's. Always inlined: the repeat is most lines' case, and
    /// as a call (with the parse it takes) it cost ~35 instructions a line.
    #[inline(always)]
    pub fn get(&mut self, raw: &[u8], parse: impl FnOnce(&[u8]) -> Option<i64>) -> Option<i64> {
        let n = raw.len();
        let same = n <= self.key.len()
            && self.len == n
            && if n >= 16 {
                // Two fixed 16-byte compares (overlapping when shorter
                // than 32), not a `memcmp` call: ~30 instructions a line
                // for nginx's 26-byte `$time_local`.
                raw[..16] == self.key[..16] && raw[n - 16..] == self.key[n - 16..n]
            } else {
                self.key[..n] == *raw
            };
        if same {
            return self.val;
        }
        self.miss(raw, parse)
    }

    /// [`TimeCache::get`] of text that is not the last one's.
    #[inline(never)]
    fn miss(&mut self, raw: &[u8], parse: impl FnOnce(&[u8]) -> Option<i64>) -> Option<i64> {
        if raw.len() <= self.key.len() {
            let v = parse(raw);
            self.key[..raw.len()].copy_from_slice(raw);
            self.len = raw.len();
            self.val = v;
            v
        } else {
            parse(raw)
        }
    }
}

/// Per-thread working memory for `Format::parse`.
#[derive(Default)]
pub struct Scratch {
    pub(super) buf: Vec<u8>,
    pub(super) time: TimeCache,
    pub(super) regex_locs: Vec<(usize, CaptureLocations)>,
    /// The JSON walker's memory of the last line's keys.
    pub(super) json: Recall,
    /// The JSON walker's memory of the last line's layout.
    pub(super) layout: Layout,
    /// Which variant of a format of several (`Format::variants`) parsed the
    /// last line; stays 0 for other formats. The caller reads it and resets
    /// it when it is not 0.
    pub variant: u8,
}
