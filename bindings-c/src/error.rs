//! Result codes (design.md §4) and the thread-local last error.

use std::cell::RefCell;
use std::ffi::c_char;

use edgemodule_core::{Error, Result};
use edgemodule_ffi::codes;
use edgemodule_ffi::panic::guard;

// The codes are ABI (design.md §4). Each one's name, description and transience are the
// core's table (docs/core-policies.md §1): edgemodule_error_name / _description /
// _is_transient read it; the comments below only say which row is which.

/// Success (`OK`).
pub const EDGEMODULE_OK: i32 = 0;
/// `INVALID_ARGUMENT` (see `edgemodule_error_description`).
pub const EDGEMODULE_E_INVALID_ARGUMENT: i32 = 1;
/// `CONFIG`.
pub const EDGEMODULE_E_CONFIG: i32 = 2;
/// `UNAUTHORIZED`.
pub const EDGEMODULE_E_UNAUTHORIZED: i32 = 3;
/// `CONNECTION` (transient).
pub const EDGEMODULE_E_CONNECTION: i32 = 4;
/// `TIMEOUT` (transient).
pub const EDGEMODULE_E_TIMEOUT: i32 = 5;
/// `CLOSED`: the client, or the library after `edgemodule_shutdown`, is closed.
pub const EDGEMODULE_E_CLOSED: i32 = 6;
/// `MESSAGE_TOO_LARGE`.
pub const EDGEMODULE_E_MESSAGE_TOO_LARGE: i32 = 7;
/// `PROTOCOL`.
pub const EDGEMODULE_E_PROTOCOL: i32 = 8;
/// `SERVICE`.
pub const EDGEMODULE_E_SERVICE: i32 = 9;
/// `CANCELLED`.
pub const EDGEMODULE_E_CANCELLED: i32 = 10;
/// `NOT_FOUND`.
pub const EDGEMODULE_E_NOT_FOUND: i32 = 11;
/// `THROTTLED` (transient).
pub const EDGEMODULE_E_THROTTLED: i32 = 12;
/// `INTERNAL`: a bug in edgemodule (including a caught panic); please report it.
pub const EDGEMODULE_E_INTERNAL: i32 = 13;

thread_local! {
    static LAST_ERROR: RefCell<(i32, String)> = const { RefCell::new((0, String::new())) };
}

/// Records `result` as this thread's last error and returns its code.
pub(crate) fn report<T>(result: &Result<T>) -> i32 {
    let (code, message) = match result {
        Ok(_) => (EDGEMODULE_OK, String::new()),
        Err(e) => (e.kind().code(), e.to_string()),
    };
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = (code, message));
    code
}

/// Runs an export body: panics become `EDGEMODULE_E_INTERNAL`, the outcome becomes the
/// thread's last error, and its code is returned.
pub(crate) fn call(body: impl FnOnce() -> Result<()>) -> i32 {
    report(&guard(body))
}

/// An `INVALID_ARGUMENT` error.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::invalid_argument(message)
}

/// Copies the message of this thread's most recent fallible edgemodule call into `buf`
/// (at most `len - 1` bytes, cut at a character boundary, then a NUL) and returns the full
/// length of the message in bytes (without the NUL). The message is empty when that call
/// succeeded. Pass `buf = NULL` or `len = 0` to learn the length only.
///
/// Inside a completion callback it describes that operation's result.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_last_error_message(buf: *mut c_char, len: usize) -> usize {
    let message = LAST_ERROR
        .try_with(|last| last.borrow().1.clone())
        .unwrap_or_default();
    if !buf.is_null() && len > 0 {
        let mut n = message.len().min(len - 1);
        while !message.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: the caller gave `len` writable bytes at `buf`; n + 1 <= len.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
    }
    message.len()
}

/// The code of this thread's most recent fallible edgemodule call (`EDGEMODULE_OK` when it
/// succeeded).
#[no_mangle]
pub extern "C" fn edgemodule_last_error_code() -> i32 {
    LAST_ERROR.try_with(|last| last.borrow().0).unwrap_or(0)
}

