//! Regression: with several workers, which routes `--once` admitted under
//! the cap depended on which worker reached its block first, so the same
//! file gave a different report from run to run (the 100 000-route
//! benchmark file: ~80 requests moved between `(overflow)` and named
//! routes). Routes must be admitted in input order, as one thread reading
//! the file would, whatever `-j`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use routetop::input::BLOCK;
use serde_json::Value;

fn routetop(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("run routetop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn line(route: &str) -> String {
    format!(
        "1.1.1.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /{route} HTTP/1.1\" 200 1 \"-\" \"-\" 0.001\n"
    )
}

#[test]
fn routes_under_the_cap_are_the_first_in_the_input_at_any_j() {
    // Lines of one length, so every block holds `per_block` whole lines.
    // Each block starts and ends with new routes: a worker on a later block
    // meets its first new routes while the worker on the block before has
    // not yet reached its last ones.
    let per_block = BLOCK / line("common-ok").len();
    let blocks = 12;
    let cap = 40;
    let mut text = String::new();
    let mut first_seen: Vec<String> = vec!["/common-ok".into()];
    let mut count = std::collections::HashMap::<String, u64>::new();
    for i in 0..per_block * blocks {
        let at = i % per_block;
        let route = if i > 0 && (at < 3 || at >= per_block - 3) {
            format!("n{i:07}x")
        } else {
            "common-ok".to_string()
        };
        let name = format!("/{route}");
        if !count.contains_key(&name) && name != "/common-ok" {
            first_seen.push(name.clone());
        }
        *count.entry(name).or_default() += 1;
        text.push_str(&line(&route));
    }
    assert_eq!(text.len(), line("common-ok").len() * per_block * blocks);
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("order.log");
    std::fs::write(&path, &text).unwrap();

    let admitted: BTreeSet<&str> = first_seen[..cap].iter().map(String::as_str).collect();
    let folded = &first_seen[cap..];
    let folded_requests: u64 = folded.iter().map(|n| count[n]).sum();
    let run = |j: &str| {
        routetop(&[
            "--once",
            "-o",
            "json",
            "-j",
            j,
            "--max-routes",
            &cap.to_string(),
            path.to_str().unwrap(),
        ])
    };
    let one = run("1");
    let r: Value = serde_json::from_slice(&one).unwrap();
    let got: BTreeSet<&str> = r["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .filter(|&n| n != "(overflow)")
        .collect();
    assert_eq!(got, admitted);
    let o = &r["overflow"];
    assert_eq!(o["folded_routes"], folded.len() as u64);
    assert_eq!(o["requests"], folded_requests);
    assert_eq!(
        r["totals"]["requests"],
        (per_block * blocks) as u64,
        "every line counted"
    );
    // Byte for byte the same report, run after run, at any -j.
    for j in ["2", "2", "2", "3", "4"] {
        assert!(run(j) == one, "-j{j} differs from -j1");
    }
}

/// Past the cap on keys (64 per route allowed, at least 1 024), new
/// (route, method, status) combinations fold into `(overflow)`; the report
/// said "route cap reached: 0 more routes folded" for them, as if the
/// route cap had done it.
#[test]
fn the_key_cap_is_reported_as_itself() {
    let mut text = String::new();
    for _ in 0..2 {
        for method in ["GET", "POST"] {
            for status in 100..1000 {
                text.push_str(&format!(
                    "1.1.1.1 - - [10/Mar/2024:00:00:00 +0000] \"{method} /a HTTP/1.1\" {status} 1 \"-\" \"-\" 0.001\n"
                ));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.log");
    std::fs::write(&path, &text).unwrap();
    let path = path.to_str().unwrap();
    // 1 800 keys, of which the first 1 024 are kept: the other 776 fold,
    // on both passes.
    let folded = 2 * (1800 - 1024);
    let table = String::from_utf8(routetop(&["--once", "--max-routes", "16", path])).unwrap();
    assert!(
        table.ends_with(&format!(
            "\n\nkey cap reached: {folded} requests of further (route, method, status) combinations counted under (overflow)\n"
        )),
        "{table}"
    );
    assert!(!table.contains("route cap"), "{table}");
    let r: Value = serde_json::from_slice(&routetop(&[
        "--once",
        "-o",
        "json",
        "--max-routes",
        "16",
        path,
    ]))
    .unwrap();
    assert_eq!(r["overflow"]["requests"], folded);
    assert_eq!(r["overflow"]["folded_routes"], 0);
    assert_eq!(r["totals"]["requests"], 3600);
}

/// Several files are read at once (each worker decompressing its own): a
/// worker on a later file that meets new routes reads on and admits them
/// once the earlier files are done. Routes under the cap must still be the
/// first in input order — the files in order, oldest first — as `-j1`
/// reading one file after the other admits them, at any `-j`.
#[test]
fn routes_under_the_cap_follow_input_order_across_files_read_at_once() {
    use std::io::Write;
    let per_block = BLOCK / line("common-ok").len();
    const LETTERS: [&str; 4] = ["a", "b", "c", "d"];
    let (files, blocks, cap) = (4, 3, 45);
    let dir = tempfile::tempdir().unwrap();
    let mut first_seen: Vec<String> = vec!["/common-ok".into()];
    let mut count = std::collections::HashMap::<String, u64>::new();
    // Read order: access.log.4.gz first, access.log.1.gz last.
    for f in 0..files {
        let mut text = String::new();
        for i in 0..per_block * blocks {
            let at = i % per_block;
            let route = if at < 3 || at >= per_block - 3 {
                format!("n{f}{i:05}x")
            } else if i == per_block {
                // A route this file brings, seen again in the next.
                format!("shared{}", LETTERS[f])
            } else if i == per_block + 1 && f > 0 {
                format!("shared{}", LETTERS[f - 1])
            } else {
                "common-ok".to_string()
            };
            let name = format!("/{route}");
            if !count.contains_key(&name) && name != "/common-ok" {
                first_seen.push(name.clone());
            }
            *count.entry(name).or_default() += 1;
            text.push_str(&line(&route));
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let path = dir.path().join(format!("access.log.{}.gz", files - f));
        std::fs::write(path, gz.finish().unwrap()).unwrap();
    }
    assert!(first_seen.len() > cap + 10, "the cap is reached mid-set");
    let admitted: BTreeSet<&str> = first_seen[..cap].iter().map(String::as_str).collect();
    let folded = &first_seen[cap..];
    let folded_requests: u64 = folded.iter().map(|n| count[n]).sum();
    let glob = format!("{}/access.log*", dir.path().to_str().unwrap());
    let run = |j: &str| {
        routetop(&[
            "--once",
            "-o",
            "json",
            "-j",
            j,
            "--max-routes",
            &cap.to_string(),
            &glob,
        ])
    };
    let one = run("1");
    let r: Value = serde_json::from_slice(&one).unwrap();
    let got: BTreeSet<&str> = r["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .filter(|&n| n != "(overflow)")
        .collect();
    assert_eq!(got, admitted);
    assert_eq!(r["overflow"]["folded_routes"], folded.len() as u64);
    assert_eq!(r["overflow"]["requests"], folded_requests);
    assert_eq!(
        r["totals"]["requests"],
        (per_block * blocks * files) as u64,
        "every line counted"
    );
    for j in ["2", "2", "2", "3", "4", "4"] {
        assert!(run(j) == one, "-j{j} differs from -j1");
    }
}
