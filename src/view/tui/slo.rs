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
use crate::view::human;

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

/// Objectives that count `route`, for the drill-down: at most this many
/// lines (the rest are on the objectives screen).
pub const DRILL_MAX: usize = 4;

/// How many lines the drill-down's objectives box needs for `route` (0:
/// no box).
pub fn drill_lines(snap: &Snapshot, route: &str) -> usize {
    snap.slo
        .iter()
        .filter(|o| o.route_state(route).is_some())
        .count()
        .min(DRILL_MAX)
}

/// The drill-down's objectives box: per objective that counts the route,
/// the route's own state and compliance since start, the objective's burn
/// rates of the fast pair, and the objective's 5-minute burn rate at each
/// of the last 30 minutes as a sparkline (burn rates are kept per
/// objective, not per route: see `engine/slo.rs`).
pub fn render_route_objectives(
    frame: &mut Frame,
    area: Rect,
    snap: &Snapshot,
    route: &str,
    theme: Theme,
) {
    let block = Block::bordered().title(Line::from(vec![
        Span::styled(" Objectives ", theme.title()),
        Span::styled(
            " route since start · burn rate 1h 5m · 5m burn per minute ",
            theme.dim(),
        ),
    ]));
    let inner = block.inner(area);
    let lines: Vec<Line> = snap
        .slo
        .iter()
        .filter_map(|o| Some((o, o.route_state(route)?)))
        .take(DRILL_MAX)
        .map(|(o, (state, c))| {
            let ratio = c
                .ratio()
                .map_or("-".into(), |r| format!("{:.3}%", r * 100.0));
            let burn_of = |i: usize| o.burn[i].map_or("-".into(), burn);
            let text = format!(
                " {}  {} bad of {}  1h {} 5m {}  ",
                ratio,
                human::count(c.total - c.good),
                human::count(c.total),
                burn_of(2),
                burn_of(0),
            );
            let mut spans = vec![
                Span::styled(format!("{:<6} ", state.label()), theme.slo(state)),
                Span::raw(o.name.clone()),
                Span::styled(text.clone(), theme.dim()),
            ];
            let used = 7 + o.name.chars().count() + text.chars().count();
            let room = (inner.width as usize).saturating_sub(used).min(30);
            if room >= 5 {
                spans.push(Span::styled(
                    burn_spark(&o.burn_series, room),
                    burn_style(theme, o.burn_series.last().copied().unwrap_or(0.0)),
                ));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Burn rates as block characters on one scale: 1× (exactly on budget)
/// or the highest value shown, whichever is larger, is a full block, so a
/// series under budget stays low instead of filling the cell.
pub fn burn_spark(values: &[f64], width: usize) -> String {
    const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let top = tail.iter().copied().fold(1.0f64, f64::max);
    let mut s: String = std::iter::repeat_n(' ', width - tail.len()).collect();
    for &v in tail {
        let level = if v > 0.0 {
            ((v / top * 8.0).ceil() as usize).clamp(1, 8)
        } else {
            0
        };
        s.push(BARS[level]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_spark_is_on_one_scale_with_1x_full_unless_higher() {
        // Under budget: low bars, not full ones.
        assert_eq!(burn_spark(&[0.0, 0.25, 0.5, 1.0], 6), "   ▂▄█");
        // Above: scaled to the highest.
        assert_eq!(burn_spark(&[1.0, 2.0, 4.0], 3), "▂▄█");
        // Narrower than the series: the newest values.
        assert_eq!(burn_spark(&[4.0, 0.0, 1.0], 2), " █");
    }
}
