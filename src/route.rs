//! Routes: from a request target to the route it is counted under.
//!
//! [`Router`] turns `/api/users/123/orders?page=2` into `/api/users/:id/orders`:
//! query string and fragment dropped, user rules first (`--route
//! 'REGEX=TEMPLATE'`, first match wins), then automatic templating of path
//! segments that are identifiers (numbers, UUIDs, long hex, opaque tokens,
//! dates, e-mail addresses). gRPC paths (`/pkg.Service/Method`) are kept as
//! they are. It is immutable and shared by all parsing threads.
//!
//! [`RouteTable`] interns route names into dense ids and enforces the
//! cardinality cap: once `--max-routes` routes exist, new ones fold into the
//! `(overflow)` route, and how many distinct routes were folded is counted so
//! the overflow is visible rather than silent.

mod folded;
mod own;
mod shape;

use std::sync::Arc;

pub use folded::{FOLDED_BATCH, FoldedNames};
use regex::bytes::{Regex, RegexSet};
use rustc_hash::FxHashMap;
use shape::{DIGIT, LETTER, Masks, OTHER, SEP, Scalar, Segments, UPPER};

/// Route of requests beyond the cardinality cap.
pub const OVERFLOW_ROUTE: &str = "(overflow)";
/// Route of lines whose request is not a request (`-`, TLS on a plain port).
pub const INVALID_ROUTE: &str = "(invalid)";
/// Longer routes are cut (hostile URLs must not make huge labels).
pub const MAX_ROUTE_LEN: usize = 256;

pub type RouteId = u32;
pub const OVERFLOW_ID: RouteId = 0;

/// A user rule as written: `REGEX=TEMPLATE`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    #[serde(rename = "match")]
    pub pattern: String,
    pub template: String,
}

impl std::str::FromStr for RouteRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // The template is a path, so it has no `=`; the regex may.
        let (pattern, template) = s.rsplit_once('=').ok_or_else(|| {
            format!("`{s}`: expected REGEX=TEMPLATE, e.g. '^/api/users/[^/]+$=/api/users/:name'")
        })?;
        if pattern.is_empty() || template.is_empty() {
            return Err(format!("`{s}`: empty regex or template"));
        }
        Ok(RouteRule {
            pattern: pattern.to_string(),
            template: template.to_string(),
        })
    }
}

struct Rule {
    re: Regex,
    template: Vec<u8>,
    /// The template refers to capture groups (`$1`, `${name}`).
    expand: bool,
}

pub struct Router {
    rules: Vec<Rule>,
    set: Option<RegexSet>,
    templating: bool,
}

impl Router {
    pub fn new(rules: &[RouteRule], templating: bool) -> Result<Router, String> {
        let mut compiled = Vec::with_capacity(rules.len());
        for r in rules {
            let re = Regex::new(&r.pattern).map_err(|e| {
                format!(
                    "route rule `{}`: {}",
                    r.pattern,
                    crate::format::regexfmt::one_line_error(&e)
                )
            })?;
            compiled.push(Rule {
                re,
                template: r.template.as_bytes().to_vec(),
                expand: r.template.contains('$'),
            });
        }
        let set = if rules.is_empty() {
            None
        } else {
            Some(
                RegexSet::new(rules.iter().map(|r| &r.pattern))
                    .map_err(|e| crate::format::regexfmt::one_line_error(&e))?,
            )
        };
        Ok(Router {
            rules: compiled,
            set,
            templating,
        })
    }

    /// The part of `target` its route depends on: the path, without scheme
    /// and authority, query string or fragment (`None` for a target that
    /// is not a path). Two targets with the same key get the same route
    /// from the same router, whatever the rules and templating.
    #[inline]
    pub fn route_key(target: &[u8]) -> Option<&[u8]> {
        let path = path_of(target)?;
        Some(&path[..query_start(path)])
    }

