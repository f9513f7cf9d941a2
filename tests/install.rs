//! What an installed routetop tells about itself: `-V` / `--version`, and
//! the man page and completions of `--generate`, which the Debian package
//! ships (scripts/deb.sh) and which must match `--help`.

use std::process::Command;

fn routetop(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(args)
        .output()
        .expect("run routetop");
    assert!(
        out.status.success(),
        "routetop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn short_version_is_version_commit_and_date() {
    assert_eq!(
        routetop(&["-V"]),
        format!("routetop {}\n", routetop::version::SHORT)
    );
    let v = routetop::version::SHORT;
    assert!(
        v.starts_with(&format!("{} (rev ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
}

#[test]
fn long_version_adds_features_target_and_rustc() {
    let out = routetop(&["--version"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(lines[0], format!("routetop {}", routetop::version::SHORT));
    assert_eq!(lines[1], "");
    assert!(lines[2].starts_with("features: "), "{out}");
    assert!(lines[3].starts_with("target: "), "{out}");
    assert!(lines[4].starts_with("rustc "), "{out}");
}

/// Every long flag `--help` lists is in the man page (roff spells `-` as
/// `\-`), so the page cannot lack a flag.
#[test]
fn man_page_has_every_flag_of_help() {
    let help = routetop(&["--help"]);
    let man = routetop(&["--generate", "man"]);
    let flags: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .filter(|w| w[2..].bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        .collect();
    assert!(flags.len() >= 30, "{flags:?}");
    for flag in flags {
        assert!(
            man.contains(&flag.replace('-', "\\-")),
            "the man page lacks {flag}"
        );
    }
    assert!(man.contains("\n.TH routetop 1 "), "no .TH line");
}

/// The bash completion, loaded in a real bash and called as bash's
/// `complete -F` calls it (command, word, previous word), completes a flag
/// and the values of `--generate`.
#[test]
fn bash_completion_completes_flags_and_values() {
    let script = routetop(&["--generate", "complete-bash"]);
    let complete = |words: &str, cword: usize| -> String {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; \
                 COMP_POINT=${{#COMP_LINE}}; \
                 _routetop routetop \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\""
            ))
            .output()
            .expect("run bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert_eq!(complete("routetop --gen", 1), "--generate\n");
    assert_eq!(
        complete("routetop --generate complete-", 2),
        "complete-bash\ncomplete-zsh\ncomplete-fish\ncomplete-powershell\n"
    );
}

#[test]
fn every_shell_gets_a_completion_script() {
    for (kind, marker) in [
        ("complete-zsh", "#compdef routetop"),
        ("complete-fish", "complete -c routetop"),
        ("complete-powershell", "Register-ArgumentCompleter"),
    ] {
        let script = routetop(&["--generate", kind]);
        assert!(script.contains(marker), "{kind}: no {marker:?}");
        assert!(script.contains("generate"), "{kind}: no --generate");
    }
}
