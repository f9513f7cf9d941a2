//! `--once`: every input read to the end on all cores, then one report.
//! The worker pool is `batch.rs`'s (a follower's backfill uses it too).
//!
//! Each worker owns a [`BatchShard`](crate::engine::BatchShard) and a 1 MiB buffer, and takes turns,
//! under a lock, at the shared block reader (`input::Blocks`), which fills
//! its buffer with the next block of whole lines; it parses the block
//! outside the lock (lines and field ends found through the block's
//! structural index, `format::scan::Marks`). Workers' shards are summarised
//! together at the end (`engine::Batch`), without being merged first.
//!
//! Routes are admitted under the cap in input order, not in the order the
//! workers happen to reach them: blocks are numbered by (input, block
//! within it) as they are read, and a worker whose block saw new routes
//! registers them only once every earlier block is done (`Turns` in
//! `batch.rs`,
//! `BatchShard::admit`): every block of every earlier input, then the
//! earlier blocks of its own. Input order is the order inputs are named,
//! a glob's files oldest first (`input::expand`). Only blocks with new
//! routes wait, and only while the route table has room, so the report is
//! the same on every run and at any `-j` (equal to `-j1`, which reads the
//! inputs one after the other) at no cost once routes are known.
//!
//! Several inputs are read at once (`input::Blocks`): a worker on a later
//! input whose block saw new routes while an earlier input is still being
//! read would wait for that whole input. Instead it *holds* its input (no
//! other worker takes its blocks) and reads on, keeping the new routes'
//! lines aside (they are recorded at admission, `BatchShard::admit`, which
//! registers the routes of all the held blocks in the order of their first
//! lines: the order one reader would have met them). It admits as soon as
//! the earlier inputs are done, and waits for them only at its input's end
//! or when `DEFER_ROUTES` routes await admission (which bounds the
//! memory they take).

use std::io::Write;
use std::sync::Arc;

use super::batch::{Watch, read_all, source_format};
use super::error::Error;
use crate::config::{Config, OutputFormat};
use crate::engine::apdex::{self, ApdexSnap};
use crate::engine::slo::{Matcher, Objective, PerRoute};
use crate::engine::summary::Summary;
use crate::engine::{Batch, EngineConfig};
use crate::input::{BatchInput, Expanded};
use crate::route::Router;
use crate::view::{export, report};

/// What reading every input to the end gave.
pub struct BatchReport {
    /// Per route and per key, with percentiles: what the report prints.
    pub summary: Summary,
    /// The counts it was made from.
    pub batch: Batch,
    /// Inputs left out of the report or cut short, one line each: not
    /// found, not readable, failed while read, or whose format could not be
    /// detected (those lines are counted as unparsed).
    pub skipped: Vec<String>,
    /// Files named more than once, read once: said, not a failure.
    pub again: Vec<String>,
}

/// What a `--once` run may end with besides its report: [`Error::Partial`]
/// when inputs were skipped, [`Error::NothingParsed`] when lines were read
/// and none parsed (unless `allow_empty`).
fn outcome(read: &BatchReport, allow_empty: bool) -> Result<(), Error> {
    let lines: u64 = read.batch.inputs.iter().map(|i| i.lines).sum();
    let requests: u64 = read.batch.inputs.iter().map(|i| i.requests).sum();
    if lines > 0 && requests == 0 && !allow_empty {
        return Err(Error::NothingParsed(format!(
            "not one of the {lines} lines read parsed as a request (see the parse errors above; give the format with -f, or --allow-empty to accept an empty report)"
        )));
    }
    match read.skipped.len() {
        0 => Ok(()),
        n => Err(Error::Partial(format!(
            "partial report: {n} input{} could not be read or parsed (said above)",
            if n == 1 { "" } else { "s" }
        ))),
    }
}

