//! Module twin: get, patch reported properties, desired-property patches (through the
//! core's desired handler).

use std::ffi::{c_char, c_void};

use edgemodule_core::DesiredPatch;
use edgemodule_ffi::handlers::{HostCall, HostHandler};
use edgemodule_ffi::hosted::slots;

use crate::args::{c_text, give_string, json_arg, out_arg};
use crate::callbacks::{done, edgemodule_ctx_free_cb, edgemodule_done_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, report};
use crate::handler_call::{edgemodule_handler_call_t, settle, token};
use crate::registration::accepted;

/// Result of `edgemodule_client_get_twin_async`: on success `twin_json` (`twin_json_len`
/// bytes, also NUL-terminated, borrowed for the call) is
/// `{"desired":{…,"$version":n},"reported":{…,"$version":m}}`; on failure it is NULL.
pub type edgemodule_twin_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        result: i32,
        twin_json: *const c_char,
        twin_json_len: usize,
    ),
>;

/// A desired-properties patch: `patch_json` (borrowed, `patch_json_len` bytes, also
/// NUL-terminated) holds the changed members (`null` for removed ones) and `$version`;
/// `version` is the desired `$version` after the patch. `full` is 1 for a catch-up patch
/// after a reconnect: `patch_json` is then the whole desired section, to replace (not merge
/// into) what the application holds; else 0. Return `EDGEMODULE_OK` when handled, any other
/// value except `EDGEMODULE_PENDING` when it failed (called again after the retry delay, up
/// to `handler_attempts` calls, then reported as `HANDLER_FAILED`), or `EDGEMODULE_PENDING`
/// to complete `call` later with `edgemodule_handler_call_complete` (`patch_json` stays
/// valid until then). One patch at a time, in order. Runs on the client's delivery thread.
pub type edgemodule_desired_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        patch_json: *const c_char,
        patch_json_len: usize,
        version: i64,
        full: i32,
        call: *mut edgemodule_handler_call_t,
    ) -> i32,
>;

/// Reads the module twin. On success `*twin_json` receives a NUL-terminated JSON string
/// (`{"desired":{…,"$version":n},"reported":{…,"$version":m}}`) to free with
/// `edgemodule_string_free`, and `*twin_json_len` (optional) its length.
///
/// # Safety
/// `client` is live; `twin_json` is writable; `twin_json_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_get_twin(
    client: *const edgemodule_client_t,
    twin_json: *mut *mut c_char,
    twin_json_len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        unsafe { out_arg(twin_json, "twin_json") }?;
        let core = hosted.client().clone();
        let twin = hosted.block_on(async move { core.get_twin().await })?;
        let json = twin.to_json_string()?;
        // SAFETY: caller contract (checked above).
        unsafe { give_string(json, twin_json, twin_json_len) };
        Ok(())
    })
}

/// Starts reading the twin; `cb` runs exactly once with the result. On a non-OK return
/// `cb` is not called (`ctx_free` is).
///
/// # Safety
/// `client` is live; `ctx` is valid for `cb`/`ctx_free`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_get_twin_async(
    client: *const edgemodule_client_t,
    cb: edgemodule_twin_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let core = hosted.client().clone();
        hosted.start(
            move || async move { core.get_twin().await?.to_json_string() },
            move |result| {
                let code = report(&result);
                if let Some(func) = callback.func {
                    let json = result.ok().and_then(|j| std::ffi::CString::new(j).ok());
                    let (ptr, len) = json
                        .as_ref()
                        .map_or((std::ptr::null(), 0), |j| (j.as_ptr(), j.as_bytes().len()));
                    // SAFETY: host callback with its context; `json` outlives the call.
                    unsafe { func(callback.ctx(), code, ptr, len) };
                }
                drop(callback);
            },
        )
    })
}

/// Merges `patch_json` (a JSON object; `null` removes a member) into the reported
/// properties and returns once the hub applied it. A refusal → `EDGEMODULE_E_SERVICE` (or
/// a status-specific code).
///
/// # Safety
/// `client` is live; `patch_json` is valid for `patch_json_len`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_patch_reported(
    client: *const edgemodule_client_t,
    patch_json: *const c_char,
    patch_json_len: usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let patch = unsafe { json_arg(patch_json, patch_json_len, "patch_json") }?;
        let core = hosted.client().clone();
        hosted.block_on(async move { core.patch_reported(patch).await })
    })
}

/// Starts `edgemodule_client_patch_reported`; `done_cb` runs exactly once. On a non-OK
/// return `done_cb` is not called (`ctx_free` is).
///
/// # Safety
/// `client` is live; `patch_json` is valid for `patch_json_len`; `ctx` is valid for the
/// callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_patch_reported_async(
    client: *const edgemodule_client_t,
    patch_json: *const c_char,
    patch_json_len: usize,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let patch = unsafe { json_arg(patch_json, patch_json_len, "patch_json") }?;
        let core = hosted.client().clone();
        hosted.start(
            move || async move { core.patch_reported(patch).await },
            done(callback),
        )
    })
}

type DesiredFn = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    usize,
    i64,
    i32,
    *mut edgemodule_handler_call_t,
) -> i32;

fn host_handler(
    callback: HostCallback<DesiredFn>,
    func: DesiredFn,
) -> HostHandler<DesiredPatch, ()> {
    Box::new(move |patch: DesiredPatch, host_call: HostCall<()>| {
        let json = c_text(&patch.to_json_string());
        let (ptr, len) = (json.as_ptr(), json.as_bytes().len());
        let pending = token(host_call, "desired", Box::new(json));
        // SAFETY: host callback with its context; `json` lives as long as the token, which
        // the callback returns or keeps.
        let result = unsafe {
            func(
                callback.ctx(),
                ptr,
                len,
                patch.version,
                i32::from(patch.full),
                pending,
            )
        };
        // SAFETY: `pending` was made above and handed to the callback, which returned `result`.
        unsafe { settle(pending, result) };
    })
}

/// Registers `cb` for desired-property patches (replacing an earlier one; patches waiting
/// for it go to the new one); `cb = NULL` unregisters. Patches pushed while the client was
/// disconnected arrive as one catch-up patch (`full` = 1) after it reconnects. The first
/// registration subscribes the client to desired patches (see `edgemodule_client_connect`).
///
/// # Safety
/// `client` is live; `ctx` is valid for `cb`/`ctx_free`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_set_desired_callback(
    client: *const edgemodule_client_t,
    cb: edgemodule_desired_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback: HostCallback<DesiredFn> = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let client = unsafe { edgemodule_client_t::with(client) }?;
        let core = client.hosted.client();
        match callback.func {
            Some(func) => client
                .handlers
                .set(slots::DESIRED, host_handler(callback, func), |forwarder| {
                    accepted(core.set_desired_handler(forwarder.into_handler()))
                })
                .map(drop),
            None => {
                core.clear_desired_handler();
                client.handlers.clear(slots::DESIRED);
                Ok(())
            }
        }
    })
}
