//! Where the exporter's messages go.

use std::sync::Arc;

/// Where the exporter's messages go (push failures, server errors): stderr
/// by default; the dashboard passes a sink that shows them in its status
/// line instead of writing over the screen.
pub type Log = Arc<dyn Fn(String) + Send + Sync>;

pub fn stderr_log() -> Log {
    Arc::new(|m| eprintln!("routetop: {m}"))
}
