//! Objectives screen (`o`): each service-level objective (`--slo`) with
//! its state, compliance since start against its target, the error budget
//! left, and its burn rate over each window of the SRE workbook's pairs.
//!
//! ```text
//! ┌ Objectives  (burn rate: budget spent per window, 1× = exactly on budget) ┐
//! │ State       Objective          Target  Compliance  Budget   5m  30m …   │
//! │ ✓ met       /api/*:99%<300ms   99%     99.731%      73.1%  0.4× 0.2× …  │
//! │ ! burning   /api/*:99.9%       99.9%   99.950%      50.0%  31×  20×  …  │
//! │ ✗ VIOLATED  *:99%              99%     98.102%    -89.8%   2.0× 1.9× …  │
//! └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The state reads without colour (symbol and word): met, burning (a pair
//! of windows burns fast enough to page, or 3d/6h at 1× for a ticket), or
//! violated (below target since start).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::app::App;
use super::style::Theme;
use crate::engine::slo::{BURN_WINDOWS, SloState};
use crate::engine::snapshot::Snapshot;

pub fn render_slo(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let block = Block::bordered().title(Line::from(vec![
        Span::styled(" Objectives ", theme.title()),
        Span::styled(
            " burn rate: error budget spent per window, 1× = on budget ",
            theme.dim(),
        ),
    ]));
    if snap.slo.is_empty() {
        let text = vec![
            Line::raw(""),
            Line::raw(" No objectives. Give one or more with --slo, e.g."),
            Line::raw("   --slo '/api/*:99.9%'       (availability: not 5xx)"),
            Line::raw("   --slo '/api/*:99%<300ms'   (latency: at or under 300 ms)"),
            Line::styled(
                " (or [[slo]] tables in the config file; see the README)",
                theme.dim(),
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let pct = |r: f64| format!("{:.3}%", r * 100.0);
    // Narrow terminals drop the target column (an objective's name says
    // it: `/api/*:99.9%`) and keep every window.
    let wide = area.width >= 100;
    let burn_w: u16 = if wide { 6 } else { 5 };
    let rows: Vec<Row> = snap
        .slo
        .iter()
        .map(|s| {
            let (word, style) = match s.state() {
                SloState::Met => ("✓ met", theme.good()),
                SloState::Burning => ("! burning", theme.warn()),
                SloState::Violated => ("✗ VIOLATED", theme.bad()),
            };
            let mut cells = vec![
                Cell::from(Span::styled(word, style)),
                Cell::from(s.name.clone()),
            ];
            if wide {
                cells.push(Cell::from(format!("{}%", trim(s.target * 100.0))));
            }
            cells.push(Cell::from(s.since.ratio().map_or("-".into(), pct)));
            cells.push(Cell::from(
                s.since
                    .budget_left(s.target)
                    .map_or("-".into(), |b| format!("{:.1}%", b * 100.0)),
            ));
            for b in s.burn {
                cells.push(match b {
                    None => Cell::from("-"),
                    Some(b) => Cell::from(Span::styled(burn(b), burn_style(theme, b))),
                });
            }
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["State", "Objective"];
    if wide {
        header.push("Target");
    }
    header.extend(["Compliance", "Budget"]);
    header.extend(BURN_WINDOWS.iter().map(|(_, w)| *w));
    let fixed = [Constraint::Length(10)];
    let mut rest = vec![Constraint::Length(10), Constraint::Length(8)];
    if wide {
        rest.insert(0, Constraint::Length(7));
    }
    rest.extend(BURN_WINDOWS.iter().map(|_| Constraint::Length(burn_w)));
    // The name takes what the other columns leave (each column is
    // followed by a space).
    let used: u16 = fixed
        .iter()
        .chain(&rest)
        .map(|c| match c {
            Constraint::Length(n) => n + 1,
            _ => 1,
        })
        .sum();
    let longest = snap
        .slo
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(9) as u16;
    let name_w = longest.clamp(9, area.width.saturating_sub(2 + used).max(9));
    let mut widths = vec![Constraint::Length(10), Constraint::Length(name_w)];
    widths.extend(rest);
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.bold()))
        .block(block);
    frame.render_widget(table, area);
}

/// A burn rate as people read it: `0.4×`, `14×`.
fn burn(b: f64) -> String {
    if b < 10.0 {
        format!("{b:.1}×")
    } else {
        format!("{b:.0}×")
    }
}

/// Red at a paging rate (6× or more), yellow over budget, plain under.
fn burn_style(theme: Theme, b: f64) -> ratatui::style::Style {
    if b >= 6.0 {
        theme.bad()
    } else if b > 1.0 {
        theme.warn()
    } else {
        ratatui::style::Style::default()
    }
}

/// 99.9 as `99.9`, 99 as `99`.
fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
