//! `DeviceClient`: the same connection core under a **device** identity, for what talks to a
//! gateway or to IoT Hub as a device rather than as a module — a child edge hub's upstream
//! link (`edgemodule-hub serve --parent`), or a leaf device.
//!
//! On the wire (protocol.md §3–§4, device forms): client id `{d}`, username
//! `{hub}/{d}/?api-version=…&DeviceClientType=…`, SAS audience `{hub}/devices/{d}`,
//! telemetry on `devices/{d}/messages/events/{bag}`. Connection handling — reconnect with
//! backoff, SAS renewal, re-sending unacknowledged publishes, ordered PUBACKs, user topics —
//! is the module client's, unchanged: a `DeviceClient` wraps a `ModuleClient` whose identity
//! has no module id, and exposes only what a device identity has (no outputs, no inputs, no
//! module-to-module method calls).

use std::future::Future;

use bytes::Bytes;
use tokio::sync::watch;

use crate::builder::ClientBuilder;
use crate::client::ModuleClient;
use crate::delivery::{BackgroundErrors, HandlerError};
use crate::error::Result;
use crate::message::Message;
use crate::options::Qos;
use crate::status::ConnectionStatus;
use crate::status_changes::StatusChanges;
use crate::user_topics::{Subscription, UserMessage};

/// An IoT Hub **device** client: telemetry, user topics and connection status under a device
/// identity. Create it with [`DeviceClient::from_connection_string`] or
/// [`ClientBuilder::build_device`]. Clones share one connection.
///
/// ```no_run
/// # async fn run() -> edgemodule::Result<()> {
/// use edgemodule::{DeviceClient, Message};
/// let client = DeviceClient::builder()
///     .connection_string("HostName=myhub.azure-devices.net;DeviceId=child1;SharedAccessKey=…")
///     .trust_bundle_file("/etc/ssl/parent-ca.pem")
///     .build_device()
///     .await?;
/// client.send_event(Message::new("21.5").with_property("unit", "C")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DeviceClient {
    inner: ModuleClient,
}

impl std::fmt::Debug for DeviceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceClient")
            .field("device_id", &self.device_id())
            .finish()
    }
}

impl DeviceClient {
    /// A builder; finish it with [`ClientBuilder::build_device`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client for a device connection string. It trusts the PEM file named by
    /// `EdgeModuleCACertificateFile` (use the builder's
    /// [`trust_bundle_pem`](ClientBuilder::trust_bundle_pem) or
    /// [`trust_bundle_file`](ClientBuilder::trust_bundle_file) for another bundle).
    pub async fn from_connection_string(connection_string: &str) -> Result<DeviceClient> {
        ClientBuilder::new()
            .connection_string(connection_string)
            .build_device()
            .await
    }

    pub(crate) fn from_module_client(inner: ModuleClient) -> DeviceClient {
        DeviceClient { inner }
    }

    /// Connects (or waits for the running reconnect); as [`ModuleClient::connect`].
    pub async fn connect(&self) -> Result<()> {
        self.inner.connect().await
    }

    /// Sends device telemetry (`devices/{d}/messages/events/`). Resolves on the PUBACK.
    /// `MESSAGE_TOO_LARGE` (nothing sent) above 256 KiB.
    pub async fn send_event(&self, message: Message) -> Result<()> {
        self.inner.send_event(message).await
    }

    /// Sends several telemetry messages pipelined and in order (up to the in-flight limit at
    /// once). Every message is checked before any is sent. `Ok` when the hub acknowledged all
    /// of them; otherwise the first error (earlier messages may have been delivered).
    pub async fn send_event_batch(&self, messages: Vec<Message>) -> Result<()> {
        self.inner
            .send_batch(None, messages, "send_event_batch")
            .await
    }

    /// Publishes to a user-defined topic; as [`ModuleClient::publish`].
    pub async fn publish(&self, topic: &str, payload: impl Into<Bytes>, qos: Qos) -> Result<()> {
        self.inner.publish(topic, payload, qos).await
    }

    /// Subscribes to a user-defined topic filter; as [`ModuleClient::subscribe`].
    pub async fn subscribe(&self, filter: &str) -> Result<Subscription> {
        self.inner.subscribe(filter).await
    }

    /// Subscribes with a handler; as [`ModuleClient::subscribe_with_handler`] (acknowledged
    /// when the handler returns `Ok`, retried on failure).
    pub async fn subscribe_with_handler<F, Fut>(
        &self,
        filter: &str,
        handler: F,
    ) -> Result<Subscription>
    where
        F: Fn(UserMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), HandlerError>> + Send + 'static,
    {
        self.inner.subscribe_with_handler(filter, handler).await
    }

    /// The connection status; as [`ModuleClient::status`].
    pub fn status(&self) -> watch::Receiver<ConnectionStatus> {
        self.inner.status()
    }

    /// The status changes from now on; as [`ModuleClient::status_changes`].
    pub fn status_changes(&self) -> StatusChanges {
        self.inner.status_changes()
    }

    /// Errors that happen in the background (failed topic handlers); as
    /// [`ModuleClient::background_errors`].
    pub fn background_errors(&self) -> BackgroundErrors {
        self.inner.background_errors()
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        self.inner.device_id()
    }

    /// Closes the client; as [`ModuleClient::close`].
    pub async fn close(&self) -> Result<()> {
        self.inner.close().await
    }
}
