//! Handler registrations through the core's handler API (`set_input_handler`,
//! `set_method_handler`, `set_desired_handler`, `clear_*`). The core decides everything —
//! order, one call at a time per registration, acknowledgement, retries, the method failure
//! reply, subscriptions; the handler here only calls the Java callback on its lane and turns
//! the answer into the handler's result.
//!
//! Each handler holds a *weak* reference to the client's Java `Dispatcher` (which holds the
//! callbacks by slot), so a registration never keeps the Java client reachable.

use edgemodule::{
    DesiredPatch, ErrorKind, HandlerError, InputMessage, MethodRequest, MethodResponse, Subscribed,
};
use edgemodule_ffi::hosted::slots;
use edgemodule_ffi::{runtime, DeliveryArc, HostedClient};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use jni::errors::Result as JniResult;
use jni::objects::{JClass, JObject, JObjectArray, JString, JValue};
use jni::refs::Weak;
use jni::sys::{jboolean, jlong};
use jni::{Env, EnvUnowned};
use serde_json::Value;

use crate::client::java_client;
use crate::convert;
use crate::error::{entry, Outcome};
use crate::jvm::{self, Callback};
use crate::lanes::Lane;

/// The Java `Dispatcher` of a client, released on its lane.
pub(crate) type DispatcherRef = DeliveryArc<Weak<JObject<'static>>>;

/// Calls `f` with the live dispatcher (on the current, attached thread). A failure of the
/// JNI call, or a dispatcher the garbage collector took, is the handler's failure.
pub(crate) fn with_dispatcher<T>(
    dispatcher: &DispatcherRef,
    f: impl FnOnce(&mut Env<'_>, &JObject<'_>) -> JniResult<T>,
) -> Result<T, HandlerError> {
    jvm::with_env(|env| match dispatcher.upgrade_local(env)? {
        Some(d) => f(env, &d).map(Some),
        None => Ok(None),
    })
    .map_err(|e| HandlerError::new(format!("calling the Java callback failed: {e}")))?
    .ok_or_else(|| HandlerError::new("the Java client was garbage-collected"))
}

/// A Java callback's `String` answer: null for success, else why it failed.
pub(crate) fn outcome(
    env: &mut Env<'_>,
    answer: JObject<'_>,
) -> JniResult<Result<(), HandlerError>> {
    let text = env.cast_local::<JString>(answer)?;
    Ok(match convert::opt_string(env, &text)? {
        None => Ok(()),
        Some(why) => Err(HandlerError::new(why)),
    })
}

/// A weak reference to `dispatcher`, released on `lane`.
pub(crate) fn dispatcher_ref(
    env: &mut Env<'_>,
    dispatcher: &JObject<'_>,
    lane: &Lane,
) -> Outcome<DispatcherRef> {
    Ok(DeliveryArc::new(
        env.new_weak_ref(dispatcher)?,
        lane.delivery(),
    ))
}

/// Calls the input callback of `slot` with `message` (on its lane).
fn call_input(
    dispatcher: &DispatcherRef,
    slot: Option<&str>,
    message: &InputMessage,
) -> Result<(), HandlerError> {
    with_dispatcher(dispatcher, |env, d| {
        let slot = convert::java_string(env, slot)?;
        let body = env.byte_array_from_slice(&message.body)?;
        let system = convert::system_array(env, message.message())?;
        let props = convert::property_array(env, message.message())?;
        let answer = jvm::call(
            env,
            Callback::OnInput,
            &[
                JValue::Object(d),
                JValue::Object(&slot),
                JValue::Object(&body),
                JValue::Object(&system),
                JValue::Object(&props),
            ],
        )?
        .l()?;
        outcome(env, answer)
    })?
}

fn input_handler(
    dispatcher: DispatcherRef,
    lane: Lane,
    slot: Option<String>,
) -> impl Fn(InputMessage) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync + 'static {
    move |message: InputMessage| {
        let (dispatcher, slot, lane) = (dispatcher.clone(), slot.clone(), lane.clone());
        async move {
            lane.call(move || call_input(&dispatcher, slot.as_deref(), &message))
                .await
        }
        .boxed()
    }
}

/// A method callback's answer (`{status, json}` or `{why}`) as the handler's result.
fn method_answer(answer: Vec<Option<String>>) -> Result<MethodResponse, HandlerError> {
    match answer.as_slice() {
        [Some(status), Some(json)] => {
            let status = status
                .parse::<i32>()
                .map_err(|_| HandlerError::new(format!("the status {status:?} is not a number")))?;
            let payload: Value = serde_json::from_str(json).map_err(|e| {
                HandlerError::new(format!("the method response payload is not JSON: {e}"))
            })?;
            Ok(MethodResponse::new(status, payload))
        }
        [Some(why)] => Err(HandlerError::new(why.clone())),
        _ => Err(HandlerError::new("the method callback gave no answer")),
    }
}

/// Calls the method callback of `slot` with `request` (on its lane).
fn call_method(
    dispatcher: &DispatcherRef,
    slot: Option<&str>,
    request: &MethodRequest,
) -> Result<MethodResponse, HandlerError> {
    let answer = with_dispatcher(dispatcher, |env, d| {
        let slot = convert::java_string(env, slot)?;
        let name = env.new_string(&request.name)?;
        let payload = env.new_string(request.payload.to_string())?;
        let answer = jvm::call(
            env,
            Callback::OnMethod,
            &[
                JValue::Object(d),
                JValue::Object(&slot),
                JValue::Object(&name),
                JValue::Object(&payload),
            ],
        )?
        .l()?;
        let array = env.cast_local::<JObjectArray<JString>>(answer)?;
        convert::string_array(env, &array)
    })?;
    method_answer(answer)
}

