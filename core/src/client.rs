//! `ModuleClient`: the public, cheaply cloneable handle.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rumqttc::{EventLoop, QoS};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::auth::TokenSource;
use crate::builder::ClientBuilder;
use crate::connection::shared::{lock, Readiness, Shared, MAX_TOPIC_LEN};
use crate::connection::{self, event_loop};
use crate::error::{Error, ErrorKind, Result};
use crate::identity::ModuleIdentity;
use crate::inputs::{self, InputStream, Redelivery};
use crate::invoke::{self, MethodInvokeRequest, MethodInvokeResponse};
use crate::message::Message;
use crate::methods::{self, MethodStream};
use crate::options::{ClientOptions, Qos};
use crate::protocol::{topics, MAX_MESSAGE_SIZE};
use crate::status::{ConnectionStatus, StatusEvent};
use crate::status_changes::StatusChanges;
use crate::twin::{self, DesiredPatchStream, Twin};
use crate::user_topics::{self, Subscription};

/// How long `close()` waits for the connection task to say goodbye.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// An Azure IoT Edge module client.
///
/// Create it from the IoT Edge environment ([`from_environment`](ModuleClient::from_environment)),
/// from a connection string, or with [`builder`](ModuleClient::builder). Clones share one
/// connection; it is closed by [`close`](ModuleClient::close) or when the last clone is
/// dropped. Every operation has a timeout (`ClientOptions::operation_timeout`).
///
/// ```no_run
/// use edgemodule::{Message, ModuleClient};
///
/// # async fn run() -> edgemodule::Result<()> {
/// let client = ModuleClient::from_environment().await?;
/// let mut input = client.input("input1");
/// let mut reset = client.method("reset");
/// client.connect().await?;
///
/// tokio::spawn(async move {
///     while let Some(request) = reset.next().await {
///         let _ = request.respond(200, serde_json::json!({"reset": true})).await;
///     }
/// });
/// while let Some(message) = input.next().await {
///     client.send_output("output1", message.message().clone()).await?;
///     message.ack()?; // processed: the hub may forget it
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ModuleClient {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for ModuleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = &self.handle.shared.identity;
        f.debug_struct("ModuleClient")
            .field("device_id", &id.device_id)
            .field("module_id", &id.module_id)
            .field("gateway", &format!("{}:{}", id.gateway_host, id.mqtt_port))
            .finish()
    }
}

enum Runner {
    Idle(Box<(EventLoop, mpsc::UnboundedReceiver<Redelivery>)>),
    Running(JoinHandle<()>),
    Stopped,
}

/// Owned by every clone; the last one dropped shuts the connection down.
struct Handle {
    shared: Arc<Shared>,
    runner: Mutex<Runner>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.shut_down(Error::closed(), StatusEvent::Closed);
    }
}

impl ModuleClient {
    /// A builder for a client with custom options.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client for the module IoT Edge started: `IOTEDGE_*` variables (signing and trust
    /// through the workload API) or `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`.
    /// `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT` override the gateway ports 8883 /
    /// 443 (`edgemodule-hub` sets them when it listens elsewhere). A missing or malformed
    /// variable → `CONFIG` naming it.
    pub async fn from_environment() -> Result<ModuleClient> {
        ClientBuilder::new().build().await
    }

    /// A client for a module connection string. It trusts the PEM file named by
    /// `EdgeModuleCACertificateFile` (use the builder's
    /// [`trust_bundle_pem`](ClientBuilder::trust_bundle_pem) for another bundle; with
    /// neither, `CONFIG`); `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT` override the
    /// gateway ports as for [`from_environment`](ModuleClient::from_environment).
    pub async fn from_connection_string(connection_string: &str) -> Result<ModuleClient> {
        ClientBuilder::new()
            .connection_string(connection_string)
            .build()
            .await
    }

