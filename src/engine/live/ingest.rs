//! Lines to counts in the live engine: held until their input's format is
//! detected, then parsed and counted in the shard, in their route's
//! recent state (windows, series), the objectives and the dashboard's
//! figures since its reset.

use std::sync::Arc;
use std::time::Instant;

use super::engine::LiveEngine;
use crate::engine::event::SourceId;
use crate::engine::input_stats::LinePos;
use crate::engine::window::Recent;
use crate::format::Header;
use crate::format::detect::{self, NO_FORMAT, Verdict};
use crate::format::scan::lines;

impl LiveEngine {
    pub(super) fn lines(&mut self, source: SourceId, data: Vec<u8>) {
        let s = self.source(source);
        if s.format.is_some() {
            self.ingest(source, &data);
            return;
        }
        s.pending.extend_from_slice(&data);
        s.pending_since.get_or_insert_with(Instant::now);
        if detect::ready(&s.pending) {
            self.detect_pending(source, false);
        }
    }

    /// Detects the format of `source` from its held lines and parses them.
    /// With `last`, no more lines will come: lines that fit no format are
    /// counted as unparsed rather than held further. Lines no format fits
    /// are counted as unparsed and the lines after them tried again, until
    /// a format is found or the rest must wait.
    pub(super) fn detect_pending(&mut self, source: SourceId, last: bool) {
        let json = self.cfg.json.clone();
        let strip = self.cfg.strip.clone();
        loop {
            let s = self.source(source);
            if s.format.is_some() || s.pending.is_empty() {
                return;
            }
            match detect::detect_start_with(&s.pending, &json, last, strip.as_ref()) {
                Verdict::Wait => return,
                Verdict::Found(d) => {
                    s.format = Some(Arc::new(d.format));
                    s.pending_since = None;
                    let data = std::mem::take(&mut s.pending);
                    s.consumed(data.len(), &data);
                    self.ingest(source, &data);
                    return;
                }
                Verdict::Unknown { used, .. } => {
                    let rest = s.pending.split_off(used);
                    let data = std::mem::replace(&mut s.pending, rest);
                    s.consumed(data.len(), &data);
                    s.pending_since = (!s.pending.is_empty()).then(Instant::now);
                    self.unparsed(source, &data);
                    // The rest decides on its own, or waits for more.
                    let s = self.source(source);
                    if !(last || detect::ready(&s.pending)) {
                        return;
                    }
                }
            }
        }
    }

    /// Counts the lines of `data` as unparsed: no format fits them.
    fn unparsed(&mut self, source: SourceId, data: &[u8]) {
        let mut line_no = self.sources[source as usize].line_no;
        for line in lines(data) {
            let pos = LinePos {
                seq: 0,
                local: line_no,
            };
            self.shard.unparsed(source, line, pos, || NO_FORMAT.into());
            line_no += 1;
        }
        let s = &mut self.sources[source as usize];
        self.lines_this_step += line_no - s.line_no;
        s.line_no = line_no;
    }

    fn ingest(&mut self, source: SourceId, data: &[u8]) {
        let Some(mut format) = self.sources[source as usize].format.clone() else {
            return;
        };
        // W3C: a `#Fields:` line changes how the lines after it parse, here
        // and in the lines of later batches (the source keeps it).
        let headed = format.has_headers();
        let mut line_no = self.sources[source as usize].line_no;
        let mut newest: Option<i64> = None;
        for line in lines(data) {
            let pos = LinePos {
                seq: 0,
                local: line_no,
            };
            line_no += 1;
            if headed && let Some(h) = format.header(line) {
                self.shard.header(source);
                if let Header::Fields(next) = h {
                    format = Arc::new(next);
                    let s = &mut self.sources[source as usize];
                    s.format = Some(format.clone());
                    s.fields = Some(line.to_vec());
                }
                continue;
            }
            if let Some(ing) = self.shard.line(source, &format, line, pos) {
                if let Some(t) = ing.time {
                    if self.cfg.log_time {
                        self.advance_log_time(t);
                    }
                    newest = Some(newest.map_or(t, |n| n.max(t)));
                }
                self.since_cache = None;
                let route = ing.key.route as usize;
                if self.recent.len() <= route {
                    self.recent.resize_with(route + 1, || None);
                }
                let (ws, series) = (&self.window_steps, self.cfg.series);
                self.recent[route]
                    .get_or_insert_with(|| Recent::new(ws, series))
                    .record(ing.status, ing.bytes, ing.latency_us);
                self.total.record(ing.status, ing.bytes, ing.latency_us);
                if !self.slo.is_empty() {
                    let minute = self.minute(ing.time);
                    let reg = &self.registry;
                    let name = || {
                        let r = reg.lock().unwrap_or_else(|p| p.into_inner());
                        r.routes.name(ing.key.route).to_string()
                    };
                    self.slo
                        .record(ing.key.route, name, minute, ing.status, ing.latency_us);
                }
                if let Some(v) = &mut self.view {
                    v.record(
                        ing.key.route,
                        ing.status,
                        ing.bytes,
                        ing.latency_us,
                        ing.time,
                    );
                }
            }
        }
        self.lines_this_step += line_no - self.sources[source as usize].line_no;
        self.sources[source as usize].line_no = line_no;
        if let Some(t) = newest {
            self.counted_newest(t);
        }
    }

    /// The minute a request counts in for burn rates: of its log time under
    /// `--window-by log`, else of the steps since counting began.
    pub(super) fn minute(&self, time: Option<i64>) -> u64 {
        match (self.cfg.log_time, time.or(self.newest_log_time)) {
            (true, Some(t)) => t.max(0) as u64 / 60,
            // The step count, not the clock: no clock read per line.
            _ => self.step * self.cfg.step.as_millis() as u64 / 60_000,
        }
    }

    /// Log-time windows: a line from a later second closes the steps before.
    fn advance_log_time(&mut self, t: i64) {
        let origin = *self.log_origin.get_or_insert(t);
        let secs = self.cfg.step.as_secs().max(1) as i64;
        let step = ((t - origin).max(0) / secs) as u64;
        if step > self.step {
            self.close_steps(step);
        }
    }
}
