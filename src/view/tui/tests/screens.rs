//! Every screen rendered from fixed snapshots, compared with insta
//! snapshots (`src/view/tui/tests/snapshots/`). Review changes with
//! `cargo insta review`, or `INSTA_UPDATE=always cargo test --lib tui`
//! and read the diff.

use std::sync::Arc;
use std::time::Duration;

use insta::assert_snapshot;

use super::*;
use crate::engine::InputState;
use crate::engine::snapshot::{Clock, Sample};
use crate::format::ErrorKind;
use crate::view::tui::app::{Action, Screen, StatusFilter};
use crate::view::tui::columns::Column;
use crate::view::tui::columns::WindowChoice;

#[test]
fn table_80x24() {
    assert_snapshot!(draw(&fixture_app(), 80, 24));
}

#[test]
fn table_120x32() {
    assert_snapshot!(draw(&fixture_app(), 120, 32));
}

#[test]
fn table_large_220x50() {
    assert_snapshot!(draw(&fixture_app(), 220, 50));
}

#[test]
fn empty_80x24() {
    assert_snapshot!(draw(&app_with(testkit::empty()), 80, 24));
}

#[test]
fn empty_drill_and_errors() {
    let mut app = app_with(testkit::empty());
    press(&mut app, "\n");
    assert_eq!(app.screen, Screen::Table, "no row, nothing to open");
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn drill_120x40() {
    let mut app = fixture_app();
    press(&mut app, "\n");
    assert_snapshot!(draw(&app, 120, 40));
}

#[test]
fn drill_80x24() {
    let mut app = fixture_app();
    press(&mut app, "j\n");
    assert_snapshot!(draw(&app, 80, 24));
}

/// Statuses outside 100–599 are shown as logged (`000`, not `0`) and
/// counted as `other` in the drill-down, so the classes add up.
#[test]
fn drill_shows_other_status_class_and_three_digit_codes() {
    let mut r = plain_route("/odd", 10, 5_000);
    r.total.classes = [3, 0, 7, 0, 0, 0];
    r.statuses = Arc::from(vec![(200, 7), (0, 2), (999, 1)]);
    let mut app = app_with((*with_routes(43, vec![r])).clone());
    press(&mut app, "\n");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("10 reqs  2xx 7  4xx 0  5xx 0  other 3"),
        "{screen}"
    );
    for code in ["200", "000", "999"] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&format!("│{code} ")) || l.contains(&format!(" {code} "))),
            "{code} missing:\n{screen}"
        );
    }
}

#[test]
fn drill_route_gone() {
    let mut app = fixture_app();
    press(&mut app, "\n");
    app.on_snapshot(with_routes(43, vec![]));
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn errors_100x30() {
    let mut app = fixture_app();
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 100, 30));
}

/// Requests counted without a timer or timestamp they had are said per
/// input, under the table (they are not bad lines).
#[test]
fn errors_view_notes_odd_values() {
    let mut snap = testkit::snapshot();
    // 2 bad_timer, 1 bad_time.
    snap.inputs[0].odd = [2, 1];
    let mut app = app_with(snap);
    press(&mut app, "e");
    let screen = draw(&app, 100, 30);
    let notes: Vec<&str> = screen.lines().filter(|l| l.contains("bad_time")).collect();
    assert_eq!(
        notes,
        [
            "\"│access.log: 2 bad_timer, 1 bad_time: requests counted, that timer or timestamp ignored            │\""
        ]
    );
}

/// A messy file read as several formats: the requests each variant took
/// are said per input.
#[test]
fn errors_view_notes_variants() {
    let mut snap = testkit::snapshot();
    snap.inputs[0].format = Some("combined + common".into());
    snap.inputs[0].variants = vec![("combined".into(), 11_000), ("common".into(), 1_000)];
    let mut app = app_with(snap);
    press(&mut app, "e");
    let screen = draw(&app, 100, 30);
    let notes: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("requests by format"))
        .collect();
    assert_eq!(
        notes,
        [
            "\"│access.log: requests by format: combined 11k, common 1.0k                                         │\""
        ]
    );
}

