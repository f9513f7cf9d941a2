//! Config layering: defaults ← TOML file ← flags. Fixture files live in
//! `tests/configs/{valid,invalid}/`; each invalid one names, in its first
//! line (`# error: ...`), a fragment the error message must contain. And
//! what the binary says about its flags: every format preset in `--help`
//! and `--list-formats`.

mod binary;

use std::path::{Path, PathBuf};

use clap::Parser;
use routetop::config::Args;
use routetop::config::OutputFormat;
use routetop::config::{Config, Mode};
use routetop::format::{FormatSpec, PRESETS};
use routetop::input::InputSpec;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(kind);
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(!v.is_empty());
    v
}

fn args(a: &[&str]) -> Args {
    Args::try_parse_from(std::iter::once("routetop").chain(a.iter().copied())).unwrap()
}

#[test]
fn every_invalid_config_is_rejected_with_a_useful_message() {
    for path in fixtures("invalid") {
        let text = std::fs::read_to_string(&path).unwrap();
        let want = text
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# error: ")
            .expect("first line names the error");
        let p = path.to_str().unwrap();
        let err = Config::from_args(&args(&["--once", "--config", p, "x.log"]), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(want),
            "{}: {err:?} lacks {want:?}",
            path.display()
        );
        assert!(!err.contains('\n'), "{}: one line: {err:?}", path.display());
    }
}

