//! Settings: defaults ← TOML config file ← flags/environment, validated into
//! one [`Config`] that the rest of the program trusts.
//!
//! ```toml
//! format = "combined_rt"          # default for inputs without their own
//! max_routes = 2000
//! templating = true
//! buckets = "coarse"              # or [0.1, 0.5, 1]: see config/buckets.rs
//! json_fields = ["latency=Duration:ns"]
//!
//! [[routes]]                      # tried in order, before templating
//! match = '^/api/users/[^/]+$'
//! template = "/api/users/:name"
//!
//! [[inputs]]
//! path = "/var/log/nginx/api.log"
//! format = "json"
//! name = "api"                    # shown instead of the path
//!
//! [export]                        # see config/export.rs
//! metrics = "127.0.0.1:9898"
//! ```

mod buckets;
mod cli;
mod duration;
mod error;
mod export;
mod file;
mod live;
mod mode;

use std::sync::Arc;

pub use buckets::{Buckets, COARSE_BUCKETS, FINE_BUCKETS, FileBuckets};
pub use cli::{Args, format_list};
pub use duration::parse_duration;
pub use error::ConfigError;
pub use export::{ExportArgs, ExportStatus, FileExport, FileMetrics};
pub use file::{FileConfig, FileInput, FileRoute};
pub use live::{LiveArgs, LiveFile, LiveSettings, WindowBy};
pub use mode::{Generate, Mode, OutputFormat};

use crate::engine::facet::DEFAULT_MAX_FACETS;
use crate::engine::slo::{BadStatuses, Kind, Objective};
use crate::engine::{DEFAULT_BUCKETS, DEFAULT_MAX_LINE};
use crate::format::prefix::Strip;
use crate::format::{FieldOverride, Format, FormatError, FormatSpec};
use crate::input::{Input, InputSpec, MAX_LINE_LIMIT};
use crate::route::{RouteRule, Router};
use crate::view::export::ExportConfig;

pub const DEFAULT_MAX_ROUTES: usize = 2000;

/// One input and how to read it.
#[derive(Clone, Debug)]
pub struct InputConfig {
    pub spec: InputSpec,
    /// The format as given.
    pub format: FormatSpec,
    /// Shown instead of the path (config `name`).
    pub name: Option<String>,
    /// `format` compiled once, when the settings were validated (with the
    /// run's JSON field overrides); `None` for `auto`.
    pub compiled: Option<Arc<Format>>,
}

/// Equal when given alike: `compiled` follows from `format` (and the
/// config's `json_fields`, compared with the config).
impl PartialEq for InputConfig {
    fn eq(&self, o: &InputConfig) -> bool {
        (&self.spec, &self.format, &self.name) == (&o.spec, &o.format, &o.name)
    }
}

impl InputConfig {
    /// An input read as `format`, which is compiled now.
    pub fn new(
        spec: InputSpec,
        format: FormatSpec,
        json: &[FieldOverride],
    ) -> Result<InputConfig, ConfigError> {
        let compiled = match &format {
            FormatSpec::Auto => None,
            f => Some(Arc::new(Format::compile(f, json)?)),
        };
        Ok(InputConfig {
            spec,
            format,
            name: None,
            compiled,
        })
    }

    /// What the input layer reads.
    pub fn input(&self) -> Input {
        Input {
            spec: self.spec.clone(),
            name: self.name.clone(),
        }
    }
}

/// Apdex T in µs: a duration from 1 ms to 1 h (4T must stay a latency
/// routetop can record).
fn apdex_t(s: &str) -> Result<u64, ConfigError> {
    let d = parse_duration(s).map_err(|e| ConfigError(format!("--apdex {s:?}: {e}")))?;
    let us = d.as_micros();
    if !(1_000..=3_600_000_000).contains(&us) {
        return Err(ConfigError(format!(
            "--apdex {s:?}: T must be from 1ms to 1h"
        )));
    }
    Ok(us as u64)
}

