//! Client lifetime: create (from the environment, an environment map or a connection
//! string), close, free, identity, status, and the process-wide shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use edgemodule::{ClientBuilder, Error, ErrorKind, OptionValue, Subscription};
use edgemodule_ffi::codes::{reason_code, state_code};
use edgemodule_ffi::hosted::CLOSE_TIMEOUT;
use edgemodule_ffi::options::{builder, options_from_pairs, Source};
use edgemodule_ffi::{runtime, DeliveryConfig, HostedClient};
use jni::objects::{JClass, JIntArray, JObjectArray, JString};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;

use crate::convert;
use crate::error::{entry, invalid, Outcome};
use crate::jvm;
use crate::lanes::Lanes;

/// Events queued per client before the core's streams wait for the callback thread.
const DELIVERY_CAPACITY: usize = 256;

/// User-topic subscriptions of a client by the id Java gave them (dropping one unsubscribes).
pub(crate) type Subscriptions = Arc<Mutex<HashMap<i64, Subscription>>>;

/// What a Java `ModuleClient` handle points to.
pub(crate) struct JavaClient {
    /// The core client, its callback thread (status, background errors, completions).
    pub(crate) hosted: HostedClient,
    /// One thread per handler registration.
    pub(crate) lanes: Arc<Lanes>,
    /// Live user-topic subscriptions.
    pub(crate) subscriptions: Subscriptions,
}

impl JavaClient {
    pub(crate) fn subscriptions(&self) -> MutexGuard<'_, HashMap<i64, Subscription>> {
        self.subscriptions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Closes the client (see `Native.close`): handler lanes stop calling Java, the core
    /// client closes (operations in flight fail with `CLOSED`, their futures complete), the
    /// threads exit. False when that did not finish within `timeout`.
    fn close_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.lanes.begin_close();
        let closed = self.hosted.close_within(timeout);
        self.subscriptions().clear();
        let lanes = self
            .lanes
            .close(deadline.saturating_duration_since(Instant::now()));
        closed && lanes
    }
}

/// The client behind a Java handle (`0` is rejected).
pub(crate) fn java_client<'a>(handle: jlong) -> Outcome<&'a JavaClient> {
    if handle == 0 {
        return Err(invalid("the client handle is null"));
    }
    // SAFETY: non-zero handles come from `create` (Box::into_raw) and are freed only by
    // `free`, which Java calls once the ModuleClient is unreachable (its Cleaner) — no call
    // can use the handle after that.
    Ok(unsafe { &*(handle as *const JavaClient) })
}

fn delivery_config(module: &str) -> DeliveryConfig {
    let name = format!("edgemodule-callbacks-{module}");
    let attach_name = name.clone();
    DeliveryConfig {
        name,
        capacity: DELIVERY_CAPACITY,
        on_start: Some(Box::new(move || jvm::attach_daemon(&attach_name))),
        on_exit: Some(Box::new(jvm::detach_daemon)),
    }
}

/// The builder for a source (`0` process environment, `1` environment map, `2` connection
/// string) with Java's options: core option names with their values as text, checked by the
/// core. The core applies the `EDGEMODULE_*` overrides and the CA-file fallback.
fn builder_for(
    source: jint,
    connection_string: Option<String>,
    environment: Vec<(String, String)>,
    options: Vec<(String, String)>,
) -> Outcome<ClientBuilder> {
    let options = options_from_pairs(
        options
            .into_iter()
            .map(|(name, value)| (name, OptionValue::Text(value))),
    )?;
    let source = match source {
        0 => Source::Environment,
        1 => Source::EnvironmentMap(environment.into_iter().collect()),
        2 => Source::ConnectionString(
            connection_string.ok_or_else(|| invalid("the connection string is null"))?,
        ),
        other => return Err(invalid(format!("unknown client source {other}"))),
    };
    Ok(builder(source, options))
}

/// `long create(int source, String connectionString, String[] environment, String[] options)`
#[export_name = "Java_dev_edgemodule_Native_create__ILjava_lang_String_2_3Ljava_lang_String_2_3Ljava_lang_String_2"]
pub extern "system" fn create<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    source: jint,
    connection_string: JString<'l>,
    environment: JObjectArray<'l, JString<'l>>,
    options: JObjectArray<'l, JString<'l>>,
) -> jlong {
    entry(&mut env, |env| {
        let cs = convert::opt_string(env, &connection_string)?;
        let environment = convert::pairs(env, &environment, "environment")?;
        let options = convert::pairs(env, &options, "options")?;
        let builder = builder_for(source, cs, environment, options)?;
        let client = runtime::block_on(builder.build())?;
        let lanes = Arc::new(Lanes::new(client.module_id()));
        let config = delivery_config(client.module_id());
        let hosted = HostedClient::new(client, config)?;
        let java = JavaClient {
            hosted,
            lanes,
            subscriptions: Arc::default(),
        };
        Ok(Box::into_raw(Box::new(java)) as jlong)
    })
}

