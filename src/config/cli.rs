//! Command-line flags (with `ROUTETOP_*` environment variables). Every field
//! is optional so that the merge (`config/mod.rs`) can tell "not given"
//! from a default and let flags override the config file, which overrides
//! defaults.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Parser};

use super::buckets::Buckets;
use super::export::ExportArgs;
use super::live::LiveArgs;
use super::mode::{Generate, OutputFormat};
use crate::format::w3c::Flavour;
use crate::format::{FieldOverride, PRESETS};
use crate::route::RouteRule;

/// `--list-formats`: every preset and what it stands for.
pub fn format_list() -> String {
    let mut s = String::from("Presets (-f NAME):\n");
    for (name, what, fmt) in PRESETS {
        s.push_str(&format!("  {name:<18} {what}\n  {:<18} {fmt}\n", ""));
    }
    for (name, _, what) in Flavour::PRESETS {
        s.push_str(&format!("  {name:<18} {what}\n"));
    }
    s.push_str(
        "\nAlso: auto (default), json, regex:PATTERN, or any nginx log_format / Apache LogFormat string.\n",
    );
    s
}

/// The text after the flags in `--help`: the formats, presets listed from
/// the format layer's table (so a new preset cannot be missing here), and
/// examples.
fn after_help() -> String {
    let presets: Vec<&str> = PRESETS
        .iter()
        .map(|p| p.0)
        .chain(Flavour::PRESETS.iter().map(|p| p.0))
        .collect();
    // Wrapped at 80 columns: there are more presets than fit a line.
    let mut lines = vec![String::new()];
    for (i, name) in presets.iter().enumerate() {
        let sep = if i + 1 < presets.len() { "," } else { "" };
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && 2 + last.len() + 1 + name.len() + sep.len() > 80 {
            lines.push(String::new());
        }
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() {
            last.push(' ');
        }
        last.push_str(name);
        last.push_str(sep);
    }
    format!(
        "Formats (-f):\n  auto                 detect from the first lines (default)\n  {}\n{AFTER_PRESETS}",
        lines.join("\n  ")
    )
}

// Continued on the next line, under the preset names (a `\` line
// continuation would eat the indent).
const AFTER_PRESETS: &str = "                       \
presets; `routetop --list-formats` shows what each is
  '<log_format>'       an nginx log_format string, verbatim, e.g.
                       '$remote_addr-[$time_local]-$request-$status-$request_time'
                       (the whole `log_format name '...';` directive works too;
                       `nginx:` before it says it is one, as `regex:` does)
  '<LogFormat>'        an Apache LogFormat string, verbatim, e.g.
                       '%h %l %u %t \\\"%r\\\" %>s %b %D' (`apache:` before it says so)
  json                 JSON lines: nginx escape=json, Caddy, Traefik, Cloudflare
                       Logpush, GCP load balancer (see --json-field)
  regex:<pattern>      named groups method, path, status, request_time, ...

Examples:
  routetop --once /var/log/nginx/access.log
  routetop --once -o json 'logs/*.log' > report.json
  routetop --once '/var/log/nginx/access.log*'   (rotated and compressed files, on all cores)
  routetop --once --route '^/api/users/[^/]+$=/api/users/:name' access.log";

