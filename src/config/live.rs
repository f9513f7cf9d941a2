//! Live-mode settings in their three layers: the flags (flattened into
//! `cli::Args`), the `[live]` table of the TOML file, and the validated
//! [`LiveSettings`] in the merged `Config`.
//!
//! ```toml
//! [live]
//! from_start = false      # read existing content first, then follow
//! headless = false        # summaries on stdout instead of the dashboard
//! interval = "10s"        # headless summary interval
//! windows = "1m,5m"       # sliding windows
//! step = "1s"             # window and series granularity
//! publish = "200ms"       # snapshot cadence (at most 1s)
//! series = 300            # steps of history for sparklines
//! window_by = "arrival"   # or "log": the log's own timestamps
//! refresh = 5             # dashboard redraws per second
//! state = "/var/lib/routetop/state"  # saved state: exact counts across restarts
//! state_interval = "5s"   # how often the state is saved (and at exit)
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::ArgAction;
use clap::builder::BoolishValueParser;
use serde::Deserialize;

use super::duration::parse_duration;
use super::error::ConfigError;
use crate::engine::backfill::BACKFILL_MIN;

/// How requests are placed in windows and series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowBy {
    /// When routetop reads the line (live traffic).
    #[default]
    Arrival,
    /// The line's own timestamp (replaying a file with --from-start).
    Log,
}

/// Flags of live mode, flattened into the main `cli::Args`.
#[derive(clap::Args, Debug, Default, Clone)]
#[command(next_help_heading = "Live mode")]
pub struct LiveArgs {
    /// Read what the files already hold, then follow them (default: start
    /// at their end, like tail -F).
    #[arg(long, env = "ROUTETOP_FROM_START", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub from_start: bool,

    /// No dashboard: print a summary every --interval. Automatic when
    /// stdout is not a terminal and no other view (--metrics) is asked for.
    #[arg(long, env = "ROUTETOP_HEADLESS", hide_env_values = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub headless: bool,

    /// Headless summary interval: 10s, 1m, ... (default 10s).
    #[arg(
        long,
        env = "ROUTETOP_INTERVAL",
        hide_env_values = true,
        value_name = "DURATION"
    )]
    pub interval: Option<String>,

    /// Sliding windows, comma-separated (default 1m,5m).
    #[arg(
        long,
        env = "ROUTETOP_WINDOWS",
        hide_env_values = true,
        value_name = "DURATIONS"
    )]
    pub windows: Option<String>,

    /// Granularity of windows and series: one sparkline point per step
    /// (default 1s; 100ms to 1m).
    #[arg(
        long,
        env = "ROUTETOP_STEP",
        hide_env_values = true,
        value_name = "DURATION"
    )]
    pub step: Option<String>,

    /// Snapshot cadence: views see new counts this often (default 200ms;
    /// 50ms to 1s).
    #[arg(
        long,
        env = "ROUTETOP_PUBLISH",
        hide_env_values = true,
        value_name = "DURATION"
    )]
    pub publish: Option<String>,

    /// Steps of history kept for sparklines and charts (default 300).
    #[arg(
        long,
        env = "ROUTETOP_SERIES",
        hide_env_values = true,
        value_name = "N"
    )]
    pub series: Option<usize>,

    /// Place requests in windows by arrival (default) or by the log's own
    /// timestamps (for --from-start replays).
    #[arg(long, value_enum, env = "ROUTETOP_WINDOW_BY", hide_env_values = true)]
    pub window_by: Option<WindowBy>,

    /// Dashboard redraws per second, 4 to 10 (default 5).
    #[arg(
        long,
        env = "ROUTETOP_REFRESH",
        hide_env_values = true,
        value_name = "HZ"
    )]
    pub refresh: Option<u32>,

    /// Save offsets and counts to FILE every --state-interval and at exit,
    /// and resume from it at start: lines written while routetop was down
    /// are counted and counters go on from where they were (see the
    /// README's "Saved state").
    #[arg(
        long,
        env = "ROUTETOP_STATE",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub state: Option<PathBuf>,

    /// How often --state is saved (default 5s; 1s to 1h). With --state,
    /// /metrics and --push serve the counts as of the last save, so no
    /// counter a scraper saw ever goes back after a crash.
    #[arg(
        long,
        env = "ROUTETOP_STATE_INTERVAL",
        hide_env_values = true,
        value_name = "DURATION"
    )]
    pub state_interval: Option<String>,

    /// Unread bytes of a file from which they are counted on all cores
    /// before following it (README, "Backlogs"). Hidden: a knob for tests
    /// and measurements (0: every backlog), not a setting to tune.
    #[arg(long, env = "ROUTETOP_BACKFILL_MIN", hide = true, value_name = "BYTES")]
    pub backfill_min: Option<u64>,
}

/// The `[live]` table of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveFile {
    pub from_start: Option<bool>,
    pub headless: Option<bool>,
    pub interval: Option<String>,
    pub windows: Option<String>,
    pub step: Option<String>,
    pub publish: Option<String>,
    pub series: Option<usize>,
    pub window_by: Option<WindowBy>,
    pub refresh: Option<u32>,
    pub state: Option<PathBuf>,
    pub state_interval: Option<String>,
}

