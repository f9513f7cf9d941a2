//! `auto`: picks a format from the first lines of an input, by one policy
//! in both modes.
//!
//! 1. An input's first lines are held until they can decide ([`ready`]: the
//!    sample is as full as more lines could make it), until no more lines
//!    will come, or — live — until they have waited a step. `--once` offers
//!    an input's first block (all of a small input, else 1 MiB), which
//!    always decides; after lines no format fits, the lines left in the
//!    block are offered as they are only when they are [`settled`], else
//!    again at the head of the next block, so that each sample is the one
//!    a whole block would give.
//! 2. The sample is the first [`SAMPLE_LINES`] lines that are not blank,
//!    among the first `4 × SAMPLE_LINES` whole lines. Every candidate is
//!    compiled and tried on it; the one that parses the most lines wins,
//!    ties going to the earlier (richer) candidate, so a log with
//!    `$request_time` is read as `combined_rt`, not as `combined`. The
//!    candidates' shapes exclude each other (a trailing field either is
//!    there or is not), so the order only matters for logs that fit none
//!    perfectly. A sample whose first line is a W3C directive (`#Software:`,
//!    `#Version:`, `#Fields:`, …) is a W3C extended log (`iis` when IIS
//!    wrote it, `cloudfront` when its columns are CloudFront's, else
//!    `w3c`) and no candidate is tried: see `w3c.rs`. When the winner
//!    leaves lines unparsed, the candidates that parse them are added as
//!    variants (a messy file, `with_variants`); when lines start with a
//!    log shipper's prefix (`prefix.rs`: docker compose, kubectl, syslog),
//!    the sample is tried again without it, and wins when more of it fits.
//!    A format of line templates also gets the other templates as spares
//!    (`SPARE_ORDER`, up to `MAX_VARIANTS` variants in all): a line no
//!    variant fits is read by the first spare that fits it, so shapes that
//!    start after the sample are read too; which variant reads a line is a
//!    function of the line alone, so every thread and mode agrees.
//! 3. When no candidate parses any line of a deciding sample, the held lines
//!    are counted as unparsed ([`NO_FORMAT`] says why) and the next lines are
//!    held and tried the same way: a log that starts with junk is still
//!    read. `--once` fails the run, saying so, when an input ends without a
//!    format found.

use super::compiled::{Format, MAX_VARIANTS};
use super::json::{FieldOverride, JsonFormat};
use super::prefix;
use super::record::Scratch;
use super::scan;
use super::spec::FormatSpec;
use super::w3c;

/// The detection result: which format, and how well it fit the sample.
#[derive(Debug)]
pub struct Detected {
    pub format: Format,
    pub matched: usize,
    pub sampled: usize,
}

/// Lines looked at; enough to outvote a few garbage lines.
pub const SAMPLE_LINES: usize = 64;

/// Candidates tried on every non-JSON sample, best first. `combined_D`
/// comes before `combined_rt`: an integer is a valid `$request_time` too,
/// so a sample of whole numbers (Apache's `%D`; nginx always writes a
/// fraction) fits both, and the tie must go to Apache; one `0.005` and
/// `combined_D` no longer fits.
const CANDIDATES: &[&str] = &[
    // Layouts of their own first: none fits another's lines (the
    // confusion-matrix test in tests/once.rs holds every sample to that).
    "alb",
    "elb",
    "s3",
    "haproxy",
    "envoy",
    "traefik_clf",
    "ingress_nginx",
    "combined_upstream",
    "combined_D",
    "combined_rt",
    "main",
    "combined",
    "vcombined",
    "common",
];

/// A non-preset shape seen in real deployments, tried last.
const EXTRA: &[&str] = &["$remote_addr-[$time_local]-$request-$status-$request_time"];

/// Shapes of messy real files, tried after the presets (a file of one of
/// them is read as it; in a mixed file they are variants for the lines the
/// others do not fit): the client field as a list (`10.0.0.2, 10.0.0.1`,
/// what a proxy chain logs in `$http_x_forwarded_for`), quoted or not
/// (the field takes any bytes up to ` - `), and a bare `-` for the
/// referer and user agent.
const MESSY: &[(&str, &str)] = &[
    (
        "combined (client list)",
        r#"$remote_addr, $http_x_forwarded_for - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
    ),
    (
        "combined (bare -)",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent - -"#,
    ),
];

