//! Engine tests: counts and percentiles through the real parse → route →
//! aggregate path.

use std::sync::{Arc, Mutex};

use super::summary::Summary;
use super::{BatchShard, DEFAULT_BUCKETS, EngineConfig, Finished, LinePos, LiveShard, Registry};
use crate::format::scan::Plain;
use crate::format::{Format, FormatSpec};
use crate::route::Router;

/// Lines spread over 4 routes × 400 statuses (1 600 keys, enough for the
/// summary to split its work across threads); the first keys get more than
/// an exact list holds, so they become HDR histograms.
fn lines() -> Vec<String> {
    let mut v = Vec::new();
    for (r, route) in ["/a", "/b", "/c", "/d"].iter().enumerate() {
        for status in 200..600u32 {
            let n = if status < 203 { 700 } else { 3 };
            for i in 0..n {
                let secs = (i * 7 + status as usize + r * 13) % 997;
                v.push(format!(
                    "10.0.0.1 - - [10/Mar/2024:00:00:{:02} +0000] \"GET {route}?q={i} HTTP/1.1\" {status} {i} \"-\" \"ua\" {}.{:03}",
                    i % 60,
                    secs / 100,
                    secs % 1000
                ));
            }
        }
    }
    v
}

/// A batch shard that counted `lines` as one block, finished (settled,
/// folded routes reported).
fn shard(reg: &Arc<Mutex<Registry>>, lines: &[String], format: &Format) -> Finished {
    let cfg = EngineConfig::new(2000, 1 << 20, &DEFAULT_BUCKETS);
    let router = Arc::new(Router::new(&[], true).unwrap());
    let mut s = BatchShard::new(&cfg, reg.clone(), router);
    for (i, l) in lines.iter().enumerate() {
        let pos = LinePos {
            seq: 0,
            local: i as u64,
        };
        s.block_line(0, format, l.as_bytes(), pos, Plain);
    }
    if s.end_block() {
        s.admit();
    }
    s.finish()
}

/// A batch run's workers are summarised without being merged first: the
/// summary of two shards, on two threads, must equal that of one shard that
/// saw every line.
#[test]
fn summary_of_shards_equals_summary_of_all_lines() {
    let format = Format::compile(&FormatSpec::parse("combined_rt").unwrap(), &[]).unwrap();
    let all = lines();
    let reg = Arc::new(Mutex::new(Registry::new(2000)));
    let whole = shard(&reg, &all, &format);
    let (even, odd): (Vec<_>, Vec<_>) = all
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let strip = |v: Vec<(usize, String)>| v.into_iter().map(|(_, l)| l).collect::<Vec<_>>();
    let a = shard(&reg, &strip(even), &format);
    let b = shard(&reg, &strip(odd), &format);
    assert_eq!(whole.agg.entries.len(), 1600);
    let r = reg.lock().unwrap();
    let one = Summary::build(&[&whole.agg], &r, 1);
    let two = Summary::build(&[&a.agg, &b.agg], &r, 2);
    assert_eq!(one.entries.len(), 1600);
    assert_eq!(one.totals.requests, all.len() as u64);
    assert!(one.entries.iter().any(|e| e.row.requests == 700));
    assert_eq!(one, two);
    // And the merged aggregate (what `--push` snapshots) holds the same keys.
    let merged = super::Aggregates::merged(&[a.agg, b.agg]);
    assert_eq!(Summary::build(&[&merged], &r, 3), one);
}

/// Once the route table is full, a shard folds unknown names itself (no
/// registry lock per line); the registered routes must still get their own
/// ids, and the distinct folded names must still be counted exactly, across
/// shards and names seen before and after the table filled.
#[test]
fn folding_without_the_lock_keeps_routes_and_distinct_counts() {
    let format = Format::compile(&FormatSpec::parse("combined_rt").unwrap(), &[]).unwrap();
    let line = |r: usize| {
        format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /r{r}x HTTP/1.1\" 200 1 \"-\" \"ua\" 0.001"
        )
    };
    // Routes 0..5 fill the table (cap 5); 5..40 overflow. Every route is
    // seen three times, interleaved, and by both shards.
    let all: Vec<String> = (0..3).flat_map(|_| (0..40).map(line)).collect();
    let reg = Arc::new(Mutex::new(Registry::new(5)));
    // Fewer new names than a report batch: they reach the registry's count
    // when the shard finishes (a batch worker's does when its input ends).
    let a = shard(&reg, &all[..60], &format);
    let b = shard(&reg, &all[60..], &format);
    let r = reg.lock().unwrap();
    assert_eq!(r.routes.len(), 5);
    assert_eq!(r.routes.folded(), (35, false));
    let s = Summary::build(&[&a.agg, &b.agg], &r, 1);
    assert_eq!(s.overflow.requests, 35 * 3);
    assert_eq!(s.overflow.folded_routes, 35);
    for i in 0..5 {
        let name = format!("/r{i}x");
        let row = s.routes.iter().find(|x| *x.route == *name).unwrap();
        assert_eq!(row.row.requests, 3, "{name}");
    }
}

