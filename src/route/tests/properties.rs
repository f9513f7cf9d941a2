//! Property tests. The fast paths derived from the templating rules
//! (`shape::lookup_key`, `own::own_template`) are checked against templating,
//! and templating against a plain reading of the rule table at the top of
//! `template.rs` (`by_the_table` below), on generated targets built around
//! every rule's boundaries.
//!
//! Failure persistence is off: proptest prints the shrunk failing target
//! (as a byte-string literal, see `Target`), and every failure found
//! becomes a named regression test in `tests/mod.rs`, the record that lasts
//! (a persisted seed replays another input as soon as a strategy changes).

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::RngAlgorithm;

use crate::props::config;

/// A request target, printed as a byte-string literal when proptest
/// reports a failing one (`b"/a/\xc3\xa9?q"`), ready for a regression test.
#[derive(Clone, PartialEq, Eq)]
struct Target(Vec<u8>);

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

const DIGITS: &[u8] = b"0123456789";
/// Hex digits, both cases.
const HEX: &[u8] = b"0123456789abcdefABCDEF";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Letters, digits and `-_.~+=`: the bytes of a segment kept at once.
const WORD: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~+=";
/// Bytes of no class of their own (templating's `OTHER`): ASCII
/// punctuation, controls, UTF-8 and stray non-ASCII bytes.
const OTHER: &[u8] = b"%@:! \"$&'()*,;<>[\\]^`{|}\x00\t\x1b\x7f\x80\xc3\xa9\xff";
/// Mostly word bytes, some others.
const MIXED: &[u8] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~+=%@: \xc3\xa9\xff";

/// `len` bytes of `alphabet`.
fn bytes(
    alphabet: &'static [u8],
    len: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<u8>> + Clone {
    vec(select(alphabet), len)
}

/// Rule 2 and its near misses: digits, a dot, an extension of 0 to 7
/// bytes (the rule takes 1 to 5 letters or digits), sometimes after a
/// prefix that is not all digits, or with a second dot.
fn id_with_extension() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![6 => Just(&b""[..]), 1 => select(vec![&b"v"[..], b"1.", b"1a", b"-"])],
        bytes(DIGITS, 1..=8),
        bytes(b"0123456789abcxyzABCXYZ-_%", 0..=7),
        prop_oneof![6 => Just(&b""[..]), 1 => select(vec![&b".gz"[..], b".", b".tar.gz"])],
    )
        .prop_map(|(prefix, id, ext, more)| [prefix, &id, b".", &ext, more].concat())
}

/// Rule 3 and its near misses: 8-4-4-4-12 hex digits, sometimes a group
/// a digit longer or shorter, another separator, or a byte that is not hex.
fn uuid_like() -> impl Strategy<Value = Vec<u8>> {
    let delta = || prop_oneof![10 => Just(0isize), 1 => Just(-1isize), 1 => Just(1isize)];
    let groups = [8, 4, 4, 4, 12].map(|n: isize| {
        delta().prop_flat_map(move |d| bytes(HEX, (n + d) as usize..=(n + d) as usize))
    });
    (
        groups,
        prop_oneof![9 => Just(b'-'), 1 => select(&b"_.~+:"[..])],
        prop::option::weighted(0.1, (any::<Index>(), select(&b"gGz:"[..]))),
    )
        .prop_map(|(groups, sep, flaw)| {
            let mut s = groups.join(&sep);
            if let Some((at, byte)) = flaw {
                *at.get_mut(&mut s) = byte;
            }
            s
        })
}

/// Rule 4 and its near misses: 6 to 18 hex digits, mostly 7 to 9 or 15
/// to 17 (across the 8 of this rule and of the kept-at-once one, and the
/// 16), mixed or of one kind and one case.
fn hex_like() -> impl Strategy<Value = Vec<u8>> {
    let len = prop_oneof![2 => select(vec![7, 8, 9, 15, 16, 17]), 1 => 6..=18usize];
    len.prop_flat_map(|n| {
        prop_oneof![
            bytes(HEX, n..=n),
            bytes(b"0123456789abcdef", n..=n),
            bytes(b"abcdefABCDEF", n..=n),
            bytes(b"0123456789ABCDEF", n..=n),
            (bytes(DIGITS, n..=n), any::<Index>(), select(&b"aFg"[..])).prop_map(
                |(mut s, at, c)| {
                    *at.get_mut(&mut s) = c;
                    s
                }
            ),
        ]
    })
}