#[test]
fn every_valid_config_loads() {
    for path in fixtures("valid") {
        let p = path.to_str().unwrap();
        Config::from_args(&args(&["--once", "--config", p, "x.log"]), false)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn the_file_applies_and_flags_override_it() {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/full.toml");
    let f = full.to_str().unwrap();
    let c = Config::from_args(&args(&["--once", "--config", f]), false).unwrap();
    assert_eq!(c.max_routes, 500);
    assert_eq!(c.max_line, 4096);
    assert_eq!(c.threads, 1);
    assert_eq!(c.buckets, vec![0.01, 0.1, 1.0]);
    assert_eq!(
        c.mode,
        Mode::Once {
            output: OutputFormat::Csv,
            top: Some(5),
            allow_empty: true,
        }
    );
    assert_eq!(c.routes.len(), 2);
    assert_eq!(c.json_fields.len(), 2);
    assert_eq!(c.inputs.len(), 2);
    assert_eq!(
        c.inputs[0].spec,
        InputSpec::Path("sample-logs/combined_rt.log".into())
    );
    assert_eq!(c.inputs[0].name.as_deref(), Some("web"));
    assert_eq!(
        c.inputs[0].format,
        FormatSpec::Preset("combined_rt"),
        "file default format"
    );
    assert_eq!(c.inputs[1].format, FormatSpec::Json, "per-input format");

    // Flags win: format for every input, numbers, output; flag rules first.
    let c = Config::from_args(
        &args(&[
            "--once",
            "--config",
            f,
            "-f",
            "common",
            "--max-routes",
            "7",
            "-o",
            "json",
            "--route",
            "^/x$=/y",
        ]),
        false,
    )
    .unwrap();
    assert_eq!(c.max_routes, 7);
    assert!(
        c.inputs
            .iter()
            .all(|i| i.format == FormatSpec::Preset("common"))
    );
    assert_eq!(
        c.mode,
        Mode::Once {
            output: OutputFormat::Json,
            top: Some(5),
            allow_empty: true,
        }
    );
    assert_eq!(c.routes[0].pattern, "^/x$");
    assert_eq!(c.routes.len(), 3);

    // Inputs on the command line replace the file's, keeping a known one's
    // name and format.
    let c = Config::from_args(
        &args(&[
            "--once",
            "--config",
            f,
            "sample-logs/caddy.log",
            "other.log",
        ]),
        false,
    )
    .unwrap();
    assert_eq!(c.inputs.len(), 2);
    assert_eq!(c.inputs[0].format, FormatSpec::Json);
    assert_eq!(c.inputs[1].format, FormatSpec::Preset("combined_rt"));
}

#[test]
fn defaults_and_stdin() {
    let c = Config::from_args(&args(&["--once"]), true).unwrap();
    assert_eq!(c.inputs.len(), 1);
    assert_eq!(c.inputs[0].spec, InputSpec::Stdin);
    assert_eq!(c.inputs[0].format, FormatSpec::Auto);
    assert_eq!(c.max_routes, 2000);
    assert!(c.templating);
    let err = Config::from_args(&args(&["--once"]), false)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("no input"), "{err}");
    let c = Config::from_args(&args(&["x.log"]), false).unwrap();
    assert_eq!(c.mode, Mode::Follow);
}

#[test]
fn environment_variables_set_flags() {
    // clap reads ROUTETOP_* when the flag is absent; a flag still wins.
    // SAFETY-free: set_var is unsafe in edition 2024, so spawn the binary.
    let text = binary::stdout_ok(
        binary::routetop(&["sample-logs/combined_rt.log"])
            .env("ROUTETOP_ONCE", "1")
            .env("ROUTETOP_OUTPUT", "csv")
            .env("ROUTETOP_TOP", "2"),
    );
    assert!(text.starts_with("route,methods,requests"), "{text}");
    assert_eq!(text.lines().count(), 1 + 2 + 1);
}

fn routetop_stdout(args: &[&str]) -> String {
    binary::stdout_ok(&mut binary::routetop(args))
}

/// The words of `--help`'s format section, from `Formats (-f):` to the
/// first format after the presets (`'<log_format>'`), split at spaces and
/// commas: whole names, so `combined` is not found inside `combined_rt`,
/// and wherever clap wraps the line.
fn help_format_words(help: &str) -> Vec<&str> {
    let start = help.find("Formats (-f):").expect("a format section");
    let len = help[start..]
        .find("'<log_format>'")
        .expect("the presets line, then '<log_format>'");
    help[start..start + len]
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect()
}

/// Every preset is named in `--help`'s format section. The real binary,
/// not `after_help()` or clap in-process: the text users read, wrapped at
/// the width it is printed at (the README's copy is checked against the
/// same output in tests/readme.rs).
#[test]
fn help_names_every_preset() {
    let help = routetop_stdout(&["--help"]);
    let words = help_format_words(&help);
    assert!(!PRESETS.is_empty());
    for (name, _, _) in PRESETS {
        assert!(
            words.contains(name),
            "--help's format section lacks the preset {name}: {words:?}"
        );
    }
}

/// Every preset has its entry in `--list-formats`: its name first on a
/// line, then what it is and the format string it stands for.
#[test]
fn list_formats_lists_every_preset() {
    let text = routetop_stdout(&["--list-formats"]);
    let entries: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for (name, what, fmt) in PRESETS {
        assert!(
            entries.contains(name),
            "--list-formats lacks the preset {name}: {entries:?}"
        );
        assert!(text.contains(what), "--list-formats lacks {what:?}");
        assert!(text.contains(fmt), "--list-formats lacks {fmt:?}");
    }
}

/// `--allow-empty` (and `allow_empty` in the file, which the fixture sets):
/// off unless said, on from either.
#[test]
fn allow_empty_comes_from_the_flag_or_the_file() {
    let allow = |a: &[&str]| match Config::from_args(&args(a), false).unwrap().mode {
        Mode::Once { allow_empty, .. } => allow_empty,
        Mode::Follow => panic!("not --once"),
    };
    assert!(!allow(&["--once", "x.log"]));
    assert!(allow(&["--once", "--allow-empty", "x.log"]));
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/full.toml");
    assert!(allow(&[
        "--once",
        "--config",
        full.to_str().unwrap(),
        "x.log"
    ]));
}

/// The exposition controls for large fleets, from the file (`buckets`
/// preset, `[export] status` and `summary`) and from flags, which win.
#[test]
fn fleet_controls_come_from_the_file_or_flags() {
    use routetop::config::COARSE_BUCKETS;
    use routetop::view::export::StatusLabel;
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/fleet.toml");
    let f = fleet.to_str().unwrap();
    let c = Config::from_args(&args(&["--once", "--config", f, "x.log"]), false).unwrap();
    assert_eq!(c.buckets, COARSE_BUCKETS.to_vec());
    assert_eq!(c.export.status, StatusLabel::Class);
    assert!(!c.export.summary);
    let c = Config::from_args(
        &args(&[
            "--once",
            "--config",
            f,
            "--buckets",
            "0.2,0.4",
            "--export-status",
            "code",
            "x.log",
        ]),
        false,
    )
    .unwrap();
    assert_eq!(c.buckets, vec![0.2, 0.4]);
    assert_eq!(c.export.status, StatusLabel::Code);
    assert!(!c.export.summary, "no flag turns the summary back on");
    let c = Config::from_args(&args(&["--once", "x.log"]), false).unwrap();
    assert_eq!(
        (c.buckets.len(), c.export.status, c.export.summary),
        (11, StatusLabel::Code, true)
    );
    let c = Config::from_args(
        &args(&["--once", "--buckets", "fine", "--no-summary", "x.log"]),
        false,
    )
    .unwrap();
    assert_eq!((c.buckets.len(), c.export.summary), (21, false));
    let e = Args::try_parse_from(["routetop", "--buckets", "medium", "x.log"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neither a preset (default, fine, coarse)"),
        "{e}"
    );
}

/// `--state` and `--state-interval`, from the file or flags (which win);
/// `--once` refuses `--state`, which only follow mode uses.
#[test]
fn saved_state_comes_from_the_file_or_flags() {
    use std::time::Duration;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/state.toml");
    let f = file.to_str().unwrap();
    let c = Config::from_args(&args(&["--config", f, "x.log"]), false).unwrap();
    assert_eq!(
        c.live.state.as_deref(),
        Some(Path::new("/var/lib/routetop/state"))
    );
    assert_eq!(c.live.state_interval, Duration::from_secs(10));
    let c = Config::from_args(
        &args(&[
            "--config",
            f,
            "--state",
            "/tmp/s",
            "--state-interval",
            "2s",
            "x.log",
        ]),
        false,
    )
    .unwrap();
    assert_eq!(c.live.state.as_deref(), Some(Path::new("/tmp/s")));
    assert_eq!(c.live.state_interval, Duration::from_secs(2));
    let c = Config::from_args(&args(&["x.log"]), false).unwrap();
    assert_eq!(
        (c.live.state, c.live.state_interval),
        (None, Duration::from_secs(5))
    );
    let err = Config::from_args(&args(&["--once", "--state", "/tmp/s", "x.log"]), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--state is for follow mode"), "{err}");
}

/// `--slo` flags and `[[slo]]` tables: flags first; the file's `bad`,
/// `period` and `name`; every latency threshold becomes a bucket bound.
#[test]
fn objectives_come_from_flags_then_the_file() {
    use routetop::engine::slo::Kind;
    use std::time::Duration;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid/slo.toml");
    let f = file.to_str().unwrap();
    let c = Config::from_args(
        &args(&["--once", "--config", f, "--slo", "*:99%<120ms", "x.log"]),
        false,
    )
    .unwrap();
    let names: Vec<&str> = c.slo.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["*:99%<120ms", "api-availability", "~^/static/:99%<250ms"]
    );
    let api = &c.slo[1];
    assert_eq!(api.period, Duration::from_secs(7 * 86_400));
    let Kind::Availability(bad) = &api.kind else {
        panic!("availability")
    };
    assert!(bad.contains(429) && bad.contains(503) && !bad.contains(404));
    assert!(c.slo[2].pattern.matches("/static/app.js"));
    // 0.12 s and 0.25 s join the default bounds (0.25 was one already).
    assert!(c.buckets.contains(&0.12));
    assert_eq!(c.buckets.iter().filter(|&&b| b == 0.25).count(), 1);
    assert!(c.buckets.windows(2).all(|w| w[0] < w[1]));
}

/// `--strip-prefix` and the file's `strip_prefix`: a regex anchored at the
/// line's start, the flag winning; it wraps a given format, and `auto`
/// detects behind it.
#[test]
fn strip_prefix_comes_from_the_file_or_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "strip_prefix = 'app=\\S+ '\n").unwrap();
    let f = file.to_str().unwrap();
    let c = Config::from_args(&args(&["--once", "--config", f, "x.log"]), false).unwrap();
    let strip = c.strip_prefix.clone().expect("from the file");
    assert_eq!(strip.len(b"app=web 10.0.0.1 - -"), 8);
    assert_eq!(strip.len(b"10.0.0.1 app=web - -"), 0);
    let c = Config::from_args(
        &args(&[
            "--once",
            "--config",
            f,
            "--strip-prefix",
            "[0-9]+ ",
            "-f",
            "combined",
            "x.log",
        ]),
        false,
    )
    .unwrap();
    assert_eq!(c.strip_prefix.as_ref().unwrap().len(b"12 x"), 3);
    assert_eq!(
        c.formats()[0].as_ref().unwrap().name(),
        "combined (after a --strip-prefix prefix)"
    );
}