    /// The key to look the route of `target` up by: its [`route_key`],
    /// with every all-digit segment written `:id` when that cannot change
    /// the route (templating on, no user rules: a rule's regex may look at
    /// the digits), in `buf` if so. Numeric ids are the most common part of
    /// a path that varies: on the 1 M-line benchmark log 406 358 distinct
    /// paths have 200 such keys, each of them a route name, so nearly every
    /// line is one lookup, not templating and a lookup.
    ///
    /// [`route_key`]: Router::route_key
    #[inline]
    pub fn lookup_key<'a>(&self, target: &'a [u8], buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
        if !(self.templating && self.set.is_none()) {
            return Router::route_key(target);
        }
        // Origin-form, nearly every target: one pass finds where its path
        // ends and which segments are numbers.
        let path = if target.first() == Some(&b'/') {
            target
        } else {
            Router::route_key(target)?
        };
        if let Some(key) = shape::lookup_key(path, buf) {
            return Some(key);
        }
        Router::route_key(target)
    }

    /// Whether the route of `target` is certainly its
    /// [`Router::lookup_key`], without templating it (`false` when unsure;
    /// see `route/own.rs`).
    #[inline]
    pub fn is_own_key(&self, target: &[u8]) -> bool {
        self.templating
            && self.set.is_none()
            && target.first() == Some(&b'/')
            && own::own_template(target)
    }

    /// Writes the route of `target` into `out` (cleared first).
    pub fn route(&self, target: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let Some(path) = path_of(target) else {
            out.extend_from_slice(INVALID_ROUTE.as_bytes());
            return;
        };
        if path == b"*" {
            out.push(b'*');
            return;
        }
        if let Some(set) = &self.set {
            let path = &path[..query_start(path)];
            if let Some(i) = set.matches(path).iter().next() {
                let rule = &self.rules[i];
                if rule.expand {
                    if let Some(caps) = rule.re.captures(path) {
                        caps.expand(&rule.template, out);
                    }
                } else {
                    out.extend_from_slice(&rule.template);
                }
                cut(out);
                return;
            }
        }
        if !self.templating {
            out.extend_from_slice(&path[..query_start(path)]);
            cut(out);
            return;
        }
        // The segment scan stops at `?` and `#` itself: no separate pass.
        template_into(path, out);
        cut(out);
    }
}

/// Templates `path` (starting with `/`; a query string or fragment ends it)
/// into `out`; only segments that may be identifiers get a closer look.
/// A path whose part before the query fits in 64 bytes (nearly all) is
/// classified in one SIMD pass first (see [`shape`]).
fn template_into(path: &[u8], out: &mut Vec<u8>) {
    match Masks::of(path) {
        Some(m) => template_with(path, out, &m),
        None => template_with(path, out, &Scalar),
    }
}

/// Most segments are kept as they are, so verbatim runs are copied in one
/// piece when a placeholder (or the end) is reached, not segment by segment:
/// a route is one to three copies, not two per segment.
#[inline(always)]
fn template_with(path: &[u8], out: &mut Vec<u8>, segs: &impl Segments) {
    let n = path.len();
    let mut i = 1;
    // path[kept..] is not yet in `out`.
    let mut kept = 0;
    loop {
        let start = i;
        i = segs.end(path, start);
        let seg = &path[start..i];
        let shape = segs.shape(path, start, i);
        if start == 1 && shape & SEP != 0 {
            // Like every route, without its query string: a gRPC path with
            // one (not sent by gRPC clients, but possible in a log) is the
            // same call, and the route must depend on the path alone.
            let p = &path[..query_start(path)];
            if i < p.len() && is_grpc(p) {
                out.extend_from_slice(p);
                return;
            }
        }
        let plain_word = shape & (DIGIT | UPPER | OTHER) == 0 && shape & LETTER != 0;
        let replaced = if shape == DIGIT {
            Some((":id", &b""[..]))
        } else if plain_word
            || (seg.len() < 8 && shape & OTHER == 0 && !seg.first().is_some_and(u8::is_ascii_digit))
        {
            None
        } else {
            let (digits, hex_letters) = segs.counts(path, start, i);
            classify_counted(seg, shape, digits, hex_letters)
        };
        if let Some((placeholder, suffix)) = replaced {
            out.extend_from_slice(&path[kept..start]);
            out.extend_from_slice(placeholder.as_bytes());
            out.extend_from_slice(suffix);
            kept = i;
        }
        if i >= n || path[i] != b'/' || out.len() + (i - kept) > MAX_ROUTE_LEN {
            out.extend_from_slice(&path[kept..i]);
            return;
        }
        i += 1;
    }
}

/// Length of the segment at the start of `s`: up to the first `/`, `?` or
/// `#`, or the end. Eight bytes per step: segments are short, but a byte
/// loop with a branch per byte was a third of the routing time. Not
/// `memchr3`: for segments of a few bytes its setup costs more (stages
/// bench, route only: 77 vs 66 ns per target; callgrind 729 vs 557
/// instructions).
#[inline]
fn segment_len(s: &[u8]) -> usize {
    find_any(s, b"/?#")
}

