//! Parse-errors view (`e`): per input, the format in use, lines read, bad
//! lines by reason, and a note for requests counted without an odd value
//! (a timer or a timestamp that could not be used); then the sample bad
//! lines with why they did not parse.
//!
//! ```text
//! ┌ Parse errors per input ──────────────────────────────────────────────┐
//! │ Input                Format       Lines   Bad  Bad %  Reasons          │
//! │ /var/log/access.log  combined_rt    12k    10  0.08%  9 no_match, 1 …  │
//! │ ! access.log: 92% of lines do not match combined_rt: choose … with -f  │
//! │ access.log: 2 bad_timer, 1 bad_time: counted, that value ignored      │
//! └───────────────────────────────────────────────────────────────────────┘
//! ┌ Sample bad lines  ↑↓ scroll  Esc back ──────────────────────────────┐
//! │ /var/log/access.log line 17  no_match  17 bytes                     │
//! │   GET /garbage \x1b[31m                                              │
//! │   why: expected " - " after $remote_addr at byte 3                  │
//! └───────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The point is that a wrong format is obvious instead of silent: the
//! format sits next to the lines it failed on. Sample lines are escaped:
//! they are exactly the lines that are not what we expected.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use unicode_width::UnicodeWidthChar;

use super::app::App;
use super::style::{self, Theme, escape};
use crate::engine::InputState;
use crate::engine::snapshot::{InputSnap, Snapshot};
use crate::format::{ErrorKind, Odd};
use crate::view::human;

pub fn render_errors(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let warnings: Vec<Line> = snap
        .inputs
        .iter()
        .flat_map(|i| {
            [
                warning(i, theme),
                odd_note(i, theme),
                variant_note(i, theme),
            ]
        })
        .flatten()
        .collect();
    let top_h = (snap.inputs.len() + 2 * warnings.len()) as u16 + 3;
    let [top, samples] = Layout::vertical([
        // Room for every input's warning (which cannot be read matters
        // more than the samples), leaving the samples a few lines.
        Constraint::Length(top_h.min(area.height.saturating_sub(6)).max(4)),
        Constraint::Min(3),
    ])
    .areas(area);
    render_inputs(frame, top, snap, warnings, theme);
    render_samples(frame, samples, app, snap, theme);
}

/// Says out loud when an input cannot be read, or its format is plainly
/// wrong or missing.
fn warning<'a>(i: &InputSnap, theme: Theme) -> Option<Line<'a>> {
    let bad = i.error_total();
    let name = escape(super::header::short_name(&i.name));
    match &i.state {
        InputState::Waiting => {
            return Some(Line::styled(
                format!("! {name}: waiting: no such file (yet); it is read once it appears"),
                theme.warn(),
            ));
        }
        InputState::Error(e) | InputState::Closed(e) => {
            return Some(Line::styled(
                format!("! {name}: cannot read it: {}", escape(e)),
                theme.bad(),
            ));
        }
        _ => {}
    }
    let text = match &i.format {
        Some(f) if i.lines >= 10 && bad.saturating_mul(2) > i.lines => format!(
            "! {name}: {} of lines do not match {}: choose the format with -f (see --list-formats)",
            human::percent(bad as f64 / i.lines as f64),
            escape(f)
        ),
        None if i.lines > 0 => {
            format!("! {name}: format not detected from the first lines: give one with -f")
        }
        _ => return None,
    };
    Some(Line::styled(text, theme.bad()))
}

/// Says which requests were counted without a timer or timestamp they had
/// (see the README's "Odd values"): they are requests, not bad lines, so
/// they are not in the table's counts.
fn odd_note<'a>(i: &InputSnap, theme: Theme) -> Option<Line<'a>> {
    let parts: Vec<String> = Odd::ALL
        .iter()
        .zip(i.odd)
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{} {k}", human::count(n)))
        .collect();
    if parts.is_empty() {
        return None;
    }
    let name = escape(super::header::short_name(&i.name));
    Some(Line::styled(
        format!(
            "{name}: {}: requests counted, that timer or timestamp ignored",
            parts.join(", ")
        ),
        theme.warn(),
    ))
}

/// A messy file read as several formats: the requests each parsed.
fn variant_note<'a>(i: &InputSnap, theme: Theme) -> Option<Line<'a>> {
    if i.variants.is_empty() {
        return None;
    }
    let parts: Vec<String> = i
        .variants
        .iter()
        .map(|(f, n)| format!("{} {}", escape(f), human::count(*n)))
        .collect();
    let name = escape(super::header::short_name(&i.name));
    Some(Line::styled(
        format!("{name}: requests by format: {}", parts.join(", ")),
        theme.dim(),
    ))
}

