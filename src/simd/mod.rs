//! Every SIMD intrinsic and CPU hint of routetop, behind safe functions.
//!
//! This is the only module allowed `unsafe` (`Cargo.toml` denies
//! `unsafe_code` everywhere else, and clippy's `undocumented_unsafe_blocks`
//! makes every block say why it is sound). Each safe function here has a
//! plain-Rust reference that gives the same answer, and a test compares the
//! two on every byte value: the reference is also what runs on CPUs without
//! the instructions.
//!
//! - [`bytes16`]: 16 bytes compared at once (SSE2, part of the x86_64
//!   baseline): the byte-class masks of request paths (`route/shape.rs`,
//!   `route/own.rs`).
//! - [`marks`]: the structural index of a block of log text — newlines,
//!   quotes and backslashes, spaces — 64 bytes per word (AVX2 when the CPU
//!   has it, else SSE2); `format/scan.rs` parses fields from it.
//! - [`prefetch`](fn@prefetch): loading a cache line ahead of the code that will read
//!   it (the engine's deferred recording, the folded-route set).

pub mod bytes16;
pub mod marks;
mod prefetch;

pub use prefetch::prefetch;
