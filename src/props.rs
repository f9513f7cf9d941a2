//! The settings every property test (proptest) in the crate runs with:
//! test support, compiled for unit tests only.
//!
//! - proptest's XorShift generator: its default, ChaCha, took most of a
//!   case's time in a debug build;
//! - no regression files: a failure found becomes a named plain test, the
//!   record that lasts (a saved seed replays another input as soon as a
//!   strategy changes, and CI's fresh clone would drop the file anyway);
//!   proptest prints the shrunk failing input;
//! - up to 1 000 shrink steps rather than 4 a case, so that a failing case
//!   of thousands of values is printed small.

use proptest::test_runner::{Config, RngAlgorithm};

/// These settings, with `cases` generated cases.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        max_shrink_iters: 1_000,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    }
}
