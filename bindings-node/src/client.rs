//! `NativeClient`: the core's `ModuleClient` with Promise-returning operations, handler
//! registration (the core's handler API) and event listeners.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use edgemodule::{MethodInvokeRequest, ModuleClient, Qos, Subscribed};
use futures_util::FutureExt;
use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crate::completion::{start, PendingPromise};
use crate::error::{invalid_argument, to_napi};
use crate::events::{
    NativeBackgroundError, NativeDesiredPatch, NativeInputEvent, NativeInputMessage,
    NativeMethodAnswer, NativeMethodCall, NativeStatus, NativeSubscription, NativeUserMessage,
};
use crate::handlers::{call, method_outcome, outcome, JsHandler};
use crate::in_runtime;
use crate::listeners::{spawn_pump, Callback, NativeListener};
use crate::message::{into_core, OutgoingMessage};
use crate::options::{builder, client_options};

/// The answer of an invoked direct method.
#[napi(object)]
pub struct NativeMethodResult {
    /// The status the target responded with.
    pub status: i32,
    /// The JSON payload it responded with.
    pub payload: Value,
}

/// Creates a client from the IoT Edge environment read from `env` (JavaScript passes
/// `process.env`, or the `env` option): `IOTEDGE_*` + workload API, or
/// `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`; `options` as `resolveOptions`
/// takes them.
#[napi]
pub async fn create_from_environment(
    env: HashMap<String, String>,
    options: Option<Value>,
) -> napi::Result<NativeClient> {
    let options = client_options(options.as_ref()).map_err(to_napi)?;
    let inner = builder(options, env).build().await.map_err(to_napi)?;
    Ok(NativeClient { inner })
}

