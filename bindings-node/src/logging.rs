//! The core's log records for JavaScript loggers (issue 16), through `edgemodule-ffi`'s
//! `logging` module: records are formatted where they are logged, queued to its
//! `edgemodule-log` thread, and from there handed to one weak, non-blocking ThreadsafeFunction
//! (never waited for, never keeping the process alive). With no level set, a log statement
//! costs one atomic load.

use std::sync::Arc;

use edgemodule_ffi::logging::{self, LogLevel, LogRecord, LogThreadHooks};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::error::{invalid_argument, to_napi};
use crate::listeners::Callback;

/// One record from the core.
#[napi(object)]
pub struct NativeLogRecord {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// The Rust module it comes from, e.g. `edgemodule::connection::event_loop`.
    pub target: String,
    /// The part of edgemodule, for namespaces: `connection`, `twin`, `client`, …
    pub area: String,
    /// The message.
    pub message: String,
    /// Structured fields (`module`, `reason`, `attempt`, `delay_ms`, `error`, …).
    pub fields: Value,
    /// The fields as `name=value` text.
    pub fields_text: String,
}

impl From<&LogRecord> for NativeLogRecord {
    fn from(r: &LogRecord) -> Self {
        let fields: Map<String, Value> = r
            .fields
            .iter()
            .map(|(name, value)| ((*name).to_string(), Value::from(value.as_str())))
            .collect();
        NativeLogRecord {
            level: r.level.name().to_string(),
            target: r.target.to_string(),
            area: r.area().to_string(),
            message: r.message.clone(),
            fields: Value::Object(fields),
            fields_text: r.fields_text(),
        }
    }
}

/// `None` for `null`/`"off"`, else the level of that name (`LogLevel::name`).
fn parse_level(level: Option<&str>) -> napi::Result<Option<LogLevel>> {
    match level {
        None | Some("off") => Ok(None),
        Some(name) => (1..=5)
            .filter_map(LogLevel::from_number)
            .find(|l| l.name() == name)
            .map(Some)
            .ok_or_else(|| {
                invalid_argument(format!(
                    "log level {name:?} is not one of off, error, warn, info, debug, trace"
                ))
            }),
    }
}

/// Sends the core's records up to `level` (`null`/`"off"`: none) to `sink`, replacing an
/// earlier sink.
#[napi(ts_args_type = "level: string | null, sink: (record: NativeLogRecord) => void")]
pub fn set_log_sink(level: Option<String>, sink: Callback<NativeLogRecord>) -> napi::Result<()> {
    let level = parse_level(level.as_deref())?;
    let sink = Arc::new(sink);
    logging::set_sink(
        level,
        Arc::new(move |record: &LogRecord| {
            // Non-blocking: a full or closing queue drops the record, never waits.
            let _ = sink.call(
                NativeLogRecord::from(record),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }),
        LogThreadHooks::default(),
    )
    .map_err(to_napi)
}

/// Changes the most verbose level forwarded (`null`/`"off"`: none, zero cost).
#[napi(catch_unwind)]
pub fn set_log_level(level: Option<String>) -> napi::Result<()> {
    logging::set_max_level(parse_level(level.as_deref())?);
    Ok(())
}

/// The level names, least verbose first (`error` … `trace`).
#[napi]
pub fn log_levels() -> Vec<String> {
    (1..=5)
        .filter_map(LogLevel::from_number)
        .map(|l| l.name().to_string())
        .collect()
}