/// Offset of the first byte of `s` that is one of `set` (or the length),
/// eight bytes per step.
#[inline(always)]
fn find_any<const N: usize>(s: &[u8], set: &[u8; N]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `x` equal to `c`, exact up to the first
    // such byte (borrows only make false hits above a true one).
    let eq = |x: u64, c: u8| {
        let v = x ^ (LO * c as u64);
        v.wrapping_sub(LO) & !v & HI
    };
    let mut i = 0;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let hits = set.iter().fold(0, |h, &c| h | eq(x, c));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && !set.contains(&s[i]) {
        i += 1;
    }
    i
}

/// Where the query string or fragment starts (or the end).
#[inline]
fn query_start(p: &[u8]) -> usize {
    find_any(p, b"?#")
}

/// The path part of a request target (query and fragment still attached):
/// no `scheme://authority` (proxies log absolute-form targets). `None` when
/// the target is not a path.
fn path_of(target: &[u8]) -> Option<&[u8]> {
    // Nearly every target is origin-form: skip the scheme comparisons.
    if target.first() == Some(&b'/') {
        return Some(target);
    }
    let mut p = target;
    if p.len() > 7
        && (p[..7].eq_ignore_ascii_case(b"http://")
            || p[..8.min(p.len())].eq_ignore_ascii_case(b"https://"))
    {
        let skip = if p[4] == b':' { 7 } else { 8 };
        let rest = &p[skip..];
        let end = query_start(rest);
        p = match rest[..end].iter().position(|&c| c == b'/') {
            Some(i) => &rest[i..],
            None => b"/",
        };
    }
    match p.first() {
        Some(b'/') => Some(p),
        Some(b'*') if p.len() == 1 => Some(p),
        _ => None,
    }
}

fn cut(out: &mut Vec<u8>) {
    if out.len() > MAX_ROUTE_LEN {
        out.truncate(MAX_ROUTE_LEN - 3);
        out.extend_from_slice(b"...");
    }
}

