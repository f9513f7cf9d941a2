//! End-to-end tests of `routetop --once`: the real binary on the bundled
//! sample logs (exact counts from `sample-logs/expected.json`, computed by
//! `scripts/make-sample-logs.py` independently of routetop), the JSON schema,
//! inputs (stdin, globs), exit codes and hostile input.

mod binary;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::RngAlgorithm;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn routetop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("run routetop")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn expected() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(root().join("sample-logs/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The names of a JSON report's inputs, in order.
fn input_names(r: &Value) -> Vec<&str> {
    r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Every bundled sample, every figure exact.
#[test]
fn sample_logs_give_exact_counts() {
    for (name, exp) in expected() {
        let path = format!("sample-logs/{name}");
        let mut args = vec!["--once", "-o", "json", path.as_str()];
        let spec;
        if let Some(s) = exp.get("format_spec").and_then(Value::as_str) {
            spec = s.to_string();
            args.extend(["-f", spec.as_str()]);
        }
        let r = json_of(&routetop(&args));
        let input = &r["inputs"][0];
        let t = &r["totals"];
        assert_eq!(u(&input["lines"]), u(&exp["lines"]), "{name}: lines");
        // W3C directives; no other sample has any.
        assert_eq!(
            u(&input["header_lines"]),
            exp.get("header_lines").map_or(0, u),
            "{name}: header lines"
        );
        assert_eq!(u(&t["requests"]), u(&exp["requests"]), "{name}: requests");
        assert_eq!(
            u(&input["parse_errors"]),
            u(&exp["parse_errors"]),
            "{name}: parse errors"
        );
        assert_eq!(
            input["errors"], exp["errors_by_reason"],
            "{name}: errors by reason"
        );
        assert_eq!(u(&t["status"]["5xx"]), u(&exp["status_5xx"]), "{name}: 5xx");
        assert_eq!(u(&t["status"]["4xx"]), u(&exp["status_4xx"]), "{name}: 4xx");
        assert_eq!(u(&t["bytes"]), u(&exp["bytes"]), "{name}: bytes");
        match exp["latency_sum_us"].as_u64() {
            Some(us) => {
                let sum = t["latency"]["sum"].as_f64().unwrap();
                assert_eq!((sum * 1e6).round() as u64, us, "{name}: latency sum");
                assert_eq!(
                    u(&t["latency"]["count"]),
                    u(&exp["requests"]),
                    "{name}: timed"
                );
            }
            None => assert!(t["latency"].is_null(), "{name}: no timer, no latency"),
        }
        assert_eq!(
            u(&r["span"]["seconds"]),
            u(&exp["span_seconds"]),
            "{name}: span"
        );
        let routes: BTreeMap<String, u64> = r["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["route"].as_str().unwrap().to_string(), u(&x["requests"])))
            .collect();
        let want: BTreeMap<String, u64> = exp["routes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), u(v)))
            .collect();
        assert_eq!(routes, want, "{name}: per-route counts");
        if let Some(f) = exp.get("format").and_then(Value::as_str) {
            assert_eq!(input["format"], f, "{name}: detected format");
        }
        // A messy file's variants: the requests each shape took.
        let variants: BTreeMap<String, u64> = input["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["format"].as_str().unwrap().to_string(), u(&v["requests"])))
            .collect();
        let want: BTreeMap<String, u64> = exp
            .get("variants")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (k.clone(), u(v))).collect())
            .unwrap_or_default();
        assert_eq!(variants, want, "{name}: requests by variant");
        // Entries add up to routes, routes to totals.
        let entry_sum: u64 = r["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| u(&e["count"]))
            .sum();
        assert_eq!(entry_sum, u(&t["requests"]), "{name}: entries sum");
    }
}

#[test]
fn json_report_matches_its_schema() {
    let validator = binary::report_schema();
    for args in [
        &["--once", "-o", "json", "sample-logs/mixed-bad.log"][..],
        &[
            "--once",
            "-o",
            "json",
            "sample-logs/apache-common.log",
            "sample-logs/caddy.log",
        ][..],
        &[
            "--once",
            "-o",
            "json",
            "--allow-empty",
            "-f",
            "$status $uri",
            "sample-logs/combined_rt.log",
        ][..],
    ] {
        let r = json_of(&routetop(args));
        let errors: Vec<String> = validator
            .iter_errors(&r)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
    // The schema rejects what it should: a sanity check that it is not vacuous.
    let mut r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "sample-logs/combined_rt.log",
    ]));
    r["totals"]["surprise"] = Value::from(1);
    assert!(!validator.is_valid(&r));
}

#[test]
fn stdin_is_read_when_piped_and_when_given_as_dash() {
    let data = std::fs::read(root().join("sample-logs/combined_rt.log")).unwrap();
    for args in [
        &["--once", "-o", "json"][..],
        &["--once", "-o", "json", "-"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let d = data.clone();
        let w = std::thread::spawn(move || stdin.write_all(&d));
        let out = child.wait_with_output().unwrap();
        w.join().unwrap().unwrap();
        let r = json_of(&out);
        assert_eq!(u(&r["totals"]["requests"]), 2000, "{args:?}");
        assert_eq!(r["inputs"][0]["name"], "stdin");
    }
}

#[test]
fn globs_expand_to_one_input_per_file() {
    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "sample-logs/apache-*.log",
    ]));
    let names: Vec<&str> = input_names(&r);
    assert_eq!(
        names,
        [
            "sample-logs/apache-combined-D.log",
            "sample-logs/apache-common.log",
            "sample-logs/apache-vcombined.log"
        ]
    );
    assert_eq!(u(&r["totals"]["requests"]), 6000);
}

/// Regression (the `exposition` fuzz target's `first-input-named-second`):
/// a file named twice was read twice, as two inputs of one name, its
/// lines counted twice and its per-input series written twice by
/// `--push`. It is read once, where first named, and the others are said.
#[test]
fn a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    std::fs::copy(root().join("sample-logs/combined_rt.log"), &a).unwrap();
    let a = a.to_str().unwrap();
    let dotted = format!("{}/./a.log", dir.path().display());
    let glob = format!("{}/*.log", dir.path().display());
    let out = routetop(&["--once", "-o", "json", a, a, &dotted, &glob]);
    let r = json_of(&out);
    let names: Vec<&str> = input_names(&r);
    assert_eq!(names, [a]);
    let once = json_of(&routetop(&["--once", "-o", "json", a]));
    assert_eq!(r["totals"], once["totals"]);
    assert_eq!(
        said(&out),
        [
            format!("routetop: {a} is named twice: read once"),
            format!("routetop: {dotted} is the same file as {a}: read there, once"),
            format!("routetop: {a} is named twice: read once"),
        ]
    );
}