#[test]
fn errors_wrong_format_80x24() {
    let mut snap = testkit::snapshot();
    let inp = &mut snap.inputs[0];
    inp.errors = [0, 0, 11_000, 0, 0];
    inp.samples = (1..=4)
        .map(|n| Sample {
            line_no: n,
            kind: ErrorKind::NoMatch,
            text: format!(
                "{{\"status\":200,\"uri\":\"/x/{n}\",\"t\":\"\u{7}\u{1b}]0;pwned\u{7}\"}} {}",
                "pad ".repeat(20)
            ),
            len: 400,
            why: "expected $remote_addr at byte 0".into(),
        })
        .collect();
    let mut app = app_with(snap);
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn help_80x24() {
    let mut app = fixture_app();
    press(&mut app, "?");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn paused_with_newer_snapshots() {
    let mut app = fixture_app();
    press(&mut app, "p");
    app.on_snapshot(with_routes(45, vec![plain_route("/new", 5, 1_000)]));
    assert_snapshot!(draw(&app, 100, 24));
}

#[test]
fn filtered_by_text() {
    let mut app = fixture_app();
    press(&mut app, "/users\n");
    assert_snapshot!(draw(&app, 100, 24));
}

#[test]
fn filter_being_typed_invalid_regex() {
    let mut app = fixture_app();
    press(&mut app, "/api/(");
    assert_snapshot!(draw(&app, 100, 24));
}

#[test]
fn filter_matches_nothing() {
    let mut app = fixture_app();
    press(&mut app, "/nothing-here\n");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn sorted_by_p99_ascending_since_start_5xx_only() {
    let mut app = fixture_app();
    app.apply(Action::SortBy(Column::P99));
    press(&mut app, "iwwcc");
    assert_eq!(app.window, WindowChoice::SinceStart);
    assert_eq!(app.status, StatusFilter::Only(5));
    assert_snapshot!(draw(&app, 120, 24));
}

#[test]
fn batch_snapshot_without_windows() {
    let mut snap = testkit::snapshot();
    snap.windows.clear();
    snap.uptime = Duration::ZERO;
    snap.clock = Clock::Log;
    for r in snap.routes.iter_mut().chain([&mut snap.total]) {
        r.windows.clear();
        r.series = Default::default();
    }
    for i in &mut snap.inputs {
        i.state = InputState::Done;
    }
    assert_snapshot!(draw(&app_with(snap), 100, 24));
}

#[test]
fn reset_question() {
    let mut app = fixture_app();
    press(&mut app, "r");
    assert_snapshot!(draw(&app, 80, 24));
}

/// Route names come from whoever sends requests: escape sequences must
/// show as text, huge numbers must not break the layout.
#[test]
fn hostile_routes_and_huge_numbers() {
    let mut snap = testkit::snapshot();
    let mut evil = plain_route(
        "/x\u{1b}[2J\u{1b}]0;owned\u{7}\r\n/\u{202e}gnp.exe",
        u64::MAX,
        u64::MAX,
    );
    evil.total.bytes = u64::MAX;
    evil.total.lat_max_us = u64::MAX;
    evil.total.timed = u64::MAX;
    evil.methods = Arc::from(vec![(Arc::from("G\u{1b}[31mET"), u64::MAX)]);
    Arc::make_mut(&mut evil.series).requests = vec![u64::MAX, 0, u64::MAX / 3];
    for w in &mut evil.windows {
        w.row = evil.total.clone();
        w.rate = f64::INFINITY;
    }
    snap.routes.push(evil);
    snap.inputs[0].name = "/var/log/\u{1b}[5mblink.log".into();
    let mut app = app_with(snap);
    let screen = draw(&app, 120, 24);
    assert!(!screen.contains('\u{1b}'), "raw ESC reached the screen");
    assert!(screen.contains(r"/x\x1b[2J\x1b]0;ow"), "{screen}");
    // Numbers too big for their cell are marked, not cut to a wrong value.
    assert!(screen.contains("18E"), "{screen}");
    assert!(screen.contains("#######"), "{screen}");
    assert_snapshot!(screen);
    press(&mut app, "G\n");
    let drill = draw(&app, 120, 40);
    assert!(!drill.contains('\u{1b}'));
    assert!(drill.contains("18EB"), "{drill}");
    assert_snapshot!("hostile_drill", drill);
    press(&mut app, "\x1be");
    assert!(!draw(&app, 80, 24).contains('\u{1b}'));
}

/// Tiny terminals: nothing to read, but nothing may panic either.
#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = fixture_app();
    for keys in ["", "\n", "\x1be", "\x1b?"] {
        press(&mut app, keys);
        for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (80, 6)] {
            draw(&app, w, h);
        }
    }
}

/// Colour carries meaning: checked on the buffer's styles, which the text
/// snapshots do not show.
#[test]
fn colours_mean_something_and_no_color_removes_them() {
    use ratatui::style::Color;
    let cell_fg = |color: bool, text: &str| -> Vec<Option<Color>> {
        let app = App::new(Arc::new(testkit::snapshot()), color);
        let mut t = Terminal::new(TestBackend::new(120, 24)).expect("backend");
        t.draw(|f| render(f, &app)).expect("draw");
        let buf = t.backend().buffer().clone();
        let mut found = Vec::new();
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            if let Some(pos) = line.find(text) {
                let x = line[..pos].chars().count() as u16;
                let fg = buf[(x, y)].fg;
                found.push(if fg == Color::Reset { None } else { Some(fg) });
            }
        }
        found
    };
    // /login p99 in the 1m window is 310ms: slow (yellow).
    assert!(cell_fg(true, "310ms").contains(&Some(Color::Yellow)));
    // /api/users/:id 5xx share 1.7% in 1m: red.
    assert!(cell_fg(true, "1.7%").contains(&Some(Color::Red)));
    assert!(cell_fg(false, "310ms").iter().all(|c| c.is_none()));
    assert!(cell_fg(false, "1.7%").iter().all(|c| c.is_none()));
}