/// Apache's vhost formats without the port (`%v` alone), tried last:
/// `vcombined` has `%v:%p`.
const EXTRA_APACHE: &[(&str, &str)] = &[
    (
        "vhost+combined",
        r#"%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
    ),
    ("vhost+common", r#"%v %h %l %u %t "%r" %>s %b"#),
];

/// [`EXTRA_APACHE`] compiled, under their names.
fn extra_apache() -> impl Iterator<Item = Format> {
    named(EXTRA_APACHE, |s| FormatSpec::Apache(s.to_string()))
}

/// [`MESSY`] compiled, under their names.
fn messy() -> impl Iterator<Item = Format> {
    named(MESSY, |s| FormatSpec::Nginx(s.to_string()))
}

fn named(
    list: &'static [(&'static str, &'static str)],
    spec: fn(&str) -> FormatSpec,
) -> impl Iterator<Item = Format> {
    list.iter().filter_map(move |(name, s)| {
        let mut f = Format::compile(&spec(s), &[]).ok()?;
        f.set_name(name.to_string());
        Some(f)
    })
}

/// Bytes of held lines after which an input stops waiting for more:
/// whatever the sample is then, it decides.
pub const DETECT_BYTES: usize = 256 * 1024;

/// Why lines held while no format fitted them are counted as unparsed.
pub const NO_FORMAT: &str = "no known format matches this input's first lines; give one with -f";

/// What `auto` makes of the start of an input.
#[derive(Debug)]
pub enum Verdict {
    /// This format parses most of the sample.
    Found(Detected),
    /// Nothing parses the sample yet, but more lines may change that.
    Wait,
    /// Nothing parses any of the `sampled` lines: the first `used` bytes of
    /// the data (the lines the sample was taken from; all of it when that
    /// is all there will be) are unparsed, and the lines after them are to
    /// be tried the same way.
    Unknown { sampled: usize, used: usize },
}

/// Detects the format of an input from `data`, the start of what it holds
/// (see the module docs for the sample). A format that parses any sample
/// line is [`Verdict::Found`]. Otherwise the verdict is final
/// ([`Verdict::Unknown`]) when `last` says no more lines will come or the
/// data is [`ready`]; else [`Verdict::Wait`].
pub fn detect_start(data: &[u8], json: &[FieldOverride], last: bool) -> Verdict {
    detect_start_with(data, json, last, None)
}

/// [`detect_start`], every line's prefix `strip` (`--strip-prefix`)
/// stripped first when given.
pub fn detect_start_with(
    data: &[u8],
    json: &[FieldOverride],
    last: bool,
    strip: Option<&prefix::Strip>,
) -> Verdict {
    let lines = window(data);
    if let Some(d) = detect_with(&lines, json, strip) {
        return Verdict::Found(d);
    }
    let sampled = sample_size(&lines);
    if decides(data, sampled) {
        // The lines after the sample's are tried on their own.
        Verdict::Unknown {
            sampled,
            used: sample_end(data),
        }
    } else if last {
        // All the lines there will be: every one of them was looked at.
        Verdict::Unknown {
            sampled,
            used: data.len(),
        }
    } else {
        Verdict::Wait
    }
}

/// Whether `held` lines can decide: they are [`settled`], or
/// [`DETECT_BYTES`] are held.
pub fn ready(held: &[u8]) -> bool {
    decides(held, sample_size(&window(held)))
}

/// Whether the verdict on `data` is the one any longer data starting the
/// same way would get: the sample is full, or the window of
/// `4 × SAMPLE_LINES` lines is (no line after them is looked at).
pub fn settled(data: &[u8]) -> bool {
    sample_size(&window(data)) == SAMPLE_LINES || full_window(data)
}

/// The lines the sample is taken from: the first `4 × SAMPLE_LINES` of
/// `data` up to its last newline (all of `data` when it has none).
fn window(data: &[u8]) -> Vec<&[u8]> {
    let end = memchr::memrchr(b'\n', data).map_or(data.len(), |i| i + 1);
    data[..end]
        .split(|&c| c == b'\n')
        .take(SAMPLE_LINES * 4)
        .collect()
}

/// Where the lines the sample is taken from end: after the sample's last
/// line when it is full, else after the window's last line.
fn sample_end(data: &[u8]) -> usize {
    let (mut at, mut sampled) = (0, 0);
    for line in window(data) {
        at = (at + line.len() + 1).min(data.len());
        if !is_blank(line) {
            sampled += 1;
            if sampled == SAMPLE_LINES {
                break;
            }
        }
    }
    at
}

/// Lines of the window that are in the sample.
fn sample_size(window: &[&[u8]]) -> usize {
    window
        .iter()
        .filter(|l| !is_blank(l))
        .count()
        .min(SAMPLE_LINES)
}

/// Whether `data`, whose window samples `sampled` lines, can decide.
fn decides(data: &[u8], sampled: usize) -> bool {
    sampled == SAMPLE_LINES || data.len() >= DETECT_BYTES || full_window(data)
}

/// Whether `data` holds the window's `4 × SAMPLE_LINES` whole lines.
fn full_window(data: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', data)
        .take(SAMPLE_LINES * 4)
        .count()
        == SAMPLE_LINES * 4
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|c| c.is_ascii_whitespace())
}

