//! `edgemodule_handler_call_t`: one call of an input, desired-properties or topic callback,
//! completed by the callback's return value or later with `edgemodule_handler_call_complete`.
//! The outcome goes to the core, which acknowledges, retries or gives up (docs/delivery.md).

use std::any::Any;
use std::ffi::c_char;

use edgemodule_core::HandlerError;
use edgemodule_ffi::codes::error_name;
use edgemodule_ffi::handlers::HostCall;

use crate::error::{self, invalid, EDGEMODULE_OK};

/// Returned by an input, desired-properties or topic callback that keeps its
/// `edgemodule_handler_call_t` to complete it later with `edgemodule_handler_call_complete`.
/// (In the header it is defined with parentheses by build.rs: cbindgen would write a bare
/// `-1`.)
/// cbindgen:ignore
pub const EDGEMODULE_PENDING: i32 = -1;

/// One call of an input, desired-properties or topic callback. The callback either returns
/// its outcome (`EDGEMODULE_OK`: processed; any other value except `EDGEMODULE_PENDING`:
/// failed) — the library then completes the call — or returns `EDGEMODULE_PENDING` and owns
/// the call: it completes it exactly once with `edgemodule_handler_call_complete`, from any
/// thread, now or later. Until then the data the callback received (message, patch, topic
/// and payload) stay valid, and the next item for the same callback waits.
pub struct edgemodule_handler_call_t {
    call: HostCall<()>,
    /// Which callback, for failure messages (`"input"`, …).
    what: &'static str,
    /// What the callback's arguments point into.
    _data: Box<dyn Any>,
}

/// A call token for `call` keeping `data` alive until it is completed.
pub(crate) fn token(
    call: HostCall<()>,
    what: &'static str,
    data: Box<dyn Any>,
) -> *mut edgemodule_handler_call_t {
    Box::into_raw(Box::new(edgemodule_handler_call_t {
        call,
        what,
        _data: data,
    }))
}

/// After the callback returned `result`: completes the call unless the callback kept it.
///
/// # Safety
/// `token` comes from [`token`] and the callback that got it returned `result`.
pub(crate) unsafe fn settle(token: *mut edgemodule_handler_call_t, result: i32) {
    if result == EDGEMODULE_PENDING {
        return;
    }
    // SAFETY: not kept by the callback (it did not return PENDING): still ours.
    let token = unsafe { Box::from_raw(token) };
    finish(*token, result, None);
}

/// The core's outcome for a callback's result code.
fn outcome(what: &str, result: i32, message: Option<String>) -> Result<(), HandlerError> {
    if result == EDGEMODULE_OK {
        return Ok(());
    }
    let code = match error_name(result) {
        Some(name) if result != EDGEMODULE_PENDING => format!("{result} ({name})"),
        _ => result.to_string(),
    };
    Err(HandlerError::new(match message {
        Some(message) if !message.is_empty() => {
            format!("the {what} callback failed with {code}: {message}")
        }
        _ => format!("the {what} callback failed with {code}"),
    }))
}

fn finish(token: edgemodule_handler_call_t, result: i32, message: Option<String>) -> bool {
    let edgemodule_handler_call_t { call, what, _data } = token;
    let delivered = call.complete(outcome(what, result, message));
    drop(_data);
    delivered
}

/// Completes a call its callback kept (it returned `EDGEMODULE_PENDING`): `result` is
/// `EDGEMODULE_OK` when the item was processed, any other value when it failed (the core
/// then calls the callback again after the retry delay, or gives up and reports
/// `HANDLER_FAILED` — docs/delivery.md); `error_message` (NULL or UTF-8, may be empty)
/// describes a failure for the log and the background-error callback. Consumes `call`
/// whatever the return value: `EDGEMODULE_E_CLOSED` when the client was closed meanwhile
/// (the outcome is dropped), `EDGEMODULE_E_INVALID_ARGUMENT` for a NULL `call` or a
/// `result` of `EDGEMODULE_PENDING` (the call then counts as failed). May be called from
/// any thread, also from inside the callback (which then returns `EDGEMODULE_PENDING`).
///
/// # Safety
/// `call` is NULL or a call whose callback returned (or will return) `EDGEMODULE_PENDING`,
/// not completed yet; `error_message` is NULL or valid for `error_message_len` bytes (or
/// NUL-terminated with `EDGEMODULE_NUL_TERMINATED`).
#[no_mangle]
pub unsafe extern "C" fn edgemodule_handler_call_complete(
    call: *mut edgemodule_handler_call_t,
    result: i32,
    error_message: *const c_char,
    error_message_len: usize,
) -> i32 {
    error::call(|| {
        if call.is_null() {
            return Err(invalid("call is NULL"));
        }
        // SAFETY: caller contract: an outstanding call, consumed here.
        let token = unsafe { Box::from_raw(call) };
        // A completion is never lost to a bad message: invalid UTF-8 is replaced.
        // SAFETY: caller contract.
        let message = unsafe { crate::args::lossy_str_arg(error_message, error_message_len) };
        if result == EDGEMODULE_PENDING {
            finish(
                *token,
                result,
                Some("completed with EDGEMODULE_PENDING".into()),
            );
            return Err(invalid(
                "EDGEMODULE_PENDING is not an outcome; the call was completed as failed",
            ));
        }
        if finish(*token, result, message) {
            Ok(())
        } else {
            Err(edgemodule_core::Error::closed())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_name_the_code_and_carry_the_message() {
        assert_eq!(outcome("input", EDGEMODULE_OK, None), Ok(()));
        let e = outcome("input", 5, None).unwrap_err();
        assert_eq!(e.message(), "the input callback failed with 5 (TIMEOUT)");
        let e = outcome("topic", 42, Some("disk full".into())).unwrap_err();
        assert_eq!(e.message(), "the topic callback failed with 42: disk full");
        let e = outcome("desired", EDGEMODULE_PENDING, None).unwrap_err();
        assert_eq!(e.message(), "the desired callback failed with -1");
    }
}
