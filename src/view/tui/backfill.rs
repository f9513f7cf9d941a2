//! The backfill panel: while a backlog is counted on all cores
//! (`engine/backfill.rs`), the table's place shows how far it has got —
//! bytes and lines read, rate, time left — instead of figures that leave
//! it out. The keys work as ever (the dashboard never waits on the
//! engine), and the table is back at the next snapshot after it, or after
//! the last of backlogs queued together (a glob's full files: the panel
//! says which of the row it shows).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::app::App;
use super::style::Theme;
use crate::engine::snapshot::BackfillSnap;
use crate::view::human;

/// Draws `b`'s progress in `area`.
pub fn render_backfill(frame: &mut Frame, area: Rect, app: &App, b: &BackfillSnap) {
    let theme = Theme { color: app.color };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" backfill: counting what the file already holds, on all cores ")
        .title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [gauge, text] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let ratio = match b.total {
        0 => 1.0,
        t => (b.bytes.min(t) as f64 / t as f64).clamp(0.0, 1.0),
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.title())
            .ratio(ratio)
            .label(human::percent(ratio)),
        gauge,
    );
    let words = format!(
        "{}\n\nThe table comes back with every line counted; following goes on from the first byte after.",
        human::backfill(b)
    );
    frame.render_widget(Paragraph::new(words).wrap(Wrap { trim: true }), text);
}
