//! What a parser produces: a [`Record`] borrowing from its line, or the
//! [`ErrorKind`] of a line that is not a request; and the per-thread
//! working memory ([`Scratch`]) that lets parsing allocate nothing.

use std::fmt;

use regex::bytes::CaptureLocations;

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
    /// The log's own timestamp, Unix seconds.
    pub time: Option<i64>,
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
    /// Has the shape, but a value is impossible (status `2000`).
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

/// Last timestamp text and its value: consecutive lines mostly repeat it.
#[derive(Default)]
pub struct TimeCache {
    key: [u8; 32],
    len: usize,
    val: Option<i64>,
}

impl TimeCache {
    #[inline]
    pub fn get(&mut self, raw: &[u8], parse: impl FnOnce(&[u8]) -> Option<i64>) -> Option<i64> {
        let n = raw.len();
        if n <= self.key.len() {
            let same = self.len == n
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
}
