//! Tests of the dashboard: actions on [`App`] (as a user would drive it),
//! screens rendered to a `TestBackend` and compared with insta snapshots,
//! and the event loop with a scripted terminal.

mod actions;
mod event_loop;
mod screens;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::keys::action_for;
use super::render::render;
use crate::engine::snapshot::{RouteSnap, Snapshot};
use crate::testkit;

pub(super) fn app_with(snap: Snapshot) -> App {
    App::new(Arc::new(snap), false)
}

pub(super) fn fixture_app() -> App {
    app_with(testkit::snapshot())
}

/// Renders the app at `w`×`h` and returns the screen as text.
pub(super) fn draw(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    t.draw(|f| render(f, app)).expect("draw");
    t.backend().to_string()
}

pub(super) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses keys the way the loop does: key → action → apply.
pub(super) fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        if let Some(a) = action_for(key(code), app) {
            app.apply(a);
        }
    }
}

pub(super) fn route_names(app: &App) -> Vec<String> {
    app.rows()
        .iter()
        .map(|&i| app.snapshot().routes[i].route.to_string())
        .collect()
}

/// A route with `n` requests in every window and since start, latency
/// `p99_us` at every quantile: enough to tell orders apart.
pub(super) fn plain_route(name: &str, n: u64, p99_us: u64) -> RouteSnap {
    let mut r = testkit::snapshot().routes[2].clone();
    r.route = Arc::from(name);
    r.total.requests = n;
    r.total.classes = [0, 0, n, 0, 0, 0];
    r.total.q_us = [p99_us; 4];
    for w in &mut r.windows {
        w.row = r.total.clone();
        w.rate = n as f64 / w.length.as_secs_f64();
    }
    r
}

/// The fixture with these routes instead of its own, and a new sequence
/// number (as the engine would publish).
pub(super) fn with_routes(seq: u64, routes: Vec<RouteSnap>) -> Arc<Snapshot> {
    let mut s = testkit::snapshot();
    s.seq = seq;
    s.routes = routes;
    s.uptime = Duration::from_secs(3_725);
    Arc::new(s)
}

#[test]
fn every_documented_key_does_something() {
    let app = fixture_app();
    for (label, what) in super::keys::HELP {
        for k in super::keys::parse_label(label) {
            assert!(
                action_for(k, &app).is_some(),
                "help says {label:?} does {what:?}, but it maps to nothing"
            );
        }
    }
}
