//! Structured logs on stderr through tracing-subscriber, text or JSON; `RUST_LOG` wins over
//! the command-line filter.

use tracing_subscriber::EnvFilter;

use super::args::LogFormat;

/// Installs the global subscriber. A second call (e.g. in tests) is ignored.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // Already installed: keep the first one.
    drop(result);
}
