//! User-topic subscriptions through the core's `subscribe_with_handler`: each message is
//! handed to the Java callback on the subscription's own lane and acknowledged (by the core)
//! once it returns; a callback that throws is retried like an input handler.

use edgemodule::{HandlerError, UserMessage};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use jni::objects::{JByteArray, JClass, JObject, JString, JValue};
use jni::sys::jlong;
use jni::EnvUnowned;

use crate::client::java_client;
use crate::convert;
use crate::error::{entry, Outcome};
use crate::handlers::{dispatcher_ref, outcome, with_dispatcher, DispatcherRef};
use crate::jvm::{self, Callback};
use crate::lanes::Lane;
use crate::ops::run;

/// The lane (and slot) of subscription `id`.
fn slot(id: jlong) -> String {
    format!("topic:{id}")
}

/// Calls topic callback `id` with `message` (on the subscription's lane).
fn call_topic(
    dispatcher: &DispatcherRef,
    id: jlong,
    message: &UserMessage,
) -> Result<(), HandlerError> {
    with_dispatcher(dispatcher, |env, d| {
        let topic = env.new_string(&message.topic)?;
        let payload: JByteArray = env.byte_array_from_slice(&message.payload)?;
        let answer = jvm::call(
            env,
            Callback::OnTopic,
            &[
                JValue::Object(d),
                JValue::Long(id),
                JValue::Object(&topic),
                JValue::Object(&payload),
            ],
        )?
        .l()?;
        outcome(env, answer)
    })?
}

fn topic_handler(
    dispatcher: DispatcherRef,
    lane: Lane,
    id: jlong,
) -> impl Fn(UserMessage) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync + 'static {
    move |message: UserMessage| {
        let (dispatcher, lane) = (dispatcher.clone(), lane.clone());
        async move {
            lane.call(move || call_topic(&dispatcher, id, &message))
                .await
        }
        .boxed()
    }
}

/// `String subscribe(long handle, Object dispatcher, long id, String filter,
/// CompletableFuture future)`: resolves once the hub accepted the subscription; its messages
/// go to the dispatcher's topic callback `id` until `unsubscribe(id)`.
#[export_name = "Java_dev_edgemodule_Native_subscribe__JLjava_lang_Object_2JLjava_lang_String_2Ljava_util_concurrent_CompletableFuture_2"]
pub extern "system" fn subscribe<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    id: jlong,
    filter: JString<'l>,
    future: JObject<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        let filter = convert::string(env, &filter, "topicFilter")?;
        let lane = client.lanes.lane(&slot(id))?;
        let handler = topic_handler(dispatcher_ref(env, &dispatcher, &lane)?, lane, id);
        let core = client.hosted.client().clone();
        let subscriptions = std::sync::Arc::clone(&client.subscriptions);
        run(env, &client.hosted, &future, move || async move {
            let subscription = core.subscribe_with_handler(&filter, handler).await?;
            subscriptions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, subscription);
            Ok(None)
        })
    })
}

/// `void unsubscribe(long handle, long id)`: ends subscription `id` and returns once the hub
/// confirmed the UNSUBSCRIBE (at once when another subscription keeps the filter, when the
/// subscription never started, or when the client is closed).
#[export_name = "Java_dev_edgemodule_Native_unsubscribe__JJ"]
pub extern "system" fn unsubscribe<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    id: jlong,
) {
    entry(&mut env, |_env| -> Outcome<()> {
        let client = java_client(handle)?;
        let subscription = client.subscriptions().remove(&id);
        let result = match subscription {
            Some(subscription) if !client.hosted.is_closed() => {
                client.hosted.block_on(subscription.unsubscribe())
            }
            _ => Ok(()),
        };
        client.lanes.retire(&slot(id));
        Ok(result?)
    })
}
