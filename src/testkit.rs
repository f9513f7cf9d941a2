//! Test support, not part of routetop's interface: compiled for the crate's
//! own tests and, through the `testkit` feature that the dev-dependency on
//! itself turns on, for integration tests and benchmarks. Normal builds do
//! not have it.
//!
//! [`snapshot`] is a fixed, realistic snapshot for view tests (dashboard
//! screens, exposition snapshots): three routes over two sources, windows and
//! series filled; [`empty`] is the one a view sees before any line.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::engine::InputState;
use crate::engine::snapshot::{
    Clock, InputSnap, KeySnap, Overflow, RouteSnap, Sample, Series, Snapshot, TOTAL_ROUTE,
    WindowStats,
};
use crate::engine::summary::{QUANTILES, Row};
use crate::format::ErrorKind;

// A fixture row reads like a table line; a struct literal would not.
#[allow(clippy::too_many_arguments)]
fn row(
    requests: u64,
    c2: u64,
    c4: u64,
    c5: u64,
    timed: u64,
    q: [u64; 4],
    max: u64,
    bytes: u64,
) -> Row {
    let mut classes = [0; 6];
    classes[2] = c2;
    classes[4] = c4;
    classes[5] = c5;
    classes[3] = requests - c2 - c4 - c5;
    Row {
        requests,
        bytes,
        classes,
        timed,
        lat_sum_us: q[0] * timed,
        lat_max_us: max,
        q_us: q,
    }
}

fn series(n: usize, base: u64, err: u64, p99: u64) -> Series {
    Series {
        step: Duration::from_secs(1),
        end: 3_725,
        requests: (0..n as u64).map(|i| base + (i * 7) % 5).collect(),
        errors_5xx: (0..n as u64)
            .map(|i| if i % 10 == 3 { err } else { 0 })
            .collect(),
        errors_4xx: (0..n as u64).map(|i| (i % 3 == 0) as u64).collect(),
        p50_us: (0..n as u64).map(|i| p99 / 8 + i * 10).collect(),
        p90_us: (0..n as u64).map(|i| p99 / 2 + i * 10).collect(),
        p99_us: (0..n as u64).map(|i| p99 + (i % 7) * 1_000).collect(),
        max_us: (0..n as u64).map(|i| p99 * 2 + (i % 5) * 1_000).collect(),
    }
}

fn route(
    name: &str,
    total: Row,
    w1: Row,
    w5: Row,
    methods: &[(&str, u64)],
    statuses: &[(u16, u64)],
    s: Series,
) -> RouteSnap {
    RouteSnap {
        route: Arc::from(name),
        windows: vec![
            WindowStats {
                length: Duration::from_secs(60),
                covered: Duration::from_secs(60),
                filling: false,
                rate: w1.requests as f64 / 60.0,
                row: w1,
            },
            WindowStats {
                length: Duration::from_secs(300),
                covered: Duration::from_secs(300),
                filling: false,
                rate: w5.requests as f64 / 300.0,
                row: w5,
            },
        ],
        methods: methods.iter().map(|(m, n)| (Arc::from(*m), *n)).collect(),
        statuses: statuses.into(),
        sources: Arc::from(vec![
            (0, total.requests * 3 / 4),
            (1, total.requests - total.requests * 3 / 4),
        ]),
        latency: Arc::from(vec![
            (1024, 2047, total.timed / 10),
            (2048, 4095, total.timed / 5),
            (4096, 8191, total.timed / 3),
            (8192, 16383, total.timed / 4),
            (
                16384,
                32767,
                total.timed
                    - total.timed / 10
                    - total.timed / 5
                    - total.timed / 3
                    - total.timed / 4,
            ),
        ]),
        total,
        series: Arc::new(s),
    }
}

