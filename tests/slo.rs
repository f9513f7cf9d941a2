//! Service-level objectives in the batch report (`--once --slo`), with the
//! real binary: compliance checked against figures computed here from the
//! raw lines, not from routetop's output; the JSON `slo` key against the
//! schema; the exit code a CI job gates on.

mod binary;

mod net;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// (path, status, latency in ms) of each line of the test log.
fn requests() -> Vec<(&'static str, u16, u64)> {
    let mut v = Vec::new();
    for i in 0..2000u64 {
        let (path, status) = match i % 10 {
            0..=5 => ("/api/users", if i % 97 == 0 { 503 } else { 200 }),
            6 | 7 => ("/api/orders", if i % 50 == 7 { 500 } else { 201 }),
            8 => ("/health", 200),
            _ => ("/static/app.js", if i % 30 == 9 { 502 } else { 304 }),
        };
        // Around the 300 ms threshold: exactly 300 is at or under it.
        let ms = match i % 100 {
            0 => 300,
            1 => 301,
            2 => 1200,
            n => n * 2,
        };
        v.push((path, status, ms));
    }
    v
}

fn write_log(dir: &Path) -> std::path::PathBuf {
    let mut s = String::new();
    for (i, (path, status, ms)) in requests().iter().enumerate() {
        s.push_str(&format!(
            "10.0.0.1 - - [05/Dec/2026:10:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 100 \"-\" \"t\" {}.{:03}\n",
            i / 60 % 60,
            i % 60,
            ms / 1000,
            ms % 1000
        ));
    }
    let p = dir.join("access.log");
    std::fs::write(&p, s).unwrap();
    p
}

