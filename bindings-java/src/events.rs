//! Events on the client's own callback thread: connection status changes
//! (`status_changes()`) and background errors (`background_errors()`: a handler that failed
//! for good, a message nothing handles, a slow handler). Both are plain notifications: the
//! callback's outcome changes nothing.

use edgemodule::{BackgroundError, ConnectionStatus};
use edgemodule_ffi::codes::{reason_code, state_code};
use edgemodule_ffi::hosted::slots;
use edgemodule_ffi::HostedClient;
use futures_util::Stream;
use jni::errors::Result as JniResult;
use jni::objects::{JClass, JObject, JValue};
use jni::refs::Weak;
use jni::sys::{jboolean, jlong};
use jni::{Env, EnvUnowned};

use crate::client::java_client;
use crate::error::{entry, Outcome};
use crate::jvm::{self, Callback};

/// The slot of the background-error callback.
const BACKGROUND_ERRORS: &str = "background_errors";

type DispatcherRef = Weak<JObject<'static>>;

/// Runs `f` with the dispatcher on the callback thread; a failure is logged (there is no
/// one to report it to).
fn notify(
    dispatcher: &DispatcherRef,
    what: &str,
    f: impl FnOnce(&mut Env<'_>, &JObject<'_>) -> JniResult<()>,
) {
    let result = jvm::with_env(|env| match dispatcher.upgrade_local(env)? {
        Some(d) => f(env, &d),
        None => Ok(()),
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "the {what} callback failed");
    }
}

fn status_handler(dispatcher: DispatcherRef) -> impl Fn(ConnectionStatus) + Send + Sync + 'static {
    move |status: ConnectionStatus| {
        notify(&dispatcher, "connection status", |env, d| {
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

fn background_handler(
    dispatcher: DispatcherRef,
) -> impl Fn(BackgroundError) + Send + Sync + 'static {
    move |error: BackgroundError| {
        notify(&dispatcher, "background error", |env, d| {
            let kind = env.new_string(error.kind.name())?;
            let family = env.new_string(error.family.name())?;
            let name = env.new_string(&error.name)?;
            let message = env.new_string(&error.message)?;
            jvm::call(
                env,
                Callback::OnBackgroundError,
                &[
                    JValue::Object(d),
                    JValue::Object(&kind),
                    JValue::Object(&family),
                    JValue::Object(&name),
                    JValue::Object(&message),
                ],
            )?;
            Ok(())
        });
    }
}

/// Registers (`on`) or clears `slot` on the hosted client's callback thread.
fn listen<S, H>(
    env: &mut Env<'_>,
    hosted: &HostedClient,
    slot: &str,
    on: jboolean,
    dispatcher: &JObject<'_>,
    stream: impl FnOnce() -> S,
    make: impl FnOnce(DispatcherRef) -> H,
) -> Outcome<()>
where
    S: Stream + Send + Unpin + 'static,
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

/// `void listenStatus(long handle, Object dispatcher, boolean on)`: changes from now on.
#[export_name = "Java_dev_edgemodule_Native_listenStatus__JLjava_lang_Object_2Z"]
pub extern "system" fn listen_status<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let core = hosted.client().clone();
        listen(
            env,
            hosted,
            slots::STATUS,
            on,
            &dispatcher,
            move || core.status_changes(),
            status_handler,
        )
    })
}

/// `void listenBackgroundErrors(long handle, Object dispatcher, boolean on)`: errors
/// reported from now on.
#[export_name = "Java_dev_edgemodule_Native_listenBackgroundErrors__JLjava_lang_Object_2Z"]
pub extern "system" fn listen_background_errors<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    dispatcher: JObject<'l>,
    on: jboolean,
) {
    entry(&mut env, |env| {
        let hosted = &java_client(handle)?.hosted;
        let core = hosted.client().clone();
        listen(
            env,
            hosted,
            BACKGROUND_ERRORS,
            on,
            &dispatcher,
            move || core.background_errors(),
            background_handler,
        )
    })
}
