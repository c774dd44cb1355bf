//! The core's log records in Java's own logging: `edgemodule_ffi::logging` hands each record
//! to one thread, `edgemodule-log` (attached to the JVM as a daemon), which passes it to
//! `NativeCallbacks.log` and from there to the `System.Logger` named `dev.edgemodule` (so
//! java.util.logging, or SLF4J/Logback/Log4j through their `System.LoggerFinder` bridges,
//! receive it). Java sets the level from that logger's `isLoggable`; below it, and while it
//! is off, nothing is formatted.

use std::sync::Arc;

use edgemodule_ffi::logging::{self, LogLevel, LogRecord, LogSink, LogThreadHooks};
use jni::objects::{JClass, JValue};
use jni::sys::jint;
use jni::EnvUnowned;

use crate::error::entry;
use crate::jvm::{self, Callback};

/// The text of a record: `area: message field=value …` (the structured fields as
/// `name=value` pairs, as `System.Logger` has no fields of its own).
pub(crate) fn text(record: &LogRecord) -> String {
    let fields = record.fields_text();
    if fields.is_empty() {
        format!("{}: {}", record.area(), record.message)
    } else {
        format!("{}: {} {fields}", record.area(), record.message)
    }
}

/// Passes one record to Java (on the log thread). A failure cannot be logged (it would come
/// back here); the record is dropped.
fn forward(record: &LogRecord) {
    let _ = jvm::with_env(|env| {
        let text = env.new_string(text(record))?;
        jvm::call(
            env,
            Callback::Log,
            &[JValue::Int(record.level as i32), JValue::Object(&text)],
        )?;
        Ok(())
    });
}

/// `void setLogLevel(int level)`: forwards records up to `level` (1 error, 2 warning, 3 info,
/// 4 debug, 5 trace; 0 off). The first level above 0 starts the log thread.
#[export_name = "Java_dev_edgemodule_Native_setLogLevel__I"]
pub extern "system" fn set_log_level<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, level: jint) {
    entry(&mut env, |_env| {
        let Some(level) = LogLevel::from_number(i64::from(level)) else {
            logging::set_max_level(None);
            return Ok(());
        };
        let sink: LogSink = Arc::new(forward);
        let hooks = LogThreadHooks {
            on_start: Some(Box::new(|| jvm::attach_daemon("edgemodule-log"))),
            on_exit: Some(Box::new(jvm::detach_daemon)),
        };
        logging::set_sink(Some(level), sink, hooks)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_as_area_message_and_fields() {
        let mut record = LogRecord {
            level: LogLevel::Info,
            target: "edgemodule::connection::event_loop",
            message: "reconnecting".to_string(),
            fields: vec![
                ("module", "filter".to_string()),
                ("attempt", "2".to_string()),
            ],
        };
        assert_eq!(
            text(&record),
            "connection: reconnecting module=filter attempt=2"
        );
        record.fields.clear();
        assert_eq!(text(&record), "connection: reconnecting");
    }
}