/// Issue 17, finding 6: a replay showed `lag 1000d11h`. The header says
/// "replay" and how far into the log it is: the newest log time read and
/// the log time covered.
#[test]
fn replay_header_says_how_far_not_lag() {
    let mut snap = testkit::snapshot();
    snap.replay = true;
    snap.ingest_lag = None;
    let screen = draw(&app_with(snap), 120, 24);
    assert!(
        screen.contains("replay at 2024-03-10 00:00:00 (1h02m of log)"),
        "{screen}"
    );
    assert!(!screen.contains("lag"), "{screen}");
    assert_snapshot!(screen);
    // Live traffic 3 s behind: lag, no replay.
    let mut snap = testkit::snapshot();
    snap.ingest_lag = Some(Duration::from_secs(3));
    let screen = draw(&app_with(snap), 120, 24);
    assert!(
        screen.contains("lag 3s") && !screen.contains("replay"),
        "{screen}"
    );
}

/// Issue 17, finding 2: while a window fills, its rates are over the time
/// so far, for every route; the header says how much that is.
#[test]
fn a_filling_window_says_so_far() {
    let mut snap = testkit::snapshot();
    for r in snap.routes.iter_mut().chain([&mut snap.total]) {
        r.windows[0].covered = Duration::from_secs(35);
        r.windows[0].filling = true;
    }
    let screen = draw(&app_with(snap.clone()), 120, 24);
    assert!(screen.contains("window 1m (35s so far)"), "{screen}");
    // A full window holding 50–60 s is not "so far".
    for r in snap.routes.iter_mut().chain([&mut snap.total]) {
        r.windows[0].covered = Duration::from_secs(55);
        r.windows[0].filling = false;
    }
    let screen = draw(&app_with(snap), 120, 24);
    assert!(
        screen.contains("window 1m ") && !screen.contains("so far"),
        "{screen}"
    );
}

