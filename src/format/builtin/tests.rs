//! The line-local presets of load balancers, proxies and S3: lines taken
//! from each format's own documentation (cited), then the edge cases (`-1`,
//! `-`, missing fields, IPv6 clients, quotes inside fields) and detection.

use crate::format::detect::detect;
use crate::format::scan::{Marks, Plain};
use crate::format::{ErrorKind, Format, FormatSpec, Scratch};

/// What a line parsed into, as owned values, to compare whole.
#[derive(Debug, PartialEq, Eq)]
struct Got {
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

#[allow(clippy::too_many_arguments)]
fn got(
    method: &str,
    target: &str,
    status: u16,
    bytes: u64,
    latency_us: Option<u64>,
    upstream_us: Option<u64>,
    time: Option<i64>,
) -> Got {
    Got {
        method: method.into(),
        target: target.into(),
        status,
        bytes: Some(bytes),
        latency_us,
        upstream_us,
        time,
        bad_timer: false,
        bad_time: false,
    }
}

fn preset(name: &str) -> Format {
    Format::compile(&FormatSpec::parse(name).unwrap(), &[]).unwrap()
}

/// Parses `line` with the preset `name`, through the plain scan and
/// through a block's index, which must agree.
fn parse(name: &str, line: &str) -> Result<Got, ErrorKind> {
    let f = preset(name);
    let mut s = Scratch::default();
    let plain = f.parse_scan(line.as_bytes(), &mut s, Plain).map(|r| Got {
        method: String::from_utf8_lossy(r.method).into(),
        target: String::from_utf8_lossy(r.target).into(),
        status: r.status,
        bytes: r.bytes,
        latency_us: r.latency_us,
        upstream_us: r.upstream_us,
        time: r.time,
        bad_timer: r.bad_timer(),
        bad_time: r.bad_time(),
    });
    let mut m = Marks::default();
    m.index(line.as_bytes());
    let mut s2 = Scratch::default();
    let indexed = f
        .parse_scan(line.as_bytes(), &mut s2, m.at(0))
        .map(|r| (r.method, r.target, r.status, r.latency_us));
    assert_eq!(
        plain
            .as_ref()
            .map(|g| (
                g.method.as_bytes(),
                g.target.as_bytes(),
                g.status,
                g.latency_us
            ))
            .map_err(|e| *e),
        indexed,
        "{line}"
    );
    plain
}

/// 2018-07-02T22:23:00.186641Z
const ALB_T: i64 = 1_530_570_180;

/// The first example of "Example log entries" in the ALB user guide
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html).
const ALB_DOC_HTTP: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;

/// The same guide's HTTPS and HTTP/2 examples.
const ALB_DOC_HTTPS: &str = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
const ALB_DOC_H2: &str = r#"h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-""#;

#[test]
fn alb_lines_from_the_aws_documentation() {
    assert_eq!(
        parse("alb", ALB_DOC_HTTP),
        Ok(got(
            "GET",
            "http://www.example.com:80/",
            200,
            366,
            Some(1_000),
            Some(1_000),
            Some(ALB_T)
        ))
    );
    assert_eq!(
        parse("alb", ALB_DOC_HTTPS),
        Ok(got(
            "GET",
            "https://www.example.com:443/",
            200,
            57,
            Some(171_000),
            Some(48_000),
            Some(ALB_T)
        ))
    );
    assert_eq!(
        parse("alb", ALB_DOC_H2),
        Ok(got(
            "GET",
            "https://10.0.2.105:773/",
            200,
            257,
            Some(2_000),
            Some(2_000),
            Some(ALB_T)
        ))
    );
}

/// `-1` in any processing time: the load balancer had no response (the
/// target or the client went away). The request counts with the ELB's
/// status, untimed; the target status `-` is not looked at.
#[test]
fn alb_minus_one_time_counts_the_request_untimed() {
    for times in ["-1 -1 -1", "0.001 -1 -1", "-1 0.002 0.000"] {
        let line = format!(
            r#"https 2018-07-02T22:23:00.186641Z app/lb/50dc 192.168.131.39:2817 - {times} 502 - 34 0 "POST https://api.example.com:443/v1/orders?x=1 HTTP/1.1" "ua" - -"#
        );
        assert_eq!(
            parse("alb", &line),
            Ok(got(
                "POST",
                "https://api.example.com:443/v1/orders?x=1",
                502,
                0,
                None,
                None,
                Some(ALB_T)
            )),
            "{times}"
        );
    }
}

