//! Library version and process-wide shutdown.

use std::ffi::c_char;
use std::time::Duration;

use edgemodule_ffi::runtime;

use crate::error::call;

/// Version of the C ABI: bumped only by an incompatible change. 2: input, desired and topic
/// callbacks return an outcome and take an `edgemodule_handler_call_t` (the core's handler
/// API); `EDGEMODULE_DISPOSITION_*` are gone.
pub const EDGEMODULE_ABI_VERSION: i32 = 2;

/// The library version, e.g. `"0.1.0"` (static, NUL-terminated).
#[no_mangle]
pub extern "C" fn edgemodule_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Shuts edgemodule down in this process, within `timeout_ms`: closes every client still
/// open (as `edgemodule_client_close`), stops the runtime and joins its threads and every
/// delivery thread. Call it once, after freeing your clients, before the process exits —
/// managed hosts (Mono/.NET, JVM) need it to exit cleanly and leak checkers then report
/// nothing. Afterwards every call fails with `EDGEMODULE_E_CLOSED` (handles may still be
/// freed). Do not call it from a callback. `EDGEMODULE_E_TIMEOUT` when some thread did not
/// stop in time.
#[no_mangle]
pub extern "C" fn edgemodule_shutdown(timeout_ms: u32) -> i32 {
    call(|| {
        if runtime::in_async_context() {
            // Let the shared shutdown refuse it, touching nothing.
            return runtime::shutdown(Duration::ZERO);
        }
        crate::client::close_all_handlers();
        runtime::shutdown(Duration::from_millis(u64::from(timeout_ms)))
    })
}