/// Rule 5 and its near misses: `YYYY-MM-DD` alone or with a time after
/// `T`, `t`, `_` or a space, or after another byte; sometimes a field a
/// digit short or long, or another separator.
fn date_like() -> impl Strategy<Value = Vec<u8>> {
    let field =
        |n: usize| prop_oneof![8 => bytes(DIGITS, n..=n), 1 => bytes(DIGITS, n - 1..=n + 1)];
    let sep = || prop_oneof![8 => Just(b'-'), 1 => select(&b"_.~+:x"[..])];
    let time = bytes(b"0123456789:.Z+-", 0..=10);
    let tail = prop_oneof![
        3 => Just(Vec::new()),
        3 => (select(&b"Tt_ "[..]), time.clone()).prop_map(|(c, t)| [&[c][..], &t].concat()),
        1 => (select(&b"Xz-:.0+/"[..]), time).prop_map(|(c, t)| [&[c][..], &t].concat()),
    ];
    (field(4), sep(), field(2), sep(), field(2), tail)
        .prop_map(|(y, s1, m, s2, d, t)| [&y[..], &[s1], &m, &[s2], &d, &t].concat())
}

/// Rule 6 and its near misses: `local@domain.tld`, with an empty local
/// part, no dot after the `@`, two `@`s, or `%40`.
fn email_like() -> impl Strategy<Value = Vec<u8>> {
    (
        bytes(b"abjz09._-+", 0..=8),
        select(vec![&b"@"[..], b"@", b"@", b"%40", b"@@"]),
        bytes(b"abxz09-", 0..=6),
        prop::option::weighted(0.7, bytes(LOWER, 0..=4)),
    )
        .prop_map(|(local, at, domain, tld)| {
            let tld = tld.map(|t| [&b"."[..], &t].concat()).unwrap_or_default();
            [&local[..], at, &domain, &tld].concat()
        })
}

/// One part between `-_.~` for rule 7: letters and digits with up to 3
/// `+` or `=` (the rule allows 2), or letters only in both cases with
/// about a quarter of one case (the rule wants a quarter of each from 20
/// bytes), around 10 and 20 bytes.
fn token_part() -> impl Strategy<Value = Vec<u8>> {
    let mixed = (
        bytes(ALNUM, 7..=12),
        vec((any::<Index>(), select(&b"+="[..])), 0..=3),
    )
        .prop_map(|(mut s, extra)| {
            for (at, c) in extra {
                let at = at.index(s.len() + 1);
                s.insert(at, c);
            }
            s
        });
    let flipped = (
        vec((prop::bool::weighted(0.27), select(LOWER)), 16..=24),
        any::<bool>(),
    )
        .prop_map(|(letters, upper_few)| {
            letters
                .into_iter()
                .map(|(few, c)| {
                    if few == upper_few {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        });
    prop_oneof![
        3 => mixed,
        3 => flipped,
        1 => bytes(ALNUM, 18..=26),
        1 => bytes(LETTERS, 8..=22),
        1 => bytes(LOWER, 2..=12),
        1 => bytes(DIGITS, 2..=12),
    ]
}

/// Rule 7 and its near misses: 1 to 3 parts joined by `-_.~`.
fn token_like() -> impl Strategy<Value = Vec<u8>> {
    (
        token_part(),
        vec((select(&b"-_.~"[..]), token_part()), 0..=2),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for (sep, part) in rest {
                s.push(sep);
                s.extend(part);
            }
            s
        })
}

/// One path segment: the shapes of every rule and the bytes around its
/// boundaries, or anything.
fn segment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Rule 1, any length, leading zeros.
        3 => bytes(DIGITS, 1..=20),
        // Kept at once under 8 bytes; empty segments.
        3 => bytes(WORD, 0..=10),
        // Plain words, camel case.
        1 => bytes(b"abcdefghijklmnopqrstuvwxyz-_.~+=", 1..=24),
        1 => bytes(LETTERS, 6..=24),
        2 => id_with_extension(),
        3 => uuid_like(),
        3 => hex_like(),
        2 => date_like(),
        2 => email_like(),
        4 => token_like(),
        // Other bytes: kept, unless an e-mail or a date.
        2 => bytes(MIXED, 1..=14),
        1 => bytes(OTHER, 1..=4),
        1 => vec((select(HEX), select(HEX)), 1..=4)
            .prop_map(|h| h.into_iter().flat_map(|(a, b)| [b'%', a, b]).collect()),
        1 => select(vec![&b":id"[..], b"-", b".", b"..", b"~", b"v2", b"api", b"Get", b"\xc3\xa9"])
            .prop_map(<[u8]>::to_vec),
        // Anything, `/`, `?` and `#` included.
        1 => vec(any::<u8>(), 0..=12),
    ]
}