fn method_handler(
    dispatcher: DispatcherRef,
    lane: Lane,
    slot: Option<String>,
) -> impl Fn(MethodRequest) -> BoxFuture<'static, Result<MethodResponse, HandlerError>>
       + Send
       + Sync
       + 'static {
    move |request: MethodRequest| {
        let (dispatcher, slot, lane) = (dispatcher.clone(), slot.clone(), lane.clone());
        async move {
            lane.call(move || call_method(&dispatcher, slot.as_deref(), &request))
                .await
        }
        .boxed()
    }
}

/// Calls the desired-properties callback with `patch` (on its lane).
fn call_desired(dispatcher: &DispatcherRef, patch: &DesiredPatch) -> Result<(), HandlerError> {
    with_dispatcher(dispatcher, |env, d| {
        let text = env.new_string(patch.to_json_string())?;
        let answer = jvm::call(
            env,
            Callback::OnDesired,
            &[
                JValue::Object(d),
                JValue::Object(&text),
                JValue::Long(patch.version),
            ],
        )?
        .l()?;
        outcome(env, answer)
    })?
}

fn desired_handler(
    dispatcher: DispatcherRef,
    lane: Lane,
) -> impl Fn(DesiredPatch) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync + 'static {
    move |patch: DesiredPatch| {
        let (dispatcher, lane) = (dispatcher.clone(), lane.clone());
        async move { lane.call(move || call_desired(&dispatcher, &patch)).await }.boxed()
    }
}

/// Registers with the core (`make` runs on the runtime). An error the core knows at once
/// (a bad name, a closed client) is thrown; the hub's confirmation is not waited for — a
/// refusal is logged.
fn register(
    hosted: &HostedClient,
    make: impl FnOnce() -> Subscribed + Send + 'static,
) -> Outcome<()> {
    let pending = hosted.block_on(async move {
        let mut subscribed = make();
        match (&mut subscribed).now_or_never() {
            Some(result) => result.map(|()| None),
            None => Ok(Some(subscribed)),
        }
    })?;
    if let Some(subscribed) = pending {
        runtime::spawn(async move {
            if let Err(e) = subscribed.await {
                if e.kind() != ErrorKind::Closed {
                    tracing::warn!(error = %e, "the hub did not confirm a handler's subscription");
                }
            }
        })?;
    }
    Ok(())
}

/// `void setInputHandler(long handle, Object dispatcher, String input, boolean on)`: the
/// handler of `input` (null: the default handler), or (`on` false) none.
#[export_name = "Java_dev_edgemodule_Native_setInputHandler__JLjava_lang_Object_2Ljava_lang_String_2Z"]
pub extern "system" fn set_input_handler<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    input: JString<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        let input = convert::opt_string(env, &input)?;
        let core = client.hosted.client().clone();
        if !on {
            core.clear_input_handler(input.as_deref());
            return Ok(());
        }
        let lane = client.lanes.lane(&slots::input(input.as_deref()))?;
        let handler = input_handler(
            dispatcher_ref(env, &dispatcher, &lane)?,
            lane,
            input.clone(),
        );
        register(&client.hosted, move || {
            core.set_input_handler(input.as_deref(), handler)
        })
    })
}

/// `void setMethodHandler(long handle, Object dispatcher, String method, boolean on)`: the
/// handler of `method` (null: the default handler), or (`on` false) none.
#[export_name = "Java_dev_edgemodule_Native_setMethodHandler__JLjava_lang_Object_2Ljava_lang_String_2Z"]
pub extern "system" fn set_method_handler<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    method: JString<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        let method = convert::opt_string(env, &method)?;
        let core = client.hosted.client().clone();
        if !on {
            core.clear_method_handler(method.as_deref());
            return Ok(());
        }
        let lane = client.lanes.lane(&slots::method(method.as_deref()))?;
        let handler = method_handler(
            dispatcher_ref(env, &dispatcher, &lane)?,
            lane,
            method.clone(),
        );
        register(&client.hosted, move || {
            core.set_method_handler(method.as_deref(), handler)
        })
    })
}

/// `void setDesiredHandler(long handle, Object dispatcher, boolean on)`
#[export_name = "Java_dev_edgemodule_Native_setDesiredHandler__JLjava_lang_Object_2Z"]
pub extern "system" fn set_desired_handler<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        let core = client.hosted.client().clone();
        if !on {
            core.clear_desired_handler();
            return Ok(());
        }
        let lane = client.lanes.lane(slots::DESIRED)?;
        let handler = desired_handler(dispatcher_ref(env, &dispatcher, &lane)?, lane);
        register(&client.hosted, move || core.set_desired_handler(handler))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(parts: &[&str]) -> Vec<Option<String>> {
        parts.iter().map(|p| Some(p.to_string())).collect()
    }

    #[test]
    fn method_answers_become_responses_or_failures() {
        let ok = method_answer(some(&["200", r#"{"a":1}"#])).unwrap();
        assert_eq!((ok.status, ok.payload), (200, serde_json::json!({"a": 1})));
        let failed = method_answer(some(&["the callback threw"])).unwrap_err();
        assert_eq!(failed.message(), "the callback threw");
        assert!(method_answer(some(&["200", "{"])).is_err());
        assert!(method_answer(Vec::new()).is_err());
    }
}