/// The validated settings of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub inputs: Vec<InputConfig>,
    pub json_fields: Vec<FieldOverride>,
    /// `--strip-prefix`: stripped from every line before it is parsed (and
    /// before `auto` looks at it).
    pub strip_prefix: Option<Strip>,
    pub routes: Vec<RouteRule>,
    pub templating: bool,
    pub max_routes: usize,
    /// Backends and hosts kept, each, before the rest count as `(other)`.
    pub max_facets: usize,
    pub max_line: usize,
    pub threads: usize,
    pub buckets: Vec<f64>,
    pub mode: Mode,
    /// `/metrics`, Pushgateway.
    pub export: ExportConfig,
    pub live: LiveSettings,
    /// Service-level objectives (`--slo`, `[[slo]]`), flags first.
    pub slo: Vec<Objective>,
    /// Apdex T, µs (`--apdex`, `apdex`).
    pub apdex: Option<u64>,
}

impl Config {
    /// Defaults for `inputs`, as a test or library user would start; fails
    /// on a format that does not compile.
    pub fn once(
        inputs: &[&str],
        format: FormatSpec,
        output: OutputFormat,
    ) -> Result<Config, ConfigError> {
        Ok(Config {
            inputs: inputs
                .iter()
                .map(|s| InputConfig::new(InputSpec::parse(s), format.clone(), &[]))
                .collect::<Result<_, _>>()?,
            json_fields: Vec::new(),
            strip_prefix: None,
            routes: Vec::new(),
            templating: true,
            max_routes: DEFAULT_MAX_ROUTES,
            max_facets: DEFAULT_MAX_FACETS,
            max_line: DEFAULT_MAX_LINE,
            threads: default_threads(),
            buckets: DEFAULT_BUCKETS.to_vec(),
            mode: Mode::Once {
                output,
                top: None,
                allow_empty: false,
            },
            export: ExportConfig::off(),
            live: LiveSettings::default(),
            slo: Vec::new(),
            apdex: None,
        })
    }