/// A first segment that may name a gRPC service (`pkg.v1.Service`), and a
/// second that may be its method (`GetUser`).
fn grpc_like() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let service = prop_oneof![
        3 => (bytes(b"abcxyz0129", 1..=6), bytes(b"abcxyzABCXYZ0129._", 1..=12))
            .prop_map(|(a, b)| [&a[..], b".", &b].concat()),
        1 => bytes(b"abcXYZ019._-", 1..=12),
    ];
    let method = prop_oneof![
        3 => (select(UPPER), bytes(b"abcxyzABCXYZ0129_", 0..=10))
            .prop_map(|(c, rest)| [&[c][..], &rest].concat()),
        1 => bytes(b"aZ09_-.", 0..=8),
    ];
    (service, method, vec(segment(), 0..=1)).prop_map(|(s, m, rest)| [vec![s, m], rest].concat())
}

/// A segment templating may keep as it is, the kind whose paths the
/// own-key test answers yes for, near the bounds of that answer: words of
/// 6 to 12 bytes (across the 8 of the kept-at-once rule), slugs with parts
/// of up to 11 bytes (across the 10 of a token's part), plain words.
fn kept_like() -> impl Strategy<Value = Vec<u8>> {
    let slug = (
        bytes(b"abcdefghijklmnopqrstuvwxyz0123456789", 1..=11),
        vec(
            (
                select(&b"-_.~"[..]),
                bytes(b"abcdefghijklmnopqrstuvwxyz0123456789", 0..=11),
            ),
            0..=2,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for (sep, part) in rest {
                s.push(sep);
                s.extend(part);
            }
            s
        });
    prop_oneof![
        3 => bytes(WORD, 5..=10),
        3 => slug,
        2 => bytes(b"ghijklmnopqrstuvwxyz-_.~+=", 1..=12),
        1 => bytes(LETTERS, 8..=12),
    ]
}

/// How a path is lengthened: by a segment of one byte repeated, so that
/// its part before the query has `len` bytes (at the front, or last), or
/// so that its route (by the table) has `len` bytes.
#[derive(Clone, Copy, Debug)]
enum Pad {
    None,
    Path { front: bool, byte: u8, len: usize },
    Route { byte: u8, len: usize },
}

/// A path: `/` and 1 to 8 segments of any shape, or 1 to 5 mostly of the
/// kind templating keeps (and hex, its nearest miss), or a gRPC-like pair, in the ratio `kinds`; not
/// padded, or padded across the 64 bytes the fast paths read (60 to 68
/// bytes before the query), or to a route of about the 256 bytes of the
/// cap, in the ratio `pads`; then maybe a query string or fragment, or a
/// `/`.
fn path(kinds: [u32; 3], pads: [u32; 3]) -> impl Strategy<Value = Vec<u8>> {
    let segments = prop_oneof![
        kinds[0] => vec(segment(), 1..=8),
        kinds[1] => vec(
            prop_oneof![
                2 => bytes(DIGITS, 1..=6),
                5 => kept_like(),
                1 => hex_like(),
                1 => segment(),
            ],
            1..=5,
        ),
        kinds[2] => grpc_like(),
    ];
    let pad = prop_oneof![
        pads[0] => Just(Pad::None),
        pads[1] => (any::<bool>(), select(&b"a7Z-f"[..]), 60..=68usize)
            .prop_map(|(front, byte, len)| Pad::Path { front, byte, len }),
        pads[2] => (select(&b"aZ-"[..]), 250..=262usize).prop_map(|(byte, len)| Pad::Route { byte, len }),
    ];
    // After the padding: a query string or fragment, or an empty last
    // segment (a path of 64 bytes ending in `/` has a segment at 64).
    let query = prop_oneof![
        5 => Just(Vec::new()),
        1 => (select(&b"?#"[..]), bytes(b"a1=&/?#%.", 0..=24))
            .prop_map(|(c, q)| [&[c][..], &q].concat()),
        1 => Just(b"/".to_vec()),
    ];
    (segments, pad, query).prop_map(|(segments, pad, query)| {
        let mut p = Vec::new();
        for s in segments {
            p.push(b'/');
            p.extend(s);
        }
        let q = p
            .iter()
            .position(|c| matches!(c, b'?' | b'#'))
            .unwrap_or(p.len());
        let (at, byte, n) = match pad {
            Pad::None => (0, 0, 0),
            Pad::Path { front, byte, len } => {
                (if front { 0 } else { q }, byte, len.saturating_sub(q + 1))
            }
            Pad::Route { byte, len } => {
                (q, byte, len.saturating_sub(by_the_table(&p[..q]).len() + 1))
            }
        };
        if n > 0 {
            let filler = [&b"/"[..], &vec![byte; n]].concat();
            p.splice(at..at, filler);
        }
        p.extend(query);
        p
    })
}

