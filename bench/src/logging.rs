//! `send --logging KIND`: what receives the core's log records during a run that measures
//! the cost of logging while it is disabled (issue 16: < 2 % of send throughput).
//!
//! - `none`: nothing installed, the Rust default (every `tracing` statement is one
//!   relaxed load of the global level filter);
//! - `subscriber`: a `tracing` fmt subscriber at WARN writing to nowhere: installed, with
//!   everything a healthy send path logs (debug, info) filtered out;
//! - `sink`: the bindings' sink (`edgemodule_ffi::logging`) at WARN, as Python, Node, Java,
//!   .NET and C install it when the host logger is at its default level.
//!
//! - `count`: a subscriber that enables every level of edgemodule's own records and only
//!   counts them: how many log statements a send actually reaches (the others measure what
//!   those statements cost while disabled).
//!
//! Records that do arrive are counted and reported, so a run that logged is visible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use edgemodule_ffi::logging::{self, LogLevel, LogRecord, LogSink, LogThreadHooks};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Counts edgemodule's own events, formats nothing.
struct Counting(Arc<AtomicU64>);

impl<S: tracing::Subscriber> Layer<S> for Counting {
    fn on_event(&self, _: &tracing::Event<'_>, _: Context<'_, S>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts the records a run's receiver got (`subscriber` cannot count: its writer drops).
#[derive(Debug, Default, Clone)]
pub struct Received(Arc<AtomicU64>);

impl Received {
    /// Records handed to the sink so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Installs the receiver `kind` names for the rest of the process.
pub fn install(kind: &str) -> Result<Received, String> {
    let received = Received::default();
    match kind {
        "none" => {}
        "subscriber" => {
            tracing_subscriber::fmt()
                .with_writer(std::io::sink)
                .with_max_level(LevelFilter::WARN)
                .try_init()
                .map_err(|e| format!("--logging subscriber: {e}"))?;
        }
        "sink" => {
            let count = received.0.clone();
            let sink: LogSink = Arc::new(move |_: &LogRecord| {
                count.fetch_add(1, Ordering::Relaxed);
            });
            logging::set_sink(Some(LogLevel::Warn), sink, LogThreadHooks::default())
                .map_err(|e| format!("--logging sink: {e}"))?;
        }
        "count" => {
            let filter = tracing_subscriber::filter::Targets::new()
                .with_target("edgemodule", LevelFilter::TRACE)
                .with_default(LevelFilter::WARN);
            let subscriber = tracing_subscriber::registry()
                .with(Counting(received.0.clone()).with_filter(filter));
            tracing::subscriber::set_global_default(subscriber)
                .map_err(|e| format!("--logging count: {e}"))?;
        }
        other => {
            return Err(format!(
                "--logging {other}: not none, subscriber, sink or count"
            ))
        }
    }
    Ok(received)
}

/// Nanoseconds one `debug!` statement of edgemodule's costs under the installed receiver
/// (which filters DEBUG out, except `count`): the best of a few batches, single thread.
pub fn disabled_statement_ns() -> f64 {
    const CALLS: u64 = 2_000_000;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        for i in 0..CALLS {
            tracing::debug!(target: "edgemodule::bench", attempt = std::hint::black_box(i), "a disabled record");
        }
        best = best.min(start.elapsed().as_nanos() as f64 / CALLS as f64);
    }
    best
}
