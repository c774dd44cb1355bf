//! The log callback (issue 16): the core's records handed to a C function on the
//! `edgemodule-log` thread (`edgemodule_ffi::logging`). Process-wide, not per client.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use edgemodule_core::Result;
use edgemodule_ffi::logging::{self, LogLevel, LogRecord, LogThreadHooks};

use crate::args::c_text;
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::error::{call, invalid};

/// Logging off.
pub const EDGEMODULE_LOG_OFF: i32 = 0;
/// Something failed.
pub const EDGEMODULE_LOG_ERROR: i32 = 1;
/// Something went wrong and was handled (a lost connection, a failed handler).
pub const EDGEMODULE_LOG_WARN: i32 = 2;
/// A milestone (connected, reconnecting, token renewed).
pub const EDGEMODULE_LOG_INFO: i32 = 3;
/// Detail for diagnosing a problem.
pub const EDGEMODULE_LOG_DEBUG: i32 = 4;
/// Everything.
pub const EDGEMODULE_LOG_TRACE: i32 = 5;

/// One log record: `level` is an `EDGEMODULE_LOG_*` value (ERROR … TRACE); `target` is where
/// it comes from (`edgemodule::connection::event_loop`), `area` the part of edgemodule
/// (`connection`, `client`, …, or another library's name), `message` the text and `fields`
/// its structured fields as `name=value` pairs separated by spaces (`module=filter
/// reason=NO_NETWORK attempt=2`; empty when none). Every string is borrowed for the call,
/// with its length, and also NUL-terminated. Runs on the `edgemodule-log` thread, never on
/// a thread of yours or under a lock of edgemodule; one record at a time.
pub type edgemodule_log_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        level: i32,
        target: *const c_char,
        target_len: usize,
        area: *const c_char,
        area_len: usize,
        message: *const c_char,
        message_len: usize,
        fields: *const c_char,
        fields_len: usize,
    ),
>;

type LogFn = unsafe extern "C" fn(
    *mut c_void,
    i32,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
);

/// The level for an `EDGEMODULE_LOG_*` value (`None`: off).
fn level(max_level: i32) -> Result<Option<LogLevel>> {
    match LogLevel::from_number(i64::from(max_level)) {
        Some(level) => Ok(Some(level)),
        None if max_level == EDGEMODULE_LOG_OFF => Ok(None),
        None => Err(invalid(format!(
            "max_level {max_level} is not an EDGEMODULE_LOG_* value (0-5)"
        ))),
    }
}

fn forward(callback: &HostCallback<LogFn>, func: LogFn, record: &LogRecord) {
    let target = c_text(record.target);
    let area = c_text(record.area());
    let message = c_text(&record.message);
    let fields = c_text(&record.fields_text());
    // SAFETY: host callback with its context; the strings outlive the call.
    unsafe {
        func(
            callback.ctx(),
            record.level as i32,
            target.as_ptr(),
            target.as_bytes().len(),
            area.as_ptr(),
            area.as_bytes().len(),
            message.as_ptr(),
            message.as_bytes().len(),
            fields.as_ptr(),
            fields.as_bytes().len(),
        )
    };
}

/// Sends edgemodule's log records up to `max_level` (an `EDGEMODULE_LOG_*` value;
/// `EDGEMODULE_LOG_OFF` keeps `cb` registered but sends nothing) to `cb`, replacing an
/// earlier log callback; `cb = NULL` turns logging off and releases the callback. Records of
/// edgemodule itself come at the chosen level, those of the libraries beneath it (MQTT, TLS)
/// from WARN up. Zero cost while off: nothing is formatted. Records are queued to the
/// `edgemodule-log` thread (past 10 000 waiting, new ones are dropped rather than slowing
/// the client). A replaced callback's `ctx_free` runs after its last call.
/// `EDGEMODULE_E_INVALID_ARGUMENT` for an unknown level, `EDGEMODULE_E_CLOSED` after
/// `edgemodule_shutdown`; `ctx_free` then runs at once.
///
/// # Safety
/// `ctx` is valid for `cb`/`ctx_free` (from the `edgemodule-log` thread).
#[no_mangle]
pub unsafe extern "C" fn edgemodule_set_log_callback(
    max_level: i32,
    cb: edgemodule_log_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback: HostCallback<LogFn> = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        let max_level = level(max_level)?;
        let Some(func) = callback.func else {
            logging::clear_sink();
            return Ok(());
        };
        let sink = Arc::new(move |record: &LogRecord| forward(&callback, func, record));
        logging::set_sink(max_level, sink, LogThreadHooks::default())
    })
}

/// Changes the most verbose level sent to the log callback (`EDGEMODULE_LOG_OFF`: none)
/// without replacing it. `EDGEMODULE_E_INVALID_ARGUMENT` for an unknown level.
#[no_mangle]
pub extern "C" fn edgemodule_set_log_level(max_level: i32) -> i32 {
    call(|| {
        logging::set_max_level(level(max_level)?);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_the_shared_numbers() {
        assert_eq!(level(EDGEMODULE_LOG_OFF).unwrap(), None);
        for (n, l) in [
            (EDGEMODULE_LOG_ERROR, LogLevel::Error),
            (EDGEMODULE_LOG_WARN, LogLevel::Warn),
            (EDGEMODULE_LOG_INFO, LogLevel::Info),
            (EDGEMODULE_LOG_DEBUG, LogLevel::Debug),
            (EDGEMODULE_LOG_TRACE, LogLevel::Trace),
        ] {
            assert_eq!(level(n).unwrap(), Some(l));
            assert_eq!(l as i32, n);
        }
        assert!(level(6).is_err() && level(-1).is_err());
        assert_eq!(
            edgemodule_set_log_level(9),
            crate::EDGEMODULE_E_INVALID_ARGUMENT
        );
    }
}