fn once(log: &Path, slos: &[&str], extra: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_routetop"));
    cmd.arg("--once").args(extra).arg(log);
    for s in slos {
        cmd.arg("--slo").arg(s);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// (good, total) computed from the raw requests: routes under `/api/` go
/// to the first two objectives, the rest to the default.
fn expected() -> [(u64, u64); 3] {
    let mut e = [(0u64, 0u64); 3];
    for (path, status, ms) in requests() {
        if path.starts_with("/api/") {
            e[0].1 += 1;
            e[0].0 += u64::from(ms <= 300);
            e[1].1 += 1;
            e[1].0 += u64::from(!(500..600).contains(&status));
        } else {
            e[2].1 += 1;
            e[2].0 += u64::from(!(500..600).contains(&status));
        }
    }
    e
}

#[test]
fn json_report_carries_each_objectives_exact_compliance() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let slos = ["/api/*:95%<300ms", "/api/*:99.9%", "*:99%"];
    let (code, out, err) = once(&log, &slos, &["-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let validator = binary::report_schema();
    assert!(validator.is_valid(&v), "report does not match its schema");
    let slo = v["slo"].as_array().expect("slo key");
    let want = expected();
    let targets = [0.95, 0.999, 0.99];
    for (i, (s, (good, total))) in slo.iter().zip(want).enumerate() {
        assert_eq!(s["name"], slos[i]);
        assert_eq!(
            (s["good"].as_u64(), s["total"].as_u64()),
            (Some(good), Some(total)),
            "{}",
            slos[i]
        );
        let ratio = good as f64 / total as f64;
        assert_eq!(s["compliance"].as_f64(), Some(ratio));
        let left = 1.0 - (1.0 - ratio) / (1.0 - targets[i]);
        assert_eq!(s["budget_left"].as_f64(), Some(left));
        assert_eq!(s["met"].as_bool(), Some(ratio >= targets[i]), "{}", slos[i]);
    }
    assert_eq!(slo[0]["threshold_seconds"].as_f64(), Some(0.3));
    assert_eq!(slo[1]["kind"], "availability");
    // Latency: of each hundred lines, the /api one at 301 ms and the one
    // at 1.2 s are over 300 ms (the one at exactly 300 ms is not): 40 of
    // 1600, met at 95 %.
    assert_eq!(want[0], (1560, 1600));
    // /api availability misses 99.9 % (503s and 500s), and the default
    // misses 99 % (/static's 502s).
    assert!(!slo[1]["met"].as_bool().unwrap());
    assert_eq!(code, 5, "exit code of a violated objective\n{err}");
    assert!(
        err.contains("objectives not met: /api/*:99.9%, *:99%"),
        "{err}"
    );
}

#[test]
fn table_ends_with_one_line_per_objective_and_a_met_gate_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let (code, out, err) = once(&log, &["/api/*:95%<300ms", "/health:99.99%"], &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("SLO ")).collect();
    assert_eq!(
        lines,
        [
            "SLO /api/*:95%<300ms  met       97.500% at or under 300ms (target 95.000%): 1560 of 1600; error budget left 50.0%",
            "SLO /health:99.99%    met       100.000% not failed (target 99.990%): 200 of 200; error budget left 100.0%",
        ]
    );
    // CSV keeps its one table on stdout: the objectives go to stderr.
    let (code, out, err) = once(&log, &["/nothing/*:99%"], &["-o", "csv"]);
    assert_eq!(code, 0);
    assert!(!out.contains("SLO"));
    assert!(
        err.contains("SLO /nothing/*:99%  NO DATA   no requests"),
        "{err}"
    );
}

#[test]
fn bad_objectives_are_settings_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    for bad in ["/api", "/api:100%", "/api:99%<soon", "~(:99%"] {
        let (code, _, err) = once(&log, &[bad], &[]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--slo"), "{bad}: {err}");
    }
}

/// The generated rules pass `promtool check rules`, and `promtool test
/// rules` shows them firing as the SRE workbook's pairs should: an
/// objective failing 3 % of requests against a 0.1 % budget (a burn rate of
/// 30) pages on both fast pairs and tickets on the slow one; one failing
/// nothing raises nothing.
#[test]
fn generated_prometheus_rules_check_and_fire_on_a_fast_burn() {
    if !net::need(&["promtool"]) {
        return;
    }
    let d = |s: &str| routetop::config::parse_duration(s);
    let objectives: Vec<_> = ["/api/*:99.9%", "/health:99%<250ms"]
        .iter()
        .map(|s| routetop::engine::slo::Objective::parse(s, d).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("slo.rules.yml");
    std::fs::write(
        &rules,
        routetop::view::export::rules::prometheus_rules(&objectives),
    )
    .unwrap();
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let alert = |window: &str, severity: &str| {
        let (long, short) = window.split_once('/').unwrap();
        let (burn, limit) = match long {
            "1h" => ("14.4", "0.0144"),
            "6h" => ("6", "0.006"),
            _ => ("1", "0.001"),
        };
        format!(
            "          - exp_labels: {{slo: \"/api/*:99.9%\", severity: {severity}, window: \"{window}\"}}\n\
             \x20           exp_annotations:\n\
             \x20             summary: \"SLO /api/*:99.9% burning its error budget {burn}x ({long} and {short})\"\n\
             \x20             description: \"/api/*:99.9%: over {long} and {short} the error ratio is above {limit}, {burn} times the budget of 0.001 (target 99.9%, budget period 30d).\"\n"
        )
    };
    let test = format!(
        "rule_files: [{rules}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n\
         \x20     - series: 'routetop_slo_total{{slo=\"/api/*:99.9%\", instance=\"a\"}}'\n        values: '0+1000x120'\n\
         \x20     - series: 'routetop_slo_good_total{{slo=\"/api/*:99.9%\", instance=\"a\"}}'\n        values: '0+970x120'\n\
         \x20     - series: 'routetop_slo_total{{slo=\"/health:99%<250ms\", instance=\"a\"}}'\n        values: '0+100x120'\n\
         \x20     - series: 'routetop_slo_good_total{{slo=\"/health:99%<250ms\", instance=\"a\"}}'\n        values: '0+100x120'\n\
         \x20   promql_expr_test:\n      - expr: floor(slo:routetop_slo_errors:ratio_rate1h * 10000 + 0.5)\n        eval_time: 90m\n        exp_samples:\n\
         \x20         - labels: '{{slo=\"/api/*:99.9%\"}}'\n            value: 300\n\
         \x20         - labels: '{{slo=\"/health:99%<250ms\"}}'\n            value: 0\n\
         \x20   alert_rule_test:\n      - eval_time: 90m\n        alertname: RoutetopSLOBurnRateHigh\n        exp_alerts:\n{}{}\
         \x20     - eval_time: 90m\n        alertname: RoutetopSLOBurnRateSlow\n        exp_alerts:\n{}",
        alert("1h/5m", "page"),
        alert("6h/30m", "page"),
        alert("3d/6h", "ticket"),
        rules = rules.display(),
    );
    let test_file = dir.path().join("slo.test.yml");
    std::fs::write(&test_file, &test).unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(&test_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}\n{test}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Live, replaying the log by its own time: each objective's since-start
/// figures and its burn rate over every window, against figures computed
/// here from the raw lines (one line a second, so the log spans 33
/// minutes: the 5m and 30m windows hold part of it, the longer ones all).
#[test]
fn live_burn_rates_over_log_time_are_the_bad_share_of_each_window() {
    burn_rates_over_log_time(&[]);
}

/// Regression: a log-time replay with objectives was read all the
/// line-by-line way (the tail reached back the 3-day burn window). The
/// backfill's workers count each objective's requests per minute: the
/// file is a backlog (`--backfill-min 0`) counted on all cores but for
/// its last 10 s (the series' reach), and every burn rate is the same.
#[test]
fn burn_rates_over_log_time_are_those_of_the_lines_with_a_parallel_backfill() {
    let backfilled =
        burn_rates_over_log_time(&["--backfill-min", "0", "--windows", "1s", "--series", "10"]);
    assert!(
        (1000..2000).contains(&backfilled),
        "{backfilled} of 2000 lines on all cores"
    );
}

/// Checks the burn rates of a replay run with `extra` flags; the lines
/// the backfill counted.
fn burn_rates_over_log_time(extra: &[&str]) -> u64 {
    use routetop::config::{Args, Config, Mode};
    use routetop::run::Running;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let slos = ["/api/*:95%<300ms", "/api/*:99.9%", "*:99%"];
    let mut argv = vec!["routetop".to_string(), "--from-start".into()];
    argv.extend(["--window-by".into(), "log".into()]);
    argv.extend(extra.iter().map(|a| a.to_string()));
    for s in slos {
        argv.extend(["--slo".into(), s.into()]);
    }
    argv.push(log.display().to_string());
    let args = <Args as clap::Parser>::try_parse_from(&argv).unwrap();
    let config = Config::from_args(&args, false).unwrap();
    assert_eq!(config.mode, Mode::Follow);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&config, rt.handle()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut rx = running.snapshots.clone();
    while rx.borrow_and_update().total.total.requests < 2000 {
        assert!(Instant::now() < deadline, "not every line counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    let snap = running.stop();
    // Line i is logged at 10:00:00 + i s: minute i / 60 of the log.
    let reqs = requests();
    let last = (reqs.len() as u64 - 1) / 60;
    let targets = [0.95, 0.999, 0.99];
    for (o, s) in snap.slo.iter().enumerate() {
        assert_eq!(s.name, slos[o]);
        assert_eq!((s.since.good, s.since.total), expected()[o], "{}", slos[o]);
        for (w, (len, name)) in routetop::engine::slo::BURN_WINDOWS.iter().enumerate() {
            let from = last.saturating_sub(len - 1);
            let (mut good, mut total) = (0u64, 0u64);
            for (i, (path, status, ms)) in reqs.iter().enumerate() {
                let minute = i as u64 / 60;
                let covered = match o {
                    0 | 1 => path.starts_with("/api/"),
                    _ => !path.starts_with("/api/"),
                };
                if covered && minute >= from {
                    total += 1;
                    good += u64::from(match o {
                        0 => *ms <= 300,
                        _ => !(500..600).contains(status),
                    });
                }
            }
            let want = (total - good) as f64 / total as f64 / (1.0 - targets[o]);
            let got = s.burn[w].unwrap_or_else(|| panic!("{} {name}: no burn rate", slos[o]));
            assert!(
                (got - want).abs() < 1e-9,
                "{} {name}: {got} != {want}",
                slos[o]
            );
        }
    }
    snap.backfilled
}

/// `routetop --generate prometheus-rules` prints the rules of the
/// objectives given, and refuses to print rules for none.
#[test]
fn generate_prometheus_rules_prints_the_rules_of_the_objectives() {
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--generate", "prometheus-rules", "--slo", "/api/*:99.9%"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let d = |s: &str| routetop::config::parse_duration(s);
    let o = routetop::engine::slo::Objective::parse("/api/*:99.9%", d).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        routetop::view::export::rules::prometheus_rules(&[o])
    );
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--generate", "prometheus-rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give the objectives with --slo"));
}

/// Per route, as computed from the raw lines: (good, total) of the
/// availability objective `*:99%` for each route (no route is templated
/// in this log).
#[test]
fn json_report_says_which_routes_break_an_objective() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let (_, out, err) = once(&log, &["*:99%"], &["-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let mut want: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for (path, status, _) in requests() {
        let e = want.entry(path).or_default();
        e.0 += u64::from(!(500..600).contains(&status));
        e.1 += 1;
    }
    let routes = v["slo"][0]["routes"].as_array().expect("routes");
    let got: Vec<(&str, u64, u64, bool)> = routes
        .iter()
        .map(|r| {
            (
                r["route"].as_str().unwrap(),
                r["good"].as_u64().unwrap(),
                r["total"].as_u64().unwrap(),
                r["met"].as_bool().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, u64, u64, bool)> = want
        .into_iter()
        .map(|(r, (g, t))| (r, g, t, g as f64 / t as f64 >= 0.99))
        .collect();
    assert_eq!(got, want);
    // /static's 502s (one in 30 of its lines) break it; /health has none.
    assert!(got.iter().any(|r| r.0 == "/static/app.js" && !r.3));
    assert!(got.iter().any(|r| r.0 == "/health" && r.3));
}

/// Apdex with T = 300 ms, computed here from the raw lines: at or under
/// 300 ms satisfied, up to 1.2 s tolerating, 5xx frustrated whatever
/// their time; per route and in all, in JSON, the table and CSV.
#[test]
fn apdex_is_exact_in_every_report_layout() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    let mut want: std::collections::BTreeMap<&str, (u64, u64, u64)> = Default::default();
    let mut all = (0, 0, 0);
    for (path, status, ms) in requests() {
        let ok = !(500..600).contains(&status);
        let (s, t) = (
            u64::from(ok && ms <= 300),
            u64::from(ok && ms > 300 && ms <= 1200),
        );
        let e = want.entry(path).or_default();
        *e = (e.0 + s, e.1 + t, e.2 + 1);
        all = (all.0 + s, all.1 + t, all.2 + 1);
    }
    let score = |(s, t, n): (u64, u64, u64)| (s as f64 + t as f64 / 2.0) / n as f64;
    let (code, out, err) = once(&log, &[], &["--apdex", "300ms", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let a = &v["apdex"];
    assert_eq!(a["t_seconds"].as_f64(), Some(0.3));
    assert_eq!(
        (
            a["satisfied"].as_u64(),
            a["tolerating"].as_u64(),
            a["timed"].as_u64()
        ),
        (Some(all.0), Some(all.1), Some(all.2))
    );
    assert_eq!(a["score"].as_f64(), Some(score(all)));
    for r in a["routes"].as_array().expect("routes") {
        let w = want[r["route"].as_str().unwrap()];
        assert_eq!(r["score"].as_f64(), Some(score(w)), "{r}");
        assert_eq!(r["tolerating"].as_u64(), Some(w.1), "{r}");
    }
    assert_eq!(a["routes"].as_array().map(Vec::len), Some(want.len()));
    // The 1.2 s line of each hundred tolerates: 4T is a bucket bound.
    assert!(all.1 > 0);

    // The table: an APDEX column, two decimals.
    let (_, table, _) = once(&log, &["*:99%"], &["--apdex", "300ms"]);
    let header = table.lines().find(|l| l.starts_with("ROUTE")).unwrap();
    assert!(header.ends_with("SLO  APDEX"), "{table}");
    let users = table
        .lines()
        .find(|l| l.starts_with("/api/users "))
        .unwrap();
    assert!(
        users.ends_with(&format!("✗ viol   {:.2}", score(want["/api/users"]))),
        "{table}"
    );
    let health = table.lines().find(|l| l.starts_with("/health ")).unwrap();
    assert!(health.ends_with("✓ met   1.00"), "{table}");

    // CSV: `slo` and `apdex` columns at the end; the total has no state.
    let (_, csv, _) = once(&log, &["*:99%"], &["--apdex", "300ms", "-o", "csv"]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",max,slo,apdex"));
    let users = csv.lines().find(|l| l.starts_with("/api/users,")).unwrap();
    assert!(
        users.ends_with(&format!(",violated,{}", score(want["/api/users"]))),
        "{csv}"
    );
    let total = csv.lines().find(|l| l.starts_with("(total),")).unwrap();
    assert!(total.ends_with(&format!(",,{}", score(all))), "{csv}");
}

#[test]
fn bad_apdex_thresholds_are_settings_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path());
    for bad in ["0ms", "fast", "2h"] {
        let (code, _, err) = once(&log, &[], &["--apdex", bad]);
        assert_eq!(code, 2, "--apdex {bad}: {err}");
        assert!(err.contains("--apdex"), "{err}");
    }
}

/// Objectives on every bundled sample — the hostile (`mixed-bad.log`,
/// `dashed.log`) and multi-format (`messy.log`) ones included — against
/// `sample-logs/expected.json`, computed in Python without routetop:
/// availability of all traffic is the requests less the 5xx ones, and a
/// pattern objective counts exactly the requests of the routes it matches.
#[test]
fn objectives_on_every_sample_match_the_independent_figures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("sample-logs/expected.json")).unwrap();
    let expected: std::collections::BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
    assert!(expected.len() >= 20, "{} samples", expected.len());
    for (name, exp) in &expected {
        let path = root.join("sample-logs").join(name);
        let mut extra = vec!["-o".to_string(), "json".to_string()];
        if let Some(s) = exp.get("format_spec").and_then(Value::as_str) {
            extra.extend(["-f".to_string(), s.to_string()]);
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let (code, out, err) = once(&path, &["/api/*:90%", "*:99.9%"], &extra);
        let v: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}\n{err}"));
        let requests = exp["requests"].as_u64().unwrap();
        let bad = exp["status_5xx"].as_u64().unwrap();
        let routes = exp["routes"].as_object().unwrap();
        let api: u64 = routes
            .iter()
            .filter(|(r, _)| r.starts_with("/api/"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum();
        let slo = v["slo"].as_array().unwrap();
        // The two objectives split the traffic: /api/* first, the rest.
        assert_eq!(slo[0]["total"].as_u64(), Some(api), "{name}: /api/* total");
        assert_eq!(
            slo[1]["total"].as_u64(),
            Some(requests - api),
            "{name}: * total"
        );
        let good = slo[0]["good"].as_u64().unwrap() + slo[1]["good"].as_u64().unwrap();
        assert_eq!(good, requests - bad, "{name}: requests not 5xx");
        // Per route: each route's total is its count.
        for s in slo {
            for r in s["routes"].as_array().unwrap() {
                let route = r["route"].as_str().unwrap();
                assert_eq!(
                    r["total"].as_u64(),
                    routes.get(route).and_then(Value::as_u64),
                    "{name}: {route}"
                );
            }
        }
        let violated = slo.iter().any(|s| s["met"] == false);
        assert_eq!(code, if violated { 5 } else { 0 }, "{name}: {err}");
    }
}
