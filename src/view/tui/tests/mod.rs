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

/// The fixture with two objectives and an Apdex (`--slo`, `--apdex 100ms`):
/// `/api/users/:id` violates `/api/*:99.9%` since start; `/login` and
/// `/healthz` are within `*:99%<300ms`, which burns (1h and 5m over
/// 14.4×). Apdex: users 0.90, login 0.60, healthz 1.00.
pub(super) fn objectives_snapshot() -> Snapshot {
    use crate::engine::apdex::{Apdex, ApdexSnap};
    use crate::engine::slo::{Compliance, SloSnap};
    let mut s = testkit::snapshot();
    let c = |good, total| Compliance { good, total };
    s.slo = vec![
        SloSnap {
            name: "/api/*:99.9%".into(),
            target: 0.999,
            since: c(11_980, 12_000),
            routes: vec![("/api/users/:id".into(), c(11_980, 12_000))],
            burn: [Some(0.5), Some(0.6), Some(0.8), Some(1.0), Some(1.0)],
            burn_series: vec![0.5; 30],
        },
        SloSnap {
            name: "*:99%<300ms".into(),
            target: 0.99,
            since: c(3_590, 3_600),
            routes: vec![
                ("/healthz".into(), c(1_200, 1_200)),
                ("/login".into(), c(2_390, 2_400)),
            ],
            burn: [Some(20.0), Some(16.0), Some(15.0), Some(3.0), Some(0.9)],
            burn_series: (0..30).map(|i| f64::from(i) * 0.7).collect(),
        },
    ];
    let a = |satisfied, tolerating, timed| Apdex {
        satisfied,
        tolerating,
        timed,
    };
    s.apdex = Some(Arc::new(ApdexSnap {
        t_us: 100_000,
        total: a(13_160, 1_200, 15_600),
        routes: vec![
            ("/api/users/:id".into(), a(10_200, 1_200, 12_000)),
            ("/healthz".into(), a(1_200, 0, 1_200)),
            ("/login".into(), a(1_200, 480, 2_400)),
        ],
    }));
    s
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
