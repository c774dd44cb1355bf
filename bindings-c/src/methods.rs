//! Direct methods received: per-method and default callbacks, run through the core's method
//! handlers and answered through a response handle, from the callback or later. A callback
//! that fails or frees its handle unanswered gets the core's failure reply
//! (docs/delivery.md).

use std::ffi::{c_char, c_void};

use edgemodule_core::{HandlerError, MethodRequest, MethodResponse};
use edgemodule_ffi::handlers::{HostCall, HostHandler};
use edgemodule_ffi::hosted::slots;

use crate::args::{json_arg, lossy_str_arg, str_arg};
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, invalid};
use crate::registration::accepted;

/// The pending answer to one direct-method call. Owned by the method callback that
/// receives it: pass it to exactly one of `edgemodule_method_respond` (answers),
/// `edgemodule_method_fail` or `edgemodule_method_response_free` (the caller gets the core's
/// failure reply: status 500, `{"error":"HANDLER_FAILED","message":"the method handler
/// failed"}`), now or later, from any thread. Until then the next call of the same method
/// callback waits; a handle never passed to any of them leaves the caller waiting until its
/// own timeout.
pub struct edgemodule_method_response_t {
    call: HostCall<MethodResponse>,
}

/// A direct-method call: `method_name` and `payload_json` (the request's JSON, `null` when
/// empty) are borrowed for the call (not NUL-terminated); `response` is owned by the
/// callback (see `edgemodule_method_response_t`). One call at a time per callback, in
/// arrival order. Runs on the client's delivery thread.
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

fn host_handler(
    callback: HostCallback<MethodFn>,
    func: MethodFn,
) -> HostHandler<MethodRequest, MethodResponse> {
    Box::new(
        move |request: MethodRequest, call: HostCall<MethodResponse>| {
            let payload = request.payload.to_string();
            let name = &request.name;
            let response = Box::into_raw(Box::new(edgemodule_method_response_t { call }));
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
        },
    )
}

/// Registers (`cb`) or removes (`cb = NULL`) the callback of `method` (`None`: default).
///
/// # Safety
/// `client` is live; `ctx` is valid for `cb`/`ctx_free`.
unsafe fn set(
    client: *const edgemodule_client_t,
    method: Option<&str>,
    callback: HostCallback<MethodFn>,
) -> edgemodule_core::Result<()> {
    // SAFETY: caller contract.
    let client = unsafe { edgemodule_client_t::with(client) }?;
    let slot = slots::method(method);
    let core = client.hosted.client();
    match callback.func {
        Some(func) => client
            .handlers
            .set(&slot, host_handler(callback, func), |forwarder| {
                accepted(core.set_method_handler(method, forwarder.into_handler()))
            })
            .map(drop),
        None => {
            core.clear_method_handler(method);
            client.handlers.clear(&slot);
            Ok(())
        }
    }
}

/// Registers `cb` for calls of method `method` (replacing an earlier one); `cb = NULL`
/// unregisters (calls then go to the default method callback, or are answered 501 when
/// there is none). The first method callback subscribes the client to methods; a module
/// that never registers one is not subscribed, and its callers get 404 from the hub.
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
        let method = unsafe { str_arg(method, method_len, "method") }?;
        // SAFETY: caller contract.
        unsafe { set(client, Some(method), callback) }
    })
}

/// Registers `cb` for calls of every method without its own callback; `cb = NULL`
/// unregisters.
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
    // SAFETY: caller contract.
    call(|| unsafe { set(client, None, callback) })
}

/// Takes ownership of a response handle.
///
/// # Safety
/// `response` is NULL or a handle received by a method callback and not consumed yet.
unsafe fn take(
    response: *mut edgemodule_method_response_t,
) -> edgemodule_core::Result<HostCall<MethodResponse>> {
    if response.is_null() {
        return Err(invalid("response is NULL"));
    }
    // SAFETY: created by Box::into_raw in `host_handler`; consumed here.
    Ok(unsafe { Box::from_raw(response) }.call)
}

fn delivered(delivered: bool) -> edgemodule_core::Result<()> {
    if delivered {
        Ok(())
    } else {
        Err(edgemodule_core::Error::closed())
    }
}

/// Answers the call with `status` (e.g. 200) and `payload_json` (NULL or empty: `null`): the
/// core sends the answer. Consumes `response` whatever the result. If `payload_json` is not
/// valid JSON the caller gets the core's failure reply and `EDGEMODULE_E_INVALID_ARGUMENT`
/// is returned; `EDGEMODULE_E_CLOSED` when the client was closed meanwhile. May be called
/// from any thread, inside or after the method callback.
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
        // SAFETY: caller contract.
        let answer = unsafe { take(response) }?;
        // SAFETY: caller contract.
        match unsafe { json_arg(payload_json, payload_json_len, "payload_json") } {
            Ok(payload) => delivered(answer.complete(Ok(MethodResponse::new(status, payload)))),
            Err(e) => {
                answer.fail(format!("the method callback's answer was refused: {e}"));
                Err(e)
            }
        }
    })
}

/// Fails the call: the caller gets the core's failure reply (500,
/// `{"error":"HANDLER_FAILED","message":"the method handler failed"}`); `error_message`
/// (NULL or UTF-8) goes only to the log and the background-error callback. Consumes
/// `response`. `EDGEMODULE_E_CLOSED` when the client was closed meanwhile.
///
/// # Safety
/// `response` is a handle received by a method callback and not consumed yet;
/// `error_message` is NULL or valid for `error_message_len`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_method_fail(
    response: *mut edgemodule_method_response_t,
    error_message: *const c_char,
    error_message_len: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let answer = unsafe { take(response) }?;
        // SAFETY: caller contract.
        let message = unsafe { lossy_str_arg(error_message, error_message_len) }
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "the method callback failed".to_string());
        delivered(answer.complete(Err(HandlerError::new(message))))
    })
}

/// Frees the response handle without answering: the caller gets the core's failure reply,
/// as with `edgemodule_method_fail`. NULL is a no-op.
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
        // SAFETY: caller contract.
        let answer = unsafe { take(response) }?;
        answer.fail("the method callback freed its response handle without answering");
        Ok(())
    });
}
