//! Headless mode's stderr: the real binary says which input it cannot read
//! and why, at start and on every change, instead of printing empty
//! summaries forever.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// A headless routetop run in `dir`, its stderr lines arriving on a
/// channel; killed when dropped.
struct Headless {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Headless {
    fn start(dir: &std::path::Path, inputs: &[&str]) -> Headless {
        let mut child = Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "--step", "100ms"])
            .args(inputs)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run routetop");
        let err = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Headless {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to 20 s) until `want` has been said; returns everything
    /// said so far.
    fn wait_for(&mut self, want: &str) -> &[String] {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.seen.iter().any(|l| l == want) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!("never said {want:?}; said: {:#?}", self.seen)
                }
            }
        }
        &self.seen
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Regression: for a missing file, a directory or a file it may not read,
/// headless mode printed `0.00/s … lines 0` forever and nothing on stderr.
/// Each is said once at start, with why; a file that appears later is
/// said to be followed.
#[test]
fn headless_says_on_stderr_which_input_cannot_be_read_and_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let secret = dir.path().join("secret.log");
    std::fs::write(&secret, "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root reads every file: then there is no refusal to see.
    let refused = std::fs::read(&secret).is_err();
    let mut h = Headless::start(
        dir.path(),
        &["later.log", "logs", "secret.log", "rotated/*.log"],
    );
    h.wait_for(
        "routetop: input rotated/*.log: no file matches yet; the glob is looked at again every second",
    );
    h.wait_for(
        "routetop: input later.log: waiting: no such file (yet); it is read once it appears",
    );
    h.wait_for("routetop: input logs: cannot read it: not a regular file");
    if refused {
        h.wait_for("routetop: input secret.log: cannot read it: Permission denied (os error 13)");
    }
    std::fs::write(dir.path().join("later.log"), "").unwrap();
    let said = h.wait_for("routetop: input later.log: following").to_vec();
    // Once each, not once per summary or snapshot.
    for l in &said {
        assert_eq!(said.iter().filter(|m| *m == l).count(), 1, "{said:#?}");
    }
}

/// Regression: `routetop completions bash` silently waited for files named
/// `completions` and `bash`. There are no subcommands: say so, and name
/// them.
#[test]
fn routetop_completions_bash_says_there_are_no_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Headless::start(dir.path(), &["completions", "bash"]);
    let said = h
        .wait_for("routetop: input bash: waiting: no such file (yet); it is read once it appears")
        .to_vec();
    assert_eq!(
        said[0],
        "routetop: `completions`, `bash` name no file here; routetop has no subcommands: every argument is a log file (followed, and waited for until it exists), a glob or - (see routetop --help)"
    );
    h.wait_for(
        "routetop: input completions: waiting: no such file (yet); it is read once it appears",
    );
}
