//! Views of the aggregates. Each reads computed statistics (a summary or a
//! published snapshot), never the engine's live state.

pub mod export;
pub mod headless;
pub mod human;
pub mod report;
pub mod tui;
