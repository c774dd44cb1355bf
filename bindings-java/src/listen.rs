//! Callback registrations: inputs, methods, desired patches, status changes and user-topic
//! subscriptions. Each is a slot of the [`HostedClient`]: the core's stream is pumped to
//! the client's callback thread, where the item is handed to the Java `Dispatcher`.
//!
//! Registrations hold only a *weak* reference to the dispatcher, so they never keep the
//! Java client reachable; once it has been collected, items are dropped (input messages
//! are then delivered again to the next consumer, method calls answered 500).

use edgemodule::{ConnectionStatus, DesiredPatch, InputMessage, MethodRequest, UserMessage};
use edgemodule_ffi::codes::{reason_code, state_code};
use edgemodule_ffi::hosted::slots;
use edgemodule_ffi::{runtime, HostedClient};
use futures_util::StreamExt;
use jni::errors::Result as JniResult;
use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString, JValue};
use jni::refs::Weak;
use jni::sys::{jboolean, jlong};
use jni::{Env, EnvUnowned};
use serde_json::Value;

use crate::client::hosted;
use crate::convert;
use crate::error::{entry, Outcome};
use crate::jvm::{self, Callback, Level};
use crate::ops::run;

/// The dispatcher of a registration (weak: see the module documentation).
type DispatcherRef = Weak<JObject<'static>>;

/// `IotHubMessageResult.ABANDON.ordinal()`: every other value acknowledges the message.
const ABANDON: i32 = 1;

/// Runs `f` with the dispatcher on the callback thread; `None` once it has been collected
/// or when the call failed (logged).
fn with_dispatcher<T>(
    dispatcher: &DispatcherRef,
    what: &str,
    f: impl FnOnce(&mut Env<'_>, &JObject<'_>) -> JniResult<T>,
) -> Option<T> {
    let result = jvm::with_env(|env| match dispatcher.upgrade_local(env)? {
        Some(d) => f(env, &d).map(Some),
        None => Ok(None),
    });
    match result {
        Ok(value) => value,
        Err(e) => {
            jvm::log(Level::Warning, &format!("edgemodule: {what} failed: {e}"));
            None
        }
    }
}

fn input_handler(
    dispatcher: DispatcherRef,
    input: Option<String>,
) -> impl Fn(InputMessage) + Send + Sync + 'static {
    move |message: InputMessage| {
        let disposition = with_dispatcher(&dispatcher, "an input callback", |env, d| {
            let slot = convert::java_string(env, input.as_deref())?;
            let body = env.byte_array_from_slice(&message.body)?;
            let system = convert::system_array(env, message.message())?;
            let props = convert::property_array(env, message.message())?;
            jvm::call(
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
            .i()
        });
        match disposition {
            Some(ABANDON) | None => message.abandon(),
            Some(_) => {
                if let Err(e) = message.ack() {
                    tracing::debug!("input message not acknowledged: {e}");
                }
            }
        }
    }
}

fn method_handler(
    dispatcher: DispatcherRef,
    slot: Option<String>,
) -> impl Fn(MethodRequest) + Send + Sync + 'static {
    move |request: MethodRequest| {
        let answer = with_dispatcher(&dispatcher, "a method handler", |env, d| {
            let slot = convert::java_string(env, slot.as_deref())?;
            let name = env.new_string(&request.name)?;
            let payload = env.new_string(request.payload.to_string())?;
            let result = jvm::call(
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
            let array = env.cast_local::<JObjectArray<JString>>(result)?;
            convert::string_array(env, &array)
        });
        let Some([Some(status), Some(payload)]) = answer.as_deref() else {
            return; // dropped unanswered: the core answers 500
        };
        let status = status.parse::<i32>().unwrap_or(500);
        let payload: Value =
            serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.clone()));
        let respond = async move {
            if let Err(e) = request.respond(status, payload).await {
                tracing::debug!("method response not sent: {e}");
            }
        };
        if let Err(e) = runtime::spawn(respond) {
            tracing::debug!("method response not sent: {e}");
        }
    }
}

fn desired_handler(dispatcher: DispatcherRef) -> impl Fn(DesiredPatch) + Send + Sync + 'static {
    move |patch: DesiredPatch| {
        with_dispatcher(&dispatcher, "the desired-properties callback", |env, d| {
            let text = env.new_string(patch.to_json_string())?;
            jvm::call(
                env,
                Callback::OnDesired,
                &[
                    JValue::Object(d),
                    JValue::Object(&text),
                    JValue::Long(patch.version),
                ],
            )?;
            Ok(())
        });
    }
}

fn status_handler(dispatcher: DispatcherRef) -> impl Fn(ConnectionStatus) + Send + Sync + 'static {
    move |status: ConnectionStatus| {
        with_dispatcher(&dispatcher, "the connection status callback", |env, d| {
            jvm::call(
                env,
                Callback::OnStatus,
                &[
                    JValue::Object(d),
                    JValue::Int(state_code(status.state)),
                    JValue::Int(reason_code(status.reason)),
                ],
            )?;
            Ok(())
        });
    }
}

