//! Headless summaries: one compact block per interval on stdout, for
//! `routetop access.log | tee`, cron and systemd journals.
//!
//! ```text
//! 2024-03-10T00:01:00Z  120/s  5xx 0.4%  4xx 2.1%  p50 4.00ms  p99 48.0ms  lines 7.2k  unparsed 0
//!      80/s  5xx 0.1%  p99 48.0ms  /api/users/:id
//!      20/s  5xx 0%    p99  300ms  /login
//! ```
//!
//! Rates and error shares are over the interval just ended (from the
//! per-step series: log time with `--window-by log`); percentiles are over
//! the shortest window, since a distribution cannot be cut to an arbitrary
//! interval after the fact. A replay ends the first line with the log time
//! it has reached (`replay at 2024-03-10T00:07:58Z`).
//!
//! [`run`] is the view's loop, as `tui::run` is the dashboard's: it reads
//! published snapshots and nothing else.

use std::fmt::Write as _;
use std::future::Future;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use super::human;
use crate::engine::InputState;
use crate::engine::facet::{FacetKind, FacetRow};
use crate::engine::slo::{BURN_WINDOWS, SloSnap, SloState};
use crate::engine::snapshot::{RouteSnap, Snapshot};
use crate::engine::summary::{ratio, span_seconds};
// Names are display names already; this only guards against one that is
// not (idempotent on a display name: it escapes no `\` or quote).
use crate::route::display_name;

/// Headless summary settings.
#[derive(Clone, Debug)]
pub struct HeadlessOptions {
    pub interval: Duration,
    /// Routes listed under the totals line.
    pub top: usize,
}

/// Prints a summary every interval until `stop` resolves (a signal), or
/// until every input has ended. A backlog counted (`--from-start`, a
/// catch-up) is summarised as soon as it is, since start
/// ([`backlog_summary`]), and the intervals start again from there: after
/// its progress lines, the figures of yesterday's log do not wait up to an
/// interval for the next tick.
pub async fn run(
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    opts: &HeadlessOptions,
    out: &mut dyn Write,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut tick =
        tokio::time::interval_at(tokio::time::Instant::now() + opts.interval, opts.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    let mut backfilled = snapshots.borrow().backfilled;
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tick.tick() => {
                let snap = snapshots.borrow().clone();
                // The time of the print: an idle engine publishes no new
                // snapshot, and its time would stand still.
                if let Some(text) = interval_text(&snap, opts, SystemTime::now()) {
                    write!(out, "{text}")?;
                    out.flush()?;
                }
            }
            changed = snapshots.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let snap = snapshots.borrow().clone();
                let ended = !snap.inputs.is_empty() && snap.inputs.iter().all(|i| i.state.ended());
                if ended {
                    return Ok(());
                }
                if snap.backfill.is_none() && snap.backfilled > backfilled {
                    backfilled = snap.backfilled;
                    write!(out, "{}", backlog_summary(&snap, SystemTime::now()))?;
                    out.flush()?;
                    tick.reset();
                }
            }
        }
    }
}

/// What the inputs are doing, for stderr: said for each input when it is
/// first seen not following (waiting for its file, unreadable), and again
/// whenever its state changes, so that a headless run never sits silent on
/// inputs it cannot read.
#[derive(Default)]
pub struct InputNews {
    /// The last state said (or seen) per source.
    seen: Vec<Option<InputState>>,
}

impl InputNews {
    /// One line per input whose state is news in `snap`.
    pub fn lines(&mut self, snap: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        for i in &snap.inputs {
            let at = i.source as usize;
            if self.seen.len() <= at {
                self.seen.resize(at + 1, None);
            }
            let was = self.seen[at].replace(i.state.clone());
            let news = match &was {
                // At start, following is what is expected: nothing to say.
                None => i.state != InputState::Following,
                Some(w) => *w != i.state,
            };
            if news {
                out.push(format!(
                    "input {}: {}",
                    i.name.escape_debug(),
                    state_text(&i.state)
                ));
            }
        }
        out
    }
}

