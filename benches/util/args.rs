//! The benches' command line (the convention is in `util/mod.rs`): each
//! bench declares a [`Spec`] and reads its settings from [`Args`].

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::data;

/// A setting (`--name VALUE`) or a flag (`--name`).
pub struct Opt {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

pub enum Kind {
    /// A value (`N`, `SPEC`, ...) with a default, parsed like a given value.
    Value(&'static str, &'static str),
    /// A value whose default is described, not parsed (it depends on the
    /// mode, or on the bench): read with [`Args::get_opt`].
    Described(&'static str, &'static str),
    /// Off unless given.
    Flag,
}

/// A setting `--name N` with a default.
pub const fn opt(name: &'static str, default: &'static str, help: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::Value("N", default),
        help,
    }
}

/// A setting whose default is described, not parsed.
pub const fn described(
    name: &'static str,
    value: &'static str,
    default: &'static str,
    help: &'static str,
) -> Opt {
    Opt {
        name,
        kind: Kind::Described(value, default),
        help,
    }
}

/// A flag: off unless given.
pub const fn flag(name: &'static str, help: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::Flag,
        help,
    }
}

/// What a bench takes as `FILE`.
pub enum File {
    /// No file.
    None,
    /// An optional file; without it the bench makes its own (synthetic)
    /// input.
    Optional,
    /// A log; without one, this much genlog combined_rt (seed 1) is
    /// generated into the data directory.
    Log { lines: u64, routes: usize },
}

/// A bench's command line.
pub struct Spec {
    /// `cargo bench --bench NAME`.
    pub name: &'static str,
    /// One line: what it measures.
    pub about: &'static str,
    pub file: File,
    /// Modes (name, what it runs), in their default order.
    pub modes: &'static [(&'static str, &'static str)],
    /// Modes run when none is given; empty: all of them.
    pub default_modes: &'static [&'static str],
    pub opts: &'static [Opt],
}

/// Settings every bench that generates its log takes.
const DATA_OPTS: &[Opt] = &[
    described(
        "data-lines",
        "N",
        "see FILE",
        "lines of the generated log (without FILE)",
    ),
    described(
        "data-routes",
        "N",
        "see FILE",
        "routes of the generated log (without FILE)",
    ),
];

/// A parsed command line.
pub struct Args {
    spec: &'static Spec,
    file: Option<PathBuf>,
    modes: Vec<&'static str>,
    given: Vec<(&'static str, Option<String>)>,
}

/// Prints `msg` and exits with status 2, as for a usage error.
pub fn die(msg: impl Display) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2);
}

impl Args {
    /// Parses this process's arguments; exits on `--help` or an error.
    pub fn parse(spec: &'static Spec) -> Args {
        Args::parse_from(spec, std::env::args().skip(1))
    }

