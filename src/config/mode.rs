//! What a run does: read to the end and report (`--once`, in one of three
//! layouts), or follow.

/// The layout of the `--once` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Read to the end, print a report.
    Once {
        output: OutputFormat,
        top: Option<usize>,
        /// Exit 0 even when lines were read and none parsed.
        allow_empty: bool,
    },
    /// Follow the inputs as they grow.
    Follow,
}

/// What `--generate` prints instead of running (ripgrep's convention).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page, roff (`routetop --generate man > routetop.1`).
    Man,
    /// Bash completion script.
    CompleteBash,
    /// Zsh completion script.
    CompleteZsh,
    /// Fish completion script.
    CompleteFish,
    /// PowerShell completion script.
    CompletePowershell,
    /// Prometheus recording and multiwindow burn-rate alert rules for the
    /// objectives given (`--slo`, `[[slo]]`).
    PrometheusRules,
}
