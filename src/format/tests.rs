//! Format compiler tests: each preset, nginx variable kinds, Apache
//! directives, escapes, `-` fields, bad format strings and detection.

use super::*;

#[derive(Debug, PartialEq, Eq)]
struct Rec {
    method: String,
    target: String,
    status: u16,
    bytes: Option<u64>,
    latency_us: Option<u64>,
    upstream_us: Option<u64>,
    time: Option<i64>,
    bad_timer: bool,
    bad_time: bool,
}

fn compile(spec: &str) -> Format {
    Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn parse(f: &Format, line: &str) -> Result<Rec, ErrorKind> {
    let mut s = Scratch::default();
    let r = f.parse(line.as_bytes(), &mut s)?;
    Ok(Rec {
        method: String::from_utf8_lossy(r.method).into(),
        target: String::from_utf8_lossy(r.target).into(),
        status: r.status,
        bytes: r.bytes,
        latency_us: r.latency_us,
        upstream_us: r.upstream_us,
        time: r.time,
        bad_timer: r.bad_timer(),
        bad_time: r.bad_time(),
    })
}

fn rec(
    method: &str,
    target: &str,
    status: u16,
    bytes: Option<u64>,
    latency: Option<u64>,
    time: Option<i64>,
) -> Rec {
    Rec {
        method: method.into(),
        target: target.into(),
        status,
        bytes,
        latency_us: latency,
        upstream_us: None,
        time,
        bad_timer: false,
        bad_time: false,
    }
}

const T0: i64 = 1_710_028_800; // 10/Mar/2024:00:00:00 +0000

#[test]
fn combined_with_quoted_spaces_and_x22_escapes() {
    let f = compile("combined");
    let l = r#"203.0.113.9 - alice [10/Mar/2024:00:00:00 +0000] "GET /search?q=a\x22b HTTP/1.1" 200 512 "https://ex.com/a b" "Mozilla/5.0 (X11; \x22quoted\x22) Gecko""#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("GET", r"/search?q=a\x22b", 200, Some(512), None, Some(T0))
    );
    // `-` everywhere a value can be missing; the request `-` is method
    // `-`, target `(no request)`, the router's route for it.
    let l = r#"::1 - - [10/Mar/2024:00:00:00 +0000] "-" 400 0 "-" "-""#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("-", "(no request)", 400, Some(0), None, Some(T0))
    );
    // Apache writes `-` for zero bytes and escapes quotes as \".
    let l =
        r#"10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] "GET /a\"b HTTP/1.0" 304 - "-" "curl \"x\"""#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("GET", r#"/a\"b"#, 304, Some(0), None, Some(T0))
    );
    // Trailing CR (logs copied from Windows) is ignored.
    let l = "1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\r";
    assert_eq!(parse(&f, l).unwrap().status, 200);
}

#[test]
fn combined_rejects_what_it_cannot_be() {
    let f = compile("combined");
    for bad in [
        "garbage",
        r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-" 0.005"#,
        r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "unterminated"#,
        r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-""#,
        r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1"  1 "-" "-""#,
    ] {
        assert_eq!(parse(&f, bad), Err(ErrorKind::NoMatch), "{bad}");
    }
    // The shape fits, the status does not: a bad value.
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" abc 1 "-" "-""#;
    assert_eq!(parse(&f, l), Err(ErrorKind::BadValue));
    assert_eq!(parse(&f, ""), Err(ErrorKind::Empty));
    assert_eq!(parse(&f, "\r"), Err(ErrorKind::Empty));
}

#[test]
fn common_and_vcombined() {
    let f = compile("common");
    let l =
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec(
            "GET",
            "/apache_pb.gif",
            200,
            Some(2326),
            None,
            Some(971_211_336)
        )
    );
    let f = compile("vcombined");
    let l = r#"www.example.com:443 10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] "POST /login HTTP/1.1" 302 0 "-" "ua""#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("POST", "/login", 302, Some(0), None, Some(T0))
    );
}

#[test]
fn combined_rt_and_upstream_timers() {
    let f = compile("combined_rt");
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/2.0" 200 5 "-" "ua" 0.000"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("GET", "/a", 200, Some(5), Some(0), Some(T0))
    );
    // An integer request time is a request time (the odd-value policy);
    // detection still reads a log of whole numbers as Apache's %D.
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/2.0" 200 5 "-" "ua" 123"#;
    assert_eq!(parse(&f, l).unwrap().latency_us, Some(123_000_000));

    let f = compile("combined_upstream");
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 502 5 "-" "ua" 0.030 0.004, 0.012 : 0.001"#;
    let r = parse(&f, l).unwrap();
    assert_eq!(
        (r.status, r.latency_us, r.upstream_us),
        (502, Some(30_000), Some(17_000))
    );
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 499 0 "-" "ua" 1.250 -"#;
    let r = parse(&f, l).unwrap();
    assert_eq!((r.latency_us, r.upstream_us), (Some(1_250_000), None));
}

