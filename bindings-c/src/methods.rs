//! Direct methods received: per-method and default callbacks, answered from the callback
//! or later through the response handle.

use std::ffi::{c_char, c_void};

use edgemodule_core::MethodRequest;
use edgemodule_ffi::hosted::slots;
use edgemodule_ffi::runtime;

use crate::args::{json_arg, str_arg};
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, invalid};

/// The pending answer to one direct-method call. Owned by the method callback that
/// receives it: pass it to exactly one of `edgemodule_method_respond` (answers) or
/// `edgemodule_method_response_free` (answers 500), now or later, from any thread.
pub struct edgemodule_method_response_t {
    request: MethodRequest,
}

/// A direct-method call: `method_name` and `payload_json` (the request's JSON, `null` when
/// empty) are borrowed for the call (not NUL-terminated); `response` is owned by the
/// callback (see `edgemodule_method_response_t`). Runs on the client's delivery thread.
pub type edgemodule_method_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        method_name: *const c_char,
        method_name_len: usize,
        payload_json: *const c_char,
        payload_json_len: usize,
        response: *mut edgemodule_method_response_t,
    ),
>;

type MethodFn = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *mut edgemodule_method_response_t,
);

fn handler(callback: HostCallback<MethodFn>) -> impl Fn(MethodRequest) + Send + Sync + 'static {
    move |request: MethodRequest| {
        let Some(func) = callback.func else {
            return; // dropped: answered 500
        };
        let name = request.name.clone();
        let payload = request.payload.to_string();
        let response = Box::into_raw(Box::new(edgemodule_method_response_t { request }));
        // SAFETY: host callback with its context; the strings outlive the call and the
        // response handle now belongs to the callback.
        unsafe {
            func(
                callback.ctx(),
                name.as_ptr().cast(),
                name.len(),
                payload.as_ptr().cast(),
                payload.len(),
                response,
            )
        };
    }
}

/// Registers `cb` for calls of method `method` (replacing an earlier one); `cb = NULL`
/// unregisters (calls then go to the default method callback).
///
/// # Safety
/// `client` is live; `method` is valid for `method_len`; `ctx` is valid for the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_method_callback(
    client: *const edgemodule_client_t,
    method: *const c_char,
    method_len: usize,
    cb: edgemodule_method_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let method = unsafe { str_arg(method, method_len, "method") }?;
        let handler = callback.func.is_some().then(|| handler(callback));
        hosted.set_or_clear(&slots::method(Some(method)), handler, || {
            hosted.client().method(method)
        })
    })
}

/// Registers `cb` for calls of every method without its own callback; `cb = NULL`
/// unregisters (calls are then held until a callback exists, else answered 500).
///
/// # Safety
/// `client` is live; `ctx` is valid for the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_default_method_callback(
    client: *const edgemodule_client_t,
    cb: edgemodule_method_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let handler = callback.func.is_some().then(|| handler(callback));
        hosted.set_or_clear(&slots::method(None), handler, || {
            hosted.client().default_methods()
        })
    })
}

/// Answers the call with `status` (e.g. 200) and `payload_json` (NULL or empty: `null`),
/// and returns once the hub acknowledged the answer. Consumes `response` whatever the
/// result; if `payload_json` is not valid JSON the call is answered 500 and
/// `EDGEMODULE_E_INVALID_ARGUMENT` returned. May be called from any thread, inside or
/// after the method callback.
///
/// # Safety
/// `response` is a handle received by a method callback and not consumed yet;
/// `payload_json` is valid for `payload_json_len`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_method_respond(
    response: *mut edgemodule_method_response_t,
    status: i32,
    payload_json: *const c_char,
    payload_json_len: usize,
) -> i32 {
    call(|| {
        if response.is_null() {
            return Err(invalid("response is NULL"));
        }
        // SAFETY: created by Box::into_raw in `handler`; consumed here.
        let response = unsafe { Box::from_raw(response) };
        // SAFETY: caller contract.
        let payload = unsafe { json_arg(payload_json, payload_json_len, "payload_json") }?;
        let request = response.request;
        runtime::block_on(async move { request.respond(status, payload).await })
    })
}

/// Drops the response handle without answering: the call is answered 500. NULL is a no-op.
///
/// # Safety
/// `response` is NULL or a handle received by a method callback and not consumed yet.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_method_response_free(
    response: *mut edgemodule_method_response_t,
) {
    if response.is_null() {
        return;
    }
    call(|| {
        // SAFETY: created by Box::into_raw in `handler`; consumed here.
        drop(unsafe { Box::from_raw(response) });
        Ok(())
    });
}
