//! Drill-down on one route (Enter on a row):
//!
//! ```text
//! ┌ /api/users/:id  GET,PUT ──────────────────────── ↑↓ other route  Esc back ┐
//! │ 1m  10.0 req/s  600 reqs  2xx 570  3xx 0  4xx 20 (3.3%)  5xx 10 (1.7%)  300kB │
//! │ latency  p50 4.10ms  p90 12.5ms  p99 50.0ms  p99.9 118ms  max 140ms         │
//! │ total   3.22 req/s  12k reqs  2xx 11k  3xx 0  4xx 400 (3.3%)  5xx 100 (0.8%) │
//! └───────────────────────────────────────────────────────────────────────────────┘
//! ┌ Latency distribution ─────────────┐┌ p50  p90  p99 per 1s ─────────────────┐
//! │  ≤2.05ms ████            1.2k 10% ││ bar-less line chart, time on x        │
//! └───────────────────────────────────┘└───────────────────────────────────────┘
//! ┌ Backends (since start) ───────────┐┌ Hosts (since start) ──────────────────┐
//! │ name   reqs  share  5xx  mean  max ││ (routes whose requests carried any)   │
//! └───────────────────────────────────┘└───────────────────────────────────────┘
//! ┌ Status ─────────┐┌ Methods ───────┐┌ Sources (several inputs only) ────────┐
//! └─────────────────┘└────────────────┘└───────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::app::App;
use super::columns::{self, WindowChoice};
use super::header::short_name;
use super::slo;
use super::style::{self, Theme, escape};
use crate::engine::facet::{FacetKind, FacetRow};
use crate::engine::snapshot::{RouteSnap, Snapshot};
use crate::engine::summary::Row;
use crate::view::human;

mod charts;

use charts::{render_latency_hist, render_percentiles};

pub fn render_drill(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let Some(route) = app.drill_route() else {
        let name = match &app.screen {
            super::app::Screen::Drill(n) => escape(n).into_owned(),
            _ => String::new(),
        };
        let msg = vec![
            Line::styled(
                format!("{name} is not in the snapshot any more"),
                theme.bold(),
            ),
            Line::styled(
                "(no request since a reset, or new route rules)  Esc goes back to the table",
                theme.dim(),
            ),
        ];
        frame.render_widget(
            Paragraph::new(msg).centered().block(Block::bordered()),
            area,
        );
        return;
    };
    let many_sources = snap.inputs.len() > 1;
    let list_len = route
        .statuses
        .len()
        .max(route.methods.len())
        .max(if many_sources { route.sources.len() } else { 0 });
    let bottom_h = (list_len as u16 + 2).clamp(3, 8);
    let objectives = slo::drill_lines(snap, &route.route) as u16;
    let objectives_h = if objectives > 0 { objectives + 2 } else { 0 };
    let facets: Vec<(FacetKind, &[FacetRow])> = FacetKind::ALL
        .into_iter()
        .map(|k| (k, snap.facets.kind(k).route(&route.route)))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    // Fewer values on a small screen: the charts keep their room.
    let top = if area.height >= 30 { FACETS_TOP } else { 3 };
    let facets_h = facets
        .iter()
        .map(|(_, rows)| facet_lines(rows.len(), top) as u16 + 3)
        .max()
        .unwrap_or(0);
    let [summary, slo_area, facets_area, middle, bottom] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Length(objectives_h),
        Constraint::Length(facets_h),
        Constraint::Min(4),
        Constraint::Length(bottom_h),
    ])
    .areas(area);
    render_summary(frame, summary, app, snap, route, theme);
    if !facets.is_empty() {
        let n = facets.len() as u32;
        let boxes =
            Layout::horizontal(vec![Constraint::Ratio(1, n); facets.len()]).split(facets_area);
        for ((kind, rows), at) in facets.iter().zip(boxes.iter()) {
            render_facet(frame, *at, *kind, rows, route.total.requests, top, theme);
        }
    }
    if objectives > 0 {
        slo::render_route_objectives(frame, slo_area, snap, &route.route, theme);
    }
    let [hist, chart] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(middle);
    render_latency_hist(frame, hist, route, theme);
    render_percentiles(frame, chart, route, theme);
    let parts: &[Constraint] = if many_sources {
        &[Constraint::Ratio(1, 3); 3]
    } else {
        &[Constraint::Ratio(1, 2); 2]
    };
    let cols = Layout::horizontal(parts).split(bottom);
    let total = route.total.requests;
    // Busiest first, as the methods are: by code, a route's 404 and 5xx
    // came after every 2xx and 3xx and were cut to "+N more" (ties stay
    // in code order).
    let mut by_count = route.statuses.to_vec();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let statuses: Vec<(Span, u64)> = by_count
        .into_iter()
        .map(|(code, n)| (Span::styled(format!("{code:03}"), theme.status(code)), n))
        .collect();
    let since = if app.since_reset {
        "Status (since reset)"
    } else {
        "Status (since start)"
    };
    render_breakdown(frame, cols[0], since, statuses, total, theme);
    let methods = route
        .methods
        .iter()
        .map(|(m, n)| (Span::raw(escape(m).into_owned()), *n))
        .collect();
    render_breakdown(frame, cols[1], "Methods", methods, total, theme);
    if many_sources {
        let sources = route
            .sources
            .iter()
            .map(|&(src, n)| {
                let name = snap.inputs.iter().find(|i| i.source == src).map_or_else(
                    || format!("source {src}"),
                    |i| short_name(&i.name).to_string(),
                );
                (Span::raw(escape(&name).into_owned()), n)
            })
            .collect();
        render_breakdown(frame, cols[2], "Sources", sources, total, theme);
    }
}

