//! Line templates: what nginx `log_format` strings, Apache `LogFormat`
//! strings and the presets compile into (see `compiled.rs` for how lines
//! are matched).
//!
//! Inside, one direction: `vocab` (the words) ← `tails` (the extended
//! presets' last fields) ← `matcher`, `combined` (the two ways to run
//! them) ← `compiled` (the template).

mod combined;
mod compiled;
mod matcher;
mod tails;
mod vocab;

#[cfg(test)]
mod tests;

pub use compiled::{BuildError, Template};
pub use vocab::{Class, Field, FieldSpec, Lit, Piece, Tok};
