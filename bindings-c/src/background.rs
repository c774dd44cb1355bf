//! The background-error callback: handler failures, messages nothing handles and slow
//! handlers, reported by the core (`ModuleClient::background_errors`, docs/delivery.md).

use std::ffi::{c_char, c_void};

use edgemodule_core::BackgroundError;
use edgemodule_ffi::background::{self, family_code, kind_code};

use crate::args::c_text;
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::call;

/// `HANDLER_FAILED`: a callback failed on every attempt (the item was acknowledged and
/// dropped), or a method callback failed (answered with the failure reply).
pub const EDGEMODULE_BACKGROUND_HANDLER_FAILED: i32 = 1;
/// `NO_HANDLER`: nothing handles this input (acknowledged and dropped) or method (answered
/// 501).
pub const EDGEMODULE_BACKGROUND_NO_HANDLER: i32 = 2;
/// `SLOW_HANDLER`: a callback call has been running longer than edgeHub waits for an
/// acknowledgement (30 s); it goes on, and edgeHub will send the message again.
pub const EDGEMODULE_BACKGROUND_SLOW_HANDLER: i32 = 3;

/// An input callback (`name` is the input).
pub const EDGEMODULE_FAMILY_INPUT: i32 = 1;
/// A method callback (`name` is the method).
pub const EDGEMODULE_FAMILY_METHOD: i32 = 2;
/// The desired-properties callback (`name` is empty).
pub const EDGEMODULE_FAMILY_DESIRED: i32 = 3;
/// A topic subscription callback (`name` is the topic).
pub const EDGEMODULE_FAMILY_TOPIC: i32 = 4;

/// An error that happened in the background: `kind` is an `EDGEMODULE_BACKGROUND_*` value,
/// `family` an `EDGEMODULE_FAMILY_*` value; `name` (the input, method or topic; empty for
/// desired properties) and `message` are borrowed for the call, with their lengths, and
/// also NUL-terminated. Runs on the client's delivery thread.
pub type edgemodule_background_error_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        kind: i32,
        family: i32,
        name: *const c_char,
        name_len: usize,
        message: *const c_char,
        message_len: usize,
    ),
>;

type BackgroundFn =
    unsafe extern "C" fn(*mut c_void, i32, i32, *const c_char, usize, *const c_char, usize);

/// Registers `cb` for the client's background errors from now on (replacing an earlier
/// one); `cb = NULL` unregisters. Every background error is also logged (warning).
///
/// # Safety
/// `client` is live; `ctx` is valid for the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_background_error_callback(
    client: *const edgemodule_client_t,
    cb: edgemodule_background_error_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback: HostCallback<BackgroundFn> = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let handler = callback.func.map(|func| {
            move |error: BackgroundError| {
                let name = c_text(&error.name);
                let message = c_text(&error.message);
                // SAFETY: host callback with its context; the strings outlive the call.
                unsafe {
                    func(
                        callback.ctx(),
                        kind_code(error.kind),
                        family_code(error.family),
                        name.as_ptr(),
                        name.as_bytes().len(),
                        message.as_ptr(),
                        message.as_bytes().len(),
                    )
                };
            }
        });
        hosted.set_or_clear(background::SLOT, handler, || {
            hosted.client().background_errors()
        })
    })
}

/// The core's name of an `EDGEMODULE_BACKGROUND_*` value (`"HANDLER_FAILED"`, …), or NULL
/// for an unknown value. A static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_background_kind_name(kind: i32) -> *const c_char {
    background::kind_name_cstr(kind).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The core's name of an `EDGEMODULE_FAMILY_*` value (`"input"`, `"method"`, `"desired"`,
/// `"topic"`), or NULL for an unknown value. A static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_handler_family_name(family: i32) -> *const c_char {
    background::family_name_cstr(family).map_or(std::ptr::null(), |s| s.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn constants_are_the_shared_codes() {
        let kinds = [
            EDGEMODULE_BACKGROUND_HANDLER_FAILED,
            EDGEMODULE_BACKGROUND_NO_HANDLER,
            EDGEMODULE_BACKGROUND_SLOW_HANDLER,
        ];
        for ((code, kind), constant) in background::KINDS.iter().zip(kinds) {
            assert_eq!(*code, constant);
            // SAFETY: static C string.
            let name = unsafe { CStr::from_ptr(edgemodule_background_kind_name(constant)) };
            assert_eq!(name.to_str().unwrap(), kind.name());
        }
        let families = [
            EDGEMODULE_FAMILY_INPUT,
            EDGEMODULE_FAMILY_METHOD,
            EDGEMODULE_FAMILY_DESIRED,
            EDGEMODULE_FAMILY_TOPIC,
        ];
        for ((code, family), constant) in background::FAMILIES.iter().zip(families) {
            assert_eq!(*code, constant);
            // SAFETY: static C string.
            let name = unsafe { CStr::from_ptr(edgemodule_handler_family_name(constant)) };
            assert_eq!(name.to_str().unwrap(), family.name());
        }
        assert!(edgemodule_background_kind_name(0).is_null());
        assert!(edgemodule_handler_family_name(9).is_null());
    }
}
