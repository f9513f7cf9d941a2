//! W3C extended log files: IIS, CloudFront standard logs, and any file
//! whose columns are named by a `#Fields:` header.
//!
//! The file says what its columns are: a `#Fields:` directive names them,
//! and a later one (a server restart, a changed logging setup) renames
//! them from that line on. A [`W3cFormat`] is one header compiled into a
//! column → field map; the parser of a data line walks the columns it
//! needs and stops after the last one. Following the header is the
//! caller's job, line by line in both modes (`run/once.rs`,
//! `engine/live/ingest.rs`), through [`directive`] and
//! [`W3cFormat::with_fields`]: a parser is immutable and shared, so a new
//! header makes a new parser.
//!
//! Directive lines (`#Software:`, `#Version:`, `#Date:`, `#Fields:`,
//! `#Remark:`, any line starting with `#`) are not requests and not errors:
//! they are counted as header lines. A data line before any `#Fields:` is
//! a bad line (`no_match`): nothing says what its columns are.
//!
//! One parser, three presets that differ only in the unit of `time-taken`
//! and the column separator they expect:
//!
//! | preset       | `time-taken` | columns split on |
//! |--------------|--------------|------------------|
//! | `iis`        | milliseconds | space            |
//! | `cloudfront` | seconds      | tab              |
//! | `w3c`        | seconds (the W3C draft's unit) | space or tab |
//!
//! Fields used: `date` + `time` (UTC) → the log time; `cs-method`;
//! `cs-uri-stem` (+ `?` + `cs-uri-query` when not `-`), or `cs-uri` → the
//! request target; `sc-status`; `sc-bytes`; `time-taken` → latency;
//! `x-host-header` (CloudFront: the Host the viewer sent), else `cs-host`
//! or `cs(Host)` (IIS's Host header; CloudFront's own domain) → the host.
//! Other columns are skipped: `s-ip` and `s-computername` are the logging
//! server itself, not a backend.

use super::record::{ErrorKind, Odd, Record, Scratch};
use super::scan::{self, Scan};
use super::value::{self, Unit};

/// Which W3C dialect: decides the unit of `time-taken` and the separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// Any `#Fields:` file: `time-taken` in seconds, as the W3C draft
    /// (WD-logfile) defines it; columns split on spaces or tabs.
    W3c,
    /// Microsoft IIS: `time-taken` in milliseconds, space-separated.
    Iis,
    /// Amazon CloudFront standard logs: `time-taken` in seconds,
    /// tab-separated.
    CloudFront,
}

impl Flavour {
    /// The preset names, with what each is, for `--list-formats`.
    pub const PRESETS: [(&'static str, Flavour, &'static str); 3] = [
        (
            "w3c",
            Flavour::W3c,
            "W3C extended (#Fields: header; time-taken in seconds)",
        ),
        (
            "iis",
            Flavour::Iis,
            "Microsoft IIS W3C (#Fields: header; time-taken in milliseconds)",
        ),
        (
            "cloudfront",
            Flavour::CloudFront,
            "Amazon CloudFront standard log (tab-separated W3C; time-taken in seconds)",
        ),
    ];

    pub fn by_name(name: &str) -> Option<Flavour> {
        Flavour::PRESETS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavour::W3c => "w3c",
            Flavour::Iis => "iis",
            Flavour::CloudFront => "cloudfront",
        }
    }

    fn unit(self) -> Unit {
        match self {
            Flavour::Iis => Unit::Ms,
            Flavour::W3c | Flavour::CloudFront => Unit::Sec,
        }
    }
}

/// What a column is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Skip,
    Date,
    Time,
    Method,
    Stem,
    Query,
    Uri,
    Status,
    Bytes,
    TimeTaken,
    Host,
    /// CloudFront's `x-host-header`, preferred over its `cs(Host)`.
    XHost,
}

