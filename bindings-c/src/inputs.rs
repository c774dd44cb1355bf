//! Input callbacks, per input and default, run through the core's input handlers: the
//! callback's outcome decides acknowledgement or retry (docs/delivery.md).

use std::ffi::{c_char, c_void};

use edgemodule_core::InputMessage;
use edgemodule_ffi::handlers::{HostCall, HostHandler};
use edgemodule_ffi::hosted::slots;

use crate::args::str_arg;
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::call;
use crate::handler_call::{edgemodule_handler_call_t, settle, token};
use crate::message::edgemodule_message_t;
use crate::registration::accepted;

/// Receives a message from an input. `message` is borrowed and read-only (copy it with
/// `edgemodule_message_clone`); its input name is the system property
/// `EDGEMODULE_PROPERTY_INPUT_NAME`. Return `EDGEMODULE_OK` when the message was
/// processed (it is acknowledged), any other value except `EDGEMODULE_PENDING` when it
/// failed (the callback is called again with it after the retry delay, up to
/// `handler_attempts` calls, then it is acknowledged, dropped and reported as
/// `HANDLER_FAILED`), or `EDGEMODULE_PENDING` to complete `call` later with
/// `edgemodule_handler_call_complete` — `message` then stays valid until that. One message
/// at a time per callback, in arrival order. Runs on the client's delivery thread.
pub type edgemodule_input_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        message: *const edgemodule_message_t,
        call: *mut edgemodule_handler_call_t,
    ) -> i32,
>;

type InputFn = unsafe extern "C" fn(
    *mut c_void,
    *const edgemodule_message_t,
    *mut edgemodule_handler_call_t,
) -> i32;

fn host_handler(callback: HostCallback<InputFn>, func: InputFn) -> HostHandler<InputMessage, ()> {
    Box::new(move |input: InputMessage, host_call: HostCall<()>| {
        let input = Box::new(input);
        let view = Box::new(edgemodule_message_t::view(input.message()));
        let message: *const edgemodule_message_t = &*view;
        // The view points into `input`; both move into the token (heap addresses stay).
        let pending = token(host_call, "input", Box::new((view, input)));
        // SAFETY: a host callback with its own context; `message` lives as long as the
        // token, which the callback returns or keeps.
        let result = unsafe { func(callback.ctx(), message, pending) };
        // SAFETY: `pending` was made above and handed to the callback, which returned `result`.
        unsafe { settle(pending, result) };
    })
}

/// Registers (`cb`) or removes (`cb = NULL`) the callback of input `input` (`None`: the
/// default callback).
///
/// # Safety
/// `client` is live; `ctx` is valid for `cb`/`ctx_free`.
unsafe fn set(
    client: *const edgemodule_client_t,
    input: Option<&str>,
    callback: HostCallback<InputFn>,
) -> edgemodule_core::Result<()> {
    // SAFETY: caller contract.
    let client = unsafe { edgemodule_client_t::with(client) }?;
    let slot = slots::input(input);
    let core = client.hosted.client();
    match callback.func {
        Some(func) => client
            .handlers
            .set(&slot, host_handler(callback, func), |forwarder| {
                accepted(core.set_input_handler(input, forwarder.into_handler()))
            })
            .map(drop),
        None => {
            core.clear_input_handler(input);
            client.handlers.clear(&slot);
            Ok(())
        }
    }
}

/// Registers `cb` for messages arriving on input `input`, replacing an earlier callback for
/// it (messages already waiting for it go to the new one, in order); `cb = NULL`
/// unregisters (later messages go to the default input callback, or are acknowledged,
/// dropped and reported as `NO_HANDLER` when there is none). When replacing or
/// unregistering outside this client's callbacks, returns once a running call of the old
/// callback has returned and its `ctx_free` has run (waiting at most 5 s). The first input
/// callback subscribes the client to inputs (see `edgemodule_client_connect`).
///
/// # Safety
/// `client` is live; `input` is valid for `input_len`; `ctx` is valid for `cb`/`ctx_free`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_input_callback(
    client: *const edgemodule_client_t,
    input: *const c_char,
    input_len: usize,
    cb: edgemodule_input_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let input = unsafe { str_arg(input, input_len, "input") }?;
        // SAFETY: caller contract.
        unsafe { set(client, Some(input), callback) }
    })
}

/// Registers `cb` for messages of every input without its own callback (replacing an
/// earlier default callback). `cb = NULL` unregisters.
///
/// # Safety
/// `client` is live; `ctx` is valid for `cb`/`ctx_free`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_default_input_callback(
    client: *const edgemodule_client_t,
    cb: edgemodule_input_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(cb, ctx, ctx_free);
    // SAFETY: caller contract.
    call(|| unsafe { set(client, None, callback) })
}
