//! Backends screen (`b`): every backend over all routes, since start —
//! the question "which upstream is failing" at 3 a.m. Requests, share of
//! all requests, 5xx and their share, mean and max latency; sorted by
//! requests or by 5xx (`s`).
//!
//! ```text
//! ┌ Backends  since start, by 5xx (s: by requests) ─────────────────────────┐
//! │ Backend            Reqs   Share    5xx    5xx%     Mean      Max        │
//! │ 10.0.1.13:8080     1.0k    6.3%    370     37%    250ms    6.00s        │
//! └─────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::app::App;
use super::style::{self, Theme, escape};
use crate::engine::facet::{FacetKind, FacetRow, OTHER};
use crate::engine::snapshot::Snapshot;
use crate::engine::summary::ratio;
use crate::view::human;

/// The backends in the screen's order: most 5xx first with
/// `by_errors`, else most requests; then by name.
pub fn ordered(snap: &Snapshot, by_errors: bool) -> Vec<&FacetRow> {
    let mut v: Vec<&FacetRow> = snap.facets.kind(FacetKind::Backend).totals.iter().collect();
    v.sort_by(|a, b| {
        let key = |r: &FacetRow| match by_errors {
            true => (r.counts.errors_5xx, r.counts.requests),
            false => (r.counts.requests, r.counts.errors_5xx),
        };
        key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name))
    });
    v
}

pub fn render_backends(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let f = snap.facets.kind(FacetKind::Backend);
    let order = if app.backends_by_errors {
        "by 5xx (s: by requests)"
    } else {
        "by requests (s: by 5xx)"
    };
    let mut title = vec![
        Span::styled(" Backends ", theme.title()),
        Span::styled(format!(" since start, {order} "), theme.dim()),
    ];
    if f.folded > 0 {
        title.push(Span::styled(
            format!(
                " {}{} more counted as {OTHER} (--max-facets {}) ",
                if f.at_least { "≥" } else { "" },
                f.folded,
                f.cap
            ),
            theme.warn(),
        ));
    }
    let block = Block::bordered().title(Line::from(title));
    if f.totals.is_empty() {
        let text = vec![
            Line::raw(""),
            Line::raw(" No backend in these logs: their format logs none."),
            Line::styled(
                " (nginx $upstream_addr or $proxy_upstream_name; see the README)",
                theme.dim(),
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let all = snap.total.total.requests;
    let rows: Vec<Row> = ordered(snap, app.backends_by_errors)
        .into_iter()
        .map(|r| {
            let c = &r.counts;
            let err = ratio(c.errors_5xx, c.requests);
            let mean = c.mean_us().unwrap_or(0.0).round() as u64;
            let num = |s: Span<'static>| Cell::from(Line::from(s).right_aligned());
            Row::new(vec![
                Cell::from(escape(&r.name).into_owned()),
                num(Span::raw(human::count(c.requests))),
                num(Span::raw(style::percent(c.requests, all))),
                num(Span::styled(human::count(c.errors_5xx), theme.err5(err))),
                num(Span::styled(
                    style::percent(c.errors_5xx, c.requests),
                    theme.err5(err),
                )),
                num(Span::styled(
                    style::latency(c.timed, mean),
                    theme.latency(mean),
                )),
                num(Span::styled(
                    style::latency(c.timed, c.lat_max_us),
                    theme.latency(c.lat_max_us),
                )),
            ])
        })
        .collect();
    let nums = [6, 6, 6, 6, 8, 8];
    let used: u16 = nums.iter().map(|n| n + 1).sum();
    let longest = f
        .totals
        .iter()
        .map(|r| escape(&r.name).chars().count() as u16)
        .max()
        .unwrap_or(0);
    let name_w = longest.clamp(8, area.width.saturating_sub(used + 2).max(8));
    let mut widths = vec![Constraint::Length(name_w)];
    widths.extend(nums.iter().map(|&n| Constraint::Length(n)));
    let header = ["Backend", "Reqs", "Share", "5xx", "5xx%", "Mean", "Max"]
        .into_iter()
        .enumerate()
        .map(|(i, h)| match i {
            0 => Cell::from(h),
            _ => Cell::from(Line::from(h).right_aligned()),
        });
    let header = Row::new(header).style(theme.bold());
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
}
