//! `regex:<pattern>` formats: anything a regular expression with named groups
//! can describe. The escape hatch for logs no preset or format string fits;
//! slower than a compiled template (a regex search per line), so the presets
//! and `log_format` strings remain the fast path.
//!
//! Group names: `method`, `path` (also `uri`, `target`, `url`), `request`
//! (whole request line), `status`, `bytes`, `request_time` (seconds; also
//! `latency`, `duration`), `latency_ms`, `latency_us`, `latency_ns`,
//! `upstream_time` (seconds, nginx list), `time` (time_local, ISO 8601 or
//! epoch, by looks), `host` (also `vhost`), `backend` (also `upstream`,
//! `upstream_addr`; a list keeps its last address). Other groups are
//! allowed and ignored, unless the name looks meant as one of these (a
//! typo, a timer's unit written another way: `meant`): a regex that
//! compiles but silently reads no latency is the worse answer.

use regex::bytes::{CaptureLocations, Regex};

use super::record::{ErrorKind, Odd, Record, Scratch};
use super::value::{self, Unit};

#[derive(Debug)]
pub struct RegexFormat {
    re: Regex,
    /// Capture-group index of each meaningful group.
    method: Option<usize>,
    target: Option<usize>,
    request: Option<usize>,
    status: usize,
    bytes: Option<usize>,
    latency: Option<(usize, Unit)>,
    upstream: Option<usize>,
    time: Option<usize>,
    /// u16: capture groups are few, and `Format` stays small enough for
    /// its enums (clippy's `large_enum_variant`).
    host: Option<u16>,
    backend: Option<u16>,
    /// Distinguishes this regex's capture buffer in the per-thread scratch.
    pub(crate) uid: usize,
}

/// A regex error on one line: `unclosed group (column 7)`. The regex
/// crate draws a caret under the pattern over several lines; messages here
/// end up in logs, so they must stay on one.
pub fn one_line_error(e: &regex::Error) -> String {
    match error_at(e) {
        (what, Some(col)) => format!("{what} (column {col})"),
        (what, None) => what,
    }
}

/// What a regex error says, and the column (from 1, in characters of the
/// pattern) its caret points at, when it draws one.
fn error_at(e: &regex::Error) -> (String, Option<usize>) {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let what = lines
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| lines.last().map_or("", |l| l.trim()))
        .to_string();
    let col = lines
        .iter()
        .skip(2)
        .find(|l| l.contains('^') && l.chars().all(|c| matches!(c, ' ' | '^' | '~')))
        .map(|caret| {
            // The caret line is indented like the pattern line above it.
            let pattern_indent = lines.get(1).map_or(0, |p| p.len() - p.trim_start().len());
            caret.find('^').unwrap_or(0).saturating_sub(pattern_indent) + 1
        });
    (what, col)
}

