//! # edgemodule-ffi
//!
//! What every edgemodule language binding needs besides the core's async API, written once
//! and kept free of any particular host language (design.md §4):
//!
//! - [`runtime`]: the one tokio runtime of a native library, created lazily, refusing to run
//!   in a `fork`ed child, and shut down (threads joined) with a time bound;
//! - [`delivery`]: a per-client OS thread fed by a bounded queue, the only place host
//!   callbacks run (never a tokio worker, never under a lock), plus [`DeliveryArc`], a
//!   shared value whose last reference is always released on that thread;
//! - [`hosted`]: [`HostedClient`], a `ModuleClient` with its delivery thread, callback
//!   registrations (stream → queue → host callback), async operations that complete
//!   exactly once on the delivery thread, and a close that waits for in-flight callbacks
//!   (and is safe to call from inside one);
//! - [`panic`](mod@panic): guards that turn a panic into an `INTERNAL` error so none crosses an FFI
//!   boundary;
//! - [`codes`]: the stable numeric codes of errors, connection states and reasons, with
//!   the core's names, descriptions and transience (also NUL-terminated);
//! - [`options`]: host options → the core's option names, and the client builder for each
//!   source (the core applies the `EDGEMODULE_*` overrides and the CA-file fallback);
//! - [`logging`]: the core's `tracing` records handed to the host's own logging on one
//!   dedicated thread;
//! - [`handlers`]: host callbacks registered through the core's handler API, run on the
//!   delivery thread and completed now or later ([`handlers::HostCall`]);
//! - [`background`]: stable codes and names of background-error kinds and handler families;
//! - [`joined`]: a plain batch taken as one buffer of bodies with their lengths.
//!
//! ## How a binding uses it
//!
//! ```no_run
//! use edgemodule_ffi::{hosted::HostedClient, runtime};
//!
//! # fn demo() -> edgemodule::Result<()> {
//! let client = runtime::block_on(edgemodule::ModuleClient::from_environment())?;
//! let hosted = HostedClient::new(client, Default::default())?;
//! // Register a callback: runs on the delivery thread for every message of "input1".
//! let stream = hosted.client().input("input1");
//! hosted.register("input:input1", stream, |message: edgemodule::InputMessage| {
//!     println!("{:?}", message.body_str());
//!     let _ = message.ack();
//! })?;
//! hosted.close();
//! runtime::shutdown(std::time::Duration::from_secs(5))?;
//! # Ok(()) }
//! ```
//!
//! The language hook is [`delivery::DeliveryConfig`]: `on_start` / `on_exit` run on the
//! delivery thread (attach to / detach from a JVM, for example); each callback closure
//! enters the host runtime itself (takes the GIL, opens a JNI local frame, …).

#![warn(missing_docs)]

pub mod background;
pub mod codes;
pub mod delivery;
pub mod driver;
pub mod handlers;
pub mod hosted;
pub mod joined;
pub mod logging;
pub mod ops;
pub mod options;
pub mod panic;
pub mod runtime;

pub use delivery::{Delivery, DeliveryArc, DeliveryConfig};
pub use hosted::HostedClient;
