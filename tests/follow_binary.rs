//! Follow mode through the real binary where what comes before the first
//! line read matters: a W3C log followed from its end, whose columns are
//! named only in a `#Fields:` line before the start. (Compressed stdin in
//! follow mode: tests/compressed.rs.)

mod net;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use net::{Proc, free_port, get, parse_sample, sigterm_and_wait, wait_for};

/// Microsoft's example of an IIS W3C extended log ("W3C Extended Log File
/// Examples (IIS 6.0)", learn.microsoft.com): four directives, then one
/// request.
const IIS_DOC: &str = "#Software: Microsoft Internet Information Services 6.0
#Version: 1.0
#Date: 2002-05-24 20:18:01
#Fields: date time c-ip cs-username s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-bytes cs-bytes time-taken cs(User-Agent) cs(Referrer)
2002-05-24 20:18:01 172.224.24.114 - 206.73.118.24 80 GET /Default.htm - 200 7930 248 31 Mozilla/4.0+(compatible;+MSIE+5.01;+Windows+2000+Server) http://64.224.24.114/
";

/// After a restart IIS writes its header again, here with other columns
/// (fewer, in another order): the lines after it parse only by it.
const RESTART: &str = "#Software: Microsoft Internet Information Services 6.0
#Version: 1.0
#Date: 2002-05-24 21:00:00
#Fields: time cs-method cs-uri-stem sc-status time-taken date
";

/// A request in [`RESTART`]'s columns.
fn after_restart(path: &str, status: u16, ms: u32) -> String {
    format!("21:00:01 GET {path} {status} {ms} 2002-05-24\n")
}

/// The counter series of one scrape whose name is `name`, as
/// (labels → value); `None` until /metrics answers.
fn series(addr: SocketAddr, name: &str) -> Option<BTreeMap<String, f64>> {
    let r = get(addr, "/metrics", &[]).ok()?;
    (r.status == 200).then(|| {
        r.body
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(parse_sample)
            .filter(|(n, _, _)| n == name)
            .map(|(_, labels, v)| {
                let l: Vec<String> = labels
                    .iter()
                    .filter(|(k, _)| *k != "source")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                (l.join(","), v)
            })
            .collect()
    })
}

fn headless(addr: SocketAddr, args: &[&str], log: &Path) -> Proc {
    Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "--step", "100ms"])
            .arg("--metrics")
            .arg(addr.to_string())
            .args(args)
            .arg(log),
        "routetop",
    )
}

/// Regression: following an IIS log from its end (no `--from-start`), the
/// lines written after the start carry no header, so `auto` found no format
/// and counted every one as unparsed (and `-f iis` knew no columns). The
/// header in force at the start — the restart's, not the file's first — is
/// read back from the file: every new line parses, none of the lines
/// before the start or the header lines is counted.
#[test]
fn w3c_log_followed_from_its_end_parses_new_lines_by_the_header_in_force() {
    for args in [&[][..], &["-f", "iis"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("u_ex020524.log");
        let before = format!(
            "{IIS_DOC}{RESTART}{}{}",
            after_restart("/old/1", 200, 5),
            after_restart("/old/2", 200, 5)
        );
        std::fs::write(&log, &before).unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut p = headless(addr, args, &log);
        // The file is open at its end once the input is following.
        wait_for(Duration::from_secs(20), || {
            let inputs = series(addr, "routetop_inputs")?;
            (inputs.get("state=following") == Some(&1.0)).then_some(())
        })
        .unwrap_or_else(|| panic!("{args:?}: routetop never followed the log"));
        let new: String = [
            after_restart("/api/orders/17", 200, 12),
            after_restart("/api/orders/18", 404, 3),
            after_restart("/api/orders/19", 200, 40),
            after_restart("/health", 500, 1),
        ]
        .concat();
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(new.as_bytes()).unwrap();
        let got = wait_for(Duration::from_secs(20), || {
            let lines = series(addr, "routetop_lines_read_total")?;
            (lines.values().sum::<f64>() == 4.0).then_some(())?;
            series(addr, "http_requests_total")
        })
        .unwrap_or_else(|| panic!("{args:?}: the 4 new lines were never read"));
        let want: BTreeMap<String, f64> = [
            ("method=GET,route=/api/orders/:id,status=200", 2.0),
            ("method=GET,route=/api/orders/:id,status=404", 1.0),
            ("method=GET,route=/health,status=500", 1.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(got, want, "{args:?}");
        // IIS's time-taken is in milliseconds (`#Software:` says IIS wrote
        // it): 12 + 3 + 40 + 1 ms.
        let sum: f64 = series(addr, "http_request_duration_seconds_sum")
            .unwrap()
            .values()
            .sum();
        assert!((sum - 0.056).abs() < 1e-9, "{args:?}: {sum}");
        let unparsed = series(addr, "routetop_lines_unparsed_total").unwrap();
        assert_eq!(
            unparsed.values().sum::<f64>(),
            0.0,
            "{args:?}: {unparsed:?}"
        );
        let status = sigterm_and_wait(&mut p, Duration::from_secs(20));
        assert!(status.success(), "{args:?}: {status}");
    }
}

/// Regression: a named pipe (`mkfifo`, or a shell's `<(kubectl logs -f …)`)
/// as an input of follow mode was "not a regular file" and never read,
/// and a headless run of it never ended; `--once` read it. It is now
/// followed as stdin is: every line counted, and a headless run whose only
/// input is the pipe ends when its writer closes it.
#[test]
fn a_named_pipe_is_followed_as_stdin_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("access.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    // Killed if the test fails before it ends.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h"])
            .arg(&fifo)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start routetop"),
    );
    // Opened for writing once routetop has it open for reading (without
    // O_NONBLOCK the open would wait for a reader forever: a hang, not a
    // failure, if routetop never reads it).
    let mut w = wait_for(Duration::from_secs(20), || {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(&fifo)
            .ok()
    })
    .expect("routetop opens the pipe for reading");
    let text: String = (0..120)
        .map(|i| {
            format!(
                "10.0.0.1 - - [10/Mar/2024:00:00:{:02} +0000] \"GET /p/{i} HTTP/1.1\" {} 5 \"-\" \"t\" 0.010\n",
                i % 60,
                if i % 10 == 0 { 503 } else { 200 }
            )
        })
        .collect();
    w.write_all(text.as_bytes()).expect("write");
    drop(w);
    let status = wait_for(Duration::from_secs(20), || {
        child.0.try_wait().ok().flatten()
    })
    .expect("routetop ends when the pipe is closed");
    assert!(status.success());
    let read = |r: Option<&mut dyn std::io::Read>| {
        let mut s = String::new();
        if let Some(r) = r {
            let _ = r.read_to_string(&mut s);
        }
        s
    };
    let stdout = read(child.0.stdout.as_mut().map(|r| r as &mut dyn std::io::Read));
    let stderr = read(child.0.stderr.as_mut().map(|r| r as &mut dyn std::io::Read));
    assert!(
        stdout.starts_with("since start: 120 requests") && stdout.contains("5xx 10%"),
        "{stdout}"
    );
    assert!(stdout.contains("lines 120  unparsed 0"), "{stdout}");
    assert!(stderr.contains("access.fifo: done (closed)"), "{stderr}");
    assert!(!stderr.contains("not a regular file"), "{stderr}");
}