impl Col {
    fn of(name: &[u8]) -> Col {
        match name {
            b"date" => Col::Date,
            b"time" => Col::Time,
            b"cs-method" => Col::Method,
            b"cs-uri-stem" => Col::Stem,
            b"cs-uri-query" => Col::Query,
            b"cs-uri" => Col::Uri,
            b"sc-status" => Col::Status,
            b"sc-bytes" => Col::Bytes,
            b"time-taken" => Col::TimeTaken,
            b"cs-host" | b"cs(Host)" => Col::Host,
            b"x-host-header" => Col::XHost,
            _ => Col::Skip,
        }
    }
}

/// A W3C parser: the flavour, and the columns of the header in force
/// (`None` before any `#Fields:`).
#[derive(Clone, Debug)]
pub struct W3cFormat {
    flavour: Flavour,
    /// The columns up to the last one used (the rest of a line is not
    /// read).
    cols: Option<Box<[Col]>>,
}

/// What a line starting with `#` is.
#[derive(Debug, PartialEq, Eq)]
pub enum Directive<'a> {
    /// `#Fields:` and the column names after it.
    Fields(&'a [u8]),
    /// Any other directive (`#Software:`, `#Version:`, `#Date:`,
    /// `#Remark:`, …): a header line, nothing to act on.
    Other,
}

/// How the directive naming a W3C log's columns starts: the lines after
/// one parse by it, until the next.
pub const FIELDS: &[u8] = b"#Fields:";

/// The directive a line is, if it is one (starts with `#`).
#[inline]
pub fn directive(line: &[u8]) -> Option<Directive<'_>> {
    if line.first() != Some(&b'#') {
        return None;
    }
    Some(match line.strip_prefix(FIELDS) {
        Some(names) => Directive::Fields(names),
        None => Directive::Other,
    })
}

