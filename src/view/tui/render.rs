//! The frame: which parts go where. Every part is a free function
//! `render_*(frame, area, &App, &Snapshot)` in its own file.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────┐
//! │ header.rs    mode │ traffic totals │ inputs        (3 lines) │
//! ├──────────────────────────────────────────────────────────────┤
//! │ sparkline.rs req/s      │ 5xx/s       │ p99    (table screen) │
//! ├──────────────────────────────────────────────────────────────┤
//! │ table.rs     route table, sortable, filtered       (the rest) │
//! │   or backfill.rs  a backlog's progress, while it is counted   │
//! │   or drill.rs  one route: summary, latency, status/methods    │
//! │   or errors.rs parse errors per input + sample bad lines      │
//! │   or slo.rs    objectives: compliance, budget, burn rates     │
//! ├──────────────────────────────────────────────────────────────┤
//! │ footer.rs    keys │ filter prompt │ reset question  (1 line) │
//! └──────────────────────────────────────────────────────────────┘
//!  help.rs: the key list, centred over all of it when `?` is open
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::app::{App, Screen};
use super::{backends, backfill, drill, errors, footer, header, help, slo, sparkline, table};

/// Draws the whole dashboard for the app's current state and snapshot.
pub fn render(frame: &mut Frame, app: &App) {
    let snap = app.snapshot();
    let area = frame.area();
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render_header(frame, top, app, snap);
    match app.screen {
        // A backlog being counted (`backfill.rs`): its progress in the
        // table's place, until its lines are in the figures.
        Screen::Table if let Some(b) = &snap.backfill => {
            backfill::render_backfill(frame, body, app, b)
        }
        Screen::Table => {
            // Tall terminals get taller sparklines; 24 lines keep the table.
            let spark_h = if area.height >= 40 { 6 } else { 3 };
            let [sparks, rest] =
                Layout::vertical([Constraint::Length(spark_h), Constraint::Min(0)]).areas(body);
            sparkline::render_global(frame, sparks, app, snap);
            table::render_table(frame, rest, app, snap);
        }
        Screen::Drill(_) => drill::render_drill(frame, body, app, snap),
        Screen::ParseErrors => errors::render_errors(frame, body, app, snap),
        Screen::Slo => slo::render_slo(frame, body, app, snap),
        Screen::Backends => backends::render_backends(frame, body, app, snap),
    }
    footer::render_footer(frame, bottom, app);
    if app.help {
        help::render_help(frame, area, app);
    }
}
