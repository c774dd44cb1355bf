//! `edgemodule_message_t`: body, system properties and custom properties.

use std::ffi::c_char;

use edgemodule_core::{Error, ErrorKind, Message, Result, SystemProperty};

use crate::args::{bytes_arg, opt_str_arg, out_arg, str_arg, write_str};
use crate::error::{call, invalid};

/// A message: body bytes, system properties and custom (application) properties.
///
/// Messages passed to input callbacks are borrowed (`const`) and read-only: valid during
/// the callback (and, when it returned `EDGEMODULE_PENDING`, until its call is completed);
/// copy one with `edgemodule_message_clone` to keep or change it.
pub struct edgemodule_message_t {
    message: Held,
}

/// An owned message, or a view of one the library owns (input callbacks).
enum Held {
    Owned(Box<Message>),
    Borrowed(*const Message),
}

impl edgemodule_message_t {
    /// A read-only view of `message`, valid while `message` is.
    pub(crate) fn view(message: &Message) -> edgemodule_message_t {
        edgemodule_message_t {
            message: Held::Borrowed(message as *const Message),
        }
    }

    fn message(&self) -> &Message {
        match &self.message {
            Held::Owned(m) => m,
            // SAFETY: a view only exists while the message it points to is alive (the
            // input callback's call it was made for).
            Held::Borrowed(m) => unsafe { &**m },
        }
    }

    /// The core message behind a handle.
    ///
    /// # Safety
    /// `ptr` is NULL or a live message handle.
    pub(crate) unsafe fn get<'a>(ptr: *const edgemodule_message_t) -> Result<&'a Message> {
        // SAFETY: forwarded contract.
        unsafe { ptr.as_ref() }
            .map(edgemodule_message_t::message)
            .ok_or_else(|| invalid("message is NULL"))
    }

    /// # Safety
    /// `ptr` is NULL or a live message handle.
    unsafe fn get_mut<'a>(ptr: *mut edgemodule_message_t) -> Result<&'a mut Message> {
        // SAFETY: forwarded contract.
        match unsafe { ptr.as_mut() } {
            None => Err(invalid("message is NULL")),
            Some(edgemodule_message_t {
                message: Held::Owned(m),
            }) => Ok(m),
            Some(_) => Err(invalid(
                "a message received in a callback is read-only; change a copy \
                 (edgemodule_message_clone)",
            )),
        }
    }

    fn owned(message: Message) -> *mut edgemodule_message_t {
        Box::into_raw(Box::new(edgemodule_message_t {
            message: Held::Owned(Box::new(message)),
        }))
    }
}

/// `$.mid`: message id.
pub const EDGEMODULE_PROPERTY_MESSAGE_ID: i32 = 0;
/// `$.cid`: correlation id.
pub const EDGEMODULE_PROPERTY_CORRELATION_ID: i32 = 1;
/// `$.uid`: user id.
pub const EDGEMODULE_PROPERTY_USER_ID: i32 = 2;
/// `$.ct`: content type, e.g. `application/json` (needed for `$body` route queries).
pub const EDGEMODULE_PROPERTY_CONTENT_TYPE: i32 = 3;
/// `$.ce`: content encoding, e.g. `utf-8`.
pub const EDGEMODULE_PROPERTY_CONTENT_ENCODING: i32 = 4;
/// `$.ctime`: creation time, ISO 8601 UTC.
pub const EDGEMODULE_PROPERTY_CREATION_TIME: i32 = 5;
/// `$.exp`: absolute expiry time, ISO 8601 UTC.
pub const EDGEMODULE_PROPERTY_EXPIRY_TIME: i32 = 6;
/// `$.schema`: message schema.
pub const EDGEMODULE_PROPERTY_MESSAGE_SCHEMA: i32 = 7;
/// `$.sub`: component name.
pub const EDGEMODULE_PROPERTY_COMPONENT_NAME: i32 = 8;
/// `$.ifid`: interface id.
pub const EDGEMODULE_PROPERTY_INTERFACE_ID: i32 = 9;
/// `$.to` (received messages).
pub const EDGEMODULE_PROPERTY_TO: i32 = 10;
/// `ack` (received messages).
pub const EDGEMODULE_PROPERTY_ACK: i32 = 11;
/// `iothub-operation` (received messages).
pub const EDGEMODULE_PROPERTY_OPERATION: i32 = 12;
/// The input a received message arrived on (ignored when sending).
pub const EDGEMODULE_PROPERTY_INPUT_NAME: i32 = 13;
/// `$.on`: the output it was sent to (set by the send functions).
pub const EDGEMODULE_PROPERTY_OUTPUT_NAME: i32 = 14;
/// `$.cdid`: the device that sent a received message (ignored when sending).
pub const EDGEMODULE_PROPERTY_CONNECTION_DEVICE_ID: i32 = 15;
/// `$.cmid`: the module that sent a received message (ignored when sending).
pub const EDGEMODULE_PROPERTY_CONNECTION_MODULE_ID: i32 = 16;

