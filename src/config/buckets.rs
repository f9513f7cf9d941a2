//! `--buckets` (and the file's `buckets`): a named preset or a list of
//! bounds in seconds, as the latency histograms' `le` bounds.
//!
//! Each histogram series set costs one series per bound plus three (`+Inf`,
//! `_sum`, `_count`), per (route, method, status) key: `coarse` saves 6 of
//! the default's 14, `fine` costs 10 more. The presets nest — every bound
//! of `coarse` is one of `default`'s, every one of `default`'s one of
//! `fine`'s — so a fleet moving between them keeps the `le` values its
//! rules name (`RouteSlowP99` compares to 1 s, a bound of all three).

use serde::Deserialize;

use super::error::ConfigError;
use crate::engine::DEFAULT_BUCKETS;

/// Few bounds, for large fleets: about ×5 apart from 10 ms to 5 s, 1 s
/// among them.
pub const COARSE_BUCKETS: [f64; 5] = [0.01, 0.05, 0.25, 1.0, 5.0];

/// More resolution from 1 ms to 10 s, for latency targets between the
/// default bounds.
pub const FINE_BUCKETS: [f64; 21] = [
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.35,
    0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0,
];

/// The presets by name, as `--help` lists them.
pub const PRESETS: [(&str, &[f64]); 3] = [
    ("default", &DEFAULT_BUCKETS),
    ("fine", &FINE_BUCKETS),
    ("coarse", &COARSE_BUCKETS),
];

/// Bucket bounds in seconds, as given (validated by [`Buckets::bounds`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets(pub Vec<f64>);

impl std::str::FromStr for Buckets {
    type Err = String;

    /// A preset name, or bounds separated by commas (`0.1,0.5,1`).
    fn from_str(s: &str) -> Result<Buckets, String> {
        let s = s.trim();
        if let Some((_, b)) = PRESETS.iter().find(|(n, _)| s.eq_ignore_ascii_case(n)) {
            return Ok(Buckets(b.to_vec()));
        }
        s.split(',')
            .map(|b| {
                b.trim().parse::<f64>().map_err(|_| {
                    format!(
                        "{b:?} is neither a preset ({}) nor a number of seconds",
                        preset_names()
                    )
                })
            })
            .collect::<Result<_, _>>()
            .map(Buckets)
    }
}

/// `default, fine, coarse`.
fn preset_names() -> String {
    PRESETS.map(|(n, _)| n).join(", ")
}

/// `buckets` in the TOML file: a preset name or an array of seconds.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FileBuckets {
    Preset(String),
    List(Vec<f64>),
}

impl FileBuckets {
    pub fn buckets(&self) -> Result<Buckets, ConfigError> {
        match self {
            FileBuckets::List(v) => Ok(Buckets(v.clone())),
            FileBuckets::Preset(s) => PRESETS
                .iter()
                .find(|(n, _)| s.eq_ignore_ascii_case(n))
                .map(|(_, b)| Buckets(b.to_vec()))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "--buckets: {s:?} is not a preset ({}); give a list of seconds instead",
                        preset_names()
                    ))
                }),
        }
    }
}

impl Buckets {
    /// The bounds, when every one is a positive, finite number of seconds.
    pub fn bounds(self) -> Result<Vec<f64>, ConfigError> {
        if self.0.is_empty() || self.0.iter().any(|b| !b.is_finite() || *b <= 0.0) {
            return Err(ConfigError(
                "--buckets must be positive numbers of seconds".into(),
            ));
        }
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_lists() {
        let p = |s: &str| s.parse::<Buckets>().map(|b| b.0);
        assert_eq!(p("default"), Ok(DEFAULT_BUCKETS.to_vec()));
        assert_eq!(p("Coarse"), Ok(vec![0.01, 0.05, 0.25, 1.0, 5.0]));
        assert_eq!(p("fine").map(|b| b.len()), Ok(21));
        assert_eq!(p("0.1, 0.5,1"), Ok(vec![0.1, 0.5, 1.0]));
        assert_eq!(p("2"), Ok(vec![2.0]));
        let e = p("medium").unwrap_err();
        assert_eq!(
            e,
            "\"medium\" is neither a preset (default, fine, coarse) nor a number of seconds"
        );
        assert!(p("0.1,,1").is_err());
    }

    #[test]
    fn presets_nest_and_ascend() {
        for (name, b) in PRESETS {
            assert!(b.windows(2).all(|w| w[0] < w[1]), "{name} ascends");
        }
        assert!(COARSE_BUCKETS.iter().all(|b| DEFAULT_BUCKETS.contains(b)));
        assert!(DEFAULT_BUCKETS.iter().all(|b| FINE_BUCKETS.contains(b)));
    }

    #[test]
    fn file_buckets_name_a_preset_or_list_seconds() {
        let f = |s: &str| FileBuckets::Preset(s.into()).buckets().map(|b| b.0);
        assert_eq!(f("coarse").unwrap(), COARSE_BUCKETS.to_vec());
        assert_eq!(
            f("tiny").unwrap_err().0,
            "--buckets: \"tiny\" is not a preset (default, fine, coarse); give a list of seconds instead"
        );
        let list = FileBuckets::List(vec![0.5, 1.0]).buckets().unwrap();
        assert_eq!(list.bounds().unwrap(), vec![0.5, 1.0]);
        assert!(Buckets(vec![0.1, -1.0]).bounds().is_err());
        assert!(Buckets(vec![f64::NAN]).bounds().is_err());
        assert!(Buckets(vec![]).bounds().is_err());
    }
}