/// `--apdex` and the file's `apdex`: the flag wins; T and 4T become
/// bucket bounds (once each); out-of-range T is a settings error.
#[test]
fn apdex_comes_from_the_flag_or_the_file_and_adds_its_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "apdex = \"300ms\"\n").unwrap();
    let f = file.to_str().unwrap();
    let c = Config::from_args(&args(&["--once", "--config", f, "x.log"]), false).unwrap();
    assert_eq!(c.apdex, Some(300_000));
    assert!(c.buckets.contains(&0.3) && c.buckets.contains(&1.2));
    let c = Config::from_args(
        &args(&["--once", "--config", f, "--apdex", "250ms", "x.log"]),
        false,
    )
    .unwrap();
    assert_eq!(c.apdex, Some(250_000));
    // 0.25 and 1 are default bounds already: not added twice.
    for b in [0.25, 1.0] {
        assert_eq!(c.buckets.iter().filter(|&&x| x == b).count(), 1, "{b}");
    }
    assert!(c.buckets.windows(2).all(|w| w[0] < w[1]));
    let c = Config::from_args(&args(&["--once", "x.log"]), false).unwrap();
    assert_eq!(c.apdex, None);
    let err = Config::from_args(&args(&["--once", "--apdex", "0.5ms", "x.log"]), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--apdex \"0.5ms\": T must be from 1ms to 1h"),
        "{err}"
    );
}