/// Regression: the restructure named the one file a named glob matched
/// `name:path`, where `--once` had always said `name` (the name alone, as
/// for a plain path) unless the glob matched several files.
#[test]
fn a_named_glob_names_its_files_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("routetop.toml");
    let names_for = |glob: &str| -> Vec<String> {
        std::fs::write(
            &config,
            format!("[[inputs]]\npath = \"{glob}\"\nname = \"web\"\n"),
        )
        .unwrap();
        let r = json_of(&routetop(&[
            "--once",
            "-o",
            "json",
            "-c",
            config.to_str().unwrap(),
        ]));
        input_names(&r).into_iter().map(str::to_string).collect()
    };
    assert_eq!(names_for("sample-logs/apache-common*.log"), ["web"]);
    assert_eq!(
        names_for("sample-logs/apache-c*.log"),
        [
            "web:sample-logs/apache-combined-D.log",
            "web:sample-logs/apache-common.log"
        ]
    );
}

#[test]
fn missing_files_and_bad_formats_fail_with_one_line() {
    let one_line = |out: &Output| {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success());
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
        assert!(out.stdout.is_empty());
        err
    };
    let err = one_line(&routetop(&["--once", "no-such-file.log"]));
    assert!(
        err.starts_with("routetop: cannot read no-such-file.log: "),
        "{err}"
    );
    let err = one_line(&routetop(&["--once", "no-such-dir/*.log"]));
    assert_eq!(err, "routetop: no file matches no-such-dir/*.log\n");
    let err = one_line(&routetop(&[
        "--once",
        "-f",
        "%h %Z %>s \"%r\"",
        "sample-logs/combined_rt.log",
    ]));
    assert_eq!(
        err,
        "routetop: bad format: unknown Apache directive `%Z` (column 4 of '%h %Z %>s \"%r\"')\n"
    );
    let err = one_line(&routetop(&[
        "--once",
        "-f",
        "bogus",
        "sample-logs/combined_rt.log",
    ]));
    assert!(err.contains("unknown format"), "{err}");
    // Every input missing: nothing to report, one line naming them all
    // (globs that match nothing first, then files that cannot be opened).
    let err = one_line(&routetop(&[
        "--once",
        "sample-logs/nope.log",
        "no-such-dir/*.log",
    ]));
    assert!(
        err.starts_with(
            "routetop: no input could be read: no file matches no-such-dir/*.log; cannot read sample-logs/nope.log: "
        ),
        "{err}"
    );
    assert_eq!(
        routetop(&["--once", "sample-logs/nope.log"]).status.code(),
        Some(1)
    );
    // Nothing in a file fits any format: say so, and how to fix it.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.log");
    std::fs::write(&junk, "hello\nworld\n").unwrap();
    let err = one_line(&routetop(&["--once", junk.to_str().unwrap()]));
    assert!(
        err.contains("cannot detect the format")
            && err.contains("any of its 2 lines")
            && err.contains("-f"),
        "{err}"
    );
}

/// `auto` by the policy live mode follows too: a first block no format
/// fits is counted as unparsed and the next block is tried, so a log that
/// starts with more than a block of junk is still read.
#[test]
fn a_log_that_starts_with_junk_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("junk-first.log");
    let junk = "a startup message, not a request\n";
    let junk_lines = 40_000; // 1.3 MB: more than a 1 MiB block
    let mut text = junk.repeat(junk_lines);
    let good = std::fs::read_to_string(root().join("sample-logs/combined_rt.log")).unwrap();
    text.push_str(&good);
    std::fs::write(&log, text).unwrap();
    let r = json_of(&routetop(&["--once", "-o", "json", log.to_str().unwrap()]));
    let input = &r["inputs"][0];
    assert_eq!(input["format"], "combined_rt");
    assert_eq!(u(&input["lines"]), junk_lines as u64 + 2000);
    assert_eq!(u(&input["requests"]), 2000);
    assert_eq!(u(&input["errors"]["no_match"]), junk_lines as u64);
    assert_eq!(u(&r["totals"]["requests"]), 2000);
}