    /// Merges flags over the config file (if any) over defaults.
    /// `stdin_is_pipe` decides whether stdin is an implicit input.
    pub fn from_args(args: &Args, stdin_is_pipe: bool) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        Config::merge(args, file, stdin_is_pipe)
    }

    /// The objectives alone (flags, then the config file's), for
    /// `--generate prometheus-rules`, which needs no input.
    pub fn objectives_from_args(args: &Args) -> Result<Vec<Objective>, ConfigError> {
        let file = match &args.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        objectives(&args.slo, &file.slo)
    }

    pub fn merge(
        args: &Args,
        file: FileConfig,
        stdin_is_pipe: bool,
    ) -> Result<Config, ConfigError> {
        // First, as a bare `--metrics` may have taken the first input.
        let mut arg_inputs = args.inputs.clone();
        let export = export::merge(
            &args.export,
            file.export.as_ref(),
            &mut arg_inputs,
            args.once,
        )?;
        let flag_format = args.format.as_deref().map(FormatSpec::parse).transpose()?;
        let file_format = file.format.as_deref().map(FormatSpec::parse).transpose()?;
        let default_format = flag_format
            .clone()
            .or(file_format)
            .unwrap_or(FormatSpec::Auto);

        let file_inputs: Vec<InputConfig> = file
            .inputs
            .iter()
            .map(|i| {
                Ok(InputConfig {
                    spec: InputSpec::parse(&i.path),
                    format: match (&flag_format, &i.format) {
                        (Some(f), _) => f.clone(),
                        (None, Some(f)) => FormatSpec::parse(f)?,
                        (None, None) => default_format.clone(),
                    },
                    name: i.name.clone(),
                    compiled: None,
                })
            })
            .collect::<Result<_, FormatError>>()?;

        let mut inputs: Vec<InputConfig> = if arg_inputs.is_empty() {
            file_inputs
        } else {
            // Inputs on the command line replace the file's, keeping the
            // file's format and name for the same path.
            arg_inputs
                .iter()
                .map(|s| {
                    let spec = InputSpec::parse(s);
                    let known = file_inputs.iter().find(|i| i.spec == spec);
                    InputConfig {
                        format: match (&flag_format, known) {
                            (None, Some(k)) => k.format.clone(),
                            _ => default_format.clone(),
                        },
                        name: known.and_then(|k| k.name.clone()),
                        spec,
                        compiled: None,
                    }
                })
                .collect()
        };
        if inputs.is_empty() && stdin_is_pipe {
            inputs.push(InputConfig {
                spec: InputSpec::Stdin,
                format: default_format.clone(),
                name: None,
                compiled: None,
            });
        }
        if inputs.is_empty() {
            return Err(ConfigError(
                "no input: give access log files or globs, or - (or a pipe) for stdin; see --help"
                    .into(),
            ));
        }
        if inputs.iter().filter(|i| i.spec == InputSpec::Stdin).count() > 1 {
            return Err(ConfigError("stdin (-) can only be given once".into()));
        }

        let mut json_fields = args.json_fields.clone();
        for s in &file.json_fields {
            let o: FieldOverride = s.parse().map_err(ConfigError)?;
            if !json_fields.iter().any(|f| f.slot == o.slot) {
                json_fields.push(o);
            }
        }
        let strip_prefix = match args.strip_prefix.as_ref().or(file.strip_prefix.as_ref()) {
            Some(p) => Some(Strip::regex(p).map_err(ConfigError)?),
            None => None,
        };
        // Flag rules first: first match wins, so they take precedence.
        let mut routes = args.routes.clone();
        routes.extend(file.routes.iter().map(RouteRule::from));
        // A bad rule fails now, before any input is read.
        Router::new(&routes, true).map_err(ConfigError)?;

        let max_routes = args
            .max_routes
            .or(file.max_routes)
            .unwrap_or(DEFAULT_MAX_ROUTES);
        if max_routes == 0 || max_routes > 1_000_000 {
            return Err(ConfigError(format!(
                "--max-routes must be 1..=1000000, not {max_routes}"
            )));
        }
        let max_facets = args
            .max_facets
            .or(file.max_facets)
            .unwrap_or(DEFAULT_MAX_FACETS);
        if max_facets > 100_000 {
            return Err(ConfigError(format!(
                "--max-facets must be 0..=100000, not {max_facets}"
            )));
        }
        let max_line = args.max_line.or(file.max_line).unwrap_or(DEFAULT_MAX_LINE);
        if !(256..=MAX_LINE_LIMIT).contains(&max_line) {
            return Err(ConfigError(format!(
                "--max-line must be 256..={MAX_LINE_LIMIT}, not {max_line}"
            )));
        }
        let threads = args
            .threads
            .or(file.threads)
            .unwrap_or_else(default_threads)
            .clamp(1, 256);
        let slo = objectives(&args.slo, &file.slo)?;
        let mut buckets = match (&args.buckets, &file.buckets) {
            (Some(b), _) => b.clone(),
            (None, Some(f)) => f.buckets()?,
            (None, None) => Buckets(DEFAULT_BUCKETS.to_vec()),
        }
        .bounds()?;
        // Every latency threshold is a bucket bound, so the share at or
        // under it is an exact sum of bucket counts.
        for us in slo.iter().filter_map(Objective::threshold_us) {
            let s = us as f64 / 1e6;
            if !buckets.iter().any(|b| (b * 1e6).round() as u64 == us) {
                buckets.push(s);
            }
        }
        let apdex = match args.apdex.as_ref().or(file.apdex.as_ref()) {
            None => None,
            Some(t) => Some(apdex_t(t)?),
        };
        // T and 4T likewise, for an exact Apdex (`engine/apdex.rs`).
        for us in apdex.into_iter().flat_map(|t| [t, t * 4]) {
            if !buckets.iter().any(|b| (b * 1e6).round() as u64 == us) {
                buckets.push(us as f64 / 1e6);
            }
        }
        buckets.sort_by(f64::total_cmp);
        let templating = if args.no_templating {
            false
        } else {
            file.templating.unwrap_or(true)
        };
        // Explicit formats compile now, each spec once (inputs given alike
        // share it): a typo fails before any input is read, and nothing
        // compiles a format again.
        let mut compiled: Vec<(FormatSpec, Arc<Format>)> = Vec::new();
        for f in std::iter::once(&default_format).chain(inputs.iter().map(|i| &i.format)) {
            if *f != FormatSpec::Auto && !compiled.iter().any(|(s, _)| s == f) {
                let format = Format::compile(f, &json_fields)?;
                let format = match &strip_prefix {
                    Some(s) => Format::prefixed(s.clone(), format),
                    None => format,
                };
                compiled.push((f.clone(), Arc::new(format)));
            }
        }
        for i in &mut inputs {
            i.compiled = compiled
                .iter()
                .find(|(s, _)| *s == i.format)
                .map(|(_, f)| f.clone());
        }
        let live = LiveSettings::merge(&args.live, file.live)?;
        if args.once && args.live.state.is_some() {
            return Err(ConfigError(
                "--state is for follow mode: --once reads its inputs whole every time".into(),
            ));
        }
        let mode = if args.once {
            Mode::Once {
                output: args.output.or(file.output).unwrap_or(OutputFormat::Table),
                top: args.top.or(file.top),
                allow_empty: args.allow_empty || file.allow_empty.unwrap_or(false),
            }
        } else {
            Mode::Follow
        };
        let mut export = export;
        export.slo = slo.clone();
        Ok(Config {
            inputs,
            json_fields,
            strip_prefix,
            routes,
            templating,
            max_routes,
            max_facets,
            max_line,
            threads,
            buckets,
            mode,
            export,
            live,
            slo,
            apdex,
        })
    }

    /// The compiled format of each input; `None` for `auto`.
    pub fn formats(&self) -> Vec<Option<Arc<Format>>> {
        self.inputs.iter().map(|i| i.compiled.clone()).collect()
    }

    /// What the input layer reads.
    pub fn input_list(&self) -> Vec<Input> {
        self.inputs.iter().map(InputConfig::input).collect()
    }
}

