//! What the exporter is started with: a plain struct the settings layer
//! (`config/export.rs`) validates and fills.

use std::path::PathBuf;

use crate::engine::slo::Objective;
use std::time::Duration;

/// What the `status` label of the per-key families says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusLabel {
    /// The three digits as logged: `200`, `404`, `000`.
    #[default]
    Code,
    /// The class, as the reports count it: `1xx` … `5xx`, and `other` for
    /// `000`–`099` and `600`–`999`. The keys of a class add up into one
    /// series, so a route has at most six per method instead of one per
    /// status seen.
    Class,
}

/// Where and how to push.
#[derive(Clone, Debug, PartialEq)]
pub struct PushConfig {
    /// Base URL of the Pushgateway, without a trailing `/`.
    pub url: String,
    pub interval: Duration,
    pub job: String,
    pub instance: String,
}

/// Validated exporter settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportConfig {
    /// Listen address for `/metrics` (`HOST:PORT`), when serving.
    pub metrics: Option<String>,
    /// Prefix of the `http_*` families, without the trailing `_`.
    pub namespace: Option<String>,
    pub max_gauge: bool,
    /// What the per-key families' `status` label says (`--export-status`).
    pub status: StatusLabel,
    /// Export the window summary family (off: `--no-summary`).
    pub summary: bool,
    pub push: Option<PushConfig>,
    pub web_config: Option<PathBuf>,
    /// Service-level objectives (`--slo`, set by the config from its own
    /// list): exported as good and total counters per objective.
    pub slo: Vec<Objective>,
}

impl ExportConfig {
    /// Nothing exported: what a plain `--once` or dashboard run has.
    pub fn off() -> ExportConfig {
        ExportConfig {
            max_gauge: true,
            summary: true,
            ..Default::default()
        }
    }
}
