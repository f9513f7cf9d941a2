//! What the exporter is started with: a plain struct the settings layer
//! (`config/export.rs`) validates and fills.

use std::path::PathBuf;
use std::time::Duration;

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
    pub push: Option<PushConfig>,
    pub web_config: Option<PathBuf>,
}

impl ExportConfig {
    /// Nothing exported: what a plain `--once` or dashboard run has.
    pub fn off() -> ExportConfig {
        ExportConfig {
            max_gauge: true,
            ..Default::default()
        }
    }
}