/// A format under test: its spec, a line with the status, bytes, timer and
/// timestamp given, the timer's unit in µs, and whether it takes decimal
/// timers (Apache writes whole numbers only).
struct Shape {
    spec: &'static str,
    line: fn(&str, &str, &str, &str) -> String,
    unit_us: u64,
    decimal: bool,
}

const TIME_OK: &str = "10/Mar/2024:00:00:00 +0000";
/// A timestamp of the right shape that is not a time.
const TIME_BAD: &str = "10/Foo/2024:00:00:00 +0000";

const SHAPES: [Shape; 7] = [
    Shape {
        spec: "combined_rt",
        line: |st, b, t, tm| {
            format!(r#"1.2.3.4 - - [{tm}] "GET /a HTTP/1.1" {st} {b} "-" "ua" {t}"#)
        },
        unit_us: 1_000_000,
        decimal: true,
    },
    Shape {
        spec: "combined_D",
        line: |st, b, t, tm| {
            format!(r#"1.2.3.4 - - [{tm}] "GET /a HTTP/1.1" {st} {b} "-" "ua" {t}"#)
        },
        unit_us: 1,
        decimal: false,
    },
    Shape {
        spec: r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent rt=$request_time"#,
        line: |st, b, t, tm| format!(r#"1.2.3.4 [{tm}] "GET /a HTTP/1.1" {st} {b} rt={t}"#),
        unit_us: 1_000_000,
        decimal: true,
    },
    Shape {
        spec: r#"$remote_addr-[$time_local]-$request-$status-$body_bytes_sent-$request_time"#,
        line: |st, b, t, tm| format!(r#"1.2.3.4-[{tm}]-GET /a-b HTTP/1.1-{st}-{b}-{t}"#),
        unit_us: 1_000_000,
        decimal: true,
    },
    Shape {
        spec: r#"%h %t "%r" %>s %b %{ms}T"#,
        line: |st, b, t, tm| format!(r#"1.2.3.4 [{tm}] "GET /a HTTP/1.1" {st} {b} {t}"#),
        unit_us: 1_000,
        decimal: false,
    },
    Shape {
        spec: "json",
        line: |st, b, t, tm| {
            format!(
                r#"{{"time_local":"{tm}","request":"GET /a HTTP/1.1","status":"{st}","body_bytes_sent":"{b}","request_time":"{t}"}}"#
            )
        },
        unit_us: 1_000_000,
        decimal: true,
    },
    Shape {
        spec: r#"regex:^\[(?P<time>[^\]]*)\] "(?P<request>[^"]*)" (?P<status>\S*) (?P<bytes>\S*) (?P<request_time>\S*)$"#,
        line: |st, b, t, tm| format!(r#"[{tm}] "GET /a HTTP/1.1" {st} {b} {t}"#),
        unit_us: 1_000_000,
        decimal: true,
    },
];

/// The README's "Odd values", rule by rule, in every kind of format: a
/// status is exactly three digits (`000`–`099` and `600`–`999` are
/// statuses too, counted as `other`); bytes are digits or `-` (0) within
/// u64; a timer that is NaN, infinite, negative or not a number is dropped
/// and flagged, the request counted; a malformed timestamp likewise.
#[test]
fn odd_values_follow_one_policy_in_every_format() {
    for shape in &SHAPES {
        let f = compile(shape.spec);
        let name = shape.spec;
        let line = |st: &str, b: &str, t: &str, tm: &str| parse(&f, &(shape.line)(st, b, t, tm));

        // Status: exactly three ASCII digits.
        for (st, want) in [
            ("200", Ok(200)),
            ("000", Ok(0)),
            ("099", Ok(99)),
            ("499", Ok(499)),
            ("600", Ok(600)),
            ("999", Ok(999)),
            ("20", Err(ErrorKind::BadValue)),
            ("2000", Err(ErrorKind::BadValue)),
            ("2x0", Err(ErrorKind::BadValue)),
        ] {
            assert_eq!(
                line(st, "5", "1", TIME_OK).map(|r| r.status),
                want,
                "{name}: status {st:?}"
            );
        }

        // Bytes: `-` is 0; past u64 the line is bad.
        for (b, want) in [
            ("0", Ok(Some(0))),
            ("-", Ok(Some(0))),
            ("18446744073709551615", Ok(Some(u64::MAX))),
            ("18446744073709551616", Err(ErrorKind::BadValue)),
            ("99999999999999999999999", Err(ErrorKind::BadValue)),
        ] {
            assert_eq!(
                line("200", b, "1", TIME_OK).map(|r| r.bytes),
                want,
                "{name}: bytes {b:?}"
            );
        }

        // Request time: (value, latency, bad_timer).
        let u = shape.unit_us;
        let mut timers = vec![
            ("10", Some(10 * u), false),
            ("0", Some(0), false),
            ("-", None, false),
            ("nan", None, true),
            ("NaN", None, true),
            ("inf", None, true),
            ("-Infinity", None, true),
            ("-5", None, true),
        ];
        if shape.decimal {
            timers.extend([
                ("0.005", Some(5 * u / 1000), false),
                ("1.5e-3", Some(15 * u / 10_000), false),
                ("-0.005", None, true),
            ]);
        } else {
            // Apache's timers are whole numbers: a fraction does not fit.
            assert_eq!(
                line("200", "5", "0.005", TIME_OK),
                Err(ErrorKind::NoMatch),
                "{name}"
            );
        }
        for (t, latency, bad) in timers {
            let r = line("200", "5", t, TIME_OK).unwrap_or_else(|e| panic!("{name}: {t:?}: {e}"));
            assert_eq!(
                (r.latency_us, r.bad_timer, r.bad_time),
                (latency, bad, false),
                "{name}: timer {t:?}"
            );
        }

        // Timestamp: a malformed one is ignored and flagged.
        let r = line("200", "5", "1", TIME_OK).unwrap();
        assert_eq!((r.time, r.bad_time), (Some(T0), false), "{name}");
        let r = line("200", "5", "1", TIME_BAD).unwrap();
        assert_eq!(
            (r.status, r.latency_us, r.time, r.bad_time, r.bad_timer),
            (200, Some(u), None, true, false),
            "{name}"
        );
    }
}

/// An empty status is a bad value where the format can say it is there
/// (JSON, a regex group); in a line template an empty field does not fit.
#[test]
fn empty_status_is_a_bad_value() {
    let json = compile("json");
    assert_eq!(
        parse(&json, r#"{"request":"GET / HTTP/1.1","status":""}"#),
        Err(ErrorKind::BadValue)
    );
    let re = &SHAPES[6];
    let f = compile(re.spec);
    assert_eq!(
        parse(&f, &(re.line)("", "5", "1", TIME_OK)),
        Err(ErrorKind::BadValue)
    );
}

/// The regression behind the policy: `$request_time` `10` was not a line
/// of the format, while `$upstream_response_time` `10` was a timer.
#[test]
fn integer_request_time_is_timed_like_an_integer_upstream_time() {
    let f = compile("combined_upstream");
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 10 10"#;
    let r = parse(&f, l).unwrap();
    assert_eq!(
        (r.latency_us, r.upstream_us, r.bad_timer),
        (Some(10_000_000), Some(10_000_000), false)
    );
}

/// A bad part of an upstream timer list drops the upstream time (a sum
/// missing a part would be too small), not the request or its own timer.
#[test]
fn bad_upstream_timer_drops_the_timer_not_the_request() {
    let f = compile("combined_upstream");
    for (up, rt, want) in [
        ("0.004, nan", "0.030", (Some(30_000), None, true)),
        ("-0.004", "0.030", (Some(30_000), None, true)),
        ("0.004, 0.012 : 0.001", "nan", (None, Some(17_000), true)),
        ("-, 0.010", "0.030", (Some(30_000), Some(10_000), false)),
    ] {
        let l = format!(
            r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 502 5 "-" "ua" {rt} {up}"#
        );
        let r = parse(&f, &l).unwrap();
        assert_eq!((r.latency_us, r.upstream_us, r.bad_timer), want, "{l}");
    }
    // JSON: a missing request time falls back to the upstream time, a bad
    // one does not.
    let f = compile("json");
    let r = parse(
        &f,
        r#"{"request":"GET / HTTP/1.1","status":200,"upstream_response_time":"0.002"}"#,
    )
    .unwrap();
    assert_eq!((r.latency_us, r.bad_timer), (Some(2_000), false));
    let r = parse(
        &f,
        r#"{"request":"GET / HTTP/1.1","status":200,"request_time":"nan","upstream_response_time":"0.002"}"#,
    )
    .unwrap();
    assert_eq!(
        (r.latency_us, r.upstream_us, r.bad_timer),
        (None, Some(2_000), true)
    );
}

/// Why a line whose shape fits is a bad value, in the parse-error view.
#[test]
fn explain_names_the_bad_value() {
    let f = compile("combined");
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 20 1 "-" "-""#;
    assert_eq!(
        f.explain(l.as_bytes()),
        r#"status "20" is not three digits"#
    );
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 18446744073709551616 "-" "-""#;
    assert_eq!(
        f.explain(l.as_bytes()),
        r#"bytes "18446744073709551616" is not a count that fits 64 bits"#
    );
}

#[test]
fn dashed_format_with_dashes_inside_paths_and_dates() {
    let f = compile("'$remote_addr-[$time_local]-$request-$status-$request_time'");
    let l = "10.228.183.80-[10/Mar/2024:00:00:00 +0000]-GET /api/v1/ship-ments/36282/x-200-1.5 HTTP/1.1-200-0.006";
    assert_eq!(
        parse(&f, l).unwrap(),
        rec(
            "GET",
            "/api/v1/ship-ments/36282/x-200-1.5",
            200,
            None,
            Some(6_000),
            Some(T0)
        )
    );
    let l = "2001:db8::1-[09/Mar/2024:19:00:00 -0500]-DELETE /-/-/- HTTP/2.0-503-12.345";
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("DELETE", "/-/-/-", 503, None, Some(12_345_000), Some(T0))
    );
    assert_eq!(
        parse(
            &f,
            "10.0.0.1-[10/Mar/2024:00:00:00 +0000]-GET / HTTP/1.1-200-"
        ),
        Err(ErrorKind::NoMatch)
    );
}

#[test]
fn every_nginx_variable_kind() {
    let f = compile(
        r#"$remote_addr $host:$server_port $request_method $request_uri $uri "$args" $server_protocol $status $body_bytes_sent $bytes_sent $request_length [$time_iso8601] $msec $request_time "$upstream_response_time" "$upstream_connect_time" $upstream_addr "$http_user_agent" $request_id $connection $pipe ${ssl_protocol}/$ssl_cipher"#,
    );
    let l = r#"10.0.0.1 api.example.com:443 PATCH /v1/items/9?x=1 /v1/items/9 "x=1" HTTP/2.0 422 17 321 700 [2024-03-10T01:00:00+01:00] 1710028800.123 0.250 "0.100, 0.050" "0.001, 0.002" 10.1.1.1:8080 "ua with spaces" 0123abcd 42 . TLSv1.3/TLS_AES_128_GCM_SHA256"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        Rec {
            method: "PATCH".into(),
            target: "/v1/items/9?x=1".into(),
            status: 422,
            bytes: Some(17),
            latency_us: Some(250_000),
            upstream_us: Some(150_000),
            // $msec comes after $time_iso8601 and wins; same second anyway.
            time: Some(T0),
            bad_timer: false,
            bad_time: false,
        }
    );
}

#[test]
fn nginx_path_only_and_no_timer() {
    let f = compile("$status $uri");
    assert_eq!(
        parse(&f, "404 /a b").unwrap(),
        rec("", "/a b", 404, None, None, None)
    );
    // A line without a timer still counts; upstream time stands in for a
    // missing request time.
    let f = compile("$status $request_uri $upstream_response_time");
    let r = parse(&f, "200 /x 0.010").unwrap();
    assert_eq!((r.latency_us, r.upstream_us), (Some(10_000), Some(10_000)));
}

#[test]
fn apache_logformat_verbatim() {
    let f = compile(r#"%h %l %u %t \"%r\" %>s %b %D %T \"%{Referer}i\" \"%{User-Agent}i\""#);
    let l = r#"192.0.2.1 - - [10/Mar/2024:00:00:00 +0000] "PUT /x/1 HTTP/1.1" 201 - 1500 0 "-" "Apache-HttpClient/4.5""#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("PUT", "/x/1", 201, Some(0), Some(1_500), Some(T0))
    );
    let f = compile(r#"LogFormat "%a %{ms}T %m %U%q %>s %B" timed"#);
    let l = "192.0.2.1 42 GET /a?b=1 200 10";
    // %U%q: path and query glued together are read as one target.
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("GET", "/a?b=1", 200, Some(10), Some(42_000), None)
    );
    let f = compile("%h %{%d/%b/%Y:%H:%M:%S %z}t %>s \"%r\" %{us}T");
    let l = r#"h 10/Mar/2024:00:00:00 +0000 200 "GET / HTTP/1.1" 77"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        rec("GET", "/", 200, None, Some(77), Some(T0))
    );
}

#[test]
fn combined_d_is_microseconds() {
    let f = compile("combined_D");
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 123456"#;
    assert_eq!(parse(&f, l).unwrap().latency_us, Some(123_456));
}

#[test]
fn regex_format() {
    let f = compile(
        r#"regex:^(?P<time>\S+) (?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d{3}) in (?P<latency_ms>\d+)ms$"#,
    );
    assert_eq!(
        parse(&f, "2024-03-10T00:00:00Z GET /x -> 503 in 250ms").unwrap(),
        rec("GET", "/x", 503, None, Some(250_000), Some(T0))
    );
}

/// Found by the `format_apache` fuzz target: `%` before a non-ASCII
/// character sliced the format inside that character to name it, and
/// panicked instead of reporting an unknown directive.
#[test]
fn apache_non_ascii_directive_is_an_error_not_a_panic() {
    for (fmt, name, at) in [
        ("%h %\u{8c} %>s", "%\u{8c}", 3),
        ("%h %>é %>s", "%>é", 3),
        ("%{Referer}€", "%{Referer}€", 0),
        ("%s %😀", "%😀", 3),
    ] {
        let e = Format::compile(&FormatSpec::Apache(fmt.into()), &[]).unwrap_err();
        assert_eq!(e.at, Some(at), "{fmt}");
        assert_eq!(e.msg, format!("unknown Apache directive `{name}`"), "{fmt}");
    }
}

#[test]
fn bad_format_strings_point_at_the_offending_part() {
    let e = Format::compile(&FormatSpec::parse("%h %l %Q %>s \"%r\"").unwrap(), &[]).unwrap_err();
    assert_eq!(e.at, Some(6));
    let shown = e.to_string();
    assert!(shown.contains("unknown Apache directive `%Q`"), "{shown}");
    assert_eq!(
        shown,
        "bad format: unknown Apache directive `%Q` (column 7 of '%h %l %Q %>s \"%r\"')"
    );

    // A two-byte control character before the error does not shift the
    // column (it is shown as one space).
    let e = Format::compile(&FormatSpec::parse("%h\u{85}%l %Q %>s").unwrap(), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad format: unknown Apache directive `%Q` (column 7 of '%h %l %Q %>s')"
    );

    let e = Format::compile(
        &FormatSpec::parse("$remote_addr $request$status").unwrap(),
        &[],
    )
    .unwrap_err();
    assert_eq!(e.at, Some(13));
    assert!(
        e.msg
            .contains("`$request` is followed directly by `$status`"),
        "{}",
        e.msg
    );

    let e = Format::compile(
        &FormatSpec::parse("$remote_addr [$time_local] $request").unwrap(),
        &[],
    )
    .unwrap_err();
    assert!(e.msg.contains("no status field"), "{}", e.msg);
    let e = Format::compile(&FormatSpec::parse("$remote_addr $status").unwrap(), &[]).unwrap_err();
    assert!(e.msg.contains("no request or path field"), "{}", e.msg);
    let e = FormatSpec::parse("combined2").unwrap_err();
    assert!(e.to_string().contains("unknown format"), "{e}");
    let e = Format::compile(&FormatSpec::parse("regex:(?P<status>").unwrap(), &[]).unwrap_err();
    assert!(e.msg.contains("invalid regex"), "{}", e.msg);
}

/// Regression: a bad regex named two columns, the regex crate's and a
/// meaningless `column 1` of the whole pattern: `(column 11) (column 1 of
/// '^(?P<path>[a-')`. One position, the one the regex crate points at; a
/// regex that compiles but lacks a group has no position at all.
#[test]
fn bad_regex_format_names_one_column() {
    let e = Format::compile(&FormatSpec::parse("regex:^(?P<path>[a-").unwrap(), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad format: invalid regex: unclosed character class (column 11 of '^(?P<path>[a-')"
    );
    let e = Format::compile(&FormatSpec::parse("regex:é(?P<path>[a-").unwrap(), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad format: invalid regex: unclosed character class (column 11 of 'é(?P<path>[a-')"
    );
    let e = Format::compile(&FormatSpec::parse("regex:(?P<path>\\S+)").unwrap(), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad format: the regex needs a (?P<status>...) group"
    );
}

#[test]
fn explain_says_where_a_line_stops_fitting() {
    let f = compile("combined_rt");
    let l = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua""#;
    let why = f.explain(l.as_bytes());
    assert!(
        why.contains("after \"$http_user_agent\"") || why.contains("after $http_user_agent"),
        "{why}"
    );
    // "hello" is a fine $remote_addr; it is the literal " - " that fails.
    assert_eq!(
        f.explain(b"hello"),
        r#"expected " - " after $remote_addr at byte 5"#
    );
}

#[test]
fn detection_picks_the_richest_format_that_fits() {
    let pick = |lines: &[&str]| {
        let v: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        detect::detect(&v, &[]).map(|d| (d.format.name().to_string(), d.matched, d.sampled))
    };
    let rt = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 0.005"#;
    let comb = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua""#;
    let d = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 5000"#;
    let common = r#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 5"#;
    let dashed = "10.0.0.1-[10/Mar/2024:00:00:00 +0000]-GET /a-b HTTP/1.1-200-0.006";
    let json = r#"{"request":"GET / HTTP/1.1","status":200,"request_time":0.001}"#;
    assert_eq!(
        pick(&[rt, rt, "garbage"]),
        Some(("combined_rt".into(), 2, 3))
    );
    assert_eq!(pick(&[comb, "", comb]), Some(("combined".into(), 2, 2)));
    assert_eq!(pick(&[d]), Some(("combined_D".into(), 1, 1)));
    assert_eq!(pick(&[common]), Some(("common".into(), 1, 1)));
    assert_eq!(pick(&[json]), Some(("json (nginx)".into(), 1, 1)));
    assert_eq!(
        pick(&[dashed]).map(|p| p.0),
        Some("nginx '$remote_addr-[$time_local]-$request-$status-$request_time'".into())
    );
    assert_eq!(pick(&["nothing", "fits"]), None);
    assert_eq!(pick(&[]), None);
}

/// When held lines can decide, and what they decide: one rule for both
/// modes.
#[test]
fn detection_waits_until_the_sample_can_decide() {
    use detect::{DETECT_BYTES, SAMPLE_LINES, Verdict};
    let lines = |n: usize, line: &str| line.repeat(n).into_bytes();
    let junk = "nothing fits this\n";
    // Too few lines: wait, unless no more will come.
    assert!(!detect::ready(&lines(SAMPLE_LINES - 1, junk)));
    assert!(matches!(
        detect::detect_start(&lines(3, junk), &[], false),
        Verdict::Wait
    ));
    assert!(matches!(
        detect::detect_start(&lines(3, junk), &[], true),
        Verdict::Unknown {
            sampled: 3,
            used: 54
        }
    ));
    // A full sample decides.
    assert!(detect::ready(&lines(SAMPLE_LINES, junk)));
    assert!(matches!(
        detect::detect_start(&lines(SAMPLE_LINES, junk), &[], false),
        Verdict::Unknown { sampled: SAMPLE_LINES, used } if used == SAMPLE_LINES * junk.len()
    ));
    // Only the sample's lines are used up: the lines after it are tried on
    // their own, also when no more will come.
    let mut more = lines(SAMPLE_LINES + 10, junk);
    more.extend_from_slice(b"partial");
    for last in [false, true] {
        assert!(matches!(
            detect::detect_start(&more, &[], last),
            Verdict::Unknown { used, .. } if used == SAMPLE_LINES * junk.len()
        ));
    }
    assert!(matches!(
        detect::detect_start(&more[SAMPLE_LINES * junk.len()..], &[], true),
        Verdict::Unknown {
            sampled: 10,
            used: 187
        }
    ));
    // Blank lines are not sampled: they do not fill the sample, but a full
    // window (no later line can enter the sample) decides.
    let mut blanks = lines(SAMPLE_LINES, "\n");
    assert!(!detect::ready(&blanks));
    blanks = lines(SAMPLE_LINES * 4 - 1, "\n");
    assert!(!detect::ready(&blanks));
    blanks.extend_from_slice(junk.as_bytes());
    assert!(detect::ready(&blanks));
    // So does a big enough hold, and a partial last line does not count.
    assert!(detect::ready(&vec![b'x'; DETECT_BYTES]));
    let mut partial = lines(SAMPLE_LINES - 1, junk);
    partial.extend_from_slice(b"no newline yet");
    assert!(!detect::ready(&partial));
    // A line that fits is found at once, from any number of lines.
    let rt =
        "1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"ua\" 0.005\n";
    match detect::detect_start(&lines(1, rt), &[], false) {
        Verdict::Found(d) => assert_eq!(
            (d.format.name(), d.matched, d.sampled),
            ("combined_rt", 1, 1)
        ),
        v => panic!("{v:?}"),
    }
}

#[test]
fn invalid_utf8_in_fields_is_still_a_request() {
    let f = compile("combined");
    let mut l = br#"1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] "GET /caf"#.to_vec();
    l.extend_from_slice(&[0xE9, 0xFF]);
    l.extend_from_slice(br#" HTTP/1.1" 200 5 "-" "ua""#);
    let mut s = Scratch::default();
    let r = f.parse(&l, &mut s).unwrap();
    assert_eq!(r.target, b"/caf\xE9\xFF");
}

/// The last timestamp's value is reused only for the same text: a change
/// in any byte, at every length the cache keeps, is parsed afresh.
#[test]
fn time_cache_reuses_only_the_same_text() {
    let mut tc = super::TimeCache::default();
    for n in [1, 15, 16, 17, 26, 31, 32] {
        let base: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
        assert_eq!(tc.get(&base, |_| Some(n)), Some(n));
        assert_eq!(tc.get(&base, |_| panic!("cached")), Some(n));
        for i in 0..n as usize {
            let mut other = base.clone();
            other[i] ^= 1;
            assert_eq!(
                tc.get(&other, |_| Some(-1)),
                Some(-1),
                "{n} bytes, byte {i}"
            );
            assert_eq!(tc.get(&base, |_| Some(n)), Some(n));
        }
    }
    // Longer than the cache: always parsed.
    let long = [b'x'; 40];
    assert_eq!(tc.get(&long, |_| Some(1)), Some(1));
    assert_eq!(tc.get(&long, |_| Some(2)), Some(2));
}

/// The combined-family start matched by straight-line code gives what the
/// generic matcher gives (`template/combined.rs`).
mod combined_start {
    use crate::format::scan::{Marks, Plain};
    use crate::format::{Format, FormatSpec, Scratch};

    fn template(spec: &str) -> Format {
        Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap()
    }

    /// Parses `line` with and without the straight-line start; both must
    /// give the same record or the same error.
    fn agree(f: &Format, line: &[u8]) {
        let t = f.template().expect("a template");
        let mut s = Scratch::default();
        let fast = t.parse(line, &mut s.time, Plain);
        let (has_fast, generic) = t.generic_parse(line, &mut Scratch::default().time);
        assert!(has_fast, "{} is not recognised", f.name());
        assert_eq!(
            fast,
            generic,
            "{}: {:?}",
            f.name(),
            String::from_utf8_lossy(line)
        );
        // And through a block's index, the line at varying offsets from
        // the 64-byte words.
        let mut block = vec![b'x'; line.len() % 61];
        block.push(b'\n');
        let start = block.len();
        block.extend_from_slice(line);
        block.extend_from_slice(b"\n\"x\\ \n");
        let mut m = Marks::default();
        m.index(&block);
        let marked = t.parse(line, &mut Scratch::default().time, m.at(start));
        assert_eq!(
            fast,
            marked,
            "{}: {:?}",
            f.name(),
            String::from_utf8_lossy(line)
        );
    }

    const FAMILY: [&str; 10] = [
        "combined",
        // Linear only since their lists end at a separator-less space and
        // the upstream names are a class of their own (issue 18).
        "traefik_clf",
        "ingress_nginx",
        "common",
        "combined_rt",
        "combined_upstream",
        "main",
        "combined_D",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#,
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time uct="$upstream_connect_time""#,
    ];

    #[test]
    fn recognised_only_where_the_start_is_the_same() {
        for spec in FAMILY {
            let f = template(spec);
            let t = f.template().expect("a template");
            assert!(t.generic_parse(b"", &mut Default::default()).0, "{spec}");
        }
        for spec in [
            "vcombined",
            r#"$remote_addr-[$time_local]-$request-$status-$request_time"#,
            r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent"#,
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $request_time"#,
            r#"$remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent"#,
            r#"$host - $remote_user [$time_local] "$request_uri" $status $body_bytes_sent"#,
        ] {
            let f = template(spec);
            let t = f.template().expect("a template");
            assert!(!t.generic_parse(b"", &mut Default::default()).0, "{spec}");
        }
    }

    /// Every line of every sample log, and every prefix, emptied part and
    /// one-byte change of a few good lines, parse the same both ways under every format of
    /// the family.
    #[test]
    fn same_result_as_the_generic_matcher() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            lines.extend(data.split(|&c| c == b'\n').map(<[u8]>::to_vec));
        }
        let good = [
            &br#"1.2.3.4 - bob [10/Mar/2024:00:00:01 +0000] "GET /a/1?x=\"y\" HTTP/1.1" 200 12 "http://r/" "Mozilla \"q\" 5.0" 0.004 0.003"#[..],
            br#"::1 - - [10/Mar/2024:00:00:01 +0000] "POST /api HTTP/2.0" 503 - "-" "-" 12.500"#,
            br#"h l u [10/Mar/2024:00:00:01 +0000] "GET / HTTP/1.0" 404 0 "" "" 1234"#,
            br#"1.2.3.4 - - [10/Mar/2024:00:00:01 +0000] "GET /x HTTP/1.1" 200 5"#,
            // Odd values: statuses that are not three digits, timers the
            // policy drops, a byte count past u64.
            br#"1.2.3.4 - - [10/Mar/2024:00:00:01 +0000] "GET /x HTTP/1.1" 2x0 5 "-" "-" nan"#,
            br#"1.2.3.4 - - [10/Mar/2024:00:00:01 +0000] "GET /x HTTP/1.1" 20 18446744073709551616 "-" "-" -0.5e3"#,
            // ingress-nginx's `upstreaminfo`: one upstream, then several
            // tried and redirected, and none.
            br#"10.244.0.1 - - [10/Mar/2024:00:00:00 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 512 "-" "curl/8.0" 92 0.012 [default-api-80] [] 10.244.0.7:8080 512 0.011 200 4f3c2a1b9e8d7c6b"#,
            br#"10.244.0.1 - - [10/Mar/2024:00:00:00 +0000] "POST /pay HTTP/2.0" 502 150 "-" "ua" 300 0.010 [default-pay-80] [c-80] 10.0.0.8:80, 10.0.0.9:80 : 10.0.0.10:80 0, 0 : 150 0.004, 0.002 : 0.001 502, 502 : 200 abc"#,
            br#"10.244.0.1 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 404 548 "-" "ua" 75 0.000 [upstream-default-backend] [] - - - - def"#,
        ];
        for g in good {
            for n in 0..=g.len() {
                lines.push(g[..n].to_vec());
            }
            // Each space-separated part emptied (an empty status, bytes, …).
            let parts: Vec<&[u8]> = g.split(|&c| c == b' ').collect();
            for i in 0..parts.len() {
                let mut p = parts.clone();
                p[i] = b"";
                lines.push(p.join(&b' '));
            }
            for i in 0..g.len() {
                for b in [
                    b' ', b'"', b'\\', b'-', b'[', b']', b'x', b'0', b'n', b'.', 0xff,
                ] {
                    let mut l = g.to_vec();
                    l[i] = b;
                    lines.push(l);
                }
            }
        }
        let mut parsed = 0;
        for spec in FAMILY {
            let f = template(spec);
            for l in &lines {
                agree(&f, l);
                parsed += f.parse(l, &mut Scratch::default()).is_ok() as usize;
            }
        }
        // The cases exercise both outcomes.
        assert!(parsed > 10_000, "{parsed}");
        assert!(parsed < FAMILY.len() * lines.len() / 2, "{parsed}");
    }
}

/// Which formats give each response's size (`Format::has_bytes`): the
/// views show bytes as unknown without one, not as 0.
#[test]
fn formats_say_whether_they_log_a_size() {
    // Every preset logs one.
    let presets = PRESETS
        .iter()
        .map(|p| p.0)
        .chain(crate::format::w3c::Flavour::PRESETS.iter().map(|p| p.0));
    assert!(presets.clone().count() >= 17);
    for spec in presets.chain([
        "json",
        "regex:^(?P<method>\\S+) (?P<path>\\S+) (?P<status>\\d+) (?P<bytes>\\d+)$",
        "$remote_addr [$time_local] \"$request\" $status $body_bytes_sent",
        "%h %t \"%r\" %>s %B",
    ]) {
        assert!(compile(spec).has_bytes(), "{spec}");
    }
    for spec in [
        "$remote_addr-[$time_local]-$request-$status-$request_time",
        "%h %t \"%r\" %>s %D",
        "regex:^(?P<method>\\S+) (?P<path>\\S+) (?P<status>\\d+)$",
        // `$bytes_sent` counts the headers too: read, not as the size.
        "$remote_addr [$time_local] \"$request\" $status $bytes_sent",
    ] {
        assert!(!compile(spec).has_bytes(), "{spec}");
    }
    // W3C: as its `#Fields:` header says.
    let w3c = compile("w3c");
    let header = |h: &str| match w3c.header(h.as_bytes()) {
        Some(Header::Fields(f)) => f,
        _ => panic!("{h} is a fields header"),
    };
    let with = header("#Fields: date time cs-method cs-uri-stem sc-status sc-bytes time-taken");
    assert!(with.has_bytes());
    let without = header("#Fields: date time cs-method cs-uri-stem sc-status time-taken");
    assert!(!without.has_bytes());
}

/// `nginx:` and `apache:` name a format string's kind, as `regex:` does:
/// they were read as literal text at the start of every line, so every
/// line failed. With them, a string parses as it does without.
#[test]
fn nginx_and_apache_prefixes_name_the_kind() {
    let line = r#"10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] "GET /a HTTP/1.1" 200 512 12"#;
    for (with, without) in [
        (
            r#"apache:%h %l %u %t "%r" %>s %b %{ms}T"#,
            r#"%h %l %u %t "%r" %>s %b %{ms}T"#,
        ),
        (
            r#"apache: %h %l %u %t "%r" %>s %b %{ms}T"#,
            r#"%h %l %u %t "%r" %>s %b %{ms}T"#,
        ),
        (
            r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time"#,
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time"#,
        ),
    ] {
        let (a, b) = (compile(with), compile(without));
        let got = parse(&a, line).unwrap_or_else(|e| panic!("{with}: {e:?}"));
        assert_eq!(got, parse(&b, line).unwrap(), "{with}");
        assert_eq!(got.status, 200);
    }
    assert!(
        matches!(FormatSpec::parse("apache:%h %>s %r"), Ok(FormatSpec::Apache(s)) if s == "%h %>s %r")
    );
    assert!(
        matches!(FormatSpec::parse("nginx:$status $request"), Ok(FormatSpec::Nginx(s)) if s == "$status $request")
    );
}