/// A request target: mostly origin-form, sometimes absolute-form; its
/// path of any kind (`path`).
fn target() -> impl Strategy<Value = Target> {
    target_of(path([4, 4, 1], [5, 3, 1]), 1)
}

/// A request target in origin-form whose path is mostly of the kind
/// templating keeps, rarely longer than 64 bytes: the targets the own-key
/// test says yes to, and their near misses.
fn kept_target() -> impl Strategy<Value = Target> {
    target_of(path([1, 8, 1], [6, 2, 0]), 0)
}

/// `path` in origin-form, or in absolute-form one time in `12 /
/// absolute + 1`.
fn target_of(path: impl Strategy<Value = Vec<u8>>, absolute: u32) -> impl Strategy<Value = Target> {
    let scheme = prop_oneof![
        12 => Just(&b""[..]),
        absolute => select(vec![&b"http://h"[..], b"https://example.com:8080", b"HTTP://x", b"hTTps://a.b"]),
    ];
    (scheme, path).prop_map(|(scheme, path)| Target([scheme, &path].concat()))
}

/// Which row of the rule table decides a segment (`by_the_table`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    Digits,
    KeptAtOnce,
    IdWithExtension,
    Uuid,
    Hex,
    Date,
    Email,
    KeptOther,
    Token,
    Kept,
}

/// The row of the table in `template.rs` that decides `seg`, and its
/// placeholder and suffix, read off the table byte by byte with no byte
/// classes and no masks.
fn rule_of(seg: &[u8]) -> (Rule, Option<(&'static str, &[u8])>) {
    let n = seg.len();
    let digit = |c: &u8| c.is_ascii_digit();
    let hex = |c: &u8| c.is_ascii_hexdigit();
    let word = |c: &u8| c.is_ascii_alphanumeric() || b"-_.~+=".contains(c);
    let splitter = |c: &u8| b"-_.~".contains(c);
    if n > 0 && seg.iter().all(digit) {
        return (Rule::Digits, Some((":id", b"")));
    }
    let plain_word = seg
        .iter()
        .all(|c| c.is_ascii_lowercase() || b"-_.~+=".contains(c))
        && seg.iter().any(|c| (b'g'..=b'z').contains(c));
    if plain_word || (n < 8 && seg.iter().all(word) && !seg.first().is_some_and(digit)) {
        return (Rule::KeptAtOnce, None);
    }
    if let Some(dot) = seg.iter().rposition(|&c| c == b'.') {
        let (id, ext) = (&seg[..dot], &seg[dot + 1..]);
        if !id.is_empty()
            && id.iter().all(digit)
            && (1..=5).contains(&ext.len())
            && ext.iter().all(u8::is_ascii_alphanumeric)
        {
            return (Rule::IdWithExtension, Some((":id", &seg[dot..])));
        }
    }
    let groups: Vec<&[u8]> = seg.split(|&c| c == b'-').collect();
    if groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.iter().all(hex))
    {
        return (Rule::Uuid, Some((":uuid", b"")));
    }
    if n >= 8
        && seg.iter().all(hex)
        && ((seg.iter().any(digit) && seg.iter().any(u8::is_ascii_alphabetic)) || n >= 16)
    {
        return (Rule::Hex, Some((":hex", b"")));
    }
    let date = n >= 10
        && seg[..4].iter().all(digit)
        && seg[4] == b'-'
        && seg[5..7].iter().all(digit)
        && seg[7] == b'-'
        && seg[8..10].iter().all(digit)
        && (n == 10 || b"Tt_ ".contains(&seg[10]));
    if date {
        return (Rule::Date, Some((":date", b"")));
    }
    if !seg.iter().all(word) {
        return match seg.iter().position(|&c| c == b'@') {
            Some(at) if at > 0 && seg[at + 1..].contains(&b'.') => {
                (Rule::Email, Some((":email", b"")))
            }
            _ => (Rule::KeptOther, None),
        };
    }
    let token = n >= 10
        && seg.split(splitter).any(|part| {
            let n = part.len();
            let count = |f: fn(&u8) -> bool| part.iter().filter(|c| f(c)).count();
            let (digits, letters) = (count(u8::is_ascii_digit), count(u8::is_ascii_alphabetic));
            let (upper, lower) = (count(u8::is_ascii_uppercase), count(u8::is_ascii_lowercase));
            n >= 10
                && ((digits > 0 && letters > 0 && digits + letters + 2 >= n)
                    || (n >= 20 && 4 * upper >= n && 4 * lower >= n))
        });
    if token {
        return (Rule::Token, Some((":token", b"")));
    }
    (Rule::Kept, None)
}

