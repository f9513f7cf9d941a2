//! The route table: one row per route in the chosen window, columns fitted
//! to the width by priority, the sort column marked ▲/▼.
//!
//! Only the rows in the viewport are formatted: with thousands of routes
//! the cost of a frame is the visible page, not the snapshot.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use unicode_width::UnicodeWidthStr;

use super::app::{App, StatusFilter};
use super::columns::{self, Column};
use super::sparkline::spark_string;
use super::style::{self, Theme, ellipsize, escape};
use crate::engine::InputState;
use crate::engine::snapshot::{RouteSnap, Snapshot};
use crate::engine::summary;
use crate::route::OVERFLOW_ROUTE;
use crate::view::human;

pub fn render_table(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let body_height = area.height.saturating_sub(1) as usize;
    let rows = app.rows();
    let offset = scroll(app, rows.len(), body_height);
    // Over every row the filter keeps, not those on screen: the columns
    // then stay put while scrolling and sorting. Measured on the rows on
    // screen, a sort that brought a longer name up swapped a column out
    // (Max for the narrower Bytes at 120 columns), and `s` then skipped
    // the column it had just been about to sort by.
    let route_want = rows
        .iter()
        .map(|&i| escape(&snap.routes[i].route).width())
        .max()
        .unwrap_or(0);
    let fitted = columns::fit(
        area.width,
        route_want.min(u16::MAX as usize) as u16,
        columns::Column::absent(snap),
    );
    let shown: Vec<Column> = fitted.iter().map(|&(c, _)| c).collect();
    app.visible_columns.set(columns::mask(&shown));
    let header = Row::new(fitted.iter().map(|&(c, _)| header_cell(app, c))).style(theme.reverse());

    let visible = rows.iter().enumerate().skip(offset).take(body_height);
    let body: Vec<Row> = visible
        .map(|(pos, &i)| {
            let route = &snap.routes[i];
            let stats = columns::window_row(snap, route, app.window);
            let row = Row::new(
                fitted
                    .iter()
                    .map(|&(c, w)| cell(snap, route, stats, c, w, theme)),
            );
            if pos == app.selected() {
                row.style(theme.reverse())
            } else {
                row
            }
        })
        .collect();
    let widths = fitted.iter().map(|&(_, w)| Constraint::Length(w));
    frame.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        area,
    );

    if rows.is_empty() && area.height > 2 {
        let msg_area = Rect {
            y: area.y + 2,
            height: area.height - 2,
            ..area
        };
        frame.render_widget(
            Paragraph::new(empty_message(app, snap, theme))
                .centered()
                .wrap(Wrap { trim: true }),
            msg_area,
        );
    }
}

/// First visible row: keeps the selection on screen, moving the page only
/// when the selection leaves it, and never leaves blank rows at the bottom
/// when there are rows to fill them (after rows vanish, for instance).
fn scroll(app: &App, len: usize, height: usize) -> usize {
    app.page.set(height.max(1));
    let sel = app.selected();
    let mut off = app.offset.get();
    if height == 0 {
        return off;
    }
    if sel < off {
        off = sel;
    } else if sel >= off + height {
        off = sel + 1 - height;
    }
    off = off.min(len.saturating_sub(height));
    app.offset.set(off);
    off
}

fn header_cell(app: &App, c: Column) -> Cell<'static> {
    let mut title = c.title().to_string();
    if app.sort.column == c {
        title.push(if app.sort.descending { '▼' } else { '▲' });
    }
    let line = Line::from(title);
    Cell::from(if c.right_aligned() {
        line.right_aligned()
    } else {
        line
    })
}

/// A right-aligned number. Too wide for its cell, it shows `###…` (as
/// spreadsheets do): cutting it would show a different, wrong number.
fn right(s: String, style: Style, width: u16) -> Cell<'static> {
    let s = if s.chars().count() > width as usize {
        "#".repeat(width as usize)
    } else {
        s
    };
    Cell::from(Line::from(Span::styled(s, style)).right_aligned())
}

