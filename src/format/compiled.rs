//! A compiled format: a spec turned once into the parser of its lines.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::builtin::Builtin;
use super::json::{FieldOverride, JsonFormat};
use super::prefix::Strip;
use super::record::{ErrorKind, Record, Scratch};
use super::regexfmt::RegexFormat;
use super::scan;
use super::spec::{FormatError, FormatSpec, PRESETS};
use super::template::Template;
use super::w3c::{self, W3cFormat};
use super::{apache, nginx};

static NEXT_UID: AtomicUsize = AtomicUsize::new(1);

enum Kind {
    Template(Template),
    Builtin(Builtin),
    Json(JsonFormat),
    Regex(RegexFormat),
    W3c(W3cFormat),
    /// Several line templates, each line parsed by the first that fits
    /// (a messy file: `common` and `combined` mixed, a vhost on some lines,
    /// a `log_format` changed mid-file). Templates only: their records
    /// borrow the line alone, so a failed try leaves nothing behind.
    Variants(Vec<(String, Template)>),
    /// A format whose lines come after a shipper's prefix, stripped first.
    Prefixed(Strip, Box<Format>),
}

/// The most variants one format holds: detection adds one per part of the
/// sample the others do not fit (a messy file has a few), and the spares
/// follow (`detect.rs` `SPARE_ORDER`). Room for every spare after the
/// file's own variant: with 8, the last five spares were never tried, so
/// a file that turned into `combined_upstream` after its first lines
/// counted each later line as bad.
pub const MAX_VARIANTS: usize = 16;

/// A header line of a format whose lines carry their own header (W3C
/// extended): counted as a header line, not parsed.
pub enum Header {
    /// A directive to count and nothing else (`#Software:`, `#Date:`, …).
    Line,
    /// A `#Fields:` line: the lines after it are parsed by this format.
    Fields(Format),
}

/// A compiled format.
pub struct Format {
    name: String,
    kind: Kind,
    /// An `auto` format of line templates: the templates of its family
    /// that a line no variant fits is tried on (see [`Spares`]).
    spares: Option<Box<Spares>>,
}

/// The line templates an `auto` format of the template family tries, in
/// order, on a line none of its own variants fits: the variants of a messy
/// file that its first lines did not show (`detect.rs` chooses them). The
/// first that fits parses the line, as variant `first + i`: which one is a
/// function of the line alone, so every thread and mode agrees. Only a
/// failing line tries them (a cold path); at most [`MAX_VARIANTS`] in all,
/// so a line no template fits costs at most that many tries.
struct Spares {
    first: u8,
    parts: Vec<(String, Template)>,
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Format({})", self.name)
    }
}