/// Regression: after a block of junk, `auto` took its next sample from
/// where the block reader happened to cut (the lines left in a block), so
/// the format's fit on the sample depended on the block size. Samples are
/// the input's lines 64 by 64 from its start, wherever blocks end.
#[test]
fn junk_first_samples_do_not_depend_on_where_blocks_end() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("junk-first.log");
    let junk = "a startup message, not a request\n";
    let good = std::fs::read_to_string(root().join("sample-logs/combined_rt.log")).unwrap();
    // (junk lines, requests in the sample after the junk's whole samples).
    // Either way the junk is more than a 1 MiB block (31 775 of its lines),
    // which ends mid-sample: in the junk, or (the second) 21 junk lines and
    // a request into a sample.
    for (junk_lines, matched) in [(625 * 64 + 20, 44), (496 * 64 + 21, 43)] {
        let mut text = junk.repeat(junk_lines);
        text.push_str(&good);
        std::fs::write(&log, text).unwrap();
        for threads in ["-j1", "-j2"] {
            let r = json_of(&routetop(&[
                "--once",
                threads,
                "-o",
                "json",
                log.to_str().unwrap(),
            ]));
            let input = &r["inputs"][0];
            assert_eq!(input["format"], "combined_rt");
            assert_eq!(
                input["detected"],
                serde_json::json!({"matched": matched, "sampled": 64}),
                "{junk_lines} junk lines, {threads}"
            );
            assert_eq!(u(&input["errors"]["no_match"]), junk_lines as u64);
            assert_eq!(u(&input["requests"]), 2000);
        }
    }
}

#[test]
fn table_and_csv_outputs_are_exact() {
    let out = routetop(&["--once", "sample-logs/apache-common.log", "--top", "3"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("2000 requests from 2024-03-10 00:00:00 to "),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "inputs: sample-logs/apache-common.log [common]");
    assert!(lines[3].starts_with("ROUTE"));
    assert_eq!(
        lines.len(),
        4 + 3 + 2,
        "header, 3 routes, '(more)', TOTAL:\n{text}"
    );
    assert!(lines[7].starts_with("(37 more routes, "), "{}", lines[7]);
    assert!(
        lines[8].starts_with("TOTAL") && lines[8].contains(" 2000 "),
        "{}",
        lines[8]
    );

    let out = routetop(&["--once", "-o", "csv", "sample-logs/combined_rt.log"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "route,methods,requests,rps,bytes,status_1xx,status_2xx,status_3xx,status_4xx,status_5xx,status_other,error_rate_4xx,error_rate_5xx,timed,latency_sum,p50,p90,p99,p999,max"
    );
    let rows: Vec<Vec<&str>> = rows.map(|r| r.split(',').collect()).collect();
    assert_eq!(rows.len(), 41);
    let total = rows.last().unwrap();
    assert_eq!(total[0], "(total)");
    assert_eq!(total[2], "2000");
    let sum: u64 = rows[..40]
        .iter()
        .map(|r| r[2].parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, 2000);
}

/// Regression: `--top` cut the table and the CSV but not the JSON report,
/// which listed every route. It now holds the N busiest routes and their
/// entries, as the full report has them; the totals, inputs and span still
/// count every route.
#[test]
fn top_cuts_the_json_report_too() {
    let log = "sample-logs/combined_rt.log";
    let full = json_of(&routetop(&["--once", "-o", "json", log]));
    let top = json_of(&routetop(&["--once", "-o", "json", "--top", "3", log]));
    let routes = top["routes"].as_array().unwrap();
    assert_eq!(routes[..], full["routes"].as_array().unwrap()[..3]);
    let names: Vec<&Value> = routes.iter().map(|r| &r["route"]).collect();
    let want: Vec<&Value> = full["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| names.contains(&&e["route"]))
        .collect();
    let got: Vec<&Value> = top["entries"].as_array().unwrap().iter().collect();
    assert!(!got.is_empty());
    assert_eq!(got, want);
    for k in ["totals", "inputs", "span", "overflow"] {
        assert_eq!(top[k], full[k], "{k}");
    }
    // More than there are: all of it.
    let all = json_of(&routetop(&["--once", "-o", "json", "--top", "1000", log]));
    assert_eq!(all, full);
}

/// Regression: the table padded cells by characters, so a route of CJK
/// characters or emoji (two columns each) pushed the rest of its row
/// right. Every row's METHOD column now starts at the same terminal
/// column.
#[test]
fn table_columns_line_up_with_wide_characters_in_routes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("wide.log");
    let lines: String = ["/ascii-route", "/日本語日本語", "/😀😀😀", "/é"]
        .iter()
        .map(|p| {
            format!(
                "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET {p} HTTP/1.1\" 200 1 \"-\" \"-\" 0.001\n"
            )
        })
        .collect();
    std::fs::write(&log, lines).unwrap();
    let out = routetop(&["--once", log.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("ROUTE"))
        .collect();
    assert_eq!(rows.len(), 6, "header, 4 routes, TOTAL:\n{text}");
    // Where the first method (or the header's METHOD) starts, in columns.
    let method_col = |row: &str| {
        let at = ["METHOD", "GET"]
            .iter()
            .filter_map(|m| row.find(&format!("  {m}")))
            .min()
            .unwrap_or_else(|| panic!("no method in {row:?}"));
        unicode_width::UnicodeWidthStr::width(&row[..at])
    };
    let want = method_col(rows[0]);
    for r in &rows[1..5] {
        assert_eq!(method_col(r), want, "{r:?} in\n{text}");
    }
}

/// A format with no size field (`dashed.log`: `'$remote_addr-[$time_local]
/// -$request-$status-$request_time'`): the table's BYTES are `-` on every
/// row, as its latency is without a timer, where they were `0B`; a format
/// with one, and a mix of both, still print sizes. JSON keeps its numbers
/// (0), for scripts that add them up.
#[test]
fn bytes_are_unknown_for_a_format_without_a_size() {
    let bytes_cells = |args: &[&str]| -> Vec<String> {
        let out = routetop(args);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines().skip_while(|l| !l.starts_with("ROUTE"));
        assert!(lines.next().is_some_and(|h| h.ends_with("BYTES")), "{text}");
        lines
            .filter(|l| l.starts_with('/') || l.starts_with("TOTAL"))
            .map(|l| l.split_whitespace().last().unwrap_or_default().to_string())
            .collect()
    };
    let dashed = bytes_cells(&["--once", "sample-logs/dashed.log"]);
    assert_eq!(dashed.len(), 41, "40 routes and the total");
    assert!(dashed.iter().all(|c| c == "-"), "{dashed:?}");
    let sized = bytes_cells(&["--once", "sample-logs/combined_rt.log"]);
    assert_eq!(sized.last().map(String::as_str), Some("76MB"));
    let both = [
        "--once",
        "sample-logs/dashed.log",
        "sample-logs/combined_rt.log",
    ];
    assert_eq!(bytes_cells(&both).last().map(String::as_str), Some("76MB"));

    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "sample-logs/dashed.log",
    ]));
    assert_eq!(r["totals"]["bytes"], 0);
    // Which says that 0 is not a measured figure.
    let logs = |r: &Value| r["inputs"][0]["logs"].clone();
    let want = serde_json::json!({"latency": true, "upstream": false, "bytes": false});
    assert_eq!(logs(&r), want);
    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "sample-logs/combined_rt.log",
    ]));
    let want = serde_json::json!({"latency": true, "upstream": false, "bytes": true});
    assert_eq!(logs(&r), want);

    // Regression: a JSON log whose lines have no size key showed `0B`
    // and said it logged bytes (its format reads a size when there is
    // one). One line with a size is enough for the sizes to be shown.
    let dir = tempfile::tempdir().unwrap();
    let line = |extra: &str| {
        format!(
            "{{\"status\":200,\"request\":\"GET /a HTTP/1.1\",\"request_time\":0.005{extra}}}\n"
        )
    };
    let no_size = dir.path().join("no_size.json");
    std::fs::write(&no_size, line("").repeat(3)).unwrap();
    let no_size = no_size.to_str().unwrap();
    assert_eq!(bytes_cells(&["--once", no_size]), ["-", "-"]);
    let r = json_of(&routetop(&["--once", "-o", "json", no_size]));
    let want = serde_json::json!({"latency": true, "upstream": true, "bytes": false});
    assert_eq!(logs(&r), want);
    let sized = dir.path().join("sized.json");
    let text = line("").repeat(2) + &line(",\"body_bytes_sent\":7");
    std::fs::write(&sized, text).unwrap();
    let sized = sized.to_str().unwrap();
    assert_eq!(bytes_cells(&["--once", sized]), ["7B", "7B"]);
    let r = json_of(&routetop(&["--once", "-o", "json", sized]));
    assert_eq!(logs(&r)["bytes"], true);
}

