//! Per-stage throughput of the hot path on one core: parse only (line by
//! line, and through a block's structural index as batch runs do), parse +
//! route, and the full ingest (index, parse, route, aggregate with HDR). Min of
//! several passes over the same in-memory lines, so the figure is stable on
//! a shared machine.
//!
//! ```text
//! cargo bench --bench stages                  # 1 M lines combined_rt, 200 routes, seed 1
//! cargo bench --bench stages -- FILE --format combined_rt
//! cargo bench --bench stages -- parse route   # those stages only (e.g. to profile)
//! cargo bench --bench stages -- --data-lines 20000 --passes 1   # quick check
//! ```
//!
//! Without FILE the log is generated on first use into the bench data
//! directory (benches/util/mod.rs). `--mem` (or `MEM=1`) also prints the
//! size of the aggregates.

mod util;

use std::sync::Arc;
use std::time::Instant;

use routetop::engine::{BatchShard, DEFAULT_BUCKETS, EngineConfig, LinePos};
use routetop::format::detect::detect;
use routetop::format::scan::Marks;
use routetop::format::{Format, FormatSpec, Scratch};
use routetop::input::BLOCK;
use routetop::route::Router;
use util::args::{Args, File, Opt, Spec, described, flag, opt};

static SPEC: Spec = Spec {
    name: "stages",
    about: "Per-stage throughput of the hot path on one core (min of several passes).",
    file: File::Log {
        lines: 1_000_000,
        routes: 200,
    },
    modes: &[
        ("scan", "find each line's newline (reference)"),
        ("parse", "parse line by line"),
        (
            "parse-blocks",
            "index 1 MiB blocks, parse through the index",
        ),
        ("route", "parse + route"),
        ("route-only", "route targets extracted beforehand"),
        (
            "aggregate",
            "index + parse + route + aggregate, as a batch worker",
        ),
    ],
    default_modes: &[],
    opts: &[
        described(
            "format",
            "SPEC",
            "detected",
            "routetop format spec (-f) of FILE",
        ),
        opt("passes", "5", "passes per stage; the best is reported"),
        flag("mem", "print the number of keys and the aggregates' size"),
    ] as &[Opt],
};

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
    let args = Args::parse(&SPEC);
    let path = args.log();
    let passes = args.get::<usize>("passes").max(1);
    let data = std::fs::read(&path)
        .unwrap_or_else(|e| util::args::die(format!("{}: {e}", path.display())));
    let lines: Vec<&[u8]> = data
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let format: Format = match args.get_opt::<String>("format") {
        Some(f) => {
            let spec = FormatSpec::parse(&f)
                .unwrap_or_else(|e| util::args::die(format!("--format {f}: {e}")));
            Format::compile(&spec, &[])
                .unwrap_or_else(|e| util::args::die(format!("--format {f}: {e}")))
        }
        None => {
            detect(&lines[..lines.len().min(64)], &[])
                .expect("detectable")
                .format
        }
    };
    let run = |name: &str| args.wants(name);
    let n = lines.len() as f64;
    let mb = data.len() as f64 / 1e6;
    println!(
        "{}: {} lines, {:.0} MB, format {}, best of {passes}",
        path.display(),
        lines.len(),
        mb,
        format.name()
    );

    if run("scan") {
        let (t, ok) = best(passes, || {
            let mut c = 0;
            for l in &lines {
                c += memchr::memchr(b'\n', l).is_none() as u64;
            }
            c
        });
        println!(
            "{:<28} {:>7.2} M lines/s  {:>6.0} MB/s  ({ok})",
            "scan lines (reference)",
            n / t / 1e6,
            mb / t
        );
    }

    let mut scratch = Scratch::default();
    if run("parse") {
        let (t, ok) = best(passes, || {
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
        let (t, ok) = best(passes, || {
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
        let (t, ok) = best(passes, || {
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
        let (t, ok) = best(passes, || {
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
        let (t, ok) = best(passes, || {
            let mut shard = BatchShard::new(&cfg, cfg.registry(), router.clone());
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
            if args.flag("mem") {
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