/// An input's state, with why, in words.
pub fn state_text(st: &InputState) -> String {
    match st {
        InputState::Following => "following".into(),
        InputState::Waiting => "waiting: no such file (yet); it is read once it appears".into(),
        InputState::Rotated => "rotated; following the new file".into(),
        InputState::Done => "done (closed)".into(),
        InputState::Error(e) | InputState::Closed(e) => format!("cannot read it: {e}"),
    }
}

/// Says [`InputNews`] through `say` until the snapshots end. `news` is
/// shared so that whoever stops this task can say what the last snapshot
/// holds that it had not said yet: a run that ends because its inputs
/// did may stop it before it saw why (`run/follow.rs`).
pub async fn report_inputs(
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    news: Arc<Mutex<InputNews>>,
    mut say: impl FnMut(String),
) {
    loop {
        let snap = snapshots.borrow_and_update().clone();
        // Not held across an await: aborting this task never leaves it
        // locked.
        let lines = news.lock().unwrap_or_else(|p| p.into_inner()).lines(&snap);
        for l in lines {
            say(l);
        }
        if snapshots.changed().await.is_err() {
            return;
        }
    }
}

/// Requests, 5xx and 4xx over the last `steps` steps of a series.
fn recent(r: &RouteSnap, steps: usize) -> (u64, u64, u64) {
    let s = &r.series;
    let tail = |v: &Vec<u64>| v.iter().rev().take(steps).sum::<u64>();
    (tail(&s.requests), tail(&s.errors_5xx), tail(&s.errors_4xx))
}

/// A latency, or `-` when no request carried a timer.
fn lat(timed: u64, us: u64) -> String {
    if timed > 0 {
        human::latency(us)
    } else {
        "-".into()
    }
}

/// What is printed at the end of an interval, stamped `at`: the summary,
/// or while a backlog is counted one line of its progress (the figures
/// leave it out until it is done); nothing before the engine's first
/// snapshot.
pub fn interval_text(snap: &Snapshot, opts: &HeadlessOptions, at: SystemTime) -> Option<String> {
    if let Some(b) = &snap.backfill {
        return Some(format!("{}  {}\n", stamp(at), human::backfill(b)));
    }
    // seq 0 is the placeholder before the engine's first step.
    (snap.seq > 0).then(|| summary(snap, opts, at))
}

/// The time a line is printed at, as it starts.
fn stamp(at: SystemTime) -> String {
    at.duration_since(UNIX_EPOCH)
        .map_or_else(|_| "-".into(), |d| human::rfc3339(d.as_secs() as i64))
}

/// The block printed for one interval, stamped `at` (when it is printed).
pub fn summary(snap: &Snapshot, opts: &HeadlessOptions, at: SystemTime) -> String {
    let step = snap.total.series.step.max(Duration::from_millis(1));
    let steps = (opts.interval.as_nanos() / step.as_nanos()).max(1) as usize;
    let secs = step.as_secs_f64() * steps as f64;
    let (req, e5, e4) = recent(&snap.total, steps);
    let window = snap.total.windows.first();
    let lat_of = |r: &RouteSnap, i: usize| {
        r.windows
            .first()
            .map_or_else(|| "-".into(), |w| lat(w.row.timed, w.row.q_us[i]))
    };
    let when = stamp(at);
    let (lines, unparsed) = (snap.lines(), snap.parse_errors());
    let mut out = format!(
        "{when}  {}/s  5xx {}  4xx {}  p50 {}  p99 {}  lines {}  unparsed {}",
        human::rate(req as f64 / secs),
        human::percent(ratio(e5, req)),
        human::percent(ratio(e4, req)),
        lat_of(&snap.total, 0),
        lat_of(&snap.total, 2),
        human::count(lines),
        human::count(unparsed),
    );
    if window.is_none() && req == 0 {
        out.push_str("  (no traffic yet)");
    }
    if snap.overflow.requests > 0 {
        let _ = write!(out, "  overflow {}", human::count(snap.overflow.requests));
    }
    // A replay's rates are of log time, not of the clock the line starts
    // with: say so, and how far into the log it is.
    if snap.replay
        && let Some((_, last)) = snap.span
    {
        let _ = write!(out, "  replay at {}", human::rfc3339(last));
    }
    out.push('\n');
    let mut routes: Vec<(&RouteSnap, (u64, u64, u64))> = snap
        .routes
        .iter()
        .map(|r| (r, recent(r, steps)))
        .filter(|(_, (n, _, _))| *n > 0)
        .collect();
    routes.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.route.cmp(&b.0.route)));
    for (r, (n, e5, _)) in routes.into_iter().take(opts.top) {
        let _ = writeln!(
            out,
            "  {:>7}/s  5xx {:<5} p99 {:>7}  {}",
            human::rate(n as f64 / secs),
            human::percent(ratio(e5, n)),
            lat_of(r, 2),
            display_name(r.route.as_bytes())
        );
    }
    for o in &snap.slo {
        let _ = writeln!(out, "  {}", slo_line(o));
    }
    out
}

