//! The traffic model: genlog.py's constant tables and everything it builds
//! from them before the first line (URL templates, per-route latency and
//! size, client IPs, referers, cumulative weights).
//!
//! Kept apart from the line loop because this part is where the port is
//! most fragile: the tables must keep genlog.py's order exactly, and every
//! draw here shifts every later line, so each function lists its draws in
//! the order the Python makes them.

use crate::pyrandom::{PyRandom, cumulative};

pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const RESOURCES: [&str; 40] = [
    "users",
    "orders",
    "products",
    "items",
    "carts",
    "sessions",
    "accounts",
    "invoices",
    "payments",
    "shipments",
    "reviews",
    "comments",
    "posts",
    "articles",
    "categories",
    "tags",
    "teams",
    "projects",
    "tasks",
    "tickets",
    "messages",
    "notifications",
    "devices",
    "files",
    "images",
    "videos",
    "playlists",
    "subscriptions",
    "plans",
    "coupons",
    "stores",
    "warehouses",
    "suppliers",
    "customers",
    "contacts",
    "leads",
    "events",
    "reports",
    "dashboards",
    "widgets",
];

const SUBS: [&str; 28] = [
    "orders",
    "items",
    "comments",
    "reviews",
    "history",
    "settings",
    "profile",
    "members",
    "permissions",
    "attachments",
    "events",
    "status",
    "summary",
    "invoices",
    "payments",
    "addresses",
    "tokens",
    "logs",
    "metrics",
    "children",
    "versions",
    "likes",
    "followers",
    "photos",
    "notes",
    "tags",
    "audit",
    "exports",
];

const PAGES: [&str; 35] = [
    "/",
    "/login",
    "/logout",
    "/signup",
    "/search",
    "/cart",
    "/checkout",
    "/about",
    "/contact",
    "/pricing",
    "/help",
    "/faq",
    "/terms",
    "/privacy",
    "/account",
    "/account/settings",
    "/dashboard",
    "/admin",
    "/admin/users",
    "/blog",
    "/favicon.ico",
    "/robots.txt",
    "/sitemap.xml",
    "/healthz",
    "/metrics",
    "/api/health",
    "/api/v1/status",
    "/graphql",
    "/oauth/token",
    "/oauth/authorize",
    "/wp-login.php",
    "/.env",
    "/feed.xml",
    "/manifest.json",
    "/service-worker.js",
];

/// `STATIC_DIRS` with `STATIC_EXT[d]` alongside, in the dict's order.
const STATIC_DIRS: [(&str, &str); 5] = [
    ("js", "js"),
    ("css", "css"),
    ("img", "png"),
    ("fonts", "woff2"),
    ("media", "svg"),
];

pub(crate) const WORDS: [&str; 40] = [
    "alpha", "bravo", "cloud", "delta", "edge", "fast", "green", "hyper", "index", "json",
    "kernel", "lambda", "micro", "nginx", "open", "proxy", "query", "rust", "stack", "token",
    "unix", "vector", "web", "xml", "yaml", "zero", "cache", "deploy", "guide", "intro", "latency",
    "metrics", "tuning", "scale", "review", "release", "notes", "howto", "setup", "debug",
];

const USER_AGENTS: [(&str, u32); 18] = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
        30,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
        12,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
        8,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
        5,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
        5,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
        12,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.90 Mobile Safari/537.36",
        8,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
        5,
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        3,
    ),
    (
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        1,
    ),
    (
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        1,
    ),
    ("curl/8.5.0", 2),
    ("python-requests/2.31.0", 2),
    ("Go-http-client/1.1", 2),
    ("okhttp/4.12.0", 2),
    ("kube-probe/1.29", 1),
    ("Prometheus/2.50.1", 1),
    ("-", 1),
];

const REF_EXTERNAL: [&str; 8] = [
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://t.co/abc123",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/r/programming/",
    "https://github.com/",
    "https://stackoverflow.com/questions/12345678",
];