    fn parse_from(spec: &'static Spec, args: impl IntoIterator<Item = String>) -> Args {
        let mut a = Args {
            spec,
            file: None,
            modes: Vec::new(),
            given: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--bench" {
                continue;
            }
            if arg == "--help" || arg == "-h" {
                print!("{}", usage(spec));
                std::process::exit(0);
            }
            if let Some(word) = arg.strip_prefix("--") {
                let (name, inline) = match word.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (word, None),
                };
                let Some(o) = all_opts(spec).find(|o| o.name == name) else {
                    die(format!(
                        "{}: unknown setting --{name} (see --help)",
                        spec.name
                    ));
                };
                let is_flag = matches!(o.kind, Kind::Flag);
                let value = match (is_flag, inline) {
                    (true, Some(_)) => die(format!("--{name} takes no value")),
                    (true, None) => None,
                    (false, Some(v)) => Some(v),
                    (false, None) => Some(
                        args.next()
                            .unwrap_or_else(|| die(format!("--{name} needs a value"))),
                    ),
                };
                a.given.retain(|(n, _)| *n != o.name);
                a.given.push((o.name, value));
                continue;
            }
            if let Some(&(m, _)) = spec.modes.iter().find(|(m, _)| *m == arg) {
                if !a.modes.contains(&m) {
                    a.modes.push(m);
                }
                continue;
            }
            match (&spec.file, &a.file) {
                (File::None, _) if spec.modes.is_empty() => die(format!(
                    "{}: unexpected argument {arg:?}: this bench takes only settings (see --help)",
                    spec.name
                )),
                (File::None, _) => die(format!(
                    "{}: unknown mode {arg:?} (modes: {})",
                    spec.name,
                    mode_names(spec)
                )),
                (_, Some(f)) => die(format!(
                    "{}: {arg:?} is not a mode, and FILE is already {} (modes: {})",
                    spec.name,
                    f.display(),
                    mode_names(spec)
                )),
                _ => a.file = Some(PathBuf::from(arg)),
            }
        }
        if let Some(f) = &a.file
            && !f.is_file()
        {
            die(format!(
                "{}: {}: no such file (and not a mode: {})",
                spec.name,
                f.display(),
                mode_names(spec)
            ));
        }
        a
    }

    fn opt(&self, name: &str) -> &'static Opt {
        all_opts(self.spec)
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("{}: --{name} is not declared in its Spec", self.spec.name))
    }

    /// The raw value of `--name`: given, else from the environment.
    fn raw(&self, name: &str) -> Option<String> {
        let o = self.opt(name);
        if let Some((_, v)) = self.given.iter().find(|(n, _)| *n == o.name) {
            return Some(v.clone().unwrap_or_else(|| "1".into()));
        }
        std::env::var(env_name(o.name)).ok()
    }

    /// `--name`'s value if given (or set in the environment).
    pub fn get_opt<T: FromStr>(&self, name: &str) -> Option<T>
    where
        T::Err: Display,
    {
        let v = self.raw(name)?;
        Some(v.trim().parse().unwrap_or_else(|e| {
            die(format!(
                "--{name} (or {}) {v:?}: {e}",
                env_name(self.opt(name).name)
            ))
        }))
    }

    /// `--name`'s value, or its declared default.
    pub fn get<T: FromStr>(&self, name: &str) -> T
    where
        T::Err: Display,
    {
        self.get_opt(name).unwrap_or_else(|| {
            let Kind::Value(_, d) = self.opt(name).kind else {
                panic!("--{name} has no default to parse: read it with get_opt");
            };
            d.parse()
                .unwrap_or_else(|e| panic!("default of --{name} {d:?}: {e}"))
        })
    }

    /// Whether the flag `--name` is on.
    pub fn flag(&self, name: &str) -> bool {
        self.raw(name).is_some_and(|v| !v.is_empty() && v != "0")
    }

    /// The modes to run, in order: those given, else the default set.
    pub fn modes(&self) -> Vec<&'static str> {
        if !self.modes.is_empty() {
            return self.modes.clone();
        }
        if self.spec.default_modes.is_empty() {
            self.spec.modes.iter().map(|(m, _)| *m).collect()
        } else {
            self.spec.default_modes.to_vec()
        }
    }

    /// Whether `mode` is to run.
    pub fn wants(&self, mode: &str) -> bool {
        self.modes().contains(&mode)
    }

    /// The `FILE` given, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The log to read: `FILE`, else the bench's generated log (made now
    /// if the data directory does not have it yet).
    pub fn log(&self) -> PathBuf {
        let File::Log { lines, routes } = self.spec.file else {
            panic!("{} generates no log", self.spec.name);
        };
        let (l, r) = (
            self.get_opt::<u64>("data-lines"),
            self.get_opt::<usize>("data-routes"),
        );
        if let Some(f) = &self.file {
            if self.given.iter().any(|(n, _)| n.starts_with("data-")) {
                eprintln!("note: --data-lines/--data-routes are for generated data, not FILE");
            }
            return f.clone();
        }
        data::genlog_file(l.unwrap_or(lines), r.unwrap_or(routes))
    }
}

fn all_opts(spec: &'static Spec) -> impl Iterator<Item = &'static Opt> {
    let data: &'static [Opt] = match spec.file {
        File::Log { .. } => DATA_OPTS,
        _ => &[],
    };
    spec.opts.iter().chain(data)
}

fn env_name(opt: &str) -> String {
    opt.to_ascii_uppercase().replace('-', "_")
}

fn mode_names(spec: &Spec) -> String {
    if spec.modes.is_empty() {
        return "none".into();
    }
    spec.modes
        .iter()
        .map(|(m, _)| *m)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `--help` text.
pub fn usage(spec: &'static Spec) -> String {
    let file = match spec.file {
        File::None => "",
        _ => "[FILE] ",
    };
    let modes = if spec.modes.is_empty() {
        ""
    } else {
        "[MODE…] "
    };
    let mut s = format!(
        "{}\n\nusage: cargo bench --bench {} -- {file}{modes}[--SETTING VALUE…]\n",
        spec.about, spec.name
    );
    match spec.file {
        File::None => {}
        File::Optional => s.push_str("\nFILE: optional; without it the input is synthetic.\n"),
        File::Log { lines, routes } => s.push_str(&format!(
            "\nFILE: the log to read. Without it: {lines} lines of genlog combined_rt,\n\
             {routes} routes, seed 1, generated on first use into\n{}\n",
            data::genlog_path(lines, routes).display()
        )),
    }
    if !spec.modes.is_empty() {
        s.push_str("\nmodes (default: ");
        s.push_str(&if spec.default_modes.is_empty() {
            "all".to_string()
        } else {
            spec.default_modes.join(" ")
        });
        s.push_str("):\n");
        for (m, help) in spec.modes {
            s.push_str(&format!("  {m:<14} {help}\n"));
        }
    }
    s.push_str("\nsettings (also from the environment: --idle-secs = IDLE_SECS):\n");
    for o in all_opts(spec) {
        let (arg, d) = match o.kind {
            Kind::Value(v, d) | Kind::Described(v, d) => (format!("--{} {v}", o.name), d),
            Kind::Flag => (format!("--{}", o.name), "off"),
        };
        s.push_str(&format!("  {arg:<18} {} (default: {d})\n", o.help));
    }
    s
}