/// A path that is its own route skips templating on later lines, but only
/// when it was seen to be its own route under the current rules: here a
/// rule writes `/b/1`, which as a request path templates to `/b/:id`, and
/// after the rules change `/keep/1` stops being its own route.
#[test]
fn paths_skip_templating_only_when_they_are_their_own_route() {
    let format = Format::compile(&FormatSpec::parse("combined_rt").unwrap(), &[]).unwrap();
    let line = |path: &str| {
        format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET {path} HTTP/1.1\" 200 1 \"-\" \"ua\" 0.001"
        )
    };
    let rules = |specs: &[&str]| {
        let rules: Vec<_> = specs.iter().map(|s| s.parse().unwrap()).collect();
        Arc::new(Router::new(&rules, true).unwrap())
    };
    let reg = Arc::new(Mutex::new(Registry::new(100)));
    let cfg = EngineConfig::new(100, 1 << 20, &DEFAULT_BUCKETS);
    let mut s = LiveShard::new(
        &cfg,
        reg.clone(),
        rules(&["^/a/.*$=/b/1", "^/keep/1$=/keep/1"]),
    );
    let route_of = |s: &mut LiveShard, path: &str| {
        let ing = s
            .line(0, &format, line(path).as_bytes(), LinePos::default())
            .unwrap();
        reg.lock().unwrap().routes.name(ing.key.route).to_string()
    };
    for _ in 0..2 {
        assert_eq!(route_of(&mut s, "/a/x"), "/b/1");
        assert_eq!(route_of(&mut s, "/b/1"), "/b/:id");
        assert_eq!(route_of(&mut s, "/keep/1?q=2"), "/keep/1");
        assert_eq!(route_of(&mut s, "/static/app.js"), "/static/app.js");
        // A gRPC path seen bare first, then with a query string.
        let grpc = "/svc.v1.Users2024Service/GetUser";
        assert_eq!(route_of(&mut s, grpc), grpc);
        assert_eq!(route_of(&mut s, &format!("{grpc}?a=1")), grpc);
    }
    s.set_router(rules(&[]));
    for _ in 0..2 {
        assert_eq!(route_of(&mut s, "/keep/1"), "/keep/:id");
        assert_eq!(route_of(&mut s, "/static/app.js"), "/static/app.js");
    }
}

/// Past the cap, a path that folded folds again, and is counted once;
/// after the rules change it is routed afresh.
#[test]
fn folded_paths_fold_again_until_the_rules_change() {
    let format = Format::compile(&FormatSpec::parse("combined_rt").unwrap(), &[]).unwrap();
    let reg = Arc::new(Mutex::new(Registry::new(1)));
    let cfg = EngineConfig::new(100, 1 << 20, &DEFAULT_BUCKETS);
    let router = |specs: &[&str]| {
        let rules: Vec<_> = specs.iter().map(|s| s.parse().unwrap()).collect();
        Arc::new(Router::new(&rules, true).unwrap())
    };
    let mut s = LiveShard::new(&cfg, reg.clone(), router(&[]));
    let route_of = |s: &mut LiveShard, path: &str| {
        let line = format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET {path} HTTP/1.1\" 200 1 \"-\" \"ua\" 0.001"
        );
        let ing = s
            .line(0, &format, line.as_bytes(), LinePos::default())
            .unwrap();
        reg.lock().unwrap().routes.name(ing.key.route).to_string()
    };
    assert_eq!(route_of(&mut s, "/a/1"), "/a/:id");
    for _ in 0..3 {
        assert_eq!(route_of(&mut s, "/b/2"), "(overflow)");
        assert_eq!(route_of(&mut s, "/b/3?x"), "(overflow)");
        assert_eq!(route_of(&mut s, "/c/x"), "(overflow)");
    }
    s.set_router(router(&["^/c/x$=/a/:id"]));
    assert_eq!(route_of(&mut s, "/c/x"), "/a/:id");
    assert_eq!(route_of(&mut s, "/b/2"), "(overflow)");
    s.set_router(router(&[]));
    assert_eq!(route_of(&mut s, "/c/x"), "(overflow)");
    s.read();
    assert_eq!(reg.lock().unwrap().routes.folded(), (2, false));
}

