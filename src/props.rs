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

/// Lines for the tests that hold a word-at-a-time byte search to a byte
/// loop: bytes drawn from a small alphabet of what the search looks for
/// and its near misses (bytes one bit away), among plain `x` bytes, so
/// that needles come both close together and far apart. Deterministic
/// (xorshift64), so a failure names the same line every run.
pub struct NearMisses {
    rng: XorShift,
}

impl NearMisses {
    pub fn new() -> NearMisses {
        NearMisses {
            rng: XorShift(0x9e37_79b9_7f4a_7c15),
        }
    }

    /// A line of `len` bytes: each one of `alphabet`, or `x` with odds
    /// `plain` to `alphabet.len()`.
    pub fn line(&mut self, len: usize, alphabet: &[u8], plain: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                let k = self.rng.below(alphabet.len() + plain);
                alphabet.get(k).copied().unwrap_or(b'x')
            })
            .collect()
    }
}

/// The generated-case tests' random numbers: xorshift64 from a fixed
/// seed (not 0), so a failure names the same case every run.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next number below `n` (> 0).
    pub fn below(&mut self, n: usize) -> usize {
        let s = &mut self.0;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s % n as u64) as usize
    }
}
