use super::*;

/// method, target, status, latency µs, bytes, time
type Parsed = (String, String, u16, Option<u64>, Option<u64>, Option<i64>);

fn parse(f: &JsonFormat, line: &str) -> Result<Parsed, ErrorKind> {
    let mut s = Scratch::default();
    let r = f.parse(line.as_bytes(), &mut s)?;
    Ok((
        String::from_utf8_lossy(r.method).into(),
        String::from_utf8_lossy(r.target).into(),
        r.status,
        r.latency_us,
        r.bytes,
        r.time,
    ))
}

#[test]
fn nginx_escape_json() {
    let f = JsonFormat::new(&[]).unwrap();
    let l = r#"{"remote_addr":"10.0.0.1","time_local":"10/Mar/2024:00:00:00 +0000","request":"GET /a\"b?x=\u00e9 HTTP/1.1","status":404,"body_bytes_sent":12,"request_time":0.120,"upstream_response_time":"0.050, 0.060"}"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        (
            "GET".into(),
            "/a\"b?x=é".into(),
            404,
            Some(120_000),
            Some(12),
            Some(1_710_028_800)
        )
    );
}

#[test]
fn caddy_nested_request() {
    let f = JsonFormat::new(&[]).unwrap();
    let l = r#"{"level":"info","ts":1710028800.52,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","proto":"HTTP/2.0","method":"POST","host":"x","uri":"/api/v1/users/7?q=1","headers":{"User-Agent":["curl/8"],"Accept":["*/*"]}},"bytes_read":0,"duration":0.000929675,"size":10900,"status":201,"resp_headers":{"Server":["Caddy"]}}"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        (
            "POST".into(),
            "/api/v1/users/7?q=1".into(),
            201,
            Some(930),
            Some(10900),
            Some(1_710_028_800)
        )
    );
}

#[test]
fn traefik_nanoseconds() {
    let f = JsonFormat::new(&[]).unwrap();
    let l = r#"{"ClientHost":"1.2.3.4","DownstreamContentSize":55,"DownstreamStatus":502,"Duration":123456789,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/x","StartUTC":"2024-03-10T00:00:00.1234Z","time":"2024-03-10T00:00:01Z"}"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        (
            "GET".into(),
            "/x".into(),
            502,
            Some(123_457),
            Some(55),
            Some(1_710_028_800)
        )
    );
}

#[test]
fn overrides_replace_defaults() {
    let o: Vec<FieldOverride> = vec![
        "status=resp.code".parse().unwrap(),
        "latency=took:ms".parse().unwrap(),
        "path=req.path".parse().unwrap(),
    ];
    let f = JsonFormat::new(&o).unwrap();
    let l = r#"{"status":"ignored","resp":{"code":"503"},"took":15,"req":{"path":"/p","method":"PUT"},"method":"PUT"}"#;
    assert_eq!(
        parse(&f, l).unwrap(),
        ("PUT".into(), "/p".into(), 503, Some(15_000), None, None)
    );
    assert!("bogus=x".parse::<FieldOverride>().is_err());
    assert!("status".parse::<FieldOverride>().is_err());
}

