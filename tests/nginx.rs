//! Against real nginx (Debian's package; `.ci/run` installs it): nginx on
//! 127.0.0.1 writes the same traffic through several `log_format`s, and
//! `routetop --once` must count every log exactly. Skipped, loudly, when
//! nginx is not installed; failed instead where tools are required
//! (`net::skip_or_fail`).

mod binary;

mod net;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn nginx_bin() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

struct Nginx {
    child: Child,
    bin: PathBuf,
    prefix: PathBuf,
    port: u16,
}

impl Nginx {
    fn start(dir: &Path, http_block: &str) -> Option<Nginx> {
        let Some(bin) = nginx_bin() else {
            net::skip_or_fail("nginx is not installed (apt-get install nginx)");
            return None;
        };
        let port = net::free_port();
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let conf = format!(
            "pid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\nworker_processes 1;\nevents {{ worker_connections 64; }}\n\
             http {{\n  client_body_temp_path {p}/tmp;\n  proxy_temp_path {p}/tmp;\n  fastcgi_temp_path {p}/tmp;\n  \
             uwsgi_temp_path {p}/tmp;\n  scgi_temp_path {p}/tmp;\n{}\n}}\n",
            http_block.replace("PORT", &port.to_string()),
            p = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new(&bin)
            .args([
                "-p",
                dir.to_str().unwrap(),
                "-c",
                "nginx.conf",
                "-g",
                "daemon off;",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx");
        let n = Nginx {
            child,
            bin,
            prefix: dir.to_path_buf(),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                n.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(n)
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }

    /// Sends raw bytes, returns the response status (0 if none).
    fn raw(&self, req: &[u8]) -> u16 {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(req).unwrap();
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp);
        text.split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    fn request(&self, method: &str, target: &str) -> u16 {
        self.raw(format!("{method} {target} HTTP/1.1\r\nHost: t\r\nUser-Agent: rt-test \"q\"\r\nConnection: close\r\n\r\n").as_bytes())
    }

    /// Stops nginx and waits, so every access-log line is on disk.
    fn stop(mut self) {
        let _ = Command::new(&self.bin)
            .args([
                "-p",
                self.prefix.to_str().unwrap(),
                "-c",
                "nginx.conf",
                "-s",
                "quit",
            ])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

const HTTP: &str = r#"
  log_format rt '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
  log_format up '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time';
  log_format dashed '$remote_addr-[$time_local]-$request-$status-$request_time';
  log_format iso '$time_iso8601 $request_method $request_uri $status $body_bytes_sent $request_time "$http_user_agent"';
  log_format js escape=json '{"remote_addr":"$remote_addr","time_local":"$time_local","request":"$request",'
                            '"status":$status,"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,'
                            '"upstream_response_time":"$upstream_response_time","http_user_agent":"$http_user_agent"}';
  server {
    listen 127.0.0.1:PORT;
    access_log logs/combined.log combined;
    access_log logs/rt.log rt;
    access_log logs/up.log up;
    access_log logs/dashed.log dashed;
    access_log logs/iso.log iso;
    access_log logs/json.log js;
    location = /ok { return 200 "ok\n"; }
    location ~ ^/api/users/\d+$ { return 200 "user\n"; }
    location ~ ^/api/users/\d+/orders$ { return 200 "orders\n"; }
    location = /missing { return 404; }
    location = /boom { return 503; }
    location = /redirect { return 302 /ok; }
    location = /proxy/x { proxy_pass http://127.0.0.1:PORT/ok; }
  }
"#;

fn once(args: &[&str]) -> Value {
    let out = binary::stdout_ok(binary::routetop(&["--once", "-o", "json"]).args(args));
    serde_json::from_str(&out).unwrap()
}

fn by(r: &Value, list: &str, key: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for x in r[list].as_array().unwrap() {
        let k = match &x[key] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        *m.entry(k).or_default() += x[if list == "entries" {
            "count"
        } else {
            "requests"
        }]
        .as_u64()
        .unwrap();
    }
    m
}

#[test]
fn real_nginx_logs_in_six_formats_are_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let Some(nginx) = Nginx::start(dir.path(), HTTP) else {
        return;
    };
    let mut want_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut want_route: BTreeMap<String, u64> = BTreeMap::new();
    let mut send = |method: &str, target: &str, status: u16, route: &str, n: usize| {
        for i in 0..n {
            let t = target.replace("{i}", &(1000 + i).to_string());
            assert_eq!(nginx.request(method, &t), status, "{method} {t}");
            *want_status.entry(status.to_string()).or_default() += 1;
            *want_route.entry(route.to_string()).or_default() += 1;
        }
    };
    send("GET", "/api/users/{i}", 200, "/api/users/:id", 30);
    send(
        "GET",
        "/api/users/{i}/orders?page=2",
        200,
        "/api/users/:id/orders",
        10,
    );
    send("GET", "/missing", 404, "/missing", 12);
    send("POST", "/boom", 503, "/boom", 8);
    send("GET", "/redirect", 302, "/redirect", 5);
    send("HEAD", "/ok", 200, "/ok", 4);
    send("GET", "/proxy/x", 200, "/proxy/x", 6);
    // Not HTTP at all (a TLS hello on a plain port): nginx answers 400.
    for _ in 0..2 {
        assert_eq!(
            nginx.raw(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n"),
            400
        );
        *want_status.entry("400".into()).or_default() += 1;
    }
    let total: u64 = want_status.values().sum();
    // The proxied requests logged twice in the same files (once for the
    // client, once for the sub-request to /ok).
    let proxied = 6;
    nginx.stop();

    let logs = dir.path().join("logs");
    let log = |n: &str| logs.join(n).to_str().unwrap().to_string();
    let cases: Vec<(String, Vec<String>, &str)> = vec![
        ("combined.log".into(), vec![], "combined"),
        ("rt.log".into(), vec![], "combined_rt"),
        ("up.log".into(), vec![], "combined_upstream"),
        (
            "dashed.log".into(),
            vec!["-f".into(), "$remote_addr-[$time_local]-$request-$status-$request_time".into()],
            "nginx '$remote_addr-[$time_local]-$request-$status-$request_time'",
        ),
        (
            "iso.log".into(),
            vec![
                "-f".into(),
                r#"log_format iso '$time_iso8601 $request_method $request_uri $status $body_bytes_sent $request_time "$http_user_agent"';"#.into(),
            ],
            r#"nginx '$time_iso8601 $request_method $request_uri $status $body_bytes_sent $request_time "$http_user_agent"'"#,
        ),
        ("json.log".into(), vec![], "json (nginx)"),
    ];
    for (file, args, format) in cases {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        let path = log(&file);
        a.push(&path);
        let r = once(&a);
        let input = &r["inputs"][0];
        assert_eq!(input["format"], format, "{file}");
        assert_eq!(input["parse_errors"], 0, "{file}: {}", input["samples"]);
        assert_eq!(
            r["totals"]["requests"].as_u64().unwrap(),
            total + proxied,
            "{file}"
        );
        let mut status = by(&r, "entries", "status");
        *status.get_mut("200").unwrap() -= proxied;
        assert_eq!(status, want_status, "{file}: by status");
        let mut routes = by(&r, "routes", "route");
        // The TLS bytes are no request: one route for them, whatever the
        // format's escaping (the iso format logs no $request, so its
        // request_uri is empty).
        assert_eq!(routes.remove("(invalid)"), Some(2), "{file}");
        *routes.get_mut("/ok").unwrap() -= proxied;
        assert_eq!(routes, want_route, "{file}: by route");
        // Latency: every format here carries a timer except plain combined.
        assert_eq!(
            r["totals"]["latency"].is_null(),
            file == "combined.log",
            "{file}"
        );
    }
}
