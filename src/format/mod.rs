//! Access-log formats: a format spec (preset name, nginx `log_format` string,
//! Apache `LogFormat` string, `json`, `regex:…`, `auto`) is compiled once into
//! a [`Format`] whose [`Format::parse`] turns one line of bytes into a
//! [`Record`] that borrows from the line.
//!
//! The hot path allocates nothing: templates match bytes in place, JSON is
//! walked without building a tree, timestamps are cached per thread (many
//! lines share a second).

mod apache;
mod combined;
pub mod detect;
pub mod json;
mod nginx;
pub mod regexfmt;
pub mod scan;
pub mod template;
pub mod value;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex::bytes::CaptureLocations;

pub use json::FieldOverride;
use json::JsonFormat;
use regexfmt::RegexFormat;
use template::Template;

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

/// Per-thread working memory for [`Format::parse`].
#[derive(Default)]
pub struct Scratch {
    buf: Vec<u8>,
    time: TimeCache,
    regex_locs: Vec<(usize, CaptureLocations)>,
}

/// A format as the user gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatSpec {
    Auto,
    /// A preset name.
    Preset(&'static str),
    Nginx(String),
    Apache(String),
    Json,
    Regex(String),
}

/// Presets: name, what it is, and the format string it stands for.
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "combined",
        "nginx/Apache combined",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
    ),
    ("common", "NCSA common (CLF)", r#"%h %l %u %t "%r" %>s %b"#),
    (
        "vcombined",
        "Apache vhost_combined (vhost:port first)",
        r#"%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
    ),
    (
        "combined_rt",
        "nginx combined + $request_time",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#,
    ),
    (
        "combined_upstream",
        "nginx combined + $request_time $upstream_response_time",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#,
    ),
    (
        "main",
        "nginx's default 'main' (combined + \"$http_x_forwarded_for\")",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
    ),
    (
        "combined_D",
        "Apache combined + %D (microseconds)",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#,
    ),
];

impl FormatSpec {
    pub fn parse(s: &str) -> Result<FormatSpec, FormatError> {
        let t = s.trim();
        if t.is_empty() || t == "auto" {
            return Ok(FormatSpec::Auto);
        }
        if let Some((name, _, _)) = PRESETS.iter().find(|(n, _, _)| *n == t) {
            return Ok(FormatSpec::Preset(name));
        }
        if matches!(t, "json" | "caddy" | "traefik") {
            return Ok(FormatSpec::Json);
        }
        if let Some(p) = t.strip_prefix("regex:") {
            return Ok(FormatSpec::Regex(p.to_string()));
        }
        let has_nginx_var = t
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'{' || w[1] == b'_'));
        if t.starts_with("log_format") || has_nginx_var {
            return Ok(FormatSpec::Nginx(s.to_string()));
        }
        if t.starts_with("LogFormat") || t.contains('%') {
            return Ok(FormatSpec::Apache(s.to_string()));
        }
        let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
        Err(FormatError {
            spec: s.to_string(),
            at: None,
            msg: format!(
                "unknown format; expected auto, a preset ({}), json, regex:PATTERN, an nginx log_format string or an Apache LogFormat string",
                names.join(", ")
            ),
        })
    }
}

/// A format that cannot be compiled, with the offending position when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FormatError {
    pub spec: String,
    pub at: Option<usize>,
    pub msg: String,
}

impl fmt::Display for FormatError {
    /// One line, naming the offending part and its column in the format:
    /// error messages end up in logs and systemd journals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad format: {}", self.msg)?;
        if let Some(at) = self.at {
            let flat: String = self
                .spec
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            // Counted in the spec itself: `at` is a byte offset there, and
            // a C1 control (two bytes) is one space in `flat`.
            let col = self
                .spec
                .get(..at.min(self.spec.len()))
                .map_or(0, |p| p.chars().count())
                + 1;
            write!(f, " (column {col} of '{flat}')")?;
        }
        Ok(())
    }
}

static NEXT_UID: AtomicUsize = AtomicUsize::new(1);

enum Kind {
    Template(Template),
    Json(JsonFormat),
    Regex(RegexFormat),
}

/// A compiled format.
pub struct Format {
    name: String,
    kind: Kind,
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Format({})", self.name)
    }
}

