//! The core's `tracing` records, handed to the host language's own logging.
//!
//! A binding calls [`set_sink`] with the most verbose level its host logger wants and a
//! closure that passes a [`LogRecord`] to that logger (Python's `logging`, a Node logger
//! object, Java's `System.Logger`, a .NET delegate, a C callback). The records:
//!
//! - come from edgemodule's own code at the chosen level, and from the libraries beneath it
//!   (MQTT, TLS) at `WARN` and above only;
//! - cost one relaxed atomic load per log statement while logging is off or the statement's
//!   level is above the chosen one: `tracing`'s global level filter is kept equal to it, so
//!   nothing is formatted;
//! - are formatted on the thread that logs them, then queued (bounded: past
//!   [`QUEUE_CAPACITY`] records are dropped and counted, never waited for) to one dedicated
//!   thread, `edgemodule-log`, the only thread that calls the sink. Host code therefore never
//!   runs on a runtime worker or under a lock of edgemodule, and a slow host logger slows
//!   no connection.
//!
//! [`runtime::shutdown`](crate::runtime::shutdown) stops and joins the log thread, so managed
//! hosts exit cleanly.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use edgemodule::{Error, ErrorKind, Result};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::panic::guard_unit;

/// Records queued for the log thread at most; more are dropped and counted.
pub const QUEUE_CAPACITY: usize = 10_000;

/// Target prefix of edgemodule's own records (core, bindings).
const OWN_TARGET: &str = "edgemodule";

/// A record's severity. The numbers are part of the C ABI (0 means "off").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum LogLevel {
    /// Something failed.
    Error = 1,
    /// Something went wrong and was handled (a lost connection, a refused subscription).
    Warn = 2,
    /// A milestone (connected, token renewed).
    Info = 3,
    /// Detail for diagnosing a problem.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LogLevel {
    /// The level with ABI number `n`; `None` for 0 ("off") and unknown numbers.
    pub fn from_number(n: i64) -> Option<LogLevel> {
        match n {
            1 => Some(LogLevel::Error),
            2 => Some(LogLevel::Warn),
            3 => Some(LogLevel::Info),
            4 => Some(LogLevel::Debug),
            5 => Some(LogLevel::Trace),
            _ => None,
        }
    }

    /// Lower-case name (`"warn"`).
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }

    fn filter(level: Option<LogLevel>) -> LevelFilter {
        match level {
            None => LevelFilter::OFF,
            Some(LogLevel::Error) => LevelFilter::ERROR,
            Some(LogLevel::Warn) => LevelFilter::WARN,
            Some(LogLevel::Info) => LevelFilter::INFO,
            Some(LogLevel::Debug) => LevelFilter::DEBUG,
            Some(LogLevel::Trace) => LevelFilter::TRACE,
        }
    }
}

/// One log record, ready for a host logger.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
    /// Where it comes from: a Rust module path such as `edgemodule::connection::event_loop`.
    pub target: &'static str,
    /// The message.
    pub message: String,
    /// Structured fields (`module`, `reason`, `attempt`, …) in the order they were logged.
    pub fields: Vec<(&'static str, String)>,
}

impl LogRecord {
    /// The part of edgemodule the record comes from, for child loggers: `connection` for
    /// `edgemodule::connection::event_loop`, `client` for the crate root, `rumqttc` for
    /// other libraries.
    pub fn area(&self) -> &str {
        let mut parts = self.target.split("::");
        let first = parts.next().unwrap_or_default();
        if first.starts_with(OWN_TARGET) {
            parts.next().unwrap_or("client")
        } else {
            first
        }
    }

    /// The fields as `name=value` pairs separated by spaces (values with spaces quoted).
    pub fn fields_text(&self) -> String {
        let mut text = String::new();
        for (name, value) in &self.fields {
            if !text.is_empty() {
                text.push(' ');
            }
            if value.contains(' ') || value.is_empty() {
                let _ = write!(text, "{name}={value:?}");
            } else {
                let _ = write!(text, "{name}={value}");
            }
        }
        text
    }
}

/// What a binding passes to [`set_sink`]: called on the log thread for every record.
pub type LogSink = Arc<dyn Fn(&LogRecord) + Send + Sync>;

/// Hooks run on the log thread when it starts and before it exits (attach to and detach from
/// a JVM, for example).
#[derive(Default)]
pub struct LogThreadHooks {
    /// Runs first on the log thread.
    pub on_start: Option<Box<dyn FnOnce() + Send>>,
    /// Runs last on the log thread.
    pub on_exit: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for LogThreadHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogThreadHooks").finish_non_exhaustive()
    }
}

