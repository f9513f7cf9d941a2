//! The vocabulary of a compiled line template: what each field means
//! ([`Field`]), what its value may contain ([`Class`]), the tokens a
//! template is made of ([`Tok`]), the straight-line steps of a linear one
//! ([`Op`]) and the value slots a match fills. The builder, the matchers
//! and the combined-family fast start all speak it; it imports none of
//! them.

use memchr::memmem;

use crate::format::value::Unit;

/// What a field means to routetop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Present in the line, not needed.
    Ignore,
    /// Whole request line: `GET /path?q HTTP/1.1`.
    Request,
    Method,
    /// Path with query string (`$request_uri`, Apache `%U%q` is split).
    Target,
    /// Path without query string (`$uri`, `%U`).
    Path,
    Status,
    Bytes,
    /// Total request time, one number.
    Latency(Unit),
    /// nginx upstream timer list (`0.004, 0.012 : 0.001`).
    Upstream(Unit),
    /// `10/Mar/2024:00:00:00 +0000`, with or without brackets.
    TimeLocal,
    TimeIso,
    TimeEpoch,
    /// The virtual host the request was addressed to: nginx `$host`,
    /// `$http_host`, `$server_name`, Apache `%v`, `%V`, `%{Host}i`. The
    /// first such field of a template is the host; later ones are ignored.
    Host,
    /// What served the request: nginx `$upstream_addr` (of class
    /// [`Class::List`]: the address that answered, the last of the list,
    /// is kept) or ingress-nginx `$proxy_upstream_name` (a service name,
    /// preferred over an address when a template has both).
    Backend,
}

/// What a field's value may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `[0-9]+`
    Digits,
    /// `[0-9]+` or `-`
    DigitsOrDash,
    /// `[0-9]+\.[0-9]+` or `-`: `$msec`.
    Decimal,
    /// A request timer: a number (`0.005`, `10`, `1.5e-3`, signed), `nan`
    /// or `inf` (any case), or `-`. Wider than nginx ever writes, so that
    /// a value the odd-value policy drops (NaN, infinite, negative) still
    /// counts the request instead of making the line not fit.
    Timer,
    /// [`Class::Timer`] without a fraction or exponent: Apache's `%D` and
    /// `%T`, which are always whole numbers. That is what tells an Apache
    /// `combined_D` log (`... 5000`) from nginx's `combined_rt`
    /// (`... 0.005`) when detecting.
    WholeTimer,
    /// `[0-9.,: -]+` and the letters of `nan`/`inf`, `+`, exponents: nginx
    /// timer and status lists.
    TimerList,
    /// `$upstream_addr`: values without spaces, separated by `, ` (several
    /// upstreams tried) or ` : ` (internal redirects).
    List,
    /// A name that may be empty, without spaces or `]`: ingress-nginx's
    /// `[$proxy_upstream_name] [$proxy_alternative_upstream_name]` (the
    /// second is nearly always `[]`). Not [`Class::Free`], so that the
    /// template stays linear (one scan, no backtracking).
    Name,
    /// `[0-9A-Za-z]+`: a status is three digits, but the whole word is
    /// taken, so that `20` or `2x0` is a bad value, not a line of another
    /// shape.
    Code,
    /// One or more bytes other than space.
    Token,
    /// Exactly n bytes.
    Fixed(u8),
    /// Anything, possibly empty.
    Free,
}

impl Class {
    pub(super) fn member(self, c: u8) -> bool {
        match self {
            Class::Digits => c.is_ascii_digit(),
            Class::DigitsOrDash => c.is_ascii_digit() || c == b'-',
            Class::Decimal => c.is_ascii_digit() || c == b'.' || c == b'-',
            Class::Timer => timer_member(c),
            Class::WholeTimer => timer_member(c) && c != b'.',
            Class::TimerList => timer_member(c) || matches!(c, b',' | b':' | b' '),
            Class::List => true,
            Class::Name => c != b' ' && c != b']',
            Class::Code => c.is_ascii_alphanumeric(),
            Class::Token => c != b' ',
            Class::Fixed(_) | Class::Free => true,
        }
    }

