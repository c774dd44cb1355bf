//! Sending messages: to an output, as module telemetry, in batches; blocking and async.

use std::ffi::{c_char, c_void};

use edgemodule_core::{Message, Result};

use crate::args::{bytes_arg, opt_str_arg, slice_arg, str_arg};
use crate::callbacks::{done, edgemodule_ctx_free_cb, edgemodule_done_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, invalid};
use crate::message::edgemodule_message_t;
use edgemodule_ffi::joined::split_bodies;

/// # Safety
/// `messages` is NULL (with count 0) or an array of `count` live messages.
unsafe fn batch(
    messages: *const *const edgemodule_message_t,
    count: usize,
) -> Result<Vec<Message>> {
    if messages.is_null() {
        return if count == 0 {
            Ok(Vec::new())
        } else {
            Err(invalid("messages is NULL"))
        };
    }
    // SAFETY: caller contract.
    let handles = unsafe { std::slice::from_raw_parts(messages, count) };
    handles
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            // SAFETY: caller contract.
            unsafe { edgemodule_message_t::get(m) }
                .cloned()
                .map_err(|_| invalid(format!("messages[{i}] is NULL")))
        })
        .collect()
}

/// Sends a copy of `message` to output `output` (routed by the hub) and returns once the
/// hub acknowledged it. `EDGEMODULE_E_MESSAGE_TOO_LARGE` (nothing sent) above 256 KiB.
///
/// # Safety
/// `client` and `message` are live; `output` is valid for `output_len`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_output(
    client: *const edgemodule_client_t,
    output: *const c_char,
    output_len: usize,
    message: *const edgemodule_message_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let (hosted, output, message) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(output, output_len, "output")?.to_string(),
                edgemodule_message_t::get(message)?.clone(),
            )
        };
        let core = hosted.client().clone();
        hosted.block_on(core.send_output(&output, message))
    })
}

/// Starts sending a copy of `message` to `output`; `done_cb` runs exactly once with the
/// result (the message may be freed as soon as this returns). On a non-OK return `done_cb`
/// is not called (`ctx_free` is).
///
/// # Safety
/// `client` and `message` are live; `output` is valid for `output_len`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_output_async(
    client: *const edgemodule_client_t,
    output: *const c_char,
    output_len: usize,
    message: *const edgemodule_message_t,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let (hosted, output, message) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(output, output_len, "output")?.to_string(),
                edgemodule_message_t::get(message)?.clone(),
            )
        };
        let core = hosted.client().clone();
        hosted.start(move || core.send_output(&output, message), done(callback))
    })
}

/// Starts sending a copy of `body` (`body_len` bytes; NULL only with 0) as a message without
/// properties: to output `output`, or as module telemetry when `output` is NULL. The same as
/// `edgemodule_message_new` followed by `edgemodule_client_send_output_async` (or
/// `_send_event_async`) and `edgemodule_message_free`, in one call and one copy: what a
/// binding uses for the common plain message. `done_cb` runs exactly once with the result;
/// on a non-OK return it is not called (`ctx_free` is).
///
/// # Safety
/// `client` is live; `output` is NULL or valid for `output_len`; `body` is NULL or readable
/// for `body_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_body_async(
    client: *const edgemodule_client_t,
    output: *const c_char,
    output_len: usize,
    body: *const u8,
    body_len: usize,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let (hosted, output, body) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                opt_str_arg(output, output_len, "output")?.map(str::to_string),
                bytes_arg(body, body_len, "body")?.to_vec(),
            )
        };
        let core = hosted.client().clone();
        let message = Message::new(body);
        hosted.start(
            move || core.send_to(output.as_deref(), message),
            done(callback),
        )
    })
}

/// Sends a copy of `message` as module telemetry (no output name); returns once the hub
/// acknowledged it.
///
/// # Safety
/// `client` and `message` are live.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_event(
    client: *const edgemodule_client_t,
    message: *const edgemodule_message_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let (hosted, message) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                edgemodule_message_t::get(message)?.clone(),
            )
        };
        let core = hosted.client().clone();
        hosted.block_on(core.send_event(message))
    })
}