fn reasons(i: &InputSnap) -> String {
    let parts: Vec<String> = ErrorKind::ALL
        .iter()
        .zip(&i.errors)
        .filter(|(_, n)| **n > 0)
        // Count first: a cut must lose a name, never digits.
        .map(|(k, n)| format!("{} {k}", human::count(*n)))
        .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(", ")
    }
}

fn render_inputs(
    frame: &mut Frame,
    area: Rect,
    snap: &Snapshot,
    warnings: Vec<Line>,
    theme: Theme,
) {
    let block = Block::bordered().title(Span::styled(" Parse errors per input ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [table_area, warn_area] = Layout::vertical([
        Constraint::Length(snap.inputs.len() as u16 + 1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let header =
        Row::new(["Input", "Format", "Lines", "Bad", "Bad %", "Reasons"]).style(theme.reverse());
    let rows = snap.inputs.iter().map(|i| {
        let bad = i.error_total();
        Row::new([
            Cell::from(escape(&i.name).into_owned()),
            Cell::from(
                i.format
                    .as_deref()
                    .map_or_else(|| "not detected".into(), |f| escape(f).into_owned()),
            ),
            Cell::from(Line::from(human::count(i.lines)).right_aligned()),
            Cell::from(
                Line::styled(
                    human::count(bad),
                    if bad > 0 { theme.warn() } else { theme.dim() },
                )
                .right_aligned(),
            ),
            Cell::from(Line::from(style::percent(bad, i.lines)).right_aligned()),
            Cell::from(reasons(i)),
        ])
    });
    let name_w = snap
        .inputs
        .iter()
        .map(|i| escape(&i.name).chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 32) as u16;
    let format_w = snap
        .inputs
        .iter()
        .map(|i| i.format.as_deref().map_or(12, |f| f.chars().count()))
        .max()
        .unwrap_or(6)
        .clamp(6, 24) as u16;
    let widths = [
        Constraint::Max(name_w),
        Constraint::Length(format_w),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        table_area,
    );
    frame.render_widget(
        Paragraph::new(warnings).wrap(ratatui::widgets::Wrap { trim: false }),
        warn_area,
    );
}

/// Cuts a line into pieces of at most `width` display cells, so that a
/// long bad line is shown whole and scrolling counts real screen lines.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
        used += w;
    }
    out
}

fn render_samples(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot, theme: Theme) {
    let block = Block::bordered()
        .title(Span::styled(" Sample bad lines ", theme.title()))
        .title_bottom(Line::styled(" ↑↓ scroll  Esc back ", theme.dim()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let text_w = (inner.width as usize).saturating_sub(4).max(8);
    let mut lines: Vec<Line> = Vec::new();
    for i in &snap.inputs {
        for s in &i.samples {
            let mut head = vec![
                Span::styled(escape(&i.name).into_owned(), theme.bold()),
                Span::raw(format!(" line {}  ", s.line_no)),
                Span::styled(s.kind.as_str(), theme.warn()),
                Span::styled(format!("  {} bytes", human::count(s.len)), theme.dim()),
            ];
            if (s.text.len() as u64) < s.len {
                head.push(Span::styled(" (start shown)", theme.dim()));
            }
            lines.push(Line::from(head));
            for piece in wrap(&escape(&s.text), text_w) {
                lines.push(Line::from(format!("    {piece}")));
            }
            if !s.why.is_empty() {
                for (n, piece) in wrap(&escape(&s.why), text_w.saturating_sub(5))
                    .into_iter()
                    .enumerate()
                {
                    let lead = if n == 0 { "  why: " } else { "       " };
                    lines.push(Line::from(vec![
                        Span::styled(lead, theme.dim()),
                        Span::raw(piece),
                    ]));
                }
            }
        }
    }
    if lines.is_empty() {
        let msg = if snap.inputs.iter().any(|i| i.error_total() > 0) {
            "bad lines were counted, but none was kept as a sample"
        } else {
            "no bad lines: every line matched its format"
        };
        lines.push(Line::styled(msg, theme.dim()));
    }
    let max = lines.len().saturating_sub(inner.height as usize);
    app.errors_max.set(max);
    let scroll = app.errors_scroll.min(max);
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_by_display_width() {
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(wrap("日本語", 4), vec!["日本", "語"]);
        assert_eq!(wrap("abc", 0), vec!["a", "b", "c"]);
    }
}
