//! Backends and hosts per route through the real binary: a log whose
//! format carries `$host` and `$upstream_addr`, generated here, with every
//! figure computed in the test from the values written into the lines
//! (routetop is not in the oracle).

mod binary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

const FORMAT: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $host $upstream_addr $request_time";

/// One request as written: route, status, host, backend (`-`: none),
/// request time in ms.
struct Req {
    route: &'static str,
    status: u16,
    host: &'static str,
    backend: String,
    ms: u64,
}

/// 1 200 requests on 3 routes, 7 backends (one of them failing, and
/// every 11th request reached none), 3 hosts.
fn requests() -> Vec<Req> {
    let routes = ["/api/users", "/api/orders", "/health"];
    let hosts = ["api.example.com", "shop.example.com", "example.com"];
    (0..1200u64)
        .map(|i| {
            let route = routes[(i % 3) as usize];
            let b = (i / 3) % 7;
            let backend = match i % 11 {
                10 => "-".to_string(),
                _ => format!("10.0.0.{b}:8080"),
            };
            // Backend 6 fails one request in two; no backend is a 502.
            let status = match (backend.as_str(), b, i % 2) {
                ("-", _, _) => 502,
                (_, 6, 0) => 503,
                _ => 200,
            };
            Req {
                route,
                status,
                host: hosts[(i % 5 % 3) as usize],
                backend,
                ms: 1 + (i * 37) % 900,
            }
        })
        .collect()
}

fn write_log(dir: &Path, reqs: &[Req]) -> PathBuf {
    let mut text = String::new();
    for (i, r) in reqs.iter().enumerate() {
        text.push_str(&format!(
            "10.1.0.1 - - [10/Mar/2024:00:{:02}:{:02} +0000] \"GET {} HTTP/1.1\" {} 10 \"-\" \"ua\" {} {} {}.{:03}\n",
            i / 60 % 60,
            i % 60,
            r.route,
            r.status,
            r.host,
            r.backend,
            r.ms / 1000,
            r.ms % 1000
        ));
    }
    let path = dir.join("access.log");
    std::fs::write(&path, text).unwrap();
    path
}

/// The counters of one value, as the JSON report has them.
#[derive(Debug, Default, PartialEq, Clone)]
struct Counts {
    requests: u64,
    errors_5xx: u64,
    timed: u64,
    sum_ms: u64,
    max_ms: u64,
}

impl Counts {
    fn add(&mut self, r: &Req) {
        self.requests += 1;
        self.errors_5xx += u64::from((500..600).contains(&r.status));
        self.timed += 1;
        self.sum_ms += r.ms;
        self.max_ms = self.max_ms.max(r.ms);
    }

    fn merge(&mut self, o: &Counts) {
        self.requests += o.requests;
        self.errors_5xx += o.errors_5xx;
        self.timed += o.timed;
        self.sum_ms += o.sum_ms;
        self.max_ms = self.max_ms.max(o.max_ms);
    }

    /// As the report writes a value: name, counters, mean and max in s.
    fn json(&self, name: &str) -> Value {
        serde_json::json!({
            "name": name,
            "requests": self.requests,
            "errors_5xx": self.errors_5xx,
            "timed": self.timed,
            "mean": self.sum_ms as f64 / self.timed as f64 / 1e3,
            "max": self.max_ms as f64 / 1e3,
        })
    }
}

/// Per value of `field` (host or backend): its counts, `-` left out.
fn by_value<'a>(
    reqs: impl Iterator<Item = &'a Req>,
    field: fn(&Req) -> &str,
) -> BTreeMap<String, Counts> {
    let mut m: BTreeMap<String, Counts> = BTreeMap::new();
    for r in reqs {
        let v = field(r);
        if v != "-" {
            m.entry(v.to_string()).or_default().add(r);
        }
    }
    m
}

/// Most requests first, then by name, as JSON values.
fn listed(m: &BTreeMap<String, Counts>) -> Value {
    let mut v: Vec<(&String, &Counts)> = m.iter().collect();
    v.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(b.0)));
    Value::Array(v.into_iter().map(|(n, c)| c.json(n)).collect())
}

