//! Native part of the `edgemodule` npm package: a thin napi-rs v3 adapter over the
//! `edgemodule` core (design.md §4). The JavaScript wrapper in `lib/` turns these
//! primitives into the public, EventEmitter-based API.
//!
//! Rules this crate follows:
//! - operations are `async fn`s running on napi's tokio runtime and resolving a Promise;
//! - input, method, desired and user-topic callbacks are registered with the core's handler
//!   API: the core calls a JavaScript function through a *weak* (unref'd) ThreadsafeFunction
//!   and the Promise that function returns completes the core's handler future — the core
//!   acknowledges, retries, answers failed methods and decides concurrency, never this crate
//!   or the JavaScript wrapper;
//! - events (status, background errors, log records) reach JavaScript through weak
//!   ThreadsafeFunctions called in non-blocking mode, so nothing registered keeps the process
//!   alive and user code never runs on a tokio worker;
//! - policies (options, error table, status names, system properties, twin JSON) come from
//!   the core's tables; this crate translates names, never decides;
//! - every failure becomes a JavaScript error whose message carries the stable error kind
//!   (see [`error`]); no panic crosses into Node.

#![warn(missing_docs)]

pub mod client;
pub mod completion;
pub mod error;
pub mod events;
pub mod handlers;
pub mod listeners;
pub mod logging;
pub mod message;
pub mod names;
pub mod options;
pub mod tables;
pub mod twin;

/// Configures napi's tokio runtime before the first async call: two named worker threads
/// are plenty for a module client and keep the footprint small on edge devices.
#[napi_derive::module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("edgemodule-node")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        let _ = RUNTIME.set(runtime.handle().clone());
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// A handle on napi's runtime (the one `init` built). Unlike napi's own accessor it stays
/// usable while Node tears the environment down, when finalizers drop settled-late objects.
static RUNTIME: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();

/// Runs `f` inside napi's tokio runtime: the core spawns tasks when a handler or stream is
/// registered, cleared or settled, and a synchronous export (or a finalizer) runs on Node's
/// main thread, outside any runtime. After shutdown, a spawned task is dropped at once.
pub(crate) fn in_runtime<T>(f: impl FnOnce() -> T) -> T {
    match RUNTIME.get() {
        Some(handle) => {
            let _guard = handle.enter();
            f()
        }
        None => napi::bindgen_prelude::within_runtime_if_available(f),
    }
}
