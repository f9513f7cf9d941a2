//! The README's "Odd values" end to end: `routetop --once` on logs holding
//! each odd value, every figure of the report exact — statuses outside
//! 100–599 counted as `other`, statuses that are not three digits and byte
//! counts past u64 as bad lines, bad timers and timestamps counted per
//! input with the request still counted — in the JSON report, the CSV, the
//! table and the parse-error summary on stderr.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn routetop(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run routetop")
}

fn time(s: u32) -> String {
    format!("10/Mar/2024:00:00:{s:02} +0000")
}

/// A `combined_rt` line.
fn rt_line(status: &str, bytes: &str, rt: &str, time: &str) -> String {
    format!(r#"1.2.3.4 - - [{time}] "GET /a HTTP/1.1" {status} {bytes} "-" "ua" {rt}"#)
}

/// Writes the two inputs: `a.log` (combined_rt, detected) and `b.log`
/// (nginx JSON, detected).
fn fixture(dir: &Path) {
    let a = [
        rt_line("200", "100", "0.005", &time(0)),
        // Statuses outside 100–599 are statuses: class `other`.
        rt_line("000", "100", "0.005", &time(1)),
        rt_line("499", "100", "0.005", &time(2)),
        rt_line("600", "100", "0.005", &time(3)),
        // Not three digits: bad lines.
        rt_line("20", "100", "0.005", &time(4)),
        rt_line("2x0", "100", "0.005", &time(5)),
        // `-` bytes are 0; past u64 a bad line.
        rt_line("200", "-", "0.005", &time(6)),
        rt_line("200", "18446744073709551616", "0.005", &time(7)),
        // An integer request time is timed (10 s).
        rt_line("200", "100", "10", &time(8)),
        // NaN and negative: counted, untimed, bad_timer.
        rt_line("200", "100", "nan", &time(9)),
        rt_line("200", "100", "-0.005", &time(9)),
        // `-`: untimed, nothing odd.
        rt_line("200", "100", "-", &time(9)),
        // A timestamp that is not a time: counted, bad_time, not in the span.
        rt_line("200", "100", "0.005", "10/Foo/2024:00:00:59 +0000"),
    ];
    std::fs::write(dir.join("a.log"), a.join("\n") + "\n").unwrap();
    let b = [
        format!(
            r#"{{"time_local":"{}","request":"GET /j HTTP/1.1","status":200,"request_time":"inf"}}"#,
            time(1)
        ),
        format!(
            r#"{{"time_local":"{}","request":"GET /j HTTP/1.1","status":"2000","request_time":0.001}}"#,
            time(2)
        ),
        r#"{"time_local":"not a time","request":"GET /j HTTP/1.1","status":200,"request_time":0.002}"#.to_string(),
        format!(
            r#"{{"time_local":"{}","request":"GET /j HTTP/1.1","status":200,"request_time":0.001}}"#,
            time(3)
        ),
    ];
    std::fs::write(dir.join("b.log"), b.join("\n") + "\n").unwrap();
}

#[test]
fn odd_values_are_counted_exactly_in_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let out = routetop(dir.path(), &["--once", "-o", "json", "a.log", "b.log"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();

    let inputs: Vec<Value> = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            json!({
                "name": i["name"], "format": i["format"], "lines": i["lines"],
                "requests": i["requests"], "errors": i["errors"],
                "odd_values": i["odd_values"],
            })
        })
        .collect();
    assert_eq!(
        inputs,
        [
            json!({
                "name": "a.log", "format": "combined_rt", "lines": 13, "requests": 10,
                "errors": {"bad_value": 3},
                "odd_values": {"bad_timer": 2, "bad_time": 1},
            }),
            json!({
                "name": "b.log", "format": "json (nginx)", "lines": 4, "requests": 3,
                "errors": {"bad_value": 1},
                "odd_values": {"bad_timer": 1, "bad_time": 1},
            }),
        ]
    );
    let reasons: Vec<(u64, &str)> = r["inputs"][0]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["line"].as_u64().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [(5, "bad_value"), (6, "bad_value"), (8, "bad_value")]
    );

    let t = &r["totals"];
    assert_eq!(t["requests"], 13);
    assert_eq!(t["bytes"], 900, "9 × 100 and one `-`");
    assert_eq!(
        t["status"],
        json!({"1xx": 0, "2xx": 10, "3xx": 0, "4xx": 1, "5xx": 0, "other": 2})
    );
    // Timed: 6 × 5 ms and 10 s in a.log, 2 ms and 1 ms in b.log.
    assert_eq!(t["latency"]["count"], 9);
    assert_eq!(t["latency"]["sum"], 10.033);
    assert_eq!(t["latency"]["max"], 10.0);
    // The malformed timestamps are not in the span.
    assert_eq!(
        r["span"],
        json!({"start": "2024-03-10T00:00:00Z", "end": "2024-03-10T00:00:09Z", "seconds": 10})
    );
    let entries: Vec<(&str, u64, u64)> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["route"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
                e["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("/a", 0, 1),
            ("/a", 200, 7),
            ("/a", 499, 1),
            ("/a", 600, 1),
            ("/j", 200, 3)
        ]
    );

    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "routetop: a.log: requests counted without a value they had: bad_timer 2, bad_time 1 (of 10 requests) [format: combined_rt]",
        "routetop: a.log: 3 of 13 lines not parsed (bad_value 3) [format: combined_rt]",
        "routetop: b.log: requests counted without a value they had: bad_timer 1, bad_time 1 (of 3 requests) [format: json (nginx)]",
        "routetop: b.log: 1 of 4 lines not parsed (bad_value 1) [format: json (nginx)]",
    ] {
        assert!(
            stderr.lines().any(|l| l == line),
            "missing {line:?} in\n{stderr}"
        );
    }
}