/// The fixture.
pub fn snapshot() -> Snapshot {
    let users = route(
        "/api/users/:id",
        row(
            12_000,
            11_500,
            400,
            100,
            12_000,
            [4_000, 12_000, 48_000, 120_000],
            250_000,
            6_000_000,
        ),
        row(
            600,
            570,
            20,
            10,
            600,
            [4_100, 12_500, 50_000, 118_000],
            140_000,
            300_000,
        ),
        row(
            3_000,
            2_880,
            90,
            30,
            3_000,
            [4_000, 12_200, 49_000, 121_000],
            200_000,
            1_500_000,
        ),
        &[("GET", 11_000), ("PUT", 1_000)],
        &[(200, 11_500), (404, 400), (500, 100)],
        series(120, 10, 2, 48_000),
    );
    let login = route(
        "/login",
        row(
            3_000,
            2_700,
            290,
            10,
            3_000,
            [25_000, 80_000, 300_000, 900_000],
            1_200_000,
            9_000_000,
        ),
        row(
            120,
            110,
            9,
            1,
            120,
            [26_000, 82_000, 310_000, 700_000],
            700_000,
            360_000,
        ),
        row(
            700,
            630,
            68,
            2,
            700,
            [25_500, 81_000, 305_000, 890_000],
            1_100_000,
            2_100_000,
        ),
        &[("POST", 2_000), ("GET", 1_000)],
        &[(200, 2_700), (302, 0), (401, 290), (503, 10)],
        series(120, 2, 1, 300_000),
    );
    let health = route(
        "/healthz",
        row(900, 900, 0, 0, 900, [300, 500, 900, 1_000], 1_200, 1_800),
        row(60, 60, 0, 0, 60, [300, 500, 900, 1_000], 1_000, 120),
        row(300, 300, 0, 0, 300, [300, 500, 900, 1_000], 1_200, 600),
        &[("GET", 900)],
        &[(200, 900)],
        series(120, 1, 0, 900),
    );
    let total = route(
        TOTAL_ROUTE,
        row(
            15_900,
            15_100,
            690,
            110,
            15_900,
            [5_000, 40_000, 250_000, 800_000],
            1_200_000,
            15_001_800,
        ),
        row(
            780,
            740,
            29,
            11,
            780,
            [5_100, 41_000, 260_000, 650_000],
            700_000,
            660_120,
        ),
        row(
            4_000,
            3_810,
            158,
            32,
            4_000,
            [5_000, 40_500, 255_000, 790_000],
            1_100_000,
            3_600_600,
        ),
        &[("GET", 12_900), ("POST", 2_000), ("PUT", 1_000)],
        &[(200, 15_100), (401, 290), (404, 400), (500, 100), (503, 10)],
        series(120, 13, 3, 250_000),
    );
    let buckets_us: Arc<[u64]> = Arc::from(
        &[
            5_000u64, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
        ][..],
    );
    let key = |source: u16,
               route: &str,
               method: &str,
               status: u16,
               count: u64,
               lat_sum_us: u64,
               buckets: [u64; 8]| KeySnap {
        source,
        route: Arc::from(route),
        method: Arc::from(method),
        status,
        count,
        bytes: count * 500,
        timed: count,
        lat_sum_us,
        lat_max_us: 1_200_000,
        buckets: buckets.to_vec(),
        upstream: None,
    };
    Snapshot {
        seq: 42,
        taken_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_028_800)),
        uptime: Duration::from_secs(3_725),
        span: Some((1_710_025_075, 1_710_028_800)),
        clock: Clock::Arrival,
        replay: false,
        windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
        quantiles: QUANTILES,
        buckets_us,
        inputs: vec![
            InputSnap {
                source: 0,
                name: "/var/log/nginx/access.log".into(),
                format: Some("combined_rt".into()),
                state: InputState::Following,
                lines: 12_010,
                requests: 12_000,
                errors: [0, 1, 9, 0, 0],
                odd: [0; 2],
                variants: Vec::new(),
                samples: vec![Sample {
                    line_no: 17,
                    kind: ErrorKind::NoMatch,
                    text: "GET /garbage \u{1b}[31m".into(),
                    len: 17,
                    why: "expected \" - \" after $remote_addr at byte 3".into(),
                }],
                rotations: 1,
                has_latency: true,
                has_upstream: false,
                has_bytes: true,
            },
            InputSnap {
                source: 1,
                name: "/var/log/nginx/api.log".into(),
                format: Some("json (nginx)".into()),
                state: InputState::Waiting,
                lines: 3_900,
                requests: 3_900,
                errors: [0; 5],
                odd: [0; 2],
                variants: Vec::new(),
                samples: vec![],
                rotations: 0,
                has_latency: true,
                has_upstream: true,
                has_bytes: true,
            },
        ],
        total,
        routes: vec![login, users, health],
        keys: Arc::from(vec![
            key(
                0,
                "/api/users/:id",
                "GET",
                200,
                10_500,
                42_000_000,
                [6_000, 2_500, 1_000, 500, 300, 150, 40, 9],
            ),
            key(
                0,
                "/api/users/:id",
                "GET",
                500,
                100,
                9_000_000,
                [10, 10, 20, 20, 20, 10, 5, 3],
            ),
            key(
                1,
                "/api/users/:id",
                "PUT",
                404,
                400,
                1_600_000,
                [300, 60, 20, 10, 5, 3, 1, 1],
            ),
            key(
                0,
                "/login",
                "POST",
                200,
                2_700,
                67_500_000,
                [100, 200, 900, 800, 400, 200, 60, 30],
            ),
            key(
                1,
                "/login",
                "POST",
                503,
                10,
                9_000_000,
                [0, 0, 0, 0, 2, 3, 3, 1],
            ),
            key(
                0,
                "/healthz",
                "GET",
                200,
                900,
                270_000,
                [900, 0, 0, 0, 0, 0, 0, 0],
            ),
        ]),
        overflow: Overflow {
            max_routes: 2000,
            routes: 3,
            folded_routes: 0,
            at_least: false,
            requests: 0,
            keys_folded: 0,
        },
        lines_per_sec: 13.2,
        ingest_lag: Some(Duration::from_millis(40)),
        reset: None,
        slo: Vec::new(),
        apdex: None,
        backfill: None,
        backfilled: 0,
        facets: Default::default(),
    }
}

