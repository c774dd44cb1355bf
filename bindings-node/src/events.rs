//! What the core hands to JavaScript listeners: input messages (to acknowledge or abandon),
//! method requests (to answer), desired patches, status changes, user-topic messages.

use std::sync::Mutex;

use edgemodule::{
    ConnectionState, ConnectionStatus, DesiredPatch, InputMessage, MethodRequest, StatusReason,
    UserMessage,
};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_napi;
use crate::message::NativeMessage;

/// Takes the value out of a slot even if a panic poisoned its lock.
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    match slot.lock() {
        Ok(mut guard) => guard.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    }
}

/// A message received on an input. Settle it once: `ack()` after processing (the hub
/// forgets it) or `abandon()` (it is delivered again). If it is garbage-collected unsettled
/// it is delivered again.
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
        guard
            .as_ref()
            .map(|m| NativeMessage::from(m.message().clone()))
    }

    /// Acknowledges the message; `false` if it was already settled.
    #[napi(catch_unwind)]
    pub fn ack(&self) -> napi::Result<bool> {
        match take(&self.inner) {
            Some(message) => message.ack().map(|()| true).map_err(to_napi),
            None => Ok(false),
        }
    }

    /// Gives the message back for redelivery; `false` if it was already settled.
    #[napi(catch_unwind)]
    pub fn abandon(&self) -> bool {
        match take(&self.inner) {
            Some(message) => {
                message.abandon();
                true
            }
            None => false,
        }
    }
}

/// A direct-method call to this module. Answer it once with `respond`; if it is
/// garbage-collected unanswered the caller gets status 500.
#[napi]
pub struct NativeMethodRequest {
    name: String,
    payload: Value,
    request_id: String,
    inner: Mutex<Option<MethodRequest>>,
}

impl NativeMethodRequest {
    /// Wraps a received request.
    pub fn new(request: MethodRequest) -> Self {
        NativeMethodRequest {
            name: request.name.clone(),
            payload: request.payload.clone(),
            request_id: request.request_id().to_string(),
            inner: Mutex::new(Some(request)),
        }
    }
}

#[napi]
impl NativeMethodRequest {
    /// The method name.
    #[napi(getter)]
    pub fn method_name(&self) -> String {
        self.name.clone()
    }

    /// The JSON payload (`null` when empty).
    #[napi(getter)]
    pub fn payload(&self) -> Value {
        self.payload.clone()
    }

    /// The hub's request id.
    #[napi(getter)]
    pub fn request_id(&self) -> String {
        self.request_id.clone()
    }

    /// Sends the answer; resolves when the hub acknowledged it. `false` if it was already
    /// answered.
    #[napi]
    pub async fn respond(&self, status: i32, payload: Value) -> napi::Result<bool> {
        match take(&self.inner) {
            Some(request) => request
                .respond(status, payload)
                .await
                .map(|()| true)
                .map_err(to_napi),
            None => Ok(false),
        }
    }
}

/// A connection status change.
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
        let status = match s.state {
            ConnectionState::Connected => "connected",
            ConnectionState::DisconnectedRetrying => "disconnectedRetrying",
            ConnectionState::Disconnected => "disconnected",
            ConnectionState::Closed => "closed",
        };
        let reason = match s.reason {
            StatusReason::Ok => "ok",
            StatusReason::ExpiredSasToken => "expiredSasToken",
            StatusReason::BadCredential => "badCredential",
            StatusReason::NoNetwork => "noNetwork",
            StatusReason::RetryExpired => "retryExpired",
            StatusReason::CommunicationError => "communicationError",
            StatusReason::ClientClose => "clientClose",
        };
        NativeStatus {
            status: status.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// A change of desired properties.
#[napi(object)]
pub struct NativeDesiredPatch {
    /// The patch as the hub sent it, including `$version`.
    pub patch: Value,
    /// The desired `$version` after the patch.
    pub version: i64,
}

impl From<DesiredPatch> for NativeDesiredPatch {
    fn from(p: DesiredPatch) -> Self {
        NativeDesiredPatch {
            patch: p.patch,
            version: p.version,
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

impl From<UserMessage> for NativeUserMessage {
    fn from(m: UserMessage) -> Self {
        NativeUserMessage {
            topic: m.topic,
            payload: m.payload.to_vec().into(),
        }
    }
}
