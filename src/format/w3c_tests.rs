//! The W3C extended parser (`w3c.rs`) on lines from Microsoft's and AWS's
//! own documentation, header changes, and detection of each flavour.

use super::record::{ErrorKind, Scratch};
use super::w3c::{Flavour, W3cFormat};
use crate::format::detect;
use crate::format::scan::Plain;
use crate::format::{Format, FormatSpec, Header};

/// Microsoft's example of an IIS W3C extended log ("W3C Extended Log
/// File Examples (IIS 6.0)", learn.microsoft.com / TechNet): four
/// directives, then one request.
const IIS_DOC: &[&str] = &[
    "#Software: Microsoft Internet Information Services 6.0",
    "#Version: 1.0",
    "#Date: 2002-05-24 20:18:01",
    "#Fields: date time c-ip cs-username s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-bytes cs-bytes time-taken cs(User-Agent) cs(Referrer)",
    "2002-05-24 20:18:01 172.224.24.114 - 206.73.118.24 80 GET /Default.htm - 200 7930 248 31 Mozilla/4.0+(compatible;+MSIE+5.01;+Windows+2000+Server) http://64.224.24.114/",
];

/// The example in AWS's CloudFront "Standard logging reference" (log
/// file fields; docs.aws.amazon.com/AmazonCloudFront/latest/
/// DeveloperGuide/standard-logs-reference.html): `#Version`, the 33
/// `#Fields`, tab-separated values.
const CLOUDFRONT_DOC: &[&str] = &[
    "#Version: 1.0",
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end",
    "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-",
    "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\tlang=en\t-\tHit\tk6WGMNkEzR5BEM_SaF47gjtX9zBDO2m349OY2an0QPEaUum1ZOLrow==\td111111abcdef8.cloudfront.net\thttps\t23\t0.000\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.000\tHit\ttext/html\t78\t-\t-",
];

