//! The benches' generated logs: named after their options, made once in
//! the data directory with `routetop_genlog`, reused after.
//! `scripts/bench-lib.sh` (`bench_data`) follows the same rules, so the
//! scripts and the cargo benches share the files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use routetop_genlog::{LogFormat, Options};

/// The seed of every generated bench log.
pub const SEED: i64 = 1;

/// Where generated logs go: `$BENCH_DIR`, else `$CARGO_TARGET_DIR/bench-data`,
/// else `target/bench-data` in the repository.
pub fn dir() -> PathBuf {
    let set = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty());
    if let Some(d) = set("BENCH_DIR") {
        return d.into();
    }
    let target = set("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("bench-data")
}

/// The options of a generated bench log: genlog's defaults (rate, start,
/// Zipf exponent, host, no bad lines), combined_rt, seed [`SEED`].
pub fn genlog_options(lines: u64, routes: usize) -> Options {
    Options {
        lines,
        routes,
        seed: SEED,
        format: LogFormat::CombinedRt,
        ..Options::default()
    }
}

/// The file name that says the options of [`genlog_options`].
pub fn genlog_name(lines: u64, routes: usize) -> String {
    format!(
        "genlog_{}_lines{lines}_routes{routes}_seed{SEED}.log",
        LogFormat::CombinedRt.name()
    )
}

/// Where the log of `lines` lines and `routes` routes is (or will be).
pub fn genlog_path(lines: u64, routes: usize) -> PathBuf {
    dir().join(genlog_name(lines, routes))
}

/// The log of `lines` lines and `routes` routes, generated now if the data
/// directory does not hold it yet (into a temporary name, then renamed, so
/// that an interrupted run leaves no partial file behind).
pub fn genlog_file(lines: u64, routes: usize) -> PathBuf {
    let path = genlog_path(lines, routes);
    if path.is_file() {
        return path;
    }
    let dir = dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    eprintln!(
        "generating {} ({lines} lines of combined_rt, {routes} routes, seed {SEED})…",
        path.display()
    );
    let t = Instant::now();
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        routetop_genlog::generate(&genlog_options(lines, routes), &mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        panic!("generating {}: {e}", path.display());
    }
    eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
    path
}
