//! `edgemodule_options_t`: everything a client can be created with. It starts with
//! `struct_size`, so fields can be appended in later versions without breaking callers
//! compiled against an older header.

use std::ffi::c_char;

use edgemodule_core::{ClientBuilder, ClientOptions, OptionValue, Result};
use edgemodule_ffi::options::{builder, Source};

use crate::args::opt_str_arg;
use crate::error::invalid;

/// Options for `edgemodule_client_new`. Initialise with `edgemodule_options_init` (which
/// sets `struct_size` and zeroes the rest); a zero / NULL field means "the default".
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
    /// PEM trust bundle for the gateway's certificate. NULL: from the workload API or
    /// `EdgeModuleCACertificateFile` (also with `connection_string`).
    pub trust_bundle_pem: *const c_char,
    /// Length of `trust_bundle_pem`.
    pub trust_bundle_pem_len: usize,
    /// Appended to the client type in the MQTT user name (NULL: none).
    pub product_info: *const c_char,
    /// Length of `product_info`.
    pub product_info_len: usize,
    /// Digital-twin model id `dtmi:…` (NULL: none).
    pub model_id: *const c_char,
    /// Length of `model_id`.
    pub model_id_len: usize,
    /// Gateway MQTT port. 0: `EDGEMODULE_MQTT_PORT` from the environment, else 8883.
    pub mqtt_port: u16,
    /// Gateway HTTPS port (invoke_method). 0: `EDGEMODULE_HTTPS_PORT`, else 443.
    pub https_port: u16,
    /// Most QoS 1 publishes awaiting acknowledgement at once. 0: 100.
    pub max_inflight: u32,
    /// Timeout of every operation, in ms. 0: 30000.
    pub operation_timeout_ms: u32,
    /// MQTT keep-alive, in seconds. 0: 60.
    pub keep_alive_s: u32,
    /// Lifetime of each SAS token, in seconds (renewed at 80 %). 0: 3600.
    pub sas_ttl_s: u32,
    /// Delay before an abandoned input message is delivered again, in ms. 0: 500.
    pub redelivery_delay_ms: u32,
    /// First reconnect delay, in ms. 0: 100.
    pub retry_initial_delay_ms: u32,
    /// Longest reconnect delay, in ms. 0: 10000.
    pub retry_max_delay_ms: u32,
    /// Stop reconnecting after this long disconnected, in ms. 0: never give up.
    pub retry_give_up_after_ms: u32,
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
        let source = match cs {
            Some(cs) => Source::ConnectionString(cs.to_string()),
            None => Source::Environment,
        };
        Ok(builder(source, options))
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
