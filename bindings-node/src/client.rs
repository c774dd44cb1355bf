//! `NativeClient`: the core's `ModuleClient` with Promise-returning operations and
//! listener registration.

use std::time::Duration;

use edgemodule::{ClientBuilder, MethodInvokeRequest, ModuleClient, Qos};
use napi::bindgen_prelude::Buffer;
use napi::threadsafe_function::{ThreadsafeFunction, UnknownReturnValue};
use napi::Status;
use napi_derive::napi;
use serde_json::Value;
use tokio_stream::wrappers::WatchStream;

use crate::error::{invalid_argument, to_napi};
use crate::events::{
    NativeDesiredPatch, NativeInputMessage, NativeMethodRequest, NativeStatus, NativeUserMessage,
};
use crate::listeners::{spawn_pump, NativeListener};
use crate::message::NativeMessage;
use crate::options::NativeClientOptions;

/// The module twin's properties.
#[napi(object)]
pub struct NativeTwin {
    /// Desired properties (without `$version`).
    pub desired: Value,
    /// Reported properties (without `$version`).
    pub reported: Value,
    /// Desired `$version`.
    pub desired_version: i64,
    /// Reported `$version`.
    pub reported_version: i64,
}

/// The answer of an invoked direct method.
#[napi(object)]
pub struct NativeMethodResult {
    /// The status the target responded with.
    pub status: i32,
    /// The JSON payload it responded with.
    pub payload: Value,
}

/// Creates a client from the IoT Edge environment (`IOTEDGE_*` + workload API, or
/// `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`); `options.env` replaces the
/// process environment.
#[napi]
pub async fn create_from_environment(
    options: Option<NativeClientOptions>,
) -> napi::Result<NativeClient> {
    let mut options = options.unwrap_or_default();
    let mut builder = ClientBuilder::new();
    if let Some(env) = options.env.take() {
        builder = builder.from_environment_lookup(move |name| env.get(name).cloned());
    }
    let builder = options.apply(builder)?;
    let inner = builder.build().await.map_err(to_napi)?;
    Ok(NativeClient { inner })
}

/// Creates a client from a module connection string. The trust bundle comes from
/// `options.trustBundlePem`. Synchronous: nothing is read from the network.
#[napi(catch_unwind)]
pub fn create_from_connection_string(
    connection_string: String,
    options: Option<NativeClientOptions>,
) -> napi::Result<NativeClient> {
    let options = options.unwrap_or_default();
    let builder = options.apply(ClientBuilder::new().connection_string(connection_string))?;
    let inner = napi::bindgen_prelude::block_on(builder.build()).map_err(to_napi)?;
    Ok(NativeClient { inner })
}

fn parse_qos(value: u32) -> napi::Result<Qos> {
    match value {
        0 => Ok(Qos::AtMostOnce),
        1 => Ok(Qos::AtLeastOnce),
        other => Err(invalid_argument(format!("qos must be 0 or 1, not {other}"))),
    }
}

/// An Azure IoT Edge module client (one connection; see the core's `ModuleClient`).
#[napi]
pub struct NativeClient {
    inner: ModuleClient,
}

#[napi]
impl NativeClient {
    /// The device id.
    #[napi(getter)]
    pub fn device_id(&self) -> String {
        self.inner.device_id().to_string()
    }

    /// The module id.
    #[napi(getter)]
    pub fn module_id(&self) -> String {
        self.inner.module_id().to_string()
    }

    /// The current connection status.
    #[napi(catch_unwind)]
    pub fn status(&self) -> NativeStatus {
        NativeStatus::from(*self.inner.status().borrow())
    }

    /// Connects; resolves once connected and subscribed.
    #[napi]
    pub async fn connect(&self) -> napi::Result<()> {
        self.inner.connect().await.map_err(to_napi)
    }

