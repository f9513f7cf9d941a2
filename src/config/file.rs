//! The TOML config file: the same settings as the flags, read into
//! optional fields so the merge can tell what the file says.

use std::path::Path;

use serde::Deserialize;

use super::buckets::FileBuckets;
use super::error::ConfigError;
use super::export::FileExport;
use super::live::LiveFile;
use super::mode::OutputFormat;
use crate::route::RouteRule;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub format: Option<String>,
    pub max_routes: Option<usize>,
    pub max_facets: Option<usize>,
    pub templating: Option<bool>,
    pub max_line: Option<usize>,
    pub strip_prefix: Option<String>,
    pub threads: Option<usize>,
    pub output: Option<OutputFormat>,
    pub top: Option<usize>,
    pub allow_empty: Option<bool>,
    /// A preset name or seconds.
    pub buckets: Option<FileBuckets>,
    /// Apdex T (`--apdex`), a duration.
    pub apdex: Option<String>,
    #[serde(default)]
    pub json_fields: Vec<String>,
    #[serde(default)]
    pub routes: Vec<FileRoute>,
    #[serde(default)]
    pub inputs: Vec<FileInput>,
    pub export: Option<FileExport>,
    #[serde(default)]
    pub live: LiveFile,
    #[serde(default)]
    pub slo: Vec<FileSlo>,
}

/// A `[[slo]]` table: `pattern` and `target`, with `latency` for a latency
/// objective; `bad` statuses (default "5xx"), `period` (default "30d") and
/// a `name` (default: the flag form) optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSlo {
    pub pattern: String,
    pub target: String,
    pub latency: Option<String>,
    pub bad: Option<String>,
    pub period: Option<String>,
    pub name: Option<String>,
}

/// A `[[routes]]` table: `match` (a regex) and `template`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRoute {
    #[serde(rename = "match")]
    pub pattern: String,
    pub template: String,
}

impl From<&FileRoute> for RouteRule {
    fn from(r: &FileRoute) -> RouteRule {
        RouteRule {
            pattern: r.pattern.clone(),
            template: r.template.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub path: String,
    pub format: Option<String>,
    pub name: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config {}: {e}", path.display())))?;
        FileConfig::parse(&text, path)
    }

    /// Parses the text of the config file at `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            // One line: where, then what (toml draws a multi-line picture).
            let at = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!("line {line}, column {col}: ")
                }
                None => String::new(),
            };
            let msg: Vec<&str> = e
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            ConfigError(format!("config {}: {at}{}", path.display(), msg.join("; ")))
        })
    }
}