    pub(crate) fn start(
        identity: ModuleIdentity,
        options: ClientOptions,
        tokens: TokenSource,
        tls: Arc<rustls::ClientConfig>,
    ) -> ModuleClient {
        let prepared = connection::prepare(identity, options, tokens, tls);
        ModuleClient {
            handle: Arc::new(Handle {
                shared: prepared.shared,
                runner: Mutex::new(Runner::Idle(Box::new((
                    prepared.eventloop,
                    prepared.redeliveries,
                )))),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Starts the connection task if it is not running yet.
    fn ensure_started(&self) -> Result<()> {
        let shared = self.shared();
        if shared.is_closed() {
            return Err(shared.closed_error());
        }
        let mut runner = lock(&self.handle.runner);
        if let Runner::Idle(_) = &*runner {
            let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
                Error::new(
                    ErrorKind::Internal,
                    "edgemodule operations must run inside a tokio runtime",
                )
            })?;
            if let Runner::Idle(parts) = std::mem::replace(&mut *runner, Runner::Stopped) {
                let (eventloop, redeliveries) = *parts;
                runtime.spawn(inputs::run_redelivery(Arc::downgrade(shared), redeliveries));
                *runner =
                    Runner::Running(runtime.spawn(event_loop::run(eventloop, Arc::clone(shared))));
            }
        }
        Ok(())
    }

    /// Connects (or waits for the running reconnect): resolves once connected and
    /// subscribed. `UNAUTHORIZED` at once when the hub refuses the credentials;
    /// `CONNECTION` (with the last failure) or `TIMEOUT` when not connected within the
    /// operation timeout — the client keeps retrying in the background either way, except
    /// after `UNAUTHORIZED`. Calling it is optional: every operation starts the connection.
    pub async fn connect(&self) -> Result<()> {
        self.ensure_started()?;
        let shared = self.shared();
        let mut readiness = shared.readiness.subscribe();
        let limit = shared.options.operation_timeout;
        let wait = async {
            loop {
                match readiness.borrow_and_update().clone() {
                    Readiness::Ready => return Ok(()),
                    Readiness::Failed(e) => return Err(e),
                    Readiness::Idle | Readiness::Connecting(_) => {}
                }
                if readiness.changed().await.is_err() {
                    return Err(Error::closed());
                }
            }
        };
        match tokio::time::timeout(limit, wait).await {
            Ok(result) => result,
            Err(_) => match shared.readiness.borrow().clone() {
                Readiness::Connecting(Some(e)) => Err(Error::new(
                    e.kind(),
                    format!("not connected after {limit:?}: {}", e.message()),
                )),
                _ => Err(Error::new(
                    ErrorKind::Timeout,
                    format!("not connected after {limit:?}"),
                )),
            },
        }
    }

    /// Sends `message` to output `output` (routed by the hub). Resolves on the hub's
    /// PUBACK. `MESSAGE_TOO_LARGE` (nothing sent) above 256 KiB.
    pub async fn send_output(&self, output: &str, message: Message) -> Result<()> {
        check_output(output)?;
        self.send(Some(output), message).await
    }

    /// Sends `message` as module telemetry without an output name.
    pub async fn send_event(&self, message: Message) -> Result<()> {
        self.send(None, message).await
    }

    async fn send(&self, output: Option<&str>, message: Message) -> Result<()> {
        let (topic, body) = self.outgoing(output, message)?;
        self.ensure_started()?;
        self.shared()
            .publish_and_wait(topic, body, QoS::AtLeastOnce)
            .await
    }

    /// Sends several messages to `output`, pipelined (up to the in-flight limit at once).
    /// Every message is checked before any is sent. `Ok` when the hub acknowledged all of
    /// them; otherwise the first error (earlier messages may have been delivered).
    pub async fn send_output_batch(&self, output: &str, messages: Vec<Message>) -> Result<()> {
        check_output(output)?;
        let prepared: Vec<(String, Bytes)> = messages
            .into_iter()
            .map(|m| self.outgoing(Some(output), m))
            .collect::<Result<_>>()?;
        self.ensure_started()?;
        let shared = self.shared();
        let work = async {
            let mut answers = Vec::with_capacity(prepared.len());
            for (topic, body) in prepared {
                let permit = shared.acquire_permit().await?;
                answers.push(shared.submit_publish(topic, body, QoS::AtLeastOnce, Some(permit))?);
            }
            let mut first_error = None;
            for answer in answers {
                let outcome = answer.await.unwrap_or_else(|_| Err(Error::closed()));
                if let Err(e) = outcome {
                    first_error.get_or_insert(e);
                }
            }
            first_error.map_or(Ok(()), Err)
        };
        shared.with_timeout("send_output_batch", work).await
    }

    /// Topic and body for an outgoing message, after the size check.
    fn outgoing(&self, output: Option<&str>, mut message: Message) -> Result<(String, Bytes)> {
        // Assigned by the hub from the authenticated identity, never by the sender.
        message.connection_device_id = None;
        message.connection_module_id = None;
        message.input_name = None;
        message.output_name = output.map(str::to_string);
        message.validate()?;
        let id = &self.shared().identity;
        let topic = topics::telemetry_topic(
            &id.device_id,
            Some(&id.module_id),
            &message.encode_bag(output),
        );
        if topic.len() > MAX_TOPIC_LEN {
            return Err(Error::new(
                ErrorKind::MessageTooLarge,
                format!(
                    "the encoded properties make the topic {} bytes; MQTT allows \
                     {MAX_TOPIC_LEN} (put large data in the body)",
                    topic.len()
                ),
            ));
        }
        Ok((topic, Bytes::from(message.body)))
    }

    /// The stream of messages arriving on input `name`. Registering again for the same
    /// input replaces the previous stream (which then ends).
    pub fn input(&self, name: &str) -> InputStream {
        inputs::open_stream(self.shared(), Some(name))
    }

    /// The stream of messages for every input that has no stream of its own.
    pub fn default_inputs(&self) -> InputStream {
        inputs::open_stream(self.shared(), None)
    }

    /// Reads the module twin.
    pub async fn get_twin(&self) -> Result<Twin> {
        self.ensure_started()?;
        twin::get_twin(self.shared()).await
    }

    /// Merges `patch` (a JSON object; `null` removes a member) into the reported
    /// properties. A hub refusal → `SERVICE` (with the status) or a status-specific kind.
    pub async fn patch_reported(&self, patch: Value) -> Result<()> {
        self.ensure_started()?;
        twin::patch_reported(self.shared(), &patch).await
    }

    /// The stream of desired-property patches (including catch-up patches after a
    /// reconnect). Each stream receives every patch.
    pub fn desired_patches(&self) -> DesiredPatchStream {
        twin::open_stream(self.shared())
    }

    /// The stream of calls to direct method `name`. Registering again for the same method
    /// replaces the previous stream.
    pub fn method(&self, name: &str) -> MethodStream {
        methods::open_stream(self.shared(), Some(name))
    }

    /// The stream of calls to every method without a stream of its own.
    pub fn default_methods(&self) -> MethodStream {
        methods::open_stream(self.shared(), None)
    }

    /// Calls a direct method on module `module_id` of device `device_id` (or on the device
    /// itself when `module_id` is `None`) through the gateway's HTTPS API. Honours the
    /// request's connect and response timeouts. `NOT_FOUND` when the target is not
    /// connected, `TIMEOUT` when it did not answer, `UNAUTHORIZED` when the hub refused
    /// this module's token.
    pub async fn invoke_method(
        &self,
        device_id: &str,
        module_id: Option<&str>,
        request: MethodInvokeRequest,
    ) -> Result<MethodInvokeResponse> {
        let shared = self.shared();
        if shared.is_closed() {
            return Err(shared.closed_error());
        }
        invoke::invoke(shared, device_id, module_id, request).await
    }

    /// Publishes `payload` to a user-defined topic (allowed by the hub's broker policy).
    pub async fn publish(&self, topic: &str, payload: impl Into<Bytes>, qos: Qos) -> Result<()> {
        user_topics::validate_topic(topic)?;
        let payload = payload.into();
        if payload.len() + topic.len() > MAX_MESSAGE_SIZE {
            return Err(Error::new(
                ErrorKind::MessageTooLarge,
                format!(
                    "the payload is {} bytes; the limit is {MAX_MESSAGE_SIZE}",
                    payload.len()
                ),
            ));
        }
        self.ensure_started()?;
        self.shared()
            .publish_and_wait(topic.to_string(), payload, user_topics::mqtt_qos(qos))
            .await
    }

    /// Subscribes to a user-defined topic filter (QoS 1). Resolves once the hub accepted it
    /// (`UNAUTHORIZED` if its policy refuses); every reconnect subscribes it again.
    pub async fn subscribe(&self, filter: &str) -> Result<Subscription> {
        self.ensure_started()?;
        user_topics::subscribe(self.shared(), filter, Qos::AtLeastOnce).await
    }

    /// The connection status; `changed().await` on the receiver to follow it.
    pub fn status(&self) -> watch::Receiver<ConnectionStatus> {
        self.shared().status.subscribe()
    }

    /// The status changes from now on, as a stream that ends after `Closed` (what every
    /// binding's status callback is fed from).
    pub fn status_changes(&self) -> StatusChanges {
        StatusChanges::new(self.status())
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.shared().identity.device_id
    }

    /// The module id.
    pub fn module_id(&self) -> &str {
        &self.shared().identity.module_id
    }

    /// Closes the client: every operation still in flight fails with `CLOSED` (exactly
    /// once; those already acknowledged succeed), the streams end, nothing is delivered
    /// afterwards, and the connection is shut down (DISCONNECT). Idempotent.
    ///
    /// `CLOSED` means "not confirmed": a message already written may still have reached
    /// the hub; one still queued is never sent.
    pub async fn close(&self) -> Result<()> {
        self.shared()
            .shut_down(Error::closed(), StatusEvent::Closed);
        let task = match std::mem::replace(&mut *lock(&self.handle.runner), Runner::Stopped) {
            Runner::Running(task) => Some(task),
            _ => None,
        };
        if let Some(task) = task {
            if tokio::time::timeout(CLOSE_GRACE, task).await.is_err() {
                tracing::warn!("the connection task did not stop in time");
            }
        }
        Ok(())
    }
}

fn check_output(output: &str) -> Result<()> {
    if output.is_empty() {
        return Err(Error::invalid_argument("the output name must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn handles_can_cross_threads() {
        // Bindings move these between their threads and the runtime.
        send_sync::<ModuleClient>();
        send_sync::<crate::InputMessage>();
        send_sync::<crate::MethodRequest>();
        send::<InputStream>();
        send::<MethodStream>();
        send::<DesiredPatchStream>();
        send::<Subscription>();
        send_sync::<Error>();
    }
}