/// An objective in one line: state, compliance since start against its
/// target, the budget left and the burn rates (`-`: no request).
fn slo_line(o: &SloSnap) -> String {
    let state = match o.state() {
        SloState::Met => "met",
        SloState::Burning => "BURNING",
        SloState::Violated => "VIOLATED",
    };
    let pct = |r: f64| format!("{:.3}%", r * 100.0);
    let burn: Vec<String> = BURN_WINDOWS
        .iter()
        .zip(o.burn)
        .map(|((_, w), b)| format!("{w} {}", b.map_or("-".into(), |b| format!("{b:.1}x"))))
        .collect();
    format!(
        "SLO {} {state}  {} (target {})  budget left {}  burn {}",
        o.name,
        o.since.ratio().map_or("-".into(), pct),
        pct(o.target),
        o.since
            .budget_left(o.target)
            .map_or("-".into(), |b| format!("{:.1}%", b * 100.0)),
        burn.join(" ")
    )
}

/// The block printed when a backlog has been counted, stamped `at`: the
/// one a run ends with, everything since start. Not an interval's block:
/// the backlog's lines join the windows and series at the engine's next
/// step, so its rates and percentiles would all still read 0 and `-`.
pub fn backlog_summary(snap: &Snapshot, at: SystemTime) -> String {
    format!("{}  {}", stamp(at), final_summary(snap))
}

