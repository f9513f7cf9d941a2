//! Helpers for the integration tests that talk to real servers on
//! 127.0.0.1: free ports, a minimal HTTP/1.1 client, external programs
//! (promtool, prometheus, prometheus-pushgateway from Debian's
//! `prometheus` and `prometheus-pushgateway` packages) that are killed when
//! the test ends, and bounded waiting.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The program's path if it is installed.
pub fn which(prog: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(prog))
        .find(|p| p.is_file())
}

/// Whether to run: missing programs skip the test, or fail it where tools
/// are required (see [`skip_or_fail`]).
pub fn need(progs: &[&str]) -> bool {
    let missing: Vec<&str> = progs
        .iter()
        .copied()
        .filter(|p| which(p).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    skip_or_fail(&format!(
        "{} not found (apt-get install prometheus prometheus-pushgateway)",
        missing.join(", ")
    ))
}

/// For a test that cannot run because a program is missing: prints
/// `SKIPPED: {msg}` and returns false (for `return skip_or_fail(..)`), or
/// fails the test when `CI` or `ROUTETOP_REQUIRE_TOOLS` is set
/// (scripts/test.sh installs the programs and sets the latter, so there a
/// skip would hide a broken install).
pub fn skip_or_fail(msg: &str) -> bool {
    if std::env::var_os("CI").is_some() || std::env::var_os("ROUTETOP_REQUIRE_TOOLS").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A child process killed (by its own pid) when dropped.
pub struct Proc(pub Child, pub &'static str);

impl Proc {
    pub fn spawn(cmd: &mut Command, name: &'static str) -> Proc {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Proc(child, name)
    }

    /// Its stderr so far, for failure messages (kills it).
    pub fn stderr(mut self) -> String {
        let _ = self.0.kill();
        let mut s = String::new();
        if let Some(mut e) = self.0.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends signal `sig` (a name as kill(1) takes it: `"TERM"`, `"HUP"`) to
/// process `pid`; fails the test unless `kill` succeeds.
pub fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pid}: {status}");
}

/// SIGTERM to `p` (by its pid), then its exit status; fails the test unless
/// it exits within `limit`.
pub fn sigterm_and_wait(p: &mut Proc, limit: Duration) -> ExitStatus {
    signal(p.0.id(), "TERM");
    wait_for(limit, || p.0.try_wait().ok().flatten())
        .unwrap_or_else(|| panic!("{} did not exit within {limit:?} of SIGTERM", p.1))
}

/// Polls `f` every 100 ms until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `raw` (a whole request) and reads the answer until the server
/// closes (requests should say `Connection: close`).
pub fn exchange(stream: &mut (impl Read + Write), raw: &[u8]) -> std::io::Result<Resp> {
    stream.write_all(raw)?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf)?;
    parse(&buf)
}

pub fn parse(buf: &[u8]) -> std::io::Result<Resp> {
    let bad = |m: &str| std::io::Error::other(m.to_string());
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&b[..nl]).ok()?.trim(), 16).ok()?;
        b = &b[nl + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

/// `GET path` with extra header lines (`"Name: value"`).
pub fn get(addr: SocketAddr, path: &str, headers: &[&str]) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    exchange(&mut s, req.as_bytes())
}

/// Polls `GET path` until it answers 200; false if it has not within
/// `limit`.
pub fn wait_ok(addr: SocketAddr, path: &str, limit: Duration) -> bool {
    wait_for(limit, || {
        get(addr, path, &[]).ok().filter(|r| r.status == 200)
    })
    .is_some()
}

/// Percent-encodes a PromQL query for a URL.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant query against a Prometheus server: the single result's
/// value, or `None` when there is no result yet (or an error).
pub fn query_value(prom: SocketAddr, q: &str) -> Option<f64> {
    let r = get(prom, &format!("/api/v1/query?query={}", urlencode(q)), &[]).ok()?;
    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
    let res = v["data"]["result"].as_array()?;
    if res.len() != 1 {
        return None;
    }
    res[0]["value"][1].as_str()?.parse().ok()
}

/// Starts Prometheus with `config` (YAML text), storing in `dir`; returns
/// it and its address once it answers.
pub fn start_prometheus(dir: &Path, config: &str) -> (Proc, SocketAddr) {
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, config).unwrap();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let p = Proc::spawn(
        Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}")),
        "prometheus",
    );
    if !wait_ok(addr, "/-/ready", Duration::from_secs(30)) {
        panic!("prometheus did not start: {}", p.stderr());
    }
    (p, addr)
}

/// Runs `promtool check metrics` on an exposition and fails the test with
/// promtool's words if it has anything to say.
pub fn promtool_check_metrics(body: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let msg = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && msg.trim().is_empty(), "{msg}");
}

/// Raises this process's soft open-file limit to at least `want` (the
/// tests that open 1 000 sockets need more than the common default of
/// 1 024). `Err(hard limit)` when the hard limit is lower: only root could
/// raise that.
pub fn raise_open_files(want: u64) -> Result<(), u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    // `None` is unlimited.
    if now.current.is_none_or(|c| c >= want) {
        return Ok(());
    }
    let hard = now.maximum.unwrap_or(u64::MAX);
    if hard < want {
        return Err(hard);
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: now.maximum,
        },
    )
    .map_err(|_| hard)
}

/// One sample line of the text format: name, labels, value.
pub fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let (head, value) = line.rsplit_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let Some((name, rest)) = head.split_once('{') else {
        return Some((head.to_string(), BTreeMap::new(), value));
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        if key.is_empty() {
            break;
        }
        if chars.next()? != '"' {
            return None;
        }
        let mut v = String::new();
        loop {
            match chars.next()? {
                '\\' => v.push(match chars.next()? {
                    'n' => '\n',
                    c => c,
                }),
                '"' => break,
                c => v.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_string(), v);
        if chars.peek() == Some(&'}') {
            break;
        }
    }
    Some((name.to_string(), labels, value))
}