/// Issue 17, finding 1: with log time, the since-start rates of the header,
/// the table and the drill-down's "total" are over the log's span, as
/// `--once` computes them (`/api/users/:id`: 12 000 requests over 3 726 s,
/// 3.22/s), not over
/// the time routetop has run (3 725 s of uptime would give 3.22 too, so the
/// fixture runs for 10 s).
#[test]
fn since_start_rate_under_log_time_is_the_reports_rate() {
    let mut snap = testkit::snapshot();
    snap.clock = Clock::Log;
    snap.uptime = Duration::from_secs(10);
    let mut app = app_with(snap);
    press(&mut app, "\n");
    let drill = draw(&app, 120, 40);
    assert!(drill.contains("total   3.22 req/s"), "{drill}");
    press(&mut app, "\x1bww");
    assert_eq!(app.window, WindowChoice::SinceStart);
    let screen = draw(&app, 120, 24);
    // The total: 15 900 requests over 3 726 s.
    assert!(screen.contains(" 4.27 req/s"), "{screen}");
    assert!(
        screen.contains("/api/users/:id      GET,PUT     3.22"),
        "{screen}"
    );
    assert_snapshot!(screen);
}

/// Five inputs, some that cannot be read.
fn five_inputs() -> App {
    let mut snap = testkit::snapshot();
    let first = snap.inputs[0].clone();
    let states = [
        ("/var/log/nginx/a.log", InputState::Following),
        ("/var/log/nginx/b.log", InputState::Following),
        ("/var/log/nginx/missing.log", InputState::Waiting),
        (
            "/var/log/nginx",
            InputState::Error("not a regular file".into()),
        ),
        (
            "/var/log/nginx/secret.log",
            InputState::Error("Permission denied (os error 13)".into()),
        ),
    ];
    snap.inputs = states
        .into_iter()
        .enumerate()
        .map(|(i, (name, state))| crate::engine::snapshot::InputSnap {
            source: i as u16,
            name: name.into(),
            state,
            samples: Vec::new(),
            ..first.clone()
        })
        .collect();
    app_with(snap)
}

/// Regression: with more than three inputs the header said only "5 inputs:
/// 2 following 1 waiting 2 error", not which. It names each input that is
/// not following; the parse-errors view (`e`) says why.
#[test]
fn several_inputs_name_the_ones_waiting_or_unreadable() {
    let app = five_inputs();
    let screen = draw(&app, 120, 8);
    assert!(
        screen.contains(
            "5 inputs: 2 following 1 waiting 2 error │ missing.log waiting │ nginx error │ secret.log error"
        ),
        "{screen}"
    );
    let mut app = five_inputs();
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 100, 24));
}

/// Regression: `GET+6` in the method column was never explained, and the
/// drill-down showed only the methods that fit its box. The help says what
/// `+6` means; the drill-down's last line names the methods that do not fit.
#[test]
fn method_list_is_explained_and_complete_in_drill_down() {
    let mut snap = testkit::snapshot();
    let methods: Vec<(Arc<str>, u64)> = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "MKCOL",
    ]
    .iter()
    .enumerate()
    .map(|(i, m)| (Arc::from(*m), 1000 - i as u64 * 100))
    .collect();
    let methods: Arc<[(Arc<str>, u64)]> = methods.into();
    for r in &mut snap.routes {
        r.methods = methods.clone();
    }
    let mut app = app_with(snap);
    press(&mut app, "?");
    let help = draw(&app, 80, 26);
    assert!(
        help.contains("Methods: GET+6 is GET and 6 more (busiest first; Enter lists all)"),
        "{help}"
    );
    press(&mut app, "?\n");
    assert_snapshot!(draw(&app, 80, 24));
}