/// `p50`, `p99`, `p99.9` from a quantile.
fn q_label(q: f64) -> String {
    let p = q * 100.0;
    if p.fract().abs() < 1e-9 {
        format!("p{p:.0}")
    } else {
        format!("p{}", format!("{p:.3}").trim_end_matches('0'))
    }
}

/// The counts of `row`, and its bytes when `sized` (`Snapshot::
/// bytes_known`).
fn counts_spans<'a>(row: &Row, sized: bool, theme: Theme) -> Vec<Span<'a>> {
    let mut s = vec![
        Span::styled(human::count(row.requests), theme.bold()),
        Span::styled(" reqs", theme.dim()),
    ];
    for (class, style) in [
        (2, Style::new()),
        (3, Style::new()),
        (4, theme.err4(row.err4())),
        (5, theme.err5(row.err5())),
    ] {
        // 3xx is mostly zero in API traffic: no room for a zero there.
        if class == 3 && row.classes[3] == 0 {
            continue;
        }
        s.push(Span::styled(format!("  {class}xx "), theme.dim()));
        s.push(Span::styled(human::count(row.classes[class]), style));
        if class >= 4 && row.classes[class] > 0 {
            s.push(Span::styled(
                format!(" ({})", style::percent(row.classes[class], row.requests)),
                style,
            ));
        }
    }
    // 1xx and `other` (`000`–`099`, `600`–`999`) are rare: shown only when
    // there, so that the counts always add up to the requests.
    for (class, name) in [(1, "1xx"), (0, "other")] {
        if row.classes[class] > 0 {
            s.push(Span::styled(format!("  {name} "), theme.dim()));
            s.push(Span::raw(human::count(row.classes[class])));
        }
    }
    if sized {
        s.push(Span::styled("  ", theme.dim()));
        s.push(Span::raw(human::bytes(row.bytes)));
    }
    s
}

fn latency_spans<'a>(row: &Row, quantiles: &[f64; 4], theme: Theme) -> Vec<Span<'a>> {
    if row.timed == 0 {
        return vec![Span::styled("no latency in this log format", theme.dim())];
    }
    let mut s = Vec::new();
    for (q, &us) in quantiles.iter().zip(&row.q_us) {
        s.push(Span::styled(format!("{} ", q_label(*q)), theme.dim()));
        s.push(Span::styled(human::latency(us), theme.latency(us)));
        s.push(Span::raw("  "));
    }
    s.push(Span::styled("max ", theme.dim()));
    s.push(Span::styled(
        human::latency(row.lat_max_us),
        theme.latency(row.lat_max_us),
    ));
    if let Some(mean) = row.mean_us() {
        s.push(Span::styled("  mean ", theme.dim()));
        s.push(Span::raw(human::latency(mean as u64)));
    }
    s
}

