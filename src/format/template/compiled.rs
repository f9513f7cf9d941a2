//! A compiled line template: built from the pieces of a format string,
//! matched against lines, and explaining lines that do not match.
//!
//! The line template that nginx `log_format` strings, Apache `LogFormat`
//! strings and the presets compile into: literals and typed fields.
//!
//! Matching is left to right over bytes. Every field has a *class* saying what
//! its value may contain (digits, a decimal, a token without spaces, a fixed
//! width, anything). Where a field's class cannot contain the first byte of
//! the literal after it, the field's end is found in one `memchr`-speed scan
//! and there is nothing to guess. Where it can — `$request` followed by `-`
//! in `'$remote_addr-[$time_local]-$request-$status-$request_time'`, where
//! paths and dates contain `-` too — the matcher tries each occurrence of the
//! literal, shortest first, and backtracks when the fields after it do not fit
//! their classes. The narrow classes of the later fields (`$status` is a
//! word of letters and digits, `$request_time` a number) are what make the
//! choice unambiguous.
//! A step budget bounds the work on hostile lines.
//!
//! Fields between double quotes are scanned up to the first unescaped quote:
//! nginx writes `"` inside values as `\x22` and Apache as `\"`, so a quote
//! that is not preceded by a backslash always closes the field.

use super::combined::{self, Combined};
use super::matcher::{Matcher, linear_ops, run_ops};
use super::vocab::{
    Class, Field, FieldSpec, Lit, Op, Piece, S_BACKEND, S_BYTES, S_HOST, S_LATENCY, S_METHOD,
    S_PATH, S_REQUEST, S_STATUS, S_TARGET, S_TIME, S_UPSTREAM, SLOTS, Tok, slot_of,
};
use crate::format::record::{ErrorKind, Odd, Record, TimeCache};
#[cfg(any(test, feature = "testkit"))]
use crate::format::scan::Plain;
use crate::format::scan::Scan;
use crate::format::value::{self, Unit};

/// Work allowed per line before it is declared not to match: a few thousand
/// steps is far more than any real line needs (combined: ~25) and bounds a
/// hostile 64 KiB line of `-` to microseconds.
const STEP_BUDGET: u32 = 4096;

#[derive(Debug)]
pub struct Template {
    toks: Vec<Tok>,
    /// The same tokens as [`Op`]s when every field's end is found by one
    /// scan (no literal can also occur inside a value), so matching needs no
    /// backtracking: the case of all presets and most real formats, run by
    /// [`run_ops`]. Empty otherwise (a template always has a field, so a
    /// linear one never has no ops).
    ops: Vec<Op>,
    /// For a linear template that starts like the combined family: that
    /// start matched by straight-line code, and the ops after it.
    fast: Option<(Combined, Vec<Op>)>,
    /// The start is the whole template and its record is built straight
    /// from the line ([`Combined::record`], the combined family's own
    /// parser): `combined`, `common`, `combined_rt`, `combined_D`.
    straight: bool,
    latency_unit: Option<Unit>,
    upstream_unit: Option<Unit>,
    time_kind: Option<Field>,
    /// The backend is nginx's `$upstream_addr` list, of which the last
    /// address is the one that answered.
    backend_list: bool,
    /// The host is Apache's `%v`/`%V`, logged with a port by some
    /// configurations: the port is dropped.
    host_port: bool,
    /// A field gives the response's size.
    has_bytes: bool,
}

/// Why a template cannot be built, with the offset in the format string.
#[derive(Debug)]
pub struct BuildError {
    pub at: usize,
    pub msg: String,
}

