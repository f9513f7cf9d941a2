//! Command-line parsing for `routetop-genlog`, by hand (the crate has no
//! dependencies), accepting what genlog.py's argparse accepts for the same
//! flags so the two are drop-in replacements in scripts.
//!
//! Lives in the library, not in `main.rs`, so its behaviour is unit-tested.
//! Numbers are parsed the way Python's `int()` and `float()` parse them
//! (surrounding blanks, a sign, `_` between digits) because a value that
//! genlog.py takes must mean the same thing here.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::{BadKind, LogFormat, Options, log_format};

/// The binary's name in messages.
pub const PROG: &str = "routetop-genlog";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// `-h` / `--help`: print [`help`] and exit 0.
    Help,
    /// Generate; `out` is `None` for stdout (`-o -`, the default).
    Run { opts: Options, out: Option<PathBuf> },
}

/// The one-line usage, as argparse prints it before an error.
pub fn usage() -> String {
    format!(
        "usage: {PROG} [-h] [--lines LINES] [--seed SEED] [--format {{combined_rt,json,seed000}}]\n\
         \x20      [--routes ROUTES] [--rate RATE] [--start START] [--zipf ZIPF] [--host HOST]\n\
         \x20      [-o OUT] [--bad-every N] [--bad-long]"
    )
}

/// The `--help` text: genlog.py's options and epilog (every format's nginx
/// `log_format`), plus the bad-line options and kinds.
pub fn help() -> String {
    let mut s = usage();
    s.push_str(
        "\n\nDeterministic nginx access-log generator (byte-identical to genlog.py for the same options).\n\
         \noptions:\n\
         \x20 -h, --help            show this help message and exit\n\
         \x20 --lines LINES         number of lines (default 1000000); bad lines come on top\n\
         \x20 --seed SEED           RNG seed (default 1), a 64-bit signed integer\n\
         \x20 --format {combined_rt,json,seed000}\n\
         \x20                       log format (default combined_rt); `dashed` = seed000\n\
         \x20 --routes ROUTES       distinct URL templates (default 200)\n\
         \x20 --rate RATE           mean lines per second of log time (default 100)\n\
         \x20 --start START         first timestamp, unix seconds UTC (default 2024-03-10T00:00:00Z)\n\
         \x20 --zipf ZIPF           route popularity Zipf exponent (default 1.0)\n\
         \x20 --host HOST           site host used in internal referers\n\
         \x20 -o OUT, --out OUT     output file (default stdout)\n\
         \x20 --bad-every N         after every N-th good line write one bad line (default 0: none)\n\
         \x20 --bad-long            include the too_long kind in the bad-line cycle\n\
         \nnginx log_format of each --format:\n",
    );
    for fmt in LogFormat::ALL {
        s.push_str(&format!("  {}:\n    {}\n", fmt.name(), log_format(fmt)));
    }
    s.push_str(
        "\nbad lines (--bad-every N), from their own random stream: the good lines are\n\
         exactly those of the run without them.  Kinds, cycling in this order:\n",
    );
    for (i, kind) in BadKind::cycle(true).iter().enumerate() {
        s.push_str(&format!(
            "  {}. {:<20} {}\n",
            i + 1,
            kind.name(),
            kind.describe()
        ));
    }
    s
}

