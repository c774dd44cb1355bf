//! User-defined MQTT topics: publish and subscribe.

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicU64, Ordering};

use edgemodule_core::{Qos, Result, UserMessage};
use edgemodule_ffi::HostedClient;

use crate::args::{bytes_arg, out_arg, str_arg};
use crate::callbacks::{done, edgemodule_ctx_free_cb, edgemodule_done_cb, HostCallback};
use crate::client::edgemodule_client_t;
use crate::error::{call, invalid};

/// QoS 0: fire and forget; a publish completes once written.
pub const EDGEMODULE_QOS_AT_MOST_ONCE: i32 = 0;
/// QoS 1: a publish completes on the hub's acknowledgement.
pub const EDGEMODULE_QOS_AT_LEAST_ONCE: i32 = 1;

/// A message on a subscribed user topic: `topic` (not NUL-terminated) and `payload` are
/// borrowed for the call. Runs on the client's delivery thread.
pub type edgemodule_topic_cb = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        topic: *const c_char,
        topic_len: usize,
        payload: *const u8,
        payload_len: usize,
    ),
>;

type TopicFn = unsafe extern "C" fn(*mut c_void, *const c_char, usize, *const u8, usize);

/// A subscription to a user topic filter; free it with `edgemodule_subscription_free` to
/// stop delivery.
pub struct edgemodule_subscription_t {
    hosted: HostedClient,
    slot: String,
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
            async move { core.publish(&topic, payload, qos).await },
            done(callback),
        )
    })
}

/// Subscribes to user topic filter `filter` (QoS 1; `+` and `#` allowed, not covering
/// protocol topics) and returns once the hub accepted it (`EDGEMODULE_E_UNAUTHORIZED` if
/// its policy refuses). `cb` then runs for every matching message until the subscription
/// is freed; every reconnect subscribes again. `*out` receives the subscription.
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
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let filter = unsafe { str_arg(filter, filter_len, "filter") }?.to_string();
        let func = callback.func.ok_or_else(|| invalid("cb is NULL"))?;
        let core = hosted.client().clone();
        let subscription = hosted.block_on(async move { core.subscribe(&filter).await })?;
        let slot = format!(
            "subscription:{}",
            NEXT_SUBSCRIPTION.fetch_add(1, Ordering::Relaxed)
        );
        hosted.register(&slot, subscription, move |message: UserMessage| {
            // SAFETY: host callback with its context; the message outlives the call.
            unsafe {
                func(
                    callback.ctx(),
                    message.topic.as_ptr().cast(),
                    message.topic.len(),
                    message.payload.as_ptr(),
                    message.payload.len(),
                )
            };
        })?;
        *out = Box::into_raw(Box::new(edgemodule_subscription_t {
            hosted: hosted.clone(),
            slot,
        }));
        Ok(())
    })
}

/// Stops delivering the subscription's messages and frees it. Outside this client's
/// callbacks it returns once a running call of the callback has returned and its
/// `ctx_free` has run (waiting at most 5 s); inside one, `ctx_free` runs right after that
/// callback. The hub may keep the MQTT subscription until the next reconnect. NULL is a
/// no-op. May be called before or after its client is closed or freed.
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
        // SAFETY: created by Box::into_raw in edgemodule_client_subscribe.
        let subscription = unsafe { Box::from_raw(subscription) };
        subscription.hosted.unregister(&subscription.slot);
        Ok(())
    });
}
