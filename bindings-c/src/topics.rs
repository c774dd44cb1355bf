//! User-defined MQTT topics: publish, and subscribe through the core's topic handlers
//! (at-least-once; unsubscribing sends UNSUBSCRIBE).

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use edgemodule_core::{Qos, Result, Subscription, UserMessage};
use edgemodule_ffi::handlers::{HostCall, HostHandler, HostHandlers};
use edgemodule_ffi::runtime;

use crate::args::{bytes_arg, out_arg, str_arg};
use crate::callbacks::{done, edgemodule_ctx_free_cb, edgemodule_done_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, invalid};
use crate::handler_call::{edgemodule_handler_call_t, settle, token};

/// QoS 0: fire and forget; a publish completes once written.
pub const EDGEMODULE_QOS_AT_MOST_ONCE: i32 = 0;
/// QoS 1: a publish completes on the hub's acknowledgement.
pub const EDGEMODULE_QOS_AT_LEAST_ONCE: i32 = 1;

/// A message on a subscribed user topic: `topic` (not NUL-terminated) and `payload` are
/// borrowed. Return `EDGEMODULE_OK` when handled (the message is acknowledged), any other
/// value except `EDGEMODULE_PENDING` when it failed (called again after the retry delay, up
/// to `handler_attempts` calls, then acknowledged and reported as `HANDLER_FAILED`), or
/// `EDGEMODULE_PENDING` to complete `call` later with `edgemodule_handler_call_complete`
/// (`topic` and `payload` stay valid until then). One message at a time per subscription,
/// in arrival order. Runs on the client's delivery thread.
pub type edgemodule_topic_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        topic: *const c_char,
        topic_len: usize,
        payload: *const u8,
        payload_len: usize,
        call: *mut edgemodule_handler_call_t,
    ) -> i32,
>;

type TopicFn = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    usize,
    *const u8,
    usize,
    *mut edgemodule_handler_call_t,
) -> i32;

/// A subscription to a user topic filter. End it with `edgemodule_subscription_unsubscribe`
/// (waits for the hub) or `edgemodule_subscription_free`.
pub struct edgemodule_subscription_t {
    handlers: Arc<HostHandlers>,
    slot: String,
    subscription: Subscription,
}

static NEXT_SUBSCRIPTION: AtomicU64 = AtomicU64::new(1);

fn qos(value: i32) -> Result<Qos> {
    match value {
        EDGEMODULE_QOS_AT_MOST_ONCE => Ok(Qos::AtMostOnce),
        EDGEMODULE_QOS_AT_LEAST_ONCE => Ok(Qos::AtLeastOnce),
        _ => Err(invalid(format!(
            "qos {value} is not EDGEMODULE_QOS_AT_MOST_ONCE or _AT_LEAST_ONCE"
        ))),
    }
}

/// Publishes `payload` to user topic `topic` (allowed by the hub's broker policy; not a
/// `$iothub/`, `devices/` or `$` topic) and returns once done (`qos` 1: acknowledged).
///
/// # Safety
/// `client` is live; `topic` and `payload` are valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_publish(
    client: *const edgemodule_client_t,
    topic: *const c_char,
    topic_len: usize,
    payload: *const u8,
    payload_len: usize,
    qos_level: i32,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let (hosted, topic, payload) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(topic, topic_len, "topic")?.to_string(),
                bytes_arg(payload, payload_len, "payload")?.to_vec(),
            )
        };
        let qos = qos(qos_level)?;
        let core = hosted.client().clone();
        hosted.block_on(async move { core.publish(&topic, payload, qos).await })
    })
}

/// Starts `edgemodule_client_publish`; `done_cb` runs exactly once. On a non-OK return
/// `done_cb` is not called (`ctx_free` is).
///
/// # Safety
/// `client` is live; `topic` and `payload` are valid for their lengths; `ctx` is valid for
/// the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_publish_async(
    client: *const edgemodule_client_t,
    topic: *const c_char,
    topic_len: usize,
    payload: *const u8,
    payload_len: usize,
    qos_level: i32,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let (hosted, topic, payload) = unsafe {
            (
                edgemodule_client_t::get(client)?,
                str_arg(topic, topic_len, "topic")?.to_string(),
                bytes_arg(payload, payload_len, "payload")?.to_vec(),
            )
        };
        let qos = qos(qos_level)?;
        let core = hosted.client().clone();
        hosted.start(
            move || async move { core.publish(&topic, payload, qos).await },
            done(callback),
        )
    })
}

