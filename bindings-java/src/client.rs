//! Client lifetime: create (from the environment, an environment map or a connection
//! string), close, free, identity, status, and the process-wide shutdown.

use std::collections::HashMap;
use std::time::Duration;

use edgemodule::{ClientBuilder, Error, ErrorKind};
use edgemodule_ffi::codes::{reason_code, state_code};
use edgemodule_ffi::hosted::CLOSE_TIMEOUT;
use edgemodule_ffi::{runtime, DeliveryConfig, HostedClient};
use jni::objects::{JClass, JIntArray, JObjectArray, JString};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;

use crate::convert;
use crate::error::{entry, invalid, Outcome};
use crate::jvm;
use crate::options;

/// Events queued per client before the core's streams wait for the callback thread.
const DELIVERY_CAPACITY: usize = 256;

/// The client behind a Java handle (`0` is rejected).
pub(crate) fn hosted<'a>(handle: jlong) -> Outcome<&'a HostedClient> {
    if handle == 0 {
        return Err(invalid("the client handle is null"));
    }
    // SAFETY: non-zero handles come from `create` (Box::into_raw) and are freed only by
    // `free`, which Java calls once the ModuleClient is unreachable (its Cleaner) — no call
    // can use the handle after that.
    Ok(unsafe { &*(handle as *const HostedClient) })
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

/// Process environment, explicit environment map, or connection string. The core applies
/// the `EDGEMODULE_*` port overrides and, for a connection string without a trust bundle,
/// the `EdgeModuleCACertificateFile` fallback.
fn builder_for(
    source: jint,
    connection_string: Option<String>,
    environment: Vec<(String, String)>,
    options: &[(String, String)],
) -> Outcome<ClientBuilder> {
    let applied = options::apply(ClientBuilder::new(), options)?;
    let mut builder = applied.builder;
    match source {
        0 => {}
        1 => {
            let map: HashMap<String, String> = environment.into_iter().collect();
            builder = builder.from_environment_lookup(move |name| map.get(name).cloned());
        }
        2 => {
            let cs = connection_string.ok_or_else(|| invalid("the connection string is null"))?;
            builder = builder.connection_string(cs);
        }
        other => return Err(invalid(format!("unknown client source {other}"))),
    }
    if let Some(port) = applied.mqtt_port {
        builder = builder.mqtt_port(port);
    }
    if let Some(port) = applied.https_port {
        builder = builder.https_port(port);
    }
    if let Some(pem) = applied.trust_bundle_pem {
        builder = builder.trust_bundle_pem(pem);
    }
    Ok(builder)
}

/// `long create(int source, String connectionString, String[] environment, String[] options)`
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_create<'l>(
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
        let builder = builder_for(source, cs, environment, &options)?;
        let client = runtime::block_on(builder.build())?;
        let config = delivery_config(client.module_id());
        let hosted = HostedClient::new(client, config)?;
        Ok(Box::into_raw(Box::new(hosted)) as jlong)
    })
}

/// `void free(long handle)`: closes (in the background) and releases the client.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_free<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    entry(&mut env, |_env| {
        if handle != 0 {
            // SAFETY: created by `create`; Java calls `free` exactly once, from the Cleaner
            // of the unreachable ModuleClient.
            drop(unsafe { Box::from_raw(handle as *mut HostedClient) });
        }
        Ok(())
    })
}

/// `void close(long handle)`
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_close<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    entry(&mut env, |_env| {
        let hosted = hosted(handle)?;
        if hosted.close_within(CLOSE_TIMEOUT) || hosted.delivery().is_current() {
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
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_deviceId<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        Ok(env.new_string(hosted.client().device_id())?)
    })
}

/// `String moduleId(long handle)`
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_moduleId<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        Ok(env.new_string(hosted.client().module_id())?)
    })
}

/// `int[] status(long handle)`: `[state, reason]` codes.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_status<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JIntArray<'l> {
    entry(&mut env, |env| {
        let hosted = hosted(handle)?;
        let status = *hosted.client().status().borrow();
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
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_shutdown<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    timeout_millis: jlong,
) {
    entry(&mut env, |_env| {
        let timeout = Duration::from_millis(u64::try_from(timeout_millis).unwrap_or(0));
        if let Err(e) = runtime::shutdown(timeout) {
            tracing::warn!("edgemodule shutdown: {e}");
        }
        Ok(())
    })
}

/// `String version()`: the native library's version.
#[no_mangle]
pub extern "system" fn Java_dev_edgemodule_Native_version<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> JString<'l> {
    entry(&mut env, |env| {
        Ok(env.new_string(env!("CARGO_PKG_VERSION"))?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_sources_and_options_are_invalid_arguments() {
        let e = match builder_for(7, None, Vec::new(), &[]) {
            Err(crate::error::Failure::Edge(e)) => e,
            _ => panic!("expected an error"),
        };
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let bad = [("speed".to_string(), "1".to_string())];
        assert!(builder_for(0, None, Vec::new(), &bad).is_err());
        let bad_number = [("mqtt_port".to_string(), "99999".to_string())];
        assert!(builder_for(0, None, Vec::new(), &bad_number).is_err());
        assert!(builder_for(2, None, Vec::new(), &[]).is_err());
    }
}
