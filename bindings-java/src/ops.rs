//! Operations: connect, send (single and batch), twin, invoke, publish. Each runs blocking
//! when Java passes no future, or asynchronously, completing the `CompletableFuture` on the
//! client's callback thread (never on a runtime thread).

use std::future::Future;
use std::time::Duration;

use edgemodule::{Message, MethodInvokeRequest, Qos};
use edgemodule_ffi::joined::split_bodies;
use edgemodule_ffi::HostedClient;
use jni::elements::ReleaseMode;
use jni::objects::{JByteArray, JClass, JIntArray, JObject, JObjectArray, JString, JValue};
use jni::refs::{Global, Reference};
use jni::sys::{jint, jlong};
use jni::{Env, EnvUnowned};
use serde_json::{json, Value};

use crate::client::java_client;
use crate::convert;
use crate::error::{entry, invalid, Outcome};
use crate::jvm::{self, Callback};

/// Runs the future `work` makes: blocking when `future` is null (its value is returned),
/// else in the background with `future` completed by `NativeCallbacks.complete/fail` (null
/// returned). A maker rather than the future itself: see `HostedClient::start`.
pub(crate) fn run<'l, M, F>(
    env: &mut Env<'l>,
    hosted: &HostedClient,
    future: &JObject<'l>,
    work: M,
) -> Outcome<JString<'l>>
where
    M: FnOnce() -> F + Send + 'static,
    F: Future<Output = edgemodule::Result<Option<String>>> + Send + 'static,
{
    if future.is_null() {
        let value = hosted.block_on(work())?;
        return Ok(convert::java_string(env, value.as_deref())?);
    }
    let target = env.new_global_ref(future)?;
    hosted.start(work, move |result| complete(target, result))?;
    Ok(JString::null())
}

/// Completes a Java future (on the callback thread), then releases it while attached.
fn complete(target: Global<JObject<'static>>, result: edgemodule::Result<Option<String>>) {
    let done = jvm::with_env(|env| {
        match &result {
            Ok(value) => {
                let value = convert::java_string(env, value.as_deref())?;
                jvm::call(
                    env,
                    Callback::Complete,
                    &[JValue::Object(&target), JValue::Object(&value)],
                )?;
            }
            Err(e) => {
                let message = env.new_string(e.message())?;
                jvm::call(
                    env,
                    Callback::Fail,
                    &[
                        JValue::Object(&target),
                        JValue::Int(e.kind().code()),
                        JValue::Object(&message),
                        JValue::Int(e.status().map_or(-1, i32::from)),
                    ],
                )?;
            }
        }
        Ok(())
    });
    if let Err(e) = done {
        tracing::error!(error = %e, "cannot complete a Java future");
    }
    drop(target);
}

/// Awaits `work` and discards its value.
async fn unit(
    work: impl Future<Output = edgemodule::Result<()>>,
) -> edgemodule::Result<Option<String>> {
    work.await.map(|()| None)
}

/// `String connect(long handle, CompletableFuture future)`
#[export_name = "Java_dev_edgemodule_Native_connect__JLjava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn connect<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            unit(core.connect()).await
        })
    })
}

/// `String sendOutput(long handle, String output, byte[] body, String[] system,
/// String[] properties, CompletableFuture future)`; a null output sends telemetry.
#[export_name = "Java_dev_edgemodule_Native_sendOutput__JLjava_lang_String_2_3B_3Ljava_lang_String_2_3Ljava_lang_String_2Ljava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn send_output<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    output: JString<'l>,
    body: JByteArray<'l>,
    system: JObjectArray<'l, JString<'l>>,
    properties: JObjectArray<'l, JString<'l>>,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let output = convert::opt_string(env, &output)?;
        let message = convert::message(env, &body, &system, &properties)?;
        let core = hosted.client().clone();
        // Made in the closure, not inside an async block: the block would keep the message too.
        run(env, hosted, &future, move || {
            unit(core.send_to(output.as_deref(), message))
        })
    })
}

/// `String sendOutputBatch(long handle, String output, byte[][] bodies, String[][] systems,
/// String[][] properties, CompletableFuture future)`
#[export_name = "Java_dev_edgemodule_Native_sendOutputBatch__JLjava_lang_String_2_3_3B_3_3Ljava_lang_String_2_3_3Ljava_lang_String_2Ljava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn send_output_batch<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    output: JString<'l>,
    bodies: JObjectArray<'l, JByteArray<'l>>,
    systems: JObjectArray<'l, JObjectArray<'l, JString<'l>>>,
    properties: JObjectArray<'l, JObjectArray<'l, JString<'l>>>,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let output = convert::string(env, &output, "outputName")?;
        let count = bodies.len(env)?;
        if systems.len(env)? != count || properties.len(env)? != count {
            return Err(invalid("batch arrays differ in length"));
        }
        let mut messages: Vec<Message> = Vec::with_capacity(count);
        for i in 0..count {
            // One local frame per message keeps the references of a large batch bounded.
            let message = env.with_local_frame(16, |env| -> Outcome<Message> {
                let body = bodies.get_element(env, i)?;
                let system = systems.get_element(env, i)?;
                let props = properties.get_element(env, i)?;
                convert::message(env, &body, &system, &props)
            })?;
            messages.push(message);
        }
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            unit(core.send_output_batch(&output, messages)).await
        })
    })
}

