use super::*;
use crate::format::scan::Plain;
use crate::format::value::Unit;
use crate::format::{ErrorKind, TimeCache};

fn lit(s: &str) -> Piece {
    Piece::Lit(s.as_bytes().to_vec())
}
fn field(f: Field, c: Class) -> Piece {
    Piece::Field {
        field: f,
        class: c,
        name: format!("{f:?}"),
        at: 0,
    }
}

#[test]
fn free_fields_backtrack_until_the_narrow_ones_fit() {
    let t = Template::build(vec![
        field(Field::Request, Class::Free),
        lit("-"),
        field(Field::Status, Class::Digits),
        lit("-"),
        field(Field::Latency(Unit::Sec), Class::Decimal),
    ])
    .unwrap();
    let mut tc = TimeCache::default();
    let r = t
        .parse(b"GET /a-200-1.5/b-c HTTP/1.1-404-0.250", &mut tc, Plain)
        .unwrap();
    assert_eq!(r.target, b"/a-200-1.5/b-c");
    assert_eq!(r.status, 404);
    assert_eq!(r.latency_us, Some(250_000));
    assert!(t.parse(b"GET /a HTTP/1.1-404-x", &mut tc, Plain).is_err());
}

#[test]
fn two_free_fields_without_separator_are_rejected() {
    let e = Template::build(vec![
        field(Field::Request, Class::Free),
        field(Field::Status, Class::Digits),
    ])
    .unwrap_err();
    assert!(e.msg.contains("nothing separates"), "{}", e.msg);
}

#[test]
fn hostile_lines_exhaust_the_budget_not_the_cpu() {
    let t = Template::build(vec![
        field(Field::Request, Class::Free),
        lit("-"),
        field(Field::Ignore, Class::Free),
        lit("-"),
        field(Field::Status, Class::Digits),
        lit("-x"),
    ])
    .unwrap();
    let line = vec![b'-'; 60_000];
    let mut tc = TimeCache::default();
    assert_eq!(
        t.parse(&line, &mut tc, Plain).unwrap_err(),
        ErrorKind::NoMatch
    );
    assert!(t.explain(&line).contains("too ambiguous"));
}

/// The combined family's own parser (`combined.rs`, `Combined::record`)
/// against the generic matcher, on lines generated around every rule it
/// applies: each field from a set of good, odd and hostile values
/// (quotes and escapes inside quoted fields, IPv6 and empty addresses,
/// `-`, statuses and byte counts that are bad values, timers the odd-value
/// policy drops, invalid UTF-8), joined by the right separator or a wrong
/// one, then cut short, or with one byte changed.
mod family {
    use proptest::prelude::*;

    use crate::format::scan::{Marks, Plain};
    use crate::format::{Format, FormatSpec, Scratch};

    /// The templates the family's parser takes whole, and formats that
    /// start like them with more after (parsed by the start and the op
    /// loop: held to the same answers).
    const STRAIGHT: [&str; 7] = [
        "combined",
        "common",
        "combined_rt",
        "combined_D",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#,
        // With its upstreaminfo fields read by the family's parser too.
        "ingress_nginx",
        // With Traefik's fields after the user agent, likewise.
        "traefik_clf",
    ];
    const STARTS_ONLY: [&str; 2] = ["main", "combined_upstream"];

    fn compile(spec: &str) -> Format {
        Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap()
    }

    #[test]
    fn the_family_parser_takes_exactly_the_whole_family_templates() {
        for spec in STRAIGHT {
            assert!(compile(spec).template().unwrap().straight(), "{spec}");
        }
        for spec in STARTS_ONLY {
            assert!(!compile(spec).template().unwrap().straight(), "{spec}");
        }
        // A timer ending the line that is not the request time (`$msec`
        // is the log time) leaves it to the generic path.
        let msec = compile(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $msec"#,
        );
        assert!(!msec.template().unwrap().straight());
    }