#[test]
fn alb_edge_cases() {
    let base = |ty: &str, time: &str, tail: &str| {
        format!(r#"{ty} {time} app/lb/1 [2001:db8::1]:443 10.0.0.1:80 0.000 0.010 0.000 {tail}"#)
    };
    let t = "2018-07-02T22:23:00.186641Z";
    // Every request type; an IPv6 client; quotes inside the user agent.
    for ty in ["http", "https", "h2", "grpcs", "ws", "wss"] {
        let line = base(ty, t, r#"200 200 1 2 "GET http://h/ HTTP/1.1" "a \"q\" b""#);
        assert_eq!(
            parse("alb", &line),
            Ok(got(
                "GET",
                "http://h/",
                200,
                2,
                Some(10_000),
                Some(10_000),
                Some(ALB_T)
            )),
            "{ty}"
        );
    }
    // Not a request type, or no timestamp: not an ALB line.
    let tail = r#"200 200 1 2 "GET / HTTP/1.1" "ua""#;
    assert_eq!(parse("alb", &base("tcp", t, tail)), Err(ErrorKind::NoMatch));
    assert_eq!(
        parse("alb", &base("http", "x", tail)),
        Err(ErrorKind::NoMatch)
    );
    // Cut short before the request: does not fit.
    assert_eq!(
        parse("alb", &base("http", t, "200 200 1 2")),
        Err(ErrorKind::NoMatch)
    );
    // A timestamp that starts like one but is not: counted, time ignored.
    let mut g = got("GET", "/", 200, 2, Some(10_000), Some(10_000), None);
    g.bad_time = true;
    assert_eq!(
        parse("alb", &base("http", "2018-99-02T22:23:00Z", tail)),
        Ok(g)
    );
    // An impossible status or byte count is a bad value.
    for tail in [
        r#"20 200 1 2 "GET / HTTP/1.1" "ua""#,
        r#"- 200 1 2 "GET / HTTP/1.1" "ua""#,
        r#"200 200 1 x "GET / HTTP/1.1" "ua""#,
    ] {
        assert_eq!(
            parse("alb", &base("http", t, tail)),
            Err(ErrorKind::BadValue),
            "{tail}"
        );
    }
    // A timer that is not a duration drops the timers, not the request.
    let line = r#"http 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:5 - 0.000 nan 0.000 200 200 1 2 "GET / HTTP/1.1" "ua""#;
    let mut g = got("GET", "/", 200, 2, None, None, Some(ALB_T));
    g.bad_timer = true;
    assert_eq!(parse("alb", line), Ok(g));
}

/// The "Example" HTTP entry of the Classic Load Balancer guide
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html).
const ELB_DOC_HTTP: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
/// Its HTTPS entry.
const ELB_DOC_HTTPS: &str = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#;
/// 2015-05-13T23:39:43Z
const ELB_T: i64 = 1_431_560_383;

#[test]
fn elb_lines_from_the_aws_documentation() {
    assert_eq!(
        parse("elb", ELB_DOC_HTTP),
        Ok(got(
            "GET",
            "http://www.example.com:80/",
            200,
            29,
            Some(73 + 1_048 + 57),
            Some(1_048),
            Some(ELB_T)
        ))
    );
    assert_eq!(
        parse("elb", ELB_DOC_HTTPS),
        Ok(got(
            "GET",
            "https://www.example.com:443/",
            200,
            57,
            Some(86 + 1_048 + 1_337),
            Some(1_048),
            Some(ELB_T)
        ))
    );
}

#[test]
fn elb_edge_cases() {
    // No backend (`-`), `-1` times (the backend closed the connection),
    // backend status `-`: counted, untimed, with the ELB's 504.
    let line = r#"2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 - -1 -1 -1 504 0 0 0 "GET http://www.example.com:80/slow HTTP/1.1" "curl/7.38.0" - -"#;
    assert_eq!(
        parse("elb", line),
        Ok(got(
            "GET",
            "http://www.example.com:80/slow",
            504,
            0,
            None,
            None,
            Some(ELB_T)
        ))
    );
    // The line must start with a timestamp: an ALB line is not ELB's.
    assert_eq!(parse("elb", ALB_DOC_HTTP), Err(ErrorKind::NoMatch));
    assert_eq!(parse("alb", ELB_DOC_HTTP), Err(ErrorKind::NoMatch));
    // A TCP listener's entry has no HTTP status: a bad value.
    let tcp = r#"2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#;
    assert_eq!(parse("elb", tcp), Err(ErrorKind::BadValue));
}

/// The first record of the example log in "Amazon S3 server access log
/// format" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html).
const S3_DOC: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes"#;
/// 06/Feb/2019:00:00:38 +0000
const S3_T: i64 = 1_549_411_238;

#[test]
fn s3_line_from_the_aws_documentation() {
    // total_time 7 ms; turn-around `-`: no upstream time.
    assert_eq!(
        parse("s3", S3_DOC),
        Ok(got(
            "GET",
            "/DOC-EXAMPLE-BUCKET1?versioning",
            200,
            113,
            Some(7_000),
            None,
            Some(S3_T)
        ))
    );
}

#[test]
fn s3_edge_cases() {
    let line = |op: &str, uri: &str, status: &str, sent: &str, total: &str, turn: &str| {
        format!(
            r#"owner bkt [06/Feb/2019:00:00:38 +0000] 2001:db8::7 - 3E57427F3EXAMPLE {op} photos/a%20b.jpg "{uri}" {status} - {sent} 5000 {total} {turn} "-" "aws-cli/2 \"x\"" -"#
        )
    };
    // A GET of an object: both times, bytes sent.
    assert_eq!(
        parse(
            "s3",
            &line(
                "REST.GET.OBJECT",
                "GET /bkt/photos/a%20b.jpg HTTP/1.1",
                "200",
                "5000",
                "24",
                "20"
            )
        ),
        Ok(got(
            "GET",
            "/bkt/photos/a%20b.jpg",
            200,
            5000,
            Some(24_000),
            Some(20_000),
            Some(S3_T)
        ))
    );
    // `-` bytes sent is zero; `-` times untimed.
    assert_eq!(
        parse(
            "s3",
            &line(
                "REST.HEAD.OBJECT",
                "HEAD /bkt/x HTTP/1.1",
                "404",
                "-",
                "-",
                "-"
            )
        ),
        Ok(got("HEAD", "/bkt/x", 404, 0, None, None, Some(S3_T)))
    );
    // A lifecycle operation has no HTTP status: a bad value.
    assert_eq!(
        parse("s3", &line("S3.EXPIRE.OBJECT", "-", "-", "-", "-", "-")),
        Err(ErrorKind::BadValue)
    );
    // The operation word is what makes it S3's.
    assert_eq!(
        parse("s3", &line("get", "GET /a HTTP/1.1", "200", "1", "1", "1")),
        Err(ErrorKind::NoMatch)
    );
}

/// The example of "8.2.3. HTTP log format" in the HAProxy configuration
/// manual (https://docs.haproxy.org/2.8/configuration.html#8.2.3), with
/// its syslog header, on one line.
const HAPROXY_DOC: &str = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
/// 06/Feb/2009:12:14:14 (HAProxy's local time, read as UTC).
const HAPROXY_T: i64 = 1_233_922_454;

#[test]
fn haproxy_line_from_the_haproxy_manual() {
    let want = got(
        "GET",
        "/index.html",
        200,
        2750,
        Some(109_000),
        Some(69_000),
        Some(HAPROXY_T),
    );
    assert_eq!(parse("haproxy", HAPROXY_DOC), Ok(want));
    // Without the syslog header, and with a shipper's prefix instead.
    let bare = &HAPROXY_DOC[HAPROXY_DOC.find("10.0.1.2").unwrap()..];
    assert_eq!(
        parse("haproxy", bare),
        parse("haproxy", HAPROXY_DOC),
        "{bare}"
    );
    let shipped = format!("haproxy-1  | {bare}");
    assert_eq!(parse("haproxy", &shipped), parse("haproxy", HAPROXY_DOC));
}

/// Detection used to keep HAProxy's syslog header by comparing the
/// winner's name with "haproxy"; it is now the format's own property, so a
/// renamed or new format that reads its header keeps it the same way.
#[test]
fn haproxy_syslog_header_is_read_not_stripped() {
    let presets = ["alb", "elb", "s3", "haproxy", "envoy", "combined", "common"];
    let reading: Vec<&str> = presets
        .into_iter()
        .filter(|n| {
            Format::compile(&FormatSpec::parse(n).unwrap(), &[])
                .unwrap()
                .reads_syslog_header()
        })
        .collect();
    assert_eq!(reading, ["haproxy"]);
    let d = detect(&[HAPROXY_DOC.as_bytes()], &[]).unwrap();
    assert_eq!((d.format.name(), d.matched), ("haproxy", 1));
}

#[test]
fn haproxy_aborted_bad_requests_and_captures() {
    let line = |timers: &str, status: &str, bytes: &str, caps: &str, req: &str| {
        format!(
            r#"[2001:db8::1]:33317 [06/Feb/2009:12:14:14.655] fe~ be/<NOSRV> {timers} {status} {bytes} - - CR-- 1/1/0/0/0 0/0 {caps}{req}"#
        )
    };
    // `-1` timers: aborted before that point, untimed.
    assert_eq!(
        parse(
            "haproxy",
            &line("5/-1/-1/-1/5", "503", "212", "", r#""GET /x HTTP/1.1""#)
        ),
        Ok(got(
            "GET",
            "/x",
            503,
            212,
            Some(5_000),
            None,
            Some(HAPROXY_T)
        ))
    );
    assert_eq!(
        parse(
            "haproxy",
            &line("-1/-1/-1/-1/0", "-1", "0", "", r#""GET /y HTTP/1.1""#)
        ),
        Ok(got("GET", "/y", 0, 0, Some(0), None, Some(HAPROXY_T)))
    );
    // `<BADREQ>`: counted, no method, the `(invalid)` route.
    assert_eq!(
        parse(
            "haproxy",
            &line("-1/-1/-1/-1/3", "400", "187", "", r#""<BADREQ>""#)
        ),
        Ok(got("", "", 400, 187, Some(3_000), None, Some(HAPROXY_T)))
    );
    // Captured headers with spaces and quotes; logasap `+` values.
    assert_eq!(
        parse(
            "haproxy",
            &line(
                "0/0/1/2/+3",
                "200",
                "+42",
                r#"{a b|"c"} {text/html; x} "#,
                r#""POST /api?q=a%20b HTTP/1.1""#
            )
        ),
        Ok(got(
            "POST",
            "/api?q=a%20b",
            200,
            42,
            Some(3_000),
            Some(2_000),
            Some(HAPROXY_T)
        ))
    );
    // A request HAProxy cut short has no closing quote.
    assert_eq!(
        parse(
            "haproxy",
            &line("0/0/1/2/3", "200", "1", "", r#""GET /long"#)
        ),
        Ok(got(
            "GET",
            "/long",
            200,
            1,
            Some(3_000),
            Some(2_000),
            Some(HAPROXY_T)
        ))
    );
    // tcplog (three timers, no request) and four timers are not httplog.
    assert_eq!(
        parse(
            "haproxy",
            &line("0/0/5", "200", "1", "", r#""GET / HTTP/1.1""#)
        ),
        Err(ErrorKind::NoMatch)
    );
    assert_eq!(
        parse(
            "haproxy",
            &line("0/0/1/5", "200", "1", "", r#""GET / HTTP/1.1""#)
        ),
        Err(ErrorKind::NoMatch)
    );
    assert_eq!(
        parse(
            "haproxy",
            &line("0/0/1/2/3", "20x", "1", "", r#""GET / HTTP/1.1""#)
        ),
        Err(ErrorKind::BadValue)
    );
}

/// The example of the default format in Envoy's access-log documentation
/// (https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string).
const ENVOY_DOC: &str = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;
/// 2016-04-15T20:17:00Z
const ENVOY_T: i64 = 1_460_751_420;
/// Istio's default text format, from "Envoy Access Logs" in the Istio
/// docs (https://istio.io/latest/docs/tasks/observability/logs/access-log/).
const ISTIO_DOC: &str = r#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#;
/// 2020-11-25T21:26:18Z
const ISTIO_T: i64 = 1_606_339_578;

#[test]
fn envoy_and_istio_lines_from_their_documentation() {
    assert_eq!(
        parse("envoy", ENVOY_DOC),
        Ok(got(
            "POST",
            "/api/v1/locations",
            204,
            0,
            Some(226_000),
            Some(100_000),
            Some(ENVOY_T)
        ))
    );
    assert_eq!(
        parse("envoy", ISTIO_DOC),
        Ok(got(
            "GET",
            "/status/418",
            418,
            135,
            Some(4_000),
            Some(4_000),
            Some(ISTIO_T)
        ))
    );
}

#[test]
fn envoy_edge_cases() {
    // No upstream (`-` service time), response code 0 (none sent), flags.
    let line = r#"[2016-04-15T20:17:00.310Z] "GET /a HTTP/1.1" 0 DC 0 0 12 - "-" "ua \"q\"" "id" "host" "-""#;
    assert_eq!(
        parse("envoy", line),
        Ok(got("GET", "/a", 0, 0, Some(12_000), None, Some(ENVOY_T)))
    );
    // A TCP proxy's line has no request: counted as `(invalid)`.
    let tcp =
        r#"[2016-04-15T20:17:00.310Z] "- - -" 0 - 10 20 30 - "-" "-" "-" "-" "10.0.0.1:5432""#;
    assert_eq!(
        parse("envoy", tcp),
        Ok(got("", "", 0, 20, Some(30_000), None, Some(ENVOY_T)))
    );
    // Cut short before the quoted fields: not Envoy's.
    let short = r#"[2016-04-15T20:17:00.310Z] "GET /a HTTP/1.1" 200 - 0 0 12 3"#;
    assert_eq!(parse("envoy", short), Err(ErrorKind::NoMatch));
    let bad = r#"[2016-04-15T20:17:00.310Z] "GET /a HTTP/1.1" 2000 - 0 0 12 3 "-""#;
    assert_eq!(parse("envoy", bad), Err(ErrorKind::BadValue));
}

/// Traefik's CLF line as its documentation describes it
/// (https://doc.traefik.io/traefik/observability/access-logs/#clf-common-log-format).
const TRAEFIK_CLF: &str = r#"192.168.1.12 - - [10/Mar/2024:00:00:00 +0000] "GET /api/users/42 HTTP/1.1" 200 1024 "-" "Mozilla/5.0" 17 "api-router@docker" "http://172.17.0.3:8080" 5ms"#;
const T0: i64 = 1_710_028_800;

#[test]
fn traefik_clf_reads_the_duration_in_ms() {
    assert_eq!(
        parse("traefik_clf", TRAEFIK_CLF),
        Ok(got(
            "GET",
            "/api/users/42",
            200,
            1024,
            Some(5_000),
            None,
            Some(T0)
        ))
    );
    // `-` router and backend (no router matched: a 404 from Traefik).
    let no_router = r#"10.0.0.9 - - [10/Mar/2024:00:00:00 +0000] "GET /nope HTTP/1.1" 404 19 "-" "-" 18 "-" "-" 0ms"#;
    assert_eq!(
        parse("traefik_clf", no_router),
        Ok(got("GET", "/nope", 404, 19, Some(0), None, Some(T0)))
    );
}

/// A line of ingress-nginx's `upstreaminfo` format
/// (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/).
#[test]
fn ingress_nginx_upstreaminfo_with_one_and_several_upstreams() {
    let one = r#"10.244.0.1 - - [10/Mar/2024:00:00:00 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 512 "-" "curl/8.0" 92 0.012 [default-api-80] [] 10.244.0.7:8080 512 0.011 200 4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a88"#;
    assert_eq!(
        parse("ingress_nginx", one),
        Ok(got(
            "GET",
            "/api/v1/items?page=2",
            200,
            512,
            Some(12_000),
            Some(11_000),
            Some(T0)
        ))
    );
    // Two upstreams tried (`, `) and an internal redirect (` : `): the
    // upstream time is the sum; an alternative upstream name is kept out.
    let several = r#"10.244.0.1 - - [10/Mar/2024:00:00:00 +0000] "POST /pay HTTP/2.0" 502 150 "-" "ua" 300 0.010 [default-pay-80] [default-pay-canary-80] 10.244.0.8:8080, 10.244.0.9:8080 : 10.244.0.10:8080 0, 0 : 150 0.004, 0.002 : 0.001 502, 502 : 200 abc"#;
    assert_eq!(
        parse("ingress_nginx", several),
        Ok(got(
            "POST",
            "/pay",
            502,
            150,
            Some(10_000),
            Some(7_000),
            Some(T0)
        ))
    );
    // No upstream (a 404 served by the controller itself).
    let none = r#"10.244.0.1 - - [10/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 404 548 "-" "ua" 75 0.000 [upstream-default-backend] [] - - - - def"#;
    assert_eq!(
        parse("ingress_nginx", none),
        Ok(got("GET", "/", 404, 548, Some(0), None, Some(T0)))
    );
}

/// Each documented line is detected as its own format and as no other:
/// every preset that parses it is named here.
#[test]
fn documentation_lines_are_detected_as_their_own_format() {
    let cases: [(&str, &str); 10] = [
        (ALB_DOC_HTTP, "alb"),
        (ALB_DOC_HTTPS, "alb"),
        (ALB_DOC_H2, "alb"),
        (ELB_DOC_HTTP, "elb"),
        (ELB_DOC_HTTPS, "elb"),
        (S3_DOC, "s3"),
        (HAPROXY_DOC, "haproxy"),
        (ENVOY_DOC, "envoy"),
        (ISTIO_DOC, "envoy"),
        (TRAEFIK_CLF, "traefik_clf"),
    ];
    for (line, want) in cases {
        let d = detect(&[line.as_bytes()], &[]).expect("detected");
        assert_eq!(d.format.name(), want, "{line}");
        let fits: Vec<&str> = crate::format::PRESETS
            .iter()
            .map(|p| p.0)
            .filter(|n| {
                let mut s = Scratch::default();
                preset(n).parse(line.as_bytes(), &mut s).is_ok()
            })
            .collect();
        assert_eq!(fits, [want], "{line}");
    }
}

/// `--once` builds a block's structural index only for the formats that
/// read it (benches/formats.rs `via index`: building it cost most
/// hand-written parsers and JSON more than it saved them; Envoy's seven
/// quoted fields are found there for less than the plain scan's).
#[test]
fn block_index_is_built_only_for_formats_that_read_it() {
    let reads = |spec: &str| {
        Format::compile(&FormatSpec::parse(spec).unwrap(), &[])
            .unwrap()
            .reads_block_index()
    };
    for spec in [
        "alb",
        "elb",
        "s3",
        "haproxy",
        "json",
        "regex:^(?P<path>\\S+) (?P<status>\\d{3})$",
    ] {
        assert!(!reads(spec), "{spec}");
    }
    for spec in [
        "combined",
        "common",
        "traefik_clf",
        "ingress_nginx",
        "iis",
        "w3c",
        "envoy",
    ] {
        assert!(reads(spec), "{spec}");
    }
}

/// `(host, backend)` of `line` under the preset `name`, through the plain
/// scan and through a block's index, which must agree.
fn host_backend(name: &str, line: &str) -> (String, String) {
    let f = preset(name);
    let mut s = Scratch::default();
    let r = f
        .parse_scan(line.as_bytes(), &mut s, Plain)
        .unwrap_or_else(|e| panic!("{e}: {line}"));
    let plain = (
        String::from_utf8_lossy(r.host).into_owned(),
        String::from_utf8_lossy(r.backend).into_owned(),
    );
    let mut m = Marks::default();
    m.index(line.as_bytes());
    let mut s2 = Scratch::default();
    let r = f.parse_scan(line.as_bytes(), &mut s2, m.at(0)).unwrap();
    assert_eq!(
        (r.host, r.backend),
        (plain.0.as_bytes(), plain.1.as_bytes())
    );
    plain
}

fn hb(host: &str, backend: &str) -> (String, String) {
    (host.into(), backend.into())
}

/// ALB and ELB: the target is the backend (`-` when none was reached),
/// the host the request URL's, without its port: on plain HTTP too, where
/// ALB's `domain_name` (the TLS SNI) is `-`.
#[test]
fn alb_target_is_the_backend_and_the_request_urls_host_the_host() {
    assert_eq!(
        host_backend("alb", ALB_DOC_HTTP),
        hb("www.example.com", "10.0.0.1:80")
    );
    assert_eq!(
        host_backend("alb", ALB_DOC_HTTPS),
        hb("www.example.com", "10.0.0.1:80")
    );
    // The client asked for an address, not a name.
    assert_eq!(
        host_backend("alb", ALB_DOC_H2),
        hb("10.0.2.105", "10.0.0.66:9000")
    );
    // No target reached, and a line cut short after its user agent:
    // counted, with what it has.
    let short = r#"https 2018-07-02T22:23:00.186641Z app/lb/50dc 192.168.131.39:2817 - -1 -1 -1 502 - 34 0 "POST https://api.example.com:443/v1 HTTP/1.1" "ua" - -"#;
    assert_eq!(host_backend("alb", short), hb("api.example.com", ""));
    // A request line that is not an absolute URL names no host.
    let relative = short.replace("https://api.example.com:443/v1", "/v1");
    assert_eq!(host_backend("alb", &relative), hb("", ""));
    let dash = short.replace("https://api.example.com:443/v1", "http://-/v1");
    assert_eq!(host_backend("alb", &dash), hb("", ""));
}

#[test]
fn elb_backend_is_the_backend_address() {
    assert_eq!(
        host_backend("elb", ELB_DOC_HTTP),
        hb("www.example.com", "10.0.0.1:80")
    );
    assert_eq!(
        host_backend("elb", ELB_DOC_HTTPS),
        hb("www.example.com", "10.0.0.1:80")
    );
    let none = r#"2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 - -1 -1 -1 504 0 0 0 "GET http://www.example.com:80/slow HTTP/1.1" "curl/7.38.0" - -"#;
    assert_eq!(host_backend("elb", none), hb("www.example.com", ""));
}

#[test]
fn s3_bucket_is_the_host() {
    assert_eq!(host_backend("s3", S3_DOC), hb("DOC-EXAMPLE-BUCKET1", ""));
}

/// HAProxy: `backend/server` as logged; `<NOSRV>` (no server reached:
/// the request was refused or failed before) is none.
#[test]
fn haproxy_backend_is_backend_slash_server_and_nosrv_is_none() {
    assert_eq!(host_backend("haproxy", HAPROXY_DOC), hb("", "static/srv1"));
    let nosrv = r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] fe~ be/<NOSRV> -1/-1/-1/-1/0 503 212 - - SC-- 1/1/0/0/0 0/0 "GET /x HTTP/1.1""#;
    assert_eq!(host_backend("haproxy", nosrv), hb("", ""));
    // `-` is none, as in every format (the fuzz targets hold every format
    // to that).
    let dash = nosrv.replace("be/<NOSRV>", "-");
    assert_eq!(host_backend("haproxy", &dash), hb("", ""));
}

/// Envoy and Istio: `%REQ(:AUTHORITY)%` is the host, `%UPSTREAM_HOST%`
/// the backend.
#[test]
fn envoy_authority_is_the_host_and_upstream_host_the_backend() {
    assert_eq!(
        host_backend("envoy", ENVOY_DOC),
        hb("locations", "tcp://10.0.2.1:80")
    );
    assert_eq!(
        host_backend("envoy", ISTIO_DOC),
        hb("httpbin:8000", "10.44.1.27:80")
    );
    // No upstream (`-`), and a line cut short before the authority.
    let none = r#"[2016-04-15T20:17:00.310Z] "GET /a HTTP/1.1" 0 DC 0 0 12 - "-" "ua \"q\"" "id" "host" "-""#;
    assert_eq!(host_backend("envoy", none), hb("host", ""));
    let short = r#"[2016-04-15T20:17:00.310Z] "GET /a HTTP/1.1" 200 - 0 0 12 3 "-" "ua""#;
    assert_eq!(host_backend("envoy", short), hb("", ""));
}

/// Traefik CLF: the backend URL is the backend; the router is not.
#[test]
fn traefik_clf_backend_url_is_the_backend() {
    assert_eq!(
        host_backend("traefik_clf", TRAEFIK_CLF),
        hb("", "http://172.17.0.3:8080")
    );
    let no_router = r#"10.0.0.9 - - [10/Mar/2024:00:00:00 +0000] "GET /nope HTTP/1.1" 404 19 "-" "-" 18 "-" "-" 0ms"#;
    assert_eq!(host_backend("traefik_clf", no_router), hb("", ""));
}