/// [`snapshot`] whose users route was served by three backends (one
/// failing) for two hosts, and whose `/healthz` by one backend; every
/// other route carries neither.
pub fn snapshot_with_facets() -> Snapshot {
    use crate::engine::facet::{FacetCounts, FacetFigures, FacetRow, FacetSnap};
    let row =
        |name: &str, requests: u64, errors_5xx: u64, timed: u64, mean_us: u64, max_us: u64| {
            FacetRow {
                name: name.into(),
                counts: FacetCounts {
                    requests,
                    errors_5xx,
                    timed,
                    lat_sum_us: mean_us * timed,
                    lat_max_us: max_us,
                },
            }
        };
    let users = vec![
        row("10.0.1.11:8080", 6_000, 10, 6_000, 9_000, 900_000),
        row("10.0.1.12:8080", 5_000, 20, 5_000, 11_000, 1_100_000),
        row("10.0.1.13:8080", 1_000, 370, 1_000, 250_000, 6_000_000),
    ];
    let health = vec![row("10.0.1.11:8080", 300, 0, 0, 0, 0)];
    let hosts = vec![
        row("api.example.com", 11_000, 380, 11_000, 12_000, 6_000_000),
        row("example.com", 1_000, 20, 1_000, 9_000, 800_000),
    ];
    let totals = vec![
        row("10.0.1.11:8080", 6_300, 10, 6_000, 9_000, 900_000),
        row("10.0.1.12:8080", 5_000, 20, 5_000, 11_000, 1_100_000),
        row("10.0.1.13:8080", 1_000, 370, 1_000, 250_000, 6_000_000),
    ];
    let mut by_route: Vec<(Arc<str>, Vec<FacetRow>)> = vec![
        (Arc::from("/api/users/:id"), users),
        (Arc::from("/healthz"), health),
    ];
    by_route.sort_by(|a, b| a.0.cmp(&b.0));
    Snapshot {
        facets: Arc::new(FacetFigures {
            kinds: [
                FacetSnap {
                    by_route,
                    totals,
                    cap: 200,
                    folded: 0,
                    at_least: false,
                },
                FacetSnap {
                    by_route: vec![(Arc::from("/api/users/:id"), hosts.clone())],
                    totals: hosts,
                    cap: 200,
                    folded: 0,
                    at_least: false,
                },
            ],
        }),
        ..snapshot()
    }
}

/// A snapshot of a run that has seen nothing yet.
pub fn empty() -> Snapshot {
    Snapshot {
        windows: vec![Duration::from_secs(60), Duration::from_secs(300)],
        quantiles: QUANTILES,
        buckets_us: Arc::from(&[5_000u64, 10_000, 25_000][..]),
        total: RouteSnap {
            route: Arc::from(TOTAL_ROUTE),
            ..Default::default()
        },
        inputs: vec![InputSnap {
            source: 0,
            name: "/var/log/nginx/access.log".into(),
            format: None,
            state: InputState::Waiting,
            lines: 0,
            requests: 0,
            errors: [0; 5],
            odd: [0; 2],
            variants: Vec::new(),
            samples: vec![],
            rotations: 0,
            has_latency: false,
            has_upstream: false,
            has_bytes: false,
        }],
        overflow: Overflow {
            max_routes: 2000,
            ..Default::default()
        },
        ..Default::default()
    }
}
