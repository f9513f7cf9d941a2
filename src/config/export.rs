//! Exporter settings in their three layers: the flags (flattened into
//! `cli::Args`), the `[export]` table of the TOML file, and the validated
//! `view::export::ExportConfig` the exporter is started with.
//!
//! ```toml
//! [export]
//! metrics = "127.0.0.1:9898"      # or true for the default address
//! namespace = "edge"              # prefix of the http_* families
//! max_gauge = true                # …_seconds_max since the previous scrape
//! status = "class"                # status label 2xx…5xx, other (default "code")
//! summary = false                 # no http_request_duration_window_seconds
//! push = "http://pushgateway:9091"
//! push_interval = "15s"
//! job = "routetop"
//! instance = "web-1"              # default: the hostname
//! web_config = "/etc/routetop/web.yml"
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::ArgAction;
use clap::builder::BoolishValueParser;
use serde::Deserialize;

use super::duration::parse_duration;
use super::error::ConfigError;
use crate::view::export::{ExportConfig, PushConfig, StatusLabel};

/// The address `--metrics` listens on when none is given: loopback only, so
/// nothing is exposed to the network unless asked for.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9898";
pub const DEFAULT_PUSH_INTERVAL: Duration = Duration::from_secs(15);
pub const DEFAULT_JOB: &str = "routetop";

/// Flags of the exporter, flattened into the main `cli::Args`.
#[derive(clap::Args, Debug, Default, Clone)]
#[command(next_help_heading = "Prometheus")]
pub struct ExportArgs {
    /// Serve /metrics (and /healthz) on ADDR, HOST:PORT or :PORT (default
    /// 127.0.0.1:9898; a bare :PORT stays on loopback: write 0.0.0.0:PORT to
    /// listen on every interface). A word after --metrics without a ':' is
    /// taken as an input, not an address.
    #[arg(
        long,
        env = "ROUTETOP_METRICS",
        hide_env_values = true,
        value_name = "ADDR",
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub metrics: Option<String>,

    /// Prefix of the http_* metric families (NAMESPACE_http_requests_total).
    #[arg(
        long,
        env = "ROUTETOP_NAMESPACE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub namespace: Option<String>,

    /// Do not export http_request_duration_seconds_max (the slowest request
    /// since the previous scrape).
    #[arg(long, env = "ROUTETOP_NO_MAX_GAUGE", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_max_gauge: bool,

    /// The status label of the http_* families: the code as logged, or its
    /// class (1xx…5xx, other for 000-099 and 600-999), the codes of a class
    /// added up into one series.
    #[arg(
        long,
        env = "ROUTETOP_EXPORT_STATUS",
        hide_env_values = true,
        value_name = "LABEL"
    )]
    pub export_status: Option<ExportStatus>,

    /// Do not export http_request_duration_window_seconds (per-route
    /// quantiles over the shortest window).
    #[arg(long, env = "ROUTETOP_NO_SUMMARY", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_summary: bool,

    /// Push the metrics to this Pushgateway (http://HOST:9091) on an
    /// interval and once at exit, or once after --once.
    #[arg(
        long,
        env = "ROUTETOP_PUSH",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub push: Option<String>,

    /// How often to push: 500ms, 15s, 1m, ... (default 15s).
    #[arg(
        long,
        env = "ROUTETOP_PUSH_INTERVAL",
        hide_env_values = true,
        value_name = "DURATION"
    )]
    pub push_interval: Option<String>,

    /// Pushgateway job label (default routetop).
    #[arg(
        long,
        env = "ROUTETOP_JOB",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub job: Option<String>,

    /// Pushgateway instance label (default: the hostname).
    #[arg(
        long,
        env = "ROUTETOP_INSTANCE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub instance: Option<String>,

    /// TLS and basic-auth settings for /metrics, in the YAML format of the
    /// Prometheus exporter-toolkit (tls_server_config, basic_auth_users).
    #[arg(
        long,
        env = "ROUTETOP_WEB_CONFIG",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub web_config: Option<PathBuf>,
}

