//! Input callbacks: per input and default, with the disposition deciding ack or
//! redelivery.

use std::ffi::{c_char, c_void};

use edgemodule_core::InputMessage;
use edgemodule_ffi::hosted::slots;

use crate::args::str_arg;
use crate::callbacks::{edgemodule_ctx_free_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::call;
use crate::message::edgemodule_message_t;

/// The message was processed: acknowledge it (the hub forgets it).
pub const EDGEMODULE_DISPOSITION_ACCEPT: i32 = 0;
/// The message was not processed: it is delivered again after the redelivery delay
/// (`edgemodule_options_t.redelivery_delay_ms`). Any value other than ACCEPT counts as
/// ABANDON.
pub const EDGEMODULE_DISPOSITION_ABANDON: i32 = 1;

/// Receives a message from an input. `message` is borrowed: valid only during the call
/// (copy it with `edgemodule_message_clone`); its input name is the system property
/// `EDGEMODULE_PROPERTY_INPUT_NAME`. Return `EDGEMODULE_DISPOSITION_ACCEPT` or
/// `EDGEMODULE_DISPOSITION_ABANDON`. Runs on the client's delivery thread.
pub type edgemodule_input_cb =
    Option<unsafe extern "C" fn(ctx: *mut c_void, message: *const edgemodule_message_t) -> i32>;

type InputFn = unsafe extern "C" fn(*mut c_void, *const edgemodule_message_t) -> i32;

fn handler(callback: HostCallback<InputFn>) -> impl Fn(InputMessage) + Send + Sync + 'static {
    move |input: InputMessage| {
        let Some(func) = callback.func else {
            input.abandon();
            return;
        };
        let view = edgemodule_message_t::view(input.message());
        // SAFETY: a host callback with its own context; `view` and the message it shows
        // live during the call.
        let disposition = unsafe { func(callback.ctx(), &view) };
        drop(view);
        if disposition == EDGEMODULE_DISPOSITION_ACCEPT {
            if let Err(e) = input.ack() {
                tracing::debug!("input message not acknowledged: {e}");
            }
        } else {
            input.abandon();
        }
    }
}

/// Registers `cb` for messages arriving on input `input`, replacing an earlier callback for
/// it; `cb = NULL` unregisters (messages then go to the default input callback). When
/// replacing or unregistering outside this client's callbacks, returns once a running call
/// of the old callback has returned and its `ctx_free` has run (waiting at most 5 s).
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
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let input = unsafe { str_arg(input, input_len, "input") }?;
        let handler = callback.func.is_some().then(|| handler(callback));
        hosted.set_or_clear(&slots::input(Some(input)), handler, || {
            hosted.client().input(input)
        })
    })
}

/// Registers `cb` for messages of every input without its own callback (replacing an
/// earlier default callback). `cb = NULL` unregisters (messages are then held until a
/// callback exists).
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
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let handler = callback.func.is_some().then(|| handler(callback));
        hosted.set_or_clear(&slots::input(None), handler, || {
            hosted.client().default_inputs()
        })
    })
}