fn host_handler(callback: HostCallback<TopicFn>, func: TopicFn) -> HostHandler<UserMessage, ()> {
    Box::new(move |message: UserMessage, host_call: HostCall<()>| {
        let message = Box::new(message);
        let (topic, payload) = (message.topic.as_str(), &message.payload[..]);
        let (topic_ptr, topic_len) = (topic.as_ptr().cast::<c_char>(), topic.len());
        let (payload_ptr, payload_len) = (payload.as_ptr(), payload.len());
        let pending = token(host_call, "topic", message);
        // SAFETY: host callback with its context; the message lives as long as the token,
        // which the callback returns or keeps.
        let result = unsafe {
            func(
                callback.ctx(),
                topic_ptr,
                topic_len,
                payload_ptr,
                payload_len,
                pending,
            )
        };
        // SAFETY: `pending` was made above and handed to the callback, which returned `result`.
        unsafe { settle(pending, result) };
    })
}

/// Subscribes to user topic filter `filter` (QoS 1; `+` and `#` allowed, not covering
/// protocol topics) and returns once the hub accepted it (`EDGEMODULE_E_UNAUTHORIZED` if
/// its policy refuses). `cb` then runs for every matching message until the subscription
/// ends; a message is acknowledged once `cb` handled it (at-least-once, as inputs); every
/// reconnect subscribes again. `*out` receives the subscription.
///
/// # Safety
/// `client` is live; `filter` is valid for `filter_len`; `out` is writable; `ctx` is valid
/// for the callbacks.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_subscribe(
    client: *const edgemodule_client_t,
    filter: *const c_char,
    filter_len: usize,
    cb: edgemodule_topic_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
    out: *mut *mut edgemodule_subscription_t,
) -> i32 {
    let callback: HostCallback<TopicFn> = HostCallback::new(cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let client = unsafe { edgemodule_client_t::with(client) }?;
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let filter = unsafe { str_arg(filter, filter_len, "filter") }?.to_string();
        let func = callback.func.ok_or_else(|| invalid("cb is NULL"))?;
        let slot = format!(
            "subscription:{}",
            NEXT_SUBSCRIPTION.fetch_add(1, Ordering::Relaxed)
        );
        let mut forwarder = None;
        client
            .handlers
            .set(&slot, host_handler(callback, func), |f| {
                forwarder = Some(f);
                Ok(())
            })?;
        let forwarder = forwarder.ok_or_else(|| invalid("the subscription slot was taken"))?;
        let core = client.hosted.client().clone();
        let subscribed = client.hosted.block_on(async move {
            core.subscribe_with_handler(&filter, forwarder.into_handler())
                .await
        });
        match subscribed {
            Ok(subscription) => {
                *out = Box::into_raw(Box::new(edgemodule_subscription_t {
                    handlers: Arc::clone(&client.handlers),
                    slot,
                    subscription,
                }));
                Ok(())
            }
            Err(e) => {
                client.handlers.clear(&slot);
                Err(e)
            }
        }
    })
}

/// Takes a subscription apart (consumes the handle).
///
/// # Safety
/// `subscription` is a live, non-NULL subscription, not used afterwards.
unsafe fn take(
    subscription: *mut edgemodule_subscription_t,
) -> (Arc<HostHandlers>, String, Subscription) {
    // SAFETY: created by Box::into_raw in edgemodule_client_subscribe; consumed here.
    let owned = *unsafe { Box::from_raw(subscription) };
    (owned.handlers, owned.slot, owned.subscription)
}

/// Ends the subscription and frees it: no callback call starts any more, UNSUBSCRIBE is sent
/// (unless another subscription of this client uses the same filter) and this waits for the
/// hub's answer (within the operation timeout). Outside this client's callbacks it also
/// waits until a running call of the callback has returned and its `ctx_free` has run (at
/// most 5 s). Consumes `subscription` whatever the result; `EDGEMODULE_E_CLOSED` when the
/// client is closed (nothing to unsubscribe).
///
/// # Safety
/// `subscription` is a live subscription, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_subscription_unsubscribe(
    subscription: *mut edgemodule_subscription_t,
) -> i32 {
    call(|| {
        if subscription.is_null() {
            return Err(invalid("subscription is NULL"));
        }
        // SAFETY: caller contract.
        let (handlers, slot, subscription) = unsafe { take(subscription) };
        let result = runtime::block_on(async move { subscription.unsubscribe().await });
        handlers.clear(&slot);
        result
    })
}

/// Ends the subscription as `edgemodule_subscription_unsubscribe` does, without waiting for
/// the hub (UNSUBSCRIBE is sent in the background), and frees it. NULL is a no-op. May be
/// called before or after its client is closed or freed.
///
/// # Safety
/// `subscription` is NULL or a live subscription, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_subscription_free(
    subscription: *mut edgemodule_subscription_t,
) {
    if subscription.is_null() {
        return;
    }
    call(|| {
        // SAFETY: caller contract.
        let (handlers, slot, subscription) = unsafe { take(subscription) };
        drop(subscription);
        handlers.clear(&slot);
        Ok(())
    });
}