impl Format {
    /// Compiles a spec. `Auto` cannot be compiled without sample lines: use
    /// `detect::detect`.
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
                if let Some(b) = Builtin::of(name) {
                    return Ok(Format {
                        name: name.to_string(),
                        kind: Kind::Builtin(b),
                        spares: None,
                    });
                }
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
                    spares: None,
                })
            }
            FormatSpec::Apache(s) => {
                let fmt = apache::unwrap_directive(s);
                let pieces = apache::pieces(&fmt, 0).map_err(|e| err(&fmt, e))?;
                let t = Template::build(pieces).map_err(|e| err(&fmt, (e.at, e.msg)))?;
                Ok(Format {
                    name: format!("apache '{fmt}'"),
                    kind: Kind::Template(t),
                    spares: None,
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
                    spares: None,
                })
            }
            FormatSpec::W3c(flavour) => Ok(Format {
                name: flavour.name().into(),
                kind: Kind::W3c(W3cFormat::new(*flavour)),
                spares: None,
            }),
            FormatSpec::Regex(p) => {
                let r = RegexFormat::new(p, NEXT_UID.fetch_add(1, Ordering::Relaxed)).map_err(
                    |(at, msg)| FormatError {
                        spec: p.to_string(),
                        at,
                        msg,
                    },
                )?;
                Ok(Format {
                    name: format!("regex '{p}'"),
                    kind: Kind::Regex(r),
                    spares: None,
                })
            }
        }
    }

    /// One format of several line templates (`parts`, formats compiled
    /// from presets or format strings), each line parsed by the first that
    /// fits ([`Scratch::variant`] says which). `None` when a part is not a
    /// line template or there are more than [`MAX_VARIANTS`].
    pub fn variants(parts: Vec<Format>) -> Option<Format> {
        if parts.len() > MAX_VARIANTS {
            return None;
        }
        let name = parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ");
        let templates = parts
            .into_iter()
            .map(|p| match p.kind {
                Kind::Template(t) => Some((p.name, t)),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Format {
            name,
            kind: Kind::Variants(templates),
            spares: None,
        })
    }

    /// This format (a line template, or variants of them), each line no
    /// variant of it fits tried on `spares` in order (see [`Spares`]);
    /// those that are not line templates, and those past [`MAX_VARIANTS`]
    /// variants in all, are left out. Other formats are returned as they
    /// are.
    pub(super) fn with_spares(mut self, spares: Vec<Format>) -> Format {
        let first = match &self.kind {
            Kind::Template(_) => 1,
            Kind::Variants(v) => v.len(),
            _ => return self,
        };
        let parts: Vec<(String, Template)> = spares
            .into_iter()
            .filter_map(|p| match p.kind {
                Kind::Template(t) => Some((p.name, t)),
                _ => None,
            })
            .take(MAX_VARIANTS.saturating_sub(first))
            .collect();
        if !parts.is_empty() {
            self.spares = Some(Box::new(Spares {
                first: first as u8,
                parts,
            }));
        }
        self
    }

    /// `inner` on lines after the prefix `strip` says.
    pub fn prefixed(strip: Strip, inner: Format) -> Format {
        Format {
            name: format!("{} (after a {} prefix)", inner.name, strip.name()),
            kind: Kind::Prefixed(strip, Box::new(inner)),
            spares: None,
        }
    }

    /// Whether the format is one line template (a preset, an nginx or
    /// Apache format string): what a variant can be.
    pub(super) fn is_template(&self) -> bool {
        matches!(self.kind, Kind::Template(_))
    }

    /// Whether the format's own lines begin with a syslog header that its
    /// parser reads (HAProxy's): a syslog prefix is then not a shipper's
    /// to strip.
    pub fn reads_syslog_header(&self) -> bool {
        matches!(&self.kind, Kind::Builtin(b) if b.reads_syslog_header())
    }

    /// The names of the variants, in the order they are tried; empty for a
    /// format of one kind of line.
    pub fn variant_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = match &self.kind {
            Kind::Variants(v) => v.iter().map(|(n, _)| n.as_str()).collect(),
            Kind::Prefixed(_, inner) => return inner.variant_names(),
            Kind::Template(_) if self.spares.is_some() => vec![self.name.as_str()],
            _ => Vec::new(),
        };
        // The spares follow, by their variant index: a report shows one
        // only once it took a line (`engine::snapshot::variant_lines`).
        if let Some(sp) = &self.spares {
            names.extend(sp.parts.iter().map(|(n, _)| n.as_str()));
        }
        names
    }

    /// How the format is shown to users (`combined_rt`, `nginx '...'`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn set_name(&mut self, name: String) {
        self.name = name;
    }

    /// The line template, for tests that look inside it.
    #[cfg(test)]
    pub(super) fn template(&self) -> Option<&Template> {
        match &self.kind {
            Kind::Template(t) => Some(t),
            _ => None,
        }
    }

    /// Whether some lines are headers that change how the lines after them
    /// parse (W3C extended's `#Fields:`): the caller then offers each line
    /// starting with `#` to [`Format::header`] first. Asked once per batch
    /// of lines, not per line.
    pub fn has_headers(&self) -> bool {
        match &self.kind {
            Kind::W3c(_) => true,
            Kind::Prefixed(_, inner) => inner.has_headers(),
            _ => false,
        }
    }

    /// What a line is to a format with headers ([`Format::has_headers`]):
    /// `None` for a line to parse (and always for other formats).
    pub fn header(&self, line: &[u8]) -> Option<Header> {
        let line = scan::without_bom(line);
        if let Kind::Prefixed(strip, inner) = &self.kind {
            let at = strip.len(line);
            return Some(match inner.header(&line[at..])? {
                Header::Line => Header::Line,
                Header::Fields(f) => Header::Fields(Format {
                    name: self.name.clone(),
                    kind: Kind::Prefixed(strip.clone(), Box::new(f)),
                    spares: None,
                }),
            });
        }
        let Kind::W3c(w) = &self.kind else {
            return None;
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(match w3c::directive(line)? {
            w3c::Directive::Other => Header::Line,
            w3c::Directive::Fields(names) => Header::Fields(Format {
                name: self.name.clone(),
                kind: Kind::W3c(w.with_fields(names)),
                spares: None,
            }),
        })
    }

    /// Whether parsing a block's lines through its structural index
    /// (`scan::Marks`) pays for building it. The line templates (and W3C)
    /// find their quoted and spaced fields there, and so does Envoy's
    /// parser (`Builtin::reads_block_index`); the other hand-written
    /// parsers read short tokens with a loop and look up only a quote or
    /// two, and JSON and regex never use it, so for them indexing a block
    /// is only cost: `--once` cuts their lines with `memchr` and parses
    /// them with `scan::Plain` (benches/formats.rs, blocks against `via
    /// index` in one run: alb 1.46x of combined against 1.85x, s3 1.00x
    /// against 1.30x, json (gcp) 2.52x against 2.97x).
    pub fn reads_block_index(&self) -> bool {
        match &self.kind {
            Kind::Template(_) | Kind::Variants(_) | Kind::W3c(_) => true,
            Kind::Builtin(b) => b.reads_block_index(),
            Kind::Json(_) | Kind::Regex(_) => false,
            Kind::Prefixed(_, inner) => inner.reads_block_index(),
        }
    }

    /// Whether lines carry a request timer (latency columns make sense).
    pub fn has_latency(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_latency(),
            Kind::Builtin(b) => b.has_latency(),
            Kind::Json(j) => j.has_latency(),
            Kind::Regex(r) => r.has_latency(),
            Kind::W3c(w) => w.has_latency(),
            Kind::Variants(v) => v.iter().any(|(_, t)| t.has_latency()),
            Kind::Prefixed(_, inner) => inner.has_latency(),
        }
    }

    /// Whether lines carry the response's size (the bytes columns make
    /// sense). JSON: its keys are not known before its lines, and nearly
    /// every producer writes one.
    pub fn has_bytes(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_bytes(),
            Kind::Builtin(_) | Kind::Json(_) => true,
            Kind::Regex(r) => r.has_bytes(),
            Kind::W3c(w) => w.has_bytes(),
            Kind::Variants(v) => v.iter().any(|(_, t)| t.has_bytes()),
            Kind::Prefixed(_, inner) => inner.has_bytes(),
        }
    }

    pub fn has_upstream(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_upstream(),
            Kind::Builtin(b) => b.has_upstream(),
            Kind::Json(j) => j.has_upstream(),
            Kind::Regex(r) => r.has_upstream(),
            Kind::W3c(_) => false,
            Kind::Variants(v) => v.iter().any(|(_, t)| t.has_upstream()),
            Kind::Prefixed(_, inner) => inner.has_upstream(),
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
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
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
        // A byte order mark (`scan::BOM`, as `scan::without_bom` strips
        // it): the scan's offsets are the line's, so it skips it too. A
        // slice pattern, not `strip_prefix(scan::BOM)`: that cost the
        // combined row 2.4 % more instructions (callgrind, formats bench).
        let (line, scan) = match line {
            [0xEF, 0xBB, 0xBF, rest @ ..] => (rest, scan.skip(3)),
            _ => (line, scan),
        };
        if line.is_empty() {
            return Err(ErrorKind::Empty);
        }
        match &self.kind {
            Kind::Template(t) => match t.parse(line, &mut scratch.time, scan) {
                // Cold: only a line the template does not fit, of an
                // `auto` format with spares.
                Err(e) if self.spares.is_some() => {
                    parse_spares(&self.spares, e, line, scratch, scan)
                }
                r => r,
            },
            // Out of line, like W3C below: inlined, the hand-written
            // parsers' code made the template arm's (the hot path of
            // nearly every run) ~1.5 % more instructions per line.
            Kind::Builtin(b) => parse_builtin(*b, line, scratch, scan),
            Kind::Json(j) => j.parse(line, scratch),
            Kind::Regex(r) => r.parse(line, scratch),
            // Out of line: the template arm above is the hot path of
            // nearly every run. Inlined beside it (a second copy of the
            // template parser in the variants' loop), single-format runs
            // were 0.93-0.98x of before in bench-once; out of line,
            // 0.96-0.99x (one run each on a shared machine).
            Kind::W3c(w) => parse_w3c(w, line, scratch, scan),
            Kind::Variants(v) => parse_variants(v, &self.spares, line, scratch, scan),
            Kind::Prefixed(strip, inner) => parse_prefixed(strip, inner, line, scratch, scan),
        }
    }

    /// The parse of a line template by its generic matcher alone, without
    /// the combined family's own parser (`template/combined.rs`); `None`
    /// for other formats. Test support: the fuzz target `format_combined`
    /// holds [`Format::parse`] to it.
    #[cfg(any(test, feature = "testkit"))]
    pub fn parse_generic<'a>(
        &self,
        line: &'a [u8],
        scratch: &'a mut Scratch,
    ) -> Option<Result<Record<'a>, ErrorKind>> {
        let Kind::Template(t) = &self.kind else {
            return None;
        };
        let line = scan::without_bom(line.strip_suffix(b"\r").unwrap_or(line));
        if line.is_empty() {
            return Some(Err(ErrorKind::Empty));
        }
        Some(t.generic_parse(line, &mut scratch.time).1)
    }

    /// Explains why a line does not parse, for the parse-errors view.
    pub fn explain(&self, line: &[u8]) -> String {
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        let line = scan::without_bom(line);
        if let Some(sp) = &self.spares {
            let mut s = Scratch::default();
            if !line.is_empty()
                && sp
                    .parts
                    .iter()
                    .any(|(_, t)| t.parse(line, &mut s.time, scan::Plain).is_ok())
            {
                return "matches the format".into();
            }
        }
        match &self.kind {
            Kind::Template(t) => t.explain(line),
            Kind::W3c(w) => w.explain(line),
            Kind::Prefixed(strip, inner) => inner.explain(&line[strip.len(line)..]),
            Kind::Variants(v) => {
                let whys: Vec<String> = v.iter().map(|(_, t)| t.explain(line)).collect();
                if whys.iter().any(|w| w == "matches the format") {
                    return "matches the format".into();
                }
                let whys: Vec<String> = v
                    .iter()
                    .zip(whys)
                    .map(|((n, _), w)| format!("{n}: {w}"))
                    .collect();
                format!("fits no variant ({})", whys.join("; "))
            }
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

#[inline(never)]
fn parse_builtin<'a, S: scan::Scan>(
    b: Builtin,
    line: &'a [u8],
    scratch: &'a mut Scratch,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    b.parse(line, &mut scratch.time, scan)
}

#[inline(never)]
fn parse_w3c<'a, S: scan::Scan>(
    w: &W3cFormat,
    line: &'a [u8],
    scratch: &'a mut Scratch,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    w.parse(line, scratch, scan)
}

