//! The real binary run to its end, for the tests that read what it prints:
//! one way to start it, one check that it succeeded (saying its stderr
//! when it did not), one reading of the report's JSON schema.
// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// `routetop` with `args`, run from the repository's root (where
/// `sample-logs/` is).
pub fn routetop(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_routetop"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// What `cmd` printed on stdout; the test fails, with `cmd`'s stderr,
/// unless it exited 0.
pub fn stdout_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The schema every `--once -o json` report must match
/// (`assets/report.schema.json`).
pub fn report_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json");
    let schema = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}
