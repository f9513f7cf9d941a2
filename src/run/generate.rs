//! `routetop --generate KIND`: the man page and the shell completion
//! scripts, rendered from the clap definition (`config/cli.rs`) at run time,
//! so they cannot drift from `--help`. The man page adds what clap does not
//! know, each from the table the program itself uses: the format presets
//! (`format::PRESETS`), the dashboard keys (`view::tui::HELP`), the exit
//! codes (`run/error.rs` `EXIT_CODES`); and the files, signals and
//! environment, described here.

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use super::error::EXIT_CODES;
use crate::config::ConfigError;
use crate::config::{Args, Generate};
use crate::engine::slo::Objective;
use crate::format::PRESETS;
use crate::version;
use crate::view::export::rules::prometheus_rules;
use crate::view::tui::HELP;

/// The bytes `--generate kind` prints.
pub fn generate(kind: Generate) -> Vec<u8> {
    let mut cmd = Args::command();
    let shell = match kind {
        Generate::Man => return man(cmd),
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
        // Needs the objectives: `generate_rules`.
        Generate::PrometheusRules => return Vec::new(),
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "routetop", &mut out);
    out
}

/// `--generate prometheus-rules`: the rules for `objectives` (at least
/// one, else a settings error).
pub fn generate_rules(objectives: &[Objective]) -> Result<Vec<u8>, ConfigError> {
    if objectives.is_empty() {
        return Err(ConfigError(
            "--generate prometheus-rules: give the objectives with --slo or [[slo]] in --config"
                .into(),
        ));
    }
    Ok(prometheus_rules(objectives).into_bytes())
}

/// The man page, section 1: clap's title, name, synopsis, description and
/// options, then the sections below.
fn man(cmd: clap::Command) -> Vec<u8> {
    let after_help = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    let page = clap_mangen::Man::new(cmd)
        .date(version::BUILD_DATE)
        .source(format!("routetop {}", version::VERSION))
        .manual("User Commands");
    let mut out = Vec::new();
    page.render_title(&mut out)
        .and_then(|()| page.render_name_section(&mut out))
        .and_then(|()| page.render_synopsis_section(&mut out))
        .and_then(|()| page.render_description_section(&mut out))
        .and_then(|()| page.render_options_section(&mut out))
        .expect("writing to a Vec cannot fail");

    let mut r = Roff::new();
    formats(&mut r, &after_help);
    keys(&mut r);
    exit_status(&mut r);
    signals(&mut r);
    files(&mut r);
    environment(&mut r);
    r.control("SH", ["VERSION"]);
    r.text([roman(version::SHORT)]);
    out.extend_from_slice(r.render().as_bytes());
    out
}

/// A tagged paragraph: `tag` in bold, then `text`.
fn item(r: &mut Roff, tag: &str, text: impl Into<Vec<Inline>>) {
    r.control("TP", []);
    r.text([bold(tag)]);
    r.text(text);
}

/// `--help`'s text after the flags (formats and examples) as it is, then
/// every preset with the format it stands for.
fn formats(r: &mut Roff, after_help: &str) {
    r.control("SH", ["FORMATS AND EXAMPLES"]);
    r.control("nf", []);
    for line in after_help.lines() {
        r.text([roman(line)]);
    }
    r.control("fi", []);
    r.control("SS", ["Presets"]);
    for (name, what, format) in PRESETS {
        item(r, name, [roman(*what), roman(": "), italic(*format)]);
    }
}

fn keys(r: &mut Roff) {
    r.control("SH", ["DASHBOARD KEYS"]);
    r.text([roman(
        "Without --once and --headless, on a terminal, routetop shows a live \
         dashboard. Its keys (? shows them):",
    )]);
    for (keys, what) in HELP {
        item(r, keys, [roman(*what)]);
    }
}

fn exit_status(r: &mut Roff) {
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in EXIT_CODES {
        item(r, &code.to_string(), [roman(*what)]);
    }
}

