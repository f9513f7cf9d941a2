//! The fleet assets stay valid and in step with the exporter: Prometheus
//! config and rules (promtool check / test rules), the Grafana dashboard's
//! queries (valid PromQL over metric names routetop really exports, with
//! fleet-wide percentiles), the example web config (promtool and routetop
//! both load it, and its comment tells its password), the systemd unit.
//! Needs Debian's `prometheus` package (promtool); systemd-analyze is used
//! when present.

mod net;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use net::need;
use routetop::engine::slo::Objective;
use routetop::testkit;
use routetop::view::export::{RenderOptions, ScrapeState, render};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// Runs promtool; returns its output, failing the test unless it succeeds.
fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(assets())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn prometheus_config_and_rules_check_and_pass_their_tests() {
    if !need(&["promtool"]) {
        return;
    }
    let t = promtool(&["check", "config", "prometheus.yml"]);
    assert!(t.contains("1 rule files found"), "{t}");
    let t = promtool(&["check", "rules", "routetop.rules.yml"]);
    assert!(t.contains("SUCCESS: 13 rules found"), "{t}");
    let t = promtool(&["test", "rules", "tests/routetop.rules.test.yml"]);
    assert!(t.contains("SUCCESS"), "{t}");
    promtool(&["check", "web-config", "web-config.example.yml"]);
}

#[test]
fn web_config_example_loads_and_its_password_is_the_documented_one() {
    let w = routetop::view::export::web::WebConfig::load(&assets().join("web-config.example.yml"))
        .unwrap();
    assert!(w.tls.is_none());
    let hash = &w.users["prometheus"];
    assert!(bcrypt::verify("change me", hash).unwrap());
    assert_eq!(
        w.headers,
        vec![("X-Content-Type-Options".to_string(), "nosniff".to_string())]
    );
}

fn dashboard() -> serde_json::Value {
    let text = std::fs::read_to_string(assets().join("grafana/routetop.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every PromQL expression of the dashboard: panel targets and template
/// variable queries (`label_values(expr, label)` → its expr).
fn dashboard_exprs() -> Vec<String> {
    let d = dashboard();
    let mut out = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push(t["expr"].as_str().unwrap().to_string());
        }
    }
    for v in d["templating"]["list"].as_array().unwrap() {
        if let Some(q) = v["query"]["query"].as_str() {
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|r| r.rsplit_once(','))
                .map(|(e, _)| e.to_string())
                .unwrap();
            out.push(inner);
        }
    }
    out
}

/// Grafana's variables replaced by what they stand for at query time.
fn concrete(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$__range", "1h")
        .replace("$job", ".*")
        .replace("$instance", ".*")
        .replace("$route", ".*")
        .replace("$apdex_le", "0.25|1")
}

/// Names of metrics an expression reads (identifiers followed by `{` or
/// `[`, or standing alone before `)`), minus PromQL's own words.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() || b[i] == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &expr[start..i];
            let before_quote = expr[..start].matches('"').count() % 2 == 1;
            if !before_quote && (word.starts_with("http_") || word.starts_with("routetop_")) {
                names.insert(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Sample names routetop exports (from the fixture, which has every family
/// but the upstream one; that one is added by hand).
fn exported_names() -> BTreeSet<String> {
    let text = render(
        &testkit::snapshot(),
        &RenderOptions::default(),
        &mut ScrapeState::default(),
    );
    let mut names: BTreeSet<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect();
    for s in ["_bucket", "_sum", "_count"] {
        names.insert(format!("http_upstream_duration_seconds{s}"));
    }
    // The objectives' families, exported with --slo only.
    let slo = RenderOptions {
        slo: vec![Objective::parse("*:99%", routetop::config::parse_duration).unwrap()].into(),
        ..RenderOptions::default()
    };
    let text = render(&testkit::snapshot(), &slo, &mut ScrapeState::default());
    names.extend(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split(['{', ' ']).next())
            .filter(|n| n.starts_with("routetop_slo_"))
            .map(str::to_string),
    );
    names
}

#[test]
fn dashboard_and_rules_read_only_metrics_routetop_exports() {
    let exported = exported_names();
    let mut exprs: Vec<String> = dashboard_exprs();
    let rules = std::fs::read_to_string(assets().join("routetop.rules.yml")).unwrap();
    exprs.extend(rules.lines().filter_map(|l| {
        l.trim()
            .strip_prefix("expr: ")
            .filter(|e| *e != ">")
            .map(str::to_string)
    }));
    let mut seen = 0;
    for e in &exprs {
        for name in metric_names(e) {
            seen += 1;
            assert!(
                exported.contains(&name),
                "{name} (in {e:?}) is not exported"
            );
        }
    }
    assert!(seen > 20, "the check looked at {seen} names");
    // The objectives' row reads their families; Apdex reads the buckets at
    // the le of T and 4T.
    for name in [
        "routetop_slo_good_total",
        "routetop_slo_total",
        "routetop_slo_objective_ratio",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(name)),
            "no panel reads {name}"
        );
    }
    assert!(
        exprs
            .iter()
            .any(|e| e.contains("le=~\"$apdex_le\"") && e.contains("status!~\"5..\""))
    );
}

