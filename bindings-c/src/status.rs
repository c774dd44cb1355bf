//! Connection status: current value and change callback.

use std::ffi::{c_char, c_void};

use edgemodule_core::ConnectionStatus;
use edgemodule_ffi::codes::{self, reason_code, state_code};
use edgemodule_ffi::hosted::slots;

use crate::args::out_arg;
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::call;

// The codes are ABI; names and descriptions are the core's tables (docs/core-policies.md §2):
// edgemodule_state_name, edgemodule_reason_name and edgemodule_reason_description read them.

/// `DISCONNECTED`: not connected and not retrying.
pub const EDGEMODULE_STATE_DISCONNECTED: i32 = 0;
/// `CONNECTED`: connected, subscribed and ready.
pub const EDGEMODULE_STATE_CONNECTED: i32 = 1;
/// `DISCONNECTED_RETRYING`: not connected; retrying in the background.
pub const EDGEMODULE_STATE_DISCONNECTED_RETRYING: i32 = 2;
/// `CLOSED`: the client was closed.
pub const EDGEMODULE_STATE_CLOSED: i32 = 3;

/// `OK` (see `edgemodule_reason_description`).
pub const EDGEMODULE_REASON_OK: i32 = 0;
/// `EXPIRED_SAS_TOKEN`.
pub const EDGEMODULE_REASON_EXPIRED_SAS_TOKEN: i32 = 1;
/// `BAD_CREDENTIAL`.
pub const EDGEMODULE_REASON_BAD_CREDENTIAL: i32 = 2;
/// `NO_NETWORK`.
pub const EDGEMODULE_REASON_NO_NETWORK: i32 = 3;
/// `RETRY_EXPIRED`: reconnecting stopped after option `retry_give_up_after_ms`.
pub const EDGEMODULE_REASON_RETRY_EXPIRED: i32 = 4;
/// `COMMUNICATION_ERROR`.
pub const EDGEMODULE_REASON_COMMUNICATION_ERROR: i32 = 5;
/// `CLIENT_CLOSE`: the application closed the client.
pub const EDGEMODULE_REASON_CLIENT_CLOSE: i32 = 6;

/// The name of a connection state code (`"CONNECTED"`, …), or NULL for an unknown code. A
/// static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_state_name(state: i32) -> *const c_char {
    codes::state_name_cstr(state).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The name of a status reason code (`"EXPIRED_SAS_TOKEN"`, …), or NULL for an unknown
/// code. A static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_reason_name(reason: i32) -> *const c_char {
    codes::reason_name_cstr(reason).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The description of a status reason code (from the core's table), or NULL for an unknown
/// code. A static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_reason_description(reason: i32) -> *const c_char {
    codes::reason_description_cstr(reason).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// A connection status change: `state` is an `EDGEMODULE_STATE_*` value and `reason` an
/// `EDGEMODULE_REASON_*` value. Runs on the client's delivery thread.
pub type edgemodule_status_cb =
    Option<unsafe extern "C" fn(ctx: *mut c_void, state: i32, reason: i32)>;

type StatusFn = unsafe extern "C" fn(*mut c_void, i32, i32);

/// The current connection status.
///
/// # Safety
/// `client` is live; `state` and `reason` are writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_get_status(
    client: *const edgemodule_client_t,
    state: *mut i32,
    reason: *mut i32,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let (state, reason) = unsafe { (out_arg(state, "state")?, out_arg(reason, "reason")?) };
        let status = *hosted.client().status().borrow();
        *state = state_code(status.state);
        *reason = reason_code(status.reason);
        Ok(())
    })
}

/// Registers `cb` for connection status changes from now on (replacing an earlier one);
/// `cb = NULL` unregisters. The change to CLOSED caused by closing the client is not
/// delivered (no callback runs after close).
///
/// # Safety
/// `client` is live; `ctx` is valid for the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_status_callback(
    client: *const edgemodule_client_t,
    cb: edgemodule_status_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback: HostCallback<StatusFn> = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let handler = callback.func.map(|func| {
            move |status: ConnectionStatus| {
                // SAFETY: host callback with its context.
                unsafe {
                    func(
                        callback.ctx(),
                        state_code(status.state),
                        reason_code(status.reason),
                    )
                };
            }
        });
        hosted.set_or_clear(slots::STATUS, handler, || hosted.client().status_changes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn text(ptr: *const c_char) -> &'static str {
        assert!(!ptr.is_null());
        // SAFETY: a static NUL-terminated string.
        unsafe { CStr::from_ptr(ptr) }.to_str().unwrap()
    }

    #[test]
    fn names_and_descriptions_are_the_core_tables() {
        for info in &edgemodule_core::STATES {
            assert_eq!(text(edgemodule_state_name(info.code)), info.name);
        }
        for info in &edgemodule_core::REASONS {
            assert_eq!(text(edgemodule_reason_name(info.code)), info.name);
            assert_eq!(
                text(edgemodule_reason_description(info.code)),
                info.description
            );
        }
        assert_eq!(
            text(edgemodule_state_name(EDGEMODULE_STATE_CLOSED)),
            "CLOSED"
        );
        assert_eq!(
            text(edgemodule_reason_name(EDGEMODULE_REASON_RETRY_EXPIRED)),
            "RETRY_EXPIRED"
        );
        assert!(edgemodule_state_name(4).is_null());
        assert!(edgemodule_reason_description(-1).is_null());
    }
}