fn render_summary(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    snap: &Snapshot,
    route: &RouteSnap,
    theme: Theme,
) {
    let methods: Vec<String> = route
        .methods
        .iter()
        .map(|(m, _)| escape(m).into_owned())
        .collect();
    let block = Block::bordered()
        .title(Line::from(vec![
            Span::styled(format!(" {} ", escape(&route.route)), theme.title()),
            Span::styled(format!("{} ", methods.join(",")), theme.dim()),
        ]))
        .title_bottom(Line::styled(" ↑↓ other route  Esc back ", theme.dim()).right_aligned());
    let (row, rate) = columns::window_row(snap, route, app.window);
    let wl = app.window_label();
    let lw = wl.chars().count().max(7);
    let mut l1 = vec![
        Span::styled(format!("{wl:<lw$} "), theme.bold()),
        Span::styled(style::rate(rate), theme.bold()),
        Span::styled(" req/s  ", theme.dim()),
    ];
    let sized = snap.bytes_known();
    l1.extend(counts_spans(row, sized, theme));
    let mut l2 = vec![Span::styled(format!("{:<lw$} ", "latency"), theme.dim())];
    l2.extend(latency_spans(row, &snap.quantiles, theme));
    let mut lines = vec![Line::from(l1), Line::from(l2)];
    if app.window != WindowChoice::SinceStart {
        let t = &route.total;
        let mut l3 = vec![
            Span::styled(format!("{:<lw$} ", "total"), theme.dim()),
            Span::raw(style::rate(columns::since_start_rate(snap, t.requests))),
            Span::styled(" req/s  ", theme.dim()),
        ];
        l3.extend(counts_spans(t, sized, theme));
        lines.push(Line::from(l3));
    }
    // Apdex is since start (`engine/apdex.rs`), a score of the route as a
    // whole: in the box's title, right, where no figure line is cut for it.
    let block = match &snap.apdex {
        None => block,
        Some(a) => {
            let score = a.of(&route.route).and_then(|r| r.score());
            let value = match score {
                Some(s) => Span::styled(format!("{s:.2}"), theme.apdex(s)),
                None => Span::styled("—", theme.dim()),
            };
            block.title(
                Line::from(vec![
                    Span::styled(" apdex ", theme.dim()),
                    value,
                    Span::styled(format!(" (T {}) ", human::latency(a.t_us)), theme.dim()),
                ])
                .right_aligned(),
            )
        }
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Values of a facet the drill-down lists before `(n more)` (on a screen
/// of 30 lines or more).
const FACETS_TOP: usize = 5;

/// Lines of values a facet box shows for `n` values: `top`, then one
/// saying how many more.
fn facet_lines(n: usize, top: usize) -> usize {
    if n > top { top + 1 } else { n }
}

/// A route's backends or hosts (since start, over all of its methods and
/// statuses): requests, share of the route's requests, 5xx share, mean
/// and max latency; busiest first.
fn render_facet(
    frame: &mut Frame,
    area: Rect,
    kind: FacetKind,
    rows: &[FacetRow],
    route_total: u64,
    top: usize,
    theme: Theme,
) {
    let title = format!(" {} (since start) ", kind.title());
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Columns (reqs, share, 5xx%, mean, max) and their widths, a space
    // before each; a narrow box drops max, then share, so that names
    // (up to 24 columns) stay readable.
    const WIDTHS: [usize; 5] = [6, 6, 6, 8, 8];
    let longest = rows
        .iter()
        .map(|r| escape(&r.name).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(kind.as_str().len(), 24);
    let width = inner.width as usize;
    let mut keep = [true; 5];
    for drop in [4, 1] {
        let used: usize = (0..5).filter(|&i| keep[i]).map(|i| WIDTHS[i] + 1).sum();
        if longest + used > width {
            keep[drop] = false;
        }
    }
    let used: usize = (0..5).filter(|&i| keep[i]).map(|i| WIDTHS[i] + 1).sum();
    let name_w = width.saturating_sub(used).max(4);
    let cell = |name: Span<'static>, cols: [Span<'static>; 5]| {
        let pad = name_w.saturating_sub(name.width());
        let mut spans = vec![name, Span::raw(" ".repeat(pad))];
        for ((c, w), _) in cols.into_iter().zip(WIDTHS).zip(keep).filter(|(_, k)| *k) {
            let text = format!(" {:>w$}", c.content);
            spans.push(Span::styled(text, c.style));
        }
        Line::from(spans)
    };
    let mut lines = vec![cell(
        Span::styled(kind.as_str(), theme.dim()),
        ["reqs", "share", "5xx%", "mean", "max"].map(|h| Span::styled(h, theme.dim())),
    )];
    let shown = if rows.len() > top { top } else { rows.len() };
    for r in &rows[..shown] {
        let c = &r.counts;
        let err = if c.requests == 0 {
            0.0
        } else {
            c.errors_5xx as f64 / c.requests as f64
        };
        let mean = c.mean_us().unwrap_or(0.0).round() as u64;
        lines.push(cell(
            Span::raw(style::ellipsize(&escape(&r.name), name_w).into_owned()),
            [
                Span::raw(human::count(c.requests)),
                Span::raw(style::percent(c.requests, route_total)),
                Span::styled(style::percent(c.errors_5xx, c.requests), theme.err5(err)),
                Span::styled(style::latency(c.timed, mean), theme.latency(mean)),
                Span::styled(
                    style::latency(c.timed, c.lat_max_us),
                    theme.latency(c.lat_max_us),
                ),
            ],
        ));
    }
    if shown < rows.len() {
        let rest = &rows[shown..];
        let reqs: u64 = rest.iter().map(|r| r.counts.requests).sum();
        lines.push(Line::styled(
            format!("({} more, {} reqs)", rest.len(), human::count(reqs)),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A titled list of (label, count) with shares and small bars.
fn render_breakdown(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    items: Vec<(Span<'static>, u64)>,
    total: u64,
    theme: Theme,
) {
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_w = items
        .iter()
        .map(|(l, _)| l.width())
        .max()
        .unwrap_or(0)
        .min(24);
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let bar_w = (inner.width as usize).saturating_sub(label_w + 14);
    // More than fit: the last lines name the rest, so that every method
    // (the table's `GET+6`) can be read here.
    let (rows, width) = (inner.height as usize, (inner.width as usize).max(1));
    let more = |rest: &[(Span<'static>, u64)]| -> Vec<String> {
        let names: Vec<&str> = rest.iter().map(|(l, _)| l.content.as_ref()).collect();
        let text: Vec<char> = format!("+{} more: {}", rest.len(), names.join(", "))
            .chars()
            .collect();
        text.chunks(width).map(|c| c.iter().collect()).collect()
    };
    let mut keep = items.len();
    let mut tail = Vec::new();
    if items.len() > rows {
        keep = rows.saturating_sub(1);
        loop {
            tail = more(&items[keep..]);
            if keep == 0 || keep + tail.len() <= rows {
                break;
            }
            keep -= 1;
        }
    }
    let mut lines: Vec<Line> = items[..keep]
        .iter()
        .map(|(label, n)| {
            let n = *n;
            let pad = label_w.saturating_sub(label.width());
            let label = Span::styled(
                style::ellipsize(&label.content, label_w).into_owned(),
                label.style,
            );
            let len = (n as u128 * bar_w as u128).div_ceil(max as u128) as usize;
            Line::from(vec![
                label,
                Span::raw(" ".repeat(pad)),
                Span::raw(format!(" {:>5}", human::count(n))),
                Span::styled(format!(" {:>5} ", style::percent(n, total)), theme.dim()),
                Span::styled("▪".repeat(len.min(bar_w)), theme.dim()),
            ])
        })
        .collect();
    lines.extend(tail.into_iter().map(|t| Line::styled(t, theme.dim())));
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::q_label;

    #[test]
    fn quantile_labels() {
        assert_eq!(q_label(0.5), "p50");
        assert_eq!(q_label(0.99), "p99");
        assert_eq!(q_label(0.999), "p99.9");
    }
}
