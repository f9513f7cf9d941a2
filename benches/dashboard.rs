//! The dashboard on its own, without an engine: for measuring its idle CPU
//! and key-to-screen latency in a real terminal (`scripts/tui-measure.sh`),
//! and for trying keys and layouts. A bench target (harness = false), not a
//! test: it runs until `q`.
//!
//! ```text
//! cargo bench --bench dashboard                      # 300 synthetic routes, 1 snapshot/s
//! cargo bench --bench dashboard -- --routes 2000 --every-ms 500
//! cargo bench --bench dashboard -- access.log        # a --once report of a real log
//! ```
//!
//! Synthetic snapshots move like a live engine's: every route's windows and
//! series shift each publish. `r` then `y` resets the synthetic counters,
//! as the engine will on `Command::ResetCounters`.

mod util;

use std::sync::Arc;
use std::time::Duration;

use routetop::engine::snapshot::Snapshot;
use routetop::testkit;
use routetop::view::tui::{self, Command, TuiOptions};
use tokio::sync::{mpsc, watch};
use util::args::{Args, File, Opt, Spec, opt};

static SPEC: Spec = Spec {
    name: "dashboard",
    about: "The dashboard alone, in this terminal, until q (interactive; scripts/tui-measure.sh measures it).",
    file: File::Optional,
    modes: &[],
    default_modes: &[],
    opts: &[
        opt("routes", "300", "synthetic routes (without FILE)"),
        opt(
            "every-ms",
            "1000",
            "milliseconds between synthetic snapshots",
        ),
    ] as &[Opt],
};

fn synthetic(routes: usize, seq: u64) -> Snapshot {
    let mut s = testkit::snapshot();
    let base = s.routes.clone();
    s.seq = seq;
    s.uptime = Duration::from_secs(3_600 + seq);
    s.routes = (0..routes)
        .map(|i| {
            let mut r = base[i % base.len()].clone();
            r.route = Arc::from(format!("/api/v{}/svc{}/items/:id", i % 5, i).as_str());
            let wobble = (i as u64 * 31 + seq * 7) % 50;
            let k = (routes - i) as u64 * 3 + wobble;
            r.total.requests = k * 60 + seq * k;
            for w in &mut r.windows {
                w.row.requests = k * w.length.as_secs();
                w.rate = k as f64;
            }
            let n = r.series.requests.len() as u64;
            for (j, v) in Arc::make_mut(&mut r.series).requests.iter_mut().enumerate() {
                *v = k + (j as u64 + seq) * 13 % 17;
            }
            Arc::make_mut(&mut r.series)
                .requests
                .rotate_left((seq % n.max(1)) as usize);
            r
        })
        .collect();
    s.overflow.routes = routes;
    Arc::make_mut(&mut s.total.series)
        .requests
        .rotate_left((seq % 120) as usize);
    s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(&SPEC);
    let routes: usize = args.get("routes");
    let every = Duration::from_millis(args.get::<u64>("every-ms").max(10));
    let file = args.file().map(|f| f.display().to_string());

    let first = match &file {
        Some(path) => {
            let cli = routetop::config::Args {
                inputs: vec![path.clone()],
                once: true,
                ..Default::default()
            };
            let config = routetop::config::Config::from_args(&cli, false)?;
            routetop::once(&config)?.batch.snapshot()
        }
        None => synthetic(routes, 1),
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let (tx, rx) = watch::channel(Arc::new(first));
        let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
        if file.is_none() {
            // Built ahead and cycled, so that measuring this process
            // measures the dashboard, not the making of test data.
            // (Their sequence numbers repeat; only the pause counter shows it.)
            let cycle: Vec<Arc<Snapshot>> =
                (0..8).map(|i| Arc::new(synthetic(routes, i))).collect();
            tokio::spawn(async move {
                let mut seq = 1;
                let mut reset_at = None;
                let mut tick = tokio::time::interval(every);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            seq += 1;
                            // After a reset, routes come back one publish later.
                            let snap = if reset_at == Some(seq - 1) {
                                Arc::new(synthetic(0, seq))
                            } else {
                                cycle[seq as usize % cycle.len()].clone()
                            };
                            if tx.send(snap).is_err() {
                                return;
                            }
                        }
                        Some(Command::ResetCounters) = cmd_rx.recv() => reset_at = Some(seq),
                    }
                }
            });
        }
        tui::run(rx, cmd_tx, TuiOptions::default()).await
    })?;
    Ok(())
}
