//! The binary's contract with scripts: genlog.py's flags and exit
//! statuses (0 on success and `--help`, 2 on a usage error with the message
//! on stderr), output on stdout or in `-o FILE`, identical either way.

use std::process::{Command, Output};

use routetop_genlog::{LogFormat, Options, generate_vec, log_format};

fn genlog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routetop-genlog"))
        .args(args)
        .output()
        .expect("run routetop-genlog")
}

#[test]
fn stdout_matches_the_library() {
    let out = genlog(&[
        "--lines=300",
        "--seed",
        "3",
        "--format",
        "dashed",
        "--routes=50",
    ]);
    assert!(out.status.success());
    let want = generate_vec(&Options {
        lines: 300,
        seed: 3,
        format: LogFormat::Seed000,
        routes: 50,
        ..Options::default()
    })
    .expect("valid options");
    assert_eq!(out.stdout, want);
    assert!(out.stderr.is_empty());
}

#[test]
fn out_file_matches_stdout() {
    let dir = std::env::temp_dir().join(format!("routetop-genlog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("out.log");
    let path_s = path.to_str().expect("UTF-8 temp path");
    let file = genlog(&["--lines", "500", "--bad-every", "50", "-o", path_s]);
    assert!(file.status.success());
    let stdout = genlog(&["--lines", "500", "--bad-every", "50", "--out=-"]);
    assert_eq!(std::fs::read(&path).expect("output file"), stdout.stdout);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn help_lists_formats_and_exits_0() {
    let out = genlog(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("UTF-8 help");
    for fmt in LogFormat::ALL {
        assert!(help.contains(log_format(fmt)), "{}", fmt.name());
    }
    assert!(help.contains("--bad-every"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--lines", "-1"][..],
        &["--routes", "0"],
        &["--format", "xml"],
        &["--lines"],
        &["--bogus"],
        &["--rate", "0"],
    ] {
        let out = genlog(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("usage: routetop-genlog"), "{err}");
        assert!(err.contains("routetop-genlog: error: "), "{err}");
    }
}
