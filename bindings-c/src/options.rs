//! `edgemodule_options_t`: everything a client can be created with. It starts with
//! `struct_size`, so fields can be appended in later versions without breaking callers
//! compiled against an older header.

use std::ffi::c_char;

use edgemodule_core::{ClientBuilder, ClientOptions, OptionValue, Result};
use edgemodule_ffi::options::{builder, Source};

use crate::args::{json_arg, opt_str_arg};
use crate::error::invalid;

/// Options for `edgemodule_client_new`. Initialise with `edgemodule_options_init` (which
/// sets `struct_size` and zeroes the rest); a zero / NULL field leaves its option unset (the
/// environment variable, then the core's default: docs/core-policies.md §3). Each numeric
/// field is the core option named in its comment, in that option's unit; the core checks
/// every value (`EDGEMODULE_E_INVALID_ARGUMENT` names the option and its range). Every
/// option — also those without a field here — can be given by name in `options_json`.
/// Strings are `(pointer, length)` pairs copied during the call.
#[repr(C)]
pub struct edgemodule_options_t {
    /// `sizeof(edgemodule_options_t)` as the caller compiled it.
    pub struct_size: usize,
    /// Module connection string (`HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;
    /// SharedAccessKey=…`). NULL: read the IoT Edge environment (`IOTEDGE_*`, else
    /// `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`).
    pub connection_string: *const c_char,
    /// Length of `connection_string`.
    pub connection_string_len: usize,
    /// Option `trust_bundle_pem`: the PEM trust bundle for the gateway's certificate. NULL:
    /// `trust_bundle_file`, else the workload API or `EdgeModuleCACertificateFile`.
    pub trust_bundle_pem: *const c_char,
    /// Length of `trust_bundle_pem`.
    pub trust_bundle_pem_len: usize,
    /// Option `product_info` (NULL: unset).
    pub product_info: *const c_char,
    /// Length of `product_info`.
    pub product_info_len: usize,
    /// Option `model_id` (`dtmi:…`; NULL: unset).
    pub model_id: *const c_char,
    /// Length of `model_id`.
    pub model_id_len: usize,
    /// Option `mqtt_port`.
    pub mqtt_port: u16,
    /// Option `https_port` (used by invoke_method).
    pub https_port: u16,
    /// Option `max_inflight`.
    pub max_inflight: u32,
    /// Option `operation_timeout_ms`.
    pub operation_timeout_ms: u32,
    /// Option `keep_alive_secs`.
    pub keep_alive_s: u32,
    /// Option `sas_ttl_secs`.
    pub sas_ttl_s: u32,
    /// Option `redelivery_delay_ms`: the wait before a failed callback is called again
    /// (doubling for each further attempt).
    pub redelivery_delay_ms: u32,
    /// Option `retry_initial_delay_ms`.
    pub retry_initial_delay_ms: u32,
    /// Option `retry_max_delay_ms`.
    pub retry_max_delay_ms: u32,
    /// Option `retry_give_up_after_ms` (0: unset, never give up).
    pub retry_give_up_after_ms: u32,
    /// A JSON object of core options by name, e.g.
    /// `{"handler_attempts": 2, "retry_multiplier": 1.5, "trust_bundle_file": "/ca.pem"}`
    /// (NULL: none). Applied after the fields above (a member overrides the field of the same
    /// option); `null` leaves an option unset. The names, types and ranges are the core's
    /// (docs/core-policies.md §3); future options need no new field.
    pub options_json: *const c_char,
    /// Length of `options_json`.
    pub options_json_len: usize,
}

const OPTIONS_SIZE: usize = std::mem::size_of::<edgemodule_options_t>();

impl edgemodule_options_t {
    fn zeroed() -> Self {
        edgemodule_options_t {
            struct_size: OPTIONS_SIZE,
            connection_string: std::ptr::null(),
            connection_string_len: 0,
            trust_bundle_pem: std::ptr::null(),
            trust_bundle_pem_len: 0,
            product_info: std::ptr::null(),
            product_info_len: 0,
            model_id: std::ptr::null(),
            model_id_len: 0,
            mqtt_port: 0,
            https_port: 0,
            max_inflight: 0,
            operation_timeout_ms: 0,
            keep_alive_s: 0,
            sas_ttl_s: 0,
            redelivery_delay_ms: 0,
            retry_initial_delay_ms: 0,
            retry_max_delay_ms: 0,
            retry_give_up_after_ms: 0,
            options_json: std::ptr::null(),
            options_json_len: 0,
        }
    }

