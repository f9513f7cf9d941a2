//! `--once` output: the since-start summary as a table for people, JSON for
//! programs (schema: `assets/report.schema.json`) or CSV for spreadsheets,
//! plus the parse-error summary that goes to stderr.
//!
//! Reports are written a few bytes at a time. Each layout writes to a
//! concrete `BufWriter`, so each piece is an inlined copy; through
//! `&mut dyn Write` each was a virtual call (a third of a large JSON
//! report's time).

mod data;
mod errors;
mod json;
mod text;

use std::io::{self, Write};

use crate::engine::summary::Summary;

pub use data::{ReportData, SCHEMA_ID};
pub use errors::parse_errors;

/// The report as a table, the `top` busiest routes (all when `None`).
pub fn table(out: &mut dyn Write, data: &ReportData, top: Option<usize>) -> io::Result<()> {
    let mut w = buffered(out);
    text::table(&mut w, data, top)?;
    w.flush()
}

/// The report as CSV, the `top` busiest routes (all when `None`).
pub fn csv(out: &mut dyn Write, data: &ReportData, top: Option<usize>) -> io::Result<()> {
    let mut w = buffered(out);
    text::csv(&mut w, data, top)?;
    w.flush()
}

/// One line per objective (`--slo`), as the table ends with (for CSV
/// reports, whose output is one table: the caller writes these to stderr).
pub fn slo(out: &mut dyn Write, data: &ReportData) -> io::Result<()> {
    let mut w = buffered(out);
    text::slo(&mut w, data)?;
    w.flush()
}

/// The report as pretty JSON, the `top` busiest routes and their entries
/// (all when `None`); the totals, inputs and facets count every route, as
/// the table's do.
pub fn json(out: &mut dyn Write, data: &ReportData, top: Option<usize>) -> io::Result<()> {
    let mut w = buffered(out);
    match top.filter(|&n| n < data.summary.routes.len()) {
        None => json::json(&mut w, data)?,
        Some(n) => {
            let s = data.summary;
            // Entries are grouped by route in the routes' order: the top
            // routes' entries come first.
            let kept = &s.routes[..n];
            let mut at = 0;
            let entries = s
                .entries
                .iter()
                .position(|e| {
                    while at < n && kept[at].route != e.route {
                        at += 1;
                    }
                    at == n
                })
                .unwrap_or(s.entries.len());
            let summary = Summary {
                routes: kept.to_vec(),
                entries: s.entries[..entries].to_vec(),
                ..s.clone()
            };
            json::json(
                &mut w,
                &ReportData {
                    summary: &summary,
                    ..*data
                },
            )?;
        }
    }
    w.flush()
}

fn buffered(out: &mut dyn Write) -> io::BufWriter<&mut dyn Write> {
    io::BufWriter::with_capacity(1 << 16, out)
}
