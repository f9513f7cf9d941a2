//! Scrape cost at scale: one `/metrics` render (families + text) of a
//! synthetic snapshot with 2 000 routes, its size, the same gzipped (what
//! Prometheus asks for: size on the wire), and the parts (building the
//! families, encoding them, compressing; `prometheus::TextEncoder` for
//! comparison). Targets at 2 000 routes: ≤ 20 ms per scrape; rendered and
//! gzipped ≤ 25 ms and ≤ 1.5 MB. Min and median of many renders, so the
//! figure is stable on a shared machine.
//!
//! ```text
//! cargo bench --bench export                            # 2 000 routes, 3 keys each
//! cargo bench --bench export -- --routes 5000 --keys 4
//! cargo bench --bench export -- --routes 100 --runs 3   # quick check
//! ```

mod util;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use prometheus::Encoder;
use routetop::engine::DEFAULT_BUCKETS;
use routetop::engine::InputState;
use routetop::engine::snapshot::{InputSnap, KeySnap, RouteSnap, Series, Snapshot, WindowStats};
use routetop::engine::summary::{QUANTILES, Row};
use routetop::view::export::{self, Format, RenderOptions, ScrapeState};
use util::args::{Args, File, Opt, Spec, opt};

static SPEC: Spec = Spec {
    name: "export",
    about: "Scrape cost at scale: /metrics render time and size of a synthetic snapshot.",
    file: File::None,
    modes: &[],
    default_modes: &[],
    opts: &[
        opt("routes", "2000", "routes in the snapshot"),
        opt("keys", "3", "(method, status) keys per route"),
        opt("runs", "30", "renders timed per figure (min and median)"),
    ] as &[Opt],
};

/// A live-looking snapshot: `routes` routes with `keys` (method, status)
/// keys each, one input, 1m/5m windows, 120-step series.
fn synthetic(routes: usize, keys: usize) -> Snapshot {
    let bounds: Arc<[u64]> = DEFAULT_BUCKETS
        .iter()
        .map(|s| (s * 1e6) as u64)
        .collect::<Vec<_>>()
        .into();
    let combos = [
        ("GET", 200),
        ("GET", 404),
        ("POST", 201),
        ("GET", 500),
        ("PUT", 200),
        ("DELETE", 204),
    ];
    let row = |n: u64| Row {
        requests: n,
        bytes: n * 700,
        classes: [0, 0, n, 0, 0, 0],
        timed: n,
        lat_sum_us: n * 12_345,
        lat_max_us: 987_654,
        q_us: [4_100, 25_000, 180_000, 650_000],
    };
    let mut snap = Snapshot {
        seq: 1,
        taken_at: Some(SystemTime::now()),
        uptime: Duration::from_secs(3600),
        windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
        quantiles: QUANTILES,
        buckets_us: bounds.clone(),
        inputs: vec![InputSnap {
            source: 0,
            name: "/var/log/nginx/access.log".into(),
            format: Some("combined_rt".into()),
            state: InputState::Following,
            lines: 10_000_000,
            requests: 9_999_000,
            errors: [0, 1, 999, 0, 0],
            odd: [0; 2],
            variants: Vec::new(),
            samples: vec![],
            rotations: 3,
            has_latency: true,
            has_upstream: false,
            has_bytes: true,
        }],
        ..Default::default()
    };
    let mut all_keys = Vec::new();
    for r in 0..routes {
        let name: Arc<str> = Arc::from(format!("/api/v1/resource{r}/items/:id").as_str());
        let n = 1_000 + r as u64 * 37;
        snap.routes.push(RouteSnap {
            route: name.clone(),
            total: row(n),
            windows: [60, 300]
                .iter()
                .map(|&s| WindowStats {
                    length: Duration::from_secs(s),
                    covered: Duration::from_secs(s),
                    filling: false,
                    row: row(n / 60),
                    rate: n as f64 / 3600.0,
                })
                .collect(),
            series: Arc::new(Series {
                step: Duration::from_secs(1),
                max_us: (0..120).map(|i| 10_000 + i * 97).collect(),
                ..Default::default()
            }),
            ..Default::default()
        });
        for &(method, status) in combos.iter().cycle().take(keys) {
            let per: Vec<u64> = (0..bounds.len() as u64).map(|i| n / (i + 2)).collect();
            all_keys.push(KeySnap {
                source: 0,
                route: name.clone(),
                method: Arc::from(method),
                status,
                count: n,
                bytes: n * 700,
                timed: n,
                lat_sum_us: n * 12_345,
                lat_max_us: 987_654,
                buckets: per,
                upstream: None,
            });
        }
    }
    snap.keys = all_keys.into();
    snap
}