    /// Reads the caller's struct: only its first `struct_size` bytes; the rest default.
    ///
    /// # Safety
    /// `ptr` is NULL or points to at least `struct_size` readable bytes, `struct_size`
    /// being its first field.
    pub(crate) unsafe fn read(ptr: *const edgemodule_options_t) -> Result<Self> {
        if ptr.is_null() {
            return Err(invalid("options is NULL"));
        }
        // SAFETY: every version of the struct starts with struct_size.
        let size = unsafe { ptr.cast::<usize>().read() };
        if size < std::mem::size_of::<usize>() {
            return Err(invalid(format!(
                "options.struct_size is {size}; initialise options with edgemodule_options_init"
            )));
        }
        let mut options = edgemodule_options_t::zeroed();
        // SAFETY: the caller's struct has `size` readable bytes; we copy at most our size
        // into a valid value of the same layout (all fields are plain integers/pointers).
        unsafe {
            std::ptr::copy_nonoverlapping(
                ptr.cast::<u8>(),
                (&mut options as *mut edgemodule_options_t).cast::<u8>(),
                size.min(OPTIONS_SIZE),
            );
        }
        options.struct_size = OPTIONS_SIZE;
        Ok(options)
    }

    /// A client builder for these options: each non-zero / non-NULL field is handed to
    /// the core under its option name (the core checks ranges and applies the
    /// `EDGEMODULE_*` overrides and the CA-file fallback).
    ///
    /// # Safety
    /// The string fields are NULL or valid for their lengths.
    pub(crate) unsafe fn builder(&self) -> Result<ClientBuilder> {
        // SAFETY: forwarded contract.
        let (source, options) = unsafe { self.parts() }?;
        Ok(builder(source, options))
    }

    /// Where the identity comes from, and the options.
    ///
    /// # Safety
    /// As for [`builder`](Self::builder).
    unsafe fn parts(&self) -> Result<(Source, ClientOptions)> {
        let text = |ptr, len, what| {
            // SAFETY: forwarded contract.
            unsafe { opt_str_arg(ptr, len, what) }
        };
        let cs = text(
            self.connection_string,
            self.connection_string_len,
            "connection_string",
        )?;
        let strings = [
            (
                "trust_bundle_pem",
                text(
                    self.trust_bundle_pem,
                    self.trust_bundle_pem_len,
                    "trust_bundle_pem",
                )?,
            ),
            (
                "product_info",
                text(self.product_info, self.product_info_len, "product_info")?,
            ),
            (
                "model_id",
                text(self.model_id, self.model_id_len, "model_id")?,
            ),
        ];
        // Each field is in its option's unit; 0 means the default.
        let numbers: [(&str, i64); 10] = [
            ("mqtt_port", i64::from(self.mqtt_port)),
            ("https_port", i64::from(self.https_port)),
            ("max_inflight", i64::from(self.max_inflight)),
            ("operation_timeout_ms", i64::from(self.operation_timeout_ms)),
            ("keep_alive_secs", i64::from(self.keep_alive_s)),
            ("sas_ttl_secs", i64::from(self.sas_ttl_s)),
            ("redelivery_delay_ms", i64::from(self.redelivery_delay_ms)),
            (
                "retry_initial_delay_ms",
                i64::from(self.retry_initial_delay_ms),
            ),
            ("retry_max_delay_ms", i64::from(self.retry_max_delay_ms)),
            (
                "retry_give_up_after_ms",
                i64::from(self.retry_give_up_after_ms),
            ),
        ];
        // SAFETY: forwarded contract.
        let by_name =
            unsafe { json_arg(self.options_json, self.options_json_len, "options_json") }?;
        let mut options = ClientOptions::default();
        for (name, value) in strings {
            if let Some(value) = value {
                options.set(name, value)?;
            }
        }
        for (name, value) in numbers {
            if value != 0 {
                options.set(name, OptionValue::Integer(value))?;
            }
        }
        if !by_name.is_null() {
            options.apply_json(&by_name)?;
        }
        let source = match cs {
            Some(cs) => Source::ConnectionString(cs.to_string()),
            None => Source::Environment,
        };
        Ok((source, options))
    }
}

