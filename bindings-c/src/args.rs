//! Argument conversion: `(pointer, length)` strings and buffers, out-pointers, and strings
//! the library hands out and the caller frees with `edgemodule_string_free`.

use std::ffi::{c_char, CStr, CString};

use edgemodule_core::Result;
use serde_json::Value;

use crate::error::{call, invalid};

/// Pass as the length of a string argument to mean "NUL-terminated".
pub const EDGEMODULE_NUL_TERMINATED: usize = usize::MAX;

/// The bytes of a `(ptr, len)` argument; `len == EDGEMODULE_NUL_TERMINATED` measures a
/// NUL-terminated string. `None` for a NULL pointer.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes (or NUL-terminated), for `'a`.
unsafe fn raw<'a>(ptr: *const c_char, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return None;
    }
    if len == EDGEMODULE_NUL_TERMINATED {
        // SAFETY: the caller promises a NUL-terminated string.
        return Some(unsafe { CStr::from_ptr(ptr) }.to_bytes());
    }
    // SAFETY: the caller promises `len` readable bytes.
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// A required UTF-8 string argument named `what`.
///
/// # Safety
/// As for [`raw`].
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { raw(ptr, len) }.ok_or_else(|| invalid(format!("{what} is NULL")))?;
    std::str::from_utf8(bytes).map_err(|_| invalid(format!("{what} is not valid UTF-8")))
}

/// An optional UTF-8 string argument (`None` for NULL).
///
/// # Safety
/// As for [`raw`].
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { str_arg(ptr, len, what) }.map(Some)
}

/// An optional string argument that must not be refused (a completion's message): invalid
/// UTF-8 is replaced. `None` for NULL.
///
/// # Safety
/// As for [`raw`].
pub(crate) unsafe fn lossy_str_arg(ptr: *const c_char, len: usize) -> Option<String> {
    // SAFETY: forwarded contract.
    unsafe { raw(ptr, len) }.map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// A NUL-terminated copy of `text` for a callback argument (NUL bytes inside are dropped).
pub(crate) fn c_text(text: &str) -> CString {
    CString::new(text).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    })
}

/// A byte buffer argument; NULL is accepted only with length 0.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    // SAFETY: the caller's promise, passed on.
    unsafe { slice_arg(ptr, len, what) }
}

/// A slice argument of `len` items: NULL is accepted only with `len` 0.
///
/// # Safety
/// `ptr` is NULL or valid for reading `len` items of `T`.
pub(crate) unsafe fn slice_arg<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(invalid(format!("{what} is NULL but its length is {len}")))
        };
    }
    // SAFETY: the caller promises `len` readable items.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A JSON argument: NULL or empty (whitespace) means JSON `null`.
///
/// # Safety
/// As for [`raw`].
pub(crate) unsafe fn json_arg(ptr: *const c_char, len: usize, what: &str) -> Result<Value> {
    // SAFETY: forwarded contract.
    let Some(text) = (unsafe { opt_str_arg(ptr, len, what) })? else {
        return Ok(Value::Null);
    };
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
}

/// A required out-pointer.
///
/// # Safety
/// `ptr` is NULL or valid for writes.
pub(crate) unsafe fn out_arg<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: the caller promises a valid pointer when not NULL.
    unsafe { ptr.as_mut() }.ok_or_else(|| invalid(format!("{what} is NULL")))
}

/// Writes `(ptr, len)` of a borrowed string to optional out-pointers.
///
/// # Safety
/// Both pointers are NULL or valid for writes.
pub(crate) unsafe fn write_str(text: &str, out: *mut *const c_char, out_len: *mut usize) {
    // SAFETY: the caller promises valid pointers when not NULL.
    unsafe {
        if let Some(out) = out.as_mut() {
            *out = text.as_ptr().cast();
        }
        if let Some(out_len) = out_len.as_mut() {
            *out_len = text.len();
        }
    }
}

/// Hands `text` to the caller as a NUL-terminated string freed with
/// `edgemodule_string_free` (through optional out-pointers).
///
/// # Safety
/// Both pointers are NULL or valid for writes.
pub(crate) unsafe fn give_string(text: String, out: *mut *mut c_char, out_len: *mut usize) {
    let len = text.len();
    // JSON and other text we hand out have no NUL bytes; fall back to cutting at one.
    let owned = CString::new(text).unwrap_or_else(|e| {
        let at = e.nul_position();
        let mut bytes = e.into_vec();
        bytes.truncate(at);
        CString::new(bytes).unwrap_or_default()
    });
    // SAFETY: the caller promises valid pointers when not NULL.
    unsafe {
        if let Some(out_len) = out_len.as_mut() {
            *out_len = len.min(owned.as_bytes().len());
        }
        if let Some(out) = out.as_mut() {
            *out = owned.into_raw();
        }
    }
}

/// Frees a string handed out by edgemodule (e.g. the twin JSON of
/// `edgemodule_client_get_twin`). NULL is a no-op.
///
/// # Safety
/// `text` is NULL or a string edgemodule handed out and not freed yet.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_string_free(text: *mut c_char) {
    if text.is_null() {
        return;
    }
    call(|| {
        // SAFETY: created by CString::into_raw in give_string.
        drop(unsafe { CString::from_raw(text) });
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemodule_core::ErrorKind;

    #[test]
    fn strings_with_length_or_nul_terminated() {
        let text = "abc\0def";
        // SAFETY: pointers into a live &str.
        unsafe {
            assert_eq!(str_arg(text.as_ptr().cast(), 7, "x").unwrap(), "abc\0def");
            assert_eq!(
                str_arg(text.as_ptr().cast(), EDGEMODULE_NUL_TERMINATED, "x").unwrap(),
                "abc"
            );
            let e = str_arg(std::ptr::null(), 0, "name").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("name"));
            assert_eq!(opt_str_arg(std::ptr::null(), 3, "x").unwrap(), None);
            let bad = [0xffu8, 0];
            assert!(str_arg(bad.as_ptr().cast(), 1, "x").is_err());
            assert_eq!(bytes_arg(std::ptr::null(), 0, "b").unwrap(), b"");
            assert!(bytes_arg(std::ptr::null(), 1, "b").is_err());
            assert_eq!(json_arg(std::ptr::null(), 0, "j").unwrap(), Value::Null);
            assert_eq!(json_arg(" ".as_ptr().cast(), 1, "j").unwrap(), Value::Null);
            assert_eq!(
                json_arg("[1]".as_ptr().cast(), 3, "j").unwrap(),
                serde_json::json!([1])
            );
            assert!(json_arg("{".as_ptr().cast(), 1, "j").is_err());
            assert_eq!(lossy_str_arg(bad.as_ptr().cast(), 1).unwrap(), "\u{fffd}");
            assert_eq!(lossy_str_arg(std::ptr::null(), 1), None);
        }
        assert_eq!(c_text("a\0b").as_bytes(), b"ab");
    }

    #[test]
    fn given_strings_are_nul_terminated_and_freed() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: valid out-pointers; the string is freed below.
        unsafe {
            give_string("{\"a\":1}".into(), &mut out, &mut len);
            assert_eq!(len, 7);
            assert_eq!(CStr::from_ptr(out).to_str().unwrap(), "{\"a\":1}");
            edgemodule_string_free(out);
            edgemodule_string_free(std::ptr::null_mut());
        }
    }
}