fn signals(r: &mut Roff) {
    r.control("SH", ["SIGNALS"]);
    item(
        r,
        "SIGINT, SIGTERM",
        [roman(
            "Stop cleanly: every line read is counted; with --push, one last push; \
             with --state, the state is saved.",
        )],
    );
    item(
        r,
        "SIGHUP",
        [roman(
            "Re-read the config file and the ROUTETOP_* environment and apply, without \
             losing a line: route rules, inputs (added ones start following, removed ones \
             stop), the web config; every input is looked at again (files reopened, globs \
             re-expanded). A config that fails to load keeps the running one, with one \
             line on stderr. Other settings need a restart.",
        )],
    );
}

fn files(r: &mut Roff) {
    r.control("SH", ["FILES"]);
    item(
        r,
        "/etc/routetop/routetop.toml",
        [roman(
            "The config file of the Debian package's service (--config FILE, or \
             ROUTETOP_CONFIG, names one; flags override it). The same settings as \
             the flags, in TOML.",
        )],
    );
    item(
        r,
        "/var/lib/routetop/state",
        [roman(
            "The service's saved state (--state FILE): offsets and counts, so a \
             restart resumes exactly. Saved atomically through FILE.tmp; a state \
             routetop cannot use is moved aside to FILE.bad.",
        )],
    );
    item(
        r,
        "/etc/default/routetop",
        [roman(
            "The service's settings (systemd EnvironmentFile): LISTEN, LOGS and \
             any ROUTETOP_* variable.",
        )],
    );
    item(
        r,
        "/usr/share/routetop/",
        [roman(
            "The Debian package's Grafana dashboard, Prometheus rules and \
             scrape config.",
        )],
    );
}

fn environment(r: &mut Roff) {
    r.control("SH", ["ENVIRONMENT"]);
    item(
        r,
        "ROUTETOP_*",
        [roman(
            "Each sets the flag of the same name (ROUTETOP_FORMAT for --format, \
             ...), as OPTIONS lists; a flag given overrides it.",
        )],
    );
    item(
        r,
        "NO_COLOR",
        [roman(
            "Set to anything non-empty, the dashboard has no colours.",
        )],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn man_page() -> String {
        String::from_utf8(generate(Generate::Man)).expect("UTF-8")
    }

    #[test]
    fn man_page_has_every_section() {
        let page = man_page();
        let sections: Vec<&str> = page
            .lines()
            .filter_map(|l| l.strip_prefix(".SH "))
            .collect();
        assert_eq!(
            sections,
            [
                "NAME",
                "SYNOPSIS",
                "DESCRIPTION",
                "OPTIONS",
                "\"LIVE MODE\"",
                "PROMETHEUS",
                "\"FORMATS AND EXAMPLES\"",
                "\"DASHBOARD KEYS\"",
                "\"EXIT STATUS\"",
                "SIGNALS",
                "FILES",
                "ENVIRONMENT",
                "VERSION",
            ]
        );
    }

    #[test]
    fn man_page_names_every_preset_key_and_exit_code() {
        let page = man_page();
        for (name, _, _) in PRESETS {
            assert!(page.contains(&format!("\n.TP\n\\fB{name}\\fR\n")), "{name}");
        }
        for (keys, _) in HELP {
            let tag = format!("\\fB{}\\fR", keys.replace('-', "\\-"));
            assert!(page.contains(&tag), "{tag}");
        }
        for (code, _) in EXIT_CODES {
            assert!(page.contains(&format!("\n.TP\n\\fB{code}\\fR\n")), "{code}");
        }
    }

    #[test]
    fn bash_completion_lists_every_long_flag() {
        let script = String::from_utf8(generate(Generate::CompleteBash)).expect("UTF-8");
        for arg in Args::command().get_arguments() {
            if let Some(long) = arg.get_long() {
                assert!(script.contains(&format!("--{long} ")), "--{long}");
            }
        }
        assert!(script.contains("complete -F _routetop"));
    }
}
