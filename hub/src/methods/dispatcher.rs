//! Direct-method calls into modules over MQTT (protocol.md §6.1): publish the request on
//! `$iothub/methods/POST/{name}/?$rid={guid}` and wait for `$iothub/methods/res/{status}/?$rid=`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use edgemodule::protocol::topics;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::HubError;
use crate::metrics::{names::UPSTREAM, HubMetrics};
use crate::twins::ClientPublisher;

/// Largest request or response payload, in bytes (§10).
pub const MAX_PAYLOAD_BYTES: usize = 128 * 1024;

/// A call waiting for its response: which module must answer, and where the answer goes.
struct Pending {
    module: String,
    reply: oneshot::Sender<(i32, Value)>,
}

/// Sends direct-method requests to modules and matches their responses. Cheap to clone.
#[derive(Clone)]
pub struct MethodDispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    broker: Arc<dyn ClientPublisher>,
    device_id: String,
    /// Counts calls (`edgehub_direct_methods_total`).
    metrics: Arc<HubMetrics>,
    /// Keyed by the lowercase request id (edgeHub matches responses case-insensitively).
    pending: Mutex<HashMap<String, Pending>>,
}

impl MethodDispatcher {
    /// A dispatcher publishing through `broker` to modules of the edge device `device_id`.
    pub fn new(broker: impl ClientPublisher, device_id: String) -> MethodDispatcher {
        Self::with_publisher(Arc::new(broker), device_id)
    }

    /// Same as [`MethodDispatcher::new`] for an already shared publisher.
    pub fn with_publisher(broker: Arc<dyn ClientPublisher>, device_id: String) -> Self {
        let metrics = HubMetrics::disabled(&device_id);
        Self::with_metrics(broker, device_id, metrics)
    }

    /// A dispatcher that counts its calls in `metrics`.
    pub fn with_metrics(
        broker: Arc<dyn ClientPublisher>,
        device_id: String,
        metrics: Arc<HubMetrics>,
    ) -> Self {
        MethodDispatcher {
            inner: Arc::new(Inner {
                broker,
                device_id,
                metrics,
                pending: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The edge device whose modules this dispatcher calls.
    pub fn device_id(&self) -> &str {
        &self.inner.device_id
    }

    /// Publishes `$iothub/methods/POST/{name}/?$rid={guid}` to `{d}/{module}` (waiting up to
    /// `connect_timeout` for its methods subscription; zero means it must be subscribed now)
    /// and awaits the response. Err(NotFound) → 404, Err(Timeout) → 504. The call counts as
    /// one from the cloud (`from="upstream"` in the metrics), as the operator's calls are.
    pub async fn invoke(
        &self,
        module: &str,
        method: &str,
        payload: Value,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<(i32, Value), HubError> {
        self.invoke_from(
            UPSTREAM,
            module,
            method,
            payload,
            connect_timeout,
            response_timeout,
        )
        .await
    }

    /// [`invoke`](Self::invoke) on behalf of `caller`: the calling module's identity id
    /// (`{device}/{module}`) or `upstream`.
    pub async fn invoke_from(
        &self,
        caller: &str,
        module: &str,
        method: &str,
        payload: Value,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<(i32, Value), HubError> {
        self.inner.metrics.direct_method(caller, module);
        let body = serde_json::to_vec(&payload).map_err(|e| HubError::Other(e.to_string()))?;
        if body.len() > MAX_PAYLOAD_BYTES {
            return Err(HubError::BadRequest(format!(
                "method payload is {} bytes, more than the {MAX_PAYLOAD_BYTES} allowed",
                body.len()
            )));
        }
        let client_id = format!("{}/{module}", self.inner.device_id);
        let rid = uuid::Uuid::new_v4().to_string();
        let topic = topics::method_request_topic(method, &rid);

        let reachable = self.inner.broker.is_subscribed(&client_id, &topic)
            || (!connect_timeout.is_zero()
                && self
                    .inner
                    .broker
                    .wait_subscribed(&client_id, &topic, connect_timeout)
                    .await);
        if !reachable {
            // edgeHub answers 404 both when the module is not connected and when it has not
            // subscribed to methods (docs/hub.md, "Direct methods").
            let why = if self.inner.broker.is_connected(&client_id) {
                "not subscribed to $iothub/methods/POST/#"
            } else {
                "not connected"
            };
            tracing::info!(module, method, why, "direct method call answered 404");
            return Err(not_found(&client_id));
        }

        let (reply, answer) = oneshot::channel();
        let _registration = Registration::new(self, &rid, module, reply);
        if !self
            .inner
            .broker
            .publish_to(&client_id, &topic, Bytes::from(body), 1)
        {
            return Err(not_found(&client_id));
        }
        tracing::debug!(module, method, rid, "direct method request sent");
        match tokio::time::timeout(response_timeout, answer).await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(_)) => Err(HubError::Other("method dispatcher dropped".to_string())),
            Err(_) => Err(HubError::Timeout(format!(
                "{client_id} did not answer method {method} within {}s",
                response_timeout.as_secs_f64()
            ))),
        }
    }

    /// Called by the broker for a publish on `$iothub/methods/res/{status}/?$rid={rid}` from
    /// `module`. Responses to unknown or expired requests, from another module, or with a
    /// malformed topic are dropped.
    pub fn on_response(&self, module: &str, topic: &str, payload: &[u8]) {
        let Some((status, rid)) = topics::parse_method_response(topic) else {
            tracing::warn!(module, topic, "malformed direct method response topic");
            return;
        };
        let key = rid.to_lowercase();
        let pending = {
            let mut map = self.lock_pending();
            match map.get(&key) {
                Some(p) if p.module == module => map.remove(&key),
                Some(_) => {
                    tracing::warn!(module, rid, "method response from the wrong module");
                    None
                }
                None => None,
            }
        };
        match pending {
            Some(p) => {
                // The caller may have timed out just now; nothing to do then.
                let _ = p.reply.send((status, parse_response_payload(payload)));
            }
            None => tracing::debug!(module, rid, "method response for no pending request"),
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Removes a pending call from the table when the call ends, however it ends.
struct Registration<'a> {
    dispatcher: &'a MethodDispatcher,
    key: String,
}

impl<'a> Registration<'a> {
    fn new(
        dispatcher: &'a MethodDispatcher,
        rid: &str,
        module: &str,
        reply: oneshot::Sender<(i32, Value)>,
    ) -> Self {
        let key = rid.to_lowercase();
        dispatcher.lock_pending().insert(
            key.clone(),
            Pending {
                module: module.to_string(),
                reply,
            },
        );
        Registration { dispatcher, key }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.dispatcher.lock_pending().remove(&self.key);
    }
}

fn not_found(client_id: &str) -> HubError {
    HubError::NotFound(format!("Client {client_id} not found"))
}

/// The module's response body as JSON: empty → null; text that is not JSON is kept as a
/// JSON string (edgeHub forwards it raw, which would make its HTTP answer invalid JSON).
pub fn parse_response_payload(payload: &[u8]) -> Value {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn response_payloads() {
        assert_eq!(parse_response_payload(b""), Value::Null);
        assert_eq!(parse_response_payload(b" "), Value::Null);
        assert_eq!(parse_response_payload(b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(parse_response_payload(b"42"), json!(42));
        assert_eq!(parse_response_payload(b"not json"), json!("not json"));
    }
}
