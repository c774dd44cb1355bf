//! Connection status: current value and change callback.

use std::ffi::c_void;

use edgemodule_core::ConnectionStatus;
use edgemodule_ffi::codes::{reason_code, state_code};
use edgemodule_ffi::hosted::slots;

use crate::args::out_arg;
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::call;

/// Not connected and not retrying (not started yet, bad credentials, retries expired).
pub const EDGEMODULE_STATE_DISCONNECTED: i32 = 0;
/// Connected, subscribed and ready.
pub const EDGEMODULE_STATE_CONNECTED: i32 = 1;
/// Not connected; retrying in the background.
pub const EDGEMODULE_STATE_DISCONNECTED_RETRYING: i32 = 2;
/// The client was closed.
pub const EDGEMODULE_STATE_CLOSED: i32 = 3;

/// Nothing wrong.
pub const EDGEMODULE_REASON_OK: i32 = 0;
/// The SAS token expired (or its renewal failed).
pub const EDGEMODULE_REASON_EXPIRED_SAS_TOKEN: i32 = 1;
/// The hub refused the credentials.
pub const EDGEMODULE_REASON_BAD_CREDENTIAL: i32 = 2;
/// The hub could not be reached.
pub const EDGEMODULE_REASON_NO_NETWORK: i32 = 3;
/// Reconnecting stopped after `retry_give_up_after_ms`.
pub const EDGEMODULE_REASON_RETRY_EXPIRED: i32 = 4;
/// The connection broke or the peer misbehaved.
pub const EDGEMODULE_REASON_COMMUNICATION_ERROR: i32 = 5;
/// The application closed the client.
pub const EDGEMODULE_REASON_CLIENT_CLOSE: i32 = 6;

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