/// The block printed when a headless run ends: everything since start.
pub fn final_summary(snap: &Snapshot) -> String {
    let t = &snap.total.total;
    let (lines, unparsed) = (snap.lines(), snap.parse_errors());
    let secs = span_seconds(snap.span).map(|s| s as f64);
    let mut out = format!(
        "since start: {} requests{}  5xx {}  4xx {}  p50 {}  p99 {}  max {}  lines {}  unparsed {}\n",
        t.requests,
        secs.map_or(String::new(), |s| format!(
            " ({}/s of log time)",
            human::rate(t.requests as f64 / s)
        )),
        human::percent(t.err5()),
        human::percent(t.err4()),
        lat(t.timed, t.q_us[0]),
        lat(t.timed, t.q_us[2]),
        lat(t.timed, t.lat_max_us),
        lines,
        unparsed,
    );
    // Apdex (`--apdex`) is since start: here only, per route before its name.
    let apdex = |route: Option<&str>| match &snap.apdex {
        None => String::new(),
        Some(a) => {
            let x = match route {
                Some(r) => a.of(r).copied().unwrap_or_default(),
                None => a.total,
            };
            format!(
                "apdex {:>4}  ",
                x.score().map_or("-".into(), |s| format!("{s:.2}"))
            )
        }
    };
    if snap.apdex.is_some() {
        out.insert_str(out.len() - 1, &format!("  {}", apdex(None).trim_end()));
    }
    let mut routes: Vec<&RouteSnap> = snap.routes.iter().collect();
    routes.sort_by(|a, b| {
        b.total
            .requests
            .cmp(&a.total.requests)
            .then_with(|| a.route.cmp(&b.route))
    });
    for r in routes.into_iter().take(10) {
        let _ = writeln!(
            out,
            "  {:>9}  5xx {:<5} p99 {:>7}  {}{}",
            r.total.requests,
            human::percent(r.total.err5()),
            lat(r.total.timed, r.total.q_us[2]),
            apdex(Some(&r.route)),
            display_name(r.route.as_bytes())
        );
    }
    // Which upstream is failing: the backends with 5xx, most 5xx first.
    let mut failing: Vec<&FacetRow> = snap
        .facets
        .kind(FacetKind::Backend)
        .totals
        .iter()
        .filter(|b| b.counts.errors_5xx > 0)
        .collect();
    failing.sort_by(|a, b| {
        b.counts
            .errors_5xx
            .cmp(&a.counts.errors_5xx)
            .then_with(|| a.name.cmp(&b.name))
    });
    if !failing.is_empty() {
        out.push_str("backends by 5xx:\n");
    }
    for b in failing.into_iter().take(5) {
        let c = &b.counts;
        let mean = c.mean_us().unwrap_or(0.0).round() as u64;
        let _ = writeln!(
            out,
            "  {:>9}  5xx {:<5} mean {:>7}  {}",
            c.requests,
            human::percent(ratio(c.errors_5xx, c.requests)),
            lat(c.timed, mean),
            display_name(b.name.as_bytes())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::snapshot::InputSnap;
    use crate::testkit;

    #[test]
    fn a_backlog_being_counted_prints_one_progress_line_per_interval() {
        let opts = HeadlessOptions {
            interval: Duration::from_secs(10),
            top: 5,
        };
        let mut snap = testkit::snapshot();
        snap.backfill = Some(crate::engine::snapshot::BackfillSnap {
            name: "access.log".into(),
            bytes: 50_000_000,
            total: 200_000_000,
            lines: 250_000,
            elapsed: Duration::from_secs(1),
            earlier: 0,
        });
        assert_eq!(
            interval_text(&snap, &opts, snap.taken_at.unwrap()).unwrap(),
            "2024-03-10T00:00:00Z  reading access.log: 50MB of 200MB (25%), 250k lines, 250k lines/s, 3s left\n"
        );
        snap.backfill = None;
        let at = snap.taken_at.unwrap();
        assert_eq!(
            interval_text(&snap, &opts, at),
            Some(summary(&snap, &opts, at))
        );
    }

    #[test]
    fn summary_of_the_fixture() {
        let opts = HeadlessOptions {
            interval: Duration::from_secs(10),
            top: 2,
        };
        let snap = testkit::snapshot();
        let text = summary(&snap, &opts, snap.taken_at.unwrap());
        // Fixture series: total requests 13 + (i*7)%5 per step; last 10 steps
        // are i = 110..=119.
        let total: u64 = (110..120u64).map(|i| 13 + (i * 7) % 5).sum();
        let users: u64 = (110..120u64).map(|i| 10 + (i * 7) % 5).sum();
        let login: u64 = (110..120u64).map(|i| 2 + (i * 7) % 5).sum();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(
            lines[0],
            format!(
                "2024-03-10T00:00:00Z  {}/s  5xx {}  4xx {}  p50 5.10ms  p99 260ms  lines 16k  unparsed 10",
                human::rate(total as f64 / 10.0),
                human::percent(3.0 / total as f64),
                human::percent(3.0 / total as f64),
            )
        );
        assert_eq!(
            lines[1],
            format!(
                "  {:>7}/s  5xx {:<5} p99 {:>7}  /api/users/:id",
                human::rate(users as f64 / 10.0),
                human::percent(2.0 / users as f64),
                "50.0ms"
            )
        );
        assert!(
            lines[2].ends_with("  /login") && lines[2].contains(&human::rate(login as f64 / 10.0)),
            "{}",
            lines[2]
        );
    }

    /// Regression: route names, already shown with `\xHH` escapes
    /// (`route::display_name`), were escaped again (`/raw/\\xFF`, `/q\\\"x`)
    /// in both summaries; they print as every other view prints them.
    #[test]
    fn route_names_print_as_every_view_shows_them() {
        let opts = HeadlessOptions {
            interval: Duration::from_secs(10),
            top: 1,
        };
        let mut snap = testkit::snapshot();
        let name: std::sync::Arc<str> = r#"/raw/\xFF\xFE/q"x"#.into();
        for r in &mut snap.routes {
            if r.route.as_ref() == "/api/users/:id" {
                r.route = name.clone();
            }
        }
        let interval = summary(&snap, &opts, snap.taken_at.unwrap());
        let last = final_summary(&snap);
        for text in [interval, last] {
            assert!(text.contains(&format!("  {name}\n")), "{text}");
        }
    }

    /// Issue 17, finding 6: a replay is said, with the log time reached.
    #[test]
    fn a_replay_block_says_how_far_it_is() {
        let opts = HeadlessOptions {
            interval: Duration::from_secs(10),
            top: 0,
        };
        let mut s = testkit::snapshot();
        s.replay = true;
        s.ingest_lag = None;
        let text = summary(&s, &opts, s.taken_at.unwrap_or(UNIX_EPOCH));
        assert!(
            text.ends_with("unparsed 10  replay at 2024-03-10T00:00:00Z\n"),
            "{text}"
        );
    }

    #[test]
    fn final_summary_is_since_start() {
        let text = final_summary(&testkit::snapshot());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "since start: 15900 requests (4.27/s of log time)  5xx 0.7%  4xx 4.3%  p50 5.00ms  p99 250ms  max 1.20s  lines 15910  unparsed 10"
        );
        assert_eq!(
            lines[1],
            "      12000  5xx 0.8%  p99  48.0ms  /api/users/:id"
        );
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn final_summary_names_the_backends_with_5xx_most_first() {
        let text = final_summary(&testkit::snapshot_with_facets());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[4..],
            [
                "backends by 5xx:",
                "       1000  5xx 37%   mean   250ms  10.0.1.13:8080",
                "       5000  5xx 0.4%  mean  11.0ms  10.0.1.12:8080",
                "       6300  5xx 0.2%  mean  9.00ms  10.0.1.11:8080",
            ],
            "{text}"
        );
        // Without backends, nothing.
        assert!(!final_summary(&testkit::snapshot()).contains("backends"));
    }

    #[test]
    fn final_summary_has_apdex_when_configured() {
        use crate::engine::apdex::{Apdex, ApdexSnap};
        let mut snap = testkit::snapshot();
        let a = |satisfied, tolerating, timed| Apdex {
            satisfied,
            tolerating,
            timed,
        };
        snap.apdex = Some(std::sync::Arc::new(ApdexSnap {
            t_us: 100_000,
            total: a(14_000, 800, 15_900),
            routes: vec![("/api/users/:id".into(), a(10_200, 1_200, 12_000))],
        }));
        let text = final_summary(&snap);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with("unparsed 10  apdex 0.91"), "{text}");
        assert_eq!(
            lines[1],
            "      12000  5xx 0.8%  p99  48.0ms  apdex 0.90  /api/users/:id"
        );
        // A route without timed requests has no score.
        assert!(lines[2].contains("apdex    -  /"), "{text}");
    }

    #[test]
    fn empty_and_hostile() {
        let opts = HeadlessOptions {
            interval: Duration::from_secs(10),
            top: 5,
        };
        let text = summary(&testkit::empty(), &opts, UNIX_EPOCH);
        assert_eq!(
            text,
            "1970-01-01T00:00:00Z  0.00/s  5xx 0%  4xx 0%  p50 -  p99 -  lines 0  unparsed 0  (no traffic yet)\n"
        );
        let mut s = testkit::snapshot();
        s.routes[1].route = "/a\n\u{1b}[2J".into();
        let text = summary(&s, &opts, UNIX_EPOCH);
        assert!(text.contains("/a\\x0A\\x1B[2J"), "{text}");
        assert_eq!(text.lines().count(), 4);
    }

    /// A backlog's since-start summary comes as soon as it is counted;
    /// another snapshot (new lines followed) waits for the interval.
    #[test]
    fn a_backlog_counted_is_summarised_at_once_not_an_interval_later() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let opts = HeadlessOptions {
            interval: Duration::from_secs(3600),
            top: 1,
        };
        let (tx, rx) = watch::channel(Arc::new(testkit::snapshot()));
        let mut out = Vec::new();
        let feed = async {
            let pause = || tokio::time::sleep(Duration::from_millis(50));
            pause().await;
            let mut followed = testkit::snapshot();
            followed.seq += 1;
            tx.send_replace(Arc::new(followed.clone()));
            pause().await;
            let mut counted = followed;
            counted.seq += 1;
            counted.backfilled = 1_000;
            tx.send_replace(Arc::new(counted.clone()));
            pause().await;
            // The same backlog in the next snapshot is not news.
            counted.seq += 1;
            tx.send_replace(Arc::new(counted));
            pause().await;
        };
        rt.block_on(run(rx, &opts, &mut out, feed)).unwrap();
        let text = String::from_utf8(out).unwrap();
        // One block, stamped when printed (now): the since-start one.
        let (_, body) = text.split_once("  ").unwrap();
        assert_eq!(body, final_summary(&testkit::snapshot()), "{text}");
        assert!(body.starts_with("since start: "), "{text}");
    }

    /// Regression: while idle the engine publishes no snapshot, and every
    /// block said the time of the last one (lines printed at 11:14:12–15
    /// all said 11:14:11Z). A block says when it is printed.
    #[test]
    fn headless_block_time_is_the_time_of_the_print_not_of_the_snapshot() {
        let opts = HeadlessOptions {
            interval: Duration::from_secs(1),
            top: 0,
        };
        let snap = testkit::snapshot();
        let later = snap.taken_at.unwrap() + Duration::from_secs(4);
        let text = summary(&snap, &opts, later);
        assert!(text.starts_with("2024-03-10T00:00:04Z  "), "{text}");
    }

    fn with_state(mut snap: Snapshot, states: &[InputState]) -> Snapshot {
        let first = snap.inputs[0].clone();
        snap.inputs = states
            .iter()
            .enumerate()
            .map(|(i, st)| InputSnap {
                source: i as u16,
                name: format!("in{i}.log"),
                state: st.clone(),
                ..first.clone()
            })
            .collect();
        snap
    }

    /// Regression: a headless run said nothing about inputs it could not
    /// read. Each not-following input is said at start, and every change
    /// after; an unchanged state is not said again.
    #[test]
    fn headless_says_which_input_is_waiting_or_unreadable_and_each_change() {
        use InputState::*;
        let mut news = InputNews::default();
        let base = testkit::snapshot();
        let s1 = with_state(
            base.clone(),
            &[
                Following,
                Waiting,
                Error("Permission denied (os error 13)".into()),
            ],
        );
        assert_eq!(
            news.lines(&s1),
            [
                "input in1.log: waiting: no such file (yet); it is read once it appears",
                "input in2.log: cannot read it: Permission denied (os error 13)",
            ]
        );
        assert_eq!(news.lines(&s1), Vec::<String>::new());
        let s2 = with_state(
            base,
            &[
                Rotated,
                Following,
                Error("Permission denied (os error 13)".into()),
                Waiting,
            ],
        );
        assert_eq!(
            news.lines(&s2),
            [
                "input in0.log: rotated; following the new file",
                "input in1.log: following",
                "input in3.log: waiting: no such file (yet); it is read once it appears",
            ]
        );
    }
}