/// The name of a result code (`"OK"`, `"INVALID_ARGUMENT"`, …, `"INTERNAL"`), or
/// `"UNKNOWN"`. A static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_error_name(code: i32) -> *const c_char {
    codes::error_name_cstr(code).unwrap_or(c"UNKNOWN").as_ptr()
}

/// The description of a result code (one sentence, from the core's table), or NULL for an
/// unknown code. A static, NUL-terminated string.
#[no_mangle]
pub extern "C" fn edgemodule_error_description(code: i32) -> *const c_char {
    codes::error_description_cstr(code).map_or(std::ptr::null(), |d| d.as_ptr())
}

/// 1 when retrying the same operation later may succeed without changing anything
/// (`EDGEMODULE_E_CONNECTION`, `_TIMEOUT`, `_THROTTLED`), else 0 (also for unknown codes).
#[no_mangle]
pub extern "C" fn edgemodule_error_is_transient(code: i32) -> i32 {
    i32::from(codes::error_is_transient(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_error_kind_has_its_constant_and_name() {
        for (code, name) in edgemodule_ffi::codes::error_table() {
            // SAFETY: edgemodule_error_name returns a static C string.
            let got = unsafe { CStr::from_ptr(edgemodule_error_name(code)) };
            assert_eq!(got.to_str().unwrap(), name);
        }
        assert_eq!(
            EDGEMODULE_E_INTERNAL,
            edgemodule_core::ErrorKind::Internal.code()
        );
        assert_eq!(EDGEMODULE_E_MESSAGE_TOO_LARGE, 7);
        // SAFETY: static C string.
        let unknown = unsafe { CStr::from_ptr(edgemodule_error_name(99)) };
        assert_eq!(unknown.to_str().unwrap(), "UNKNOWN");
    }

    #[test]
    fn descriptions_and_transience_come_from_the_core_table() {
        for info in edgemodule_ffi::codes::error_infos() {
            // SAFETY: static C string for a known code.
            let d = unsafe { CStr::from_ptr(edgemodule_error_description(info.code)) };
            assert_eq!(d.to_str().unwrap(), info.description);
            assert_eq!(
                edgemodule_error_is_transient(info.code),
                i32::from(info.transient)
            );
        }
        assert!(edgemodule_error_description(-1).is_null());
        assert!(edgemodule_error_description(14).is_null());
        assert_eq!(edgemodule_error_is_transient(99), 0);
        assert_eq!(edgemodule_error_is_transient(EDGEMODULE_E_TIMEOUT), 1);
        assert_eq!(edgemodule_error_is_transient(EDGEMODULE_E_CONFIG), 0);
    }

    #[test]
    fn last_error_is_copied_truncated_and_cleared() {
        let code = call(|| Err(invalid("héllo")));
        assert_eq!(code, EDGEMODULE_E_INVALID_ARGUMENT);
        assert_eq!(edgemodule_last_error_code(), code);
        let mut buf = [0x7f as c_char; 64];
        // SAFETY: buf has 64 writable bytes.
        let n = unsafe { edgemodule_last_error_message(buf.as_mut_ptr(), buf.len()) };
        let full = "INVALID_ARGUMENT: héllo";
        assert_eq!(n, full.len());
        // SAFETY: NUL-terminated by the call.
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(text.to_str().unwrap(), full);
        // Cut before the two-byte 'é' (at byte 19): only 19 bytes fit with len 21.
        // SAFETY: buf has 64 writable bytes.
        unsafe { edgemodule_last_error_message(buf.as_mut_ptr(), 21) };
        // SAFETY: NUL-terminated by the call.
        let cut = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(cut.to_str().unwrap(), "INVALID_ARGUMENT: h");
        let panicked = call(|| panic!("bug"));
        assert_eq!(panicked, EDGEMODULE_E_INTERNAL);
        assert_eq!(call(|| Ok(())), EDGEMODULE_OK);
        // SAFETY: NULL buffer asks for the length only.
        assert_eq!(
            unsafe { edgemodule_last_error_message(std::ptr::null_mut(), 0) },
            0
        );
    }
}
