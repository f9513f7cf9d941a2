//! JSON-lines access logs: nginx `escape=json`, Caddy, Traefik, or any flat
//! or nested object whose field names are mapped.
//!
//! A byte-level walker, not a JSON library: it visits the keys of each object
//! once, keeps the span of the values routetop needs and skips the rest by
//! counting brackets outside strings, so no tree and no `String` is built per
//! line. Only string values that contain escapes are copied (unescaped into
//! the per-thread scratch buffer).

mod fields;
mod keys;
pub(super) mod layout;
pub(super) mod recall;
mod walk;

use std::sync::atomic::{AtomicU64, Ordering};

use super::record::{ErrorKind, Odd, Record, Scratch};
use super::value::{self, Unit};
use fields::{DEFAULTS, Found, N_SLOTS, Target, keep};
pub use fields::{FieldOverride, Slot};
use keys::{Entry, Keys};
use layout::{Kind, Layout, Met};
use recall::Recall;
use walk::{Val, Walker, scalar_end, unescape};

#[derive(Debug)]
pub struct JsonFormat {
    /// Each mapped dotted path's target, and the paths of objects worth
    /// descending into (`request` for Caddy).
    keys: Keys<Target>,
    /// Tells this format's [`Recall`] from another's (from 1).
    id: u64,
    has_latency: bool,
    has_upstream: bool,
}