pub(crate) const QUERIES: [&str; 12] = [
    "page=2",
    "page=3&limit=50",
    "limit=100",
    "sort=created_at&order=desc",
    "q=shoes",
    "q=rust+nginx",
    "utm_source=newsletter&utm_medium=email",
    "filter=active",
    "fields=id,name",
    "cursor=eyJpZCI6MTIzfQ",
    "lang=en",
    "v=2",
];

/// One row of `STATUS_MIX`: status, weight per 10 000, latency factor
/// (`None` for 504, whose latency is the upstream timeout) and body factor.
pub(crate) struct StatusRow {
    pub status: u16,
    pub weight: u32,
    pub latency: Option<f64>,
    pub body: f64,
}

const fn st(status: u16, weight: u32, latency: Option<f64>, body: f64) -> StatusRow {
    StatusRow {
        status,
        weight,
        latency,
        body,
    }
}

pub(crate) const STATUS_MIX: [StatusRow; 18] = [
    st(200, 8400, Some(1.0), 1.0),
    st(201, 80, Some(1.3), 0.2),
    st(204, 80, Some(0.8), 0.0),
    st(206, 20, Some(1.0), 3.0),
    st(301, 100, Some(0.2), 0.05),
    st(302, 200, Some(0.3), 0.05),
    st(304, 400, Some(0.25), 0.0),
    st(400, 90, Some(0.3), 0.05),
    st(401, 110, Some(0.2), 0.05),
    st(403, 50, Some(0.2), 0.05),
    st(404, 280, Some(0.4), 0.1),
    st(405, 10, Some(0.2), 0.05),
    st(429, 30, Some(0.05), 0.05),
    st(499, 30, Some(6.0), 0.0),
    st(500, 50, Some(2.0), 0.1),
    st(502, 30, Some(3.0), 0.1),
    st(503, 30, Some(0.5), 0.1),
    st(504, 10, None, 0.1),
];

pub(crate) const METHOD_MIX: [(&str, u32); 7] = [
    ("GET", 8200),
    ("POST", 1100),
    ("PUT", 300),
    ("PATCH", 100),
    ("DELETE", 120),
    ("HEAD", 100),
    ("OPTIONS", 80),
];
/// Indexes into `METHOD_MIX` that the line loop tests for.
pub(crate) const METHOD_GET: usize = 0;
pub(crate) const METHOD_HEAD: usize = 5;

pub(crate) const PROTO_MIX: [(&str, u32); 3] =
    [("HTTP/1.1", 70), ("HTTP/2.0", 28), ("HTTP/1.0", 2)];

pub(crate) const ID_BITS: [u32; 6] = [10, 14, 17, 20, 24, 27];

/// genlog.py classifies templates by prefix, so the pages `/api/health`
/// and `/api/v1/status` are `Api` (wider latency range) like the REST ones.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Static,
    Api,
    Page,
}

/// A URL template: the literal text around each `{}` ID slot.
pub(crate) struct Template {
    pub text: String,
    /// `text` split at each `{}`: `nids + 1` pieces.
    pub pieces: Vec<Box<[u8]>>,
    pub nids: usize,
    pub bits: u32,
    pub listy: bool,
    pub kind: Kind,
}