impl RegexFormat {
    /// Compiles `pattern`; an error comes with the byte offset in the
    /// pattern it is about, when it is about one place (one position in the
    /// message: the caller names the column once).
    pub fn new(pattern: &str, uid: usize) -> Result<RegexFormat, (Option<usize>, String)> {
        let re = Regex::new(pattern).map_err(|e| {
            let (what, col) = error_at(&e);
            let at = col.map(|c| {
                pattern
                    .char_indices()
                    .nth(c - 1)
                    .map_or(pattern.len(), |(i, _)| i)
            });
            (at, format!("invalid regex: {what}"))
        })?;
        let idx = |names: &[&str]| -> Option<usize> {
            re.capture_names()
                .enumerate()
                .find(|(_, n)| n.is_some_and(|n| names.contains(&n)))
                .map(|(i, _)| i)
        };
        if let Some((name, field)) = re
            .capture_names()
            .flatten()
            .find_map(|n| meant(n).map(|f| (n, f)))
        {
            return Err((
                None,
                format!(
                    "the regex group `{name}` is not a field routetop reads: did you mean `{field}`? \
                     (fields: {}; other names are ignored)",
                    groups().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let status =
            idx(STATUS).ok_or((None, "the regex needs a (?P<status>...) group".to_string()))?;
        let target = idx(TARGET);
        let request = idx(REQUEST);
        if target.is_none() && request.is_none() {
            return Err((
                None,
                "the regex needs a (?P<path>...) or (?P<request>...) group".into(),
            ));
        }
        let latency = idx(LATENCY_S)
            .map(|i| (i, Unit::Sec))
            .or_else(|| idx(LATENCY_MS).map(|i| (i, Unit::Ms)))
            .or_else(|| idx(LATENCY_US).map(|i| (i, Unit::Us)))
            .or_else(|| idx(LATENCY_NS).map(|i| (i, Unit::Ns)));
        Ok(RegexFormat {
            method: idx(METHOD),
            target,
            request,
            status,
            bytes: idx(BYTES),
            latency,
            upstream: idx(UPSTREAM),
            time: idx(TIME),
            host: idx(HOST).and_then(|i| u16::try_from(i).ok()),
            backend: idx(BACKEND).and_then(|i| u16::try_from(i).ok()),
            re,
            uid,
        })
    }

    pub fn has_latency(&self) -> bool {
        self.latency.is_some() || self.upstream.is_some()
    }
    pub fn has_upstream(&self) -> bool {
        self.upstream.is_some()
    }
    pub fn has_bytes(&self) -> bool {
        self.bytes.is_some()
    }

    pub fn parse<'a>(
        &self,
        line: &'a [u8],
        scratch: &mut Scratch,
    ) -> Result<Record<'a>, ErrorKind> {
        // One capture buffer per regex per thread, reused: no allocation per line.
        let pos = match scratch.regex_locs.iter().position(|(u, _)| *u == self.uid) {
            Some(p) => p,
            None => {
                scratch
                    .regex_locs
                    .push((self.uid, self.re.capture_locations()));
                scratch.regex_locs.len() - 1
            }
        };
        let locs: &mut CaptureLocations = &mut scratch.regex_locs[pos].1;
        if self.re.captures_read(locs, line).is_none() {
            return Err(ErrorKind::NoMatch);
        }
        let get = |i: Option<usize>| i.and_then(|i| locs.get(i)).map(|(a, b)| &line[a..b]);
        let status = value::parse_status(get(Some(self.status)).unwrap_or(b""))
            .ok_or(ErrorKind::BadValue)?;
        let (mut method, mut target): (&[u8], &[u8]) = match get(self.request) {
            Some(r) => value::split_request(r),
            None => (b"", b""),
        };
        if let Some(m) = get(self.method) {
            method = m;
        }
        if let Some(t) = get(self.target) {
            target = t;
        }
        let bytes = match get(self.bytes) {
            Some(v) => Some(value::parse_bytes(v).ok_or(ErrorKind::BadValue)?),
            None => None,
        };
        let mut bad_timer = false;
        let upstream_us = get(self.upstream).and_then(|v| {
            value::parse_timer_list_us(v, Unit::Sec).unwrap_or_else(|_| {
                bad_timer = true;
                None
            })
        });
        // A request-time group that did not take part falls back to the
        // upstream time; one that holds something else than a duration is
        // dropped.
        let latency_us = match self.latency.and_then(|(i, u)| Some((get(Some(i))?, u))) {
            Some((v, u)) => value::parse_timer_us(v, u).unwrap_or_else(|_| {
                bad_timer = true;
                None
            }),
            None => upstream_us,
        };
        let (time, bad_time) = match get(self.time) {
            Some(v) => {
                let t = super::fields::any_time(v, &mut scratch.time);
                (t, t.is_none() && v != b"-" && !v.is_empty())
            }
            None => (None, false),
        };
        Ok(Record {
            method,
            target,
            status,
            bytes,
            latency_us,
            upstream_us,
            time,
            host: get(self.host.map(usize::from)).map_or(&b""[..], value::dash_empty),
            backend: get(self.backend.map(usize::from)).map_or(&b""[..], value::last_address),
            odd: Odd::bits(bad_timer, bad_time),
        })
    }
}

/// Each field's group names (see the module docs): `RegexFormat::new`
/// reads them, and `meant` takes any other name for a field's only when
/// it looks like one of these.
const METHOD: &[&str] = &["method"];
const TARGET: &[&str] = &["path", "uri", "target", "url"];
const REQUEST: &[&str] = &["request"];
const STATUS: &[&str] = &["status"];
const BYTES: &[&str] = &["bytes"];
const LATENCY_S: &[&str] = &["request_time", "latency", "duration"];
const LATENCY_MS: &[&str] = &["latency_ms", "duration_ms"];
const LATENCY_US: &[&str] = &["latency_us", "duration_us"];
const LATENCY_NS: &[&str] = &["latency_ns", "duration_ns"];
const UPSTREAM: &[&str] = &["upstream_time", "upstream_response_time"];
const TIME: &[&str] = &["time", "time_local", "time_iso8601", "ts"];
const HOST: &[&str] = &["host", "vhost"];
const BACKEND: &[&str] = &["backend", "upstream", "upstream_addr"];
const FIELDS: &[&[&str]] = &[
    METHOD, TARGET, REQUEST, STATUS, BYTES, LATENCY_S, LATENCY_MS, LATENCY_US, LATENCY_NS,
    UPSTREAM, TIME, HOST, BACKEND,
];

/// Every group name routetop reads.
fn groups() -> impl Iterator<Item = &'static str> + Clone {
    FIELDS.iter().flat_map(|f| f.iter().copied())
}

/// The field a group `name` that routetop does not read was likely meant
/// as: a request timer with its unit written another way
/// (`request_time_ms`, `latency_msec`, `duration_seconds`), or a name one
/// or two edits from a field's (`staus`, `byte`, `methd`). `None` for a
/// field's own name and for the names people give other parts of a line
/// (`ip`, `client`, `agent`, `referer`): those are ignored, as before.
fn meant(name: &str) -> Option<&'static str> {
    if groups().any(|g| g == name) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    if let Some((stem, unit)) = lower.rsplit_once('_') {
        let timer = ["request_time", "latency", "duration", "response_time", "rt"];
        if timer.contains(&stem) {
            let field = match unit {
                "ms" | "msec" | "millis" | "milliseconds" => Some("latency_ms"),
                "us" | "usec" | "micros" | "microseconds" | "µs" => Some("latency_us"),
                "ns" | "nsec" | "nanos" | "nanoseconds" => Some("latency_ns"),
                "s" | "sec" | "secs" | "seconds" => Some("request_time"),
                _ => None,
            };
            if field.is_some() {
                return field;
            }
        }
    }
    if let Some(g) = groups().find(|g| *g == lower) {
        // `Status`, `METHOD`: names are case-sensitive.
        return Some(g);
    }
    // Short names are too close to anything to be taken for a typo: one
    // edit up to five letters (`port` is not `host`), two from six.
    let n = name.chars().count();
    let most = match n {
        ..4 => return None,
        4..=5 => 1,
        _ => 2,
    };
    groups()
        .filter(|g| g.len() >= 4)
        .map(|g| (edits(&lower, g), g))
        .filter(|(d, _)| *d <= most)
        .min_by_key(|(d, _)| *d)
        .map(|(_, g)| g)
}