/// Whether `c` ends a column.
#[inline(always)]
fn is_sep(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

impl W3cFormat {
    /// A parser that has seen no `#Fields:` yet.
    pub fn new(flavour: Flavour) -> W3cFormat {
        W3cFormat {
            flavour,
            cols: None,
        }
    }

    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// The parser for the lines after a `#Fields:` directive whose column
    /// names are `names` (the text after `#Fields:`).
    pub fn with_fields(&self, names: &[u8]) -> W3cFormat {
        let names = names.strip_suffix(b"\r").unwrap_or(names);
        let mut cols: Vec<Col> = names
            .split(|&c| is_sep(c))
            .filter(|n| !n.is_empty())
            .map(Col::of)
            .collect();
        let used = cols
            .iter()
            .rposition(|&c| c != Col::Skip)
            .map_or(0, |i| i + 1);
        cols.truncate(used);
        W3cFormat {
            flavour: self.flavour,
            cols: Some(cols.into_boxed_slice()),
        }
    }

    /// Whether lines carry `time-taken` (before any header: the presets'
    /// usual headers do).
    pub fn has_latency(&self) -> bool {
        self.cols
            .as_ref()
            .is_none_or(|c| c.contains(&Col::TimeTaken))
    }

    /// Whether lines carry `sc-bytes` (before any header: the presets'
    /// usual headers do).
    pub fn has_bytes(&self) -> bool {
        self.cols.as_ref().is_none_or(|c| c.contains(&Col::Bytes))
    }

    /// Parses a data line (no newline, no `\r`). Directive lines are not
    /// data: the caller counts them before they get here ([`directive`]);
    /// given one, this says `no_match`.
    #[inline]
    pub fn parse<'a, S: Scan>(
        &self,
        line: &'a [u8],
        scratch: &'a mut Scratch,
        scan: S,
    ) -> Result<Record<'a>, ErrorKind> {
        let Some(cols) = &self.cols else {
            return Err(ErrorKind::NoMatch);
        };
        if line.first() == Some(&b'#') {
            return Err(ErrorKind::NoMatch);
        }
        let tabs = match self.flavour {
            Flavour::Iis => false,
            Flavour::CloudFront => true,
            Flavour::W3c => memchr::memchr(b'\t', line).is_some(),
        };
        let Cells {
            date,
            time,
            date_at,
            time_end,
            method,
            stem,
            query,
            uri,
            status,
            bytes,
            taken,
            host,
            xhost,
        } = if tabs {
            cells(cols, line, scan::positions(line, 0, b'\t'))
        } else {
            cells(cols, line, scan.spaces(line, 0))
        }
        .ok_or(ErrorKind::NoMatch)?;
        let status = match status {
            None => return Err(ErrorKind::MissingField),
            Some(s) => value::parse_status(s).ok_or(ErrorKind::BadValue)?,
        };
        // `-` is 0, as in every format (README, "Odd values"); no
        // `sc-bytes` column, no byte count.
        let bytes = match bytes {
            None => None,
            Some(b) => Some(value::parse_bytes(b).ok_or(ErrorKind::BadValue)?),
        };
        let (latency_us, bad_timer) = match value::parse_timer_us(taken, self.flavour.unit()) {
            Ok(v) => (v, false),
            Err(_) => (None, true),
        };
        let when = match (date, time) {
            (b"", b"") => None,
            // Consecutive lines mostly share their second: parsed once.
            // `date_at` is usize::MAX without a `date` column: saturating.
            (d, t) if date_at.saturating_add(d.len() + 1 + t.len()) == time_end => {
                scratch.time.get(&line[date_at..time_end], |raw| {
                    date_time(&raw[..d.len()], &raw[d.len() + 1..])
                })
            }
            (d, t) => date_time(d, t),
        };
        let bad_time = when.is_none() && !(date.is_empty() && time.is_empty());
        let method: &[u8] = if method == b"-" { b"" } else { method };
        let target: &'a [u8] = match (stem, uri) {
            (Some(stem), _) if query == b"-" || query.is_empty() => stem,
            (Some(stem), _) => {
                scratch.buf.clear();
                scratch.buf.extend_from_slice(stem);
                scratch.buf.push(b'?');
                scratch.buf.extend_from_slice(query);
                &scratch.buf
            }
            (None, Some(uri)) => uri,
            (None, None) => return Err(ErrorKind::MissingField),
        };
        Ok(Record {
            method,
            target,
            status,
            bytes,
            latency_us,
            upstream_us: None,
            time: when,
            host: match value::dash_empty(xhost) {
                b"" => value::dash_empty(host),
                x => x,
            },
            backend: b"",
            odd: Odd::bits(bad_timer, bad_time),
        })
    }

    /// Why a line does not parse, for the parse-errors view.
    pub fn explain(&self, line: &[u8]) -> String {
        let Some(cols) = &self.cols else {
            return "a data line before any #Fields: header (its columns are unknown)".into();
        };
        if line.first() == Some(&b'#') {
            return "a header line".into();
        }
        let mut s = Scratch::default();
        match self.parse(line, &mut s, super::scan::Plain) {
            Ok(_) => "matches the format".into(),
            Err(ErrorKind::MissingField) => {
                "the #Fields: header names no sc-status, or no cs-uri-stem / cs-uri".into()
            }
            Err(ErrorKind::BadValue) => "sc-status or sc-bytes has an impossible value".into(),
            Err(_) => format!(
                "fewer columns than the {} the #Fields: header names",
                cols.len()
            ),
        }
    }
}

/// The cells of a data line that a record reads.
struct Cells<'a> {
    date: &'a [u8],
    time: &'a [u8],
    /// Where `date` starts and `time` ends in the line: side by side (IIS,
    /// CloudFront), they are one key of the time cache.
    date_at: usize,
    time_end: usize,
    method: &'a [u8],
    stem: Option<&'a [u8]>,
    query: &'a [u8],
    uri: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    bytes: Option<&'a [u8]>,
    taken: &'a [u8],
    host: &'a [u8],
    xhost: &'a [u8],
}