impl Template {
    pub fn build(pieces: Vec<Piece>) -> Result<Template, BuildError> {
        // Merge adjacent literals so that "field, literal, field" alternates.
        let mut merged: Vec<Piece> = Vec::with_capacity(pieces.len());
        for p in pieces {
            match (merged.last_mut(), p) {
                (Some(Piece::Lit(a)), Piece::Lit(b)) => a.extend_from_slice(&b),
                (_, Piece::Lit(b)) if b.is_empty() => {}
                (_, p) => merged.push(p),
            }
        }
        let n = merged.len();
        // One host and one backend a line: the first host field, and a
        // service name (`$proxy_upstream_name`, `Class::Name`) over an
        // address list (`$upstream_addr`): a name says which service, an
        // address only which pod.
        let backend_name = merged.iter().any(|p| {
            matches!(
                p,
                Piece::Field {
                    field: Field::Backend,
                    class: Class::Name,
                    ..
                }
            )
        });
        let mut backend_list = false;
        let mut host_port = false;
        let mut toks = Vec::with_capacity(n);
        let mut have = [false; SLOTS];
        let (mut latency_unit, mut upstream_unit, mut time_kind) = (None, None, None);
        for i in 0..n {
            match &merged[i] {
                Piece::Lit(b) => toks.push(Tok::Lit(Lit::new(b))),
                Piece::Field {
                    field,
                    class,
                    name,
                    at,
                } => {
                    let prev_quote = matches!(i.checked_sub(1).map(|j| &merged[j]), Some(Piece::Lit(b)) if b.last() == Some(&b'"'));
                    let next = merged.get(i + 1);
                    let next_quote =
                        matches!(next, Some(Piece::Lit(b)) if b.first() == Some(&b'"'));
                    if let Some(Piece::Field {
                        name: next_name, ..
                    }) = next
                        && matches!(class, Class::Free | Class::Token)
                    {
                        return Err(BuildError {
                            at: *at,
                            msg: format!(
                                "`{name}` is followed directly by `{next_name}`: nothing separates them, so where one ends is unknowable"
                            ),
                        });
                    }
                    let quoted =
                        prev_quote && next_quote && matches!(class, Class::Free | Class::Token);
                    let field = match field {
                        Field::Host if have[S_HOST] => &Field::Ignore,
                        Field::Backend
                            if have[S_BACKEND] || (backend_name && *class != Class::Name) =>
                        {
                            &Field::Ignore
                        }
                        Field::Backend => {
                            backend_list = *class == Class::List;
                            field
                        }
                        Field::Host => {
                            // Apache's `%v`/`%V` name a server, whose port
                            // is `%p`: a messy file's vhost prefix with a
                            // port (`shop.example.com:443`) read by `%v`
                            // alone is the same host.
                            host_port = matches!(&name[..], "%v" | "%V");
                            field
                        }
                        _ => field,
                    };
                    if let Some(s) = slot_of(*field) {
                        have[s] = true;
                    }
                    match field {
                        Field::Latency(u) => latency_unit = Some(*u),
                        Field::Upstream(u) => upstream_unit = Some(*u),
                        Field::TimeLocal | Field::TimeIso | Field::TimeEpoch => {
                            time_kind = Some(*field)
                        }
                        _ => {}
                    }
                    toks.push(Tok::Field(FieldSpec {
                        field: *field,
                        class: *class,
                        quoted,
                        name: name.clone().into_boxed_str(),
                    }));
                }
            }
        }
        if !have[S_STATUS] {
            return Err(BuildError {
                at: 0,
                msg: "the format has no status field ($status, %>s): routetop needs it to count errors".into(),
            });
        }
        if !(have[S_REQUEST] || have[S_TARGET] || have[S_PATH]) {
            return Err(BuildError {
                at: 0,
                msg: "the format has no request or path field ($request, $request_uri, $uri, %r, %U): routes cannot be known".into(),
            });
        }
        let linear = (0..toks.len()).all(|i| match &toks[i] {
            Tok::Lit(_) => true,
            Tok::Field(f) => {
                matches!(f.class, Class::Fixed(_))
                    || f.quoted
                    || match toks.get(i + 1) {
                        None | Some(Tok::Field(_)) => true,
                        Some(Tok::Lit(l)) => {
                            f.class != Class::Free
                                && (f.class.greedy_before(l.bytes[0])
                                    || !f.class.member(l.bytes[0]))
                        }
                    }
            }
        });
        let ops = if linear {
            linear_ops(&toks)
        } else {
            Vec::new()
        };
        let fast = combined::recognise(&ops);
        let straight = fast.as_ref().is_some_and(|(c, tail)| c.whole(tail))
            && time_kind == Some(Field::TimeLocal)
            && (upstream_unit.is_none() || fast.as_ref().is_some_and(|(c, _)| c.upstreaminfo()));
        Ok(Template {
            toks,
            ops,
            fast,
            straight,
            latency_unit,
            upstream_unit,
            time_kind,
            backend_list,
            host_port,
            has_bytes: have[S_BYTES],
        })
    }