/// Levenshtein distance between `a` and `b`, by bytes (group names are
/// ASCII words).
fn edits(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let next = (diag + usize::from(x != y))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group meant as a field but misnamed is an error naming the field;
    /// a field's name, and the names of other parts of a line, are not.
    #[test]
    fn a_misnamed_group_is_an_error_that_names_the_field() {
        for (name, field) in [
            ("request_time_ms", "latency_ms"),
            ("latency_msec", "latency_ms"),
            ("duration_millis", "latency_ms"),
            ("rt_us", "latency_us"),
            ("latency_nanos", "latency_ns"),
            ("request_time_seconds", "request_time"),
            ("staus", "status"),
            ("Status", "status"),
            ("methd", "method"),
            ("byte", "bytes"),
            ("upstream_tim", "upstream_time"),
            ("backnd", "backend"),
        ] {
            assert_eq!(meant(name), Some(field), "{name}");
            let re = format!(r"^(?P<path>\S+) (?P<status>\d+) (?P<{name}>\S+)$");
            let e = RegexFormat::new(&re, 20).unwrap_err().1;
            assert!(e.contains(&format!("`{name}`")), "{e}");
            assert!(e.contains(&format!("did you mean `{field}`")), "{e}");
        }
        for name in groups().chain([
            "ip",
            "client",
            "remote_addr",
            "agent",
            "user_agent",
            "referer",
            "ua",
            "proto",
            "port",
            "user",
            "id",
            "level",
            "msg",
            "request_id",
        ]) {
            assert_eq!(meant(name), None, "{name}");
        }
        // Such groups are read past, as before.
        let f = RegexFormat::new(r"^(?P<ip>\S+) (?P<path>\S+) (?P<status>\d+)$", 21).unwrap();
        let r = f
            .parse(b"10.0.0.1 /x 200", &mut Scratch::default())
            .unwrap();
        assert_eq!((r.target, r.status), (&b"/x"[..], 200));
    }

    #[test]
    fn named_groups() {
        let f = RegexFormat::new(
            r"^(?P<method>\S+) (?P<path>\S+) (?P<status>\d+) (?P<latency_ms>\d+)ms$",
            1,
        )
        .unwrap();
        let mut s = Scratch::default();
        let r = f.parse(b"GET /x 200 15ms", &mut s).unwrap();
        assert_eq!(
            (r.method, r.target, r.status, r.latency_us),
            (&b"GET"[..], &b"/x"[..], 200, Some(15_000))
        );
        assert_eq!(f.parse(b"nope", &mut s).unwrap_err(), ErrorKind::NoMatch);
        assert!(
            RegexFormat::new(r"(?P<path>\S+)", 2)
                .unwrap_err()
                .1
                .contains("status")
        );
        assert!(
            RegexFormat::new(r"(?P<status>\d+)", 3)
                .unwrap_err()
                .1
                .contains("path")
        );
        assert!(
            RegexFormat::new(r"(", 4)
                .unwrap_err()
                .1
                .contains("invalid regex")
        );
    }

    #[test]
    fn host_and_backend_groups() {
        let f = RegexFormat::new(
            r"^(?P<host>\S+) (?P<path>\S+) (?P<status>\d+) via (?P<backend>.+)$",
            5,
        )
        .unwrap();
        let mut s = Scratch::default();
        let r = f
            .parse(b"api.example /x 200 via 10.0.0.1:80, 10.0.0.2:80", &mut s)
            .unwrap();
        assert_eq!(
            (r.host, r.backend),
            (&b"api.example"[..], &b"10.0.0.2:80"[..])
        );
        let r = f.parse(b"- /x 200 via -", &mut s).unwrap();
        assert_eq!((r.host, r.backend), (&b""[..], &b""[..]));
        // Without the groups: none.
        let f = RegexFormat::new(r"^(?P<path>\S+) (?P<status>\d+)$", 6).unwrap();
        let r = f.parse(b"/x 200", &mut s).unwrap();
        assert_eq!((r.host, r.backend), (&b""[..], &b""[..]));
    }
}