/// Parses the arguments after the program name.  `Err` holds the message
/// for `PROG: error: ...` (exit status 2).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut opts = Options::default();
    let mut out: Option<PathBuf> = None;
    let mut lines: i128 = opts.lines.into();
    let mut routes: i128 = 200;
    let mut args = args.into_iter();

    while let Some(arg) = args.next() {
        // Only an output path may be non-UTF-8, and only as its own word.
        let Some(word) = arg.to_str() else {
            return Err(format!("unrecognized arguments: {}", arg.to_string_lossy()));
        };
        let (flag, inline) = split_flag(word);
        let takes_value = match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--bad-long" => {
                if inline.is_some() {
                    return Err("argument --bad-long: ignored explicit argument".into());
                }
                opts.bad_long = true;
                continue;
            }
            "--lines" | "--seed" | "--format" | "--routes" | "--rate" | "--start" | "--zipf"
            | "--host" | "-o" | "--out" | "--bad-every" => true,
            _ => return Err(format!("unrecognized arguments: {word}")),
        };
        debug_assert!(takes_value);
        let value: OsString = match inline {
            Some(v) => v.into(),
            None => args
                .next()
                .ok_or_else(|| format!("argument {}: expected one argument", display(flag)))?,
        };
        if matches!(flag, "-o" | "--out") {
            out = (value != "-").then(|| PathBuf::from(value));
            continue;
        }
        let Some(v) = value.to_str() else {
            return Err(format!("argument {}: value is not UTF-8", display(flag)));
        };
        let bad_int = || format!("argument {}: invalid int value: '{v}'", display(flag));
        match flag {
            "--lines" => lines = py_int(v).ok_or_else(bad_int)?,
            "--routes" => routes = py_int(v).ok_or_else(bad_int)?,
            "--seed" => {
                let n = py_int(v).ok_or_else(bad_int)?;
                opts.seed = i64::try_from(n)
                    .map_err(|_| format!("argument --seed: {v} is outside the 64-bit range"))?;
            }
            "--start" => {
                let n = py_int(v).ok_or_else(bad_int)?;
                opts.start = i64::try_from(n)
                    .map_err(|_| format!("argument --start: {v} is outside the 64-bit range"))?;
            }
            "--bad-every" => {
                let n = py_int(v).ok_or_else(bad_int)?;
                opts.bad_every = u64::try_from(n)
                    .map_err(|_| format!("argument --bad-every: {v} must be >= 0"))?;
            }
            "--format" => {
                opts.format = LogFormat::from_name(v).ok_or_else(|| {
                    format!(
                        "argument --format: invalid choice: '{v}' (choose from 'combined_rt', 'json', 'seed000')"
                    )
                })?
            }
            "--rate" | "--zipf" => {
                let x = py_float(v).ok_or_else(|| {
                    format!("argument {flag}: invalid float value: '{v}'")
                })?;
                if flag == "--rate" {
                    opts.rate = x;
                } else {
                    opts.zipf = x;
                }
            }
            "--host" => opts.host = v.to_string(),
            _ => unreachable!("every flag that takes a value is handled above"),
        }
    }

    if routes < 1 || lines < 0 {
        return Err("--routes must be >= 1 and --lines >= 0".into());
    }
    opts.lines =
        u64::try_from(lines).map_err(|_| format!("--lines {lines} is above the 64-bit range"))?;
    opts.routes = usize::try_from(routes)
        .map_err(|_| format!("--routes {routes} is above this platform's range"))?;
    opts.validate()?;
    Ok(Command::Run { opts, out })
}

/// `--flag=value` -> (`--flag`, `Some(value)`); `-oVALUE` -> (`-o`,
/// `Some(VALUE)`), as argparse reads short options.
fn split_flag(word: &str) -> (&str, Option<&str>) {
    if word.starts_with("--") {
        match word.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (word, None),
        }
    } else if let Some(v) = word.strip_prefix("-o")
        && !v.is_empty()
    {
        ("-o", Some(v.strip_prefix('=').unwrap_or(v)))
    } else {
        (word, None)
    }
}

/// argparse names `-o` by both spellings in its messages.
fn display(flag: &str) -> &str {
    if flag == "-o" || flag == "--out" {
        "-o/--out"
    } else {
        flag
    }
}

/// Python's `int(s)` for decimal strings: blanks around, one sign, digits
/// with single `_` between them.
pub fn py_int(s: &str) -> Option<i128> {
    let s = s.trim();
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let cleaned = strip_digit_underscores(digits)?;
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mag: i128 = cleaned.parse().ok()?;
    Some(if neg { -mag } else { mag })
}