/// Sets `struct_size` to `sizeof(edgemodule_options_t)` and every other field to
/// zero / NULL (= defaults). NULL is a no-op.
///
/// # Safety
/// `options` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_options_init(options: *mut edgemodule_options_t) {
    // SAFETY: caller contract.
    if let Some(options) = unsafe { options.as_mut() } {
        *options = edgemodule_options_t::zeroed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemodule_core::ErrorKind;

    #[test]
    fn an_older_smaller_struct_leaves_new_fields_at_their_defaults() {
        let mut full = edgemodule_options_t::zeroed();
        full.mqtt_port = 1234;
        full.retry_give_up_after_ms = 99;
        // A caller whose struct ends before `mqtt_port`.
        full.struct_size = std::mem::offset_of!(edgemodule_options_t, mqtt_port);
        // SAFETY: `full` is a live, complete struct.
        let read = unsafe { edgemodule_options_t::read(&full) }.unwrap();
        assert_eq!(read.mqtt_port, 0);
        assert_eq!(read.retry_give_up_after_ms, 0);
        assert_eq!(read.struct_size, OPTIONS_SIZE);
        full.struct_size = 0;
        // SAFETY: as above.
        let e = unsafe { edgemodule_options_t::read(&full) }.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        // SAFETY: NULL is rejected before any read.
        assert!(unsafe { edgemodule_options_t::read(std::ptr::null()) }.is_err());
    }

    #[test]
    fn options_json_reaches_every_option_and_overrides_fields() {
        let mut o = edgemodule_options_t::zeroed();
        o.connection_string = c"HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5".as_ptr();
        o.connection_string_len = crate::EDGEMODULE_NUL_TERMINATED;
        o.redelivery_delay_ms = 100;
        let json = r#"{"handler_attempts": 2, "retry_multiplier": 1.5, "retry_jitter": 0,
            "sas_renewal_percent": 60, "redelivery_delay_ms": 250, "model_id": null}"#;
        o.options_json = json.as_ptr().cast();
        o.options_json_len = json.len();
        // SAFETY: every pointer is valid for its length.
        let (_, options) = unsafe { o.parts() }.unwrap();
        assert_eq!(options.handler_attempts, 2);
        assert_eq!(options.retry.multiplier, 1.5);
        assert_eq!(options.retry.jitter, 0.0);
        assert_eq!(
            options.redelivery_delay,
            std::time::Duration::from_millis(250)
        );
        let bad = r#"{"handler_attempts": 0}"#;
        o.options_json = bad.as_ptr().cast();
        o.options_json_len = bad.len();
        // SAFETY: as above.
        let e = unsafe { o.parts() }.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("handler_attempts"), "{e}");
        let unknown = r#"{"nope": 1}"#;
        o.options_json = unknown.as_ptr().cast();
        o.options_json_len = unknown.len();
        // SAFETY: as above.
        let e = unsafe { o.parts() }.err().unwrap();
        assert!(e.message().contains("nope"), "{e}");
        o.options_json = c"[1]".as_ptr();
        o.options_json_len = crate::EDGEMODULE_NUL_TERMINATED;
        // SAFETY: as above.
        assert!(unsafe { o.parts() }.is_err());
    }

    #[test]
    fn init_sets_the_size_and_defaults() {
        let mut o = edgemodule_options_t::zeroed();
        o.keep_alive_s = 5;
        // SAFETY: valid pointer.
        unsafe { edgemodule_options_init(&mut o) };
        assert_eq!(o.struct_size, OPTIONS_SIZE);
        assert_eq!(o.keep_alive_s, 0);
        assert!(o.connection_string.is_null());
    }
}