/// Chooses the format that parses most of `lines` (blank lines ignored).
/// `None` when nothing parses any line.
pub fn detect(lines: &[&[u8]], json: &[FieldOverride]) -> Option<Detected> {
    detect_with(lines, json, None)
}

/// [`detect`], every line's prefix `strip` (`--strip-prefix`) stripped
/// first when given (then no known prefix is looked for).
pub fn detect_with(
    lines: &[&[u8]],
    json: &[FieldOverride],
    strip: Option<&prefix::Strip>,
) -> Option<Detected> {
    let sample: Vec<&[u8]> = lines
        .iter()
        .map(|l| scan::without_bom(l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|l| !is_blank(l))
        .take(SAMPLE_LINES)
        .collect();
    if sample.is_empty() {
        return None;
    }
    if let Some(strip) = strip {
        let stripped: Vec<&[u8]> = sample.iter().map(|l| &l[strip.len(l)..]).collect();
        let inner = detect_sample(&stripped, json)?;
        return Some(Detected {
            format: Format::prefixed(strip.clone(), inner.format),
            matched: inner.matched,
            sampled: sample.len(),
        });
    }
    let best = detect_sample(&sample, json);
    // Lines behind a log shipper's prefix (`prefix.rs`): read without it
    // when that fits as many of them (a vhost without port would take a
    // kubectl timestamp for its name).
    if let Some(strip) = prefix::sniff(&sample) {
        let stripped: Vec<&[u8]> = sample.iter().map(|l| &l[strip.len(l)..]).collect();
        // On a tie the prefix wins, except over a format that reads that
        // prefix itself: HAProxy's lines come with a syslog header by
        // design, and its parser reads it (no strip on every line).
        let reads_it = |b: &Detected| b.format.reads_syslog_header();
        if let Some(inner) = detect_sample(&stripped, json)
            && best.as_ref().is_none_or(|b| {
                inner.matched > b.matched || (inner.matched == b.matched && !reads_it(b))
            })
        {
            return Some(Detected {
                format: Format::prefixed(strip, inner.format),
                matched: inner.matched,
                sampled: sample.len(),
            });
        }
    }
    best
}

/// [`detect`] on a sample (non-blank lines, no `\r`), prefixes aside.
fn detect_sample(sample: &[&[u8]], json: &[FieldOverride]) -> Option<Detected> {
    let sample: Vec<&[u8]> = sample.iter().copied().filter(|l| !is_blank(l)).collect();
    if sample.is_empty() {
        return None;
    }
    if let Some(d) = headed(&sample) {
        return Some(d);
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
    if best.as_ref().is_none_or(|b| b.matched < sample.len()) {
        // The messy shapes first: a vhost without port fits a client
        // list of two (`10.0.0.2, 10.0.0.1 - -`), a list never a vhost.
        for format in messy().chain(extra_apache()) {
            let matched = sample
                .iter()
                .filter(|l| format.parse(l, &mut scratch).is_ok())
                .count();
            if matched > 0 && best.as_ref().is_none_or(|b| matched > b.matched) {
                best = Some(Detected {
                    format,
                    matched,
                    sampled: sample.len(),
                });
            }
        }
    }
    best.map(|b| with_variants(b, &sample))
}

/// Adds to `chosen`, while lines are `left` and there is room, the
/// candidate of `others` that parses the most of them (the earliest of
/// equals), and drops the lines it parses.
fn add_variants(
    chosen: &mut Vec<Format>,
    others: &mut Vec<Format>,
    left: &mut Vec<&[u8]>,
    scratch: &mut Scratch,
) {
    while !left.is_empty() && chosen.len() < MAX_VARIANTS {
        let mut pick: Option<(usize, usize)> = None;
        for (i, f) in others.iter().enumerate() {
            let n = left.iter().filter(|l| f.parse(l, scratch).is_ok()).count();
            if n > 0 && pick.is_none_or(|(_, best)| n > best) {
                pick = Some((i, n));
            }
        }
        let Some((i, _)) = pick else {
            return;
        };
        let f = others.remove(i);
        left.retain(|l| f.parse(l, scratch).is_err());
        chosen.push(f);
    }
}

/// The line templates a messy file's variants are chosen from, in order of
/// preference: every candidate `auto` tries.
fn template_candidates() -> Vec<Format> {
    CANDIDATES
        .iter()
        .map(|n| FormatSpec::parse(n).expect("preset"))
        .chain(EXTRA.iter().map(|s| FormatSpec::Nginx(s.to_string())))
        .filter_map(|spec| Format::compile(&spec, &[]).ok())
        // Variants are line templates: the hand-written parsers (ALB,
        // HAProxy, …) are candidates for a whole file only.
        .filter(Format::is_template)
        .collect()
}

/// A messy file: when the best format leaves lines of the sample unparsed,
/// the candidate that parses most of those is added as a variant, and so
/// on, up to `MAX_VARIANTS` or until every line fits; each line is then
/// parsed by the first variant that fits it (`Format::variants`). Line
/// templates only (`common` and `combined` mixed, a vhost on some lines, a
/// trailing field on others, a `log_format` changed mid-file). A variant
/// is added only for lines no variant before it parses, so a file of one
/// format stays that format.
fn with_variants(best: Detected, sample: &[&[u8]]) -> Detected {
    let mut d = chosen_variants(best, sample);
    let names: Vec<String> = match d.format.variant_names() {
        v if v.is_empty() => vec![d.format.name().to_string()],
        v => v.into_iter().map(String::from).collect(),
    };
    d.format = d.format.with_spares(spares(&names));
    d
}

/// The order in which a format of line templates tries the other
/// templates `auto` knows on a line none of its variants fits
/// (`Format::with_spares`): the shapes real files mix most first (`common`
/// and `combined`, nginx's `main`, a `log_format` that gained
/// `$request_time`, a vhost, a client list, a bare `-`), since the first
/// that fits a line reads it. The loose shape of [`EXTRA`] is not one: it
/// takes a file's format only when it fits the first lines.
const SPARE_ORDER: &[&str] = &[
    "combined",
    "common",
    "main",
    // Before `combined_rt`, as in `CANDIDATES`: a whole number fits
    // `$request_time` too, so Apache's `%D` microseconds were read as
    // seconds (nginx always writes a fraction, which `%D` does not fit).
    "combined_D",
    "combined_rt",
    "vcombined",
    "combined (client list)",
    "combined (bare -)",
    "vhost+combined",
    "vhost+common",
    "combined_upstream",
    "ingress_nginx",
    "traefik_clf",
];

// Every spare has a variant's place after the file's own format.
const _: () = assert!(SPARE_ORDER.len() < MAX_VARIANTS);

/// The templates of `SPARE_ORDER` not among `chosen` (variant names),
/// in that order.
fn spares(chosen: &[String]) -> Vec<Format> {
    let mut all: Vec<Format> = template_candidates()
        .into_iter()
        .chain(messy())
        .chain(extra_apache())
        .collect();
    let mut out = Vec::new();
    for name in SPARE_ORDER {
        if chosen.iter().any(|c| c == name) {
            continue;
        }
        if let Some(i) = all.iter().position(|f| f.name() == *name) {
            out.push(all.swap_remove(i));
        }
    }
    out
}

/// The format of variants `with_variants` made, again, from its name
/// and its variant names (`Format::variant_names`), as saved state keeps
/// them; `None` when they do not make that format again (a name this
/// version does not know). A format behind a shipper's prefix is named
/// after its shippers, so it rebuilds with them; behind `--strip-prefix`,
/// with `strip`, the one given to this run (the saved name does not hold
/// the pattern).
pub fn rebuild_variants(
    name: &str,
    variants: &[String],
    strip: Option<&prefix::Strip>,
) -> Option<Format> {
    if let Some((inner, shippers)) = name
        .strip_suffix(" prefix)")
        .and_then(|n| n.rsplit_once(" (after a "))
    {
        let strip = match shippers {
            "--strip-prefix" => strip
                .filter(|s| matches!(s, prefix::Strip::Regex(_)))?
                .clone(),
            list => prefix::Strip::Known(
                list.split(", ")
                    .map(|n| prefix::Shipper::ALL.into_iter().find(|s| s.name() == n))
                    .collect::<Option<_>>()?,
            ),
        };
        let f = Format::prefixed(strip, rebuild_variants(inner, variants, None)?);
        return (f.name() == name).then_some(f);
    }
    let chosen: Vec<&str> = name.split(" + ").collect();
    if variants.len() < chosen.len() || variants[..chosen.len()] != chosen[..] {
        return None;
    }
    let mut pool: Vec<Format> = template_candidates()
        .into_iter()
        .chain(messy())
        .chain(extra_apache())
        .collect();
    let mut take = |n: &str| {
        let i = pool.iter().position(|f| f.name() == n)?;
        Some(pool.swap_remove(i))
    };
    let mut parts: Vec<Format> = chosen.iter().map(|n| take(n)).collect::<Option<_>>()?;
    let spares: Vec<Format> = variants[chosen.len()..]
        .iter()
        .map(|n| take(n))
        .collect::<Option<_>>()?;
    let base = match parts.len() {
        1 => parts.pop()?,
        _ => Format::variants(parts)?,
    };
    let f = base.with_spares(spares);
    (f.name() == name && f.variant_names() == variants).then_some(f)
}

/// `with_variants` before the spares: the variants the sample shows.
fn chosen_variants(best: Detected, sample: &[&[u8]]) -> Detected {
    if best.matched == best.sampled || !best.format.is_template() {
        return best;
    }
    let mut scratch = Scratch::default();
    let mut left: Vec<&[u8]> = sample
        .iter()
        .copied()
        .filter(|l| best.format.parse(l, &mut scratch).is_err())
        .collect();
    let mut chosen = vec![best.format];
    // The presets first, then the messy shapes, then the vhosts without
    // port, which fit a client list of two too (`10.0.0.2, 10.0.0.1 - -`:
    // vhost `10.0.0.2,`): each takes only the lines the ones before left.
    for mut others in [
        template_candidates(),
        messy().collect(),
        extra_apache().collect(),
    ] {
        add_variants(&mut chosen, &mut others, &mut left, &mut scratch);
    }
    let matched = best.sampled - left.len();
    let sampled = best.sampled;
    if chosen.len() == 1 {
        let format = chosen.pop().expect("one");
        return Detected {
            format,
            matched,
            sampled,
        };
    }
    Detected {
        // Every variant is a template (`template_candidates`, `messy`,
        // `extra_apache` make only those) and `add_variants` stops at
        // MAX_VARIANTS: this holds whatever the input.
        format: Format::variants(chosen).expect("templates, at most MAX_VARIANTS"),
        matched,
        sampled,
    }
}

/// A log that names its own columns in header lines (W3C extended: IIS,
/// CloudFront, any `#Fields:` file) is recognised by its first line, a W3C
/// directive, before any candidate is tried: no other format's line starts
/// that way, and its data lines parse only under the header.
fn headed(sample: &[&[u8]]) -> Option<Detected> {
    let (flavour, matched) = w3c::sniff(sample)?;
    let format = Format::compile(&FormatSpec::W3c(flavour), &[]).ok()?;
    Some(Detected {
        format,
        matched,
        sampled: sample.len(),
    })
}
