//! Route templating on any request target, with and without templating
//! and with a user rule from the first line (`REGEX=TEMPLATE`, skipped
//! when it does not parse). Holds the router to what the engine's route
//! cache relies on: a route is at most `MAX_ROUTE_LEN` bytes (a longer one
//! is cut to end in `...`); a target's route is the route of its lookup
//! key; and a target the fast path says is its own route has its lookup
//! key as its route. Without user rules, routing is idempotent: a route
//! that was not cut is its own route (placeholders like `:id` are kept).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::route::{MAX_ROUTE_LEN, RouteRule, Router};
use routetop_fuzz::split_spec;

fuzz_target!(|data: &[u8]| {
    let (rule, targets) = split_spec(data);
    let mut routers = vec![
        Router::new(&[], true).expect("no rules"),
        Router::new(&[], false).expect("no rules"),
    ];
    if let Some(r) = std::str::from_utf8(rule)
        .ok()
        .and_then(|r| r.parse::<RouteRule>().ok())
        && let Ok(router) = Router::new(&[r], true)
    {
        routers.push(router);
    }
    let (mut out, mut again, mut key_buf) = (Vec::new(), Vec::new(), Vec::new());
    for target in targets.split(|&c| c == b'\n') {
        for (i, router) in routers.iter().enumerate() {
            router.route(target, &mut out);
            assert!(out.len() <= MAX_ROUTE_LEN, "route of {} bytes", out.len());
            if i < 2 && out.len() < MAX_ROUTE_LEN {
                router.route(&out, &mut again);
                assert_eq!(
                    out, again,
                    "route {out:?} of {target:?} is not its own route"
                );
            }
            let key = router.lookup_key(target, &mut key_buf).map(<[u8]>::to_vec);
            if let Some(key) = key {
                router.route(&key, &mut again);
                assert_eq!(
                    out, again,
                    "route of {target:?} is not the route of its key {key:?}"
                );
                if router.is_own_key(target) {
                    assert_eq!(out, key, "{target:?} is not its own route");
                }
            }
        }
    }
});
