//! What the core hands to JavaScript: input messages (for handlers, and settle-yourself ones
//! for `client.inputs(name)`), method calls and the answer a handler gives back, desired
//! patches, status changes, user-topic messages, background errors, and a user-topic
//! subscription handle.

use std::sync::Mutex;

use edgemodule::{
    BackgroundError, ConnectionStatus, DesiredPatch, InputMessage, MethodRequest, Subscription,
    UserMessage,
};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_napi;
use crate::in_runtime;
use crate::message::NativeMessage;
use crate::tables::{reason_js_name, state_js_name};

/// Takes the value out of a slot even if a panic poisoned its lock.
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    match slot.lock() {
        Ok(mut guard) => guard.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    }
}

/// A message for an input handler (the handler's Promise settles it).
#[napi(object)]
pub struct NativeInputEvent {
    /// The input it arrived on.
    pub input_name: String,
    /// The message.
    pub message: NativeMessage,
}

impl From<&InputMessage> for NativeInputEvent {
    fn from(m: &InputMessage) -> Self {
        NativeInputEvent {
            input_name: m.input_name().to_string(),
            message: NativeMessage::from(m.message()),
        }
    }
}

/// A message from an input stream (`client.inputs(name)`): the core's stream API. Settle it
/// once with `ack()` (processed) or `abandon()` (one failed attempt: the core delivers it
/// again after its retry delay, and drops and reports it after the last attempt). Collected
/// unsettled, it counts as abandoned.
#[napi]
pub struct NativeInputMessage {
    input: String,
    inner: Mutex<Option<InputMessage>>,
}

impl NativeInputMessage {
    /// Wraps a received message.
    pub fn new(message: InputMessage) -> Self {
        NativeInputMessage {
            input: message.input_name().to_string(),
            inner: Mutex::new(Some(message)),
        }
    }
}

impl Drop for NativeInputMessage {
    /// Collected unsettled: the core counts it as abandoned, which may schedule the next
    /// attempt (a task on the runtime).
    fn drop(&mut self) {
        in_runtime(|| drop(take(&self.inner)));
    }
}

#[napi]
impl NativeInputMessage {
    /// The input the message arrived on.
    #[napi(getter)]
    pub fn input_name(&self) -> String {
        self.input.clone()
    }

    /// The message (`null` once settled).
    #[napi(catch_unwind)]
    pub fn message(&self) -> Option<NativeMessage> {
        let guard = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.as_ref().map(|m| NativeMessage::from(m.message()))
    }

    /// Acknowledges the message (in arrival order); `false` if it was already settled.
    #[napi(catch_unwind)]
    pub fn ack(&self) -> napi::Result<bool> {
        match take(&self.inner) {
            Some(message) => in_runtime(|| message.ack()).map(|()| true).map_err(to_napi),
            None => Ok(false),
        }
    }

    /// Gives the message back (one failed attempt); `false` if it was already settled.
    #[napi(catch_unwind)]
    pub fn abandon(&self) -> bool {
        match take(&self.inner) {
            Some(message) => {
                in_runtime(|| message.abandon());
                true
            }
            None => false,
        }
    }
}

/// A direct-method call for a method handler.
#[napi(object)]
pub struct NativeMethodCall {
    /// The method name.
    pub method_name: String,
    /// The hub's request id.
    pub request_id: String,
    /// The JSON payload (`null` when empty).
    pub payload: Value,
}

impl From<&MethodRequest> for NativeMethodCall {
    fn from(r: &MethodRequest) -> Self {
        NativeMethodCall {
            method_name: r.name.clone(),
            request_id: r.request_id().to_string(),
            payload: r.payload.clone(),
        }
    }
}

/// A method handler's result: `status` and `payload` (answered), or `error` (the handler
/// failed: the core answers with its one failure reply).
#[napi(object)]
pub struct NativeMethodAnswer {
    /// The status the caller sees.
    pub status: Option<i32>,
    /// The JSON payload the caller sees.
    pub payload: Option<Value>,
    /// Why the handler failed.
    pub error: Option<String>,
}