    /// Length of the longest prefix of `s` that can be (or contain) a value
    /// of this class; 0 means the class cannot start here.
    #[inline(always)]
    pub(super) fn run(self, s: &[u8]) -> usize {
        match self {
            Class::Digits => digits(s),
            Class::DigitsOrDash => {
                if s.first() == Some(&b'-') {
                    1
                } else {
                    digits(s)
                }
            }
            Class::Decimal => {
                if s.first() == Some(&b'-') {
                    return 1;
                }
                let i = digits(s);
                if i == 0 || s.get(i) != Some(&b'.') {
                    return 0;
                }
                let f = digits(&s[i + 1..]);
                if f == 0 { 0 } else { i + 1 + f }
            }
            Class::Timer => timer(s, true),
            Class::WholeTimer => timer(s, false),
            Class::TimerList => list(s, |c| timer_member(c) || matches!(c, b',' | b':')),
            Class::List => list(s, |c| c != b' '),
            Class::Name => s.iter().take_while(|&&c| Class::Name.member(c)).count(),
            Class::Code => {
                // Nearly always three digits and a separator.
                if let [a, b, c, d, ..] = *s
                    && a.is_ascii_digit()
                    && b.is_ascii_digit()
                    && c.is_ascii_digit()
                    && !d.is_ascii_alphanumeric()
                {
                    return 3;
                }
                s.iter().take_while(|c| c.is_ascii_alphanumeric()).count()
            }
            // Tokens are short (addresses, user names): a loop beats memchr.
            Class::Token => s.iter().position(|&c| c == b' ').unwrap_or(s.len()),
            Class::Fixed(_) | Class::Free => s.len(),
        }
    }
}

impl Class {
    /// Whether an empty value fits (besides [`Class::Free`]).
    pub(super) fn may_be_empty(self) -> bool {
        self == Class::Name
    }

    /// Lists end at the first space that is not part of a separator
    /// (`, `, ` : `), never earlier: where nginx puts several lists side
    /// by side (ingress-nginx's `$upstream_addr $upstream_response_length
    /// $upstream_response_time $upstream_status`), trying shorter ends
    /// would split one list into two.
    pub(super) fn greedy_before(self, lit: u8) -> bool {
        matches!(self, Class::TimerList | Class::List) && lit == b' '
    }
}

/// Length of the list at the start of `s`: items of bytes that are `item`,
/// joined by spaces that follow a `,` or `:` or precede a `:`. Always
/// inlined: its `item` test is then the caller's constant class's, not a
/// call per byte.
#[inline(always)]
fn list(s: &[u8], item: impl Fn(u8) -> bool) -> usize {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b' ' {
            let after_sep = i > 0 && matches!(s[i - 1], b',' | b':');
            if !(after_sep || s.get(i + 1) == Some(&b':')) {
                break;
            }
        } else if !item(c) {
            break;
        }
        i += 1;
    }
    i
}

fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Bytes a timer value may contain: digits, `.`, signs, exponents, and the
/// letters of `nan`, `inf` and `infinity`.
fn timer_member(c: u8) -> bool {
    matches!(
        c.to_ascii_lowercase(),
        b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'n' | b'a' | b'i' | b'f' | b't' | b'y'
    )
}

/// Length of the timer value at the start of `s` (see [`Class::Timer`]):
/// `[+-]?` then digits with (when `decimal`) an optional fraction and
/// exponent, or `nan`/`inf`/`infinity`; a lone `-` is the untimed mark. 0
/// when none.
#[inline(always)]
fn timer(s: &[u8], decimal: bool) -> usize {
    let sign = matches!(s.first(), Some(b'-' | b'+')) as usize;
    let int = digits(&s[sign..]);
    let mut i = sign + int;
    let mut frac = 0;
    if decimal && s.get(i) == Some(&b'.') {
        frac = digits(&s[i + 1..]);
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        let rest = &s[sign..];
        for word in [&b"infinity"[..], b"inf", b"nan"] {
            if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word) {
                return sign + word.len();
            }
        }
        // `-` alone; a lone `+` is nothing.
        return usize::from(s.first() == Some(&b'-'));
    }
    if !decimal {
        return i;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        let j = i + 1 + matches!(s.get(i + 1), Some(b'-' | b'+')) as usize;
        let e = digits(s.get(j..).unwrap_or(b""));
        if e > 0 {
            i = j + e;
        }
    }
    i
}