/// `void free(long handle)`: closes (in the background) and releases the client.
#[export_name = "Java_dev_edgemodule_Native_free__J"]
pub extern "system" fn free<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    entry(&mut env, |_env| {
        if handle != 0 {
            // SAFETY: created by `create`; Java calls `free` exactly once, from the Cleaner
            // of the unreachable ModuleClient.
            drop(unsafe { Box::from_raw(handle as *mut JavaClient) });
        }
        Ok(())
    })
}

/// `void close(long handle)`: from a callback of this client it starts the close and
/// returns at once (the callback's own thread cannot wait for itself).
#[export_name = "Java_dev_edgemodule_Native_close__J"]
pub extern "system" fn close<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    entry(&mut env, |_env| {
        let client = java_client(handle)?;
        if client.hosted.delivery().is_current() {
            client.lanes.begin_close();
            client.hosted.close();
            client.lanes.close(Duration::ZERO);
            return Ok(());
        }
        if client.lanes.is_current() {
            let (hosted, lanes) = (client.hosted.clone(), Arc::clone(&client.lanes));
            let subscriptions = Arc::clone(&client.subscriptions);
            lanes.begin_close();
            std::thread::Builder::new()
                .name("edgemodule-close".into())
                .spawn(move || {
                    hosted.close();
                    subscriptions
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .clear();
                    lanes.close(CLOSE_TIMEOUT);
                })
                .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot close: {e}")))?;
            return Ok(());
        }
        if client.close_within(CLOSE_TIMEOUT) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "the client did not finish closing within {CLOSE_TIMEOUT:?} (is a callback \
                     blocked?)"
                ),
            )
            .into())
        }
    })
}

/// `String deviceId(long handle)`
#[export_name = "Java_dev_edgemodule_Native_deviceId__J"]
pub extern "system" fn device_id<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        Ok(env.new_string(client.hosted.client().device_id())?)
    })
}

/// `String moduleId(long handle)`
#[export_name = "Java_dev_edgemodule_Native_moduleId__J"]
pub extern "system" fn module_id<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        Ok(env.new_string(client.hosted.client().module_id())?)
    })
}

/// `int[] status(long handle)`: `[state, reason]` codes.
#[export_name = "Java_dev_edgemodule_Native_status__J"]
pub extern "system" fn status<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    entry(&mut env, |env| {
        let client = java_client(handle)?;
        let status = *client.hosted.client().status().borrow();
        let array = JIntArray::new(env, 2)?;
        array.set_region(
            env,
            0,
            &[state_code(status.state), reason_code(status.reason)],
        )?;
        Ok(array)
    })
}

/// `void shutdown(long timeoutMillis)`: closes every client and joins edgemodule's threads
/// (the JVM shutdown hook). Final: later calls fail with `CLOSED`.
#[export_name = "Java_dev_edgemodule_Native_shutdown__J"]
pub extern "system" fn shutdown<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    timeout_millis: jlong,
) {
    entry(&mut env, |_env| {
        let timeout = Duration::from_millis(u64::try_from(timeout_millis).unwrap_or(0));
        if let Err(e) = runtime::shutdown(timeout) {
            tracing::warn!(error = %e, "edgemodule shutdown");
        }
        Ok(())
    })
}

/// `String version()`: the native library's version.
#[export_name = "Java_dev_edgemodule_Native_version__"]
pub extern "system" fn version<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>) -> JString<'l> {
    entry(&mut env, |env| {
        Ok(env.new_string(env!("CARGO_PKG_VERSION"))?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str, value: &str) -> Vec<(String, String)> {
        vec![(name.to_string(), value.to_string())]
    }

    #[test]
    fn unknown_sources_and_options_are_the_cores_invalid_arguments() {
        let e = match builder_for(7, None, Vec::new(), Vec::new()) {
            Err(crate::error::Failure::Edge(e)) => e,
            _ => panic!("expected an error"),
        };
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        for bad in [pair("speed", "1"), pair("mqtt_port", "99999")] {
            match builder_for(0, None, Vec::new(), bad) {
                Err(crate::error::Failure::Edge(e)) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidArgument)
                }
                _ => panic!("expected an error"),
            }
        }
        assert!(builder_for(2, None, Vec::new(), Vec::new()).is_err());
        assert!(builder_for(0, None, Vec::new(), pair("keep_alive_secs", "30")).is_ok());
    }
}