/// An SLO period: days (`30d`, up to 400) or a duration.
fn parse_period(s: &str) -> Result<std::time::Duration, String> {
    match s.trim().strip_suffix('d') {
        Some(n) => match n.trim().parse::<u64>() {
            Ok(d) if (1..=400).contains(&d) => Ok(std::time::Duration::from_secs(d * 86_400)),
            _ => Err(format!("`{s}`: expected 1d to 400d")),
        },
        None => parse_duration(s),
    }
}

/// The objectives of the flags, then of the file.
fn objectives(flags: &[String], file: &[file::FileSlo]) -> Result<Vec<Objective>, ConfigError> {
    let dur = |s: &str| parse_duration(s);
    let mut out = Vec::new();
    for f in flags {
        out.push(Objective::parse(f, dur).map_err(ConfigError)?);
    }
    for f in file {
        let flag = format!(
            "{}:{}{}",
            f.pattern,
            f.target,
            f.latency
                .as_deref()
                .map(|l| format!("<{l}"))
                .unwrap_or_default()
        );
        let mut o = Objective::parse(&flag, dur)
            .map_err(|e| ConfigError(e.replacen("--slo", "[[slo]]", 1)))?;
        if let Some(b) = &f.bad {
            if o.threshold_us().is_some() {
                return Err(ConfigError(format!(
                    "[[slo]] {flag:?}: `bad` is for availability objectives (no `latency`)"
                )));
            }
            o.kind = Kind::Availability(
                BadStatuses::parse(b).map_err(|e| ConfigError(format!("[[slo]] {flag:?}: {e}")))?,
            );
        }
        if let Some(p) = &f.period {
            o.period = parse_period(p)
                .map_err(|e| ConfigError(format!("[[slo]] {flag:?}: period: {e}")))?;
        }
        if let Some(n) = &f.name {
            o.name = n.clone();
        }
        out.push(o);
    }
    Ok(out)
}

pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