/// `build_templates(k, rng)`, with `rng` the template stream
/// (`Random(seed * 1000003 + 7)`).
pub(crate) fn build_templates(k: usize, rng: &mut PyRandom) -> Vec<Template> {
    // The API pool is built and shuffled in full whatever k is: the
    // shuffle's draws move the stream for everything after it.
    let mut api: Vec<(String, usize, bool)> = Vec::with_capacity(RESOURCES.len() * 3 * 58);
    for res in RESOURCES {
        for ver in ["/api/v1", "/api/v2", "/api"] {
            api.push((format!("{ver}/{res}"), 0, true));
            api.push((format!("{ver}/{res}/{{}}"), 1, false));
            for sub in SUBS {
                api.push((format!("{ver}/{res}/{{}}/{sub}"), 1, true));
                api.push((format!("{ver}/{res}/{{}}/{sub}/{{}}"), 2, false));
            }
        }
    }
    rng.shuffle(&mut api);

    let mut stat: Vec<(String, usize, bool)> = Vec::with_capacity(STATIC_DIRS.len() * WORDS.len());
    for (dir, ext) in STATIC_DIRS {
        for w in WORDS {
            let h = rng.getrandbits(32);
            stat.push((format!("/static/{dir}/{w}.{h:08x}.{ext}"), 0, false));
        }
    }
    rng.shuffle(&mut stat);

    let pages: Vec<(String, usize, bool)> = PAGES
        .iter()
        .map(|p| (p.to_string(), 0, matches!(*p, "/search" | "/blog")))
        .collect();

    // "apasap": api, page, api, static, api, page, ... with "/" first and
    // exhausted queues skipped, as genlog.py interleaves them.
    let mut out = Vec::with_capacity(k.min(8000));
    let mut pages = pages.into_iter();
    out.extend(pages.next());
    let mut queues = [api.into_iter(), pages, stat.into_iter()];
    let pattern = [0usize, 1, 0, 2, 0, 1];
    let mut j = 0usize;
    while queues.iter().any(|q| q.len() > 0) {
        let q = pattern[j % pattern.len()];
        j += 1;
        out.extend(queues[q].next());
    }

    // Beyond the pool, docs slugs.  genlog.py checks each against a `seen`
    // set, but none can repeat: the trailing `-{n}` is unique, the words
    // hold no '-' or digit, and no pool entry starts with /docs/.
    let mut n = 0usize;
    while out.len() < k {
        let w = &WORDS;
        let slug = format!(
            "/docs/{}-{}/{}-{}-{n}",
            w[n % 40],
            w[(n / 40) % 40],
            w[(n / 1600) % 40],
            w[(n * 7 + 3) % 40]
        );
        n += 1;
        out.push((slug, 0, false));
    }
    out.truncate(k);

    out.into_iter()
        .map(|(text, nids, listy)| {
            let kind = if text.starts_with("/static/") {
                Kind::Static
            } else if text.starts_with("/api") {
                Kind::Api
            } else {
                Kind::Page
            };
            let bits = ID_BITS[rng.randbelow(ID_BITS.len() as u64) as usize];
            let pieces = text
                .split("{}")
                .map(|p| p.as_bytes().to_vec().into_boxed_slice())
                .collect();
            Template {
                text,
                pieces,
                nids,
                bits,
                listy,
                kind,
            }
        })
        .collect()
}

/// genlog.py's `route_cw`: cumulative `1 / (i + 1) ** zipf`.  Fails where
/// genlog.py raises instead of writing lines: OverflowError from `**`,
/// ZeroDivisionError from `1.0 / 0.0` after an underflow, or "Total of
/// weights must be finite".
pub(crate) fn route_weights(k: usize, zipf: f64) -> Result<Vec<f64>, String> {
    let pows: Vec<f64> = (0..k).map(|i| ((i + 1) as f64).powf(zipf)).collect();
    let cw = cumulative(pows.iter().map(|p| 1.0 / p));
    let total_ok = cw.last().is_some_and(|t| t.is_finite());
    if !total_ok || pows.iter().any(|p| !p.is_finite() || *p == 0.0) {
        return Err(format!(
            "--zipf {zipf}: route weights overflow or vanish for {k} routes"
        ));
    }
    Ok(cw)
}

/// Everything genlog.py computes before its line loop.
pub(crate) struct World {
    pub tpls: Vec<Template>,
    pub r_mu: Vec<f64>,
    pub r_sigma: Vec<f64>,
    pub r_body: Vec<i64>,
    pub route_cw: Vec<f64>,
    pub st_cw: Vec<f64>,
    pub m_cw: Vec<f64>,
    pub p_cw: Vec<f64>,
    pub ua_cw: Vec<f64>,
    pub ips: Vec<Box<[u8]>>,
    pub ip_cw: Vec<f64>,
    pub users: Vec<&'static str>,
    pub refs: Vec<String>,
}

