//! Each format's parser on the same requests, single-threaded, beside the
//! `combined` preset in the same run: genlog's combined_rt lines (seed 1)
//! re-printed in every layout in memory, then parsed line by line and
//! block by block as `--once` workers do (through the block's structural
//! index when the format reads it: `Format::reads_block_index`). Best and
//! median of several passes. Each row's passes alternate with `combined`'s
//! (combined lines, the row's lines, combined blocks, the row's blocks),
//! and its ratios are to `combined`'s best among them: on a shared machine
//! whose load changes by the minute, a ratio of timings taken minutes
//! apart (every row against one `combined` run at the start) moved by
//! ±10 % between runs of the same binary.
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

/// Best and median of timings, and what the timed closure counted.
struct Timed {
    best: f64,
    median: f64,
    count: u64,
}

impl Timed {
    fn of(mut ts: Vec<f64>, count: u64) -> Timed {
        ts.sort_by(f64::total_cmp);
        Timed {
            best: ts[0],
            median: ts[ts.len() / 2],
            count,
        }
    }
}

/// Times one pass of `f`: seconds, and what it counted.
fn pass<F: FnMut() -> u64>(mut f: F) -> (f64, u64) {
    let t = Instant::now();
    let c = f();
    (t.elapsed().as_secs_f64(), c)
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

/// One row's lines in memory, and its parser.
struct Row {
    data: Vec<u8>,
    format: Format,
    /// The format reads the block's index (`Format::reads_block_index`).
    indexed: bool,
}

impl Row {
    fn new(reqs: &[Req], spec: &str, print: Print) -> Row {
        let mut data = String::with_capacity(reqs.len() * 300);
        for (i, r) in reqs.iter().enumerate() {
            data.push_str(&print(r, i));
            data.push('\n');
        }
        let format =
            Format::compile(&FormatSpec::parse(spec).expect("spec"), &[]).expect("compiles");
        let indexed = format.reads_block_index();
        Row {
            data: data.into_bytes(),
            format,
            indexed,
        }
    }

    fn lines(&self) -> Vec<&[u8]> {
        self.data
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Parses `lines` one by one: how many parsed.
    fn parse_lines(&self, lines: &[&[u8]], scratch: &mut Scratch) -> u64 {
        let mut c = 0;
        for l in lines {
            c += self.format.parse(l, scratch).is_ok() as u64;
        }
        c
    }

    /// Parses `blocks` as `run/once.rs` `parse_block` does: through the
    /// block's index when `indexed`, else lines cut by memchr.
    fn parse_blocks(
        &self,
        blocks: &[&[u8]],
        indexed: bool,
        marks: &mut Marks,
        scratch: &mut Scratch,
    ) -> u64 {
        let mut c = 0;
        for b in blocks {
            if !indexed {
                for l in scan::lines(b) {
                    c += self.format.parse_scan(l, scratch, Plain).is_ok() as u64;
                }
                continue;
            }
            marks.index(b);
            for (s, e) in marks.lines() {
                c += self
                    .format
                    .parse_scan(&b[s..e], scratch, marks.at(s))
                    .is_ok() as u64;
            }
        }
        c
    }
}

/// A row's timings: lines, blocks (as `--once` reads them), and, for a
/// format that skips the block index, blocks through the index.
struct Times {
    lines: Timed,
    blocks: Timed,
    via_index: Option<Timed>,
}

/// Times `row` and `base` (combined) in turn, pass by pass, so that both
/// see the same state of a shared machine: the ratios compare timings
/// taken seconds apart, not a row's against `combined`'s of minutes
/// before. Returns the row's times and `base`'s.
fn alternate(row: &Row, base: &Row, passes: usize) -> (Times, Times) {
    // Each format its own scratch, as each worker's would be.
    let (mut rs, mut bs) = (Scratch::default(), Scratch::default());
    let mut marks = Marks::default();
    let (rl, bl) = (row.lines(), base.lines());
    let (rb, bb) = (blocks(&row.data), blocks(&base.data));
    let mut t: [Vec<f64>; 5] = Default::default();
    let mut counts = [0u64; 5];
    for _ in 0..passes {
        for (k, (ts, count)) in t.iter_mut().zip(&mut counts).enumerate() {
            let (secs, c) = pass(|| match k {
                0 => base.parse_lines(&bl, &mut bs),
                1 => row.parse_lines(&rl, &mut rs),
                2 => base.parse_blocks(&bb, base.indexed, &mut marks, &mut bs),
                3 => row.parse_blocks(&rb, row.indexed, &mut marks, &mut rs),
                _ if row.indexed => 0,
                _ => row.parse_blocks(&rb, true, &mut marks, &mut rs),
            });
            ts.push(secs);
            *count = c;
        }
    }
    let [base_lines, row_lines, base_blocks, row_blocks, via] = t;
    let times = |lines, blocks, i: usize, j: usize, via| Times {
        lines: Timed::of(lines, counts[i]),
        blocks: Timed::of(blocks, counts[j]),
        via_index: via,
    };
    let via = (!row.indexed).then(|| Timed::of(via, counts[4]));
    (
        times(row_lines, row_blocks, 1, 3, via),
        times(base_lines, base_blocks, 0, 2, None),
    )
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
        "{}: {} requests, best and median of {passes}, one core; each row's passes alternate \
         with combined's, and its ratios are to combined's best among them",
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
    let (_, base_spec, base_print) = ROWS[0];
    let base = Row::new(&reqs, base_spec, base_print);
    let n_lines = base.lines().len();
    let row_line = |name: &str, row: &Row, t: &Times, b: &Times| {
        // Every line must parse: a row that times errors measures nothing.
        assert_eq!(t.lines.count, n_lines as u64, "{name}: every line parses");
        assert_eq!(t.blocks.count, n_lines as u64, "{name}: every line parses");
        let n = n_lines as f64 / 1e6;
        let via = t.via_index.as_ref().map_or(String::new(), |v| {
            format!("{:>8.2}x", v.best / b.blocks.best)
        });
        println!(
            "{:<18} {:>6} {:>7.2} M/s {:>7.2} M/s {:>6.2}x {:>7.2} M/s {:>7.2} M/s {:>6.2}x{via}",
            name,
            row.data.len() / n_lines,
            n / t.lines.best,
            n / t.lines.median,
            t.lines.best / b.lines.best,
            n / t.blocks.best,
            n / t.blocks.median,
            t.blocks.best / b.blocks.best
        );
    };
    let mut shown_base = false;
    for (name, spec, print) in &ROWS[1..] {
        if only != "all" && !only.split(',').any(|o| o == *name) {
            continue;
        }
        let row = Row::new(&reqs, spec, *print);
        assert_eq!(row.lines().len(), n_lines, "{name}: one line per request");
        let (t, b) = alternate(&row, &base, passes);
        if !shown_base {
            row_line(ROWS[0].0, &base, &b, &b);
            shown_base = true;
        }
        row_line(name, &row, &t, &b);
    }
    if !shown_base {
        let (_, b) = alternate(&base, &base, passes);
        row_line(ROWS[0].0, &base, &b, &b);
    }
}
