//! A follower's backlog counted by the batch worker pool (`batch.rs`): the
//! live engine's [`Backfill`]. One backlog is one input of a pool read,
//! with the engine's registry (routes registered in input order, as
//! `--once` registers them), its settings (a histogram per key, which the
//! engine merges into its routes'), and the source's format, or `auto`
//! detection by the policy `--once` follows.

use std::sync::Arc;

use super::batch::{Watch, read_all, source_format};
use crate::engine::backfill::{Backfill, Backfilled, Job};
use crate::format::FieldOverride;
use crate::format::prefix::Strip;
use crate::input::{BatchInput, Opener};

/// Counts backlogs on `threads` workers.
pub struct Pool {
    pub threads: usize,
    /// For detecting `auto` sources' formats.
    pub json: Vec<FieldOverride>,
    pub strip: Option<Strip>,
}

impl Backfill for Pool {
    fn run(&self, job: Job) -> Backfilled {
        let Job {
            name,
            file,
            from,
            to,
            head,
            format,
            registry,
            router,
            mut engine,
            progress,
            cancel,
        } = job;
        engine.key_hists = true;
        let input = BatchInput {
            name,
            open: Opener::Range {
                head,
                file,
                from,
                to,
            },
            input: 0,
        };
        let (json, strip) = (&self.json, self.strip.as_ref());
        let start = Box::new(move |_: &BatchInput, lines: &[u8], more: bool| {
            source_format(&format, json, strip, lines, more)
        });
        let watch = Watch {
            cancel: Some(&cancel),
            progress: Some(&progress),
        };
        let read = read_all(
            vec![input],
            start,
            router,
            &engine,
            registry,
            self.threads,
            watch,
        );
        let mut batch = read.batch;
        let parser = read.parsers.into_iter().next().flatten();
        Backfilled {
            aggs: std::mem::take(&mut batch.aggs),
            input: batch.inputs.into_iter().next().unwrap_or_default(),
            format: parser.as_ref().map(|p| Arc::clone(&p.format)),
            fields: parser.and_then(|p| p.fields),
            error: read.failed.first().map(|e| e.to_string()),
        }
    }
}
