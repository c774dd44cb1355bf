//! `ModuleClient`: the public, cheaply cloneable handle.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rumqttc::{EventLoop, QoS};
use serde_json::Value;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::auth::TokenSource;
use crate::builder::ClientBuilder;
use crate::connection::families::{self, Subscribed};
use crate::connection::shared::{lock, Readiness, Shared, MAX_TOPIC_LEN};
use crate::connection::{self, event_loop};
use crate::delivery::{BackgroundErrors, HandlerError, HandlerFuture};
use crate::error::{Error, ErrorKind, Result};
use crate::identity::ModuleIdentity;
use crate::inputs::{self, InputMessage, InputStream};
use crate::invoke::{self, MethodInvokeRequest, MethodInvokeResponse};
use crate::message::Message;
use crate::methods::{self, MethodRequest, MethodResponse, MethodStream};
use crate::options::{ClientOptions, Qos};
use crate::protocol::{topics, MAX_MESSAGE_SIZE};
use crate::status::{ConnectionStatus, StatusEvent};
use crate::status_changes::StatusChanges;
use crate::twin::{self, DesiredPatchStream, Twin};
use crate::twin_state::DesiredPatch;
use crate::user_topics::{self, Subscription, UserMessage};

/// How long `close()` waits for the connection task to say goodbye.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// An Azure IoT Edge module client.
///
/// Create it from the IoT Edge environment ([`from_environment`](ModuleClient::from_environment)),
/// from a connection string, or with [`builder`](ModuleClient::builder). Clones share one
/// connection; it is closed by [`close`](ModuleClient::close) or when the last clone is
/// dropped. Every operation has a timeout (`ClientOptions::operation_timeout`).
///
/// Handlers (the API every language binding maps; the rules are in [`crate::delivery`]):
///
/// ```no_run
/// use edgemodule::{MethodResponse, ModuleClient};
///
/// # async fn run() -> edgemodule::Result<()> {
/// let client = ModuleClient::from_environment().await?;
/// let sender = client.clone();
/// // One message at a time per handler; acknowledged when the handler returns Ok.
/// client
///     .set_input_handler(Some("input1"), move |message| {
///         let sender = sender.clone();
///         async move {
///             sender.send_output("output1", message.message().clone()).await?;
///             Ok(())
///         }
///     })
///     .await?; // not connected yet: resolves at once
/// client
///     .set_method_handler(Some("reset"), |_request| async {
///         Ok(MethodResponse::new(200, serde_json::json!({"reset": true})))
///     })
///     .await?;
/// client.connect().await?; // subscribed to inputs and methods once this resolves
/// # Ok(()) }
/// ```
///
/// Or streams, settling each message yourself:
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
            .field("module_id", &id.module_label())
            .field("gateway", &format!("{}:{}", id.gateway_host, id.mqtt_port))
            .finish()
    }
}

