//! Each format's parser on the same requests, single-threaded, beside the
//! `combined` preset in the same run: genlog's combined_rt lines (seed 1)
//! re-printed in every layout in memory, then parsed line by line and
//! block by block as `--once` workers do (through the block's structural
//! index when the format reads it: `Format::reads_block_index`). Best and
//! median of several passes; the ratio is to `combined`'s best.
//!
//! ```text
//! cargo bench --bench formats                          # 1 M lines, every row
//! cargo bench --bench formats -- --only alb,haproxy    # those rows (and combined)
//! cargo bench --bench formats -- --data-lines 20000 --passes 1   # quick check
//! ```
//!
//! A row is one entry in [`ROWS`]: a name, the `-f` spec that reads it, and
//! a function printing one request in that layout.

mod util;

use std::time::Instant;

use routetop::format::scan::{self, Marks, Plain};
use routetop::format::{Format, FormatSpec, Scratch};
use routetop::input::BLOCK;
use util::args::{Args, File, Opt, Spec, opt};

static SPEC: Spec = Spec {
    name: "formats",
    about: "Each format's parser on the same 1 M requests, one core, beside combined.",
    file: File::Log {
        lines: 1_000_000,
        routes: 200,
    },
    modes: &[],
    default_modes: &[],
    opts: &[
        opt(
            "passes",
            "7",
            "passes per row; best and median are reported",
        ),
        opt(
            "only",
            "all",
            "comma-separated rows to run (combined always runs)",
        ),
    ] as &[Opt],
};

/// One request of genlog's combined_rt line, split into its fields.
struct Req<'a> {
    ip: &'a str,
    /// `10/Mar/2024:00:00:01 +0000`
    time: &'a str,
    method: &'a str,
    target: &'a str,
    proto: &'a str,
    status: &'a str,
    bytes: &'a str,
    referer: &'a str,
    ua: &'a str,
    /// `$request_time`, seconds with three decimals.
    rt: &'a str,
    ms: u64,
}

