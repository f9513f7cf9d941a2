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
use super::mode::OutputFormat;
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
    format!(
        "Formats (-f):\n  auto                 detect from the first lines (default)\n  {}\n{AFTER_PRESETS}",
        presets.join(", ")
    )
}

// Continued on the next line, under the preset names (a `\` line
// continuation would eat the indent).
const AFTER_PRESETS: &str = "                       \
presets; `routetop --list-formats` shows what each is
  '<log_format>'       an nginx log_format string, verbatim, e.g.
                       '$remote_addr-[$time_local]-$request-$status-$request_time'
                       (the whole `log_format name '...';` directive works too)
  '<LogFormat>'        an Apache LogFormat string, verbatim, e.g.
                       '%h %l %u %t \\\"%r\\\" %>s %b %D'
  json                 JSON lines: nginx escape=json, Caddy, Traefik (see --json-field)
  regex:<pattern>      named groups method, path, status, request_time, ...

Examples:
  routetop --once /var/log/nginx/access.log
  routetop --once -o json 'logs/*.log' > report.json
  zcat access.log.*.gz | routetop --once -f combined_rt
  routetop --once --route '^/api/users/[^/]+$=/api/users/:name' access.log";

#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "routetop",
    version,
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

    /// Show only the N busiest routes in the report (the totals still count all).
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

    // `[:UNIT]` is help text, not a doc link (clap prints the comment as is).
    #[allow(rustdoc::broken_intra_doc_links)]
    /// JSON field mapping FIELD=PATH[:UNIT] (FIELD: request, method, path,
    /// status, bytes, latency, upstream, time; UNIT: s, ms, us, ns), e.g.
    /// latency=Duration:ns or status=response.code. Repeatable.
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

    #[command(flatten)]
    pub live: LiveArgs,

    #[command(flatten)]
    pub export: ExportArgs,
}