/// `--export-status` and the file's `status`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    /// 200, 404, 000: three digits as logged.
    Code,
    /// 2xx, 4xx, other.
    Class,
}

impl From<ExportStatus> for StatusLabel {
    fn from(s: ExportStatus) -> StatusLabel {
        match s {
            ExportStatus::Code => StatusLabel::Code,
            ExportStatus::Class => StatusLabel::Class,
        }
    }
}

/// `metrics = true` or `metrics = "ADDR"` in the TOML file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FileMetrics {
    On(bool),
    Addr(String),
}

/// The `[export]` table of the TOML file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileExport {
    pub metrics: Option<FileMetrics>,
    pub namespace: Option<String>,
    pub max_gauge: Option<bool>,
    pub status: Option<ExportStatus>,
    pub summary: Option<bool>,
    pub push: Option<String>,
    pub push_interval: Option<String>,
    pub job: Option<String>,
    pub instance: Option<String>,
    pub web_config: Option<PathBuf>,
}

/// Flags over the file's `[export]` table over defaults. `inputs` receives
/// the word after a bare `--metrics` when it is not an address (see the
/// flag's help). `once` rejects `--metrics`, which needs a live run.
pub fn merge(
    args: &ExportArgs,
    file: Option<&FileExport>,
    inputs: &mut Vec<String>,
    once: bool,
) -> Result<ExportConfig, ConfigError> {
    let empty = FileExport::default();
    let file = file.unwrap_or(&empty);
    let metrics = match (&args.metrics, &file.metrics) {
        (Some(v), _) if v.is_empty() => Some(DEFAULT_LISTEN.to_string()),
        (Some(v), _) if !v.contains(':') => {
            // `--metrics access.log`: clap took the input for an address.
            inputs.insert(0, v.clone());
            Some(DEFAULT_LISTEN.to_string())
        }
        (Some(v), _) => Some(listen_addr(v)?),
        (None, Some(FileMetrics::On(true))) => Some(DEFAULT_LISTEN.to_string()),
        (None, Some(FileMetrics::On(false))) | (None, None) => None,
        (None, Some(FileMetrics::Addr(v))) => Some(listen_addr(v)?),
    };
    if metrics.is_some() && once {
        return Err(ConfigError(
            "--metrics serves a live run; with --once, use --push to send the result".into(),
        ));
    }
    let namespace = args
        .namespace
        .clone()
        .or_else(|| file.namespace.clone())
        .filter(|n| !n.is_empty());
    if let Some(ns) = &namespace
        && !valid_namespace(ns)
    {
        return Err(ConfigError(format!(
            "--namespace must be letters, digits and _ (not starting with a digit), not {ns:?}"
        )));
    }
    let max_gauge = !args.no_max_gauge && file.max_gauge.unwrap_or(true);
    let status = args
        .export_status
        .or(file.status)
        .map_or(StatusLabel::Code, StatusLabel::from);
    let summary = !args.no_summary && file.summary.unwrap_or(true);
    let push = match args.push.as_ref().or(file.push.as_ref()) {
        None => None,
        Some(url) => {
            let interval = match args.push_interval.as_ref().or(file.push_interval.as_ref()) {
                Some(s) => {
                    parse_duration(s).map_err(|e| ConfigError(format!("--push-interval: {e}")))?
                }
                None => DEFAULT_PUSH_INTERVAL,
            };
            if interval < Duration::from_millis(100) || interval > Duration::from_secs(86_400) {
                return Err(ConfigError(
                    "--push-interval must be between 100ms and 24h".into(),
                ));
            }
            let job = args
                .job
                .clone()
                .or_else(|| file.job.clone())
                .unwrap_or_else(|| DEFAULT_JOB.to_string());
            let instance = args
                .instance
                .clone()
                .or_else(|| file.instance.clone())
                .unwrap_or_else(hostname);
            if job.is_empty() {
                return Err(ConfigError("--job must not be empty".into()));
            }
            Some(PushConfig {
                url: push_url(url)?,
                interval,
                job,
                instance,
            })
        }
    };
    Ok(ExportConfig {
        metrics,
        namespace,
        max_gauge,
        status,
        summary,
        push,
        web_config: args.web_config.clone().or_else(|| file.web_config.clone()),
        // Set from the run's objectives (`config/mod.rs`).
        slo: Vec::new(),
    })
}