/// The regression tests for hostile input: a 1 MB line, invalid UTF-8, a
/// NUL, an escape sequence, a huge status, a truncated last line. Each is
/// counted once, and every good line around them still counts.
#[test]
fn hostile_input_is_counted_and_never_costs_a_good_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.log");
    let good = |i: usize| {
        format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:{:02} +0000] \"GET /api/items/{i} HTTP/1.1\" 200 10 \"-\" \"ua\" 0.010\n",
            i % 60
        )
    };
    let mut f = std::fs::File::create(&path).unwrap();
    let mut n_good = 0;
    for i in 0..3000 {
        f.write_all(good(i).as_bytes()).unwrap();
        n_good += 1;
        match i {
            10 => {
                f.write_all(&vec![b'x'; 1 << 20]).unwrap(); // 1 MiB, no spaces
                f.write_all(b"\n").unwrap();
            }
            20 => f.write_all(b"\xff\xfe\x00 binary\n").unwrap(),
            30 => f
                .write_all(b"\x1b[2J\x1b[31m evil terminal escape\n")
                .unwrap(),
            // A 3 MiB line: longer than a whole read block.
            1500 => {
                let mut l = b"10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /".to_vec();
                l.extend(std::iter::repeat_n(b'a', 3 << 20));
                l.extend_from_slice(b" HTTP/1.1\" 200 1 \"-\" \"-\" 0.001\n");
                f.write_all(&l).unwrap();
            }
            _ => {}
        }
    }
    f.write_all(b"10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /cut")
        .unwrap();
    drop(f);
    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "-f",
        "combined_rt",
        path.to_str().unwrap(),
    ]));
    let i = &r["inputs"][0];
    assert_eq!(u(&r["totals"]["requests"]), n_good);
    assert_eq!(u(&r["routes"][0]["requests"]), n_good);
    assert_eq!(r["routes"][0]["route"], "/api/items/:id");
    assert_eq!(u(&i["lines"]), n_good + 5);
    assert_eq!(
        i["errors"],
        serde_json::json!({"too_long": 2, "no_match": 3})
    );
    let samples = i["samples"].as_array().unwrap();
    let lines: Vec<u64> = samples.iter().map(|s| u(&s["line"])).collect();
    assert_eq!(lines, [12, 23, 34, 1505, 3005]);
    assert_eq!(u(&samples[0]["length"]), 1 << 20);
    assert!(u(&samples[3]["length"]) > 3 << 20);
    assert_eq!(samples[0]["text"].as_str().unwrap().len(), 512);
}