/// One cell of `route`'s row; `(row, rate)` is its [`columns::window_row`],
/// computed once per row rather than once per cell.
fn cell(
    snap: &Snapshot,
    route: &RouteSnap,
    (row, rate): (&summary::Row, Option<f64>),
    c: Column,
    width: u16,
    theme: Theme,
) -> Cell<'static> {
    let plain = Style::new();
    match c {
        Column::Route => {
            let name = escape(&route.route);
            let text = ellipsize(&name, width as usize).into_owned();
            if &*route.route == OVERFLOW_ROUTE {
                Cell::from(Span::styled(text, theme.warn()))
            } else {
                Cell::from(text)
            }
        }
        Column::Method => Cell::from(methods(route, width as usize)),
        Column::Rate => right(style::rate(rate), plain, width),
        Column::Requests => right(human::count(row.requests), plain, width),
        Column::C2xx => right(human::count(row.classes[2]), plain, width),
        Column::C3xx => right(human::count(row.classes[3]), plain, width),
        Column::C4xx => right(human::count(row.classes[4]), theme.err4(row.err4()), width),
        Column::C5xx => right(human::count(row.classes[5]), theme.err5(row.err5()), width),
        Column::Err5 => right(
            style::percent(row.classes[5], row.requests),
            theme.err5(row.err5()),
            width,
        ),
        Column::P50 => lat(row.timed, row.q_us[0], theme, width),
        Column::P90 => lat(row.timed, row.q_us[1], theme, width),
        Column::P99 => lat(row.timed, row.q_us[2], theme, width),
        Column::Max => lat(row.timed, row.lat_max_us, theme, width),
        Column::Bytes if !snap.bytes_known() => right("-".into(), theme.dim(), width),
        Column::Bytes => right(human::bytes(row.bytes), plain, width),
        Column::Total => right(human::count(route.total.requests), plain, width),
        Column::Slo => match columns::slo_state(snap, &route.route) {
            Some((state, _)) => Cell::from(Span::styled(state.label(), theme.slo(state))),
            None => Cell::from(Span::styled("—", theme.dim())),
        },
        Column::Apdex => {
            let score = snap
                .apdex
                .as_ref()
                .and_then(|a| a.of(&route.route)?.score());
            match score {
                Some(s) => right(format!("{s:.2}"), theme.apdex(s), width),
                None => right("—".into(), theme.dim(), width),
            }
        }
        Column::Trend => Cell::from(Span::styled(
            spark_string(&route.series.requests, width as usize),
            theme.fg(ratatui::style::Color::Cyan),
        )),
    }
}

fn lat(timed: u64, us: u64, theme: Theme, width: u16) -> Cell<'static> {
    let style = if timed == 0 {
        Style::new()
    } else {
        theme.latency(us)
    };
    right(style::latency(timed, us), style, width)
}

/// `GET`, `GET,PUT`, `GET,PUT+2` (most requests first).
fn methods(route: &RouteSnap, width: usize) -> String {
    let mut s = String::new();
    for (i, (m, _)) in route.methods.iter().enumerate() {
        let more = route.methods.len() - i - 1;
        let sep = if i == 0 { "" } else { "," };
        let candidate = format!("{s}{sep}{}", escape(m));
        let suffix = if more > 0 {
            format!("+{more}")
        } else {
            String::new()
        };
        if i > 0 && candidate.chars().count() + suffix.chars().count() > width {
            s.push_str(&format!("+{}", more + 1));
            return s;
        }
        s = candidate;
    }
    ellipsize(&s, width).into_owned()
}

/// What to say when there is no row: nothing has arrived yet (and why that
/// may be), or the filters hide everything.
fn empty_message<'a>(app: &App, snap: &Snapshot, theme: Theme) -> Text<'a> {
    if !snap.routes.is_empty() {
        let mut what = Vec::new();
        if !app.filter.is_empty() {
            what.push(format!("filter “{}”", escape(&app.filter.text)));
        }
        if app.status != StatusFilter::All {
            what.push(format!("class {}", app.status.label()));
        }
        if what.is_empty() {
            what.push(format!("window {}", app.window_label()));
        }
        return Text::from(vec![
            Line::styled(
                format!("No route matches {}", what.join(" and ")),
                theme.bold(),
            ),
            Line::styled("Esc clears the filters; w changes the window", theme.dim()),
        ]);
    }
    let mut lines = vec![Line::styled("No requests yet", theme.bold())];
    let errors = snap.parse_errors();
    if errors > 0 {
        lines.push(Line::styled(
            format!(
                "{} lines did not parse: press e to see them and the format in use",
                human::count(errors)
            ),
            theme.warn(),
        ));
    }
    for inp in &snap.inputs {
        let why = match &inp.state {
            InputState::Waiting => format!("waiting for {} to appear", escape(&inp.name)),
            InputState::Error(e) | InputState::Closed(e) => {
                format!("{}: {}", escape(&inp.name), escape(e))
            }
            InputState::Following if inp.lines == 0 => {
                format!("following {}: no new lines yet", escape(&inp.name))
            }
            _ => continue,
        };
        lines.push(Line::styled(why, theme.dim()));
    }
    Text::from(lines)
}