fn routetop(args: &[&str]) -> String {
    binary::stdout_ok(&mut binary::routetop(args))
}

fn backend(r: &Req) -> &str {
    &r.backend
}

fn host(r: &Req) -> &str {
    r.host
}

/// Floats compared to a few ulps: the report divides µs sums, the test ms.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn json_report_has_each_routes_backends_and_hosts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests();
    let log = write_log(dir.path(), &reqs);
    let out = routetop(&["--once", "-o", "json", "-f", FORMAT, log.to_str().unwrap()]);
    let report: Value = serde_json::from_str(&out).unwrap();

    let validator = binary::report_schema();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let routes = report["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 3);
    for r in routes {
        let name = r["route"].as_str().unwrap();
        let mine = || reqs.iter().filter(|q| q.route == name);
        let want_b = listed(&by_value(mine(), backend));
        let want_h = listed(&by_value(mine(), host));
        assert!(
            same(&r["backends"], &want_b),
            "{name}: {}\nwant {want_b}",
            r["backends"]
        );
        assert!(
            same(&r["hosts"], &want_h),
            "{name}: {}\nwant {want_h}",
            r["hosts"]
        );
    }
    let all_b = by_value(reqs.iter(), backend);
    assert_eq!(all_b.len(), 7);
    let want = serde_json::json!({
        "max": 200, "folded": 0, "folded_at_least": false, "values": listed(&all_b),
    });
    assert!(
        same(&report["backends"], &want),
        "{}\nwant {want}",
        report["backends"]
    );
    let want = serde_json::json!({
        "max": 200, "folded": 0, "folded_at_least": false,
        "values": listed(&by_value(reqs.iter(), host)),
    });
    assert!(
        same(&report["hosts"], &want),
        "{}\nwant {want}",
        report["hosts"]
    );
}

/// Past `--max-facets` the rest counts under `(other)`, exactly, and the
/// report says how many values it folded.
#[test]
fn values_past_the_cap_count_under_other() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests();
    let log = write_log(dir.path(), &reqs);
    let out = routetop(&[
        "--once",
        "-o",
        "json",
        "--max-facets",
        "3",
        "-f",
        FORMAT,
        log.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let all = by_value(reqs.iter(), backend);
    let b = &report["backends"];
    assert_eq!(b["max"], 3);
    assert_eq!(b["folded"], 4, "7 backends, 3 kept");
    let values = b["values"].as_array().unwrap();
    assert_eq!(values.len(), 4, "3 kept and (other)");
    let mut other = Counts::default();
    let kept: Vec<&str> = values
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .filter(|n| *n != "(other)")
        .collect();
    for (name, c) in &all {
        if !kept.contains(&name.as_str()) {
            other.merge(c);
        }
    }
    for v in values {
        let name = v["name"].as_str().unwrap();
        let want = match name {
            "(other)" => other.json(name),
            n => all[n].json(n),
        };
        assert!(same(v, &want), "{v}\nwant {want}");
    }
}

/// The table ends with a section per kind: each value over all routes,
/// most requests first; CSV stays one row per route.
#[test]
fn table_lists_backends_and_hosts_and_csv_is_per_route() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = requests();
    let log = write_log(dir.path(), &reqs);
    let table = routetop(&["--once", "-f", FORMAT, log.to_str().unwrap()]);
    let all = by_value(reqs.iter(), backend);
    let mut order: Vec<(&String, &Counts)> = all.iter().collect();
    order.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(b.0)));
    let section: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("BACKEND"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(section.len(), 8, "{table}");
    for (line, (name, c)) in section[1..].iter().zip(&order) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], name.as_str(), "{line}");
        assert_eq!(cols[1], c.requests.to_string(), "{line}");
    }
    assert!(table.contains("\nHOST "), "{table}");
    let csv = routetop(&["--once", "-o", "csv", "-f", FORMAT, log.to_str().unwrap()]);
    assert_eq!(
        csv.lines().count(),
        1 + 3 + 1,
        "header, 3 routes, total:\n{csv}"
    );
    assert!(!csv.contains("10.0.0."), "{csv}");
}