/// Regression: once an input's format is decided its blocks are read
/// 256 KiB at a time (`input::blocks::READ`); a line longer than that but
/// within `--max-line` is read on to its end, never cut or counted as too
/// long, wherever it starts in a read (the carry before it long or short).
#[test]
fn a_line_longer_than_a_read_is_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.log");
    let line = |i: usize, query: usize| {
        format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:{:02} +0000] \"GET /items/{i}?q={} HTTP/1.1\" 200 10 \"-\" \"ua\" 0.010\n",
            i % 60,
            "a".repeat(query)
        )
    };
    // 1.2 MB of short lines first: the first block (read whole, as `auto`
    // sees it) ends before the long lines.
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 1_200_000 {
        text.push_str(&line(n, 0));
        n += 1;
    }
    // Long lines of 300 to 500 KB (a read is 262 144 bytes, --max-line
    // 524 288), with 0 to 2 000 short lines between them: they start at
    // many places within a read.
    for (k, gap) in [0, 1, 7, 300, 2000, 0, 5, 1500].into_iter().enumerate() {
        for _ in 0..gap {
            text.push_str(&line(n, 0));
            n += 1;
        }
        text.push_str(&line(n, 300_000 + k * 25_000));
        n += 1;
    }
    for _ in 0..100 {
        text.push_str(&line(n, 0));
        n += 1;
    }
    std::fs::write(&path, &text).unwrap();
    for threads in ["-j1", "-j2"] {
        let r = json_of(&routetop(&[
            "--once",
            threads,
            "-o",
            "json",
            "--max-line",
            "524288",
            path.to_str().unwrap(),
        ]));
        let i = &r["inputs"][0];
        assert_eq!(i["format"], "combined_rt", "{threads}");
        assert_eq!(u(&i["lines"]), n as u64, "{threads}");
        assert_eq!(u(&i["requests"]), n as u64, "{threads}");
        assert_eq!(i["errors"], serde_json::json!({}), "{threads}");
        assert_eq!(r["routes"][0]["route"], "/items/:id", "{threads}");
        assert_eq!(u(&r["routes"][0]["requests"]), n as u64, "{threads}");
    }
}

#[test]
fn the_route_cap_folds_into_a_visible_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.log");
    let mut text = String::new();
    for i in 0..50 {
        for _ in 0..(50 - i) {
            text.push_str(&format!(
                "1.1.1.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /page-{i} HTTP/1.1\" 200 1 \"-\" \"-\" 0.001\n"
            ));
        }
    }
    std::fs::write(&path, &text).unwrap();
    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "--max-routes",
        "10",
        path.to_str().unwrap(),
    ]));
    let o = &r["overflow"];
    assert_eq!(
        (u(&o["max_routes"]), u(&o["routes"]), u(&o["folded_routes"])),
        (10, 10, 40)
    );
    // Pages 10..49 fold: 40 + 39 + ... + 1 requests.
    assert_eq!(u(&o["requests"]), (1..=40).sum::<u64>());
    assert_eq!(r["routes"][0]["route"], "(overflow)");
    assert_eq!(u(&r["totals"]["requests"]), (1..=50).sum::<u64>());
    let out = routetop(&["--once", "--max-routes", "10", path.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("route cap 10 reached: 40 more routes folded into (overflow), 820 requests"),
        "{text}"
    );
}

/// Distinct folded routes are counted from batches of name hashes that
/// each worker sorts and merges: a flood larger than one batch (64 Ki
/// names) still counts each name once, across workers and repeats, and
/// past the tracking bound (100 000) the count says "at least".
#[test]
fn a_flood_of_distinct_routes_is_counted_exactly_then_as_a_lower_bound() {
    let dir = tempfile::tempdir().unwrap();
    let flood = |names: usize| {
        let path = dir.path().join(format!("flood-{names}.log"));
        let mut text = String::with_capacity(names * 2 * 100);
        // Every name twice, the second pass in another order, so repeats
        // land in other batches and, with two workers, other workers.
        for i in (0..names).chain((0..names).rev()) {
            text.push_str(&format!(
                "1.1.1.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /p/n{i}x HTTP/1.1\" 200 1 \"-\" \"-\" 0.001\n"
            ));
        }
        std::fs::write(&path, &text).unwrap();
        path
    };
    for (names, threads, folded, at_least) in [
        (90_000, "1", 89_990, false),
        (90_000, "2", 89_990, false),
        (120_000, "2", 100_000, true),
    ] {
        let path = flood(names);
        let r = json_of(&routetop(&[
            "--once",
            "-o",
            "json",
            "-j",
            threads,
            "--max-routes",
            "10",
            path.to_str().unwrap(),
        ]));
        let o = &r["overflow"];
        assert_eq!(
            (u(&o["folded_routes"]), o["folded_at_least"].as_bool()),
            (folded, Some(at_least)),
            "{names} names, -j{threads}"
        );
        assert_eq!(u(&r["totals"]["requests"]), 2 * names as u64);
        assert_eq!(u(&o["requests"]), 2 * (names as u64 - 10));
    }
}

#[test]
fn route_rules_and_templating_switch() {
    // Every /api/v1/ route folds into one per resource, via a named group.
    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "--route",
        "^/api/v1/(?P<res>[^/]+)/.*=/v1/$res",
        "sample-logs/combined_rt.log",
    ]));
    let got: BTreeMap<String, u64> = r["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["route"].as_str().unwrap().to_string(), u(&x["requests"])))
        .collect();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (route, n) in expected()["combined_rt.log"]["routes"].as_object().unwrap() {
        let key = match route.strip_prefix("/api/v1/") {
            Some(rest) => format!("/v1/{}", rest.split('/').next().unwrap()),
            None => route.clone(),
        };
        *want.entry(key).or_default() += u(n);
    }
    assert_eq!(got, want);
    assert!(got.keys().any(|k| k.starts_with("/v1/")));
    let r = json_of(&routetop(&[
        "--once",
        "-o",
        "json",
        "--no-templating",
        "sample-logs/combined_rt.log",
    ]));
    // 855 distinct paths in the sample (counted with a plain split of the
    // request line, without routetop).
    assert_eq!(r["routes"].as_array().unwrap().len(), 855);
}

