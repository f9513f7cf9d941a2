//! What the fuzz targets share: the invariants every format must keep on
//! any bytes, and a strict reader of the Prometheus text format (and
//! OpenMetrics) that the exposition target holds routetop's output to.
//!
//! A failed assertion is a crash to libFuzzer, the same as a panic in
//! routetop: each check says which invariant broke.

use std::collections::HashSet;

use routetop::format::scan::{self, Marks};
use routetop::format::{ErrorKind, Format, Scratch};

/// Fuzz inputs that are a spec and then lines: the first line is the spec.
pub fn split_spec(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&c| c == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Parses every line of `data` with `format`, holding it to what the rest
/// of routetop relies on:
///
/// - a block's structural index (`Marks`, batch runs) cuts the same lines
///   as `scan::lines` (live) and a line parses the same through either;
/// - a parsed status has three digits; a host or backend is never `-`;
/// - `explain` (the parse-errors view) says a line matches exactly when
///   it parses, and why not otherwise.
pub fn check_format(format: &Format, data: &[u8]) {
    let mut marks = Marks::default();
    marks.index(data);
    let plain: Vec<&[u8]> = scan::lines(data).collect();
    let indexed: Vec<(usize, usize)> = marks.lines().collect();
    assert_eq!(
        plain.len(),
        indexed.len(),
        "Marks::lines and scan::lines cut different lines"
    );
    let (mut s1, mut s2) = (Scratch::default(), Scratch::default());
    for (line, &(s, e)) in plain.iter().zip(&indexed) {
        assert_eq!(*line, &data[s..e], "Marks::lines and scan::lines differ");
        let a = format.parse(line, &mut s1);
        let b = format.parse_scan(&data[s..e], &mut s2, marks.at(s));
        assert_eq!(a, b, "plain and indexed parses differ on {line:?}");
        // What a worker's scratch remembers of the lines before (a time, a
        // JSON line's keys) never changes how this one parses.
        let mut s3 = Scratch::default();
        let fresh = format.parse(line, &mut s3);
        assert_eq!(a, fresh, "the lines before changed the parse of {line:?}");
        let why = format.explain(line);
        match a {
            Ok(r) => {
                assert!(r.status <= 999, "status {} is not three digits", r.status);
                // `-` is a format's "none": never a host or backend.
                assert_ne!(r.host, b"-", "host `-` on {line:?}");
                assert_ne!(r.backend, b"-", "backend `-` on {line:?}");
                assert_eq!(why, "matches the format", "explain of a parsed line");
            }
            Err(ErrorKind::Empty) => {}
            Err(_) => assert_ne!(why, "matches the format", "explain of a bad line"),
        }
    }
}

/// Which exposition format a text is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    /// Prometheus text format 0.0.4.
    Text,
    OpenMetrics,
}