/// Creates a client from a module connection string; `env` supplies the `EDGEMODULE_*`
/// overrides and `EdgeModuleCACertificateFile`. Synchronous: nothing is read from the
/// network.
#[napi(catch_unwind)]
pub fn create_from_connection_string(
    connection_string: String,
    env: HashMap<String, String>,
    options: Option<Value>,
) -> napi::Result<NativeClient> {
    let options = client_options(options.as_ref()).map_err(to_napi)?;
    let builder = builder(options, env).connection_string(connection_string);
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

/// A registration is in effect at once; its subscription is confirmed later (`connect()`
/// waits for it). Only a refusal known now (a bad name, a closed client) is an error here.
fn registered(subscribed: Subscribed) -> napi::Result<()> {
    match in_runtime(|| subscribed.now_or_never()) {
        Some(Err(e)) => Err(to_napi(e)),
        _ => Ok(()),
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

    /// Connects; resolves once connected and subscribed to everything registered.
    #[napi]
    pub async fn connect(&self) -> napi::Result<()> {
        self.inner.connect().await.map_err(to_napi)
    }

    /// Closes the client: operations in flight fail with `CLOSED`, no handler is called
    /// afterwards, listeners stop.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        self.inner.close().await.map_err(to_napi)
    }

    /// Sends `message` to output `output`; resolves on the hub's acknowledgement.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_output(
        &self,
        env: Env,
        output: String,
        message: Either<BufferSlice<'_>, OutgoingMessage<'_>>,
    ) -> napi::Result<PendingPromise> {
        let message = into_core(message)?;
        let inner = self.inner.clone();
        start(&env, async move {
            inner.send_output(&output, message).await.map_err(to_napi)
        })
    }

    /// Sends `messages` to output `output`, pipelined; resolves when all were acknowledged.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_output_batch(
        &self,
        env: Env,
        output: String,
        messages: Vec<Either<BufferSlice<'_>, OutgoingMessage<'_>>>,
    ) -> napi::Result<PendingPromise> {
        let messages = messages
            .into_iter()
            .map(into_core)
            .collect::<napi::Result<Vec<_>>>()?;
        let inner = self.inner.clone();
        start(&env, async move {
            inner
                .send_output_batch(&output, messages)
                .await
                .map_err(to_napi)
        })
    }

    /// Sends `message` as module telemetry (no output name).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_event(
        &self,
        env: Env,
        message: Either<BufferSlice<'_>, OutgoingMessage<'_>>,
    ) -> napi::Result<PendingPromise> {
        let message = into_core(message)?;
        let inner = self.inner.clone();
        start(&env, async move {
            inner.send_event(message).await.map_err(to_napi)
        })
    }

    /// Reads the module twin: `{desired: {…, $version}, reported: {…, $version}}`.
    #[napi]
    pub async fn get_twin(&self) -> napi::Result<Value> {
        let twin = self.inner.get_twin().await.map_err(to_napi)?;
        twin.to_json_value().map_err(to_napi)
    }

    /// Merges `patch` into the reported properties.
    #[napi]
    pub async fn patch_reported(&self, patch: Value) -> napi::Result<()> {
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

    /// Subscribes to user-topic `filter` with `handler` (one message at a time, acknowledged
    /// when it returns `null`, or its Promise resolves with `null`; see the core's `subscribe_with_handler`);
    /// resolves once the hub accepted the subscription.
    #[napi(
        ts_args_type = "filter: string, handler: (message: NativeUserMessage) => string | null | undefined | Promise<string | null | undefined>"
    )]
    pub async fn subscribe(
        &self,
        filter: String,
        handler: JsHandler<NativeUserMessage, Option<String>>,
    ) -> napi::Result<NativeSubscription> {
        let handler = Arc::new(handler);
        let subscription = self
            .inner
            .subscribe_with_handler(&filter, move |message| {
                let handler = Arc::clone(&handler);
                let message = NativeUserMessage::from(&message);
                async move { outcome(call(&handler, message).await?) }
            })
            .await
            .map_err(to_napi)?;
        Ok(NativeSubscription::new(subscription))
    }

    /// Handles the messages of input `name` (`null`: of every input without a handler of
    /// its own) with `handler`, replacing what handled them. The core's rules apply: one
    /// message at a time per handler, acknowledged (in arrival order) when it returns (or its
    /// Promise resolves with) `null`, retried when it gives a failure message.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string | null, handler: (event: NativeInputEvent) => string | null | undefined | Promise<string | null | undefined>"
    )]
    pub fn set_input_handler(
        &self,
        name: Option<String>,
        handler: JsHandler<NativeInputEvent, Option<String>>,
    ) -> napi::Result<()> {
        let handler = Arc::new(handler);
        registered(in_runtime(|| {
            self.inner
                .set_input_handler(name.as_deref(), move |message| {
                    let handler = Arc::clone(&handler);
                    let event = NativeInputEvent::from(&message);
                    async move { outcome(call(&handler, event).await?) }
                })
        }))
    }

    /// Removes the handler of input `name` (`null`: the default handler).
    #[napi(catch_unwind)]
    pub fn clear_input_handler(&self, name: Option<String>) {
        in_runtime(|| self.inner.clear_input_handler(name.as_deref()));
    }

    /// The core's stream of input `name` (what `client.inputs(name)` iterates): each message
    /// goes to `callback` to be settled with `ack()` or `abandon()`. Replaces the input's
    /// handler.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, callback: (message: NativeInputMessage) => void"
    )]
    pub fn open_input_stream(
        &self,
        name: String,
        callback: Callback<NativeInputMessage>,
    ) -> NativeListener {
        spawn_pump(
            in_runtime(|| self.inner.input(&name)),
            callback,
            NativeInputMessage::new,
        )
    }

    /// Answers calls of method `name` (`null`: of every method without a handler of its
    /// own) with `handler`: its Promise resolves with the answer, or with `{error}` — then the
    /// core answers with its one failure reply.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string | null, handler: (call: NativeMethodCall) => NativeMethodAnswer | Promise<NativeMethodAnswer>"
    )]
    pub fn set_method_handler(
        &self,
        name: Option<String>,
        handler: JsHandler<NativeMethodCall, NativeMethodAnswer>,
    ) -> napi::Result<()> {
        let handler = Arc::new(handler);
        registered(in_runtime(|| {
            self.inner
                .set_method_handler(name.as_deref(), move |request| {
                    let handler = Arc::clone(&handler);
                    let call_args = NativeMethodCall::from(&request);
                    async move { method_outcome(call(&handler, call_args).await?) }
                })
        }))
    }

    /// Removes the handler of method `name` (`null`: the default handler).
    #[napi(catch_unwind)]
    pub fn clear_method_handler(&self, name: Option<String>) {
        in_runtime(|| self.inner.clear_method_handler(name.as_deref()));
    }

    /// Handles desired-property patches (including catch-ups after a reconnect) with
    /// `handler`: one at a time, retried by the core when its Promise resolves with a failure
    /// message.
    #[napi(
        catch_unwind,
        ts_args_type = "handler: (patch: NativeDesiredPatch) => string | null | undefined | Promise<string | null | undefined>"
    )]
    pub fn set_desired_handler(
        &self,
        handler: JsHandler<NativeDesiredPatch, Option<String>>,
    ) -> napi::Result<()> {
        let handler = Arc::new(handler);
        registered(in_runtime(|| {
            self.inner.set_desired_handler(move |patch| {
                let handler = Arc::clone(&handler);
                let patch = NativeDesiredPatch::from(&patch);
                async move { outcome(call(&handler, patch).await?) }
            })
        }))
    }

    /// Removes the desired-properties handler.
    #[napi(catch_unwind)]
    pub fn clear_desired_handler(&self) {
        in_runtime(|| self.inner.clear_desired_handler());
    }

    /// Delivers every connection status change from now on (the last one is `closed`).
    #[napi(
        catch_unwind,
        ts_args_type = "callback: (status: NativeStatus) => void"
    )]
    pub fn listen_status(&self, callback: Callback<NativeStatus>) -> NativeListener {
        spawn_pump(self.inner.status_changes(), callback, NativeStatus::from)
    }

    /// Delivers every background error (a handler that failed for good, a message or call
    /// nothing handles, a slow handler) from now on.
    #[napi(
        catch_unwind,
        ts_args_type = "callback: (error: NativeBackgroundError) => void"
    )]
    pub fn listen_background_errors(
        &self,
        callback: Callback<NativeBackgroundError>,
    ) -> NativeListener {
        spawn_pump(
            self.inner.background_errors(),
            callback,
            NativeBackgroundError::from,
        )
    }
}
