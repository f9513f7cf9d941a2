//! `auto`: picks a format from the first lines of an input, with the same
//! rules in both modes ([`detect_start`]): `--once` offers an input's
//! first block and must decide; a live input's lines are held until they
//! decide, or until no more can help.
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

/// Bytes of held lines after which a live input stops waiting for more:
/// whatever the sample is then, it decides.
pub const DETECT_BYTES: usize = 256 * 1024;

/// What `auto` makes of the start of an input.
#[derive(Debug)]
pub enum Verdict {
    /// This format parses most of the sample.
    Found(Detected),
    /// Nothing parses the sample yet, but more lines may change that.
    Wait,
    /// Nothing parses any of the `sampled` lines, and no more will be
    /// looked at.
    Unknown { sampled: usize },
}

/// Detects the format of an input from `data`, the start of what it holds:
/// its first `4 × SAMPLE_LINES` lines up to the last newline (all of `data`
/// when it has none), of which the first [`SAMPLE_LINES`] that are not
/// blank are the sample. A format that parses any of them is
/// [`Verdict::Found`]. Otherwise the verdict is final
/// ([`Verdict::Unknown`]) when `last` says no more lines will come, the
/// sample is full, or `data` holds [`DETECT_BYTES`]; else [`Verdict::Wait`].
pub fn detect_start(data: &[u8], json: &[FieldOverride], last: bool) -> Verdict {
    let end = memchr::memrchr(b'\n', data).map_or(data.len(), |i| i + 1);
    let lines: Vec<&[u8]> = data[..end]
        .split(|&c| c == b'\n')
        .take(SAMPLE_LINES * 4)
        .collect();
    if let Some(d) = detect(&lines, json) {
        return Verdict::Found(d);
    }
    let sampled = lines
        .iter()
        .filter(|l| !is_blank(l))
        .count()
        .min(SAMPLE_LINES);
    if last || sampled == SAMPLE_LINES || data.len() >= DETECT_BYTES {
        Verdict::Unknown { sampled }
    } else {
        Verdict::Wait
    }
}

/// [`detect_start`] when no more lines will come: the format found, or
/// how many lines were sampled in vain.
pub fn detect_now(data: &[u8], json: &[FieldOverride]) -> Result<Detected, usize> {
    match detect_start(data, json, true) {
        Verdict::Found(d) => Ok(d),
        Verdict::Unknown { sampled } => Err(sampled),
        // `last` makes every verdict final.
        Verdict::Wait => Err(0),
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|c| c.is_ascii_whitespace())
}

/// Chooses the format that parses most of `lines` (blank lines ignored).
/// `None` when nothing parses any line.
pub fn detect(lines: &[&[u8]], json: &[FieldOverride]) -> Option<Detected> {
    let sample: Vec<&[u8]> = lines
        .iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !is_blank(l))
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