/// The chosen level as a number (0 = off): read on every log statement.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static SINK_PANICS: AtomicU64 = AtomicU64::new(0);
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
static STATE: Mutex<State> = Mutex::new(State {
    sink: None,
    queue: VecDeque::new(),
    thread: None,
    stopping: false,
    shut_down: false,
});
static WAKE: Condvar = Condvar::new();

struct State {
    sink: Option<LogSink>,
    queue: VecDeque<LogRecord>,
    thread: Option<JoinHandle<()>>,
    stopping: bool,
    shut_down: bool,
}

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sends edgemodule's records up to `max_level` to `sink` (replacing any earlier sink);
/// `None` turns logging off but keeps the sink. The first call installs edgemodule's
/// `tracing` dispatcher for the process and starts the log thread (running `hooks`).
///
/// `CONFIG` when another `tracing` dispatcher was installed first (only possible when the
/// bindings crate is embedded in a Rust program), `CLOSED` after `runtime::shutdown`.
pub fn set_sink(max_level: Option<LogLevel>, sink: LogSink, hooks: LogThreadHooks) -> Result<()> {
    install_dispatcher()?;
    let mut st = state();
    if st.shut_down {
        return Err(Error::new(
            ErrorKind::Closed,
            "edgemodule was shut down; logging cannot be configured any more",
        ));
    }
    st.sink = Some(sink);
    if st.thread.is_none() {
        let thread = std::thread::Builder::new()
            .name("edgemodule-log".to_string())
            .spawn(move || run(hooks))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    format!("cannot start the log thread: {e}"),
                )
            })?;
        st.thread = Some(thread);
    }
    drop(st);
    set_max_level(max_level);
    Ok(())
}

/// Changes the most verbose level forwarded (`None`: off) without changing the sink.
pub fn set_max_level(max_level: Option<LogLevel>) {
    MAX_LEVEL.store(max_level.map_or(0, |l| l as u8), Ordering::Relaxed);
    // Recomputes tracing's global level filter from `max_level_hint`.
    tracing::callsite::rebuild_interest_cache();
}

/// The most verbose level forwarded now (`None`: off).
pub fn max_level() -> Option<LogLevel> {
    LogLevel::from_number(i64::from(MAX_LEVEL.load(Ordering::Relaxed)))
}

/// Turns logging off and releases the sink (on the log thread, after queued records).
pub fn clear_sink() {
    set_max_level(None);
    let mut st = state();
    st.sink = None;
    WAKE.notify_all();
}

/// Records dropped so far because the queue was full.
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Records whose sink call panicked (or threw, where the binding turns that into a panic).
pub fn sink_failures() -> u64 {
    SINK_PANICS.load(Ordering::Relaxed)
}

/// Stops the log thread after it has passed on what is queued, waiting until `deadline`.
/// False when it did not stop in time. Called by `runtime::shutdown`.
pub(crate) fn shutdown(deadline: Instant) -> bool {
    set_max_level(None);
    let thread = {
        let mut st = state();
        st.shut_down = true;
        st.stopping = true;
        WAKE.notify_all();
        st.thread.take()
    };
    let Some(thread) = thread else {
        return true;
    };
    while !thread.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = thread.join();
    true
}

fn install_dispatcher() -> Result<()> {
    let installed = INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(HostSubscriber).map_err(|e| e.to_string())
    });
    installed.clone().map_err(|e| {
        Error::config(format!(
            "another tracing subscriber is installed in this process ({e}); edgemodule's \
             records go to it instead of the host logger"
        ))
    })
}