    /// Closes the client: operations in flight fail with `CLOSED`, listeners stop.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        self.inner.close().await.map_err(to_napi)
    }

    /// Sends `message` to output `output`; resolves on the hub's acknowledgement.
    #[napi]
    pub async fn send_output(&self, output: String, message: NativeMessage) -> napi::Result<()> {
        let message = edgemodule::Message::from(message);
        self.inner
            .send_output(&output, message)
            .await
            .map_err(to_napi)
    }

    /// Sends `messages` to output `output`, pipelined; resolves when all were acknowledged.
    #[napi]
    pub async fn send_output_batch(
        &self,
        output: String,
        messages: Vec<NativeMessage>,
    ) -> napi::Result<()> {
        let messages = messages
            .into_iter()
            .map(edgemodule::Message::from)
            .collect();
        self.inner
            .send_output_batch(&output, messages)
            .await
            .map_err(to_napi)
    }

    /// Sends `message` as module telemetry (no output name).
    #[napi]
    pub async fn send_event(&self, message: NativeMessage) -> napi::Result<()> {
        let message = edgemodule::Message::from(message);
        self.inner.send_event(message).await.map_err(to_napi)
    }

    /// Reads the module twin.
    #[napi]
    pub async fn get_twin(&self) -> napi::Result<NativeTwin> {
        let twin = self.inner.get_twin().await.map_err(to_napi)?;
        Ok(NativeTwin {
            desired: twin.desired,
            reported: twin.reported,
            desired_version: twin.desired_version,
            reported_version: twin.reported_version,
        })
    }

    /// Merges `patch` into the reported properties.
    #[napi]
    pub async fn patch_reported(&self, patch: Value) -> napi::Result<()> {
        if !patch.is_object() {
            return Err(invalid_argument("the reported patch must be a JSON object"));
        }
        self.inner.patch_reported(patch).await.map_err(to_napi)
    }

    /// Calls direct method `method_name` on `device_id` / `module_id` (the device itself
    /// when `module_id` is null).
    #[napi]
    pub async fn invoke_method(
        &self,
        device_id: String,
        module_id: Option<String>,
        method_name: String,
        payload: Value,
        response_timeout_ms: Option<u32>,
        connect_timeout_ms: Option<u32>,
    ) -> napi::Result<NativeMethodResult> {
        let mut request = MethodInvokeRequest::new(method_name, payload);
        if let Some(ms) = response_timeout_ms {
            request = request.with_response_timeout(Duration::from_millis(u64::from(ms)));
        }
        if let Some(ms) = connect_timeout_ms {
            request = request.with_connect_timeout(Duration::from_millis(u64::from(ms)));
        }
        let response = self
            .inner
            .invoke_method(&device_id, module_id.as_deref(), request)
            .await
            .map_err(to_napi)?;
        Ok(NativeMethodResult {
            status: response.status,
            payload: response.payload,
        })
    }

    /// Publishes `payload` to user topic `topic` with QoS 0 or 1.
    #[napi]
    pub async fn publish(&self, topic: String, payload: Buffer, qos: u32) -> napi::Result<()> {
        let qos = parse_qos(qos)?;
        let payload = payload.to_vec();
        self.inner
            .publish(&topic, payload, qos)
            .await
            .map_err(to_napi)
    }

    /// Subscribes to user-topic `filter`; resolves once the hub accepted it.
    #[napi(ts_args_type = "filter: string, callback: (message: NativeUserMessage) => void")]
    pub async fn subscribe(
        &self,
        filter: String,
        callback: ThreadsafeFunction<
            NativeUserMessage,
            UnknownReturnValue,
            NativeUserMessage,
            Status,
            false,
            true,
        >,
    ) -> napi::Result<NativeListener> {
        let subscription = self.inner.subscribe(&filter).await.map_err(to_napi)?;
        Ok(spawn_pump(subscription, callback, NativeUserMessage::from))
    }

    /// Delivers messages of input `name` (or, when `name` is null, of every input without a
    /// listener of its own) to `callback`. Replaces an earlier listener for the same input.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string | null, callback: (message: NativeInputMessage) => void"
    )]
    pub fn listen_inputs(
        &self,
        name: Option<String>,
        callback: ThreadsafeFunction<
            NativeInputMessage,
            UnknownReturnValue,
            NativeInputMessage,
            Status,
            false,
            true,
        >,
    ) -> napi::Result<NativeListener> {
        let stream = match name.as_deref() {
            Some("") => return Err(invalid_argument("the input name must not be empty")),
            Some(name) => self.inner.input(name),
            None => self.inner.default_inputs(),
        };
        Ok(spawn_pump(stream, callback, NativeInputMessage::new))
    }

    /// Delivers calls of method `name` (or, when null, of every method without a listener
    /// of its own) to `callback`. Replaces an earlier listener for the same method.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string | null, callback: (request: NativeMethodRequest) => void"
    )]
    pub fn listen_methods(
        &self,
        name: Option<String>,
        callback: ThreadsafeFunction<
            NativeMethodRequest,
            UnknownReturnValue,
            NativeMethodRequest,
            Status,
            false,
            true,
        >,
    ) -> napi::Result<NativeListener> {
        let stream = match name.as_deref() {
            Some("") => return Err(invalid_argument("the method name must not be empty")),
            Some(name) => self.inner.method(name),
            None => self.inner.default_methods(),
        };
        Ok(spawn_pump(stream, callback, NativeMethodRequest::new))
    }

    /// Delivers desired-property patches (including catch-up patches after a reconnect).
    #[napi(
        catch_unwind,
        ts_args_type = "callback: (patch: NativeDesiredPatch) => void"
    )]
    pub fn listen_desired(
        &self,
        callback: ThreadsafeFunction<
            NativeDesiredPatch,
            UnknownReturnValue,
            NativeDesiredPatch,
            Status,
            false,
            true,
        >,
    ) -> NativeListener {
        spawn_pump(
            self.inner.desired_patches(),
            callback,
            NativeDesiredPatch::from,
        )
    }

    /// Delivers every connection status change.
    #[napi(
        catch_unwind,
        ts_args_type = "callback: (status: NativeStatus) => void"
    )]
    pub fn listen_status(
        &self,
        callback: ThreadsafeFunction<
            NativeStatus,
            UnknownReturnValue,
            NativeStatus,
            Status,
            false,
            true,
        >,
    ) -> NativeListener {
        let changes = WatchStream::from_changes(self.inner.status());
        spawn_pump(changes, callback, NativeStatus::from)
    }
}