fn topic_handler(
    dispatcher: DispatcherRef,
    id: jlong,
) -> impl Fn(UserMessage) + Send + Sync + 'static {
    move |message: UserMessage| {
        with_dispatcher(&dispatcher, "a topic callback", |env, d| {
            let topic = env.new_string(&message.topic)?;
            let payload: JByteArray = env.byte_array_from_slice(&message.payload)?;
            jvm::call(
                env,
                Callback::OnTopic,
                &[
                    JValue::Object(d),
                    JValue::Long(id),
                    JValue::Object(&topic),
                    JValue::Object(&payload),
                ],
            )?;
            Ok(())
        });
    }
}

/// Registers (`on`) or unregisters `slot` with the handler `make` builds.
fn toggle<S, H>(
    env: &mut Env<'_>,
    hosted: &HostedClient,
    slot: &str,
    on: jboolean,
    dispatcher: &JObject<'_>,
    stream: impl FnOnce() -> S,
    make: impl FnOnce(DispatcherRef) -> H,
) -> Outcome<()>
where
    S: futures_util::Stream + Send + Unpin + 'static,
    S::Item: Send + 'static,
    H: Fn(S::Item) + Send + Sync + 'static,
{
    let handler = if on {
        Some(make(env.new_weak_ref(dispatcher)?))
    } else {
        None
    };
    hosted.set_or_clear(slot, handler, stream)?;
    Ok(())
}

/// `void listenInput(long handle, Object dispatcher, String input, boolean on)`; a null input
/// is the default callback.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_listenInput<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    input: JString<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        let input = convert::opt_string(env, &input)?;
        let slot = slots::input(input.as_deref());
        let core = hosted.client().clone();
        let name = input.clone();
        toggle(
            env,
            hosted,
            &slot,
            on,
            &dispatcher,
            move || match &name {
                Some(n) => core.input(n),
                None => core.default_inputs(),
            },
            |weak| input_handler(weak, input),
        )
    })
}

/// `void listenMethod(long handle, Object dispatcher, String method, boolean on)`; a null
/// method is the default handler.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_listenMethod<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    method: JString<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        let method = convert::opt_string(env, &method)?;
        let slot = slots::method(method.as_deref());
        let core = hosted.client().clone();
        let name = method.clone();
        toggle(
            env,
            hosted,
            &slot,
            on,
            &dispatcher,
            move || match &name {
                Some(n) => core.method(n),
                None => core.default_methods(),
            },
            |weak| method_handler(weak, method),
        )
    })
}

/// `void listenDesired(long handle, Object dispatcher, boolean on)`
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_listenDesired<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        let core = hosted.client().clone();
        toggle(
            env,
            hosted,
            slots::DESIRED,
            on,
            &dispatcher,
            move || core.desired_patches(),
            desired_handler,
        )
    })
}

/// `void listenStatus(long handle, Object dispatcher, boolean on)`: changes from now on.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_listenStatus<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        let core = hosted.client().clone();
        let changes = move || core.status_changes();
        toggle(
            env,
            hosted,
            slots::STATUS,
            on,
            &dispatcher,
            changes,
            status_handler,
        )
    })
}

/// `String subscribe(long handle, Object dispatcher, long id, String filter,
/// CompletableFuture future)`: resolves once the hub accepted the subscription; its
/// messages go to the dispatcher's topic callback `id` until `unsubscribe(id)`.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_subscribe<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    id: jlong,
    filter: JString<'l>,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        let filter = convert::string(env, &filter, "topicFilter")?;
        let (tx, rx) = tokio::sync::oneshot::channel::<edgemodule::Result<()>>();
        let core = hosted.client().clone();
        // The slot's stream subscribes first, then yields the subscription's messages; the
        // outcome of the SUBSCRIBE goes to the operation through `tx`.
        let stream = futures_util::stream::once(async move {
            match core.subscribe(&filter).await {
                Ok(subscription) => {
                    let _ = tx.send(Ok(()));
                    Some(subscription)
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    None
                }
            }
        })
        .filter_map(futures_util::future::ready)
        .flatten()
        .boxed();
        let weak = env.new_weak_ref(&dispatcher)?;
        hosted.register(&format!("topic:{id}"), stream, topic_handler(weak, id))?;
        run(env, hosted, &future, async move {
            match rx.await {
                Ok(result) => result.map(|()| None),
                Err(_) => Err(edgemodule::Error::closed()),
            }
        })
    })
}

/// `void unsubscribe(long handle, long id)`
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_unsubscribe<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    id: jlong,
) {
    entry(&mut env, |_env| {
        hosted(handle)?.unregister(&format!("topic:{id}"));
        Ok(())
    })
}