#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "routetop",
    version = crate::version::SHORT,
    long_version = crate::version::LONG,
    about = "Per-route QPS, errors and latency percentiles from web-server access logs",
    after_help = after_help(),
    // A fixed width keeps --help identical everywhere (and in the README).
    term_width = 100
)]
pub struct Args {
    /// Access logs: files, globs (quoted: 'logs/*.log'), or - for stdin.
    /// Stdin is read when it is a pipe and no input is given.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Log format: auto, a preset, an nginx log_format or Apache LogFormat
    /// string, json, or regex:PATTERN.
    #[arg(
        short,
        long,
        env = "ROUTETOP_FORMAT",
        hide_env_values = true,
        value_name = "FORMAT"
    )]
    pub format: Option<String>,

    /// Read the inputs to the end, print a report, exit.
    #[arg(long, env = "ROUTETOP_ONCE", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub once: bool,

    /// Report format for --once.
    #[arg(
        short,
        long,
        value_enum,
        env = "ROUTETOP_OUTPUT",
        hide_env_values = true
    )]
    pub output: Option<OutputFormat>,

    /// Show only the N busiest routes in the report, in every output (the totals still count all).
    #[arg(long, env = "ROUTETOP_TOP", hide_env_values = true, value_name = "N")]
    pub top: Option<usize>,

    /// With --once, exit 0 when lines were read but none parsed (else exit
    /// 3).
    #[arg(long, env = "ROUTETOP_ALLOW_EMPTY", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub allow_empty: bool,

    /// Route rule REGEX=TEMPLATE, tried in order on the path (without query
    /// string) before automatic templating; first match wins. Repeatable.
    #[arg(long = "route", value_name = "REGEX=TEMPLATE")]
    pub routes: Vec<RouteRule>,

    /// Service-level objective PATTERN:TARGET% (availability: share of
    /// requests not 5xx) or PATTERN:TARGET%<DURATION (latency: share at or
    /// under DURATION), e.g. '/api/*:99.9%' or '/api/*:99%<300ms'. PATTERN
    /// is a glob (* matches anything, / included) or ~REGEX; a route counts
    /// for the objectives of the first pattern that matches it. Repeatable.
    /// With --once, exit code 5 when one is not met.
    #[arg(long = "slo", value_name = "PATTERN:TARGET")]
    pub slo: Vec<String>,

    /// Apdex threshold T, e.g. 300ms: adds an Apdex column per route
    /// (at or under T satisfied, up to 4T tolerating, 5xx frustrated),
    /// exact since start (T and 4T become bucket bounds).
    #[arg(long, value_name = "DURATION")]
    pub apdex: Option<String>,

    /// Keep paths as they are instead of replacing IDs with :id, :uuid, ...
    #[arg(long, env = "ROUTETOP_NO_TEMPLATING", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_templating: bool,

    /// Routes tracked before new ones fold into the (overflow) route.
    #[arg(
        long,
        env = "ROUTETOP_MAX_ROUTES",
        hide_env_values = true,
        value_name = "N"
    )]
    pub max_routes: Option<usize>,

    /// Backends and hosts tracked (each) before others count as (other).
    #[arg(
        long,
        env = "ROUTETOP_MAX_FACETS",
        hide_env_values = true,
        value_name = "N"
    )]
    pub max_facets: Option<usize>,

    // `[:UNIT]` is help text, not a doc link (clap prints the comment as is).
    #[allow(rustdoc::broken_intra_doc_links)]
    /// JSON field mapping FIELD=PATH[:UNIT] (FIELD: request, method, path,
    /// status, bytes, latency, upstream, time, host, backend; UNIT: s, ms,
    /// us, ns), e.g. latency=Duration:ns or status=response.code.
    /// Repeatable.
    #[arg(long = "json-field", value_name = "FIELD=PATH[:UNIT]")]
    pub json_fields: Vec<FieldOverride>,

    /// Strip what REGEX matches at the start of every line before it is
    /// parsed (a log shipper's prefix routetop does not recognise by
    /// itself; docker compose, kubectl --prefix/--timestamps and syslog
    /// prefixes are stripped without it).
    #[arg(
        long,
        env = "ROUTETOP_STRIP_PREFIX",
        hide_env_values = true,
        value_name = "REGEX"
    )]
    pub strip_prefix: Option<String>,

    /// Lines longer than this many bytes are counted as parse errors.
    #[arg(
        long,
        env = "ROUTETOP_MAX_LINE",
        hide_env_values = true,
        value_name = "BYTES"
    )]
    pub max_line: Option<usize>,

    /// Parsing threads for --once (default: all cores).
    #[arg(
        short = 'j',
        long,
        env = "ROUTETOP_THREADS",
        hide_env_values = true,
        value_name = "N"
    )]
    pub threads: Option<usize>,

    /// Latency histogram bucket bounds: a preset — default (Prometheus'
    /// 11 web buckets, 5ms to 10s), fine (21, 1ms to 10s), coarse (5, 10ms
    /// to 5s) — or seconds, comma-separated.
    #[arg(
        long,
        env = "ROUTETOP_BUCKETS",
        hide_env_values = true,
        value_name = "PRESET|SECONDS,..."
    )]
    pub buckets: Option<Buckets>,

    /// TOML config file with the same settings (flags override it).
    #[arg(
        short,
        long,
        env = "ROUTETOP_CONFIG",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    /// List the format presets and exit.
    #[arg(long)]
    pub list_formats: bool,

    /// Print the man page (man), a shell completion script
    /// (complete-bash, complete-zsh, complete-fish, complete-powershell) or
    /// Prometheus rules for the --slo objectives (prometheus-rules) and
    /// exit.
    #[arg(long, value_enum, value_name = "KIND", hide_possible_values = true)]
    pub generate: Option<Generate>,

    #[command(flatten)]
    pub live: LiveArgs,

    #[command(flatten)]
    pub export: ExportArgs,
}
