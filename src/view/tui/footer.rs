//! The bottom line: the filter being typed, the reset question, a notice,
//! or the keys that matter on this screen with the row count (and where
//! `/metrics` is served, when it is).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Screen};
use super::style::{Theme, escape};

pub fn render_footer(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    if app.editing.is_some() {
        let mut s = vec![
            Span::styled(" filter /", theme.bold()),
            Span::raw(escape(&app.filter.text).into_owned()),
            Span::styled("█", theme.dim()),
            Span::styled("  Enter keep  Esc cancel  Ctrl-U clear", theme.dim()),
        ];
        if app.filter.invalid {
            s.push(Span::styled(
                "  not a regex: matching literally",
                theme.warn(),
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(s)), area);
        return;
    }
    if app.confirm_reset {
        frame.render_widget(
            Paragraph::new(Line::styled(
                " Reset the dashboard's figures? /metrics keeps counting. y: yes, other key: no ",
                theme.reverse().patch(theme.warn()),
            )),
            area,
        );
        return;
    }
    let hints = match (&app.screen, &app.notice) {
        (_, Some(n)) => Line::styled(format!(" {n}"), theme.warn()),
        (Screen::Table, None) => Line::styled(
            " ? help  q quit  / filter  s sort  w window  ⏎ details  e errors  p pause",
            theme.dim(),
        ),
        (Screen::Drill(_), None) => Line::styled(
            " Esc back  ↑↓ other route  w window  p pause  ? help",
            theme.dim(),
        ),
        (Screen::ParseErrors, None) => {
            Line::styled(" Esc back  ↑↓ scroll  p pause  ? help", theme.dim())
        }
        (Screen::Slo, None) => Line::styled(" Esc back  o table  p pause  ? help", theme.dim()),
        (Screen::Backends, None) => Line::styled(
            " Esc back  b table  s by 5xx / requests  p pause  ? help",
            theme.dim(),
        ),
    };
    // The exporter runs unseen behind the dashboard: say where it serves.
    let serving = app
        .metrics_at
        .as_ref()
        .map_or_else(String::new, |a| format!(" /metrics on {a} │"));
    let count = format!(
        "{serving} {}/{} routes ",
        app.rows().len(),
        app.snapshot().routes.len()
    );
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(count.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(hints), left);
    frame.render_widget(
        Paragraph::new(Line::styled(count, theme.dim()).right_aligned()),
        right,
    );
}
