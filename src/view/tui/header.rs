//! The header, three lines on every screen:
//!
//! ```text
//!  routetop  PAUSED  window 1m  sort Req/s ▼  filter api   parse errors 10 (e)  routes 3/2000
//!  13.0 req/s  5xx 1.4%  4xx 3.7%  p50 5.10ms  p99 260ms  13.2 lines/s  lag 3s
//!  access.log following combined_rt │ api.log waiting json (nginx)
//! ```
//!
//! Mode first (what am I looking at) with what is being lost on the
//! right, then the health of the traffic, then the inputs; each line puts
//! the least useful part last, where a narrow terminal cuts it. The traffic
//! line ends with the lag of live traffic (from 2 s), or for a replay how
//! far into the log it is: `replay at 2024-03-10 00:07:58 (7m59s of log)`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, short_duration};
use super::columns::{self, WindowChoice};
use super::style::{self, Theme, escape};
use crate::engine::InputState;
use crate::engine::snapshot::{InputSnap, Snapshot};
use crate::engine::summary::span_seconds;
use crate::view::human;

/// Lines the header takes.
pub const HEIGHT: u16 = 3;

pub fn render_header(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let [first, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let health = Line::from(health_spans(snap, theme)).right_aligned();
    let [mode, health_area] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(health.width() as u16),
    ])
    .areas(first);
    frame.render_widget(Paragraph::new(mode_line(app, snap, theme)), mode);
    frame.render_widget(Paragraph::new(health), health_area);
    let lines = vec![traffic_line(app, snap, theme), inputs_line(snap, theme)];
    frame.render_widget(Paragraph::new(lines), rest);
}

fn sep() -> Span<'static> {
    Span::raw("  ")
}

fn mode_line<'a>(app: &App, snap: &Snapshot, theme: Theme) -> Line<'a> {
    let mut s = vec![Span::styled(" routetop", theme.title())];
    if app.paused {
        s.push(sep());
        let behind = app.behind();
        let text = if behind > 0 {
            format!(" PAUSED +{behind} ")
        } else {
            " PAUSED ".into()
        };
        s.push(Span::styled(text, theme.reverse().patch(theme.warn())));
    }
    if app.ended {
        s.push(sep());
        s.push(Span::styled(" ENDED ", theme.reverse()));
    }
    s.push(sep());
    s.push(Span::styled("window ", theme.dim()));
    let mut w = app.window_label();
    if let WindowChoice::Recent(i) = app.window {
        // Until a window's length has passed since counting began, rates
        // are over the time so far (the same for every route): say so.
        if let Some(ws) = snap.total.windows.get(i)
            && ws.filling
        {
            w.push_str(&format!(
                " ({} so far)",
                short_duration(ws.covered.as_secs())
            ));
        }
    }
    s.push(Span::styled(w, theme.bold()));
    s.push(sep());
    s.push(Span::styled("sort ", theme.dim()));
    let arrow = if app.sort.descending { "▼" } else { "▲" };
    s.push(Span::styled(
        format!("{} {arrow}", app.sort.column.sort_label()),
        theme.bold(),
    ));
    if !app.filter.is_empty() || app.editing.is_some() {
        s.push(sep());
        s.push(Span::styled("filter ", theme.dim()));
        s.push(Span::styled(
            escape(&app.filter.text).into_owned(),
            theme.bold(),
        ));
        if app.filter.invalid {
            s.push(Span::styled(" (not a regex: literal)", theme.warn()));
        }
    }
    if app.status != super::app::StatusFilter::All {
        s.push(sep());
        s.push(Span::styled("class ", theme.dim()));
        s.push(Span::styled(app.status.label(), theme.bold()));
    }
    Line::from(s)
}

fn traffic_line<'a>(app: &App, snap: &Snapshot, theme: Theme) -> Line<'a> {
    let (row, rate) = columns::window_row(snap, &snap.total, app.window);
    let mut s = vec![
        Span::raw(" "),
        Span::styled(style::rate(rate), theme.bold()),
        Span::styled(" req/s", theme.dim()),
        sep(),
        Span::styled("5xx ", theme.dim()),
        Span::styled(
            style::percent(row.classes[5], row.requests),
            theme.err5(row.err5()),
        ),
        sep(),
        Span::styled("4xx ", theme.dim()),
        Span::styled(
            style::percent(row.classes[4], row.requests),
            theme.err4(row.err4()),
        ),
        sep(),
        Span::styled("p50 ", theme.dim()),
        Span::styled(
            style::latency(row.timed, row.q_us[0]),
            theme.latency(row.q_us[0]),
        ),
        sep(),
        Span::styled("p99 ", theme.dim()),
        Span::styled(
            style::latency(row.timed, row.q_us[2]),
            theme.latency(row.q_us[2]),
        ),
        sep(),
        Span::raw(style::rate(Some(snap.lines_per_sec))),
        Span::styled(" lines/s", theme.dim()),
    ];
    if snap.replay {
        // A replay's lines are as old as the log: say how far it has got
        // (the newest log time read, and the log time covered) instead.
        s.push(sep());
        s.push(Span::styled("replay", theme.bold()));
        if let Some((first, last)) = snap.span {
            s.push(Span::styled(
                format!(
                    " at {} ({} of log)",
                    human::utc(last),
                    human::duration(span_seconds(Some((first, last))).unwrap_or(0))
                ),
                theme.dim(),
            ));
        }
    } else if let Some(lag) = snap.ingest_lag.filter(|l| l.as_secs() >= 2) {
        s.push(sep());
        s.push(Span::styled(
            format!("lag {}", human::duration(lag.as_secs())),
            theme.warn(),
        ));
    }
    Line::from(s)
}