/// `String sendOutputBodies(long handle, String output, byte[] bodies, int[] lengths,
/// CompletableFuture future)`: a batch of messages that set no property, their bodies one
/// after another in `bodies` (message `i` is the next `lengths[i]` bytes). Two JNI calls for
/// the whole batch instead of several per message.
#[export_name = "Java_dev_edgemodule_Native_sendOutputBodies__JLjava_lang_String_2_3B_3ILjava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn send_output_bodies<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    output: JString<'l>,
    bodies: JByteArray<'l>,
    lengths: JIntArray<'l>,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let output = convert::string(env, &output, "outputName")?;
        let mut sizes: Vec<jint> = vec![0; lengths.len(env)?];
        lengths.get_region(env, 0, &mut sizes)?;
        let sizes = sizes
            .into_iter()
            .map(|n| usize::try_from(n).map_err(|_| invalid("a body length is negative")))
            .collect::<Outcome<Vec<usize>>>()?;
        let messages = {
            // SAFETY: no JNI call is made while the critical section is held (split only copies).
            let all = unsafe { bodies.get_elements_critical(env, ReleaseMode::NoCopyBack)? };
            // SAFETY: jbyte (i8) and u8 have the same size and alignment: the same bytes.
            let all = unsafe { std::slice::from_raw_parts(all.as_ptr().cast::<u8>(), all.len()) };
            split_bodies(all, sizes)?
        };
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            unit(core.send_output_batch(&output, messages)).await
        })
    })
}

/// `String getTwin(long handle, CompletableFuture future)`: the twin as JSON.
#[export_name = "Java_dev_edgemodule_Native_getTwin__JLjava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn get_twin<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            Ok(Some(core.get_twin().await?.to_json_string()?))
        })
    })
}

/// `String patchReported(long handle, String json, CompletableFuture future)`
#[export_name = "Java_dev_edgemodule_Native_patchReported__JLjava_lang_String_2Ljava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn patch_reported<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    patch: JString<'l>,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let text = convert::string(env, &patch, "patch")?;
        let patch: Value = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("the reported patch is not JSON: {e}")))?;
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            unit(core.patch_reported(patch)).await
        })
    })
}

fn millis(value: jlong) -> Duration {
    Duration::from_millis(u64::try_from(value).unwrap_or(0))
}

/// `String invokeMethod(long handle, String deviceId, String moduleId, String method,
/// String payloadJson, long responseTimeoutMillis, long connectTimeoutMillis,
/// CompletableFuture future)`: the answer as `{"status":n,"payload":…}`.
#[export_name = "Java_dev_edgemodule_Native_invokeMethod__JLjava_lang_String_2Ljava_lang_String_2Ljava_lang_String_2Ljava_lang_String_2JJLjava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn invoke_method<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    device_id: JString<'l>,
    module_id: JString<'l>,
    method: JString<'l>,
    payload: JString<'l>,
    response_timeout: jlong,
    connect_timeout: jlong,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let device_id = convert::string(env, &device_id, "deviceId")?;
        let module_id = convert::opt_string(env, &module_id)?;
        let method = convert::string(env, &method, "methodName")?;
        let text = convert::string(env, &payload, "payload")?;
        let payload: Value = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("the method payload is not JSON: {e}")))?;
        let request = MethodInvokeRequest::new(method, payload)
            .with_response_timeout(millis(response_timeout))
            .with_connect_timeout(millis(connect_timeout));
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            let answer = core
                .invoke_method(&device_id, module_id.as_deref(), request)
                .await?;
            Ok(Some(
                json!({"status": answer.status, "payload": answer.payload}).to_string(),
            ))
        })
    })
}

/// `String publish(long handle, String topic, byte[] payload, int qos, CompletableFuture future)`
#[export_name = "Java_dev_edgemodule_Native_publish__JLjava_lang_String_2_3BILjava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn publish<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    topic: JString<'l>,
    payload: JByteArray<'l>,
    qos: jint,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let topic = convert::string(env, &topic, "topic")?;
        let payload = convert::bytes(env, &payload)?;
        let qos = match qos {
            0 => Qos::AtMostOnce,
            1 => Qos::AtLeastOnce,
            other => return Err(invalid(format!("qos must be 0 or 1, not {other}"))),
        };
        let core = hosted.client().clone();
        run(env, hosted, &future, move || async move {
            unit(core.publish(&topic, payload, qos)).await
        })
    })
}

/// `String testPanic(long handle, int where, CompletableFuture future)`: panics on purpose —
/// `0` in the native method, `1` inside the operation's future — so the tests can check that
/// a panic surfaces as `InternalException` and nothing unwinds into the JVM.
#[export_name = "Java_dev_edgemodule_Native_testPanic__JILjava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn test_panic<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    place: jint,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        if place == 0 {
            panic!("a test panic in a native method");
        }
        run(env, hosted, &future, move || async move {
            if place == 1 {
                panic!("a test panic in an operation");
            }
            Ok(None)
        })
    })
}