/// Backends and hosts counted by two batch shards (routes admitted in
/// turns, lines of unadmitted routes moved on admission) add up to what
/// one shard of every line counts, past the cap too.
#[test]
fn facets_of_shards_equal_facets_of_all_lines() {
    let spec = FormatSpec::parse(
        "$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent $host $upstream_addr $request_time",
    )
    .unwrap();
    let format = Format::compile(&spec, &[]).unwrap();
    let all: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                "10.0.0.1 - - [10/Mar/2024:00:00:{:02} +0000] \"GET /r{}/x HTTP/1.1\" {} 1 h{}.example 10.2.0.{}:80 0.{:03}",
                i % 60,
                i % 50,
                [200, 503][i % 2],
                i % 5,
                i % 300,
                i % 1000
            )
        })
        .collect();
    let summary = |parts: &[&[String]]| {
        let reg = Arc::new(Mutex::new(Registry::new(2000)));
        let shards: Vec<Finished> = parts.iter().map(|p| shard(&reg, p, &format)).collect();
        let r = reg.lock().unwrap();
        let aggs: Vec<&super::Aggregates> = shards.iter().map(|s| &s.agg).collect();
        Summary::build(&aggs, &r, 1).facets
    };
    let whole = summary(&[&all]);
    let (a, b) = all.split_at(777);
    assert_eq!(summary(&[b, a]), whole);
    let backends = whole.kind(super::facet::FacetKind::Backend);
    assert_eq!((backends.totals.len(), backends.folded), (201, 100));
    let hosts = whole.kind(super::facet::FacetKind::Host);
    assert_eq!(hosts.route("/r3/x").len(), 1, "route 3's lines are host h3");
    assert_eq!(hosts.route("/r3/x")[0].counts.requests, 40);
    assert_eq!(hosts.route("/r3/x")[0].counts.errors_5xx, 40);
}

/// Which custom methods get a place under the method table's cap must not
/// depend on which worker parsed which block first: a later block parsed
/// first holds its new methods until the earlier block is admitted, as a
/// later block's new routes wait. Block 1 brings 15 new methods, block 2
/// 15 others (room for 21 besides the standard ones): block 1's all get a
/// place, and block 2's first 6, in the order of their first lines, as a
/// single reader gives them; the rest are `OTHER`. Some of block 2's lines
/// also have a route not yet admitted.
#[test]
fn methods_are_admitted_in_input_order_whichever_block_is_parsed_first() {
    let format = Format::compile(&FormatSpec::parse("combined_rt").unwrap(), &[]).unwrap();
    let line = |method: &str, path: &str| {
        format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"{method} {path} HTTP/1.1\" 200 1 \"-\" \"ua\" 0.001"
        )
    };
    // `MA`, `MB`, …: methods are letters.
    let name = |prefix: &str, i: u8| format!("{prefix}{}", char::from(b'A' + i));
    let block = |prefix: &str, path: &str| -> Vec<String> {
        (0..15)
            .flat_map(|i| {
                [
                    line(&name(prefix, i), path),
                    line("GET", "/common"),
                    line(&name(prefix, i), "/common"),
                ]
            })
            .collect()
    };
    let (first, second) = (block("M", "/common"), block("N", "/later"));
    let cfg = EngineConfig::new(100, 1 << 20, &DEFAULT_BUCKETS);
    let reg = Arc::new(Mutex::new(Registry::new(100)));
    let router = Arc::new(Router::new(&[], true).unwrap());
    let parse = |s: &mut BatchShard, lines: &[String], seq: u32| {
        for (i, l) in lines.iter().enumerate() {
            let pos = LinePos {
                seq,
                local: i as u64,
            };
            s.block_line(0, &format, l.as_bytes(), pos, Plain);
        }
        s.end_block()
    };
    let mut a = BatchShard::new(&cfg, reg.clone(), router.clone());
    let mut b = BatchShard::new(&cfg, reg.clone(), router);
    // The later block is parsed first; admission follows input order.
    assert!(parse(&mut b, &second, 1), "block 2 awaits admission");
    assert!(parse(&mut a, &first, 0), "block 1 awaits admission");
    a.admit();
    b.admit();
    let (a, b) = (a.finish(), b.finish());
    let r = reg.lock().unwrap();
    let s = Summary::build(&[&a.agg, &b.agg], &r, 1);
    let count = |method: &str, route: &str| -> u64 {
        s.entries
            .iter()
            .filter(|e| &*e.method == method && &*e.route == route)
            .map(|e| e.row.requests)
            .sum()
    };
    for i in 0..15 {
        assert_eq!(count(&name("M", i), "/common"), 2, "{}", name("M", i));
    }
    for i in 0..6 {
        assert_eq!(count(&name("N", i), "/later"), 1, "{}", name("N", i));
        assert_eq!(count(&name("N", i), "/common"), 1, "{}", name("N", i));
    }
    for i in 6..15 {
        assert_eq!(count(&name("N", i), "/later"), 0, "{}", name("N", i));
    }
    assert_eq!(count("OTHER", "/later"), 9);
    assert_eq!(count("OTHER", "/common"), 9);
    assert_eq!(count("GET", "/common"), 30);
    assert_eq!(s.totals.requests, 90);
}
