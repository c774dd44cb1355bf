//! `edgemodule_client_t`: creation, connect, close, free.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use edgemodule_core::{ClientBuilder, ModuleClient, Result};
use edgemodule_ffi::handlers::HostHandlers;
use edgemodule_ffi::hosted::CLOSE_TIMEOUT;
use edgemodule_ffi::{runtime, DeliveryConfig, HostedClient};

use crate::args::{opt_str_arg, out_arg, str_arg, write_str};
use crate::callbacks::{done, edgemodule_ctx_free_cb, edgemodule_done_cb, HostCallback};
use crate::error::{call, invalid};
use crate::options::edgemodule_options_t;

/// A module client. Create it with `edgemodule_client_new*`, free it with
/// `edgemodule_client_free`. Thread-safe: any function may be called from any thread,
/// including from callbacks.
pub struct edgemodule_client_t {
    pub(crate) hosted: HostedClient,
    /// The input, method, desired and topic callbacks (registered with the core's handler
    /// API); shared with the client's subscriptions, which may outlive the handle.
    pub(crate) handlers: Arc<HostHandlers>,
}

impl edgemodule_client_t {
    /// # Safety
    /// `ptr` is NULL or a live client.
    pub(crate) unsafe fn get<'a>(ptr: *const edgemodule_client_t) -> Result<&'a HostedClient> {
        // SAFETY: forwarded contract.
        unsafe { edgemodule_client_t::with(ptr) }.map(|c| &c.hosted)
    }

    /// # Safety
    /// `ptr` is NULL or a live client.
    pub(crate) unsafe fn with<'a>(ptr: *const edgemodule_client_t) -> Result<&'a Self> {
        // SAFETY: caller contract.
        unsafe { ptr.as_ref() }.ok_or_else(|| invalid("client is NULL"))
    }
}

/// The callback slots of every client created, for `edgemodule_shutdown`: the shared
/// shutdown closes the hosted clients, but the slots live in the handles (freed later), so
/// their contexts would otherwise be released only by `edgemodule_client_free`.
static LIVE_HANDLERS: Mutex<Vec<Weak<HostHandlers>>> = Mutex::new(Vec::new());

/// Closes the callback slots of every client still alive (their `ctx_free`s run on the
/// delivery threads, which are still running).
pub(crate) fn close_all_handlers() {
    let live: Vec<Arc<HostHandlers>> = {
        let mut list = LIVE_HANDLERS.lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.iter().filter_map(Weak::upgrade).collect()
    };
    for handlers in live {
        handlers.close();
    }
}

/// Builds a client from `builder` and writes the handle to `out`.
fn create(builder: ClientBuilder, out: &mut *mut edgemodule_client_t) -> Result<()> {
    let client: ModuleClient = runtime::block_on(builder.build())?;
    let hosted = HostedClient::new(
        client,
        DeliveryConfig {
            name: "edgemodule-cb".into(),
            ..DeliveryConfig::default()
        },
    )?;
    let handlers = Arc::new(HostHandlers::new(hosted.delivery()));
    {
        let mut live = LIVE_HANDLERS.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&handlers));
    }
    *out = Box::into_raw(Box::new(edgemodule_client_t { hosted, handlers }));
    Ok(())
}

/// Creates a client for the module IoT Edge started: the `IOTEDGE_*` variables (signing
/// and trust through the workload API), else `EdgeHubConnectionString` +
/// `EdgeModuleCACertificateFile`. `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT`
/// override the gateway ports. Does not connect yet (see `edgemodule_client_connect`).
/// `EDGEMODULE_E_CONFIG` names a missing or malformed variable.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_new_from_environment(
    out: *mut *mut edgemodule_client_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        create(ClientBuilder::new(), out)
    })
}

/// Creates a client from a module connection string and the PEM trust bundle of the
/// gateway's certificate (`trust_bundle_pem` NULL: the file named by
/// `EdgeModuleCACertificateFile`; with neither the call fails with `EDGEMODULE_E_CONFIG`).
/// Ports: `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT` when set, else 8883 / 443.
/// Does not connect yet.
///
/// # Safety
/// Strings are valid for their lengths (or NUL-terminated with EDGEMODULE_NUL_TERMINATED);
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_new_from_connection_string(
    connection_string: *const c_char,
    connection_string_len: usize,
    trust_bundle_pem: *const c_char,
    trust_bundle_pem_len: usize,
    out: *mut *mut edgemodule_client_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let cs = unsafe {
            str_arg(
                connection_string,
                connection_string_len,
                "connection_string",
            )
        }?;
        // SAFETY: caller contract.
        let pem =
            unsafe { opt_str_arg(trust_bundle_pem, trust_bundle_pem_len, "trust_bundle_pem") }?;
        let mut builder = ClientBuilder::new().connection_string(cs);
        if let Some(pem) = pem {
            builder = builder.trust_bundle_pem(pem);
        }
        create(builder, out)
    })
}

