//! The README stays true: its CLI reference is the binary's `--help`, and
//! its quick-start command runs.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

#[test]
fn cli_reference_is_the_current_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let text = readme();
    let start = text
        .find("<!-- help:start -->\n```text\n")
        .expect("help block")
        + "<!-- help:start -->\n```text\n".len();
    let end = text.find("```\n<!-- help:end -->").expect("help block end");
    assert_eq!(
        &text[start..end],
        help,
        "README's CLI reference is stale: paste `routetop --help` between the help markers"
    );
}

#[test]
fn quick_start_runs_on_the_bundled_sample() {
    let text = readme();
    let line = text
        .lines()
        .find(|l| l.starts_with("cargo run --release -- "))
        .expect("quick start command");
    let args: Vec<&str> = line["cargo run --release -- ".len()..]
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("2000 requests"), "{stdout}");
}

/// Every dashboard key the help overlay lists is in the README's key table,
/// with the same description.
#[test]
fn key_table_is_the_dashboard_help() {
    let text = readme();
    for (keys, action) in routetop::view::tui::HELP {
        let row = format!("| `{keys}` | {action} |");
        assert!(text.contains(&row), "README lacks the key row {row:?}");
    }
}
