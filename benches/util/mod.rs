//! Shared by every bench in `benches/`: one command-line convention
//! ([`args`]), the bench data ([`data`]), and measurements of this process
//! from /proc ([`proc`]).
//!
//! # Command line (every bench)
//!
//! ```text
//! cargo bench --bench NAME -- [FILE] [MODE…] [--SETTING VALUE…] [--FLAG…]
//! cargo bench --bench NAME -- --help          # its modes, settings, defaults
//! ```
//!
//! - `FILE`: the log to read, for the benches that read one (`stages`,
//!   `live`, `follow`; `dashboard` optionally). Without it they use their
//!   default data, generated on first use (see *Data*).
//! - `MODE`: words naming the parts of the bench to run (`live -- bulk
//!   lag`); none runs the bench's default set. A word that is not a mode is
//!   taken as `FILE`.
//! - `--setting VALUE` or `--setting=VALUE`; `--flag` alone. Every setting
//!   and flag can also come from the environment, upper case with `_` for
//!   `-` (`--idle-secs 1` is `IDLE_SECS=1`; a flag's variable is on when set
//!   to anything but empty or `0`). The command line wins.
//! - `--bench`, which `cargo bench` adds, is ignored. Anything else (an
//!   unknown setting, a bad number, a second FILE) is an error, exit 2, so
//!   that a typo never silently measures the defaults.
//!
//! The smallest settings, for checking that a bench runs rather than for
//! figures, are in `scripts/bench.sh` (`--quick`) and in each bench's docs.
//!
//! # Data
//!
//! A bench that reads a log and is given no `FILE` generates its default
//! log in-process with `routetop_genlog` (a byte-exact port of genlog.py:
//! the same options give the same bytes), always combined_rt and seed 1,
//! into the data directory: `$BENCH_DIR`, else `$CARGO_TARGET_DIR/bench-data`,
//! else `target/bench-data` in the repository. The file is named after the
//! options (`genlog_combined_rt_lines1000000_routes200_seed1.log`) and made
//! once; later runs reuse it. `--data-lines N` and `--data-routes N` change
//! the generated log (e.g. fewer lines for a quick check); they do nothing
//! with a `FILE`. `scripts/bench-lib.sh` names and makes the same files, so
//! the script benches and the cargo benches share them.

#![allow(dead_code)]

pub mod args;
pub mod data;
pub mod proc;