/// (min, median) seconds of `f` over `n` runs.
fn time<F: FnMut() -> usize>(n: usize, mut f: F) -> (f64, f64, usize) {
    let mut t = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let s = Instant::now();
        size = std::hint::black_box(f());
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(|a, b| a.total_cmp(b));
    (t[0], t[n / 2], size)
}

fn main() {
    let args = Args::parse(&SPEC);
    let routes: usize = args.get("routes");
    let keys: usize = args.get("keys");
    let runs = args.get::<usize>("runs").max(1);
    let snap = synthetic(routes, keys);
    let opts = RenderOptions::default();
    println!(
        "{routes} routes x {keys} keys = {} series keys, {} buckets, {runs} runs",
        snap.keys.len(),
        snap.buckets_us.len()
    );
    let report = |what: &str, (min, med, size): (f64, f64, usize)| {
        println!(
            "{what:<34} min {:>7.2} ms  median {:>7.2} ms  {:>6.2} MB",
            min * 1e3,
            med * 1e3,
            size as f64 / 1e6
        );
    };
    let mut st = ScrapeState::default();
    report(
        "scrape: render (text 0.0.4)",
        time(runs, || export::render(&snap, &opts, &mut st).len()),
    );
    report(
        "scrape: render (OpenMetrics)",
        time(runs, || {
            export::render_as(&snap, &opts, &mut st, Format::OpenMetrics).len()
        }),
    );
    let arc = Arc::new(snap.clone());
    let mut cache = export::RenderCache::default();
    let _ = cache.render(&arc, &opts, &mut st, Format::Text);
    report(
        "scrape again, same snapshot (cached)",
        time(runs, || {
            cache.render(&arc, &opts, &mut st, Format::Text).len()
        }),
    );
    // What Prometheus gets: it asks for gzip. A fresh cache each run, so
    // every run renders and compresses the whole exposition.
    report(
        "scrape: render + gzip (text 0.0.4)",
        time(runs, || {
            let mut c = export::RenderCache::default();
            match c.render_gzip(&arc, &opts, &mut st, Format::Text) {
                Ok(gz) => gz.len(),
                Err(e) => panic!("gzip: {e}"),
            }
        }),
    );
    let _ = cache.render_gzip(&arc, &opts, &mut st, Format::Text);
    report(
        "scrape again + gzip (cached)",
        time(runs, || {
            match cache.render_gzip(&arc, &opts, &mut st, Format::Text) {
                Ok(gz) => gz.len(),
                Err(e) => panic!("gzip: {e}"),
            }
        }),
    );
    let text = export::render(&snap, &opts, &mut st);
    report(
        "  part: gzip only",
        time(runs, || match export::gzip(text.as_bytes()) {
            Ok(gz) => gz.len(),
            Err(e) => panic!("gzip: {e}"),
        }),
    );
    report(
        "  part: families only",
        time(runs, || export::families(&snap, &opts, &mut st).len()),
    );
    let fams = export::families(&snap, &opts, &mut st);
    report(
        "  for comparison: prometheus::TextEncoder",
        time(runs, || {
            let mut buf = Vec::new();
            let _ = prometheus::TextEncoder::new().encode(&fams, &mut buf);
            buf.len()
        }),
    );
}