/// `HOST:PORT`, `[V6]:PORT` or `:PORT` (loopback) → `HOST:PORT`. Host names
/// are resolved when binding.
pub fn listen_addr(s: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError(format!("--metrics: {s:?} is not HOST:PORT or :PORT"));
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Ok(format!("127.0.0.1:{port}"));
    }
    if host.starts_with('[') != host.ends_with(']') || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// `http://host:port[/path]` → the same without a trailing `/`.
fn push_url(s: &str) -> Result<String, ConfigError> {
    let uri: hyper::Uri = s
        .parse()
        .map_err(|e| ConfigError(format!("--push: {s:?} is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(ConfigError(format!(
                "--push: {s:?} must start with http:// or https://"
            )));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ConfigError(format!("--push: {s:?} has no host")));
    }
    if uri.query().is_some() {
        return Err(ConfigError(format!("--push: {s:?} must not have a query")));
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// Prometheus metric-name characters, as a prefix.
pub fn valid_namespace(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The machine's name, the default Pushgateway `instance`.
pub fn hostname() -> String {
    let h = gethostname::gethostname().to_string_lossy().into_owned();
    if h.is_empty() { "localhost".into() } else { h }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ExportArgs {
        ExportArgs::default()
    }

    fn merged(a: &ExportArgs, f: Option<&FileExport>) -> Result<ExportConfig, ConfigError> {
        merge(a, f, &mut Vec::new(), false)
    }

    #[test]
    fn defaults_export_nothing() {
        let c = merged(&args(), None).unwrap();
        assert_eq!(c, ExportConfig::off());
    }

    #[test]
    fn bare_metrics_is_loopback() {
        let a = ExportArgs {
            metrics: Some(String::new()),
            ..args()
        };
        assert_eq!(
            merged(&a, None).unwrap().metrics.as_deref(),
            Some("127.0.0.1:9898")
        );
        let a = ExportArgs {
            metrics: Some(":9100".into()),
            ..args()
        };
        assert_eq!(
            merged(&a, None).unwrap().metrics.as_deref(),
            Some("127.0.0.1:9100")
        );
        let a = ExportArgs {
            metrics: Some("[::]:9100".into()),
            ..args()
        };
        assert_eq!(
            merged(&a, None).unwrap().metrics.as_deref(),
            Some("[::]:9100")
        );
    }

    #[test]
    fn word_after_metrics_is_an_input() {
        let a = ExportArgs {
            metrics: Some("access.log".into()),
            ..args()
        };
        let mut inputs = vec!["other.log".to_string()];
        let c = merge(&a, None, &mut inputs, false).unwrap();
        assert_eq!(c.metrics.as_deref(), Some(DEFAULT_LISTEN));
        assert_eq!(inputs, ["access.log", "other.log"]);
    }

    #[test]
    fn bad_addresses_are_refused() {
        for bad in ["host:port", "1.2.3.4:70000", "[::1:80", "a b:80"] {
            let a = ExportArgs {
                metrics: Some(bad.into()),
                ..args()
            };
            assert!(merged(&a, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn metrics_with_once_is_refused() {
        let a = ExportArgs {
            metrics: Some(String::new()),
            ..args()
        };
        let e = merge(&a, None, &mut Vec::new(), true).unwrap_err();
        assert!(e.0.contains("--push"), "{e}");
    }

    #[test]
    fn flags_override_file_override_defaults() {
        let file = FileExport {
            metrics: Some(FileMetrics::On(true)),
            namespace: Some("file".into()),
            max_gauge: Some(false),
            status: Some(ExportStatus::Class),
            summary: Some(false),
            push: Some("http://gw:9091/".into()),
            push_interval: Some("1m".into()),
            job: Some("filejob".into()),
            instance: Some("fileinst".into()),
            web_config: Some("web.yml".into()),
        };
        let c = merged(&args(), Some(&file)).unwrap();
        assert_eq!(
            c,
            ExportConfig {
                metrics: Some(DEFAULT_LISTEN.into()),
                namespace: Some("file".into()),
                max_gauge: false,
                status: StatusLabel::Class,
                summary: false,
                push: Some(PushConfig {
                    url: "http://gw:9091".into(),
                    interval: Duration::from_secs(60),
                    job: "filejob".into(),
                    instance: "fileinst".into(),
                }),
                web_config: Some("web.yml".into()),
                slo: Vec::new(),
            }
        );
        let a = ExportArgs {
            metrics: Some("0.0.0.0:1234".into()),
            namespace: Some("flag".into()),
            push: Some("https://other:443/base".into()),
            push_interval: Some("500ms".into()),
            job: Some("flagjob".into()),
            instance: Some("flaginst".into()),
            web_config: Some("flag.yml".into()),
            export_status: Some(ExportStatus::Code),
            ..args()
        };
        let c = merged(&a, Some(&file)).unwrap();
        assert_eq!(c.metrics.as_deref(), Some("0.0.0.0:1234"));
        assert_eq!(c.namespace.as_deref(), Some("flag"));
        assert!(!c.max_gauge, "file's max_gauge = false stays");
        assert_eq!(c.status, StatusLabel::Code, "the flag wins");
        assert!(!c.summary, "file's summary = false stays");
        let p = c.push.unwrap();
        assert_eq!(p.url, "https://other:443/base");
        assert_eq!(p.interval, Duration::from_millis(500));
        assert_eq!(
            (p.job.as_str(), p.instance.as_str()),
            ("flagjob", "flaginst")
        );
        assert_eq!(c.web_config, Some(PathBuf::from("flag.yml")));
    }

    #[test]
    fn push_defaults() {
        let a = ExportArgs {
            push: Some("http://127.0.0.1:9091".into()),
            ..args()
        };
        let p = merged(&a, None).unwrap().push.unwrap();
        assert_eq!(p.interval, DEFAULT_PUSH_INTERVAL);
        assert_eq!(p.job, "routetop");
        assert_eq!(p.instance, hostname());
        assert!(!p.instance.is_empty());
    }

    #[test]
    fn bad_push_settings_are_refused() {
        for (url, interval, ns) in [
            ("ftp://gw", None, None),
            ("gw:9091", None, None),
            ("http://gw:9091?x=1", None, None),
            ("http://gw:9091", Some("fast"), None),
            ("http://gw:9091", Some("10ms"), None),
            ("http://gw:9091", None, Some("9lives")),
            ("http://gw:9091", None, Some("a-b")),
        ] {
            let a = ExportArgs {
                push: Some(url.into()),
                push_interval: interval.map(Into::into),
                namespace: ns.map(Into::into),
                ..args()
            };
            assert!(merged(&a, None).is_err(), "{url} {interval:?} {ns:?}");
        }
    }

    #[test]
    fn push_interval_uses_the_common_duration_syntax() {
        for (text, want) in [
            ("15s", 15_000),
            ("250ms", 250),
            ("2m", 120_000),
            ("15", 15_000),
        ] {
            let a = ExportArgs {
                push: Some("http://gw:9091".into()),
                push_interval: Some(text.into()),
                ..args()
            };
            let p = merged(&a, None).unwrap().push.unwrap();
            assert_eq!(p.interval, Duration::from_millis(want), "{text}");
        }
    }
}
