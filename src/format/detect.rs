//! `auto`: picks a format from the first lines of an input.
//!
//! Every candidate is compiled and tried on the sample; the one that parses
//! the most lines wins, ties going to the earlier (richer) candidate, so a
//! log with `$request_time` is read as `combined_rt`, not as `combined`. The
//! candidates' shapes exclude each other (a trailing field either is there or
//! is not), so the order only matters for logs that fit none perfectly.

use super::compiled::Format;
use super::json::{FieldOverride, JsonFormat};
use super::record::Scratch;
use super::spec::FormatSpec;

/// The detection result: which format, and how well it fit the sample.
#[derive(Debug)]
pub struct Detected {
    pub format: Format,
    pub matched: usize,
    pub sampled: usize,
}

/// Lines looked at; enough to outvote a few garbage lines.
pub const SAMPLE_LINES: usize = 64;

/// Candidates tried on every non-JSON sample, best first.
const CANDIDATES: &[&str] = &[
    "combined_upstream",
    "combined_rt",
    "main",
    "combined_D",
    "combined",
    "vcombined",
    "common",
];

/// A non-preset shape seen in real deployments, tried last.
const EXTRA: &[&str] = &["$remote_addr-[$time_local]-$request-$status-$request_time"];

/// Chooses the format that parses most of `lines` (blank lines ignored).
/// `None` when nothing parses any line.
pub fn detect(lines: &[&[u8]], json: &[FieldOverride]) -> Option<Detected> {
    let sample: Vec<&[u8]> = lines
        .iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(|c| c.is_ascii_whitespace()))
        .take(SAMPLE_LINES)
        .collect();
    if sample.is_empty() {
        return None;
    }
    let mut specs: Vec<FormatSpec> = Vec::new();
    let jsonish = sample.iter().filter(|l| l.first() == Some(&b'{')).count();
    if jsonish * 2 >= sample.len() {
        specs.push(FormatSpec::Json);
    }
    specs.extend(
        CANDIDATES
            .iter()
            .map(|n| FormatSpec::parse(n).expect("preset")),
    );
    specs.extend(EXTRA.iter().map(|s| FormatSpec::Nginx(s.to_string())));

    let mut best: Option<Detected> = None;
    let mut scratch = Scratch::default();
    for spec in specs {
        let Ok(mut format) = Format::compile(&spec, json) else {
            continue;
        };
        let matched = sample
            .iter()
            .filter(|l| format.parse(l, &mut scratch).is_ok())
            .count();
        if matched > 0 && best.as_ref().is_none_or(|b| matched > b.matched) {
            if spec == FormatSpec::Json {
                let flavour = JsonFormat::flavour(sample[0]);
                format.set_name(format!("json ({flavour})"));
            }
            best = Some(Detected {
                format,
                matched,
                sampled: sample.len(),
            });
            if matched == sample.len() {
                break;
            }
        }
    }
    best
}