#[test]
fn malformed_and_missing() {
    let f = JsonFormat::new(&[]).unwrap();
    assert_eq!(
        parse(&f, r#"{"status":200"#).unwrap_err(),
        ErrorKind::NoMatch
    );
    assert_eq!(
        parse(&f, r#"{"status":200,"request":"GET / HTTP/1.1"} x"#).unwrap_err(),
        ErrorKind::NoMatch
    );
    assert_eq!(
        parse(&f, r#"{"request":"GET / HTTP/1.1"}"#).unwrap_err(),
        ErrorKind::MissingField
    );
    assert_eq!(
        parse(&f, r#"{"status":"abc","uri":"/"}"#).unwrap_err(),
        ErrorKind::BadValue
    );
    assert_eq!(
        parse(&f, r#"{"status":200}"#).unwrap_err(),
        ErrorKind::MissingField
    );
    assert_eq!(parse(&f, "not json").unwrap_err(), ErrorKind::NoMatch);
    let deep = format!(
        r#"{{"a":{}{},"status":200,"uri":"/"}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(parse(&f, &deep).unwrap().2, 200);
    assert_eq!(
        parse(
            &f,
            r#"{"status":200,"uri":"/","x":null,"request_time":null}"#
        )
        .unwrap()
        .3,
        None
    );
}

/// Cloudflare Logpush's HTTP requests dataset, by its field names
/// (https://developers.cloudflare.com/logs/reference/log-fields/zone/http_requests/),
/// with `EdgeStartTimestamp` in each of Logpush's timestamp formats.
#[test]
fn cloudflare_logpush_fields_without_json_field() {
    let f = JsonFormat::new(&[]).unwrap();
    for ts in [
        "\"2024-03-10T00:00:00Z\"",
        "1710028800",
        "1710028800123456789",
    ] {
        let l = format!(
            r#"{{"ClientIP":"2001:db8::1","ClientRequestHost":"shop.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/api/items/7?x=1","EdgeEndTimestamp":1710028801000000000,"EdgeResponseBytes":2212,"EdgeResponseStatus":200,"EdgeStartTimestamp":{ts},"EdgeTimeToFirstByteMs":41,"OriginResponseDurationMs":37,"RayID":"86b4b3a0bc1a2b3c"}}"#
        );
        assert_eq!(
            parse(&f, &l),
            Ok((
                "GET".into(),
                "/api/items/7?x=1".into(),
                200,
                Some(41_000),
                Some(2212),
                Some(1_710_028_800)
            )),
            "{ts}"
        );
    }
    // The older `OriginResponseTime` is in nanoseconds; without the edge's
    // time to first byte, it is the latency too.
    let l = r#"{"ClientRequestMethod":"POST","ClientRequestURI":"/pay","EdgeResponseBytes":0,"EdgeResponseStatus":502,"EdgeStartTimestamp":1710028800,"OriginResponseTime":1500000000}"#;
    let mut s = Scratch::default();
    let r = f.parse(l.as_bytes(), &mut s).unwrap();
    assert_eq!(
        (r.status, r.latency_us, r.upstream_us),
        (502, Some(1_500_000), Some(1_500_000))
    );
    assert_eq!(JsonFormat::flavour(l.as_bytes()), "cloudflare");
}

/// A Google Cloud HTTP(S) load balancer entry as Cloud Logging writes it
/// (https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring):
/// fields under `httpRequest`, the size a string, the latency `"…s"`.
#[test]
fn gcp_load_balancer_entry_without_json_field() {
    let f = JsonFormat::new(&[]).unwrap();
    let l = r#"{"httpRequest":{"latency":"0.123456s","remoteIp":"203.0.113.7","requestMethod":"GET","requestSize":"89","requestUrl":"https://shop.example.com/api/items/7?x=1","responseSize":"5120","serverIp":"10.128.0.4","status":404,"userAgent":"curl/8.4.0"},"insertId":"1x2y3z","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"response_sent_by_backend"},"logName":"projects/p/logs/requests","receiveTimestamp":"2024-03-10T00:00:01.5Z","resource":{"labels":{"backend_service_name":"shop"},"type":"http_load_balancer"},"severity":"WARNING","spanId":"a1","timestamp":"2024-03-10T00:00:00.123456Z","trace":"projects/p/traces/t"}"#;
    assert_eq!(
        parse(&f, l),
        Ok((
            "GET".into(),
            "https://shop.example.com/api/items/7?x=1".into(),
            404,
            Some(123_456),
            Some(5120),
            Some(1_710_028_800)
        ))
    );
    assert_eq!(JsonFormat::flavour(l.as_bytes()), "gcp");
}

/// A duration string names its unit; a suffix that is not after a digit
/// is not a unit, and the value is not a duration.
#[test]
fn duration_strings_carry_their_unit() {
    assert_eq!(suffixed(b"0.5s", Unit::Ns), (&b"0.5"[..], Unit::Sec));
    assert_eq!(suffixed(b"12ms", Unit::Sec), (&b"12"[..], Unit::Ms));
    assert_eq!(suffixed(b"7us", Unit::Sec), (&b"7"[..], Unit::Us));
    assert_eq!(suffixed("7µs".as_bytes(), Unit::Sec), (&b"7"[..], Unit::Us));
    assert_eq!(suffixed(b"9ns", Unit::Sec), (&b"9"[..], Unit::Ns));
    assert_eq!(suffixed(b"s", Unit::Ms), (&b"s"[..], Unit::Ms));
    assert_eq!(suffixed(b"abcs", Unit::Ms), (&b"abcs"[..], Unit::Ms));
    assert_eq!(suffixed(b"0.5", Unit::Ms), (&b"0.5"[..], Unit::Ms));
}

/// (host, backend) of a JSON line under the default names.
fn host_backend(line: &str) -> (String, String) {
    let f = JsonFormat::new(&[]).unwrap();
    let mut s = Scratch::default();
    let r = f.parse(line.as_bytes(), &mut s).unwrap();
    (
        String::from_utf8_lossy(r.host).into_owned(),
        String::from_utf8_lossy(r.backend).into_owned(),
    )
}

fn hb(host: &str, backend: &str) -> (String, String) {
    (host.into(), backend.into())
}

/// Caddy's `request.host`, as in the access log example of Caddy's
/// `log` directive (https://caddyserver.com/docs/caddyfile/directives/log).
#[test]
fn caddy_request_host_is_the_host() {
    let l = r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.1","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"example.com"}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"]}}"#;
    assert_eq!(host_backend(l), hb("localhost", ""));
}

/// Traefik's JSON fields
/// (https://doc.traefik.io/traefik/observability/access-logs/#json-format-fields):
/// `RequestHost`; `ServiceURL`, else `ServiceAddr`.
#[test]
fn traefik_request_host_and_service_url() {
    let l = r#"{"ClientHost":"1.2.3.4","DownstreamContentSize":55,"DownstreamStatus":200,"Duration":123456789,"RequestHost":"api.example.com","RequestMethod":"GET","RequestPath":"/x","ServiceAddr":"10.0.0.5:80","ServiceName":"api@docker","ServiceURL":"http://10.0.0.5:80","StartUTC":"2024-03-10T00:00:00.1234Z"}"#;
    assert_eq!(host_backend(l), hb("api.example.com", "http://10.0.0.5:80"));
    let l = r#"{"DownstreamStatus":502,"RequestHost":"api.example.com","RequestMethod":"GET","RequestPath":"/x","ServiceAddr":"10.0.0.5:80"}"#;
    assert_eq!(host_backend(l), hb("api.example.com", "10.0.0.5:80"));
}

/// Cloudflare Logpush (same dataset as above): `ClientRequestHost`,
/// `OriginIP`.
#[test]
fn cloudflare_client_request_host_and_origin_ip() {
    let l = r#"{"ClientIP":"2001:db8::1","ClientRequestHost":"shop.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/api/items/7?x=1","EdgeResponseBytes":2212,"EdgeResponseStatus":200,"EdgeStartTimestamp":1710028800,"OriginIP":"203.0.113.9","RayID":"86b4b3a0bc1a2b3c"}"#;
    assert_eq!(host_backend(l), hb("shop.example.com", "203.0.113.9"));
    // Served from cache: no origin.
    let l = r#"{"ClientRequestHost":"shop.example.com","ClientRequestURI":"/a.css","EdgeResponseStatus":200,"OriginIP":""}"#;
    assert_eq!(host_backend(l), hb("shop.example.com", ""));
}

/// Google Cloud (the entry of `gcp_load_balancer_entry_without_json_field`):
/// the host from `requestUrl`, the backend service from the resource's
/// labels.
#[test]
fn gcp_host_from_request_url_and_backend_service() {
    let l = r#"{"httpRequest":{"latency":"0.123456s","remoteIp":"203.0.113.7","requestMethod":"GET","requestSize":"89","requestUrl":"https://shop.example.com/api/items/7?x=1","responseSize":"5120","serverIp":"10.128.0.4","status":404,"userAgent":"curl/8.4.0"},"insertId":"1x2y3z","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"response_sent_by_backend"},"logName":"projects/p/logs/requests","receiveTimestamp":"2024-03-10T00:00:01.5Z","resource":{"labels":{"backend_service_name":"shop"},"type":"http_load_balancer"},"severity":"WARNING","spanId":"a1","timestamp":"2024-03-10T00:00:00.123456Z","trace":"projects/p/traces/t"}"#;
    assert_eq!(host_backend(l), hb("shop.example.com", "shop"));
    for (url, host) in [
        ("http://u:p@[2001:db8::1]:8443?x", "[2001:db8::1]"),
        ("https://shop.example.com:443/a", "shop.example.com"),
        ("https://a.example", "a.example"),
        ("/relative", ""),
        ("http://-/x", ""),
    ] {
        let l = format!(r#"{{"httpRequest":{{"requestUrl":"{url}","status":200}}}}"#);
        assert_eq!(host_backend(&l), hb(host, ""), "{url}");
    }
}

/// nginx `escape=json` and generic names: `host`, `upstream_addr` (of
/// which the last address answered); `--json-field host=… backend=…`
/// override them.
#[test]
fn generic_host_upstream_addr_and_overrides() {
    let l = r#"{"host":"a.example","request":"GET / HTTP/1.1","status":502,"upstream_addr":"10.0.0.1:80, 10.0.0.2:80"}"#;
    assert_eq!(host_backend(l), hb("a.example", "10.0.0.2:80"));
    let l = r#"{"host":"-","request":"GET / HTTP/1.1","status":200,"upstream_addr":"-"}"#;
    assert_eq!(host_backend(l), hb("", ""));
    // Escaped values are unescaped like the request's.
    let l = r#"{"host":"a\u002eexample","request":"GET / HTTP/1.1","status":200}"#;
    assert_eq!(host_backend(l), hb("a.example", ""));
    let o: Vec<FieldOverride> = ["host=meta.vhost", "backend=meta.pool"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let f = JsonFormat::new(&o).unwrap();
    let l = r#"{"host":"ignored","upstream_addr":"ignored","meta":{"vhost":"v.example","pool":"blue"},"request":"GET / HTTP/1.1","status":200}"#;
    let mut s = Scratch::default();
    let r = f.parse(l.as_bytes(), &mut s).unwrap();
    assert_eq!((r.host, r.backend), (&b"v.example"[..], &b"blue"[..]));
}

/// Lines of one JSON log whose shape drifts: keys from a small pool (mapped
/// and not, nested paths, an escaped key, one longer than 16 bytes), in
/// orders and at depths that change from line to line, values of every
/// kind, and now and then a byte changed (a line that does not parse).
struct Drift {
    rng: crate::props::XorShift,
}

impl Drift {
    const KEYS: [&'static str; 16] = [
        "status",
        "request",
        "meta",
        "vhost",
        "httpRequest",
        "requestMethod",
        "requestUrl",
        "latency",
        "uri",
        "a",
        "ab",
        "k\\\"q",
        "OriginResponseDurationMs",
        "resource",
        "labels",
        "backend_service_name",
    ];

    fn next(&mut self, n: u64) -> u64 {
        self.rng.below(n as usize) as u64
    }

    fn value(&mut self, out: &mut String, depth: u32) {
        match self.next(if depth < 3 { 7 } else { 5 }) {
            0 => out.push_str(["200", "404", "0.005", "12", "-1"][self.next(5) as usize]),
            1 => out.push_str(["null", "true", "[1,{\"a\":2}]", "\"-\""][self.next(4) as usize]),
            2 | 3 => out.push_str(
                [
                    "\"GET\"",
                    "\"/a/1?x\"",
                    "\"GET /b HTTP/1.1\"",
                    "\"0.25s\"",
                    "\"x\\\"y\"",
                    "\"https://h.example/c\"",
                ][self.next(6) as usize],
            ),
            4 => out.push_str("\"v.example\""),
            _ => self.object(out, depth + 1),
        }
    }

    fn object(&mut self, out: &mut String, depth: u32) {
        let mut members: Vec<String> = Vec::new();
        for _ in 0..self.next(6) {
            let k = Drift::KEYS[self.next(Drift::KEYS.len() as u64) as usize];
            let mut m = format!("\"{k}{}", ["\":", "\" : "][self.next(2) as usize]);
            self.value(&mut m, depth);
            members.push(m);
        }
        // Most lines have what a request needs, somewhere among the rest.
        if depth == 0 && self.next(4) != 0 {
            for m in ["\"status\":200", "\"request\":\"GET /r/7 HTTP/1.1\""] {
                let at = self.next(members.len() as u64 + 1) as usize;
                members.insert(at, m.to_string());
            }
        }
        out.push('{');
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                out.push_str([",", ", "][self.next(2) as usize]);
            }
            out.push_str(m);
        }
        out.push('}');
    }

    /// The next line: the last one again (so that keys are recalled), a
    /// variation of it, or a new one.
    fn line(&mut self, last: &str) -> String {
        match self.next(5) {
            0 if !last.is_empty() => last.to_string(),
            // Other digits: mostly the same layout with other values.
            4 if !last.is_empty() => last
                .chars()
                .map(|c| match c {
                    '0'..='9' if self.next(2) == 0 => (b'0' + self.next(10) as u8) as char,
                    c => c,
                })
                .collect(),
            1 if !last.is_empty() => {
                let mut b = last.as_bytes().to_vec();
                let at = self.next(b.len() as u64) as usize;
                let bytes = b"\"{}:,a1\\ []-\tn";
                b[at] = bytes[self.next(bytes.len() as u64) as usize];
                String::from_utf8_lossy(&b).into_owned()
            }
            _ => {
                let mut s = String::new();
                self.object(&mut s, 0);
                s
            }
        }
    }
}

/// A worker parses every line with one scratch, and the JSON walker
/// recalls the last line's keys and reads along the last lines' layouts
/// from it: each line must parse exactly as it does with a scratch of its
/// own, whatever the lines before it were.
#[test]
fn recalled_keys_parse_as_a_fresh_walk_does() {
    let o: Vec<FieldOverride> = ["host=meta.vhost", "backend=a"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let formats = [JsonFormat::new(&[]).unwrap(), JsonFormat::new(&o).unwrap()];
    let mut shared = Scratch::default();
    let mut last = String::new();
    let mut drift = Drift {
        rng: crate::props::XorShift(0x2545_f491_4f6c_dd1d),
    };
    let (mut parsed, mut recalled, mut read) = (0, 0, 0);
    for i in 0..60_000 {
        let line = drift.line(&last);
        // Now and then the other format's lines, through the same scratch.
        let f = &formats[(i / 1000) % 2];
        let mut fresh = Scratch::default();
        let want = f.parse(line.as_bytes(), &mut fresh);
        // Read along a layout of this format's lines, not walked.
        let fits = i % 1000 != 0 && shared.layout.fits(line.as_bytes());
        let got = f.parse(line.as_bytes(), &mut shared);
        assert_eq!(got, want, "after {last}\non {line}");
        parsed += want.is_ok() as usize;
        recalled += (line == last) as usize;
        read += (fits && want.is_ok() && line != last) as usize;
        last = line;
    }
    // The lines were not all rejects, keys were recalled, and lines other
    // than the last one were read along a layout.
    assert!(
        parsed > 10_000 && recalled > 5_000 && read > 3_000,
        "{parsed} parsed, {recalled} repeated, {read} others read"
    );
}

/// `keys::same_bytes` answers as a slice compare, at every length and
/// with the difference in every place.
#[test]
fn same_bytes_is_a_slice_compare() {
    for n in 0..40usize {
        let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
        assert!(keys::same_bytes(&a, &a.clone()));
        for i in 0..n {
            let mut b = a.clone();
            b[i] ^= 0x20;
            assert!(!keys::same_bytes(&a, &b), "{n} {i}");
        }
        assert!(!keys::same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
    }
}

/// A line read along a layout fits it only where each value is of the
/// kind the learned line had there: a number where an array was skipped
/// is kept, as the walk keeps it.
#[test]
fn a_value_of_another_kind_does_not_fit_a_layout() {
    let f = JsonFormat::new(&[]).unwrap();
    let mut shared = Scratch::default();
    let learned = br#"{"status":200,"request_time":[1],"request":"GET /a HTTP/1.1"}"#;
    let other = br#"{"status":200,"request_time":5,"request":"GET /a HTTP/1.1"}"#;
    let escaped = br#"{"status":200,"request_time":[1],"request":"GET /\"a HTTP/1.1"}"#;
    assert_eq!(f.parse(learned, &mut shared).unwrap().latency_us, None);
    assert!(shared.layout.fits(learned));
    assert!(!shared.layout.fits(other));
    assert!(!shared.layout.fits(escaped));
    assert_eq!(
        f.parse(other, &mut shared).unwrap().latency_us,
        Some(5_000_000)
    );
    let r = f.parse(escaped, &mut shared).unwrap();
    assert_eq!(r.target, b"/\"a");
    // And a line with more after the layout's end is not one.
    assert!(
        f.parse(&[&learned[..], b"x"].concat(), &mut shared)
            .is_err()
    );
}

/// Times are what `parse_any_time` makes of them, whatever the lines
/// before: ISO 8601 ones go through the cache keyed by their second.
#[test]
fn times_are_parse_any_time_through_a_shared_cache() {
    let f = JsonFormat::new(&[]).unwrap();
    let mut shared = Scratch::default();
    for raw in [
        "2024-03-10T00:00:00.123456Z",
        "2024-03-10T00:00:00.999999Z",
        "2024-03-10T00:00:00Z",
        "2024-03-10T00:00:01.000001Z",
        "2024-03-10T01:00:01.5+01:00",
        "2024-03-10T00:00:01.x1Z",
        "2024-03-10T00:00:0",
        "2024-13-10T00:00:00.1Z",
        "10/Mar/2024:00:00:01 +0000",
        "1710028801.25",
        "1710028801",
        "12/45-",
        "10/M-r/2024:00:00:01 +0000",
        "2024-03",
        "2024-",
        "1234-1",
    ] {
        let line = format!(r#"{{"status":200,"request":"GET / HTTP/1.1","time":"{raw}"}}"#);
        let r = f.parse(line.as_bytes(), &mut shared).unwrap();
        assert_eq!(r.time, value::parse_any_time(raw.as_bytes()), "{raw}");
    }
}