/// Python's `float(s)`: blanks around, `_` between digits, `inf`,
/// `infinity` and `nan` in any case; the rest is what Rust's parser takes,
/// which rounds correctly as Python's does.
pub fn py_float(s: &str) -> Option<f64> {
    let s = s.trim();
    let cleaned = strip_digit_underscores(s)?;
    // Rust also takes forms Python does not (none that matter here), but
    // never a leading/trailing blank, which `trim` handled.
    cleaned.parse::<f64>().ok()
}

/// Removes underscores that sit between two ASCII digits; `None` if any
/// other underscore is present, as Python rejects those.
fn strip_digit_underscores(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let ok = i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if !ok {
                return None;
            }
        } else {
            out.push(c as char);
        }
    }
    // Non-ASCII input fails the digit checks above or the f64 parser.
    if !s.is_ascii() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    fn opts(args: &[&str]) -> Options {
        match run(args) {
            Ok(Command::Run { opts, .. }) => opts,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_genlog_py_defaults() {
        assert_eq!(opts(&[]), Options::default());
        assert_eq!(
            run(&[]),
            Ok(Command::Run {
                opts: Options::default(),
                out: None
            })
        );
    }

    #[test]
    fn both_value_spellings() {
        let o = opts(&[
            "--lines=5",
            "--seed",
            "-7",
            "--format=dashed",
            "--routes",
            "40",
            "--rate=4",
            "--start",
            "0",
            "--zipf",
            "1.3",
            "--host=h.example",
            "--bad-every",
            "3",
            "--bad-long",
        ]);
        assert_eq!(o.lines, 5);
        assert_eq!(o.seed, -7);
        assert_eq!(o.format, LogFormat::Seed000);
        assert_eq!(o.routes, 40);
        assert_eq!(o.rate, 4.0);
        assert_eq!(o.start, 0);
        assert_eq!(o.zipf, 1.3);
        assert_eq!(o.host, "h.example");
        assert_eq!(o.bad_every, 3);
        assert!(o.bad_long);
        for args in [
            ["-o", "x.log"],
            ["--out", "x.log"],
            ["--out=x.log", "--lines=1"],
            ["-ox.log", "--lines=1"],
        ] {
            match run(&args) {
                Ok(Command::Run { out, .. }) => assert_eq!(out, Some(PathBuf::from("x.log"))),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn python_number_syntax() {
        assert_eq!(py_int(" 1_000 "), Some(1000));
        assert_eq!(py_int("+5"), Some(5));
        assert_eq!(py_int("-0"), Some(0));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("_1"), None);
        assert_eq!(py_int("1.0"), None);
        assert_eq!(py_int(""), None);
        assert_eq!(py_int("--1"), None);
        assert_eq!(py_float("1e2"), Some(100.0));
        assert_eq!(py_float(" 2_5.0_5 "), Some(25.05));
        assert_eq!(py_float("x"), None);
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["--lines"][..],
            &["--lines", "x"],
            &["--lines", "-1"],
            &["--routes", "0"],
            &["--format", "csv"],
            &["--rate", "0"],
            &["--rate", "nan"],
            &["--zipf", "inf"],
            &["--zipf", "1000"],
            &["--seed", "99999999999999999999"],
            &["--nope"],
            &["positional"],
            &["--bad-every", "-1"],
            &["--bad-long=1"],
        ] {
            assert!(run(args).is_err(), "{args:?} should fail");
        }
        assert_eq!(run(&["--lines", "3", "-h"]), Ok(Command::Help));
    }

    #[test]
    fn help_lists_every_log_format_and_bad_kind() {
        let h = help();
        for fmt in LogFormat::ALL {
            assert!(h.contains(log_format(fmt)));
        }
        for kind in BadKind::cycle(true) {
            assert!(h.contains(kind.name()));
        }
    }
}