/// Request times in ms for `percentiles_are_within_one_percent_of_exact`,
/// each with a route (of 3) and a status (of 3), so that the totals merge
/// several keys: 1 to 50 lines, or 250 to 262 (around the 256 exact values
/// a histogram keeps before HDR), or 1 000 to 20 000; times from 0 to ~40 s,
/// log-uniform mostly, also 0 and 1 to 10 ms.
fn timed_lines() -> impl Strategy<Value = Vec<(u64, usize, usize)>> {
    let ms = prop_oneof![
        6 => (0.0..10.6f64).prop_map(|u| u.exp() as u64 - 1),
        1 => Just(0u64),
        1 => 1..=10u64,
    ];
    let line = (ms, 0..3usize, 0..3usize);
    let n = prop_oneof![1..=50usize, 250..=262usize, 1_000..=20_000usize];
    n.prop_flat_map(move |n| vec(line.clone(), n))
}

proptest! {
    // 24 runs of the binary, each on up to 20 000 lines: ~0.6 s in a
    // debug build. Shrinking runs it again each try: 100 at most. Proptest's
    // XorShift, whose cases cost a fraction of ChaCha's in a debug build.
    // No regression files: a failure found becomes a named test.
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 100,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    })]

    /// Percentiles of the report against the exact sorted values: equal
    /// up to 256 values, within 1 % beyond (HDR, 2 significant digits);
    /// max and sum exact. Times of 0 ms are counted in the first bucket.
    #[test]
    fn percentiles_are_within_one_percent_of_exact(lines in timed_lines()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lat.log");
        let mut vals: Vec<u64> = lines.iter().map(|&(ms, ..)| ms * 1000).collect();
        let mut text = String::new();
        for (i, &(ms, route, status)) in lines.iter().enumerate() {
            text.push_str(&format!(
                "1.1.1.1 - - [10/Mar/2024:00:{:02}:00 +0000] \"GET /{} HTTP/1.1\" {} 1 \"-\" \"-\" {}.{:03}\n",
                i % 60,
                ["x", "y", "z/1"][route],
                [200, 404, 503][status],
                ms / 1000,
                ms % 1000
            ));
        }
        std::fs::write(&path, &text).unwrap();
        vals.sort_unstable();
        let exact = |q: f64| {
            vals[((q * vals.len() as f64).ceil() as usize).clamp(1, vals.len()) - 1] as f64 / 1e6
        };
        let r = json_of(&routetop(&["--once", "-o", "json", path.to_str().unwrap()]));
        let lat = &r["totals"]["latency"];
        prop_assert_eq!(u(&lat["count"]), vals.len() as u64);
        for (key, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)] {
            let got = lat[key].as_f64().unwrap();
            let want = exact(q);
            if vals.len() <= 256 {
                prop_assert_eq!(got, want, "{}", key);
            } else {
                prop_assert!(
                    (got - want).abs() <= want * 0.01 + 1e-9,
                    "{}: got {}, exact {}",
                    key,
                    got,
                    want
                );
            }
        }
        prop_assert_eq!(lat["max"].as_f64().unwrap(), *vals.last().unwrap() as f64 / 1e6);
        let sum: u64 = vals.iter().sum();
        prop_assert_eq!((lat["sum"].as_f64().unwrap() * 1e6).round() as u64, sum);
    }
}

#[test]
fn in_process_run_matches_the_binary() {
    let cfg = routetop::Config::once(
        &["sample-logs/combined_rt.log"],
        routetop::format::FormatSpec::Auto,
        routetop::config::OutputFormat::Json,
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert!(
        Path::new(&cwd).join("sample-logs").exists(),
        "tests run from the crate root"
    );
    let report = routetop::once(&cfg).unwrap();
    assert_eq!(report.summary.totals.requests, 2000);
    assert_eq!(report.batch.snapshot().total.total.requests, 2000);
    assert_eq!(
        report.batch.sources[0].format.as_deref(),
        Some("combined_rt")
    );
    let keys: u64 = report.batch.snapshot().keys.iter().map(|k| k.count).sum();
    assert_eq!(keys, 2000);
}

/// The error lines of a run's stderr (`routetop: ...`), without the
/// parse-error summary's sample lines.
fn said(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("routetop: ") && !l.contains(" lines not parsed "))
        .map(str::to_string)
        .collect()
}

/// Regression: a wrong `-f` printed "0 requests" and an empty table and
/// exited 0. Lines read and none parsed is exit 3 (the report is still
/// written), unless `--allow-empty`.
#[test]
fn once_with_lines_read_but_none_parsed_exits_3_unless_allow_empty() {
    let args = ["--once", "-f", "common", "sample-logs/nginx-json.log"];
    let out = routetop(&args);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("0 requests; "),
        "{out:?}"
    );
    assert_eq!(
        said(&out),
        [
            "routetop: not one of the 2000 lines read parsed as a request (see the parse errors above; give the format with -f, or --allow-empty to accept an empty report)"
        ]
    );
    let out = routetop(&[&args[..], &["--allow-empty"]].concat());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(said(&out), Vec::<String>::new());
    // No line at all is not "none parsed": an empty log is a fine report.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let out = routetop(&["--once", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// Regression: `--once 'sample-logs/*.log'` failed with exit 1 and no
