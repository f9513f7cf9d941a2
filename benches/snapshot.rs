//! Cost of building a live snapshot with many busy routes: the engine
//! publishes one every step, so this bounds the engine's overhead.
//!
//! ```text
//! cargo bench --bench snapshot                          # 2 000 routes, 300 steps
//! cargo bench --bench snapshot -- --routes 50 --steps 30 # quick check
//! ```
//!
//! Settings (`-- --help`): `--routes`, `--steps` of traffic fed first,
//! `--builds` of the snapshot timed.

mod util;

use std::sync::Arc;
use std::time::{Duration, Instant};

use routetop::engine::InputEvent;
use routetop::engine::live::{LiveConfig, LiveEngine};
use routetop::engine::{DEFAULT_BUCKETS, EngineConfig};
use routetop::format::{Format, FormatSpec};
use routetop::route::Router;
use util::args::{Args, File, Opt, Spec, opt};

static SPEC: Spec = Spec {
    name: "snapshot",
    about: "Cost of building a live snapshot with many busy routes (synthetic traffic).",
    file: File::None,
    modes: &[],
    default_modes: &[],
    opts: &[
        opt("routes", "2000", "busy routes"),
        opt("steps", "300", "1 s steps of traffic fed before timing"),
        opt("builds", "10", "snapshot builds timed"),
    ] as &[Opt],
};

fn main() {
    let args = Args::parse(&SPEC);
    let routes: usize = args.get("routes");
    let steps: usize = args.get("steps");
    let builds = args.get::<usize>("builds").max(1);
    let mut engine_cfg = EngineConfig::new(routes + 10, 64 * 1024, &DEFAULT_BUCKETS);
    engine_cfg.key_hists = false;
    let cfg = LiveConfig {
        engine: engine_cfg,
        windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
        step: Duration::from_secs(1),
        publish: Duration::from_millis(200),
        series: 300,
        formats: vec![Some(Arc::new(
            Format::compile(&FormatSpec::Preset("combined_rt"), &[]).expect("preset"),
        ))],
        json: Vec::new(),
        strip: None,
        log_time: false,
        slo: Vec::new(),
        apdex_t_us: None,
    };
    let mut e = LiveEngine::new(cfg, Arc::new(Router::new(&[], true).unwrap()));
    e.handle(InputEvent::Added {
        source: 0,
        name: "bench".into(),
        input: 0,
    });
    // `steps` steps (300: 5 minutes) of traffic: every route busy in every
    // step, with enough requests per step for its slices to hold HDR
    // histograms.
    let mut x: u64 = 7;
    let t0 = Instant::now();
    let mut lines = 0u64;
    for _step in 0..steps {
        let mut data = Vec::with_capacity(routes * 20 * 120);
        for r in 0..routes {
            for _ in 0..20 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let ms = x % 2000;
                let status = [200, 200, 200, 200, 404, 503][(x % 6) as usize];
                data.extend_from_slice(
                    format!(
                        "1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] \"GET /r{r}/x HTTP/1.1\" {status} 10 \"-\" \"t\" {}.{:03}\n",
                        ms / 1000,
                        ms % 1000
                    )
                    .as_bytes(),
                );
                lines += 1;
            }
        }
        e.handle(InputEvent::Lines { source: 0, data });
        e.tick();
    }
    println!(
        "{routes} routes, {lines} lines fed in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for _ in 0..builds {
        let t = Instant::now();
        let s = e.snapshot();
        times.push(t.elapsed());
        assert_eq!(s.routes.len(), routes);
    }
    times.sort();
    println!(
        "snapshot build ({builds} builds): min {:.1} ms, median {:.1} ms, max {:.1} ms",
        times[0].as_secs_f64() * 1e3,
        times[builds / 2].as_secs_f64() * 1e3,
        times[builds - 1].as_secs_f64() * 1e3
    );
}
