//! Direct methods received from the hub: per-method and default consumers (handlers or
//! streams), the one failure reply and the one no-handler reply ([`crate::delivery`]).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use rumqttc::QoS;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::connection::families::{self, Family, Subscribed};
use crate::connection::shared::{lock, Shared};
use crate::delivery::lane::Runner;
use crate::delivery::router::{Keyed, Router};
use crate::delivery::{
    call, BackgroundErrorKind, HandlerFamily, HandlerFuture, METHOD_FAILURE_PAYLOAD,
    METHOD_FAILURE_STATUS, METHOD_NO_HANDLER_PAYLOAD, METHOD_NO_HANDLER_STATUS,
};
use crate::error::{Error, Result};
use crate::protocol::topics;

/// A user's method handler.
pub(crate) type MethodHandler =
    Arc<dyn Fn(MethodRequest) -> HandlerFuture<MethodResponse> + Send + Sync>;

/// A direct-method call to this module.
///
/// From a stream ([`ModuleClient::method`](crate::ModuleClient::method)): answer it with
/// [`respond`](MethodRequest::respond); dropping it unanswered sends the failure reply
/// ([`METHOD_FAILURE_STATUS`](crate::delivery::METHOD_FAILURE_STATUS)). In a handler
/// ([`ModuleClient::set_method_handler`](crate::ModuleClient::set_method_handler)) the
/// handler's result is the answer and `respond` fails with `INVALID_ARGUMENT`.
pub struct MethodRequest {
    /// The method name.
    pub name: String,
    /// The JSON payload (`null` when empty; a JSON string when the body is not JSON).
    pub payload: Value,
    rid: String,
    /// Present (stream API) until answered.
    reply: Option<Arc<Shared>>,
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

impl Keyed for MethodRequest {
    fn key(&self) -> &str {
        &self.name
    }
}

/// A method handler's answer: a status (e.g. 200) and a JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodResponse {
    /// The status the caller sees.
    pub status: i32,
    /// The JSON payload the caller sees.
    pub payload: Value,
}

impl MethodResponse {
    /// An answer with `status` and `payload`.
    pub fn new(status: i32, payload: Value) -> Self {
        MethodResponse { status, payload }
    }
}

impl MethodRequest {
    pub(crate) fn new(name: String, body: &[u8], rid: String, shared: Arc<Shared>) -> Self {
        MethodRequest {
            name,
            payload: parse_payload(body),
            rid,
            reply: Some(shared),
        }
    }

    /// The hub's request id (`$rid`).
    pub fn request_id(&self) -> &str {
        &self.rid
    }

    /// Sends the response: `status` (e.g. 200) and a JSON payload. Resolves when the hub
    /// acknowledged it. `INVALID_ARGUMENT` on a handler's request (its result is the answer).
    pub async fn respond(mut self, status: i32, payload: Value) -> Result<()> {
        let Some(shared) = self.reply.take() else {
            return Err(Error::invalid_argument(
                "this request is answered by its handler's return value",
            ));
        };
        let topic = topics::method_response_topic(status, &self.rid);
        shared
            .publish_and_wait(topic, Bytes::from(payload.to_string()), QoS::AtLeastOnce)
            .await
    }
}

impl Drop for MethodRequest {
    fn drop(&mut self) {
        let Some(shared) = self.reply.take() else {
            return;
        };
        if shared.is_closed() {
            return;
        }
        shared.report(
            BackgroundErrorKind::HandlerFailed,
            HandlerFamily::Method,
            &self.name,
            "the request was dropped unanswered: answered with the failure reply".to_string(),
        );
        send_without_waiting(
            &shared,
            &self.rid,
            METHOD_FAILURE_STATUS,
            METHOD_FAILURE_PAYLOAD,
        );
    }
}

