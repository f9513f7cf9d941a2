//! A compiled format: a spec turned once into the parser of its lines.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::builtin::Builtin;
use super::json::{FieldOverride, JsonFormat};
use super::record::{ErrorKind, Record, Scratch};
use super::regexfmt::RegexFormat;
use super::scan;
use super::spec::{FormatError, FormatSpec, PRESETS};
use super::template::Template;
use super::{apache, nginx};

static NEXT_UID: AtomicUsize = AtomicUsize::new(1);

enum Kind {
    Template(Template),
    Builtin(Builtin),
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
                })
            }
        }
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

    /// Whether lines carry a request timer (latency columns make sense).
    pub fn has_latency(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_latency(),
            Kind::Builtin(b) => b.has_latency(),
            Kind::Json(j) => j.has_latency(),
            Kind::Regex(r) => r.has_latency(),
        }
    }

    pub fn has_upstream(&self) -> bool {
        match &self.kind {
            Kind::Template(t) => t.has_upstream(),
            Kind::Builtin(b) => b.has_upstream(),
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
        if line.is_empty() {
            return Err(ErrorKind::Empty);
        }
        match &self.kind {
            Kind::Template(t) => t.parse(line, &mut scratch.time, scan),
            Kind::Builtin(b) => b.parse(line, &mut scratch.time, scan),
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
