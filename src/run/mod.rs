//! The two modes of a run, side by side, and the one place that picks
//! between them ([`run_with`]):
//!
//! - `once.rs`: `--once`, every input read to the end on all cores, then a
//!   report (table, JSON, CSV) and, with `--push`, one push.
//! - `follow.rs`: follow mode, the followers feeding the live engine's
//!   thread and the views (dashboard, headless, `/metrics`, pushes) reading
//!   its snapshots until quit, a signal or the end of every input.

mod backfill;
mod batch;
mod error;
mod follow;
mod generate;
mod once;
mod state;

use std::io::{self, Write};

pub use error::{EXIT_CODES, EXIT_SETTINGS, Error};
pub use follow::{Reload, Running};
pub use generate::{generate, generate_rules};
pub use once::{BatchReport, once, report_figures};

use crate::config::{Config, Mode};

/// Runs the configured mode, writing to stdout and stderr.
pub fn run(config: Config) -> Result<(), Error> {
    run_reloadable(config, None)
}

/// [`run`], with a way to re-read the settings on SIGHUP (follow mode).
pub fn run_reloadable(config: Config, reload: Option<Reload>) -> Result<(), Error> {
    // stderr is not locked for the run: other threads (the exporter, the
    // SIGHUP handler) write their messages to it while it lasts.
    let r = run_with(&config, reload, &mut io::stdout().lock(), &mut io::stderr());
    match r {
        // `routetop --once big.log | head`: a closed pipe is the reader's
        // choice, not a failure.
        Err(Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Runs the configured mode with explicit output streams.
pub fn run_with(
    config: &Config,
    reload: Option<Reload>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    match &config.mode {
        Mode::Once {
            output,
            top,
            allow_empty,
        } => once::run(config, *output, *top, *allow_empty, out, err),
        Mode::Follow => follow::follow(config, reload, out),
    }
}