/// The next [`JsonFormat::id`].
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl JsonFormat {
    pub fn new(overrides: &[FieldOverride]) -> Result<JsonFormat, String> {
        let mut entries: Vec<(String, Slot, Unit)> = Vec::new();
        let overridden: Vec<Slot> = overrides
            .iter()
            .filter_map(|o| Slot::parse(&o.slot))
            .collect();
        for o in overrides {
            let slot =
                Slot::parse(&o.slot).ok_or_else(|| format!("unknown JSON field `{}`", o.slot))?;
            let unit = match &o.unit {
                Some(u) => {
                    Unit::parse(u).ok_or_else(|| format!("unknown unit `{u}` (s, ms, us, ns)"))?
                }
                None => Unit::Sec,
            };
            entries.push((o.path.clone(), slot, unit));
        }
        for (p, s, u) in DEFAULTS {
            // An override of `path` also replaces the request-line fallback.
            let replaced = overridden.contains(s)
                || (*s == Slot::Request && overridden.contains(&Slot::Target));
            if !replaced {
                entries.push((p.to_string(), *s, *u));
            }
        }
        let mut paths: Vec<(Vec<u8>, Entry<Target>)> = Vec::new();
        let mut rank_of = [0u8; N_SLOTS];
        for (path, slot, unit) in entries {
            let r = &mut rank_of[slot as usize];
            // The first entry of a path wins (`Keys::new`), as overrides
            // come first.
            paths.push((
                path.as_bytes().to_vec(),
                Entry {
                    target: Some(Target {
                        slot,
                        unit,
                        rank: *r,
                    }),
                    prefix: false,
                },
            ));
            *r = r.saturating_add(1);
            let mut p = path.as_str();
            while let Some((head, _)) = p.rsplit_once('.') {
                paths.push((
                    head.as_bytes().to_vec(),
                    Entry {
                        target: None,
                        prefix: true,
                    },
                ));
                p = head;
            }
        }
        Ok(JsonFormat {
            keys: Keys::new(paths),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            has_latency: true,
            has_upstream: true,
        })
    }

    pub fn has_latency(&self) -> bool {
        self.has_latency
    }
    pub fn has_upstream(&self) -> bool {
        self.has_upstream
    }

    /// Names the flavour of a sample line, for the "detected format" message.
    pub fn flavour(line: &[u8]) -> &'static str {
        let has = |k: &[u8]| memchr::memmem::find(line, k).is_some();
        if has(b"\"DownstreamStatus\"") {
            "traefik"
        } else if has(b"\"EdgeResponseStatus\"") {
            "cloudflare"
        } else if has(b"\"httpRequest\"") {
            "gcp"
        } else if has(b"\"request\":{") || has(b"\"request\": {") {
            "caddy"
        } else if has(b"\"request_time\"") || has(b"\"time_local\"") || has(b"\"body_bytes_sent\"")
        {
            "nginx"
        } else {
            "generic"
        }
    }

    pub fn parse<'a>(
        &self,
        line: &'a [u8],
        scratch: &'a mut Scratch,
    ) -> Result<Record<'a>, ErrorKind> {
        let mut found: Found = [None; N_SLOTS];
        scratch.layout.begin(self.id);
        // A line that does not fit leaves `found` empty.
        if !scratch.layout.read(line, &mut found) {
            self.walk(line, &mut found, &mut scratch.json, &mut scratch.layout)?;
        }
        let get = |s: Slot| found[s as usize].map(|(v, _)| v);
        let status = get(Slot::Status)
            .and_then(|v| value::parse_status(v.raw(line)))
            .ok_or(if get(Slot::Status).is_some() {
                ErrorKind::BadValue
            } else {
                ErrorKind::MissingField
            })?;
        // A string duration may carry its unit (`"0.123456s"`, `"5ms"`).
        let timer = |s: Slot| {
            found[s as usize].map(|(v, _)| {
                let raw = v.raw(line);
                if v.string {
                    suffixed(raw, v.unit)
                } else {
                    (raw, v.unit)
                }
            })
        };
        let bytes = match get(Slot::Bytes) {
            Some(v) => Some(value::parse_bytes(v.raw(line)).ok_or(ErrorKind::BadValue)?),
            None => None,
        };
        let mut bad_timer = false;
        let upstream_us = timer(Slot::Upstream)
            .and_then(|(raw, unit)| value::timer_list_us(raw, unit, &mut bad_timer));
        // A missing (or `null`) request time falls back to the upstream
        // time; a present one that is not a duration is dropped.
        let latency_us = match timer(Slot::Latency) {
            Some((raw, unit)) => value::timer_us(raw, unit, &mut bad_timer),
            None => upstream_us,
        };
        let (time, bad_time) = match get(Slot::Time) {
            Some(v) => {
                let raw = v.raw(line);
                let t = super::fields::any_time(raw, &mut scratch.time);
                (t, t.is_none() && raw != b"-" && !raw.is_empty())
            }
            None => (None, false),
        };
        let string = |s: Slot| get(s).filter(|v| v.string);
        let texts = [
            string(Slot::Request),
            string(Slot::Method),
            string(Slot::Target),
            string(Slot::Host),
            string(Slot::Backend),
        ];
        if texts[0].is_none() && texts[2].is_none() {
            return Err(ErrorKind::MissingField);
        }
        // Nearly every line's strings are as written: slices of the line,
        // after one test. Spans into the scratch buffer for all five,
        // written and then read back, took ~6 % of a JSON line's time
        // (formats bench, both builds alternated).
        let [req, method, target, host, backend] = if texts.iter().flatten().any(|v| v.escaped) {
            unescaped(texts, line, &mut scratch.buf)
        } else {
            texts.map(|v| v.map(|v| v.raw(line)))
        };
        let (mut m, mut t): (&[u8], &[u8]) = match req {
            Some(r) => value::split_request(r),
            None => (b"", b""),
        };
        if let Some(x) = method {
            m = x;
        }
        if let Some(x) = target {
            t = x;
        }
        let host = match host {
            Some(h) => value::dash_empty(h),
            // An absolute URL (Google Cloud's `requestUrl`) names it.
            None => value::url_host(t),
        };
        // `upstream_addr` may list the upstreams tried: the last answered.
        let backend = backend.map_or(&b""[..], value::last_address);
        Ok(Record {
            method: m,
            target: t,
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

    /// Walks `line` (that did not fit the layout of the last line walked),
    /// keeping its values in `found`, and learns its layout.
    fn walk(
        &self,
        line: &[u8],
        found: &mut Found,
        recall: &mut Recall,
        layout: &mut Layout,
    ) -> Result<(), ErrorKind> {
        let mut w = Walker { b: line, i: 0 };
        w.ws();
        if w.peek() != Some(b'{') {
            return Err(ErrorKind::NoMatch);
        }
        let mut path = PathBuf::default();
        recall.begin(self.id);
        layout.start_walk();
        let mut walk = Walk {
            path: &mut path,
            found,
            recall,
            layout,
            key: 0,
        };
        self.object(&mut w, &mut walk, 0)
            .ok_or(ErrorKind::NoMatch)?;
        w.ws();
        if w.i != line.len() {
            return Err(ErrorKind::NoMatch);
        }
        walk.layout.learn(line);
        Ok(())
    }

    /// The keys from the cursor that stand where the last line had them
    /// (`recall.rs`), each with a string or a number, written compactly
    /// (`"key":value,`): nearly every key of a log written from one
    /// template. Each is walked as the loop of [`JsonFormat::object`]
    /// walks it, to the same values and the same cursor, without the
    /// steps that loop needs for anything else (whitespace, nested values,
    /// the dotted path, a new key); the first key of any other shape is
    /// left to it, untouched. `true` when the object's closing `}` was
    /// passed.
    ///
    /// The general loop took ~275 instructions a key: a JSON line was
    /// ~3x a combined line's time, instruction-bound. A key's quotes, its
    /// bytes and the colon are one compare (`Recall::recall_compact`):
    /// checked one by one, they cost 4 % more of a JSON line's
    /// instructions, and 7 % of Cloudflare lines' time.
    #[inline(always)]
    fn recalled_keys(&self, w: &mut Walker, walk: &mut Walk, depth: u8) -> bool {
        let b = w.b;
        loop {
            // `"key":`, as the last line had it here.
            let Some((start, entry)) = walk.recall.recall_compact(walk.key, b, w.i, depth) else {
                return false;
            };
            let (v, after, kind) = match b.get(start) {
                Some(b'"') => {
                    let mut s = Walker { b, i: start };
                    let Some(v) = s.string() else {
                        return false;
                    };
                    (v, s.i, Kind::Str)
                }
                // `Walker::scalar`'s run, for a number.
                Some(b'-' | b'0'..=b'9') => {
                    let end = scalar_end(b, start);
                    let v = Val {
                        start,
                        end,
                        string: false,
                        escaped: false,
                        null: false,
                        unit: Unit::Sec,
                    };
                    (v, end, Kind::Num)
                }
                _ => return false,
            };
            let close = match b.get(after) {
                Some(b',') => false,
                Some(b'}') => true,
                _ => return false,
            };
            walk.key += 1;
            walk.value(v, Some(kind), entry.and_then(|e| self.keys.at(e).target));
            w.i = after + 1;
            if close {
                return true;
            }
        }
    }

    /// Walks one object at `w` (which must be at `{`), recording mapped
    /// values. `None` on malformed JSON.
    fn object(&self, w: &mut Walker, walk: &mut Walk, depth: u8) -> Option<()> {
        w.expect(b'{')?;
        w.ws();
        if w.peek()? == b'}' {
            w.i += 1;
            return Some(());
        }
        loop {
            if self.recalled_keys(w, walk, depth) {
                return Some(());
            }
            w.ws();
            let k = walk.key;
            walk.key += 1;
            let mark = walk.path.len;
            let recalled = match w.peek()? {
                b'"' => walk.recall.recall(k, w.b, w.i, depth),
                _ => None,
            };
            let (key, entry) = match recalled {
                Some((end, entry)) => {
                    let key = (w.i + 1, end);
                    w.i = end + 1;
                    // The path as the lookup below would leave it, for
                    // the keys under this one.
                    if depth > 0 {
                        walk.path.push(Some(b'.'), &w.b[key.0..key.1]);
                    }
                    (key, entry)
                }
                None => {
                    let v = w.string()?;
                    let raw = v.raw(w.b);
                    // At the top level the path is the key itself: looked
                    // up where it stands in the line, not copied first.
                    let entry = if depth == 0 {
                        self.keys.find(raw)
                    } else if walk.path.push(Some(b'.'), raw) {
                        self.keys.find(walk.path.get())
                    } else {
                        None
                    };
                    walk.recall.learn(k, raw, depth, entry);
                    ((v.start, v.end), entry)
                }
            };
            let entry = entry.map(|i| self.keys.at(i));
            let key = &w.b[key.0..key.1];
            w.ws();
            w.expect(b':')?;
            w.ws();
            let first = w.peek()?;
            if first == b'{' {
                // The nested keys' paths start with this one (a top-level
                // key too long for the buffer is not descended into, as a
                // nested one is not).
                if depth < 4
                    && entry.is_some_and(|e| e.prefix)
                    && (depth > 0 || walk.path.push(None, key))
                {
                    self.object(w, walk, depth + 1)?;
                } else {
                    let start = w.i;
                    w.skip_value()?;
                    walk.layout.meet(Met {
                        start,
                        end: w.i,
                        kind: Kind::Skip(b'{'),
                        target: None,
                    });
                }
            } else {
                let v = w.scalar()?;
                let target = entry.and_then(|e| e.target).filter(|_| !v.null);
                let kind = match first {
                    b'"' => Some(Kind::Str),
                    b'[' => Some(Kind::Skip(b'[')),
                    b'-' | b'0'..=b'9' => Some(Kind::Num),
                    // `true`, `false`, `null`.
                    _ => None,
                };
                walk.value(v, kind, target);
            }
            walk.path.len = mark;
            w.ws();
            match w.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }
}

/// The text values of a line, some with escapes: those unescaped into
/// `buf`, the others slices of the line. Out of line: log producers
/// escape only the odd quote or control byte.
#[cold]
#[inline(never)]
fn unescaped<'a>(
    texts: [Option<Val>; 5],
    line: &'a [u8],
    buf: &'a mut Vec<u8>,
) -> [Option<&'a [u8]>; 5] {
    // Write every value first, then hand out slices of the whole buffer.
    buf.clear();
    let spans = texts.map(|v| {
        v.map(|v| {
            if v.escaped {
                let start = buf.len();
                unescape(v.raw(line), buf);
                Span::Scratch(start, buf.len())
            } else {
                Span::Line(v.start, v.end)
            }
        })
    });
    let buf: &'a [u8] = buf;
    spans.map(|s| {
        s.map(|s| match s {
            Span::Line(a, b) => &line[a..b],
            Span::Scratch(a, b) => &buf[a..b],
        })
    })
}

/// What a line's walk carries from key to key.
struct Walk<'s> {
    path: &'s mut PathBuf,
    found: &'s mut Found,
    recall: &'s mut Recall,
    layout: &'s mut Layout,
    /// Index in walk order of the next key.
    key: usize,
}