impl Format {
    /// Compiles a spec. `Auto` cannot be compiled without sample lines: use
    /// [`detect::detect`].
    pub fn compile(spec: &FormatSpec, json: &[FieldOverride]) -> Result<Format, FormatError> {
        let err = |s: &str, (at, msg): (usize, String)| FormatError {
            spec: s.to_string(),
            at: Some(at),
            msg,
        };
        match spec {
            FormatSpec::Auto => Err(FormatError {
                spec: "auto".into(),
                at: None,
                msg: "auto needs sample lines".into(),
            }),
            FormatSpec::Preset(name) => {
                let (_, _, s) = PRESETS
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .ok_or_else(|| err(name, (0, "unknown preset".into())))?;
                let inner = if s.contains('$') {
                    FormatSpec::Nginx(s.to_string())
                } else {
                    FormatSpec::Apache(s.to_string())
                };
                let mut f = Format::compile(&inner, json)?;
                f.name = name.to_string();
                Ok(f)
            }
            FormatSpec::Nginx(s) => {
                let fmt = nginx::unwrap_directive(s).map_err(|e| err(s, e))?;
                // Offsets refer to the unwrapped format, so report against it.
                let pieces = nginx::pieces(&fmt, 0).map_err(|e| err(&fmt, e))?;
                let t = Template::build(pieces).map_err(|e| err(&fmt, (e.at, e.msg)))?;
                Ok(Format {
                    name: format!("nginx '{fmt}'"),
                    kind: Kind::Template(t),
                })
            }
            FormatSpec::Apache(s) => {
                let fmt = apache::unwrap_directive(s);
                let pieces = apache::pieces(&fmt, 0).map_err(|e| err(&fmt, e))?;
                let t = Template::build(pieces).map_err(|e| err(&fmt, (e.at, e.msg)))?;
                Ok(Format {
                    name: format!("apache '{fmt}'"),
                    kind: Kind::Template(t),
                })
            }
            FormatSpec::Json => {
                let j = JsonFormat::new(json).map_err(|m| FormatError {
                    spec: "json".into(),
                    at: None,
                    msg: m,
                })?;
                Ok(Format {
                    name: "json".into(),
                    kind: Kind::Json(j),
                })
            }
            FormatSpec::Regex(p) => {
                let r = RegexFormat::new(p, NEXT_UID.fetch_add(1, Ordering::Relaxed))
                    .map_err(|e| err(p, e))?;
                Ok(Format {
                    name: format!("regex '{p}'"),
                    kind: Kind::Regex(r),
                })
            }
        }
    }

    /// How the format is shown to users (`combined_rt`, `nginx '...'`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn set_name(&mut self, name: String) {
        self.name = name;
    }

    /// Whether lines carry a request timer (latency columns make sense).
    pub fn has_latency(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_latency(),
            Kind::Json(j) => j.has_latency(),
            Kind::Regex(r) => r.has_latency(),
        }
    }

    pub fn has_upstream(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_upstream(),
            Kind::Json(j) => j.has_upstream(),
            Kind::Regex(r) => r.has_upstream(),
        }
    }

    /// Parses one line (without its newline; a trailing `\r` is ignored).
    #[inline]
    pub fn parse<'a>(
        &self,
        line: &'a [u8],
        scratch: &'a mut Scratch,
    ) -> Result<Record<'a>, ErrorKind> {
        self.parse_scan(line, scratch, scan::Plain)
    }

    /// [`Format::parse`], finding field ends with `scan` (a block's
    /// [`scan::Marks`] in batch runs).
    #[inline]
    pub fn parse_scan<'a, S: scan::Scan>(
        &self,
        line: &'a [u8],
        scratch: &'a mut Scratch,
        scan: S,
    ) -> Result<Record<'a>, ErrorKind> {
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        if line.is_empty() {
            return Err(ErrorKind::Empty);
        }
        match &self.kind {
            Kind::Template(t) => t.parse(line, &mut scratch.time, scan),
            Kind::Json(j) => j.parse(line, scratch),
            Kind::Regex(r) => r.parse(line, scratch),
        }
    }

    /// Explains why a line does not parse, for the parse-errors view.
    pub fn explain(&self, line: &[u8]) -> String {
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        match &self.kind {
            Kind::Template(t) => t.explain(line),
            _ => {
                let mut s = Scratch::default();
                match self.parse(line, &mut s) {
                    Ok(_) => "matches the format".into(),
                    Err(ErrorKind::MissingField) => "no status or request/path field".into(),
                    Err(ErrorKind::BadValue) => "a field has an impossible value".into(),
                    Err(_) => "does not match the format".into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
