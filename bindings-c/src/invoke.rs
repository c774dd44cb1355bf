//! `invoke_method`: call a direct method on another module (or a device).

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use edgemodule_core::{MethodInvokeRequest, MethodInvokeResponse, Result};

use crate::args::{give_string, json_arg, opt_str_arg, out_arg, str_arg};
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, report};

/// Result of `edgemodule_client_invoke_method_async`: on success `status` is the target's
/// status and `payload_json` (borrowed, also NUL-terminated) its JSON payload; on failure
/// `status` is 0 and `payload_json` NULL.
pub type edgemodule_invoke_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        result: i32,
        status: i32,
        payload_json: *const c_char,
        payload_json_len: usize,
    ),
>;

/// The target and request of an invoke call, read from C arguments.
struct Invocation {
    device_id: String,
    module_id: Option<String>,
    request: MethodInvokeRequest,
}

impl Invocation {
    #[allow(clippy::too_many_arguments)]
    /// # Safety
    /// The strings are valid for their lengths.
    unsafe fn read(
        device_id: *const c_char,
        device_id_len: usize,
        module_id: *const c_char,
        module_id_len: usize,
        method: *const c_char,
        method_len: usize,
        payload_json: *const c_char,
        payload_json_len: usize,
        response_timeout_ms: u32,
        connect_timeout_ms: u32,
    ) -> Result<Invocation> {
        // SAFETY: caller contract.
        let (device_id, module_id, method, payload) = unsafe {
            (
                str_arg(device_id, device_id_len, "device_id")?,
                opt_str_arg(module_id, module_id_len, "module_id")?,
                str_arg(method, method_len, "method")?,
                json_arg(payload_json, payload_json_len, "payload_json")?,
            )
        };
        let mut request = MethodInvokeRequest::new(method, payload);
        if response_timeout_ms != 0 {
            request = request
                .with_response_timeout(Duration::from_millis(u64::from(response_timeout_ms)));
        }
        request =
            request.with_connect_timeout(Duration::from_millis(u64::from(connect_timeout_ms)));
        Ok(Invocation {
            device_id: device_id.to_string(),
            module_id: module_id.map(str::to_string),
            request,
        })
    }

    async fn run(self, client: edgemodule_core::ModuleClient) -> Result<MethodInvokeResponse> {
        client
            .invoke_method(&self.device_id, self.module_id.as_deref(), self.request)
            .await
    }
}

/// Calls method `method` on module `module_id` of device `device_id` (on the device itself
/// when `module_id` is NULL) with `payload_json` (NULL: `null`), through the gateway's
/// HTTPS API. `response_timeout_ms` (5000–300000; 0: 30000) bounds the target's answer,
/// `connect_timeout_ms` (≤ 300000) how long to wait for it to connect. On success
/// `*status` is the target's status and `*payload_json_out` (if not NULL) a NUL-terminated
/// JSON string to free with `edgemodule_string_free`. `EDGEMODULE_E_NOT_FOUND` when the
/// target is not connected, `EDGEMODULE_E_TIMEOUT` when it did not answer.
///
/// # Safety
/// `client` is live; strings are valid for their lengths; `status` is writable; the
/// payload out-pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_invoke_method(
    client: *const edgemodule_client_t,
    device_id: *const c_char,
    device_id_len: usize,
    module_id: *const c_char,
    module_id_len: usize,
    method: *const c_char,
    method_len: usize,
    payload_json: *const c_char,
    payload_json_len: usize,
    response_timeout_ms: u32,
    connect_timeout_ms: u32,
    status: *mut i32,
    payload_json_out: *mut *mut c_char,
    payload_json_out_len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let status = unsafe { out_arg(status, "status") }?;
        // SAFETY: caller contract.
        let invocation = unsafe {
            Invocation::read(
                device_id,
                device_id_len,
                module_id,
                module_id_len,
                method,
                method_len,
                payload_json,
                payload_json_len,
                response_timeout_ms,
                connect_timeout_ms,
            )
        }?;
        let core = hosted.client().clone();
        let response = hosted.block_on(invocation.run(core))?;
        *status = response.status;
        // SAFETY: caller contract.
        unsafe {
            give_string(
                response.payload.to_string(),
                payload_json_out,
                payload_json_out_len,
            )
        };
        Ok(())
    })
}

/// Starts `edgemodule_client_invoke_method`; `cb` runs exactly once with the result. On a
/// non-OK return `cb` is not called (`ctx_free` is).
///
/// # Safety
/// `client` is live; strings are valid for their lengths; `ctx` is valid for the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_invoke_method_async(
    client: *const edgemodule_client_t,
    device_id: *const c_char,
    device_id_len: usize,
    module_id: *const c_char,
    module_id_len: usize,
    method: *const c_char,
    method_len: usize,
    payload_json: *const c_char,
    payload_json_len: usize,
    response_timeout_ms: u32,
    connect_timeout_ms: u32,
    cb: edgemodule_invoke_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let invocation = unsafe {
            Invocation::read(
                device_id,
                device_id_len,
                module_id,
                module_id_len,
                method,
                method_len,
                payload_json,
                payload_json_len,
                response_timeout_ms,
                connect_timeout_ms,
            )
        }?;
        let core = hosted.client().clone();
        hosted.start(
            move || invocation.run(core),
            move |result| {
                let code = report(&result);
                if let Some(func) = callback.func {
                    let (status, json) = match result {
                        Ok(r) => (r.status, CString::new(r.payload.to_string()).ok()),
                        Err(_) => (0, None),
                    };
                    let (ptr, len) = json
                        .as_ref()
                        .map_or((std::ptr::null(), 0), |j| (j.as_ptr(), j.as_bytes().len()));
                    // SAFETY: host callback with its context; `json` outlives the call.
                    unsafe { func(callback.ctx(), code, status, ptr, len) };
                }
                drop(callback);
            },
        )
    })
}
