//! Direct methods received from the hub: per-method and default streams, responses, and an
//! automatic 500 for requests dropped without a response.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use rumqttc::QoS;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::connection::shared::{lock, Shared};
use crate::error::Result;
use crate::protocol::topics;

/// Most requests held while no stream exists for them; the oldest beyond this answer 500.
const MAX_HELD: usize = 1_000;

/// A direct-method call to this module. Answer it with [`respond`](MethodRequest::respond);
/// dropping it unanswered answers `500`.
pub struct MethodRequest {
    /// The method name.
    pub name: String,
    /// The JSON payload (`null` when empty; a JSON string when the body is not JSON).
    pub payload: Value,
    rid: String,
    shared: Arc<Shared>,
    answered: bool,
}

impl std::fmt::Debug for MethodRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodRequest")
            .field("name", &self.name)
            .field("payload", &self.payload)
            .field("request_id", &self.rid)
            .finish()
    }
}

impl MethodRequest {
    pub(crate) fn new(name: String, body: &[u8], rid: String, shared: Arc<Shared>) -> Self {
        MethodRequest {
            name,
            payload: parse_payload(body),
            rid,
            shared,
            answered: false,
        }
    }

    /// The hub's request id (`$rid`).
    pub fn request_id(&self) -> &str {
        &self.rid
    }

    /// Sends the response: `status` (e.g. 200) and a JSON payload. Resolves when the hub
    /// acknowledged it.
    pub async fn respond(mut self, status: i32, payload: Value) -> Result<()> {
        self.answered = true;
        let topic = topics::method_response_topic(status, &self.rid);
        let body = Bytes::from(payload.to_string());
        self.shared
            .publish_and_wait(topic, body, QoS::AtLeastOnce)
            .await
    }
}

impl Drop for MethodRequest {
    fn drop(&mut self) {
        if self.answered || self.shared.is_closed() {
            return;
        }
        let topic = topics::method_response_topic(500, &self.rid);
        let body = serde_json::json!({
            "message": format!("the handler for method {:?} did not respond", self.name)
        });
        let permit = self.shared.try_permit();
        let _ = self.shared.submit_publish(
            topic,
            Bytes::from(body.to_string()),
            QoS::AtLeastOnce,
            permit,
        );
    }
}

/// `null` for an empty body, the JSON value, or the text as a JSON string.
fn parse_payload(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

type Consumer = mpsc::UnboundedSender<MethodRequest>;

/// Who handles which method (guarded by its own lock).
#[derive(Default)]
pub(crate) struct MethodRouter {
    named: HashMap<String, Consumer>,
    default: Option<Consumer>,
    held: VecDeque<MethodRequest>,
    closed: bool,
}

impl MethodRouter {
    fn route(&mut self, request: MethodRequest) {
        if self.closed {
            return;
        }
        let mut request = request;
        if let Some(tx) = self.named.get(&request.name) {
            match tx.send(request) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => {
                    self.named.remove(&back.name);
                    request = back;
                }
            }
        }
        if let Some(tx) = &self.default {
            match tx.send(request) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => {
                    self.default = None;
                    request = back;
                }
            }
        }
        if self.held.len() >= MAX_HELD {
            // Dropping answers 500.
            self.held.pop_front();
        }
        self.held.push_back(request);
    }

    /// Stops routing; returns what was held so the caller drops it outside the lock.
    pub(crate) fn close(&mut self) -> Vec<MethodRequest> {
        self.closed = true;
        self.named.clear();
        self.default = None;
        self.held.drain(..).collect()
    }
}

/// Routes a method request from the hub.
pub(crate) fn on_request(shared: &Arc<Shared>, topic: &str, body: &[u8]) {
    let Some(parsed) = topics::parse_method_request(topic) else {
        tracing::warn!(topic, "ignoring a malformed method request topic");
        return;
    };
    let request = MethodRequest::new(parsed.method_name, body, parsed.rid, Arc::clone(shared));
    let mut router = lock(&shared.methods);
    router.route(request);
}

/// Registers a stream for `name` (or the default stream) and hands it what was held.
pub(crate) fn open_stream(shared: &Arc<Shared>, name: Option<&str>) -> MethodStream {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut router = lock(&shared.methods);
    if !router.closed {
        match name {
            Some(n) => {
                router.named.insert(n.to_string(), tx.clone());
            }
            None => router.default = Some(tx.clone()),
        }
        let held = std::mem::take(&mut router.held);
        for request in held {
            if name.is_none_or(|n| n == request.name) {
                let _ = tx.send(request);
            } else {
                router.held.push_back(request);
            }
        }
    }
    drop(router);
    MethodStream {
        rx,
        shared: Arc::clone(shared),
    }
}

/// A stream of [`MethodRequest`]s for one method (`ModuleClient::method`) or for every
/// method without its own stream (`ModuleClient::default_methods`). Ends when the client
/// closes or another stream takes over the same method.
pub struct MethodStream {
    rx: mpsc::UnboundedReceiver<MethodRequest>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MethodStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodStream").finish_non_exhaustive()
    }
}

impl MethodStream {
    /// The next request, or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<MethodRequest> {
        std::future::poll_fn(|cx| self.poll_request(cx)).await
    }

    fn poll_request(&mut self, cx: &mut Context<'_>) -> Poll<Option<MethodRequest>> {
        match std::task::ready!(self.rx.poll_recv(cx)) {
            Some(_) if self.shared.is_closed() => {
                self.rx.close();
                Poll::Ready(None)
            }
            other => Poll::Ready(other),
        }
    }
}

impl futures_util::Stream for MethodStream {
    type Item = MethodRequest;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MethodRequest>> {
        self.get_mut().poll_request(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        assert_eq!(parse_payload(b""), Value::Null);
        assert_eq!(parse_payload(b" "), Value::Null);
        assert_eq!(parse_payload(br#"{"a":1}"#), serde_json::json!({"a": 1}));
        assert_eq!(parse_payload(b"not json"), Value::String("not json".into()));
    }
}
