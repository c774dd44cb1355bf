//! Native part of the `edgemodule` npm package: a thin napi-rs v3 adapter over the
//! `edgemodule` core (design.md §4). The JavaScript wrapper in `lib/` turns these
//! primitives into the public, EventEmitter-based API.
//!
//! Rules this crate follows:
//! - operations are `async fn`s running on napi's tokio runtime and resolving a Promise;
//! - events reach JavaScript through *weak* (unref'd) ThreadsafeFunctions called in
//!   non-blocking mode, so a registered listener never keeps the process alive and user code
//!   never runs on a tokio worker;
//! - every failure becomes a JavaScript error whose message carries the stable error kind
//!   (see [`error`]); no panic crosses into Node.

#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod events;
pub mod listeners;
pub mod message;
pub mod options;

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
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