/// Creates a client from `options` (see `edgemodule_options_t`). Does not connect yet.
///
/// # Safety
/// `options` points to an initialised options struct; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_new(
    options: *const edgemodule_options_t,
    out: *mut *mut edgemodule_client_t,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let options = unsafe { edgemodule_options_t::read(options) }?;
        // SAFETY: the options' strings are valid per the caller contract.
        let builder = unsafe { options.builder() }?;
        create(builder, out)
    })
}

/// Connects (or waits for the reconnect in progress) and returns once connected and
/// subscribed to everything registered so far: `EDGEMODULE_E_UNAUTHORIZED` at once when the
/// hub refuses the credentials, `EDGEMODULE_E_CONNECTION` / `EDGEMODULE_E_TIMEOUT` when not
/// connected within the operation timeout (the client keeps retrying in the background).
/// Register callbacks before connecting — or call this again after registering one on a
/// connected client: it returns once the hub confirmed the new subscription. Every
/// operation also connects on its own.
///
/// # Safety
/// `client` is a live client.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_connect(client: *const edgemodule_client_t) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let core = hosted.client().clone();
        hosted.block_on(async move { core.connect().await })
    })
}

/// Starts connecting; `done` runs exactly once with the result of
/// `edgemodule_client_connect`. On a non-OK return `done` is not called (`ctx_free` is).
///
/// # Safety
/// `client` is a live client; `ctx` is valid for `done` and `ctx_free`.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_connect_async(
    client: *const edgemodule_client_t,
    done_cb: edgemodule_done_cb,
    ctx: *mut c_void,
    ctx_free: edgemodule_ctx_free_cb,
) -> i32 {
    let callback = HostCallback::new(done_cb, ctx, ctx_free);
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        let core = hosted.client().clone();
        hosted.start(move || async move { core.connect().await }, done(callback))
    })
}

/// Closes the client (idempotent): operations in flight complete with
/// `EDGEMODULE_E_CLOSED` (their callbacks run before this returns), no other callback runs
/// afterwards, every `ctx_free` runs, and the delivery thread exits. Later calls fail with
/// `EDGEMODULE_E_CLOSED`. Called from one of this client's callbacks it returns at once;
/// the rest happens right after that callback returns. Waits at most 10 s
/// (`EDGEMODULE_E_TIMEOUT`, e.g. when a callback is blocked).
///
/// # Safety
/// `client` is a live client.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_close(client: *const edgemodule_client_t) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let client = unsafe { edgemodule_client_t::with(client) }?;
        close(client, CLOSE_TIMEOUT)
    })
}

fn close(client: &edgemodule_client_t, timeout: Duration) -> Result<()> {
    // The callbacks first, so their contexts are released on the delivery thread before it
    // exits.
    client.handlers.close();
    let hosted = &client.hosted;
    if hosted.close_within(timeout) || hosted.delivery().is_current() {
        Ok(())
    } else {
        Err(edgemodule_core::Error::new(
            edgemodule_core::ErrorKind::Timeout,
            format!(
                "the client did not finish closing within {timeout:?} (is a callback blocked?)"
            ),
        ))
    }
}

/// Closes the client as `edgemodule_client_close` does (waiting for in-flight callbacks,
/// unless called from one of them) and frees it. NULL is a no-op. No other thread may use
/// the handle once this is called. Subscriptions and method response handles of the client
/// stay valid (free them as usual; a response then fails with `EDGEMODULE_E_CLOSED`).
///
/// # Safety
/// `client` is NULL or a live client not used again afterwards.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_free(client: *mut edgemodule_client_t) {
    if client.is_null() {
        return;
    }
    call(|| {
        // SAFETY: created by Box::into_raw in `create`.
        let owned = unsafe { Box::from_raw(client) };
        let result = close(&owned, CLOSE_TIMEOUT);
        drop(owned);
        result
    });
}

/// The device id, as a borrowed string (not NUL-terminated) valid while the client lives.
///
/// # Safety
/// `client` is live; `value` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_device_id(
    client: *const edgemodule_client_t,
    value: *mut *const c_char,
    len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        unsafe {
            out_arg(value, "value")?;
            out_arg(len, "len")?;
            write_str(hosted.client().device_id(), value, len);
        }
        Ok(())
    })
}

/// The module id, as a borrowed string (not NUL-terminated) valid while the client lives.
///
/// # Safety
/// `client` is live; `value` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn edgemodule_client_module_id(
    client: *const edgemodule_client_t,
    value: *mut *const c_char,
    len: *mut usize,
) -> i32 {
    call(|| {
        // SAFETY: caller contract.
        let hosted = unsafe { edgemodule_client_t::get(client) }?;
        // SAFETY: caller contract.
        unsafe {
            out_arg(value, "value")?;
            out_arg(len, "len")?;
            write_str(hosted.client().module_id(), value, len);
        }
        Ok(())
    })
}
