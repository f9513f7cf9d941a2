//! The W3C parser (`iis`) on 1 M lines, single thread, next to the
//! `combined` preset on the same requests in the same run: the issue's
//! target is within 1.5× of `combined`'s time. CloudFront's standard log
//! (tab-separated, 33 columns) too.
//!
//! ```text
//! cargo bench --bench formats_w3c                   # 1 M lines, best of 5
//! cargo bench --bench formats_w3c -- 200000 3       # LINES PASSES
//! ```
//!
//! The requests are genlog's (`tools/genlog`, combined_rt, 200 routes,
//! seed 1), re-printed as nginx/Apache `combined` (the timer dropped) and
//! as IIS W3C extended with IIS's default columns plus `sc-bytes`
//! (`time-taken` in ms). Both are parsed as `--once` workers parse: 1 MiB
//! blocks, indexed, each line through the block's index; the IIS blocks
//! follow headers as `run/once.rs` does (one `#Fields:` at the top).

use std::time::Instant;

use routetop::format::scan::Marks;
use routetop::format::{Format, FormatSpec, Header, Scratch};
use routetop::input::BLOCK;
use routetop_genlog::{Options, generate_vec};

/// CloudFront's standard log header (tab-separated, 33 columns).
const CF_FIELDS: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";
const IIS_FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken";

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's
/// `civil_from_days`).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The combined, IIS and CloudFront re-prints of genlog's combined_rt
/// lines.
fn logs(lines: u64) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let src = generate_vec(&Options {
        lines,
        ..Options::default()
    })
    .expect("genlog");
    let rt = Format::compile(&FormatSpec::parse("combined_rt").unwrap(), &[]).unwrap();
    let mut s = Scratch::default();
    let (mut combined, mut iis, mut cf) = (Vec::new(), Vec::new(), Vec::new());
    cf.extend_from_slice(b"#Version: 1.0\n");
    cf.extend_from_slice(CF_FIELDS.as_bytes());
    cf.push(b'\n');
    iis.extend_from_slice(
        b"#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n",
    );
    iis.extend_from_slice(IIS_FIELDS.as_bytes());
    iis.push(b'\n');
    for line in src.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
        // combined: the line without its trailing ` $request_time`.
        let cut = memchr::memrchr(b' ', line).expect("a timer");
        combined.extend_from_slice(&line[..cut]);
        combined.push(b'\n');
        let r = rt.parse(line, &mut s).expect("genlog writes combined_rt");
        let ip = &line[..memchr::memchr(b' ', line).unwrap()];
        let ua_end = line[..cut].len() - 1;
        let ua_start = memchr::memrchr(b'"', &line[..ua_end]).unwrap() + 1;
        let ua: Vec<u8> = line[ua_start..ua_end]
            .iter()
            .map(|&c| if c == b' ' { b'+' } else { c })
            .collect();
        let t = r.time.unwrap();
        let (y, mo, d) = civil(t.div_euclid(86_400));
        let sec = t.rem_euclid(86_400);
        let (stem, query) = match memchr::memchr(b'?', r.target) {
            Some(q) => (&r.target[..q], &r.target[q + 1..]),
            None => (r.target, &b"-"[..]),
        };
        iis.extend_from_slice(
            format!(
                "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} 10.0.0.5 {} {} {} 443 - {} {} - {} 0 0 {} {}\n",
                sec / 3600,
                sec / 60 % 60,
                sec % 60,
                String::from_utf8_lossy(r.method),
                String::from_utf8_lossy(stem),
                String::from_utf8_lossy(query),
                String::from_utf8_lossy(ip),
                String::from_utf8_lossy(&ua),
                r.status,
                r.bytes.unwrap_or(0),
                r.latency_us.unwrap() / 1000,
            )
            .as_bytes(),
        );
        let ua20 = String::from_utf8_lossy(&ua).replace('+', "%20");
        let ms = r.latency_us.unwrap() / 1000;
        cf.extend_from_slice(
            format!(
                "{y:04}-{mo:02}-{d:02}\t{:02}:{:02}:{:02}\tLAX1\t{}\t{}\t{}\td111111abcdef8.cloudfront.net\t{}\t{}\t-\t{ua20}\t{}\t-\tHit\treq{:08}==\tshop.example.com\thttps\t23\t{}.{:03}\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/1.1\t-\t-\t51234\t{}.{:03}\tHit\ttext/html\t{}\t-\t-\n",
                sec / 3600,
                sec / 60 % 60,
                sec % 60,
                r.bytes.unwrap_or(0),
                String::from_utf8_lossy(ip),
                String::from_utf8_lossy(r.method),
                String::from_utf8_lossy(stem),
                r.status,
                String::from_utf8_lossy(query),
                cf.len() % 100_000_000,
                ms / 1000,
                ms % 1000,
                ms / 1000,
                ms % 1000,
                r.bytes.unwrap_or(0),
            )
            .as_bytes(),
        );
    }
    (combined, iis, cf)
}

/// 1 MiB blocks cut after a newline, as the batch reader cuts them.
fn blocks(data: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let cut = match memchr::memrchr(b'\n', &rest[..rest.len().min(BLOCK)]) {
            Some(i) if rest.len() > BLOCK => i + 1,
            _ => rest.len().min(BLOCK),
        };
        v.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    v
}

/// Parses every line of `data` as a batch worker does; returns the
/// parsed count and the best time of `passes`.
fn run(data: &[u8], spec: &str, passes: usize) -> (u64, f64) {
    let base = Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap();
    let blocks = blocks(data);
    let mut marks = Marks::default();
    let mut scratch = Scratch::default();
    let mut best = f64::MAX;
    let mut parsed = 0;
    for _ in 0..passes {
        let t = Instant::now();
        parsed = 0;
        let mut current: Option<Format> = None;
        for b in &blocks {
            marks.index(b);
            let headed = base.has_headers();
            for (s, e) in marks.lines() {
                let line = &b[s..e];
                let f = current.as_ref().unwrap_or(&base);
                if headed && let Some(h) = f.header(line) {
                    if let Header::Fields(next) = h {
                        current = Some(next);
                    }
                    continue;
                }
                parsed += f.parse_scan(line, &mut scratch, marks.at(s)).is_ok() as u64;
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    (parsed, best)
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let lines: u64 = args.next().map_or(1_000_000, |a| a.parse().expect("LINES"));
    let passes: usize = args.next().map_or(5, |a| a.parse().expect("PASSES"));
    let (combined, iis, cf) = logs(lines);
    println!("{lines} requests, single thread, best of {passes}");
    let (n_c, t_c) = run(&combined, "combined", passes);
    let (n_i, t_i) = run(&iis, "iis", passes);
    let (n_f, t_f) = run(&cf, "cloudfront", passes);
    assert_eq!((n_c, n_i, n_f), (lines, lines, lines), "every line parses");
    for (name, data, t) in [
        ("combined", &combined, t_c),
        ("iis", &iis, t_i),
        ("cloudfront", &cf, t_f),
    ] {
        println!(
            "{name:<10} {:>7.1} ms  {:>6.2} M lines/s  {:>6.0} MB/s",
            t * 1e3,
            lines as f64 / t / 1e6,
            data.len() as f64 / t / 1e6
        );
    }
    println!("iis / combined time: {:.2}x (target <= 1.5x)", t_i / t_c);
    println!(
        "cloudfront / combined time: {:.2}x (target <= 1.5x)",
        t_f / t_c
    );
}