fn bytes(lines: &[&'static str]) -> Vec<&'static [u8]> {
    lines.iter().map(|l| l.as_bytes()).collect()
}

/// Parses `lines` as a caller does: directives counted and followed,
/// data lines parsed. Returns (header lines, parsed records as
/// (method, target, status, bytes, latency µs, time), bad lines).
#[allow(clippy::type_complexity)]
fn read(
    format: Format,
    lines: &[&str],
) -> (
    usize,
    Vec<(String, String, u16, Option<u64>, Option<u64>, Option<i64>)>,
    Vec<ErrorKind>,
) {
    let mut f = format;
    let (mut headers, mut recs, mut bad) = (0, Vec::new(), Vec::new());
    let mut s = Scratch::default();
    for line in lines {
        match f.header(line.as_bytes()) {
            Some(Header::Line) => headers += 1,
            Some(Header::Fields(next)) => {
                headers += 1;
                f = next;
            }
            None => match f.parse(line.as_bytes(), &mut s) {
                Ok(r) => recs.push((
                    String::from_utf8_lossy(r.method).into_owned(),
                    String::from_utf8_lossy(r.target).into_owned(),
                    r.status,
                    r.bytes,
                    r.latency_us,
                    r.time,
                )),
                Err(k) => bad.push(k),
            },
        }
    }
    (headers, recs, bad)
}

fn compile(spec: &str) -> Format {
    Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap()
}

#[test]
fn iis_doc_example_is_one_request_with_time_taken_in_milliseconds() {
    let (headers, recs, bad) = read(compile("iis"), IIS_DOC);
    assert_eq!(headers, 4);
    assert_eq!(bad, vec![]);
    // 2002-05-24 20:18:01 UTC; 31 ms.
    assert_eq!(
        recs,
        vec![(
            "GET".into(),
            "/Default.htm".into(),
            200,
            Some(7930),
            Some(31_000),
            Some(1_022_271_481)
        )]
    );
}

#[test]
fn cloudfront_doc_example_has_time_taken_in_seconds_and_joins_the_query() {
    let (headers, recs, bad) = read(compile("cloudfront"), CLOUDFRONT_DOC);
    assert_eq!(headers, 2);
    assert_eq!(bad, vec![]);
    // 2019-12-04 21:02:31 UTC; 0.001 s.
    assert_eq!(
        recs,
        vec![
            (
                "GET".into(),
                "/index.html".into(),
                200,
                Some(392),
                Some(1_000),
                Some(1_575_493_351)
            ),
            (
                "GET".into(),
                "/index.html?lang=en".into(),
                200,
                Some(392),
                Some(0),
                Some(1_575_493_351)
            ),
        ]
    );
}

#[test]
fn a_new_fields_header_renames_the_columns_from_its_line_on() {
    let lines = [
        "#Fields: date time cs-method cs-uri-stem sc-status time-taken",
        "2024-03-10 00:00:00 GET /a 200 1.5",
        "#Fields: sc-status cs-uri-stem sc-bytes",
        "404 /b 17",
        // The old shape under the new header: `2024-03-10` is no status.
        "2024-03-10 00:00:01 GET /a 200 1.5",
    ];
    let (headers, recs, bad) = read(compile("w3c"), &lines);
    assert_eq!(headers, 2);
    assert_eq!(
        recs,
        vec![
            (
                "GET".into(),
                "/a".into(),
                200,
                None,
                Some(1_500_000),
                Some(1_710_028_800)
            ),
            (String::new(), "/b".into(), 404, Some(17), None, None),
        ]
    );
    assert_eq!(bad, vec![ErrorKind::BadValue]);
}

#[test]
fn a_data_line_before_any_fields_header_is_a_bad_line() {
    let lines = [
        "#Software: Microsoft Internet Information Services 10.0",
        "2024-03-10 00:00:00 GET /a - 200 5",
        "#Fields: date time cs-method cs-uri-stem cs-uri-query sc-status time-taken",
        "2024-03-10 00:00:00 GET /a - 200 5",
    ];
    let (headers, recs, bad) = read(compile("iis"), &lines);
    assert_eq!((headers, recs.len()), (2, 1));
    assert_eq!(bad, vec![ErrorKind::NoMatch]);
    assert_eq!(
        compile("iis").explain(lines[1].as_bytes()),
        "a data line before any #Fields: header (its columns are unknown)"
    );
}

#[test]
fn short_lines_missing_columns_and_odd_values() {
    let f = W3cFormat::new(Flavour::Iis)
        .with_fields(b" date time cs-method cs-uri-stem sc-status sc-bytes time-taken");
    let mut s = Scratch::default();
    // Fewer columns than the header names.
    assert_eq!(
        f.parse(b"2024-03-10 00:00:00 GET /a", &mut s, Plain),
        Err(ErrorKind::NoMatch)
    );
    // A status that is no status, a byte count that is no number.
    assert_eq!(
        f.parse(b"2024-03-10 00:00:00 GET /a 2000 1 5", &mut s, Plain),
        Err(ErrorKind::BadValue)
    );
    assert_eq!(
        f.parse(b"2024-03-10 00:00:00 GET /a 200 x 5", &mut s, Plain),
        Err(ErrorKind::BadValue)
    );
    // A timer that is no duration and a date that is no date: counted,
    // without them.
    let r = f
        .parse(b"2024-13-10 00:00:00 GET /a 200 - abc", &mut s, Plain)
        .unwrap();
    assert_eq!((r.bytes, r.latency_us, r.time), (Some(0), None, None));
    assert!(r.bad_timer() && r.bad_time());
    // No status column, no path column.
    let g = W3cFormat::new(Flavour::W3c).with_fields(b" cs-method cs-uri-stem");
    assert_eq!(
        g.parse(b"GET /a", &mut s, Plain),
        Err(ErrorKind::MissingField)
    );
    let g = W3cFormat::new(Flavour::W3c).with_fields(b" cs-method sc-status");
    assert_eq!(
        g.parse(b"GET 200", &mut s, Plain),
        Err(ErrorKind::MissingField)
    );
}

#[test]
fn detection_names_the_flavour_from_the_header() {
    let name = |lines: &[&'static str]| {
        detect::detect(&bytes(lines), &[]).map(|d| (d.format.name().to_string(), d.matched))
    };
    assert_eq!(name(IIS_DOC), Some(("iis".into(), 5)));
    assert_eq!(name(CLOUDFRONT_DOC), Some(("cloudfront".into(), 4)));
    let generic = [
        "#Version: 1.0",
        "#Fields: date time cs-method cs-uri sc-status",
        "2024-03-10 00:00:00 GET /a?b=1 200",
    ];
    assert_eq!(name(&generic), Some(("w3c".into(), 3)));
    // `#` lines that are not W3C directives are not W3C.
    let comment = [
        "# a comment",
        "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5",
    ];
    assert_eq!(name(&comment), Some(("common".into(), 1)));
}

/// Regression (fuzz, format_w3c): a header with a `time` column and no
/// `date` column overflowed computing where the two sit side by side.
#[test]
fn w3c_time_column_without_a_date_column_does_not_overflow() {
    let f = W3cFormat::new(Flavour::W3c).with_fields(b" time cs-uri-stem sc-status");
    let mut s = Scratch::default();
    let r = f.parse(b"00:00:01 /a 200", &mut s, Plain).unwrap();
    // A time without a date is no timestamp.
    assert_eq!((r.target, r.status, r.time), (&b"/a"[..], 200, None));
    assert!(r.bad_time());
}

/// The host of each line of `lines` (directives followed, data parsed).
fn hosts(format: Format, lines: &[&str]) -> Vec<String> {
    let mut f = format;
    let mut s = Scratch::default();
    let mut out = Vec::new();
    for line in lines {
        match f.header(line.as_bytes()) {
            Some(Header::Line) => {}
            Some(Header::Fields(next)) => f = next,
            None => {
                let r = f.parse(line.as_bytes(), &mut s).unwrap();
                assert_eq!(r.backend, b"", "{line}");
                out.push(String::from_utf8_lossy(r.host).into_owned());
            }
        }
    }
    out
}

/// IIS: `cs-host`, the Host header (the field table of Microsoft's "W3C
/// Logging", learn.microsoft.com/windows/win32/http/w3c-logging), is the
/// host. Microsoft's example with that column added, then `-`; `s-ip`
/// and `s-computername` are the server itself, never a backend.
#[test]
fn iis_cs_host_is_the_host() {
    let lines = [
        "#Software: Microsoft Internet Information Services 6.0",
        "#Fields: date time c-ip cs-username s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-bytes cs-bytes time-taken cs-host cs(User-Agent)",
        "2002-05-24 20:18:01 172.224.24.114 - SERVER55 206.73.118.24 80 GET /Default.htm - 200 7930 248 31 www.example.com Mozilla/4.0+(compatible;+MSIE+5.01;+Windows+2000+Server)",
        "2002-05-24 20:18:02 172.224.24.114 - SERVER55 206.73.118.24 80 GET /Default.htm - 200 7930 248 31 - Mozilla/4.0",
    ];
    assert_eq!(hosts(compile("iis"), &lines), ["www.example.com", ""]);
    // Microsoft's own example has no host column: no host.
    assert_eq!(hosts(compile("iis"), IIS_DOC), [""]);
}

/// CloudFront: `x-host-header` (what the viewer asked for: an alternate
/// domain name) over `cs(Host)` (the distribution's own domain). AWS's
/// example has the distribution's domain in both; the second line is it
/// with an alternate domain, the third with `x-host-header` `-`.
#[test]
fn cloudfront_host_header_over_distribution_domain() {
    let alternate = CLOUDFRONT_DOC[2].replacen(
        "\td111111abcdef8.cloudfront.net\thttps",
        "\twww.example.com\thttps",
        1,
    );
    let dash =
        CLOUDFRONT_DOC[2].replacen("\td111111abcdef8.cloudfront.net\thttps", "\t-\thttps", 1);
    let lines = [
        CLOUDFRONT_DOC[0],
        CLOUDFRONT_DOC[1],
        CLOUDFRONT_DOC[2],
        &alternate,
        &dash,
    ];
    assert_eq!(
        hosts(compile("cloudfront"), &lines),
        [
            "d111111abcdef8.cloudfront.net",
            "www.example.com",
            "d111111abcdef8.cloudfront.net"
        ]
    );
}
