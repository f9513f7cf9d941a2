//! The follower against a real nginx (Debian package), rotated the way
//! logrotate does it: rename the access log during traffic, let nginx keep
//! writing to the renamed file for a while, then `nginx -s reopen`. Every
//! request sent must be delivered exactly once.
//!
//! Skipped, with a message, when `nginx` is not installed; failed instead
//! where tools are required (`net::skip_or_fail`; CI installs it:
//! `apt-get install -y nginx`).

mod common;
mod net;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use routetop::engine::InputState;

const REQUESTS: u64 = 3000;
const CLIENTS: u64 = 3;

fn find_nginx() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// A running nginx, stopped (master and workers) when dropped.
struct Nginx {
    bin: PathBuf,
    prefix: PathBuf,
    child: Child,
}

impl Nginx {
    fn start(bin: &Path, prefix: &Path, port: u16) -> Nginx {
        let p = prefix.display();
        for d in ["tmp", "logs"] {
            fs::create_dir_all(prefix.join(d)).unwrap();
        }
        // Workers run as an unprivileged user when the test runs as root;
        // on reopen they open the log themselves, through these directories.
        for d in [prefix.to_path_buf(), prefix.join("logs")] {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let conf = format!(
            "daemon off;
master_process on;
worker_processes 2;
pid {p}/nginx.pid;
error_log {p}/error.log;
events {{ worker_connections 256; }}
http {{
    log_format req '$request_uri $status';
    access_log {p}/logs/access.log req;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 \"ok\\n\"; }}
    }}
}}
"
        );
        fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let child = Command::new(bin)
            .args(Nginx::args(prefix))
            .stdin(Stdio::null())
            .spawn()
            .expect("start nginx");
        Nginx {
            bin: bin.to_path_buf(),
            prefix: prefix.to_path_buf(),
            child,
        }
    }

    fn args(prefix: &Path) -> Vec<String> {
        let p = prefix.display();
        vec![
            "-p".into(),
            format!("{p}/"),
            "-c".into(),
            format!("{p}/nginx.conf"),
            "-e".into(),
            format!("{p}/error.log"),
        ]
    }

    fn signal(&self, sig: &str) {
        let out = Command::new(&self.bin)
            .args(Nginx::args(&self.prefix))
            .args(["-s", sig])
            .output()
            .expect("run nginx -s");
        assert!(
            out.status.success(),
            "nginx -s {sig}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `-s stop` ends the workers too; killing the master alone would not.
        let _ = Command::new(&self.bin)
            .args(Nginx::args(&self.prefix))
            .args(["-s", "stop"])
            .output();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on its own connection; true when nginx answered 200.
fn get(port: u16, id: u64) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if s.write_all(format!("GET /r/{id} HTTP/1.0\r\nHost: t\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    resp.starts_with(b"HTTP/1.1 200")
}

#[test]
fn nginx_reopen_during_traffic() {
    let Some(bin) = find_nginx() else {
        net::skip_or_fail(
            "nginx_reopen_during_traffic: nginx is not installed (apt-get install -y nginx)",
        );
        return;
    };
    let dir = tmp();
    let port = net::free_port();
    let nginx = Nginx::start(&bin, dir.path(), port);
    let log = dir.path().join("logs/access.log");
    let end = Instant::now() + TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < end,
            "nginx did not start: {:?}",
            fs::read_to_string(dir.path().join("error.log"))
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut o = opts();
    o.from_start = true;
    o.grace = Duration::from_secs(5);
    let mut f = Follow::start(vec![input(&path_str(&log))], o, 64);
    f.until_state(0, InputState::Following);

    // Clients take request ids from one counter until all are sent. The
    // last third waits for the reopen: on a loaded machine nginx's workers
    // reopened only after every request had been served (`old 3000, new
    // 0`), and the test saw no rotation at all.
    let next = Arc::new(AtomicU64::new(0));
    let reopened = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, reopened) = (next.clone(), reopened.clone());
            std::thread::spawn(move || {
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= REQUESTS {
                        return;
                    }
                    let end = Instant::now() + TIMEOUT;
                    while id >= REQUESTS / 3 * 2 && !reopened.load(Ordering::Acquire) {
                        assert!(Instant::now() < end, "nginx did not reopen its log");
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    assert!(get(port, id), "request {id} failed");
                }
            })
        })
        .collect();
    let wait_sent = |n: u64| {
        let end = Instant::now() + TIMEOUT;
        while next.load(Ordering::Relaxed) < n {
            assert!(Instant::now() < end, "traffic stalled");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    // logrotate without copytruncate: rename, nginx goes on writing to the
    // renamed file, then postrotate runs `nginx -s reopen`.
    wait_sent(REQUESTS / 3);
    fs::rename(&log, log.with_extension("log.1")).unwrap();
    wait_sent(REQUESTS / 2);
    nginx.signal("reopen");
    // The master creates the new file as it reopens, and has told the
    // workers to by then; a worker takes the next connection after.
    let end = Instant::now() + TIMEOUT;
    while !log.exists() {
        assert!(Instant::now() < end, "nginx did not reopen its log");
        std::thread::sleep(Duration::from_millis(1));
    }
    reopened.store(true, Ordering::Release);
    for c in clients {
        c.join().unwrap();
    }

    f.until("every request", |g| {
        count_lines(g, Some(0)) >= REQUESTS as usize
    });
    // Anything extra (a line read twice) would arrive right behind.
    std::thread::sleep(Duration::from_millis(200));
    f.stop();
    let ids: Vec<u64> = f
        .got
        .iter()
        .filter_map(|e| match e {
            Got::Line(0, l) => Some(l),
            _ => None,
        })
        .map(|l| {
            let s = std::str::from_utf8(l).expect("utf-8");
            s.strip_prefix("/r/")
                .and_then(|s| s.strip_suffix(" 200\n"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line {s:?}"))
        })
        .collect();
    assert_same_set(&ids, 0..REQUESTS);
    // The rotation really happened: both files hold requests.
    let old = fs::read_to_string(log.with_extension("log.1"))
        .unwrap()
        .lines()
        .count();
    let new = fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(old + new, REQUESTS as usize);
    assert!(old > 0 && new > 0, "old {old}, new {new}");
    assert!(f.rotations(0) >= 1, "{}", f.dump());
    drop(nginx);
}