/// Each line by the first variant that fits, then by the first of the
/// spares; [`Scratch::variant`] says which. The first variant's error when
/// none fits.
#[inline(never)]
fn parse_variants<'a, S: scan::Scan>(
    v: &[(String, Template)],
    spares: &Option<Box<Spares>>,
    line: &'a [u8],
    scratch: &'a mut Scratch,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let mut first = ErrorKind::NoMatch;
    for (i, (_, t)) in v.iter().enumerate() {
        match t.parse(line, &mut scratch.time, scan) {
            Ok(r) => {
                scratch.variant = i as u8;
                return Ok(r);
            }
            Err(e) if i == 0 => first = e,
            Err(_) => {}
        }
    }
    parse_spares(spares, first, line, scratch, scan)
}

/// A line no variant fits, by the first of the spares that fits it;
/// [`Scratch::variant`] says which. `first`, the variants' error, when
/// none does.
#[cold]
#[inline(never)]
fn parse_spares<'a, S: scan::Scan>(
    spares: &Option<Box<Spares>>,
    first: ErrorKind,
    line: &'a [u8],
    scratch: &'a mut Scratch,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let Some(sp) = spares else {
        return Err(first);
    };
    for (i, (_, t)) in sp.parts.iter().enumerate() {
        if let Ok(r) = t.parse(line, &mut scratch.time, scan) {
            scratch.variant = sp.first + i as u8;
            return Ok(r);
        }
    }
    Err(first)
}

#[inline(never)]
fn parse_prefixed<'a, S: scan::Scan>(
    strip: &Strip,
    inner: &Format,
    line: &'a [u8],
    scratch: &'a mut Scratch,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let at = strip.len(line);
    inner.parse_scan(&line[at..], scratch, scan.skip(at))
}