/// Reads `text` as a strict Prometheus text-format (or OpenMetrics) parser
/// would and returns the number of samples; panics, saying what and
/// where, on anything it would refuse, and on two samples of one series
/// (same name, same label set), which Prometheus rejects as a duplicate.
pub fn check_exposition(text: &str, dialect: Dialect) -> usize {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "exposition does not end with a newline"
    );
    let mut typed: HashSet<&str> = HashSet::new();
    let mut helped: HashSet<&str> = HashSet::new();
    let mut series: HashSet<String> = HashSet::new();
    let mut eof = false;
    for (n, line) in text.lines().enumerate() {
        let at = || format!("line {}: {line:?}", n + 1);
        assert!(!eof, "{}: after # EOF", at());
        if let Some(rest) = line.strip_prefix('#') {
            if dialect == Dialect::OpenMetrics && line == "# EOF" {
                eof = true;
                continue;
            }
            let rest = rest
                .strip_prefix(' ')
                .unwrap_or_else(|| panic!("{}: comment without a space", at()));
            let (kw, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            match kw {
                "HELP" => {
                    let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                    assert!(is_metric_name(name), "{}: bad HELP name", at());
                    assert!(helped.insert(name), "{}: second HELP", at());
                    check_escapes(help, false).unwrap_or_else(|e| panic!("{}: {e}", at()));
                }
                "TYPE" => {
                    let (name, ty) = rest
                        .split_once(' ')
                        .unwrap_or_else(|| panic!("{}: TYPE without a type", at()));
                    assert!(is_metric_name(name), "{}: bad TYPE name", at());
                    let types: &[&str] = match dialect {
                        Dialect::Text => &["counter", "gauge", "histogram", "summary", "untyped"],
                        Dialect::OpenMetrics => &[
                            "counter",
                            "gauge",
                            "histogram",
                            "summary",
                            "unknown",
                            "gaugehistogram",
                            "stateset",
                            "info",
                        ],
                    };
                    assert!(types.contains(&ty), "{}: unknown type", at());
                    assert!(typed.insert(name), "{}: second TYPE", at());
                }
                "UNIT" if dialect == Dialect::OpenMetrics => {}
                _ => assert!(dialect == Dialect::Text, "{}: unknown comment", at()),
            }
            continue;
        }
        assert!(
            !line.is_empty() || dialect == Dialect::Text,
            "{}: blank",
            at()
        );
        if line.is_empty() {
            continue;
        }
        let key = sample(line).unwrap_or_else(|e| panic!("{}: {e}", at()));
        assert!(series.insert(key), "{}: duplicate series", at());
    }
    assert!(
        dialect == Dialect::Text || eof,
        "OpenMetrics exposition without # EOF"
    );
    series.len()
}

fn is_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

fn is_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Only `\\` and `\n` in HELP text, and `\"` too in label values; no raw
/// newline (the caller's line split would have cut it).
fn check_escapes(s: &str, quote: bool) -> Result<(), String> {
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some('\\' | 'n') => {}
                Some('"') if quote => {}
                other => return Err(format!("bad escape \\{other:?}")),
            },
            '"' if quote => return Err("unescaped quote".into()),
            _ => {}
        }
    }
    Ok(())
}

/// One sample line → its series key (name and sorted labels).
fn sample(line: &str) -> Result<String, String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or("no value after the metric name")?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut rest = &line[name_end..];
    let mut labels: Vec<(&str, &str)> = Vec::new();
    if let Some(r) = rest.strip_prefix('{') {
        rest = r;
        loop {
            if let Some(r) = rest.strip_prefix('}') {
                rest = r;
                break;
            }
            let eq = rest.find('=').ok_or("label without =")?;
            let lname = &rest[..eq];
            if !is_label_name(lname) {
                return Err(format!("bad label name {lname:?}"));
            }
            let r = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value without a quote")?;
            // The value ends at the first quote that no backslash escapes.
            let b = r.as_bytes();
            let mut i = 0;
            let end = loop {
                match b.get(i) {
                    None => return Err("unterminated label value".into()),
                    Some(b'\\') => i += 2,
                    Some(b'"') => break i,
                    Some(_) => i += 1,
                }
            };
            let value = &r[..end];
            check_escapes(value, true)?;
            if labels.iter().any(|(n, _)| *n == lname) {
                return Err(format!("label {lname} twice"));
            }
            labels.push((lname, value));
            rest = &r[end + 1..];
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
            } else if !rest.starts_with('}') {
                return Err("expected , or } after a label".into());
            }
        }
    }
    let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let mut parts = rest.split(' ');
    let value = parts.next().unwrap_or_default();
    let ok = matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok();
    if !ok {
        return Err(format!("bad value {value:?}"));
    }
    if let Some(ts) = parts.next()
        && ts.parse::<f64>().is_err()
    {
        return Err(format!("bad timestamp {ts:?}"));
    }
    if parts.next().is_some() {
        return Err("more after the timestamp".into());
    }
    labels.sort_unstable();
    let mut key = name.to_string();
    for (n, v) in labels {
        key.push('\u{0}');
        key.push_str(n);
        key.push('=');
        key.push_str(v);
    }
    Ok(key)
}