    /// `line` parses to the same record (or error) through the family's
    /// parser, with the plain scan and with a block's index, as through
    /// the generic matcher.
    fn agree(f: &Format, line: &[u8]) -> Result<(), TestCaseError> {
        let t = f.template().unwrap();
        let mut s = Scratch::default();
        let fast = t.parse(line, &mut s.time, Plain);
        let (_, generic) = t.generic_parse(line, &mut Scratch::default().time);
        prop_assert_eq!(
            fast,
            generic,
            "{}: {:?}",
            f.name(),
            String::from_utf8_lossy(line)
        );
        let mut block = vec![b'x'; line.len() % 53];
        block.push(b'\n');
        let start = block.len();
        block.extend_from_slice(line);
        block.extend_from_slice(b"\n\" \\\n");
        let mut m = Marks::default();
        m.index(&block);
        let marked = t.parse(line, &mut Scratch::default().time, m.at(start));
        prop_assert_eq!(
            fast,
            marked,
            "{}: {:?}",
            f.name(),
            String::from_utf8_lossy(line)
        );
        Ok(())
    }

    fn pick(options: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
        prop::sample::select(options).prop_map(<[u8]>::to_vec)
    }

    /// Any bytes, biased to the ones that end fields.
    fn noise() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(&b" \"\\-[]0123456789.x"[..]),
                1 => any::<u8>(),
            ],
            0..12,
        )
    }

    fn field(options: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![6 => pick(options), 1 => noise()]
    }

    /// A line of the family's shape, each part from good and hostile
    /// values, each separator right or wrong.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let addr = field(&[
            b"1.2.3.4",
            b"::1",
            b"2001:db8::7",
            b"-",
            b"",
            b"a\"b",
            b"host\\",
        ]);
        let user = field(&[b"-", b"bob", b"", b"a\\", b"\"q\""]);
        let time = field(&[
            b"[10/Mar/2024:00:00:01 +0000]",
            b"[10/Mar/2024:23:59:59 -0700]",
            b"[31/Feb/2024:00:00:01 +0000]",
            b"[10/Xyz/2024:00:00:01 +0000]",
            b"[10/Mar/2024:00:00:01 +00]",
            b"[-]",
        ]);
        let request = field(&[
            b"GET /a/1?x=1 HTTP/1.1",
            b"POST /api/v2/users/42 HTTP/2.0",
            b"GET /q?s=\\\"x\\\" HTTP/1.1",
            b"GET /x\\x22y HTTP/1.1",
            b"-",
            b"",
            b"get / HTTP/1.1",
            b"GET /\xff\xfe HTTP/1.1",
            b"GET /a\\",
            b"BREW /pot",
        ]);
        let status = field(&[
            b"200", b"404", b"503", b"000", b"2x0", b"20", b"2000", b"", b"abc",
        ]);
        let bytes = field(&[
            b"0",
            b"2407",
            b"-",
            b"",
            b"18446744073709551615",
            b"18446744073709551616",
            b"0000000000000000000012",
            b"12a",
        ]);
        const QUOTED: &[&[u8]] = &[
            b"-",
            b"",
            b"https://r.example/",
            b"Mozilla \\\"q\\\" 5.0",
            b"a\\\\",
            b"\xc3\x28",
        ];
        let timer = field(&[
            b"0.005",
            b"12",
            b"12.500",
            b"-",
            b"nan",
            b"inf",
            b"1e3",
            b"1.5e-3",
            b"-0.5",
            b"",
            b"0.005x",
            b"12345678.123",
        ]);
        let sep = |good: &'static [u8]| prop_oneof![8 => Just(good.to_vec()), 1 => Just(b"  ".to_vec()), 1 => noise()];
        // ingress-nginx's `upstreaminfo` after the user agent, each part
        // good or hostile: `$request_length $request_time
        // [$proxy_upstream_name] [$proxy_alternative_upstream_name]
        // $upstream_addr $upstream_response_length $upstream_response_time
        // $upstream_status $req_id`.
        let lists: &'static [&'static [u8]] = &[
            b"0.004",
            b"-",
            b"0.004, 0.002 : 0.001",
            b"200, 502",
            b"nan",
            b"",
            b"0,",
            b"1 : ",
            b"0.00x",
            b"2x",
            b"1e5",
            b"-1",
        ];
        let upstreaminfo = (
            (
                field(&[b"92", b"-", b"", b"1x", b"1-"]),
                sep(b" "),
                field(&[
                    b"0.012", b"12", b"-", b"0.0125", b"", b"1.", b".5", b"1.5e-3", b"0.01x",
                    b"+1", b"nan",
                ]),
                sep(b" ["),
            ),
            (
                field(&[b"default-api-80", b"", b"a]b", b"a b"]),
                sep(b"] ["),
                field(&[b"", b"canary-80"]),
                sep(b"] "),
            ),
            (
                field(&[
                    b"10.244.0.7:8080",
                    b"10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80",
                    b"-",
                    b"",
                    b"[::1]:80",
                ]),
                sep(b" "),
                field(lists),
                sep(b" "),
                field(lists),
                sep(b" "),
                field(lists),
            ),
            (
                sep(b" "),
                field(&[b"4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a88", b"", b"a b"]),
            ),
        )
            .prop_map(
                |((a, b, c, d), (e, f, g, h), (i, j, k, l, m, n, o), (p, q))| {
                    [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q].concat()
                },
            );
        // Traefik CLF's after the user agent: ` %k "router" "backend"
        // Nms`.
        let traefik = (
            sep(b" "),
            field(&[b"42", b"-", b"", b"1x", b"18446744073709551616"]),
            sep(b" \""),
            field(&[b"shop@docker", b"-", b"", b"a\\\"b"]),
            sep(b"\" \""),
            field(&[b"http://172.17.0.2:8080", b"-", b"", b"a b"]),
            sep(b"\" "),
            field(&[
                b"12ms",
                b"0ms",
                b"-ms",
                b"+5ms",
                b"nanms",
                b"12",
                b"1.5ms",
                b"ms",
                b"12msx",
                b"99999999999999ms",
            ]),
        )
            .prop_map(|(a, b, c, d, e, f, g, h)| [a, b, c, d, e, f, g, h].concat());
        (
            (addr, sep(b" - "), user, sep(b" "), time, sep(b" \"")),
            (request, sep(b"\" "), status, sep(b" "), bytes, traefik),
            (
                sep(b" \""),
                field(QUOTED),
                sep(b"\" \""),
                field(QUOTED),
                sep(b"\" "),
            ),
            (timer, prop::option::of(noise()), upstreaminfo),
            0..6u8,
        )
            .prop_map(|(head, mid, pair, (timer, extra, upstreaminfo), shape)| {
                let mut l = Vec::new();
                // Apache's head is `%h %l %u [%t]`: the user's separator
                // doubles as the `%l` field.
                let (a, s1, u, s2, t, s3) = head;
                for p in [a, s1, u, s2, t, s3] {
                    l.extend(p);
                }
                let (r, s4, st, s5, b, traefik) = mid;
                for p in [r, s4, st, s5, b] {
                    l.extend(p);
                }
                // Combined + Traefik's fields.
                if shape == 5 {
                    let (s6, q1, s7, q2, _) = pair;
                    for p in [s6, q1, s7, q2] {
                        l.extend(p);
                    }
                    l.push(b'"');
                    l.extend(traefik);
                    return l;
                }
                // Shapes: common (ends here), combined, combined + timer,
                // and anything after; combined + ingress-nginx's fields.
                if shape == 4 {
                    let (s6, q1, s7, q2, _) = pair;
                    for p in [s6, q1, s7, q2] {
                        l.extend(p);
                    }
                    l.extend(b"\" ");
                    l.extend(upstreaminfo);
                    return l;
                }
                if shape >= 1 {
                    let (s6, q1, s7, q2, s8) = pair;
                    for p in [s6, q1, s7, q2] {
                        l.extend(p);
                    }
                    if shape >= 2 {
                        l.extend(s8);
                        l.extend(timer);
                    } else {
                        l.push(b'"');
                    }
                }
                if shape == 3 {
                    l.extend(extra.unwrap_or_default());
                }
                l
            })
    }

    proptest! {
        #![proptest_config(crate::props::config(3_000))]

        #[test]
        fn the_family_parser_gives_what_the_generic_matcher_gives(
            l in line(),
            cut in any::<prop::sample::Index>(),
            change in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
        ) {
            let formats: Vec<Format> = STRAIGHT.iter().chain(&STARTS_ONLY).map(|s| compile(s)).collect();
            let mut variants = vec![l.clone(), l[..cut.index(l.len() + 1)].to_vec()];
            if let Some((at, b)) = change && !l.is_empty() {
                let mut c = l.clone();
                c[at.index(l.len())] = b;
                variants.push(c);
            }
            // Apache's head: `%h %l %u`, three tokens.
            let apache = match l.windows(3).position(|w| w == b" - ") {
                Some(i) => [&l[..i], b" x ", &l[i + 3..]].concat(),
                None => l.clone(),
            };
            variants.push(apache);
            for v in &variants {
                for f in &formats {
                    agree(f, v)?;
                }
            }
        }
    }
}
