//! The README stays true: its CLI reference is the binary's `--help`, and
//! its quick-start command runs.

mod binary;

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The README's CLI reference: the text between the help markers.
fn cli_reference(text: &str) -> &str {
    let start = text
        .find("<!-- help:start -->\n```text\n")
        .expect("help block")
        + "<!-- help:start -->\n```text\n".len();
    let end = text.find("```\n<!-- help:end -->").expect("help block end");
    &text[start..end]
}

#[test]
fn cli_reference_is_the_current_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let text = readme();
    assert_eq!(
        cli_reference(&text),
        help,
        "README's CLI reference is stale: paste `routetop --help` between the help markers"
    );
}

/// Every format preset is named in the CLI reference's format section
/// (as whole words: `combined` is not found inside `combined_rt`). Implied
/// by the test above and tests/config.rs while both pass; said here so a
/// stale README names the preset it lacks.
#[test]
fn cli_reference_names_every_preset() {
    let text = readme();
    let help = cli_reference(&text);
    let start = help.find("Formats (-f):").expect("a format section");
    let len = help[start..]
        .find("'<log_format>'")
        .expect("the presets line, then '<log_format>'");
    let words: Vec<&str> = help[start..start + len]
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    for (name, _, _) in routetop::format::PRESETS {
        assert!(
            words.contains(name),
            "README's CLI reference lacks the preset {name} (scripts/update-readme-help.sh)"
        );
    }
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
    let stdout = binary::stdout_ok(&mut binary::routetop(&args));
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