impl World {
    /// Draws from `rng` (the main stream) exactly as genlog.py's `main()`
    /// does up to its line loop.  Fails, as the Python does (with an
    /// exception), when the Zipf weights are not finite.
    pub(crate) fn build(
        rng: &mut PyRandom,
        tpl_seed: i128,
        routes: usize,
        zipf: f64,
        host: &str,
    ) -> Result<World, String> {
        let tpls = build_templates(routes, &mut PyRandom::new(tpl_seed));

        let mut r_mu = Vec::with_capacity(tpls.len());
        let mut r_sigma = Vec::with_capacity(tpls.len());
        let mut r_body = Vec::with_capacity(tpls.len());
        for t in &tpls {
            let (lo, hi, body_lo, body_hi) = match t.kind {
                Kind::Static => (0.001f64, 0.010f64, 2000, 400_000),
                Kind::Api => (0.004, 0.400, 80, 20_000),
                Kind::Page => (0.002, 0.150, 200, 60_000),
            };
            let med = rng.uniform(lo.ln(), hi.ln()).exp();
            let body = rng.randrange(body_lo, body_hi);
            r_mu.push(med.ln());
            r_sigma.push(rng.uniform(0.5, 1.1));
            r_body.push(body);
        }

        let route_cw = route_weights(tpls.len(), zipf)?;
        let st_cw = cumulative(STATUS_MIX.iter().map(|s| f64::from(s.weight)));
        let m_cw = cumulative(METHOD_MIX.iter().map(|m| f64::from(m.1)));
        let p_cw = cumulative(PROTO_MIX.iter().map(|p| f64::from(p.1)));
        let ua_cw = cumulative(USER_AGENTS.iter().map(|u| f64::from(u.1)));

        // 20 000 clients, 3 % IPv6; the format arguments are evaluated left
        // to right, which fixes the order of the draws.
        const FIRST_OCTETS: [u32; 10] = [10, 66, 73, 81, 94, 103, 172, 185, 192, 203];
        let mut ips = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let ip = if rng.random() < 0.03 {
                let a = rng.getrandbits(16);
                let b = rng.getrandbits(16);
                let c = rng.getrandbits(16);
                format!("2001:db8:{a:x}:{b:x}::{c:x}")
            } else {
                let a = *rng.choice(&FIRST_OCTETS);
                let b = rng.getrandbits(8);
                let c = rng.getrandbits(8);
                let d = 1 + rng.randbelow(254);
                format!("{a}.{b}.{c}.{d}")
            };
            ips.push(ip.into_bytes().into_boxed_slice());
        }
        let ip_cw = cumulative((0..ips.len()).map(|i| 1.0 / ((i + 1) as f64).powf(0.8)));

        let mut users = vec!["-"; 97];
        users.extend(["alice", "bob", "svc-deploy"]);

        // The list can never be empty ("/" is always template 0), so the
        // Python's `or [f"https://{host}/"]` fallback is not needed.
        let internal: Vec<String> = tpls
            .iter()
            .take(80)
            .filter(|t| t.nids == 0 && t.kind != Kind::Static)
            .map(|t| format!("https://{host}{}", t.text))
            .collect();
        let mut refs: Vec<String> = vec!["-".to_string(); 40];
        refs.extend(internal.into_iter().take(40));
        for _ in 0..2 {
            refs.extend(REF_EXTERNAL.iter().map(|r| r.to_string()));
        }
        refs.resize(100, "-".to_string());

        Ok(World {
            tpls,
            r_mu,
            r_sigma,
            r_body,
            route_cw,
            st_cw,
            m_cw,
            p_cw,
            ua_cw,
            ips,
            ip_cw,
            users,
            refs,
        })
    }

    pub(crate) fn user_agent(i: usize) -> &'static str {
        USER_AGENTS[i].0
    }
}