/// Validated live-mode settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveSettings {
    pub from_start: bool,
    /// `--headless` was asked for explicitly.
    pub headless: bool,
    pub interval: Duration,
    pub windows: Vec<Duration>,
    pub step: Duration,
    pub publish: Duration,
    pub series: usize,
    pub window_by: WindowBy,
    pub refresh: u32,
    /// Saved state (`--state`).
    pub state: Option<PathBuf>,
    pub state_interval: Duration,
    /// `--backfill-min` (hidden): backlogs from this many bytes are
    /// counted on all cores.
    pub backfill_min: u64,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            from_start: false,
            headless: false,
            interval: Duration::from_secs(10),
            windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
            step: Duration::from_secs(1),
            publish: Duration::from_millis(200),
            series: 300,
            window_by: WindowBy::Arrival,
            refresh: 5,
            state: None,
            state_interval: Duration::from_secs(5),
            backfill_min: BACKFILL_MIN,
        }
    }
}

impl LiveSettings {
    pub fn merge(args: &LiveArgs, file: LiveFile) -> Result<LiveSettings, ConfigError> {
        let d = LiveSettings::default();
        let dur =
            |flag: &Option<String>, file: Option<String>, name: &str, default: Duration| match flag
                .clone()
                .or(file)
            {
                Some(s) => parse_duration(&s).map_err(|e| ConfigError(format!("--{name}: {e}"))),
                None => Ok(default),
            };
        let step = dur(&args.step, file.step, "step", d.step)?;
        if step < Duration::from_millis(100) || step > Duration::from_secs(60) {
            return Err(ConfigError(format!(
                "--step must be 100ms..=1m, not {step:?}"
            )));
        }
        let publish = dur(&args.publish, file.publish, "publish", d.publish)?;
        if publish < Duration::from_millis(50) || publish > Duration::from_secs(1) {
            return Err(ConfigError(format!(
                "--publish must be 50ms..=1s, not {publish:?}"
            )));
        }
        let windows = match args.windows.clone().or(file.windows) {
            Some(s) => {
                let mut w = s
                    .split(',')
                    .map(|p| parse_duration(p).map_err(|e| ConfigError(format!("--windows: {e}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                w.sort();
                w.dedup();
                w
            }
            None => d.windows,
        };
        if windows.is_empty() || windows.len() > 4 || windows.iter().any(|w| *w < step) {
            return Err(ConfigError(
                "--windows: one to four durations, none shorter than --step".into(),
            ));
        }
        let series = args.series.or(file.series).unwrap_or(d.series);
        if !(10..=86_400).contains(&series) {
            return Err(ConfigError(format!(
                "--series must be 10..=86400, not {series}"
            )));
        }
        let refresh = args.refresh.or(file.refresh).unwrap_or(d.refresh);
        if !(4..=10).contains(&refresh) {
            return Err(ConfigError(format!(
                "--refresh must be 4..=10, not {refresh}"
            )));
        }
        let state_interval = dur(
            &args.state_interval,
            file.state_interval,
            "state-interval",
            d.state_interval,
        )?;
        if state_interval < Duration::from_secs(1) || state_interval > Duration::from_secs(3600) {
            return Err(ConfigError(format!(
                "--state-interval must be 1s..=1h, not {state_interval:?}"
            )));
        }
        let state = args.state.clone().or(file.state);
        if state.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(ConfigError("--state: give a file name".into()));
        }
        Ok(LiveSettings {
            state,
            state_interval,
            from_start: args.from_start || file.from_start.unwrap_or(false),
            headless: args.headless || file.headless.unwrap_or(false),
            interval: dur(&args.interval, file.interval, "interval", d.interval)?,
            windows,
            step,
            publish: publish.min(step),
            series,
            window_by: args.window_by.or(file.window_by).unwrap_or_default(),
            refresh,
            backfill_min: args.backfill_min.unwrap_or(d.backfill_min),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_validate() {
        let s = LiveSettings::merge(&LiveArgs::default(), LiveFile::default()).unwrap();
        assert_eq!(s, LiveSettings::default());
        let args = LiveArgs {
            windows: Some("5m, 30s".into()),
            step: Some("500ms".into()),
            ..Default::default()
        };
        let file = LiveFile {
            series: Some(60),
            step: Some("1s".into()),
            window_by: Some(WindowBy::Log),
            ..Default::default()
        };
        let s = LiveSettings::merge(&args, file).unwrap();
        assert_eq!(
            s.windows,
            vec![Duration::from_secs(30), Duration::from_secs(300)]
        );
        assert_eq!(
            (s.step, s.series, s.window_by),
            (Duration::from_millis(500), 60, WindowBy::Log)
        );
        let bad = |a: LiveArgs| {
            LiveSettings::merge(&a, LiveFile::default())
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad(LiveArgs {
                step: Some("2m".into()),
                ..Default::default()
            })
            .contains("--step")
        );
        assert!(
            bad(LiveArgs {
                publish: Some("2s".into()),
                ..Default::default()
            })
            .contains("--publish")
        );
        assert!(
            bad(LiveArgs {
                windows: Some("100ms".into()),
                ..Default::default()
            })
            .contains("shorter")
        );
        assert!(
            bad(LiveArgs {
                refresh: Some(60),
                ..Default::default()
            })
            .contains("--refresh")
        );
        assert!(
            bad(LiveArgs {
                interval: Some("x".into()),
                ..Default::default()
            })
            .contains("--interval")
        );
    }
}
