//! Inputs: what the user names (paths, globs, `-`) and how their bytes
//! reach the engine, as bytes and never as `String`. [`blocks`] reads
//! inputs to the end in blocks of whole lines for `--once`; the live
//! follower ([`follow`]) sends `engine::InputEvent`s to the engine thread.
//! This layer only reads: it parses nothing and knows no format (the
//! `--once` reader hands each block out with what its caller decided for
//! the block's input), but for one thing: a file followed from its end is
//! looked back into for the W3C `#Fields:` header its lines were written
//! under (`preamble.rs`).

pub mod blocks;
pub mod decode;
pub mod follow;
mod lines;
pub mod opener;
mod paths;
mod preamble;
mod resume;
mod spec;
mod stdin;
mod tail;
mod watch;

pub use blocks::{BLOCK, Block, Blocks, Decision, MAX_LINE_LIMIT, Start, Want};
pub use follow::{FollowHandle, FollowOptions};
pub use opener::{BatchError, BatchInput, Expanded, Opener};
/// For the `input_preamble` fuzz target, which holds the look-back to a
/// plain reading of the bytes.
#[cfg(feature = "testkit")]
pub use preamble::{LOOK_BACK, MAX_HEADER_LINE, header_before};
pub use resume::Resume;
pub use spec::{Input, InputSpec, expand};