/// `/package.Service/Method`: a gRPC call, already a route.
fn is_grpc(path: &[u8]) -> bool {
    let rest = &path[1..];
    let Some(slash) = memchr::memchr(b'/', rest) else {
        return false;
    };
    let (service, method) = (&rest[..slash], &rest[slash + 1..]);
    !service.is_empty()
        && service.contains(&b'.')
        && service
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
        && method.first().is_some_and(|c| c.is_ascii_uppercase())
        && method
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The placeholder for an identifier segment (and a suffix kept after it,
/// like the `.json` of `123.json`), or `None` for a segment that names
/// something. `shape`, `digits` and `hex_letters` describe `s` (see
/// [`shape::Segments`]).
fn classify_counted(
    s: &[u8],
    shape: u8,
    digits: usize,
    hex_letters: usize,
) -> Option<(&'static str, &[u8])> {
    let n = s.len();
    if digits == n {
        return Some((":id", b""));
    }
    // `123.json`, `42.png`: an id with an extension.
    if s.first().is_some_and(u8::is_ascii_digit)
        && let Some(dot) = memchr::memrchr(b'.', s)
    {
        let (id, ext) = (&s[..dot], &s[dot..]);
        if !id.is_empty()
            && id.iter().all(u8::is_ascii_digit)
            && (2..=6).contains(&ext.len())
            && ext[1..].iter().all(u8::is_ascii_alphanumeric)
        {
            return Some((":id", ext));
        }
    }
    if n == 36 && is_uuid(s) {
        return Some((":uuid", b""));
    }
    if n >= 8 && digits + hex_letters == n && (n >= 16 || (digits > 0 && hex_letters > 0)) {
        return Some((":hex", b""));
    }
    if n >= 10 && is_date(s) {
        return Some((":date", b""));
    }
    if shape & OTHER != 0 {
        if let Some(at) = memchr::memchr(b'@', s)
            && at > 0
            && s[at + 1..].contains(&b'.')
        {
            return Some((":email", b""));
        }
        // Not base64-like: no token.
        return None;
    }
    if n >= 10 && is_token(s) {
        return Some((":token", b""));
    }
    None
}

fn is_uuid(s: &[u8]) -> bool {
    s.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// `2024-03-10`, optionally followed by a time (`T12:00:00Z`).
fn is_date(s: &[u8]) -> bool {
    let d = |i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    (0..4).all(d)
        && s[4] == b'-'
        && d(5)
        && d(6)
        && s[7] == b'-'
        && d(8)
        && d(9)
        && (s.len() == 10 || matches!(s[10], b'T' | b't' | b'_' | b' '))
}

/// Opaque tokens (session ids, base64, JWTs) as opposed to slugs
/// (`release-notes-2024`, `getUserProfile`): some `-_.~`-separated part is
/// long and either mixes letters with digits or flips case like random
/// base64 does.
fn is_token(s: &[u8]) -> bool {
    s.split(|c| matches!(c, b'-' | b'_' | b'.' | b'~'))
        .any(|part| {
            let n = part.len();
            // Both shapes below need at least 10 bytes: most parts of a
            // file name (`app`, `d95fa781`, `js`) stop here.
            if n < 10 {
                return false;
            }
            let digits = part.iter().filter(|c| c.is_ascii_digit()).count();
            let letters = part.iter().filter(|c| c.is_ascii_alphabetic()).count();
            let upper = part.iter().filter(|c| c.is_ascii_uppercase()).count();
            let lower = part.iter().filter(|c| c.is_ascii_lowercase()).count();
            (digits > 0 && letters > 0 && digits + letters >= n - 2)
                || (n >= 20 && upper * 4 >= n && lower * 4 >= n)
        })
}

/// Route names ↔ dense ids, with the cardinality cap.
pub struct RouteTable {
    ids: FxHashMap<Box<[u8]>, RouteId>,
    names: Vec<Arc<str>>,
    cap: usize,
    /// Distinct names folded into the overflow.
    folded: FoldedNames,
}

/// How many distinct folded routes are counted exactly before the count
/// becomes "at least": bounds the memory of a hostile flood of routes.
pub const FOLDED_TRACKED: usize = 100_000;

/// What the folded-route count remembers of a route name.
#[inline]
pub fn fold_hash(name: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(name)
}

impl RouteTable {
    pub fn new(cap: usize) -> RouteTable {
        RouteTable {
            ids: FxHashMap::default(),
            names: vec![Arc::from(OVERFLOW_ROUTE)],
            cap,
            folded: FoldedNames::default(),
        }
    }

    /// The id of route `name`, registering it if the cap allows, else
    /// [`OVERFLOW_ID`].
    pub fn intern(&mut self, name: &[u8]) -> RouteId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        if self.ids.len() >= self.cap {
            let _ = self.folded.add(&[fold_hash(name)]);
            return OVERFLOW_ID;
        }
        let id = self.names.len() as RouteId;
        self.names.push(Arc::from(display_name(name)));
        self.ids.insert(name.into(), id);
        id
    }

    /// Counts folded routes by their [`fold_hash`]es (shards that know the
    /// table is full fold names themselves and report them in batches).
    /// Returns whether the count has reached its bound (see
    /// [`FoldedNames::add`]).
    pub fn note_folded(&mut self, hashes: &[u64]) -> bool {
        self.folded.add(hashes)
    }

    /// Whether the cap is reached: no name will get an id any more, so the
    /// registered ones are final.
    pub fn is_full(&self) -> bool {
        self.ids.len() >= self.cap
    }

    /// Registered names and their ids.
    pub fn ids(&self) -> impl Iterator<Item = (&[u8], RouteId)> {
        self.ids.iter().map(|(k, &v)| (&**k, v))
    }

    /// Existing id of `name`, without registering.
    pub fn get(&self, name: &[u8]) -> Option<RouteId> {
        self.ids.get(name).copied()
    }

    pub fn name(&self, id: RouteId) -> &Arc<str> {
        &self.names[id as usize]
    }

    /// All names, indexed by id (id 0 is the overflow route).
    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }

    /// Routes registered (not counting the overflow route).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Distinct routes folded into the overflow, and whether that is a lower
    /// bound (more than [`FOLDED_TRACKED`] were seen).
    pub fn folded(&self) -> (u64, bool) {
        self.folded.count()
    }
}

/// Route bytes → text for tables and labels: invalid UTF-8 becomes U+FFFD and
/// control characters are escaped, so a hostile URL cannot break a terminal
/// or a report line.
pub fn display_name(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if !s.chars().any(char::is_control) {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