/// Regression: the dashboard did not say that `/metrics` was being served,
/// or where. The footer does, beside the route count.
#[test]
fn dashboard_says_where_metrics_are_served() {
    let mut app = fixture_app();
    app.metrics_at = Some("0.0.0.0:9898".into());
    let screen = draw(&app, 100, 24);
    let footer = screen.lines().last().unwrap();
    assert!(
        footer.ends_with(" /metrics on 0.0.0.0:9898 │ 3/3 routes \""),
        "{footer}"
    );
    let screen = draw(&fixture_app(), 100, 24);
    assert!(!screen.contains("/metrics"), "{screen}");
}

/// After a reset the engine's snapshot carries the figures since it: the
/// dashboard shows those (one route, 3 requests, the inputs' lines since)
/// and says "since reset", while the snapshot's since-start parts, which
/// /metrics reads, are untouched.
#[test]
fn after_reset_the_dashboard_shows_figures_since_the_reset() {
    let mut snap = testkit::snapshot();
    let mut login = snap
        .routes
        .iter()
        .find(|r| &*r.route == "/login")
        .unwrap()
        .clone();
    login.total = crate::engine::summary::Row {
        requests: 3,
        bytes: 1_500,
        classes: [0, 0, 2, 0, 0, 1],
        timed: 3,
        lat_sum_us: 90_000,
        lat_max_us: 50_000,
        q_us: [20_000, 20_000, 50_000, 50_000],
    };
    login.statuses = Arc::from(vec![(200, 2), (503, 1)]);
    let mut total = login.clone();
    total.route = Arc::from(crate::engine::snapshot::TOTAL_ROUTE);
    let mut inputs = snap.inputs.clone();
    for i in &mut inputs {
        i.lines = 3;
        i.errors = [0; 5];
        i.samples.clear();
    }
    inputs[1].lines = 0;
    snap.reset = Some(Arc::new(crate::engine::snapshot::SinceReset {
        uptime: Duration::from_secs(10),
        span: None,
        total,
        routes: vec![login],
        inputs,
    }));
    let since_start = snap.total.total.requests;
    let mut app = app_with(snap);
    press(&mut app, "ww");
    assert_eq!(app.window, WindowChoice::SinceStart);
    assert_eq!(app.snapshot().routes.len(), 1);
    assert_eq!(app.snapshot().total.total.requests, 3);
    assert_eq!(since_start, 15_900);
    assert_snapshot!(draw(&app, 100, 12));
}

/// The fixture with three objectives: one met, one burning (compliant
/// since start, but 1h and 5m over 14.4×), one violated.
fn slo_app() -> App {
    use crate::engine::slo::{Compliance, SloSnap};
    let mut s = testkit::snapshot();
    let snap = |name: &str, target: f64, good, total, burn: [Option<f64>; 5]| SloSnap {
        name: name.into(),
        target,
        since: Compliance { good, total },
        burn,
        burn_series: vec![0.0; 30],
        routes: Vec::new(),
    };
    s.slo = vec![
        snap(
            "/api/*:99%<300ms",
            0.99,
            15_988,
            16_031,
            [Some(0.4), Some(0.2), Some(0.3), Some(0.25), None],
        ),
        snap(
            "/api/*:99.9%",
            0.999,
            16_023,
            16_031,
            [Some(31.0), Some(20.0), Some(15.2), Some(3.0), Some(0.5)],
        ),
        snap(
            "*:99%",
            0.99,
            9_810,
            10_000,
            [Some(2.0), Some(1.9), None, None, None],
        ),
    ];
    app_with(s)
}

#[test]
fn slo_80x24() {
    let mut app = slo_app();
    press(&mut app, "o");
    assert_eq!(app.screen, Screen::Slo);
    let screen = draw(&app, 80, 24);
    // The state reads without colour.
    for (state, name) in [
        ("✓ met", "/api/*:99%<300ms"),
        ("! burning", "/api/*:99.9%"),
        ("✗ VIOLATED", "*:99%"),
    ] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(state) && l.contains(name)),
            "{state} {name}\n{screen}"
        );
    }
    assert_snapshot!(screen);
    press(&mut app, "o");
    assert_eq!(app.screen, Screen::Table);
}

