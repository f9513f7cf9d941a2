//! The TLS crypto provider of both ends that speak TLS: the `/metrics`
//! server (`web.rs`) and the push client (`push.rs`).

use std::sync::Arc;

use tokio_rustls::rustls::crypto::CryptoProvider;

/// rustls' *ring* provider, named explicitly rather than through the
/// process-wide default (which panics at the first TLS connection if a
/// dependency ever enables a second provider).
///
/// rustls 0.23.48 deprecates it for lacking post-quantum key exchange; the
/// alternative, aws-lc-rs, is a C library built from source (a C toolchain
/// for every `cargo install`, minutes of build, megabytes of binary) for a
/// key exchange that a scrape or a push on a private network does not need
/// yet. Hence `allow(deprecated)`, here only: builds resolved without
/// `Cargo.lock` (`cargo install` without `--locked`) stay free of warnings.
#[allow(deprecated)]
pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::ring::default_provider())
}