impl Walk<'_> {
    /// The walk met value `v` of `kind` (`None`: a literal), of a key
    /// whose target is `target` (`None` too for a `null`): the layout
    /// learns it, and its slot keeps it. A literal is part of the layout's
    /// text where nothing keeps it; one that is kept leaves the line
    /// without a layout.
    #[inline(always)]
    fn value(&mut self, v: Val, kind: Option<Kind>, target: Option<Target>) {
        match kind {
            Some(kind) => self.layout.meet(Met {
                start: v.start,
                end: v.end,
                kind,
                target,
            }),
            None if target.is_some() => self.layout.unlearnable(),
            None => {}
        }
        if let Some(t) = target {
            keep(self.found, t, v);
        }
    }
}

/// A duration string's own unit suffix (`s`, `ms`, `us`, `µs`, `ns`
/// after a digit): the number without it, in that unit. Anything else is
/// the number in the field's unit.
fn suffixed(raw: &[u8], unit: Unit) -> (&[u8], Unit) {
    let cut = |n: usize, u: Unit| {
        let num = &raw[..raw.len() - n];
        num.last()
            .is_some_and(u8::is_ascii_digit)
            .then_some((num, u))
    };
    let found = match raw {
        [.., b'm', b's'] => cut(2, Unit::Ms),
        [.., b'u', b's'] => cut(2, Unit::Us),
        [.., b'n', b's'] => cut(2, Unit::Ns),
        [.., 0xc2, 0xb5, b's'] => cut(3, Unit::Us),
        [.., b's'] => cut(1, Unit::Sec),
        _ => None,
    };
    found.unwrap_or((raw, unit))
}

#[derive(Clone, Copy)]
enum Span {
    Line(usize, usize),
    Scratch(usize, usize),
}

/// Dotted key path of the current value, without allocating.
struct PathBuf {
    buf: [u8; 128],
    len: usize,
}

impl Default for PathBuf {
    fn default() -> Self {
        PathBuf {
            buf: [0; 128],
            len: 0,
        }
    }
}

impl PathBuf {
    fn push(&mut self, sep: Option<u8>, key: &[u8]) -> bool {
        let need = key.len() + sep.is_some() as usize;
        if self.len + need > self.buf.len() {
            return false;
        }
        if let Some(s) = sep {
            self.buf[self.len] = s;
            self.len += 1;
        }
        self.buf[self.len..self.len + key.len()].copy_from_slice(key);
        self.len += key.len();
        true
    }
    fn get(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests;
