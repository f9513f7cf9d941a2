//! Per-stage throughput of the hot path on one core: parse only (line by
//! line, and through a block's structural index as batch runs do), parse +
//! route, and the full ingest (index, parse, route, aggregate with HDR). Min of
//! several passes over the same in-memory lines, so the figure is stable on
//! a shared machine.
//!
//! ```text
//! python3 ../shared/genlog.py --lines 1000000 --format combined_rt -o /tmp/access.log
//! cargo bench --bench stages -- /tmp/access.log [FORMAT]
//! ```

use std::sync::Arc;
use std::time::Instant;

use routetop::engine::{DEFAULT_BUCKETS, EngineConfig, LinePos, Shard};
use routetop::format::detect::detect;
use routetop::format::scan::Marks;
use routetop::format::{Format, FormatSpec, Scratch};
use routetop::input::BLOCK;
use routetop::route::Router;

fn best<F: FnMut() -> u64>(passes: usize, mut f: F) -> (f64, u64) {
    let mut best = f64::MAX;
    let mut check = 0;
    for _ in 0..passes {
        let t = Instant::now();
        check = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, check)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let path = args
        .first()
        .cloned()
        .unwrap_or_else(|| "/tmp/access.log".into());
    let data = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (generate it with ../shared/genlog.py)"));
    let lines: Vec<&[u8]> = data
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let format: Format = match args.get(1) {
        Some(f) => Format::compile(&FormatSpec::parse(f).unwrap(), &[]).unwrap(),
        None => {
            detect(&lines[..lines.len().min(64)], &[])
                .expect("detectable")
                .format
        }
    };
    // STAGE=parse|route|aggregate runs only that stage (for profiling).
    let only = std::env::var("STAGE").ok();
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let n = lines.len() as f64;
    let mb = data.len() as f64 / 1e6;
    println!(
        "{} lines, {:.0} MB, format {}",
        lines.len(),
        mb,
        format.name()
    );

    let (t, ok) = best(5, || {
        let mut c = 0;
        for l in &lines {
            c += memchr::memchr(b'\n', l).is_none() as u64;
        }
        c
    });
    if run("scan") {
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} MB/s  ({ok})",
            "scan lines (reference)",
            n / t / 1e6,
            mb / t
        );
    }

    let mut scratch = Scratch::default();
    if run("parse") {
        let (t, ok) = best(5, || {
            let mut c = 0;
            for l in &lines {
                c += format.parse(l, &mut scratch).is_ok() as u64;
            }
            c
        });
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} MB/s  ({ok} parsed)",
            "parse (line by line)",
            n / t / 1e6,
            mb / t
        );
    }

    // Cut like the batch reader's blocks: 1 MiB, after a newline.
    let blocks: Vec<&[u8]> = {
        let mut v = Vec::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let cut = match memchr::memrchr(b'\n', &rest[..rest.len().min(BLOCK)]) {
                Some(i) if rest.len() > BLOCK => i + 1,
                _ => rest.len().min(BLOCK),
            };
            v.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        v
    };
    let mut marks = Marks::default();
    if run("parse-blocks") {
        let (t, ok) = best(5, || {
            let mut c = 0;
            for b in &blocks {
                marks.index(b);
                for (s, e) in marks.lines() {
                    let l = &b[s..e];
                    c += (!l.is_empty() && format.parse_scan(l, &mut scratch, marks.at(s)).is_ok())
                        as u64;
                }
            }
            c
        });
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} MB/s  ({ok} parsed)",
            "index blocks + parse",
            n / t / 1e6,
            mb / t
        );
    }

    let router = Router::new(&[], true).unwrap();
    let mut buf = Vec::new();
    if run("route") {
        let (t, ok) = best(5, || {
            let mut c = 0;
            for l in &lines {
                if let Ok(r) = format.parse(l, &mut scratch) {
                    router.route(r.target, &mut buf);
                    c += buf.len() as u64;
                }
            }
            c
        });
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} MB/s  ({ok})",
            "parse + route",
            n / t / 1e6,
            mb / t
        );
    }

    if run("route-only") {
        // Targets extracted first: the templating alone.
        let targets: Vec<Vec<u8>> = lines
            .iter()
            .filter_map(|l| {
                format
                    .parse(l, &mut scratch)
                    .ok()
                    .map(|r| r.target.to_vec())
            })
            .collect();
        let (t, ok) = best(5, || {
            let mut c = 0;
            for t in &targets {
                router.route(t, &mut buf);
                c += buf.len() as u64;
            }
            c
        });
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} ns/line  ({ok})",
            "route only",
            n / t / 1e6,
            t / n * 1e9
        );
    }

    let cfg = EngineConfig::new(2000, 64 * 1024, &DEFAULT_BUCKETS);
    let router = Arc::new(router);
    if run("aggregate") {
        let (t, ok) = best(5, || {
            let mut shard = Shard::batch(&cfg, cfg.registry(), router.clone());
            // As a batch worker does: block by block, through the index.
            for (seq, b) in blocks.iter().enumerate() {
                marks.index(b);
                for (i, (s, e)) in marks.lines().enumerate() {
                    let pos = LinePos {
                        seq: seq as u32,
                        local: i as u64,
                    };
                    shard.block_line(0, &format, &b[s..e], pos, marks.at(s));
                }
                // One worker: every earlier block is always done.
                if shard.end_block() {
                    shard.admit();
                }
            }
            // Part of the work: a batch worker does this when its input ends.
            let done = shard.finish();
            if std::env::var_os("MEM").is_some() {
                let big = done
                    .agg
                    .entries
                    .iter()
                    .filter(|e| matches!(e.stats.latency.hist, routetop::engine::Hist::Big(_)))
                    .count();
                println!(
                    "keys {} (HDR {big}), aggregates {:.1} MiB",
                    done.agg.entries.len(),
                    done.agg.heap_bytes() as f64 / (1 << 20) as f64
                );
            }
            done.agg.entries.len() as u64
        });
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} MB/s  ({ok} keys)",
            "parse + route + aggregate",
            n / t / 1e6,
            mb / t
        );
    }
}