/// `--once`: reads every input, writes the report as `output` (the `top`
/// busiest routes, or all) to `out` and the parse-error summary to `err`,
/// then pushes the result if asked.
pub fn run(
    config: &Config,
    output: OutputFormat,
    top: Option<usize>,
    allow_empty: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let mut read = once(config)?;
    // Said first, so that the one-line outcome at the end refers back to it.
    for msg in read.again.iter().chain(&read.skipped) {
        writeln!(err, "routetop: {msg}")?;
    }
    let (slo, apdex) = report_figures(config, &read.batch);
    let data = report::ReportData {
        summary: &read.summary,
        sources: &read.batch.sources,
        inputs: &read.batch.inputs,
        slo: &slo,
        apdex: apdex.as_ref(),
    };
    // The writers buffer (stdout is line-buffered, and a JSON report of
    // many routes is ~100 000 lines: 50 ms of write calls unbuffered) and
    // flush. A JSON report uses both cores.
    match output {
        OutputFormat::Table => report::table(out, &data, top),
        OutputFormat::Json => report::json(out, &data, top),
        OutputFormat::Csv => report::csv(out, &data, top).and_then(|()| report::slo(err, &data)),
    }?;
    if config.export.push.is_none() {
        // Nothing reads the aggregates after the summary without --push.
        // Freeing every key's histograms took ~1.5 ms on 1 M lines: do it
        // on another thread while the rest is written and the process ends
        // (if no thread can be had, the failed spawn drops them here).
        let aggs = std::mem::take(&mut read.batch.aggs);
        let _ = std::thread::Builder::new().spawn(move || drop(aggs));
    }
    report::parse_errors(err, &read.batch.sources, &read.batch.inputs)?;
    // `--push`: after the report, so a slow or absent Pushgateway never
    // delays it; failures are reported, not fatal.
    if config.export.push.is_some() {
        for msg in export::push_once(&config.export, &read.batch.snapshot()) {
            writeln!(err, "routetop: {msg}")?;
        }
    }
    let violated: Vec<&str> = slo
        .iter()
        .filter(|(o, c)| c.total.violated(o.target))
        .map(|(o, _)| o.name.as_str())
        .collect();
    // A violated objective is what a gate on a log asks about: it wins
    // over a partial report (said above in any case).
    if !violated.is_empty() {
        if let Err(e) = outcome(&read, allow_empty) {
            writeln!(err, "routetop: {e}")?;
        }
        return Err(Error::SloViolated(format!(
            "objective{} not met: {}",
            if violated.len() == 1 { "" } else { "s" },
            violated.join(", ")
        )));
    }
    outcome(&read, allow_empty)
}

/// The objectives (`--slo`) and Apdex (`--apdex`) of a batch, from its
/// exact key counters: what the report prints.
pub fn report_figures(
    config: &Config,
    batch: &Batch,
) -> (Vec<(Objective, PerRoute)>, Option<ApdexSnap>) {
    if config.slo.is_empty() && config.apdex.is_none() {
        return (Vec::new(), None);
    }
    let snap = batch.snapshot();
    let slo = Matcher::new(&config.slo).evaluate_routes(&snap.keys, &snap.buckets_us);
    let slo = config.slo.iter().cloned().zip(slo).collect();
    let apdex = config
        .apdex
        .map(|t| apdex::evaluate(t, &snap.keys, &snap.buckets_us));
    (slo, apdex)
}

/// Reads every input to the end and summarises it. An input that cannot be
/// read, or an `auto` input whose lines no format fits, is left out and
/// listed in [`BatchReport::skipped`]; the run fails only when that leaves
/// nothing to report (every input is such).
pub fn once(config: &Config) -> Result<BatchReport, Error> {
    let router = Arc::new(Router::new(&config.routes, config.templating).map_err(Error::Input)?);
    // Exact histogram bucket counters only matter to Prometheus, latency
    // objectives and Apdex: a report without --push, --slo or --apdex skips
    // them (one cache miss less per line).
    let counted = config.export.push.is_some() || !config.slo.is_empty() || config.apdex.is_some();
    let buckets: &[f64] = if counted { &config.buckets } else { &[] };
    let engine = EngineConfig {
        max_facets: config.max_facets,
        ..EngineConfig::new(config.max_routes, config.max_line, buckets)
    };
    let formats = config.formats();
    let Expanded {
        inputs,
        skipped: not_found,
        again,
    } = BatchInput::expand(&config.input_list());
    let start = Box::new(move |input: &BatchInput, lines: &[u8], more: bool| {
        let strip = config.strip_prefix.as_ref();
        source_format(
            &formats[input.input],
            &config.json_fields,
            strip,
            lines,
            more,
        )
    });
    let registry = engine.registry();
    let read = read_all(
        inputs,
        start,
        router,
        &engine,
        registry,
        config.threads,
        Watch::default(),
    );
    let (batch, failed) = (read.batch, read.failed);
    let mut skipped: Vec<String> = not_found
        .iter()
        .chain(&failed)
        .map(|e| e.to_string())
        .collect();
    for (src, st) in batch.sources.iter().zip(&batch.inputs) {
        if src.format.is_none() && st.lines > 0 {
            skipped.push(format!(
                "cannot detect the format of {}: no known format matches any of its {} lines; give it with -f (a preset, an nginx log_format string, an Apache LogFormat string, json or regex:...)",
                src.name, st.lines
            ));
        }
    }
    // Nothing to report: every input named was skipped (an input with no
    // line is read, not skipped).
    let read_some = batch.sources.iter().any(|s| s.format.is_some());
    if !skipped.is_empty() && !read_some {
        return Err(Error::Input(match skipped.len() {
            1 => skipped.remove(0),
            _ => format!("no input could be read: {}", skipped.join("; ")),
        }));
    }
    let summary = batch.summary(config.threads);
    Ok(BatchReport {
        summary,
        batch,
        skipped,
        again,
    })
}
