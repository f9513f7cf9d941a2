//! Headless mode as the real binary runs it: on stderr, which input it
//! cannot read and why, at start and on every change, instead of printing
//! empty summaries forever; on stdout, a backlog's summary as soon as it is
//! counted.

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
        self.wait_until(want, |l| l == want)
    }

    /// Waits (up to 20 s) until a line `is` what is wanted (`want` says
    /// what, for the failure); returns everything said so far.
    fn wait_until(&mut self, want: &str, is: impl Fn(&str) -> bool) -> &[String] {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.seen.iter().any(|l| is(l)) {
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

/// A compressed file in follow mode: with `--from-start`, read once to its
/// end (every line counted, in parallel with the others) and then done —
/// with only such inputs, headless ends with its since-start summary;
/// without it, a compressed file named on the command line is said not to
/// be followed, one a glob finds is left out, and a binary file is said
/// not to be read.
#[test]
fn compressed_files_are_read_once_from_start_and_never_followed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(root.join("sample-logs/combined_rt.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&data).unwrap();
    std::fs::write(dir.path().join("access.log.2.gz"), gz.finish().unwrap()).unwrap();
    let xz = {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(&data).unwrap();
        e.finish().unwrap()
    };
    std::fs::write(dir.path().join("access.log.1.xz"), xz).unwrap();
    // Every input ends: headless prints its since-start summary and exits.
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--headless", "--interval", "1h", "--from-start"])
        .args(["access.log.2.gz", "access.log.1.xz"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("since start: "))
        .unwrap_or_else(|| panic!("no summary: {stdout}"));
    assert!(
        summary.starts_with("since start: 4000 requests ")
            && summary.ends_with("  lines 4000  unparsed 0"),
        "{summary}"
    );
    let junk: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("blob.log"), junk).unwrap();
    std::fs::write(dir.path().join("access.log"), &data).unwrap();
    let mut h = Headless::start(dir.path(), &["access.log.2.gz", "access.log*", "blob.log"]);
    h.wait_for(
        "routetop: input access.log.2.gz: cannot read it: gzip compressed: not followed (nothing is appended to it); --from-start reads it once, or --once",
    );
    // The glob's inputs are taken up before blob.log's, and states are
    // said in that order: the compressed file it found would be said by
    // now, had it been taken up.
    let said = h
        .wait_for(
            "routetop: input blob.log: cannot read it: binary file, not text nor a gzip, zstd, bzip2 or xz stream: not read",
        )
        .to_vec();
    assert!(
        !said.iter().any(|l| l.contains("access.log.1.xz")),
        "{said:#?}"
    );
}

/// `--from-start --headless` on a file: its backlog, counted on all cores,
/// is summarised as soon as it is counted (the since-start block, stamped),
/// not an interval later (here 1 h); the block says what the one at the
/// end of the run says, since nothing was appended meanwhile.
#[test]
fn a_backlog_is_summarised_since_start_as_soon_as_it_is_counted() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--headless", "--interval", "1h", "--from-start"])
        // Every unread byte is a backlog: the sample is far below the
        // default threshold.
        .args(["--backfill-min", "0", "sample-logs/combined_rt.log"])
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run routetop");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let first = out.next();
        let _ = tx.send(first);
        // The rest, up to the end of the run.
        let _ = tx.send(out.find(|l| l.as_ref().map_or(true, |l| l.starts_with("since start: "))));
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a block within 20 s, not at the 1 h interval")
        .expect("a line")
        .unwrap();
    // Stopped: the run ends with its own since-start block.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let last = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the run's last block")
        .expect("a line")
        .unwrap();
    let _ = child.wait();
    let (stamp, block) = first.split_once("  ").unwrap();
    assert!(stamp.ends_with('Z') && stamp.len() == 20, "{first}");
    assert!(
        block.starts_with("since start: 2000 requests ")
            && block.ends_with("  lines 2000  unparsed 0"),
        "{first}"
    );
    assert_eq!(block, last);
}
