//! Templating, user rules, the cap and the folded-route count.

use proptest::prelude::{prop_assert_eq, prop_oneof, proptest};

use super::table::is_printable_ascii;
use super::*;

fn route(r: &Router, t: &str) -> String {
    let mut out = Vec::new();
    r.route(t.as_bytes(), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn templating_table() {
    let r = Router::new(&[], true).unwrap();
    let cases = [
        ("/api/users/123/orders", "/api/users/:id/orders"),
        ("/api/users/123/orders?page=2&x=1", "/api/users/:id/orders"),
        ("/api/users/123#frag", "/api/users/:id"),
        ("/", "/"),
        ("", "(invalid)"),
        ("-", "(invalid)"),
        // The request `-` (no request was read, nginx's 408) is split
        // into this target.
        ("(no request)", "(no request)"),
        ("*", "*"),
        ("/a//b/", "/a//b/"),
        (
            "/items/550e8400-e29b-41d4-a716-446655440000",
            "/items/:uuid",
        ),
        (
            "/items/550E8400-E29B-41D4-A716-446655440000/x",
            "/items/:uuid/x",
        ),
        (
            "/commits/9fceb02d0ae598e95dc970b74767f19372d61af8",
            "/commits/:hex",
        ),
        ("/objects/507f1f77bcf86cd799439011", "/objects/:hex"),
        ("/c/1a2b3c4d", "/c/:hex"),
        ("/c/deadbeef", "/c/deadbeef"),
        ("/c/facade", "/c/facade"),
        ("/reports/2024-03-10", "/reports/:date"),
        ("/reports/2024-03-10T12:00:00Z/pdf", "/reports/:date/pdf"),
        ("/s/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "/s/:token"),
        ("/reset/Zm9vYmFyYmF6cXV4cXV1eA", "/reset/:token"),
        ("/session/k3jd9f8s7d6f5g", "/session/:token"),
        ("/users/jane.doe@example.com/prefs", "/users/:email/prefs"),
        ("/files/42.json", "/files/:id.json"),
        ("/v1/users", "/v1/users"),
        ("/api/v2/items", "/api/v2/items"),
        (
            "/docs/release-notes-2024/intro",
            "/docs/release-notes-2024/intro",
        ),
        (
            "/docs/latency-metrics/release-tuning-54321",
            "/docs/latency-metrics/release-tuning-54321",
        ),
        ("/api/getUserProfileSettings", "/api/getUserProfileSettings"),
        (
            "/static/js/alpha.d95fa781.js",
            "/static/js/alpha.d95fa781.js",
        ),
        ("/%E4%B8%AD%E6%96%87", "/%E4%B8%AD%E6%96%87"),
        ("http://example.com/a/1?x", "/a/:id"),
        ("HTTPS://example.com", "/"),
        (
            "/helloworld.Greeter/SayHello",
            "/helloworld.Greeter/SayHello",
        ),
        ("/pkg.v1.Service123/Get2", "/pkg.v1.Service123/Get2"),
        // Regression: with a query string this was templated
        // (`/:token/GetUser`) while the bare path was kept, so a path
        // seen verbatim first sent later query lines to another route.
        (
            "/svc.v1.Users2024Service/GetUser?a=1",
            "/svc.v1.Users2024Service/GetUser",
        ),
        ("/pkg.Svc/Method#f", "/pkg.Svc/Method"),
        // Segment ends on each side of an 8-byte step.
        ("/1234567/abcdefgh/12345678/x", "/:id/abcdefgh/:id/x"),
        ("/abcdefg/1234567890123456?q=/1", "/abcdefg/:id"),
        ("/abcdefghijklmno#/1", "/abcdefghijklmno"),
        ("/1234567", "/:id"),
        ("/12345678", "/:id"),
        ("/a/123456789/", "/a/:id/"),
        ("/x/12/y/34/z", "/x/:id/y/:id/z"),
        ("/x/12?", "/x/:id"),
        ("/?a=1", "/"),
        ("/caf\u{e9}/12", "/caf\u{e9}/:id"),
    ];
    for (input, want) in cases {
        assert_eq!(route(&r, input), want, "{input}");
    }
}

#[test]
fn hostile_targets_are_bounded() {
    let r = Router::new(&[], true).unwrap();
    let long = format!("/{}", "z".repeat(10_000));
    let got = route(&r, &long);
    assert_eq!(got.len(), MAX_ROUTE_LEN);
    assert!(got.ends_with("..."));
    let many = "/x".repeat(5_000);
    assert_eq!(route(&r, &many).len(), MAX_ROUTE_LEN);
    assert_eq!(display_name(b"/a\nb\x1b[31m"), "/a\\x0Ab\\x1B[31m");
}

/// Regression: a right-to-left override in a path reached the table and
/// the CSV raw, so `/admin\u{202e}txt.exe` showed as `/adminexe.txt`; a
/// zero-width space made two routes look alike. Such invisible characters
/// are `\xHH` like control characters; other non-ASCII text stays.
#[test]
fn invisible_and_bidi_characters_are_escaped() {
    let cases = [
        ("/admin\u{202e}txt.exe", "/admin\\xE2\\x80\\xAEtxt.exe"),
        ("/a\u{200b}b", "/a\\xE2\\x80\\x8Bb"),
        ("/a\u{2066}b\u{2069}", "/a\\xE2\\x81\\xA6b\\xE2\\x81\\xA9"),
        ("/\u{feff}x", "/\\xEF\\xBB\\xBFx"),
        ("/\u{061c}x", "/\\xD8\\x9Cx"),
        ("/日本語/café", "/日本語/café"),
    ];
    for (raw, shown) in cases {
        assert_eq!(display_name(raw.as_bytes()), shown, "{raw:?}");
        assert_eq!(is_displayable(raw.as_bytes()), raw == shown, "{raw:?}");
    }
}

/// Three paths differing only in invalid UTF-8 bytes all became `/x/��`
/// (U+FFFD each): three series with identical labels in `/metrics`,
/// which promtool rejects. Each invalid byte is now `\xHH`, the form
/// nginx writes; control characters (C1 too, as their UTF-8 bytes) the
/// same; other non-ASCII text is kept.
#[test]
fn invalid_utf8_route_names_stay_apart() {
    assert_eq!(display_name(b"/x/\xff\xfe"), "/x/\\xFF\\xFE");
    assert_eq!(display_name(b"/x/\xff\xfd"), "/x/\\xFF\\xFD");
    assert_eq!(display_name(b"/x/\xc3"), "/x/\\xC3");
    assert_eq!(display_name(b"/caf\xE9"), "/caf\\xE9");
    assert_eq!(display_name("/café/\u{9b}".as_bytes()), "/café/\\xC2\\x9B");
    assert_eq!(display_name(b"/a\x7fb"), "/a\\x7Fb");
    assert!(matches!(
        display_name(b"/plain/:id"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert!(matches!(
        display_name("/café".as_bytes()),
        std::borrow::Cow::Borrowed(_)
    ));
}

proptest! {
    #![proptest_config(crate::props::config(2000))]

    /// The word-at-a-time check is the plain one, on names of every
    /// length (whole words and a rest) with bytes at both edges of the
    /// printable range.
    #[test]
    fn printable_ascii_words_match_the_byte_loop(
        b in proptest::collection::vec(
            prop_oneof![
                4 => 0x20u8..0x7f,
                1 => proptest::sample::select(vec![0u8, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff]),
            ],
            0..40,
        )
    ) {
        let plain = b.iter().all(|c| (0x20..0x7f).contains(c));
        prop_assert_eq!(is_printable_ascii(&b), plain);
    }
}

/// Raw names that display alike are one route, whichever came first, and
/// under the cap too: no two ids share a name.
#[test]
fn names_that_display_alike_are_one_route() {
    let mut t = RouteTable::new(3);
    let raw = t.intern(b"/x/\xff");
    assert_eq!(t.intern(b"/x/\\xFF"), raw, "nginx's escaped form");
    assert_eq!(t.get(b"/x/\\xFF"), Some(raw));
    let literal = t.intern(b"/y/\\x00");
    assert_eq!(t.intern(b"/y/\x00"), literal);
    assert_eq!(t.get(b"/y/\x00"), Some(literal));
    assert_eq!(t.intern(b"/z"), 3);
    assert!(t.is_full());
    // Full: an alias of a registered name is that route, not the overflow.
    assert_eq!(t.intern(b"/z"), 3);
    assert_eq!(t.intern(b"/x/\\xFF"), raw);
    assert_eq!(t.intern(b"/x/\xfe"), OVERFLOW_ID);
    assert_eq!(t.len(), 3);
    let names: Vec<&str> = t.names().iter().map(|n| &**n).collect();
    assert_eq!(names, ["(overflow)", "/x/\\xFF", "/y/\\x00", "/z"]);
}

#[test]
fn user_rules_first_match_wins_then_templating() {
    let rules: Vec<RouteRule> = vec![
        "^/api/users/[^/]+$=/api/users/:name".parse().unwrap(),
        r"^/api/(?P<ver>v\d+)/.*=/api/$ver/*".parse().unwrap(),
        "^/api/.*=/api/never".parse().unwrap(),
    ];
    let r = Router::new(&rules, true).unwrap();
    assert_eq!(route(&r, "/api/users/jane?x=1"), "/api/users/:name");
    assert_eq!(route(&r, "/api/v3/things/1"), "/api/v3/*");
    assert_eq!(route(&r, "/other/7"), "/other/:id");
    assert!("no-equals".parse::<RouteRule>().is_err());
    assert!(Router::new(&["(=x".parse().unwrap()], true).is_err());
    let rr: RouteRule = "a=b=/c".parse().unwrap();
    assert_eq!((rr.pattern.as_str(), rr.template.as_str()), ("a=b", "/c"));
}

#[test]
fn templating_off_keeps_paths() {
    let r = Router::new(&[], false).unwrap();
    assert_eq!(route(&r, "/api/users/123?x"), "/api/users/123");
}

#[test]
fn cap_folds_into_overflow_and_counts_distinct() {
    let mut t = RouteTable::new(2);
    assert_eq!(t.intern(b"/a"), 1);
    assert_eq!(t.intern(b"/b"), 2);
    assert_eq!(t.intern(b"/a"), 1);
    assert_eq!(t.intern(b"/c"), OVERFLOW_ID);
    assert_eq!(t.intern(b"/d"), OVERFLOW_ID);
    assert_eq!(t.intern(b"/c"), OVERFLOW_ID);
    assert_eq!(t.folded(), (2, false));
    assert_eq!(t.len(), 2);
    assert_eq!(&**t.name(OVERFLOW_ID), OVERFLOW_ROUTE);
    assert_eq!(t.get(b"/b"), Some(2));
    assert_eq!(t.get(b"/c"), None);
}

fn lookup_key(r: &Router, t: &str) -> Option<String> {
    let mut buf = Vec::new();
    r.lookup_key(t.as_bytes(), &mut buf)
        .map(|k| String::from_utf8(k.to_vec()).unwrap())
}

#[test]
fn lookup_key_writes_numeric_segments_as_id() {
    let r = Router::new(&[], true).unwrap();
    let cases = [
        ("/api/users/123/orders?page=2", "/api/users/:id/orders"),
        ("/123", "/:id"),
        ("/1/2/3", "/:id/:id/:id"),
        ("/v2/007/", "/v2/:id/"),
        ("http://h:8080/a/12?x=1", "/a/:id"),
        // Not all digits, or no segment: as they are.
        ("/123.json", "/123.json"),
        ("/a1/12b/1a", "/a1/12b/1a"),
        ("/v2", "/v2"),
        ("//", "//"),
        ("/", "/"),
        ("*", "*"),
        ("/x/:id", "/x/:id"),
        ("/1#x?y", "/:id"),
        (&format!("/a/1?{}", "q".repeat(100)), "/a/:id"),
        (
            &format!("/{}/1?q", "a".repeat(60)),
            &format!("/{}/:id", "a".repeat(60)),
        ),
        (
            &format!("/{}/1?q", "a".repeat(61)),
            &format!("/{}/1", "a".repeat(61)),
        ),
        (
            &format!("/{}/1?q", "a".repeat(70)),
            &format!("/{}/1", "a".repeat(70)),
        ),
        // 63 bytes is the longest key written; 64 stays as it is.
        (
            &format!("/{}/1", "a".repeat(60)),
            &format!("/{}/:id", "a".repeat(60)),
        ),
        (
            &format!("/{}/1", "a".repeat(61)),
            &format!("/{}/1", "a".repeat(61)),
        ),
        (
            &format!("/{}/12", "a".repeat(59)),
            &format!("/{}/:id", "a".repeat(59)),
        ),
    ];
    for (target, want) in cases {
        assert_eq!(lookup_key(&r, target).as_deref(), Some(want), "{target}");
    }
    assert_eq!(lookup_key(&r, "-"), None);
    // With user rules or without templating, the digits may matter.
    let rules = [RouteRule {
        pattern: "^/a/1$".into(),
        template: "/one".into(),
    }];
    for r in [
        Router::new(&rules, true).unwrap(),
        Router::new(&[], false).unwrap(),
    ] {
        assert_eq!(lookup_key(&r, "/a/1?q").as_deref(), Some("/a/1"));
    }
}

mod properties;