/// report because one file (app-regex.log) fits no known format. The rest
/// is reported, the file is named on stderr (its lines counted as
/// unparsed), and the exit code 4 says the report is partial.
#[test]
fn once_glob_with_an_undetectable_file_reports_the_rest_and_exits_4() {
    let out = routetop(&["--once", "-o", "json", "sample-logs/*.log"]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let exp = expected();
    let files: Vec<&str> = input_names(&r);
    let mut want_requests = 0;
    for f in &files {
        let name = f.trim_start_matches("sample-logs/");
        if name != "app-regex.log" {
            want_requests += u(&exp[name]["requests"]);
        }
    }
    // Every sample (expected.json names each one).
    assert_eq!(files.len(), exp.len(), "{files:?}");
    assert_eq!(u(&r["totals"]["requests"]), want_requests);
    let regex = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "sample-logs/app-regex.log")
        .unwrap();
    assert_eq!(regex["format"], Value::Null);
    assert_eq!(u(&regex["lines"]), 2000);
    assert_eq!(u(&regex["errors"]["no_match"]), 2000);
    let said = said(&out);
    assert_eq!(
        said.first().map(String::as_str),
        Some(
            "routetop: cannot detect the format of sample-logs/app-regex.log: no known format matches any of its 2000 lines; give it with -f (a preset, an nginx log_format string, an Apache LogFormat string, json or regex:...)"
        )
    );
    assert_eq!(
        said.last().map(String::as_str),
        Some("routetop: partial report: 1 input could not be read or parsed (said above)")
    );
}