#[test]
fn other_status_class_is_in_the_csv_and_the_table() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let out = routetop(dir.path(), &["--once", "-o", "csv", "a.log", "b.log"]);
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains(",status_4xx,status_5xx,status_other,"));
    assert_eq!(
        lines[1],
        "/a,GET,10,1,900,0,7,0,1,0,2,0.1,0,7,10.03,0.005,10,10,10,10"
    );
    assert_eq!(
        lines[3],
        "(total),,13,1.3,900,0,10,0,1,0,2,0.07692307692307693,0,9,10.033,0.005,10,10,10,10"
    );

    let out = routetop(dir.path(), &["--once", "a.log", "b.log"]);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        table.lines().next(),
        Some(
            "13 requests from 2024-03-10 00:00:00 to 2024-03-10 00:00:09 UTC (10s), 1.30/s; 5xx 0%, 4xx 7.7%, other status 2"
        )
    );
}

/// Every status that is not three digits is a bad value, whatever else is
/// wrong with it.
#[test]
fn statuses_not_three_digits_are_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = ["200", "20", "2000", "2x0", "abc", "0200"]
        .iter()
        .map(|st| rt_line(st, "1", "0.001", &time(0)))
        .collect();
    std::fs::write(dir.path().join("bad.log"), lines.join("\n") + "\n").unwrap();
    let out = routetop(
        dir.path(),
        &["--once", "-o", "json", "-f", "combined_rt", "bad.log"],
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &r["inputs"][0];
    assert_eq!(
        (&i["lines"], &i["requests"], &i["errors"]),
        (&json!(6), &json!(1), &json!({"bad_value": 5}))
    );
}

/// Regression: three responses of 2^63 bytes summed to 2^63 (the total
/// wrapped past 2^64). A total past u64 saturates, in the route, the
/// totals and the CSV: never a small number.
#[test]
fn a_byte_total_past_u64_saturates_not_wraps() {
    let dir = tempfile::tempdir().unwrap();
    let big = "9223372036854775808"; // 2^63
    let lines: Vec<String> = (0..3)
        .map(|s| rt_line("200", big, "0.001", &time(s)))
        .chain([rt_line("200", "5", "0.001", &time(3))])
        .collect();
    std::fs::write(dir.path().join("big.log"), lines.join("\n") + "\n").unwrap();
    let args = ["--once", "-f", "combined_rt", "big.log"];
    let out = routetop(dir.path(), &[&args[..], &["-o", "json"]].concat());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["totals"]["requests"], json!(4));
    assert_eq!(r["totals"]["bytes"], json!(u64::MAX));
    assert_eq!(r["routes"][0]["bytes"], json!(u64::MAX));
    assert_eq!(r["entries"][0]["bytes"], json!(u64::MAX));
    let out = routetop(dir.path(), &[&args[..], &["-o", "csv"]].concat());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains(&u64::MAX.to_string()), "{csv}");
}