/// Starts sending a copy of `message` as module telemetry; `done_cb` runs exactly once.
/// On a non-OK return `done_cb` is not called (`ctx_free` is).
///
/// # Safety
/// `client` and `message` are live.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_event_async(
    client: *const edgemodule_client_t,
    message: *const edgemodule_message_t,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let (hosted, message) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                edgemodule_message_t::get(message)?.clone(),
            )
        };
        let core = hosted.client().clone();
        hosted.start(move || core.send_event(message), done(callback))
    })
}

/// Sends copies of `count` messages to `output`, pipelined, and returns once the hub
/// acknowledged all of them (else the first error; earlier messages may have been
/// delivered). Every message is checked before any is sent.
///
/// # Safety
/// `client` is live; `messages` is an array of `count` live messages.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_output_batch(
    client: *const edgemodule_client_t,
    output: *const c_char,
    output_len: usize,
    messages: *const *const edgemodule_message_t,
    count: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let (hosted, output, messages) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(output, output_len, "output")?.to_string(),
                batch(messages, count)?,
            )
        };
        let core = hosted.client().clone();
        hosted.block_on(async move { core.send_output_batch(&output, messages).await })
    })
}

/// Starts `edgemodule_client_send_output_batch`; `done_cb` runs exactly once. The messages
/// may be freed as soon as this returns. On a non-OK return `done_cb` is not called
/// (`ctx_free` is).
///
/// # Safety
/// `client` is live; `messages` is an array of `count` live messages.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_output_batch_async(
    client: *const edgemodule_client_t,
    output: *const c_char,
    output_len: usize,
    messages: *const *const edgemodule_message_t,
    count: usize,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let (hosted, output, messages) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(output, output_len, "output")?.to_string(),
                batch(messages, count)?,
            )
        };
        let core = hosted.client().clone();
        hosted.start(
            move || async move { core.send_output_batch(&output, messages).await },
            done(callback),
        )
    })
}

/// Starts sending `count` messages without properties to output `output`, pipelined and in
/// order, as `edgemodule_client_send_output_batch_async` would: message `i`'s body is the
/// next `lengths[i]` bytes of `bodies` (the bodies one after another). One call and one copy
/// per body, no message handles: what a binding uses for a batch of plain messages.
/// `done_cb` runs exactly once; on a non-OK return it is not called (`ctx_free` is).
///
/// # Safety
/// `client` is live; `output` is valid for `output_len`; `lengths` is NULL (with `count` 0)
/// or holds `count` lengths; `bodies` is NULL (when they add up to 0) or readable for their
/// sum.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_send_output_bodies_async(
    client: *const edgemodule_client_t,
    output: *const c_char,
    output_len: usize,
    bodies: *const u8,
    lengths: *const usize,
    count: usize,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let (hosted, output, messages) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(output, output_len, "output")?.to_string(),
                joined_bodies(bodies, lengths, count)?,
            )
        };
        let core = hosted.client().clone();
        hosted.start(
            move || async move { core.send_output_batch(&output, messages).await },
            done(callback),
        )
    })
}

/// The messages of `edgemodule_client_send_output_bodies_async`'s arguments.
///
/// # Safety
/// As for [`edgemodule_client_send_output_bodies_async`].
unsafe fn joined_bodies(
    bodies: *const u8,
    lengths: *const usize,
    count: usize,
) -> Result<Vec<Message>> {
    // SAFETY: caller contract.
    let lengths = unsafe { slice_arg(lengths, count, "lengths")? };
    let total = lengths
        .iter()
        .try_fold(0usize, |sum, &n| sum.checked_add(n))
        .ok_or_else(|| invalid("the body lengths overflow"))?;
    // SAFETY: caller contract: `bodies` readable for the sum of the lengths.
    let all = unsafe { bytes_arg(bodies, total, "bodies")? };
    split_bodies(all, lengths.iter().copied())
}