/// `/package.Service/Method`: the two segments of a gRPC call.
fn is_grpc_call(path: &[u8]) -> bool {
    let segments: Vec<&[u8]> = path[1..].split(|&c| c == b'/').collect();
    let [service, method] = segments[..] else {
        return false;
    };
    service.contains(&b'.')
        && service
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._".contains(c))
        && method.first().is_some_and(u8::is_ascii_uppercase)
        && method
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The route of origin-form `path` by the rules as `template.rs` states
/// them: the query string and fragment dropped, a gRPC call kept whole,
/// otherwise each segment by [`rule_of`], and the route cut to
/// [`MAX_ROUTE_LEN`] bytes ending in `...`.
fn by_the_table(path: &[u8]) -> Vec<u8> {
    let end = path
        .iter()
        .position(|c| matches!(c, b'?' | b'#'))
        .unwrap_or(path.len());
    let path = &path[..end];
    let mut out = Vec::new();
    if is_grpc_call(path) {
        out.extend_from_slice(path);
    } else {
        for seg in path[1..].split(|&c| c == b'/') {
            out.push(b'/');
            match rule_of(seg).1 {
                Some((placeholder, suffix)) => {
                    out.extend_from_slice(placeholder.as_bytes());
                    out.extend_from_slice(suffix);
                }
                None => out.extend_from_slice(seg),
            }
        }
    }
    if out.len() > MAX_ROUTE_LEN {
        out.truncate(MAX_ROUTE_LEN - 3);
        out.extend_from_slice(b"...");
    }
    out
}

proptest! {
    // 3 000 targets each: 0.1 to 0.2 s a property in a debug build. A
    // target has up to 8 segments, each drawn near a rule's boundary.
    #![proptest_config(config(3_000))]

    /// Templating follows the rule table, segment by segment, on targets
    /// of every rule's shape, short and long, with and without a query.
    #[test]
    fn templating_follows_the_rule_table(t in target()) {
        let r = Router::new(&[], true).unwrap();
        let mut got = Vec::new();
        r.route(&t.0, &mut got);
        let want = by_the_table(Router::route_key(&t.0).unwrap());
        prop_assert_eq!(Target(got), Target(want));
    }

    /// The lookup key of a target routes exactly like the target.
    #[test]
    fn lookup_key_routes_like_the_path(t in target()) {
        let r = Router::new(&[], true).unwrap();
        let (mut buf, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        let key = r.lookup_key(&t.0, &mut buf).unwrap().to_vec();
        r.route(&t.0, &mut a);
        r.route(&key, &mut b);
        prop_assert_eq!(Target(a), Target(b), "key {:?}", Target(key));
    }

    /// A target said to be its own key routes to exactly its key (on
    /// targets mostly of segments templating keeps, which it says yes to
    /// more often).
    #[test]
    fn own_key_paths_route_to_their_key(t in kept_target()) {
        let r = Router::new(&[], true).unwrap();
        if r.is_own_key(&t.0) {
            let (mut buf, mut a) = (Vec::new(), Vec::new());
            let key = r.lookup_key(&t.0, &mut buf).unwrap().to_vec();
            r.route(&t.0, &mut a);
            prop_assert_eq!(Target(a), Target(key));
        }
    }
}

/// The generated targets reach every row of the rule table, many times,
/// and the cases the fast paths care about: keys rewritten, targets that
/// are their own key, paths across 64 bytes, routes cut. Counted on 2 000
/// targets and 600 mostly kept ones from a fixed seed; the bounds are
/// about two thirds of the counts.
#[test]
fn generated_targets_reach_every_rule() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{TestRng, TestRunner};
    use std::collections::BTreeMap;

    let mut runner = TestRunner::new_with_rng(
        config(0),
        TestRng::from_seed(RngAlgorithm::XorShift, &[7; 16]),
    );
    let mut draw = |s: &BoxedStrategy<Target>| s.new_tree(&mut runner).unwrap().current().0;
    let r = Router::new(&[], true).unwrap();
    let mut rules: BTreeMap<Rule, usize> = BTreeMap::new();
    let (mut grpc, mut rewritten, mut across_64, mut cut, mut own) = (0, 0, 0, 0, 0);
    let mut buf = Vec::new();
    let any = target().boxed();
    for _ in 0..2_000 {
        let t = draw(&any);
        let path = Router::route_key(&t).unwrap();
        if is_grpc_call(path) {
            grpc += 1;
        } else {
            for seg in path[1..].split(|&c| c == b'/') {
                *rules.entry(rule_of(seg).0).or_default() += 1;
            }
        }
        rewritten += usize::from(r.lookup_key(&t, &mut buf).unwrap() != path);
        across_64 += usize::from((62..=66).contains(&path.len()));
        cut += usize::from(by_the_table(path).len() == MAX_ROUTE_LEN);
    }
    let kept = kept_target().boxed();
    for _ in 0..600 {
        own += usize::from(r.is_own_key(&draw(&kept)));
    }
    for rule in [
        Rule::Digits,
        Rule::KeptAtOnce,
        Rule::IdWithExtension,
        Rule::Uuid,
        Rule::Hex,
        Rule::Date,
        Rule::Email,
        Rule::KeptOther,
        Rule::Token,
        Rule::Kept,
    ] {
        let n = rules.get(&rule).copied().unwrap_or(0);
        assert!(n >= 55, "{rule:?}: {n} segments; all: {rules:?}");
    }
    for (what, n, least) in [
        ("gRPC calls", grpc, 20),
        ("keys rewritten", rewritten, 290),
        ("paths of 62 to 66 bytes", across_64, 210),
        ("routes cut", cut, 55),
        ("own keys", own, 70),
    ] {
        assert!(n >= least, "{what}: {n}");
    }
}

/// Fixed answers of the own-key test, and the routers that never answer yes.
#[test]
fn own_key_answers() {
    let r = Router::new(&[], true).unwrap();
    for (path, want) in [
        ("/", true),
        ("/api/users/123/orders?page=2", true),
        ("/static/app.js", true),
        ("/docs/token-fast", true),
        ("/api/v2/reports/6544/payments/91", true),
        ("/docs/delta-query-5019", true),
        ("/static/css/query.b85dc77f.css", true),
        ("/feed.xml", true),
        ("/docs/authentication-service-endpoint", true),
        // Templating looks closer: it may be an identifier.
        ("/users/3f2a9c1d", false),
        ("/users/deadbeefcafe", false),
        ("/p/ABCDEFGHIJ", false),
        ("/s/x1234567890y", false),
        ("/u/a23e4567-e89b-12d3-a456-426614174000", false),
        ("/d/2024-03-10", false),
        ("/pkg.Service/Method", false),
        ("/%41/b", false),
        ("/a/b@c.d", false),
    ] {
        assert_eq!(r.is_own_key(path.as_bytes()), want, "{path}");
    }
    // User rules or no templating: never.
    let rules = [RouteRule {
        pattern: "^/a$".into(),
        template: "/b".into(),
    }];
    assert!(!Router::new(&rules, true).unwrap().is_own_key(b"/a"));
    assert!(!Router::new(&[], false).unwrap().is_own_key(b"/a"));
}