/// A missing file, a directory and (unless run as root, who reads every
/// file) an unreadable file among the inputs are each named on stderr and
/// skipped; the others are reported; exit 4.
#[test]
fn once_unreadable_inputs_among_several_are_skipped_and_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.log");
    let line = std::fs::read_to_string(root().join("sample-logs/combined_rt.log")).unwrap();
    std::fs::write(&secret, line.lines().next().unwrap()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root_reads_anyway = std::fs::read(&secret).is_ok();
    let d = dir.path().to_str().unwrap();
    let out = routetop(&[
        "--once",
        "-o",
        "json",
        "sample-logs/nope.log",
        d,
        "sample-logs/combined_rt.log",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let secret_read = u64::from(root_reads_anyway);
    assert_eq!(u(&r["totals"]["requests"]), 2000 + secret_read);
    let mut want = vec![
        "routetop: cannot read sample-logs/nope.log: No such file or directory (os error 2)"
            .to_string(),
        format!("routetop: cannot read {d}: is a directory"),
    ];
    if !root_reads_anyway {
        want.push(format!(
            "routetop: cannot read {}: Permission denied (os error 13)",
            secret.display()
        ));
    }
    let n = want.len();
    want.push(format!(
        "routetop: partial report: {n} inputs could not be read or parsed (said above)"
    ));
    assert_eq!(said(&out), want);
}

/// Regression: the table said `inputs: empty.log []` for an empty file.
#[test]
fn once_table_says_no_lines_for_an_empty_input() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let e = empty.to_str().unwrap();
    let out = routetop(&["--once", e, "sample-logs/combined_rt.log"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().nth(1),
        Some(format!("inputs: {e}, sample-logs/combined_rt.log [no lines; combined_rt]").as_str())
    );
}

/// The detection confusion matrix over every sample in expected.json
/// (samples added later join it): a row per sample, a column per preset
/// and `json`, each cell the number of the sample's first 64 lines that
/// format parses. Each sample is detected as exactly its own format, and
/// no other format parses any of its lines, except the known overlaps
/// listed here: Apache's whole-number `%D` is a valid nginx
/// `$request_time` too, and the tie goes to `combined_D` (format/detect.rs).
#[test]
fn detection_confusion_matrix_over_every_sample() {
    use routetop::format::detect::{SAMPLE_LINES, detect};
    use routetop::format::{Format, FormatSpec, PRESETS, Scratch};
    let mut columns: Vec<(String, Format)> = PRESETS
        .iter()
        .map(|p| {
            let spec = FormatSpec::parse(p.0).unwrap();
            (p.0.to_string(), Format::compile(&spec, &[]).unwrap())
        })
        .collect();
    columns.push((
        "json".into(),
        Format::compile(&FormatSpec::Json, &[]).unwrap(),
    ));
    let mut detected = BTreeMap::new();
    let mut want = BTreeMap::new();
    let mut confused = Vec::new();
    for (name, exp) in expected() {
        let Some(own) = exp.get("format").and_then(Value::as_str) else {
            continue;
        };
        let data = std::fs::read(root().join("sample-logs").join(&name)).unwrap();
        let lines: Vec<&[u8]> = data
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .take(SAMPLE_LINES)
            .collect();
        let d = detect(&lines, &[]).map(|d| d.format.name().to_string());
        detected.insert(name.clone(), d.unwrap_or_default());
        want.insert(name.clone(), own.to_string());
        // The column of the sample's own format: a preset's name, or json
        // for `json (flavour)` and nginx strings (not a column).
        let own_col = if own.starts_with("json") { "json" } else { own };
        let mut s = Scratch::default();
        for (col, f) in &columns {
            let n = lines.iter().filter(|l| f.parse(l, &mut s).is_ok()).count();
            let known = (own_col, col.as_str()) == ("combined_D", "combined_rt");
            if col != own_col && n > 0 && !known {
                confused.push(format!("{name} also parses as {col} ({n}/{})", lines.len()));
            }
        }
    }
    assert_eq!(detected, want);
    assert_eq!(confused, Vec::<String>::new());
}

/// Load balancers and proxies write `-1` for a time they never had (no
/// response): such a request counts, with its status, and is untimed. An
/// ALB file and an HAProxy file, detected, exact figures.
#[test]
fn minus_one_timers_count_the_request_untimed() {
    let dir = tempfile::tempdir().unwrap();
    let alb = dir.path().join("alb.log");
    let hap = dir.path().join("haproxy.log");
    let a = |times: &str, status: &str, path: &str| {
        format!(
            "https 2018-07-02T22:23:00.186641Z app/lb/1 192.168.131.39:2817 10.0.0.1:80 {times} {status} {status} 34 100 \"GET https://shop.example.com:443{path} HTTP/1.1\" \"ua\" - -\n"
        )
    };
    let alb_log = [
        a("0.001 0.010 0.001", "200", "/api/users/1"),
        a("0.000 0.020 0.000", "200", "/api/users/2"),
        a("-1 -1 -1", "504", "/api/users/3"),
        a("0.001 -1 -1", "502", "/health"),
    ]
    .concat();
    std::fs::write(&alb, alb_log).unwrap();
    let h = |timers: &str, status: &str, path: &str| {
        format!(
            "Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 {timers} {status} 2750 - - ---- 1/1/1/1/0 0/0 \"GET {path} HTTP/1.1\"\n"
        )
    };
    let hap_log = [
        h("10/0/30/69/109", "200", "/index.html"),
        h("5/-1/-1/-1/5", "503", "/index.html"),
        h("-1/-1/-1/-1/0", "-1", "/gone"),
    ]
    .concat();
    std::fs::write(&hap, hap_log).unwrap();

    let r = json_of(&routetop(&["--once", "-o", "json", alb.to_str().unwrap()]));
    assert_eq!(r["inputs"][0]["format"], "alb");
    let t = &r["totals"];
    assert_eq!(u(&t["requests"]), 4);
    assert_eq!(u(&t["status"]["5xx"]), 2);
    assert_eq!(u(&t["latency"]["count"]), 2);
    assert_eq!(
        (t["latency"]["sum"].as_f64().unwrap() * 1e6).round(),
        32_000.0
    );
    let routes: BTreeMap<String, u64> = r["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["route"].as_str().unwrap().to_string(), u(&x["requests"])))
        .collect();
    assert_eq!(
        routes,
        BTreeMap::from([
            ("/api/users/:id".to_string(), 3),
            ("/health".to_string(), 1)
        ])
    );

    let r = json_of(&routetop(&["--once", "-o", "json", hap.to_str().unwrap()]));
    assert_eq!(r["inputs"][0]["format"], "haproxy");
    let t = &r["totals"];
    assert_eq!(u(&t["requests"]), 3);
    assert_eq!(u(&t["status"]["5xx"]), 1);
    assert_eq!(u(&t["status"]["other"]), 1);
    // Ta: 109 ms, 5 ms and 0 ms (aborted at once, but Ta is there).
    assert_eq!(u(&t["latency"]["count"]), 3);
    assert_eq!(
        (t["latency"]["sum"].as_f64().unwrap() * 1e6).round(),
        114_000.0
    );
}

/// A fuzz find (`detect`): lines the combined family leaves unparsed that
/// a hand-written parser (ALB, HAProxy, …) fits were made a variant of
/// a messy file, and only line templates can be: detection panicked.
#[test]
fn detection_never_makes_a_variant_of_a_hand_written_parser() {
    let data = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/fuzz-detect-variant-of-a-builtin-parser.log"),
    )
    .unwrap();
    for last in [false, true] {
        let _ = routetop::format::detect::detect_start(&data, &[], last);
    }
}

/// A byte order mark at a file's start (Windows tools write one) is read
/// past: every sample gives the same report with one as without. It was a
/// bad first line (JSON), or hid an IIS log's `#Software:` header so that
/// the whole file went undetected. And where one file was appended to
/// another (`cat a.log b.log`), the mark before the second's first line.
#[test]
fn a_byte_order_mark_is_read_past() {
    let dir = tempfile::tempdir().unwrap();
    let report = |path: &Path, format: Option<&str>| -> Value {
        let mut args = vec!["--once", "-o", "json", path.to_str().unwrap()];
        if let Some(f) = format {
            args.extend(["-f", f]);
        }
        let mut r = json_of(&routetop(&args));
        r["inputs"][0]["name"] = Value::Null;
        r
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("sample-logs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.ends_with(".log") || name == "app-regex.log" {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let marked = dir.path().join(&name);
        std::fs::write(&marked, [&b"\xEF\xBB\xBF"[..], &data].concat()).unwrap();
        assert_eq!(report(&marked, None), report(&path, None), "{name}");
        seen += 1;
    }
    assert!(seen >= 25, "{seen} samples");

    // Two files, the second with a mark: the same counts as both without.
    let one = std::fs::read(root().join("sample-logs/combined_rt.log")).unwrap();
    let joined = dir.path().join("joined.log");
    std::fs::write(&joined, [&one[..], b"\xEF\xBB\xBF", &one[..]].concat()).unwrap();
    let plain = dir.path().join("plain.log");
    std::fs::write(&plain, [&one[..], &one[..]].concat()).unwrap();
    let r = report(&joined, Some("combined_rt"));
    assert_eq!(u(&r["totals"]["requests"]), 4000);
    assert_eq!(r, report(&plain, Some("combined_rt")));
}