#[test]
fn slo_140x30() {
    let mut app = slo_app();
    press(&mut app, "o");
    assert_snapshot!(draw(&app, 140, 30));
}

#[test]
fn slo_without_objectives_says_how_to_give_them() {
    let mut app = fixture_app();
    press(&mut app, "o");
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("No objectives. Give one or more with --slo"),
        "{screen}"
    );
}

/// The route table with objectives and Apdex (`--slo`, `--apdex`): the SLO
/// column (symbol and word, readable without colour) survives 80 columns;
/// Apdex joins when there is room.
#[test]
fn table_with_objectives_80x24() {
    let app = app_with(objectives_snapshot());
    let screen = draw(&app, 80, 24);
    for (route, state) in [
        ("/api/users/:id", "✗ viol"),
        ("/login", "! burn"),
        ("/healthz", "! burn"),
    ] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(route) && l.contains(state)),
            "{route} {state}\n{screen}"
        );
    }
    assert_snapshot!(screen);
}

#[test]
fn table_with_objectives_160x30() {
    let app = app_with(objectives_snapshot());
    let screen = draw(&app, 160, 30);
    let login = screen.lines().find(|l| l.contains("/login")).unwrap_or("");
    assert!(login.contains("0.60"), "login's Apdex\n{screen}");
    assert_snapshot!(screen);
}

