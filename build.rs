//! Build facts for `routetop --version` and the `routetop_build_info`
//! metric (`src/version.rs` reads them): the git commit, the build date, the
//! compiler and the target, as `ROUTETOP_*` compile-time variables.
//!
//! The commit comes from, in order: `ROUTETOP_REVISION` (a packager's
//! override), `.cargo_vcs_info.json` (written by `cargo package`, so a build
//! from a crates.io tarball names the commit it was cut from), the git
//! repository this crate is the top of, else `unknown`. The date is
//! `SOURCE_DATE_EPOCH` (reproducible builds) or today, in UTC.
//!
//! Cargo reruns this script only when what it read changes (the files named
//! by `rerun-if-changed`: git's HEAD, the branch's ref, packed refs), so an
//! edit to a source file does not rebuild for a new date: the date is that
//! of the build of this commit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ROUTETOP_REVISION");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());

    let revision = std::env::var("ROUTETOP_REVISION")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(|| vcs_info(&dir))
        .or_else(|| git_revision(&dir))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ROUTETOP_REVISION={revision}");

    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=ROUTETOP_BUILD_DATE={}", date(secs));

    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "rustc unknown".to_string());
    println!("cargo:rustc-env=ROUTETOP_RUSTC={rustc}");

    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=ROUTETOP_TARGET={target} ({profile})");

    // Cargo features, as `rg --version` lists them: + on, - off.
    let features: Vec<String> = [("testkit", "CARGO_FEATURE_TESTKIT")]
        .iter()
        .map(|(name, var)| {
            let on = std::env::var_os(var).is_some();
            format!("{}{name}", if on { '+' } else { '-' })
        })
        .collect();
    println!("cargo:rustc-env=ROUTETOP_FEATURES={}", features.join(","));
}

/// The commit `cargo package` recorded in the packaged crate.
fn vcs_info(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    let text = std::fs::read_to_string(&path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    let rest = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    let sha = &rest[start..start + len];
    (sha.len() >= 12 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha[..12].to_string())
}

/// HEAD's commit, when this crate is the top of a git work tree (not a
/// packaged copy inside another repository's `target/`).
fn git_revision(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // Rerun when HEAD moves: a checkout (HEAD), a commit (the branch's ref,
    // or packed-refs while the ref is packed).
    let mut watch = vec![git_path(dir, "HEAD")?, git_path(dir, "packed-refs")?];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        let reference = PathBuf::from(git_path(dir, &branch)?);
        // A packed ref has no file yet: watch its folder, where a commit
        // writes it.
        match reference.exists() {
            true => watch.push(reference.display().to_string()),
            false => watch.extend(reference.parent().map(|p| p.display().to_string())),
        }
    }
    for path in watch {
        // A missing path would rerun this script on every build.
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    git(dir, &["rev-parse", "--short=12", "HEAD"])
}

fn git_path(dir: &Path, what: &str) -> Option<String> {
    git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-path", what],
    )
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}

/// `YYYY-MM-DD` of a Unix time, UTC (Howard Hinnant's days-to-civil).
fn date(secs: u64) -> String {
    let days = (secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