#[test]
fn dashboard_percentiles_are_fleet_wide() {
    let exprs = dashboard_exprs();
    let quantiles: Vec<&String> = exprs
        .iter()
        .filter(|e| e.contains("histogram_quantile"))
        .collect();
    assert_eq!(quantiles.len(), 2, "p50 and p99");
    for q in [0.5, 0.99] {
        assert!(
            quantiles
                .iter()
                .any(|e| e.starts_with(&format!("histogram_quantile({q}, "))),
            "{q}"
        );
    }
    for e in quantiles {
        // Buckets summed over instances first: never per instance, and
        // never from the summary, whose quantiles do not aggregate.
        assert!(
            e.contains("sum by (route, le) (rate(http_request_duration_seconds_bucket{"),
            "{e}"
        );
        assert!(!e.contains("instance)") && !e.contains("window"), "{e}");
    }
    // Rates use Grafana's rate interval, so panels work at any scrape interval.
    assert!(
        exprs
            .iter()
            .filter(|e| e.contains("rate("))
            .all(|e| e.contains("[$__rate_interval]"))
    );
}

#[test]
fn dashboard_queries_are_valid_promql() {
    if !need(&["promtool"]) {
        return;
    }
    // promtool has no PromQL-only check in Debian's version; recording
    // rules are checked for PromQL syntax, so wrap each query in one.
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, e) in dashboard_exprs().iter().enumerate() {
        let e = concrete(e);
        assert!(!e.contains('$'), "unreplaced variable in {e}");
        yaml.push_str(&format!(
            "      - record: dashboard:q{i}\n        expr: {}\n",
            serde_json::to_string(&e).unwrap()
        ));
    }
    let f = dir.path().join("dashboard.rules.yml");
    std::fs::write(&f, yaml).unwrap();
    let text = promtool(&["check", "rules", f.to_str().unwrap()]);
    let n = dashboard_exprs().len();
    assert!(
        text.contains(&format!("SUCCESS: {n} rules found")),
        "{text}"
    );
}

#[test]
fn dashboard_shape() {
    let d = dashboard();
    assert_eq!(d["uid"], "routetop-routes");
    let titles: Vec<&str> = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    for want in [
        "Requests per second by route",
        "5xx error ratio by route",
        "p50 latency by route",
        "p99 latency by route",
        "Unparsed lines per second",
    ] {
        assert!(titles.contains(&want), "{want} in {titles:?}");
    }
    // Distinct panel ids, as Grafana requires.
    let ids: BTreeSet<i64> = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), d["panels"].as_array().unwrap().len());
}

#[test]
fn systemd_unit_runs_the_headless_exporter() {
    let unit = std::fs::read_to_string(assets().join("routetop.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    assert_eq!(
        exec,
        "/usr/local/bin/routetop --headless --metrics ${LISTEN} --state ${STATE_DIRECTORY}/state $LOGS"
    );
    // Its state goes where systemd makes room for it.
    assert!(unit.contains("\nStateDirectory=routetop\n"));
    // The command line with the unit's defaults parses into a config that
    // serves /metrics on loopback.
    use clap::Parser;
    let args = routetop::config::Args::try_parse_from([
        "routetop",
        "--headless",
        "--metrics",
        "127.0.0.1:9898",
        "--state",
        "/var/lib/routetop/state",
        "/var/log/nginx/access.log",
    ])
    .unwrap();
    let c = routetop::config::Config::from_args(&args, false).unwrap();
    assert_eq!(c.export.metrics.as_deref(), Some("127.0.0.1:9898"));
    assert_eq!(
        c.live.state.as_deref(),
        Some(std::path::Path::new("/var/lib/routetop/state"))
    );
    assert_eq!(c.inputs.len(), 1);

    if net::which("systemd-analyze").is_none() {
        eprintln!("SKIPPED: systemd-analyze verify (systemd not installed)");
        return;
    }
    // Verify a copy that points at the built binary (verify wants it to
    // exist); any warning (an unknown or misspelt key) fails.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("routetop.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/routetop", env!("CARGO_BIN_EXE_routetop")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.trim().is_empty(), "{text}");
}

/// The Debian package's /etc/routetop/routetop.toml: as shipped (all
/// commented out) it is the defaults; with every example line uncommented
/// it still loads, with the values it shows.
#[test]
fn shipped_config_loads_as_is_and_uncommented() {
    use clap::Parser;
    let load = |path: &Path| {
        let path = path.to_str().unwrap();
        let args = routetop::config::Args::try_parse_from(["routetop", "--config", path]).unwrap();
        routetop::config::Config::from_args(&args, false)
    };
    let shipped = assets().join("routetop.toml");
    let text = std::fs::read_to_string(&shipped).unwrap();
    // As shipped: no input, nothing to read (the unit passes LOGS).
    let err = load(&shipped).unwrap_err().to_string();
    assert!(err.contains("no input"), "{err}");

    // Uncommented: `# key = …` and `# [table]` lines become settings.
    fn setting(l: &str) -> Option<&str> {
        let rest = l.strip_prefix("# ")?;
        let key = rest.split([' ', '=']).next()?;
        let is_key = !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && rest[key.len()..].trim_start().starts_with('=');
        (is_key || rest.starts_with('[')).then_some(rest)
    }
    let uncommented: String = text
        .lines()
        .map(|l| setting(l).unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        uncommented
            .lines()
            .filter(|l| l.starts_with("[[inputs]]"))
            .count(),
        2
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("routetop.toml");
    std::fs::write(&copy, &uncommented).unwrap();
    let c = load(&copy).unwrap();
    assert_eq!(c.inputs.len(), 2);
    assert_eq!(c.max_routes, 2000);
    assert_eq!(c.routes.len(), 1);
    assert_eq!(c.live.windows.len(), 2);
}
