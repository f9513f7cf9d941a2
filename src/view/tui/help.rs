//! The help overlay (`?`): every key, from the same list the key mapping
//! is tested against, drawn over whatever screen is open.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::app::App;
use super::keys::HELP;
use super::style::Theme;

pub fn render_help(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let key_w = HELP
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let text_w = HELP
        .iter()
        .map(|(_, t)| t.chars().count())
        .max()
        .unwrap_or(0);
    let width = (key_w + text_w + 6) as u16;
    // The keys, a blank line, the two legends, the borders.
    let height = HELP.len() as u16 + 5;
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!("{keys:<key_w$}"), theme.bold()),
                Span::raw("  "),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Colours: 5xx red, 4xx yellow, latency ≥250ms yellow, ≥1s red",
        theme.dim(),
    ));
    lines.push(Line::styled(
        "Methods: GET+6 is GET and 6 more (busiest first; Enter lists all)",
        theme.dim(),
    ));
    let block = Block::bordered()
        .title(Span::styled(" Keys ", theme.title()))
        .title_bottom(Line::styled(" ? or Esc closes ", theme.dim()).right_aligned());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
