//! Dashboard frame cost with 2 000 routes and a 50-row table viewport,
//! rendered to ratatui's `TestBackend` (layout, formatting of the visible
//! rows, widget drawing and buffer diffing; no terminal I/O).
//!
//! ```text
//! cargo bench --bench tui
//! cargo bench --bench tui -- --routes 20000 --frames 300
//! cargo bench --bench tui -- --routes 200 --frames 20    # quick check
//! ```
//!
//! Kinds of frame, each reported as wall-clock mean / p99 / max per frame
//! and CPU time per frame (which leaves out time preempted by other
//! processes on a shared machine):
//! - `redraw`: same snapshot, nothing changed (a tick);
//! - `snapshot`: a new snapshot arrives: filter + sort all routes, then draw
//!   (what a published snapshot costs, once per engine step);
//! - `key`: a key (Down) applied, then draw (key-to-screen work);
//! - `snapshot+regex`: as `snapshot` with a regex filter typed;
//! - `drill`: the drill-down screen (charts, histogram).
//!
//! Target: ≤ 2 ms per frame. Measured (release, 2 shared cores, other
//! builds running; wall p99 includes preemption by them):
//!
//! ```text
//! redraw          mean 0.79 ms  p99 4.81 ms  cpu/frame 0.71 ms
//! snapshot        mean 1.26 ms  p99 2.13 ms  cpu/frame 1.24 ms
//! key             mean 0.97 ms  p99 4.83 ms  cpu/frame 0.89 ms
//! snapshot+regex  mean 1.01 ms  p99 1.25 ms  cpu/frame 1.01 ms
//! drill           mean 0.71 ms  p99 4.75 ms  cpu/frame 0.64 ms
//! ```
//! Idle CPU and key-to-screen latency through a
//! real terminal are measured by `scripts/tui-measure.sh`.

mod util;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use routetop::engine::snapshot::Snapshot;
use routetop::testkit;
use routetop::view::tui::{Action, App, render};
use util::args::{Args, File, Opt, Spec, opt};
use util::proc::thread_cpu_ns;

static SPEC: Spec = Spec {
    name: "tui",
    about: "Dashboard frame cost (TestBackend, 160x61, 50 table rows) per kind of frame.",
    file: File::None,
    modes: &[],
    default_modes: &[],
    opts: &[
        opt("routes", "2000", "routes in the snapshots"),
        opt(
            "frames",
            "1000",
            "frames timed per kind (and a tenth more to warm up)",
        ),
    ] as &[Opt],
};

/// 2 000 routes made from the fixture's three, with varied numbers so that
/// sorting does real work.
fn snapshot(routes: usize, seq: u64) -> Arc<Snapshot> {
    let mut s = testkit::snapshot();
    let base = s.routes.clone();
    s.seq = seq;
    s.routes = (0..routes)
        .map(|i| {
            let mut r = base[i % base.len()].clone();
            r.route = Arc::from(format!("/api/v{}/service{}/items/:id", i % 7, i).as_str());
            let k = ((i as u64).wrapping_mul(2_654_435_761) ^ seq) % 10_000 + 1;
            r.total.requests = k * 13;
            for w in &mut r.windows {
                w.row.requests = k;
                w.rate = k as f64 / 60.0;
                w.row.q_us[2] = k * 37;
            }
            r
        })
        .collect();
    s.overflow.routes = routes;
    Arc::new(s)
}

struct Stats {
    mean: Duration,
    p99: Duration,
    max: Duration,
    /// CPU time per frame (this thread on a CPU), when the kernel says.
    cpu: Option<Duration>,
}

fn measure(frames: usize, mut f: impl FnMut(usize)) -> Stats {
    for i in 0..frames / 10 {
        f(i); // warm up
    }
    let cpu0 = thread_cpu_ns();
    let mut t: Vec<Duration> = (0..frames)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect();
    let cpu = cpu0
        .zip(thread_cpu_ns())
        .map(|(a, b)| Duration::from_nanos(b.saturating_sub(a) / frames as u64));
    t.sort();
    let sum: Duration = t.iter().sum();
    Stats {
        cpu,
        mean: sum / frames as u32,
        p99: t[(frames * 99 / 100).min(frames - 1)],
        max: t[frames - 1],
    }
}

fn report(name: &str, s: Stats) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let cpu = s.cpu.map_or("n/a".into(), |c| format!("{:.3} ms", ms(c)));
    println!(
        "{name:<16} mean {:>6.3} ms   p99 {:>6.3} ms   max {:>6.3} ms   cpu/frame {cpu}",
        ms(s.mean),
        ms(s.p99),
        ms(s.max)
    );
}

fn main() {
    let args = Args::parse(&SPEC);
    let routes: usize = args.get("routes");
    let frames = args.get::<usize>("frames").max(1);
    // 50 table rows: 3 header + 6 sparkline + 1 column titles + 1 footer.
    let (w, h) = (160u16, 61u16);
    let snaps: Vec<Arc<Snapshot>> = (0..8).map(|i| snapshot(routes, 100 + i)).collect();
    let mut app = App::new(snaps[0].clone(), true);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| render(f, &app)).expect("draw");
    let rows = term
        .backend()
        .to_string()
        .lines()
        .filter(|l| l.contains("/api/v"))
        .count();
    println!("{routes} routes, {w}x{h} terminal, {rows} table rows visible, {frames} frames");

    report(
        "redraw",
        measure(frames, |_| {
            term.draw(|f| render(f, &app)).expect("draw");
        }),
    );
    report(
        "snapshot",
        measure(frames, |i| {
            app.on_snapshot(snaps[i % snaps.len()].clone());
            term.draw(|f| render(f, &app)).expect("draw");
        }),
    );
    report(
        "key",
        measure(frames, |i| {
            app.apply(if i % 200 < 100 {
                Action::Down
            } else {
                Action::Up
            });
            term.draw(|f| render(f, &app)).expect("draw");
        }),
    );
    app.apply(Action::FilterStart);
    for c in "v[1-3]/service1".chars() {
        app.apply(Action::FilterInput(c));
    }
    app.apply(Action::FilterAccept);
    report(
        "snapshot+regex",
        measure(frames, |i| {
            app.on_snapshot(snaps[i % snaps.len()].clone());
            term.draw(|f| render(f, &app)).expect("draw");
        }),
    );
    app.apply(Action::Back);
    app.apply(Action::Open);
    report(
        "drill",
        measure(frames, |i| {
            app.on_snapshot(snaps[i % snaps.len()].clone());
            term.draw(|f| render(f, &app)).expect("draw");
        }),
    );
}