    pub fn has_latency(&self) -> bool {
        self.latency_unit.is_some() || self.upstream_unit.is_some()
    }
    pub fn has_upstream(&self) -> bool {
        self.upstream_unit.is_some()
    }
    pub fn has_bytes(&self) -> bool {
        self.has_bytes
    }
    pub fn has_time(&self) -> bool {
        self.time_kind.is_some()
    }

    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub fn parse<'a, S: Scan>(
        &self,
        line: &'a [u8],
        time_cache: &mut TimeCache,
        scan: S,
    ) -> Result<Record<'a>, ErrorKind> {
        self.parse_with(line, time_cache, true, scan)
    }

    /// Whether the combined-family start is matched by straight-line code,
    /// and the parse without it, for tests that pin both to agree.
    #[cfg(any(test, feature = "testkit"))]
    pub(in crate::format) fn generic_parse<'a>(
        &self,
        line: &'a [u8],
        time_cache: &mut TimeCache,
    ) -> (bool, Result<Record<'a>, ErrorKind>) {
        (
            self.fast.is_some(),
            self.parse_with(line, time_cache, false, Plain),
        )
    }

    /// Whether lines are parsed by the combined family's own parser
    /// ([`Combined::record`]), for tests that pin which templates are.
    #[cfg(test)]
    pub(in crate::format) fn straight(&self) -> bool {
        self.straight
    }

    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    fn parse_with<'a, S: Scan>(
        &self,
        line: &'a [u8],
        time_cache: &mut TimeCache,
        fast: bool,
        scan: S,
    ) -> Result<Record<'a>, ErrorKind> {
        if fast
            && self.straight
            && let Some((head, _)) = &self.fast
        {
            let (l, u) = (self.latency_unit, self.upstream_unit);
            return match head.tail() {
                combined::TAIL_UPSTREAMINFO => {
                    head.record::<S, { combined::TAIL_UPSTREAMINFO }>(line, time_cache, scan, l, u)
                }
                combined::TAIL_TRAEFIK => {
                    head.record::<S, { combined::TAIL_TRAEFIK }>(line, time_cache, scan, l, u)
                }
                _ => head.record::<S, { combined::TAIL_NONE }>(line, time_cache, scan, l, u),
            };
        }
        let mut slots = [(0u32, 0u32); SLOTS];
        let filled = if let Some((head, tail)) = self.fast.as_ref().filter(|_| fast) {
            let (filled, pos) = head.run(line, &mut slots, scan).ok_or(ErrorKind::NoMatch)?;
            if tail.is_empty() {
                // The start took the whole template (`combined_rt`): no
                // call into the op loop.
                (pos == line.len())
                    .then_some(filled)
                    .ok_or(ErrorKind::NoMatch)?
            } else {
                run_ops(tail, line, pos, filled, &mut slots, scan).ok_or(ErrorKind::NoMatch)?
            }
        } else if !self.ops.is_empty() {
            run_ops(&self.ops, line, 0, 0, &mut slots, scan).ok_or(ErrorKind::NoMatch)?
        } else {
            let mut m = Matcher {
                toks: &self.toks,
                line,
                slots,
                filled: 0,
                budget: STEP_BUDGET,
                deepest: (0, 0),
            };
            if !m.run(0, 0) {
                return Err(ErrorKind::NoMatch);
            }
            slots = m.slots;
            m.filled
        };
        let get = |s: usize| -> Option<&'a [u8]> {
            if filled & (1 << s) != 0 {
                let (a, b) = slots[s];
                Some(&line[a as usize..b as usize])
            } else {
                None
            }
        };
        let (mut method, mut target): (&[u8], &[u8]) = match get(S_REQUEST) {
            Some(r) => value::split_request(r),
            None => (b"", b""),
        };
        if let Some(m) = get(S_METHOD) {
            method = m;
        }
        if let Some(t) = get(S_TARGET).or_else(|| get(S_PATH)) {
            target = t;
        }
        let status =
            value::parse_status(get(S_STATUS).unwrap_or(b"")).ok_or(ErrorKind::BadValue)?;
        let bytes = match get(S_BYTES) {
            Some(v) => Some(value::parse_bytes(v).ok_or(ErrorKind::BadValue)?),
            None => None,
        };
        let mut bad_timer = false;
        let upstream_us = match (self.upstream_unit, get(S_UPSTREAM)) {
            (Some(u), Some(v)) => value::parse_timer_list_us(v, u).unwrap_or_else(|_| {
                bad_timer = true;
                None
            }),
            _ => None,
        };
        let latency_us = match (self.latency_unit, get(S_LATENCY)) {
            (Some(u), Some(v)) => value::parse_timer_us(v, u).unwrap_or_else(|_| {
                bad_timer = true;
                None
            }),
            _ => upstream_us,
        };
        let (time, bad_time) = match (self.time_kind, get(S_TIME)) {
            (Some(kind), Some(v)) => {
                let t = time_cache.get(v, |v| match kind {
                    Field::TimeLocal => value::parse_time_local(v),
                    Field::TimeIso => value::parse_iso8601(v),
                    _ => value::parse_epoch(v),
                });
                (t, t.is_none() && v != b"-")
            }
            _ => (None, false),
        };
        let host = match get(S_HOST) {
            Some(v) if self.host_port => value::dash_empty(value::without_port(v)),
            Some(v) => value::dash_empty(v),
            None => b"",
        };
        let backend = match get(S_BACKEND) {
            Some(v) if self.backend_list => value::last_address(v),
            Some(v) => value::dash_empty(v),
            None => b"",
        };
        Ok(Record {
            method,
            target,
            status,
            bytes,
            latency_us,
            upstream_us,
            time,
            host,
            backend,
            odd: Odd::bits(bad_timer, bad_time),
        })
    }

    /// Says where a line stops fitting the template, for the parse-error view.
    pub fn explain(&self, line: &[u8]) -> String {
        let mut m = Matcher {
            toks: &self.toks,
            line,
            slots: [(0, 0); SLOTS],
            filled: 0,
            budget: STEP_BUDGET,
            deepest: (0, 0),
        };
        if m.run(0, 0) {
            let get = |s: usize| {
                let (a, b) = m.slots[s];
                (m.filled & (1 << s) != 0).then(|| &line[a as usize..b as usize])
            };
            if let Some(st) = get(S_STATUS)
                && value::parse_status(st).is_none()
            {
                return value::bad_status_why(st);
            }
            if let Some(b) = get(S_BYTES)
                && value::parse_bytes(b).is_none()
            {
                return value::bad_bytes_why(b);
            }
            return "matches the format".into();
        }
        let (ti, pos) = m.deepest;
        let what = match self.toks.get(ti) {
            Some(Tok::Lit(l)) => format!("expected {:?}", String::from_utf8_lossy(&l.bytes)),
            Some(Tok::Field(f)) => format!("expected {} ({})", f.name, class_name(f.class)),
            None => "expected end of line".into(),
        };
        let after = match ti.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(Tok::Field(f)) => format!(" after {}", f.name),
            Some(Tok::Lit(_)) => match ti.checked_sub(2).and_then(|i| self.toks.get(i)) {
                Some(Tok::Field(f)) => format!(" after {}", f.name),
                _ => String::new(),
            },
            None => String::new(),
        };
        if m.budget == 0 {
            return format!("too ambiguous to match (gave up{after})");
        }
        format!("{what}{after} at byte {pos}")
    }
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::Digits => "digits",
        Class::DigitsOrDash => "digits or -",
        Class::Decimal => "a decimal like 0.005",
        Class::Timer => "a number like 0.005 or -",
        Class::WholeTimer => "a whole number or -",
        Class::Code => "a status like 200",
        Class::TimerList => "a timer list",
        Class::List => "a list of addresses",
        Class::Name => "a name without spaces",
        Class::Token => "a value without spaces",
        Class::Fixed(_) => "a fixed-width value",
        Class::Free => "any text",
    }
}