/// The core's property for an `EDGEMODULE_PROPERTY_*` value (the constants are the core
/// table's codes; a test checks every one).
fn system_property(property: i32) -> Result<SystemProperty> {
    SystemProperty::from_code(property)
        .ok_or_else(|| invalid(format!("{property} is not an EDGEMODULE_PROPERTY_* value")))
}

/// Creates a message with a copy of `body` (`len` bytes; NULL only with 0) and no
/// properties. Free it with `edgemodule_message_free`.
///
/// # Safety
/// `body` is NULL or readable for `len` bytes; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_new(
    body: *const u8,
    len: usize,
    out: *mut *mut edgemodule_message_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let body = unsafe { bytes_arg(body, len, "body") }?;
        *out = edgemodule_message_t::owned(Message::new(body.to_vec()));
        Ok(())
    })
}

/// Copies a message (e.g. a borrowed input message to keep after its callback).
///
/// # Safety
/// `message` is a live message; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_clone(
    message: *const edgemodule_message_t,
    out: *mut *mut edgemodule_message_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get(message) }?.clone();
        *out = edgemodule_message_t::owned(message);
        Ok(())
    })
}

/// Frees a message created by `edgemodule_message_new` or `edgemodule_message_clone`.
/// NULL is a no-op. Never free a borrowed (callback) message.
///
/// # Safety
/// `message` is NULL or an owned message not freed yet.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_free(message: *mut edgemodule_message_t) {
    if message.is_null() {
        return;
    }
    call(|| {
        // SAFETY: created by Box::into_raw in this module.
        drop(unsafe { Box::from_raw(message) });
        Ok(())
    });
}

/// The body: `*data` / `*len` receive a borrowed view, valid until the message is changed
/// or freed (or its callback returns).
///
/// # Safety
/// `message` is live; `data` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_body(
    message: *const edgemodule_message_t,
    data: *mut *const u8,
    len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get(message) }?;
        // SAFETY: caller contract.
        let (data, len) = unsafe { (out_arg(data, "data")?, out_arg(len, "len")?) };
        *data = message.body.as_ptr();
        *len = message.body.len();
        Ok(())
    })
}

/// Replaces the body with a copy of `len` bytes at `body`.
///
/// # Safety
/// `message` is a live owned message; `body` is NULL or readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_set_body(
    message: *mut edgemodule_message_t,
    body: *const u8,
    len: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get_mut(message) }?;
        // SAFETY: caller contract.
        message.body = unsafe { bytes_arg(body, len, "body") }?.to_vec();
        Ok(())
    })
}

/// Reads system property `property` (an `EDGEMODULE_PROPERTY_*` value) as a borrowed
/// string (not NUL-terminated), valid until the message is changed or freed.
/// `EDGEMODULE_E_NOT_FOUND` when it is not set.
///
/// # Safety
/// `message` is live; `value` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_get_system_property(
    message: *const edgemodule_message_t,
    property: i32,
    value: *mut *const c_char,
    len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get(message) }?;
        // SAFETY: caller contract.
        let (value, len) = unsafe { (out_arg(value, "value")?, out_arg(len, "len")?) };
        match message.system(system_property(property)?) {
            Some(text) => {
                // SAFETY: both out-pointers were checked above.
                unsafe { write_str(text, value, len) };
                Ok(())
            }
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!("system property {property} is not set"),
            )),
        }
    })
}

/// Sets (or, with `value = NULL`, clears) system property `property`.
///
/// # Safety
/// `message` is a live owned message; `value` is NULL or a string of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_set_system_property(
    message: *mut edgemodule_message_t,
    property: i32,
    value: *const c_char,
    len: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get_mut(message) }?;
        // SAFETY: caller contract.
        let value = unsafe { opt_str_arg(value, len, "value") }?;
        *message.system_mut(system_property(property)?) = value.map(str::to_string);
        Ok(())
    })
}

/// Reads custom property `key` as a borrowed string (not NUL-terminated).
/// `EDGEMODULE_E_NOT_FOUND` when absent.
///
/// # Safety
/// `message` is live; `key` is a string of `key_len` bytes; `value`, `value_len` writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_get_property(
    message: *const edgemodule_message_t,
    key: *const c_char,
    key_len: usize,
    value: *mut *const c_char,
    value_len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get(message) }?;
        // SAFETY: caller contract.
        let key = unsafe { str_arg(key, key_len, "key") }?;
        // SAFETY: caller contract.
        let (value, value_len) =
            unsafe { (out_arg(value, "value")?, out_arg(value_len, "value_len")?) };
        match message.properties.get(key) {
            Some(text) => {
                // SAFETY: both out-pointers were checked above.
                unsafe { write_str(text, value, value_len) };
                Ok(())
            }
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!("the message has no property {key:?}"),
            )),
        }
    })
}