/// Queues an answer without waiting (from `Drop` and the connection task).
fn send_without_waiting(shared: &Shared, rid: &str, status: i32, body: &'static str) {
    let topic = topics::method_response_topic(status, rid);
    let permit = shared.try_permit();
    if let Err(e) = shared.submit_publish(
        topic,
        Bytes::from_static(body.as_bytes()),
        QoS::AtLeastOnce,
        permit,
    ) {
        tracing::warn!("method answer not sent: {e}");
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

/// Runs a user's method handler on one lane (one call at a time) and sends its answer.
pub(crate) struct MethodRunner {
    handler: MethodHandler,
}

impl Runner for MethodRunner {
    type Item = MethodRequest;

    async fn run(&self, mut request: MethodRequest) {
        let Some(shared) = request.reply.take() else {
            return;
        };
        if shared.is_closed() {
            // Closed while queued: no handler call, no answer.
            return;
        }
        let name = request.name.clone();
        let rid = request.rid.clone();
        // Method calls have their own response timeout (up to minutes): no slow warning.
        let result = call(|| (self.handler)(request), |_| {}).await;
        let (status, body) = match result {
            Ok(response) => (response.status, Bytes::from(response.payload.to_string())),
            Err(e) => {
                shared.report(
                    BackgroundErrorKind::HandlerFailed,
                    HandlerFamily::Method,
                    &name,
                    format!("the handler failed, answered with the failure reply: {e}"),
                );
                (
                    METHOD_FAILURE_STATUS,
                    Bytes::from_static(METHOD_FAILURE_PAYLOAD.as_bytes()),
                )
            }
        };
        if shared.is_closed() {
            return;
        }
        let topic = topics::method_response_topic(status, &rid);
        if let Err(e) = shared.publish_and_wait(topic, body, QoS::AtLeastOnce).await {
            tracing::warn!(method = name, "the method answer was not delivered: {e}");
        }
    }
}

/// Who handles which method (guarded by its own lock).
pub(crate) type MethodRouter = Router<MethodRunner>;

/// Routes a method request from the hub; nothing handles it: the no-handler reply.
pub(crate) fn on_request(shared: &Arc<Shared>, topic: &str, body: &[u8]) {
    let Some(parsed) = topics::parse_method_request(topic) else {
        tracing::warn!(topic, "ignoring a malformed method request topic");
        return;
    };
    let Some(runtime) = shared.runtime() else {
        return;
    };
    let request = MethodRequest::new(parsed.method_name, body, parsed.rid, Arc::clone(shared));
    let routed = lock(&shared.methods).route(request, runtime);
    let Err(mut request) = routed else {
        return;
    };
    let Some(shared) = request.reply.take() else {
        return;
    };
    if shared.is_closed() {
        return;
    }
    shared.report(
        BackgroundErrorKind::NoHandler,
        HandlerFamily::Method,
        &request.name,
        format!(
            "no handler for this method and no default handler: answered {METHOD_NO_HANDLER_STATUS}"
        ),
    );
    send_without_waiting(
        &shared,
        &request.rid,
        METHOD_NO_HANDLER_STATUS,
        METHOD_NO_HANDLER_PAYLOAD,
    );
}

/// Makes `handler` the handler of `method` (`None`: the default handler).
pub(crate) fn set_handler(
    shared: &Arc<Shared>,
    method: Option<&str>,
    handler: MethodHandler,
) -> Subscribed {
    {
        let mut router = lock(&shared.methods);
        if router.is_closed() {
            return Subscribed::ready(Err(Error::closed()));
        }
        router.set_handler(method, MethodRunner { handler });
    }
    families::activate(shared, &[Family::Methods])
}

/// Removes the handler or stream of `method` (`None`: the default one).
pub(crate) fn clear(shared: &Shared, method: Option<&str>) {
    lock(&shared.methods).remove(method);
}

/// Registers a stream for `name` (or the default stream).
pub(crate) fn open_stream(shared: &Arc<Shared>, name: Option<&str>) -> MethodStream {
    let (tx, rx) = mpsc::unbounded_channel();
    lock(&shared.methods).set_stream(name, tx);
    // The stream API has no way to wait for the SUBACK; `connect()` covers the usual case.
    drop(families::activate(shared, &[Family::Methods]));
    MethodStream {
        rx,
        shared: Arc::clone(shared),
    }
}

/// A stream of [`MethodRequest`]s for one method (`ModuleClient::method`) or for every
/// method without its own consumer (`ModuleClient::default_methods`). Ends when the client
/// closes or another stream or handler takes over the same method.
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