#[derive(Debug)]
pub struct FieldSpec {
    pub field: Field,
    pub class: Class,
    /// Between double quotes in the template: ends at the first unescaped `"`.
    pub quoted: bool,
    /// As written in the format (`$request`, `%>s`), for messages.
    pub name: Box<str>,
}

pub struct Lit {
    pub bytes: Box<[u8]>,
    // Boxed: a Finder is ~300 bytes and only the backtracking path uses it.
    pub(super) finder: Box<memmem::Finder<'static>>,
}

impl Lit {
    pub(super) fn new(b: &[u8]) -> Lit {
        Lit {
            bytes: b.into(),
            finder: Box::new(memmem::Finder::new(b).into_owned()),
        }
    }
}

impl std::fmt::Debug for Lit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lit({:?})", String::from_utf8_lossy(&self.bytes))
    }
}

#[derive(Debug)]
pub enum Tok {
    Lit(Lit),
    Field(FieldSpec),
}

/// One step of a linear template, everything decided at build time: the
/// matching loop is one small `match` per token, no class or slot lookups.
#[derive(Debug, Clone)]
pub(in crate::format) enum Op {
    Lit(Box<[u8]>),
    /// Exactly n bytes.
    Fixed(usize, u8),
    /// Up to the first unescaped `"`.
    Quoted(u8),
    /// The longest run of a narrow class.
    Run(Class, u8),
    /// The rest of the line.
    Rest(u8),
}

/// Slot index of fields routetop does not need.
pub(in crate::format) const NO_SLOT: u8 = u8::MAX;

/// Builder input: what a format string parser produces.
#[derive(Debug)]
pub enum Piece {
    Lit(Vec<u8>),
    Field {
        field: Field,
        class: Class,
        name: String,
        /// Offset of the field in the format string, for error messages.
        at: usize,
    },
}

/// Number of value slots a match fills (one per meaningful [`Field`] kind).
pub(in crate::format) const SLOTS: usize = 11;
pub(in crate::format) const S_REQUEST: usize = 0;
pub(super) const S_METHOD: usize = 1;
pub(super) const S_TARGET: usize = 2;
pub(super) const S_PATH: usize = 3;
pub(in crate::format) const S_STATUS: usize = 4;
pub(in crate::format) const S_BYTES: usize = 5;
pub(super) const S_LATENCY: usize = 6;
pub(super) const S_UPSTREAM: usize = 7;
pub(in crate::format) const S_TIME: usize = 8;
pub(super) const S_HOST: usize = 9;
pub(super) const S_BACKEND: usize = 10;

pub(super) fn slot_of(f: Field) -> Option<usize> {
    Some(match f {
        Field::Ignore => return None,
        Field::Request => S_REQUEST,
        Field::Method => S_METHOD,
        Field::Target => S_TARGET,
        Field::Path => S_PATH,
        Field::Status => S_STATUS,
        Field::Bytes => S_BYTES,
        Field::Latency(_) => S_LATENCY,
        Field::Upstream(_) => S_UPSTREAM,
        Field::TimeLocal | Field::TimeIso | Field::TimeEpoch => S_TIME,
        Field::Host => S_HOST,
        Field::Backend => S_BACKEND,
    })
}

/// `line[pos..]` starts with `lit`. Literals are a few bytes: a plain loop
/// beats a `memcmp` call.
#[inline(always)]
pub(in crate::format) fn lit_at(line: &[u8], pos: usize, lit: &[u8]) -> bool {
    match line.get(pos..pos + lit.len()) {
        Some(s) => s.iter().zip(lit).all(|(a, b)| a == b),
        None => false,
    }
}