/// The drill-down of a route with objectives: the route's state and
/// compliance per objective, and the objective's burn rate over time.
#[test]
fn drill_with_objectives_120x40() {
    let mut app = app_with(objectives_snapshot());
    press(&mut app, "j\n");
    assert_eq!(app.screen, Screen::Drill("/login".into()));
    let screen = draw(&app, 120, 40);
    let line = screen
        .lines()
        .find(|l| l.contains("*:99%<300ms"))
        .unwrap_or("");
    assert!(
        line.contains("! burn") && line.contains("99.583%  10 bad of 2.4k  1h 15× 5m 20×"),
        "{screen}"
    );
    assert!(screen.contains(" apdex 0.60 (T 100ms) ┐"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn drill_with_objectives_80x24() {
    let mut app = app_with(objectives_snapshot());
    press(&mut app, "\n");
    assert_snapshot!(draw(&app, 80, 24));
}

/// While a backlog is counted, the table's place shows its progress.
#[test]
fn backfill_progress_80x24() {
    let mut snap = testkit::empty();
    snap.backfill = Some(crate::engine::snapshot::BackfillSnap {
        name: "/var/log/nginx/access.log".into(),
        bytes: 1_200_000_000,
        total: 20_000_000_000,
        lines: 6_100_000,
        elapsed: Duration::from_secs(4),
        earlier: 0,
    });
    assert_snapshot!(draw(&app_with(snap), 80, 24));
}

/// A route served by backends for hosts: a box of each, busiest first,
/// with the share of the route, 5xx and latency; `/healthz` has only a
/// backend box, and a route without either has none (`drill_80x24`).
fn drill_with_facets(w: u16, h: u16) -> String {
    let mut app = app_with(testkit::snapshot_with_facets());
    app.screen = Screen::Drill("/api/users/:id".into());
    draw(&app, w, h)
}

#[test]
fn drill_with_backends_and_hosts_80x24() {
    assert_snapshot!(drill_with_facets(80, 24));
}

#[test]
fn drill_with_backends_and_hosts_120x40() {
    assert_snapshot!(drill_with_facets(120, 40));
}

#[test]
fn drill_with_backends_only() {
    let mut app = app_with(testkit::snapshot_with_facets());
    app.screen = Screen::Drill("/healthz".into());
    let text = draw(&app, 100, 30);
    assert!(text.contains("Backends (since start)"), "{text}");
    assert!(!text.contains("Hosts (since start)"), "{text}");
    assert!(text.contains("10.0.1.11:8080"), "{text}");
}

/// Past five values the box says how many more and their requests.
#[test]
fn drill_lists_five_backends_then_how_many_more() {
    use crate::engine::facet::{FacetCounts, FacetRow};
    let mut snap = testkit::snapshot_with_facets();
    let facets = Arc::make_mut(&mut snap.facets);
    let rows: Vec<FacetRow> = (0..8u64)
        .map(|i| FacetRow {
            name: format!("pod-{i}").into(),
            counts: FacetCounts {
                requests: 100 - i,
                ..Default::default()
            },
        })
        .collect();
    facets.kinds[0].by_route[0].1 = rows;
    let mut app = app_with(snap);
    app.screen = Screen::Drill("/api/users/:id".into());
    let text = draw(&app, 120, 40);
    assert!(text.contains("pod-4"), "{text}");
    assert!(!text.contains("pod-5"), "{text}");
    // 95 + 94 + 93 requests in the three not listed.
    assert!(text.contains("(3 more, 282 reqs)"), "{text}");
}

/// `b`: every backend over all routes, most 5xx first; `s` sorts by
/// requests; `b` again goes back to the table.
#[test]
fn backends_screen_by_5xx_then_by_requests() {
    let mut app = app_with(testkit::snapshot_with_facets());
    press(&mut app, "b");
    assert_eq!(app.screen, Screen::Backends);
    assert_snapshot!("backends_80x24", draw(&app, 80, 24));
    press(&mut app, "s");
    let text = draw(&app, 120, 40);
    assert_snapshot!("backends_by_requests_120x40", text);
    press(&mut app, "b");
    assert_eq!(app.screen, Screen::Table);
}

/// Without a backend in the logs the screen says why there is none.
#[test]
fn backends_screen_without_backends_says_why() {
    let mut app = fixture_app();
    press(&mut app, "b");
    let text = draw(&app, 80, 24);
    assert!(text.contains("No backend in these logs"), "{text}");
}

/// A format that logs no size (`'$remote_addr-[$time_local]-$request-
/// $status-$request_time'`, the mission's example): the table's Bytes are
/// `-` and the drill-down leaves them out, as latency is without a timer;
/// `0B` would be a figure no line gave. One input with a size field, and
/// they are back.
#[test]
fn bytes_are_unknown_when_no_input_logs_a_size() {
    let unsized_snapshot = || {
        let mut snap = testkit::snapshot();
        snap.total.total.bytes = 0;
        for i in &mut snap.inputs {
            i.has_bytes = false;
        }
        snap
    };
    let app = app_with(unsized_snapshot());
    let table = draw(&app, 220, 50);
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| {
            ["/api/users/:id", "/login", "/healthz"]
                .iter()
                .any(|r| l.contains(r))
        })
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    for row in &rows {
        // `… 140ms      -    12k ▆▇█…`: `-` where the bytes were.
        let cells: Vec<&str> = row.split_whitespace().collect();
        let max = cells
            .iter()
            .position(|c| c.ends_with("ms") || c.ends_with("µs"));
        assert!(max.is_some(), "{row}");
        assert!(cells.contains(&"-"), "{row}");
        assert!(
            !cells.iter().any(|c| c.ends_with("kB") || c.ends_with("B")),
            "{row}"
        );
    }
    let mut app = app_with(unsized_snapshot());
    press(&mut app, "\n");
    let drill = draw(&app, 120, 40);
    assert!(drill.contains("600 reqs"), "{drill}");
    assert!(
        !drill.contains("300kB") && !drill.contains("6.0MB"),
        "{drill}"
    );

    let mut snap = unsized_snapshot();
    snap.inputs[1].has_bytes = true;
    let table = draw(&app_with(snap), 220, 50);
    assert!(table.contains("300kB"), "{table}");
}