/// A connection status, with the core's state and reason names in camelCase.
#[napi(object)]
pub struct NativeStatus {
    /// `connected`, `disconnectedRetrying`, `disconnected` or `closed`.
    pub status: String,
    /// `ok`, `expiredSasToken`, `badCredential`, `noNetwork`, `retryExpired`,
    /// `communicationError` or `clientClose`.
    pub reason: String,
}

impl From<ConnectionStatus> for NativeStatus {
    fn from(s: ConnectionStatus) -> Self {
        NativeStatus {
            status: state_js_name(s.state),
            reason: reason_js_name(s.reason),
        }
    }
}

/// A change of desired properties.
#[napi(object)]
pub struct NativeDesiredPatch {
    /// The patch as the hub sent it, with `$version`.
    pub patch: Value,
    /// The desired `$version` after the patch (0 when unknown).
    pub version: i64,
    /// True for a catch-up after a reconnect: `patch` is the whole desired section.
    pub full: bool,
}

impl From<&DesiredPatch> for NativeDesiredPatch {
    fn from(p: &DesiredPatch) -> Self {
        NativeDesiredPatch {
            patch: p.to_json_value(),
            version: p.version,
            full: p.full,
        }
    }
}

/// A message on a user topic.
#[napi(object)]
pub struct NativeUserMessage {
    /// The topic it was published to.
    pub topic: String,
    /// The payload.
    pub payload: Buffer,
}

impl From<&UserMessage> for NativeUserMessage {
    fn from(m: &UserMessage) -> Self {
        NativeUserMessage {
            topic: m.topic.clone(),
            payload: m.payload.to_vec().into(),
        }
    }
}

/// An error that happened in the background (`ModuleClient::background_errors`).
#[napi(object)]
pub struct NativeBackgroundError {
    /// `HANDLER_FAILED`, `NO_HANDLER` or `SLOW_HANDLER`.
    pub kind: String,
    /// `input`, `method`, `desired` or `topic`.
    pub family: String,
    /// The input, method or topic (empty for desired properties).
    pub name: String,
    /// What happened.
    pub message: String,
}

impl From<BackgroundError> for NativeBackgroundError {
    fn from(e: BackgroundError) -> Self {
        NativeBackgroundError {
            kind: e.kind.name().to_string(),
            family: e.family.name().to_string(),
            name: e.name,
            message: e.message,
        }
    }
}

/// A user-topic subscription with a handler. `unsubscribe()` sends UNSUBSCRIBE (when no
/// other subscription uses the filter); so does `close()` without waiting, and so does
/// garbage collection.
#[napi]
pub struct NativeSubscription {
    inner: Mutex<Option<Subscription>>,
}

impl NativeSubscription {
    /// Wraps a subscription.
    pub fn new(subscription: Subscription) -> Self {
        NativeSubscription {
            inner: Mutex::new(Some(subscription)),
        }
    }
}

impl Drop for NativeSubscription {
    /// Collected: the core unsubscribes (a task on the runtime).
    fn drop(&mut self) {
        in_runtime(|| drop(take(&self.inner)));
    }
}

#[napi]
impl NativeSubscription {
    /// Stops delivery and unsubscribes; resolves on the hub's UNSUBACK (at once if another
    /// subscription keeps the filter, or if already ended).
    #[napi]
    pub async fn unsubscribe(&self) -> napi::Result<()> {
        match take(&self.inner) {
            Some(subscription) => subscription.unsubscribe().await.map_err(to_napi),
            None => Ok(()),
        }
    }

    /// Stops delivery and unsubscribes without waiting (idempotent).
    #[napi(catch_unwind)]
    pub fn close(&self) {
        in_runtime(|| drop(take(&self.inner)));
    }
}