/// Parse errors and the route cap, top right: quiet when fine, yellow
/// when something is being lost.
fn health_spans<'a>(snap: &Snapshot, theme: Theme) -> Vec<Span<'a>> {
    let mut s = Vec::new();
    let errors = snap.parse_errors();
    if errors > 0 {
        s.push(Span::styled(
            format!("parse errors {} (e)", human::count(errors)),
            theme.warn(),
        ));
    } else {
        s.push(Span::styled("parse errors 0", theme.dim()));
    }
    s.push(sep());
    let o = &snap.overflow;
    if o.folded_routes > 0 {
        s.push(Span::styled(
            format!(
                "overflow {}{} routes folded",
                if o.at_least { "≥" } else { "" },
                human::count(o.folded_routes)
            ),
            theme.warn(),
        ));
    } else {
        s.push(Span::styled(
            format!("routes {}/{}", o.routes, o.max_routes),
            theme.dim(),
        ));
    }
    s.push(Span::raw(" "));
    s
}

fn state_style(st: &InputState, theme: Theme) -> Style {
    match st {
        InputState::Following => theme.good(),
        InputState::Waiting => theme.warn(),
        InputState::Rotated => theme.fg(ratatui::style::Color::Cyan),
        InputState::Error(_) | InputState::Closed(_) => theme.bad(),
        InputState::Done => theme.dim(),
    }
}

/// Last path component: the header has no room for directories (the
/// parse-errors view shows full names).
pub(super) fn short_name(name: &str) -> &str {
    match name.rsplit_once('/') {
        Some((_, base)) if !base.is_empty() => base,
        _ => name,
    }
}

fn inputs_line<'a>(snap: &Snapshot, theme: Theme) -> Line<'a> {
    let mut s = vec![Span::raw(" ")];
    if snap.inputs.is_empty() {
        s.push(Span::styled("no inputs", theme.dim()));
        return Line::from(s);
    }
    if snap.inputs.len() > 3 {
        return Line::from(inputs_summary(&snap.inputs, theme));
    }
    for (i, inp) in snap.inputs.iter().enumerate() {
        if i > 0 {
            s.push(Span::styled(" │ ", theme.dim()));
        }
        s.push(Span::raw(escape(short_name(&inp.name)).into_owned()));
        s.push(Span::raw(" "));
        s.push(Span::styled(
            inp.state.label().to_string(),
            state_style(&inp.state, theme),
        ));
        if let Some(msg) = inp.state.error() {
            s.push(Span::styled(format!(": {}", escape(msg)), theme.bad()));
        }
        s.push(Span::raw(" "));
        match &inp.format {
            Some(f) => s.push(Span::styled(escape(f).into_owned(), theme.dim())),
            None => s.push(Span::styled("format?", theme.dim())),
        }
    }
    Line::from(s)
}

fn inputs_summary<'a>(inputs: &[InputSnap], theme: Theme) -> Vec<Span<'a>> {
    let mut s = vec![Span::raw(format!(" {} inputs:", inputs.len()))];
    for st in [
        InputState::Following,
        InputState::Waiting,
        InputState::Rotated,
        InputState::Done,
        InputState::Error(String::new()),
    ] {
        let n = inputs
            .iter()
            // By label: a closed stdin counts with the unreadable.
            .filter(|i| i.state.label() == st.label())
            .count();
        if n > 0 {
            s.push(Span::raw(" "));
            s.push(Span::styled(
                format!("{n} {}", st.label()),
                state_style(&st, theme),
            ));
        }
    }
    // Which inputs need a look, by name: counts alone do not say which
    // file is missing or unreadable (`e` shows why).
    for i in inputs
        .iter()
        .filter(|i| !matches!(i.state, InputState::Following | InputState::Done))
    {
        s.push(Span::styled(" │ ", theme.dim()));
        s.push(Span::raw(escape(short_name(&i.name)).into_owned()));
        s.push(Span::raw(" "));
        s.push(Span::styled(
            i.state.label().to_string(),
            state_style(&i.state, theme),
        ));
    }
    let mut formats: Vec<&str> = inputs.iter().filter_map(|i| i.format.as_deref()).collect();
    formats.sort_unstable();
    formats.dedup();
    if !formats.is_empty() {
        s.push(Span::styled(
            format!("  formats {}", escape(&formats.join(", "))),
            theme.dim(),
        ));
    }
    s
}
