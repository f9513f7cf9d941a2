//! What this binary is: its version, the git commit and date it was built
//! from, its features, compiler and target (set by `build.rs`). Shown by
//! `-V` (short) and `--version` (long), and as the labels of the
//! `routetop_build_info` metric, so a dashboard and a terminal name the same
//! build.

/// The package version, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit built (12 hex digits), or `unknown` outside git without
/// `cargo package`'s record.
pub const REVISION: &str = env!("ROUTETOP_REVISION");
/// The build date, `YYYY-MM-DD` UTC (`SOURCE_DATE_EPOCH` when set).
pub const BUILD_DATE: &str = env!("ROUTETOP_BUILD_DATE");
/// `rustc --version` of the compiler that built it.
pub const RUSTC: &str = env!("ROUTETOP_RUSTC");
/// Cargo features, `+on` / `-off`.
pub const FEATURES: &str = env!("ROUTETOP_FEATURES");
/// The target triple and the cargo profile.
pub const TARGET: &str = env!("ROUTETOP_TARGET");

/// `routetop -V`: the version, commit and build date (clap puts the name
/// in front).
pub const SHORT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rev ",
    env!("ROUTETOP_REVISION"),
    ", built ",
    env!("ROUTETOP_BUILD_DATE"),
    ")"
);

/// `routetop --version`: [`SHORT`], then the features, the target and the
/// compiler.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rev ",
    env!("ROUTETOP_REVISION"),
    ", built ",
    env!("ROUTETOP_BUILD_DATE"),
    ")\n\nfeatures: ",
    env!("ROUTETOP_FEATURES"),
    "\ntarget: ",
    env!("ROUTETOP_TARGET"),
    "\n",
    env!("ROUTETOP_RUSTC")
);

/// The compiler's version number alone (`1.91.0` of `rustc 1.91.0 (…)`),
/// for the metric's `rustc` label.
pub fn rustc_version() -> &'static str {
    RUSTC.split(' ').nth(1).unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_version_is_the_start_of_the_long_one() {
        assert_eq!(
            SHORT,
            format!("{VERSION} (rev {REVISION}, built {BUILD_DATE})")
        );
        assert_eq!(
            LONG,
            format!("{SHORT}\n\nfeatures: {FEATURES}\ntarget: {TARGET}\n{RUSTC}")
        );
    }

    #[test]
    fn build_facts_have_their_shapes() {
        assert!(
            REVISION == "unknown"
                || (REVISION.len() == 12 && REVISION.bytes().all(|b| b.is_ascii_hexdigit())),
            "{REVISION}"
        );
        let d = BUILD_DATE.as_bytes();
        assert_eq!(d.len(), 10, "{BUILD_DATE}");
        assert!(d[4] == b'-' && d[7] == b'-', "{BUILD_DATE}");
        assert!(RUSTC.starts_with("rustc "), "{RUSTC}");
        assert!(
            rustc_version().split('.').count() == 3,
            "{}",
            rustc_version()
        );
        let testkit = if cfg!(feature = "testkit") { "+" } else { "-" };
        assert_eq!(FEATURES, format!("{testkit}testkit"));
    }
}