/// The log thread: passes queued records to the sink until shutdown.
fn run(hooks: LogThreadHooks) {
    if let Some(start) = hooks.on_start {
        guard_unit(start);
    }
    loop {
        let (batch, sink) = {
            let mut st = state();
            while st.queue.is_empty() && !st.stopping {
                st = WAKE.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if st.queue.is_empty() && st.stopping {
                // Released here, on this thread, like every other host reference.
                let sink = st.sink.take();
                drop(st);
                drop(sink);
                break;
            }
            (std::mem::take(&mut st.queue), st.sink.clone())
        };
        if let Some(sink) = sink {
            for record in &batch {
                // Not `guard_unit`: it logs the panic, which would come back here.
                if catch_unwind(AssertUnwindSafe(|| sink(record))).is_err() {
                    SINK_PANICS.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    if let Some(exit) = hooks.on_exit {
        guard_unit(exit);
    }
}

fn enqueue(record: LogRecord) {
    let mut st = state();
    if st.sink.is_none() || st.stopping {
        return;
    }
    if st.queue.len() >= QUEUE_CAPACITY {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    st.queue.push_back(record);
    WAKE.notify_one();
}

/// Whether a record with this metadata is wanted at the current level.
fn wanted(metadata: &Metadata<'_>) -> bool {
    let Some(max) = max_level() else {
        return false;
    };
    let level = LogLevel::of(metadata.level());
    if metadata.target().starts_with(OWN_TARGET) {
        level <= max
    } else {
        level <= max.min(LogLevel::Warn)
    }
}

/// The process-wide `tracing` subscriber of a bindings library. Spans are not tracked:
/// edgemodule logs events with their context as fields.
struct HostSubscriber;

impl Subscriber for HostSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level can change at any time: ask `enabled` each time (it is only reached
        // when the statement passes the global level filter).
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LogLevel::filter(max_level()))
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut fields = FieldCollector::default();
        event.record(&mut fields);
        enqueue(LogRecord {
            level: LogLevel::of(metadata.level()),
            target: metadata.target(),
            message: fields.message,
            fields: fields.fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Splits an event into its message and its other fields.
#[derive(Default)]
struct FieldCollector {
    message: String,
    fields: Vec<(&'static str, String)>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields.push((field.name(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.push((field.name(), format!("{value:?}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn record(target: &'static str) -> LogRecord {
        LogRecord {
            level: LogLevel::Info,
            target,
            message: String::new(),
            fields: vec![("module", "filter".into()), ("reason", "hub closed".into())],
        }
    }

    #[test]
    fn areas_and_field_text() {
        assert_eq!(
            record("edgemodule::connection::event_loop").area(),
            "connection"
        );
        assert_eq!(record("edgemodule").area(), "client");
        assert_eq!(record("edgemodule_ffi::hosted").area(), "hosted");
        assert_eq!(record("rumqttc::state").area(), "rumqttc");
        assert_eq!(
            record("edgemodule").fields_text(),
            "module=filter reason=\"hub closed\""
        );
        assert_eq!(LogLevel::from_number(0), None);
        assert_eq!(LogLevel::from_number(2), Some(LogLevel::Warn));
    }

    // One test drives the process-wide dispatcher from start to finish (tests of this
    // binary run in parallel and share it).
    #[test]
    fn records_reach_the_sink_at_the_chosen_level_only() {
        let (tx, rx) = mpsc::channel::<LogRecord>();
        let tx = Mutex::new(tx);
        let sink: LogSink = Arc::new(move |r: &LogRecord| {
            let _ = tx.lock().map(|tx| tx.send(r.clone()));
        });
        let on_log_thread = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&on_log_thread);
        let hooks = LogThreadHooks {
            on_start: Some(Box::new(move || {
                *seen.lock().unwrap() = std::thread::current().name().map(str::to_string);
            })),
            on_exit: None,
        };
        set_sink(Some(LogLevel::Info), sink, hooks).unwrap();
        let wait = Duration::from_secs(5);

        tracing::debug!(target: "edgemodule::connection", "too verbose");
        tracing::warn!(target: "rumqttc::state", "library warning");
        tracing::info!(target: "rumqttc::state", "library chatter");
        tracing::info!(target: "edgemodule::connection", module = "filter", attempt = 3, "reconnecting");
        let first = rx.recv_timeout(wait).unwrap();
        assert_eq!(first.message, "library warning");
        assert_eq!(first.level, LogLevel::Warn);
        let second = rx.recv_timeout(wait).unwrap();
        assert_eq!(second.message, "reconnecting");
        assert_eq!(second.area(), "connection");
        assert_eq!(
            second.fields,
            vec![
                ("module", "filter".to_string()),
                ("attempt", "3".to_string())
            ]
        );
        assert_eq!(
            on_log_thread.lock().unwrap().as_deref(),
            Some("edgemodule-log")
        );

        set_max_level(Some(LogLevel::Debug));
        assert!(tracing::enabled!(target: "edgemodule::x", Level::DEBUG));
        tracing::debug!(target: "edgemodule::twin", "now wanted");
        assert_eq!(rx.recv_timeout(wait).unwrap().message, "now wanted");

        set_max_level(None);
        assert!(!tracing::enabled!(target: "edgemodule::x", Level::ERROR));
        tracing::error!(target: "edgemodule::twin", "off");
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        assert_eq!(dropped(), 0);
    }
}
