//! End-to-end: the real `routetop` binary in a tmux pane, following a log
//! that is being appended to. Checks what a person would: the routes and
//! counts appear on screen, keys work (also when the logs come on stdin),
//! and after `q` or SIGTERM the terminal is back to normal (alternate
//! screen left, cursor shown, line discipline sane).
//!
//! Needs tmux (CI installs it); without it the tests say so and pass, or
//! fail where tools are required (`net::skip_or_fail`).
//! Each test uses its own tmux server socket, so a developer's tmux
//! sessions are never touched.

mod net;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_routetop");

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux server of our own with one 120×30 pane running `sh`.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(dir: &Path) -> Tmux {
        let t = Tmux {
            socket: dir.join("tmux.sock"),
        };
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "120",
            "-y",
            "30",
            "env",
            "TERM=xterm-256color",
            "PS1=$ ",
            "sh",
        ]);
        assert!(out.status.success(), "tmux: {out:?}");
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    fn type_line(&self, line: &str) {
        self.keys(&["-l", line]);
        self.keys(&["Enter"]);
    }

    fn pane(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "e2e", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Polls the screen until `ok` holds; panics with the screen if not.
    fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Tmux {
    /// Types `routetop ARGS` in the pane, followed by its exit status
    /// (`ROUTETOP-EXIT=N`) once it ends.
    fn routetop(&self, args: &str) {
        self.type_line(&format!("{BIN} {args}; echo ROUTETOP-EXIT=$?"));
    }

    /// Waits for the dashboard's table to be drawn.
    fn dashboard(&self) -> String {
        self.wait_for("the dashboard", Duration::from_secs(10), |s| {
            s.contains("routetop") && s.contains("Route")
        })
    }
}

/// A case's terminal: a temporary directory holding an empty
/// `access.log`, and a tmux pane in it. `None` when tmux is not installed:
/// the case is skipped, or fails where it must run (`net::skip_or_fail`).
/// The pane's server ends first when the three are dropped, then the
/// directory it ran in.
fn terminal() -> Option<(tempfile::TempDir, PathBuf, Tmux)> {
    if !tmux_available() {
        net::skip_or_fail("tmux is not installed (CI installs it)");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    append(&log, "");
    let t = Tmux::start(dir.path());
    Some((dir, log, t))
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// An nginx `combined_rt` line stamped now.
fn line(method: &str, path: &str, status: u16, secs: f64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let utc = routetop::view::human::utc(now); // 2024-03-10 00:00:00
    let (date, time) = utc.split_once(' ').unwrap_or((&utc, "00:00:00"));
    let mut d = date.split('-');
    let (y, m, day) = (
        d.next().unwrap_or("1970"),
        d.next().unwrap_or("01"),
        d.next().unwrap_or("01"),
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mon = MONTHS[m.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    format!(
        "10.0.0.1 - - [{day}/{mon}/{y}:{time} +0000] \"{method} {path} HTTP/1.1\" {status} 512 \"-\" \"e2e/1.0\" {secs:.3}\n"
    )
}

fn append(path: &Path, lines: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log");
    f.write_all(lines.as_bytes()).expect("append");
}

/// 30 GET /api/users/N (200) and 12 POST /login (401), in three bursts
/// as a server would write them.
fn write_traffic(log: &Path) {
    for burst in 0..3 {
        let mut s = String::new();
        for i in 0..10 {
            s.push_str(&line(
                "GET",
                &format!("/api/users/{}", burst * 10 + i),
                200,
                0.012,
            ));
        }
        for _ in 0..4 {
            s.push_str(&line("POST", "/login", 401, 0.250));
        }
        append(log, &s);
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The whitespace-separated cells of the table row of `route`.
fn row<'a>(screen: &'a str, route: &str) -> Option<Vec<&'a str>> {
    screen
        .lines()
        .find(|l| l.starts_with(route))
        .map(|l| l.split_whitespace().collect())
}

/// Columns at 120 wide: Route Method Req/s Reqs …: Reqs is the 4th cell.
fn reqs_is(screen: &str, route: &str, n: &str) -> bool {
    row(screen, route).is_some_and(|r| r.get(3) == Some(&n))
}

/// After the dashboard ends: normal screen, cursor on, echo and
/// canonical mode back (raw mode undone), shell usable.
fn assert_terminal_restored(t: &Tmux, dir: &Path) {
    t.wait_for("the shell after exit", Duration::from_secs(10), |s| {
        s.contains("ROUTETOP-EXIT=")
    });
    assert_eq!(t.pane("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.pane("#{cursor_flag}"), "1", "cursor shown");
    let stty = dir.join("stty.txt");
    t.type_line(&format!("stty -a > {}", stty.display()));
    let start = Instant::now();
    let modes = loop {
        match std::fs::read_to_string(&stty) {
            Ok(s) if s.contains("icanon") => break s,
            _ if start.elapsed() > Duration::from_secs(10) => panic!("stty -a did not run"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
        let words: Vec<&str> = modes.split_whitespace().collect();
        assert!(words.contains(&mode), "{mode} not restored:\n{modes}");
    }
}

#[test]
fn follows_a_growing_log_then_q_restores_the_terminal() {
    let Some((dir, log, t)) = terminal() else {
        return;
    };
    t.routetop(&log.display().to_string());
    t.dashboard();
    write_traffic(&log);
    let screen = t.wait_for("routes and counts", Duration::from_secs(15), |s| {
        reqs_is(s, "/api/users/:id", "30") && reqs_is(s, "/login", "12")
    });
    assert!(screen.contains("2/2 routes"), "{screen}");
    // Busiest first by default.
    let users = screen.find("/api/users/:id").unwrap_or(usize::MAX);
    let login = screen.find("\n/login").unwrap_or(0);
    assert!(users < login, "{screen}");
    // Keys work: filter to /login, then quit.
    // tmux takes flags before keys only: `/`, then the literal text.
    t.keys(&["/"]);
    t.keys(&["-l", "login"]);
    t.keys(&["Enter"]);
    t.wait_for("the filter", Duration::from_secs(5), |s| {
        s.contains("1/2 routes") && row(s, "/api/users/:id").is_none()
    });
    t.keys(&["q"]);
    assert_terminal_restored(&t, dir.path());
    assert!(t.screen().contains("ROUTETOP-EXIT=0"), "{}", t.screen());
}

#[test]
fn logs_on_stdin_keys_from_the_terminal_and_sigterm_restores() {
    let Some((dir, log, t)) = terminal() else {
        return;
    };
    let pidfile = dir.path().join("pid");
    // The pipe's reader writes its pid so the test can signal it alone.
    t.type_line(&format!(
        "tail -n +1 -f {} | sh -c 'echo $$ > {}; exec {BIN}'; echo ROUTETOP-EXIT=$?",
        log.display(),
        pidfile.display()
    ));
    t.wait_for("the dashboard", Duration::from_secs(10), |s| {
        s.contains("Route")
    });
    write_traffic(&log);
    t.wait_for("routes from stdin", Duration::from_secs(15), |s| {
        reqs_is(s, "/api/users/:id", "30") && reqs_is(s, "/login", "12")
    });
    // Keys come from the terminal, not from the pipe.
    t.keys(&["?"]);
    t.wait_for("the help overlay", Duration::from_secs(5), |s| {
        s.contains("reverse sort direction")
    });
    t.keys(&["Escape"]);
    t.wait_for("help closed", Duration::from_secs(5), |s| {
        !s.contains("reverse sort direction")
    });
    let pid = std::fs::read_to_string(&pidfile).expect("pid file");
    net::signal(pid.trim().parse().expect("a pid in the pid file"), "TERM");
    // `tail -f` leaves only when it next writes into the closed pipe.
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &line("GET", "/late", 200, 0.001));
    assert_terminal_restored(&t, dir.path());
}

/// The sum of a counter family's samples in an exposition.
fn counter_sum(exposition: &str, family: &str) -> f64 {
    exposition
        .lines()
        .filter(|l| l.starts_with(family) && l[family.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Regression: `r` `y` left the old counts on screen until a new line
/// arrived, and zeroed what /metrics exports (`http_requests_total`
/// 2000 → 1). In a real terminal: the footer says where /metrics is
/// served; after the reset the table empties at once, with no new line,
/// while the exported counters stay; a line after it counts in both.
#[test]
fn reset_redraws_at_once_and_metrics_keep_counting() {
    let Some((dir, log, t)) = terminal() else {
        return;
    };
    t.routetop(&format!("--metrics 127.0.0.1:0 {}", log.display()));
    let screen = t.wait_for("the dashboard", Duration::from_secs(10), |s| {
        s.contains("Route") && s.contains("/metrics on 127.0.0.1:")
    });
    let at = screen.find("/metrics on ").unwrap() + "/metrics on ".len();
    let addr: std::net::SocketAddr = screen[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .expect("an address in the footer");
    write_traffic(&log);
    t.wait_for("routes and counts", Duration::from_secs(15), |s| {
        reqs_is(s, "/api/users/:id", "30") && reqs_is(s, "/login", "12")
    });
    let scrape = || net::get(addr, "/metrics", &[]).expect("scrape").body;
    let total = |body: &str| counter_sum(body, "http_requests_total");
    let wait_total = |want: f64| {
        net::wait_for(Duration::from_secs(15), || {
            let b = scrape();
            (total(&b) == want).then_some(b)
        })
        .unwrap_or_else(|| panic!("http_requests_total never {want}: {}", scrape()))
    };
    let before = wait_total(42.0);
    let lines_read = counter_sum(&before, "routetop_lines_read_total");
    assert_eq!(lines_read, 42.0, "{before}");
    t.keys(&["r"]);
    t.wait_for("the question", Duration::from_secs(5), |s| {
        s.contains("Reset the dashboard's figures?")
    });
    t.keys(&["y"]);
    t.wait_for("the emptied table", Duration::from_secs(10), |s| {
        s.contains("0/0 routes") && row(s, "/login").is_none()
    });
    let after = scrape();
    assert_eq!(total(&after), 42.0, "{after}");
    assert_eq!(counter_sum(&after, "routetop_lines_read_total"), 42.0);
    append(&log, &line("POST", "/login", 401, 0.250));
    t.wait_for("the line after the reset", Duration::from_secs(10), |s| {
        reqs_is(s, "/login", "1") && s.contains("1/1 routes")
    });
    wait_total(43.0);
    t.keys(&["q"]);
    assert_terminal_restored(&t, dir.path());
}

/// Objectives and Apdex in a real terminal: the SLO column's states, the
/// Apdex column, and the drill-down's objectives box.
#[test]
fn objectives_and_apdex_show_in_the_table_and_the_drill_down() {
    let Some((dir, log, t)) = terminal() else {
        return;
    };
    t.routetop(&format!("--slo '*:99%' --apdex 100ms {}", log.display()));
    t.dashboard();
    // 30 fast 200s on /api/users/:id, 12 slow 500s on /login.
    let mut s = String::new();
    for i in 0..30 {
        s.push_str(&line("GET", &format!("/api/users/{i}"), 200, 0.012));
    }
    for _ in 0..12 {
        s.push_str(&line("POST", "/login", 500, 0.250));
    }
    append(&log, &s);
    // /login is below 99 % on its own; /api/users/:id is within it, but
    // the objective burns (12 of 42 bad: far over 14.4× in 5m and 1h).
    let screen = t.wait_for("the SLO and Apdex columns", Duration::from_secs(15), |s| {
        let users = s.lines().find(|l| l.starts_with("/api/users/:id"));
        let login = s.lines().find(|l| l.starts_with("/login"));
        users.is_some_and(|l| l.contains("! burn") && l.contains("1.00"))
            && login.is_some_and(|l| l.contains("✗ viol") && l.contains("0.00"))
    });
    assert!(
        screen.contains("SLO") && screen.contains("Apdex"),
        "{screen}"
    );
    // The drill-down of /login (second row): its objective, violated.
    t.keys(&["j"]);
    t.keys(&["Enter"]);
    t.wait_for("the objectives box", Duration::from_secs(5), |s| {
        s.contains("Objectives")
            && s.lines()
                .any(|l| l.contains("✗ viol") && l.contains("*:99%") && l.contains("12 bad of 12"))
    });
    t.keys(&["q"]);
    assert_terminal_restored(&t, dir.path());
}

/// The backends a format logs: the `b` screen lists every backend over all
/// routes, the failing one first, and a route's drill-down shows its
/// backends and hosts.
#[test]
fn backends_screen_and_the_drill_downs_backends_and_hosts() {
    let Some((dir, log, t)) = terminal() else {
        return;
    };
    let format = "$remote_addr - $remote_user [$time_local] \"$request\" $status \
                  $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $host \
                  $upstream_addr $request_time";
    t.routetop(&format!("-f '{format}' {}", log.display()));
    t.dashboard();
    // 20 requests to 10.0.1.1 (all 200), 8 to 10.0.1.2 (all 502), on
    // one route and one host; the nginx line with host and upstream
    // before its request time.
    let mut s = String::new();
    for i in 0..28 {
        let (backend, status) = if i < 20 {
            ("10.0.1.1:8080", 200)
        } else {
            ("10.0.1.2:8080", 502)
        };
        let l = line("GET", &format!("/api/items/{i}"), status, 0.010);
        let (head, secs) = l.trim_end().rsplit_once(' ').expect("a field");
        s.push_str(&format!("{head} shop.example.com {backend} {secs}\n"));
    }
    append(&log, &s);
    t.wait_for("the route", Duration::from_secs(15), |s| {
        reqs_is(s, "/api/items/:id", "28")
    });
    t.keys(&["b"]);
    t.wait_for(
        "the backends screen, the failing one first",
        Duration::from_secs(5),
        |s| {
            let rows: Vec<&str> = s.lines().filter(|l| l.contains("10.0.1.")).collect();
            rows.len() == 2
                && rows[0].contains("10.0.1.2:8080")
                && rows[0].contains(" 8 ")
                && rows[0].contains("100%")
                && rows[1].contains("10.0.1.1:8080")
                && rows[1].contains(" 20 ")
        },
    );
    t.keys(&["Escape"]);
    t.keys(&["Enter"]);
    t.wait_for("the drill-down's boxes", Duration::from_secs(5), |s| {
        s.contains("Backends (since start)")
            && s.contains("Hosts (since start)")
            && s.lines()
                .any(|l| l.contains("shop.example.com") && l.contains("28"))
    });
    t.keys(&["q"]);
    assert_terminal_restored(&t, dir.path());
}