enum Runner {
    Idle(Box<EventLoop>),
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
                runner: Mutex::new(Runner::Idle(Box::new(prepared.eventloop))),
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
            if let Runner::Idle(eventloop) = std::mem::replace(&mut *runner, Runner::Stopped) {
                shared.set_runtime(runtime.clone());
                shared.readiness.send_replace(Readiness::Connecting(None));
                *runner =
                    Runner::Running(runtime.spawn(event_loop::run(*eventloop, Arc::clone(shared))));
            }
        }
        Ok(())
    }

    /// Connects (or waits for the running reconnect): resolves once connected and
    /// subscribed to everything registered so far (handlers and streams registered after
    /// an earlier `connect` included). `UNAUTHORIZED` at once when the hub refuses the
    /// credentials; `CONNECTION` (with the last failure) or `TIMEOUT` when not connected
    /// within the operation timeout — the client keeps retrying in the background either
    /// way, except after `UNAUTHORIZED`. Calling it is optional: every operation starts the
    /// connection.
    pub async fn connect(&self) -> Result<()> {
        self.wait_ready().await?;
        families::confirm_all(self.shared()).await
    }

    async fn wait_ready(&self) -> Result<()> {
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
    ///
    /// The message is checked and encoded when this is called; the returned future owns
    /// what it needs (it does not borrow the client) and reports the outcome.
    pub fn send_output(
        &self,
        output: &str,
        message: Message,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.send_to(Some(output), message)
    }

    /// Sends `message` as module telemetry without an output name (as
    /// [`send_output`](Self::send_output) does otherwise).
    pub fn send_event(
        &self,
        message: Message,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.send_to(None, message)
    }

    /// [`send_output`](Self::send_output) when `output` is `Some`, else
    /// [`send_event`](Self::send_event): for callers (the bindings) whose API takes an
    /// optional output, so that the choice is made here once.
    pub fn send_to(
        &self,
        output: Option<&str>,
        message: Message,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let prepared = match output {
            Some(name) => check_output(name).and_then(|()| self.outgoing(Some(name), message)),
            None => self.outgoing(None, message),
        };
        self.publish_prepared(prepared)
    }

    /// Publishes an encoded message. Not an `async fn` over the `Message`: an async fn keeps
    /// its arguments in every state, and a 456-byte `Message` at each layer made a send
    /// future 2 KiB, copied and allocated outside malloc's small-object cache per send.
    fn publish_prepared(
        &self,
        prepared: Result<(String, Bytes)>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let client = self.clone();
        async move {
            let (topic, body) = prepared?;
            client.ensure_started()?;
            client
                .shared()
                .publish_and_wait(topic, body, QoS::AtLeastOnce)
                .await
        }
    }

    /// Sends several messages to `output`, pipelined (up to the in-flight limit at once).
    /// Every message is checked before any is sent. `Ok` when the hub acknowledged all of
    /// them; otherwise the first error (earlier messages may have been delivered).
    pub async fn send_output_batch(&self, output: &str, messages: Vec<Message>) -> Result<()> {
        check_output(output)?;
        self.send_batch(Some(output), messages, "send_output_batch")
            .await
    }

    /// Sends `messages` pipelined, in order, to `output` (or as telemetry without one).
    pub(crate) async fn send_batch(
        &self,
        output: Option<&str>,
        messages: Vec<Message>,
        what: &str,
    ) -> Result<()> {
        let prepared: Vec<(String, Bytes)> = messages
            .into_iter()
            .map(|m| self.outgoing(output, m))
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
        shared.with_timeout(what, work).await
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
            id.module_id.as_deref(),
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

    /// Handles the messages of input `input` (`None`: of every input without a handler or
    /// stream of its own) with `handler`, replacing what handled them before.
    ///
    /// The rules, the same in every language ([`crate::delivery`] has the details):
    /// - **one message at a time per handler, in arrival order**; different handlers run
    ///   concurrently, on the client's tokio runtime (never on the connection task);
    /// - a message is **acknowledged when the handler returns `Ok`**; PUBACKs leave in arrival
    ///   order, so later messages' acknowledgements wait for it;
    /// - on `Err` or a panic the handler is called again with the same message after
    ///   `redelivery_delay` (500 ms), then twice that, and so on: **4 calls in all**
    ///   (option `handler_attempts`) (0.5 s,
    ///   1 s, 2 s apart); then the message is acknowledged, dropped and reported as
    ///   `HANDLER_FAILED` on [`background_errors`](ModuleClient::background_errors);
    /// - a call running longer than 30 s (edgeHub's acknowledgement timeout) is reported as
    ///   `SLOW_HANDLER` (it goes on; edgeHub will send the message again);
    /// - a message for an input with neither its own handler nor a default handler is
    ///   acknowledged, dropped and reported as `NO_HANDLER` (while no input handler exists at
    ///   all, it first waits up to 10 s for one).
    ///
    /// The first input handler subscribes the client to inputs: the returned [`Subscribed`]
    /// resolves once the hub confirmed it (awaiting it is optional). A handler that holds a
    /// clone of the client keeps the connection alive after the other handles are dropped:
    /// end it with [`close`](ModuleClient::close).
    pub fn set_input_handler<F, Fut>(&self, input: Option<&str>, handler: F) -> Subscribed
    where
        F: Fn(InputMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        if let Err(e) = check_name("input", input) {
            return Subscribed::ready(Err(e));
        }
        let handler = Arc::new(move |message| Box::pin(handler(message)) as HandlerFuture<()>);
        inputs::set_handler(self.shared(), input, handler)
    }

    /// Removes the handler (or stream) of `input` (`None`: the default one). It finishes the
    /// messages it already has; later ones follow the no-handler rule.
    pub fn clear_input_handler(&self, input: Option<&str>) {
        inputs::clear(self.shared(), input);
    }

    /// The stream of messages arriving on input `name` (the stream API; handlers are the
    /// API every binding shares). Registering a stream or handler for the same input
    /// replaces this stream, which then ends. Settle every message (`ack`, `abandon`):
    /// acknowledgements leave in arrival order.
    pub fn input(&self, name: &str) -> InputStream {
        inputs::open_stream(self.shared(), Some(name))
    }

    /// The stream of messages for every input that has no handler or stream of its own.
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
    /// reconnect). Each stream receives every patch. The first stream or handler subscribes
    /// the client to desired patches.
    pub fn desired_patches(&self) -> DesiredPatchStream {
        twin::open_stream(self.shared())
    }

    /// Handles desired-property patches (including catch-up patches after a reconnect) with
    /// `handler`, replacing the previous handler (streams keep receiving too). One patch at a
    /// time, in order; a failing handler is retried like an input handler (4 calls, then
    /// `HANDLER_FAILED`). Patches are acknowledged on arrival. The returned [`Subscribed`]
    /// resolves once the hub confirmed the subscription.
    pub fn set_desired_handler<F, Fut>(&self, handler: F) -> Subscribed
    where
        F: Fn(DesiredPatch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        let handler = Arc::new(move |patch| Box::pin(handler(patch)) as HandlerFuture<()>);
        twin::set_handler(self.shared(), handler)
    }

    /// Removes the desired-properties handler.
    pub fn clear_desired_handler(&self) {
        twin::clear_handler(self.shared());
    }

    /// Answers calls of direct method `method` (`None`: of every method without a handler or
    /// stream of its own) with `handler`, replacing what answered them before.
    ///
    /// One call at a time per handler, in arrival order. The handler's
    /// [`MethodResponse`] is the answer. If it returns `Err` or panics, the caller gets the
    /// one failure reply of every language: status **500** and payload
    /// `{"error":"HANDLER_FAILED","message":"the method handler failed"}`
    /// ([`crate::delivery::METHOD_FAILURE_PAYLOAD`]); the error itself goes to
    /// [`background_errors`](ModuleClient::background_errors), never to the caller. A call of
    /// a method nothing handles is answered **501**
    /// ([`crate::delivery::METHOD_NO_HANDLER_PAYLOAD`]). A module that registers no method
    /// handler is not subscribed to methods: edgeHub answers its callers 404 at once.
    pub fn set_method_handler<F, Fut>(&self, method: Option<&str>, handler: F) -> Subscribed
    where
        F: Fn(MethodRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<MethodResponse, HandlerError>> + Send + 'static,
    {
        if let Err(e) = check_name("method", method) {
            return Subscribed::ready(Err(e));
        }
        let handler =
            Arc::new(move |request| Box::pin(handler(request)) as HandlerFuture<MethodResponse>);
        methods::set_handler(self.shared(), method, handler)
    }

    /// Removes the handler (or stream) of `method` (`None`: the default one); its calls get
    /// the no-handler answer (501) from then on.
    pub fn clear_method_handler(&self, method: Option<&str>) {
        methods::clear(self.shared(), method);
    }

    /// The stream of calls to direct method `name` (the stream API). Registering a stream or
    /// handler for the same method replaces this stream.
    pub fn method(&self, name: &str) -> MethodStream {
        methods::open_stream(self.shared(), Some(name))
    }

    /// The stream of calls to every method without a handler or stream of its own.
    pub fn default_methods(&self) -> MethodStream {
        methods::open_stream(self.shared(), None)
    }

    /// Errors that happen in the background (a handler that failed for good, a message
    /// dropped for lack of a handler, a slow handler), each with a kind, the handler family,
    /// the input/method/topic name and a message. Every stream receives every error reported
    /// after it was opened; ends when the client closes. Bindings forward it to their error
    /// callback.
    pub fn background_errors(&self) -> BackgroundErrors {
        match lock(&self.shared().background).as_ref() {
            Some(channel) => BackgroundErrors::new(channel.subscribe()),
            // Closed: an ended stream.
            None => BackgroundErrors::new(broadcast::channel(1).1),
        }
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
    /// `UNAUTHORIZED` (QoS 1) when the hub's policy denies the topic: `edgemodule-hub` says
    /// so before it closes the connection as the IoT Edge 1.2 broker does (a broker that only
    /// closes the connection leaves the client re-sending until `TIMEOUT`).
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
    /// (`UNAUTHORIZED` if its policy refuses); every reconnect subscribes it again. A message
    /// is acknowledged when the stream asks for the next one (or is dropped); dropping the
    /// last subscription of a filter, or [`Subscription::unsubscribe`], sends UNSUBSCRIBE.
    pub async fn subscribe(&self, filter: &str) -> Result<Subscription> {
        self.ensure_started()?;
        user_topics::subscribe(self.shared(), filter, Qos::AtLeastOnce, None).await
    }

    /// Subscribes to a user-defined topic filter (QoS 1) with a handler: one message at a
    /// time, in arrival order, acknowledged when the handler returns (retried like an input
    /// handler on failure: 4 calls, then `HANDLER_FAILED`). Keep the returned
    /// [`Subscription`]: dropping it (or `unsubscribe`) ends the subscription.
    pub async fn subscribe_with_handler<F, Fut>(
        &self,
        filter: &str,
        handler: F,
    ) -> Result<Subscription>
    where
        F: Fn(UserMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        self.ensure_started()?;
        let handler = Arc::new(move |message| Box::pin(handler(message)) as HandlerFuture<()>);
        user_topics::subscribe(self.shared(), filter, Qos::AtLeastOnce, Some(handler)).await
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
        self.shared().identity.module_label()
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

fn check_name(what: &str, name: Option<&str>) -> Result<()> {
    if name.is_some_and(str::is_empty) {
        return Err(Error::invalid_argument(format!(
            "the {what} name must not be empty (use None for the default handler)"
        )));
    }
    Ok(())
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
        send::<Subscribed>();
        send::<BackgroundErrors>();
        send_sync::<Error>();
    }
}