/// Sets custom property `key` to `value` (replacing an existing value).
///
/// # Safety
/// `message` is a live owned message; `key` and `value` are strings of the given lengths.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_set_property(
    message: *mut edgemodule_message_t,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get_mut(message) }?;
        // SAFETY: caller contract.
        let (key, value) = unsafe {
            (
                str_arg(key, key_len, "key")?,
                str_arg(value, value_len, "value")?,
            )
        };
        if key.is_empty() {
            return Err(invalid("a property key must not be empty"));
        }
        message
            .properties
            .insert(key.to_string(), value.to_string());
        Ok(())
    })
}

/// Removes custom property `key`; `EDGEMODULE_E_NOT_FOUND` when absent.
///
/// # Safety
/// `message` is a live owned message; `key` is a string of `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_remove_property(
    message: *mut edgemodule_message_t,
    key: *const c_char,
    key_len: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get_mut(message) }?;
        // SAFETY: caller contract.
        let key = unsafe { str_arg(key, key_len, "key") }?;
        message
            .properties
            .remove(key)
            .map(drop)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no property {key:?}")))
    })
}

/// The number of custom properties (0 for NULL).
///
/// # Safety
/// `message` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_property_count(
    message: *const edgemodule_message_t,
) -> usize {
    // SAFETY: caller contract.
    unsafe { message.as_ref() }.map_or(0, |m| m.message().properties.len())
}

/// The custom property at `index` (0 ≤ index < count, sorted by key) as borrowed strings
/// (not NUL-terminated). `EDGEMODULE_E_NOT_FOUND` past the end. Iterate with
/// `for (i = 0; i < edgemodule_message_property_count(m); i++) …`.
///
/// # Safety
/// `message` is live; the four out-pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_message_property_at(
    message: *const edgemodule_message_t,
    index: usize,
    key: *mut *const c_char,
    key_len: *mut usize,
    value: *mut *const c_char,
    value_len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let message = unsafe { edgemodule_message_t::get(message) }?;
        // SAFETY: caller contract.
        unsafe {
            out_arg(key, "key")?;
            out_arg(key_len, "key_len")?;
            out_arg(value, "value")?;
            out_arg(value_len, "value_len")?;
        }
        let (k, v) = message.properties.iter().nth(index).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "index {index} is past the {} properties",
                    message.properties.len()
                ),
            )
        })?;
        // SAFETY: out-pointers checked above.
        unsafe {
            write_str(k, key, key_len);
            write_str(v, value, value_len);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_constants_are_the_core_table_codes() {
        let constants = [
            (EDGEMODULE_PROPERTY_MESSAGE_ID, "message_id"),
            (EDGEMODULE_PROPERTY_CORRELATION_ID, "correlation_id"),
            (EDGEMODULE_PROPERTY_USER_ID, "user_id"),
            (EDGEMODULE_PROPERTY_CONTENT_TYPE, "content_type"),
            (EDGEMODULE_PROPERTY_CONTENT_ENCODING, "content_encoding"),
            (EDGEMODULE_PROPERTY_CREATION_TIME, "creation_time"),
            (EDGEMODULE_PROPERTY_EXPIRY_TIME, "expiry_time"),
            (EDGEMODULE_PROPERTY_MESSAGE_SCHEMA, "message_schema"),
            (EDGEMODULE_PROPERTY_COMPONENT_NAME, "component_name"),
            (EDGEMODULE_PROPERTY_INTERFACE_ID, "interface_id"),
            (EDGEMODULE_PROPERTY_TO, "to"),
            (EDGEMODULE_PROPERTY_ACK, "ack"),
            (EDGEMODULE_PROPERTY_OPERATION, "operation"),
            (EDGEMODULE_PROPERTY_INPUT_NAME, "input_name"),
            (EDGEMODULE_PROPERTY_OUTPUT_NAME, "output_name"),
            (
                EDGEMODULE_PROPERTY_CONNECTION_DEVICE_ID,
                "connection_device_id",
            ),
            (
                EDGEMODULE_PROPERTY_CONNECTION_MODULE_ID,
                "connection_module_id",
            ),
        ];
        assert_eq!(constants.len(), SystemProperty::ALL.len());
        for (code, name) in constants {
            assert_eq!(system_property(code).map(SystemProperty::name), Ok(name));
        }
        assert!(system_property(17).is_err());
    }
}
