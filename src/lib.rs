//! routetop: per-route QPS, errors and latency percentiles from web-server
//! access logs.
//!
//! One pipeline, one direction (`ARCHITECTURE.md` has the map):
//!
//! ```text
//! inputs (files, globs, stdin) → lines (bytes)
//!   → format (compiled once → Record) → route (templating + cap)
//!   → engine (HDR aggregates per source/route/method/status)
//!   → summary / snapshot → views (report, dashboard, /metrics)
//! ```
//!
//! [`run()`] executes a validated [`Config`]; the binary is a thin wrapper,
//! so tests drive everything in-process.

pub mod config;
pub mod engine;
pub mod format;
pub mod input;
#[cfg(test)]
mod props;
pub mod route;
pub mod run;
// The one module allowed `unsafe`: every intrinsic and prefetch, behind
// safe functions (see its docs).
#[allow(unsafe_code)]
pub mod simd;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod version;
pub mod view;

pub use config::Config;
pub use run::{Error, once, run, run_reloadable, run_with};