/// The cells of `line` under `cols`, each column ending at the next of
/// `seps` (the line's separators in order: what a search from after the
/// last finds) or at the line's end; `None` when the line has fewer
/// columns. Generic over the separators so that the spaced and the tabbed
/// flavours each get their own loop, with no per-column test of which.
#[inline(always)]
fn cells<'a>(
    cols: &[Col],
    line: &'a [u8],
    mut seps: impl Iterator<Item = usize>,
) -> Option<Cells<'a>> {
    // A column the header does not name reads as empty, or as `-` (not
    // there, as W3C writes it) for the query and the time taken.
    let mut c = Cells {
        date: b"",
        time: b"",
        date_at: usize::MAX,
        time_end: 0,
        method: b"",
        stem: None,
        query: b"-",
        uri: None,
        status: None,
        bytes: None,
        taken: b"-",
        host: b"",
        xhost: b"",
    };
    let mut at = 0;
    for &col in cols.iter() {
        if at > line.len() {
            // Fewer columns than the header names.
            return None;
        }
        let end = seps.next().unwrap_or(line.len());
        let v = &line[at..end];
        match col {
            Col::Skip => {}
            Col::Date => {
                c.date = v;
                c.date_at = at;
            }
            Col::Time => {
                c.time = v;
                c.time_end = end;
            }
            Col::Method => c.method = v,
            Col::Stem => c.stem = Some(v),
            Col::Query => c.query = v,
            Col::Uri => c.uri = Some(v),
            Col::Status => c.status = Some(v),
            Col::Bytes => c.bytes = Some(v),
            Col::TimeTaken => c.taken = v,
            Col::Host => c.host = v,
            Col::XHost => c.xhost = v,
        }
        at = end + 1;
    }
    Some(c)
}

/// `date` (`2024-03-10`) and `time` (`13:55:36`, maybe with a fraction),
/// both UTC, as Unix seconds.
fn date_time(date: &[u8], time: &[u8]) -> Option<i64> {
    let digits = |b: &[u8]| -> Option<i64> {
        if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        value::parse_u64(b).map(|v| v as i64)
    };
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = date else {
        return None;
    };
    let (y, mo, d) = (
        digits(&[*y0, *y1, *y2, *y3])?,
        digits(&[*m0, *m1])?,
        digits(&[*d0, *d1])?,
    );
    let (hms, frac) = match time.iter().position(|&c| c == b'.') {
        Some(i) => (&time[..i], &time[i + 1..]),
        None => (time, &b""[..]),
    };
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let [h0, h1, b':', i0, i1, b':', s0, s1] = hms else {
        return None;
    };
    let (h, mi, s) = (
        digits(&[*h0, *h1])?,
        digits(&[*i0, *i1])?,
        digits(&[*s0, *s1])?,
    );
    value::civil_to_unix(y, mo, d, h, mi, s)
}

/// Detection: whether `sample` (the first non-blank lines of an input, no
/// `\r`) is a W3C file, which flavour, and how many of its lines fit
/// (directives, and data lines parsed under the header in force). Only a
/// sample whose first line is a W3C directive qualifies, so no other log
/// is ever taken for one.
pub fn sniff(sample: &[&[u8]]) -> Option<(Flavour, usize)> {
    let first = sample.first()?;
    let known = [
        &b"#Software:"[..],
        b"#Version:",
        b"#Fields:",
        b"#Date:",
        b"#Remark:",
    ];
    if !known.iter().any(|k| first.starts_with(k)) {
        return None;
    }
    let iis = sample
        .iter()
        .take_while(|l| l.first() == Some(&b'#'))
        .any(|l| l.starts_with(b"#Software: Microsoft Internet Information Services"));
    let edge = sample.iter().any(|l| {
        l.starts_with(b"#Fields:")
            && l.split(|&c| is_sep(c))
                .any(|n| n == b"x-edge-location" || n == b"x-edge-request-id")
    });
    let flavour = match (iis, edge) {
        (true, _) => Flavour::Iis,
        (false, true) => Flavour::CloudFront,
        (false, false) => Flavour::W3c,
    };
    let mut parser = W3cFormat::new(flavour);
    let mut scratch = Scratch::default();
    let mut matched = 0;
    for line in sample {
        // As `Format::header` and `Format::parse` see it.
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        match directive(line) {
            Some(Directive::Fields(names)) => {
                parser = parser.with_fields(names);
                matched += 1;
            }
            Some(Directive::Other) => matched += 1,
            None => {
                matched += usize::from(parser.parse(line, &mut scratch, super::scan::Plain).is_ok())
            }
        }
    }
    Some((flavour, matched))
}