impl<'a> Req<'a> {
    fn parse(line: &'a str) -> Option<Req<'a>> {
        let (ip, rest) = line.split_once(" - ")?;
        let (_, rest) = rest.split_once('[')?;
        let (time, rest) = rest.split_once("] \"")?;
        let (request, rest) = rest.split_once("\" ")?;
        let mut req = request.splitn(3, ' ');
        let (method, target, proto) = (req.next()?, req.next()?, req.next()?);
        let (status, rest) = rest.split_once(' ')?;
        let (bytes, rest) = rest.split_once(" \"")?;
        let (referer, rest) = rest.split_once("\" \"")?;
        let (ua, rt) = rest.rsplit_once("\" ")?;
        let ms = rt.replace('.', "").parse().ok()?;
        Some(Req {
            ip,
            time,
            method,
            target,
            proto,
            status,
            bytes,
            referer,
            ua,
            rt,
            ms,
        })
    }

    /// `2024-03-10T00:00:01`
    fn iso(&self) -> String {
        let t = self.time.as_bytes();
        let months = "JanFebMarAprMayJunJulAugSepOctNovDec";
        let m = months.find(&self.time[3..6]).map_or(1, |i| i / 3 + 1);
        format!(
            "{}-{m:02}-{}T{}",
            &self.time[7..11],
            &self.time[..2],
            std::str::from_utf8(&t[12..20]).unwrap_or("00:00:00")
        )
    }
}

type Print = fn(&Req, usize) -> String;

/// S3's object key of a target: the path without its `/`, `-` for none.
fn key(target: &str) -> &str {
    match target
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches('/')
    {
        "" => "-",
        k => k,
    }
}

/// The rows: name, `-f` spec, printer. `combined` first: the reference.
static ROWS: &[(&str, &str, Print)] = &[
    ("combined", "combined", |r, _| {
        format!(
            r#"{} - - [{}] "{} {} {}" {} {} "{}" "{}""#,
            r.ip, r.time, r.method, r.target, r.proto, r.status, r.bytes, r.referer, r.ua
        )
    }),
    ("alb", "alb", |r, i| {
        format!(
            r#"https {}.{:06}Z app/shop-lb/50dc6c495c0c9188 {}:{} 10.0.1.{}:8080 0.000 {} 0.000 {} {} 120 {} "{} https://shop.example.com:443{} {}" "{}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/shop/73e2d6bc24d8a067 "Root=1-65ed0000-{:024x}" "shop.example.com" "-" 0 {}.000000Z "forward" "-" "-" "10.0.1.10:8080" "{}" "-" "-""#,
            r.iso(),
            i % 1_000_000,
            r.ip,
            40000 + i % 20000,
            i % 7 + 10,
            r.rt,
            r.status,
            r.status,
            r.bytes,
            r.method,
            r.target,
            r.proto,
            r.ua,
            i,
            r.iso(),
            r.status
        )
    }),
    ("elb", "elb", |r, i| {
        format!(
            r#"{}.{:06}Z shop-lb {}:{} 10.0.1.{}:80 0.000040 {} 0.000020 {} {} 0 {} "{} http://shop.example.com:80{} {}" "{}" - -"#,
            r.iso(),
            i % 1_000_000,
            r.ip,
            40000 + i % 20000,
            i % 7 + 10,
            r.rt,
            r.status,
            r.status,
            r.bytes,
            r.method,
            r.target,
            r.proto,
            r.ua
        )
    }),
    ("s3", "s3", |r, i| {
        format!(
            r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be shop-assets [{}] {} - {:016X} REST.{}.OBJECT {} "{} /shop-assets{} {}" {} - {} {} {} {} "{}" "{}" - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader shop-assets.s3.us-west-1.amazonaws.com TLSV1.2 - -"#,
            r.time,
            r.ip,
            i,
            r.method,
            key(r.target),
            r.method,
            r.target,
            r.proto,
            r.status,
            r.bytes,
            r.bytes,
            r.ms,
            r.ms.saturating_sub(1),
            r.referer,
            r.ua
        )
    }),
    ("haproxy", "haproxy", |r, i| {
        format!(
            r#"Mar 10 {} lb1 haproxy[1234]: {}:{} [{}.{:03}] www-https~ shop/web1 0/0/1/{}/{} {} {} - - ---- 3/3/1/1/0 0/0 {{shop.example.com}} "{} {} {}""#,
            &r.time[12..20],
            r.ip,
            40000 + i % 20000,
            &r.time[..20],
            i % 1000,
            r.ms.saturating_sub(1),
            r.ms,
            r.status,
            r.bytes,
            r.method,
            r.target,
            r.proto
        )
    }),
    ("envoy", "envoy", |r, i| {
        format!(
            r#"[{}.{:03}Z] "{} {} {}" {} - 0 {} {} {} "{}" "{}" "{:08x}-cf5c-432b-8c7e-98aeb7988cd2" "shop.example.com" "10.0.2.1:8080""#,
            r.iso(),
            i % 1000,
            r.method,
            r.target,
            r.proto,
            r.status,
            r.bytes,
            r.ms,
            r.ms.saturating_sub(1),
            r.ip,
            r.ua,
            i
        )
    }),
    ("traefik_clf", "traefik_clf", |r, i| {
        format!(
            r#"{} - - [{}] "{} {} {}" {} {} "{}" "{}" {} "shop@docker" "http://172.17.0.2:8080" {}ms"#,
            r.ip,
            r.time,
            r.method,
            r.target,
            r.proto,
            r.status,
            r.bytes,
            r.referer,
            r.ua,
            i + 1,
            r.ms
        )
    }),
    ("ingress_nginx", "ingress_nginx", |r, i| {
        format!(
            r#"{} - - [{}] "{} {} {}" {} {} "{}" "{}" {} {} [default-shop-80] [] 10.244.0.7:8080 {} {} {} {:032x}"#,
            r.ip,
            r.time,
            r.method,
            r.target,
            r.proto,
            r.status,
            r.bytes,
            r.referer,
            r.ua,
            200 + i % 500,
            r.rt,
            r.bytes,
            r.rt,
            r.status,
            i
        )
    }),
    ("json (cloudflare)", "json", |r, i| {
        format!(
            r#"{{"ClientIP":"{}","ClientRequestHost":"shop.example.com","ClientRequestMethod":"{}","ClientRequestURI":"{}","EdgeResponseBytes":{},"EdgeResponseStatus":{},"EdgeStartTimestamp":"{}Z","EdgeTimeToFirstByteMs":{},"OriginResponseDurationMs":{},"RayID":"{:016x}"}}"#,
            r.ip,
            r.method,
            r.target,
            r.bytes,
            r.status,
            r.iso(),
            r.ms,
            r.ms.saturating_sub(1),
            i
        )
    }),
    ("json (gcp)", "json", |r, _| {
        format!(
            r#"{{"httpRequest":{{"latency":"{}s","remoteIp":"{}","requestMethod":"{}","requestUrl":"https://shop.example.com{}","responseSize":"{}","status":{},"userAgent":"{}"}},"logName":"projects/shop/logs/requests","severity":"INFO","timestamp":"{}.123456Z"}}"#,
            r.rt,
            r.ip,
            r.method,
            r.target,
            r.bytes,
            r.status,
            r.ua,
            r.iso()
        )
    }),
];

/// Best and median of `passes` timings of `f`, and what it counted.
fn time<F: FnMut() -> u64>(passes: usize, mut f: F) -> (f64, f64, u64) {
    let mut ts = Vec::with_capacity(passes);
    let mut check = 0;
    for _ in 0..passes {
        let t = Instant::now();
        check = f();
        ts.push(t.elapsed().as_secs_f64());
    }
    ts.sort_by(f64::total_cmp);
    (ts[0], ts[ts.len() / 2], check)
}

/// 1 MiB blocks of whole lines, as the batch reader cuts them.
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

fn main() {
    let args = Args::parse(&SPEC);
    let path = args.log();
    let passes = args.get::<usize>("passes").max(1);
    let only: String = args.get("only");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| util::args::die(format!("{}: {e}", path.display())));
    let reqs: Vec<Req> = text.lines().filter_map(Req::parse).collect();
    println!(
        "{}: {} requests, best and median of {passes}, one core",
        path.display(),
        reqs.len()
    );
    println!(
        "{:<18} {:>6} {:>11} {:>11} {:>7} {:>11} {:>11} {:>7} {:>9}",
        "format",
        "B/line",
        "lines best",
        "median",
        "ratio",
        "blocks best",
        "median",
        "ratio",
        "via index"
    );
    let mut base: Option<(f64, f64)> = None;
    for (name, spec, print) in ROWS {
        if *name != "combined" && only != "all" && !only.split(',').any(|o| o == *name) {
            continue;
        }
        let mut data = String::with_capacity(reqs.len() * 300);
        for (i, r) in reqs.iter().enumerate() {
            data.push_str(&print(r, i));
            data.push('\n');
        }
        let data = data.into_bytes();
        let lines: Vec<&[u8]> = data
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let format =
            Format::compile(&FormatSpec::parse(spec).expect("spec"), &[]).expect("compiles");
        let mut scratch = Scratch::default();
        let (lb, lm, ok) = time(passes, || {
            let mut c = 0;
            for l in &lines {
                c += format.parse(l, &mut scratch).is_ok() as u64;
            }
            c
        });
        // Every line must parse: a row that times errors measures nothing.
        assert_eq!(ok, lines.len() as u64, "{name}: every line parses");
        let blocks = blocks(&data);
        let mut marks = Marks::default();
        // As `run/once.rs` `parse_block` does: through the block's index
        // when the format reads it, else lines cut by memchr; for the
        // latter, the indexed path too, in the last column (what skipping
        // the index saves).
        let mut by_index = |indexed: bool| {
            time(passes, || {
                let mut c = 0;
                for b in &blocks {
                    if !indexed {
                        for l in scan::lines(b) {
                            c += format.parse_scan(l, &mut scratch, Plain).is_ok() as u64;
                        }
                        continue;
                    }
                    marks.index(b);
                    for (s, e) in marks.lines() {
                        c += format
                            .parse_scan(&b[s..e], &mut scratch, marks.at(s))
                            .is_ok() as u64;
                    }
                }
                c
            })
        };
        let indexed = format.reads_block_index();
        let (bb, bm, ok) = by_index(indexed);
        let via_index = (!indexed).then(|| by_index(true).0);
        assert_eq!(ok, lines.len() as u64, "{name}: every line parses");
        let (l0, b0) = *base.get_or_insert((lb, bb));
        let n = lines.len() as f64 / 1e6;
        let via = via_index.map_or(String::new(), |t| format!("{:>8.2}x", t / b0));
        println!(
            "{:<18} {:>6} {:>7.2} M/s {:>7.2} M/s {:>6.2}x {:>7.2} M/s {:>7.2} M/s {:>6.2}x{via}",
            name,
            data.len() / lines.len(),
            n / lb,
            n / lm,
            lb / l0,
            n / bb,
            n / bm,
            bb / b0
        );
    }
}
