//! # edgemodule-jni
//!
//! The Java binding of edgemodule: the native library `libedgemodule_jni` behind the
//! `dev.edgemodule` classes of the `dev.edgemodule:edgemodule` jar (design.md §4–§5).
//!
//! - The native methods of `dev.edgemodule.Native` ([`client`], [`ops`], [`handlers`],
//!   [`topics`], [`events`], [`logging`], [`tables`]) adapt the core's async API through the
//!   shared `edgemodule-ffi` crate. Each is exported under its JNI *long* name (arguments
//!   mangled into the symbol), so `NativeExportsTest` can check every declaration of
//!   `Native.java` against the library's symbols, types included.
//! - Handlers are registered with the core's handler API; the core decides order,
//!   acknowledgement, retries and the method failure reply. Each registration's Java
//!   callback runs on its own lane (module `lanes`), a thread attached to the JVM as a *daemon*;
//!   status changes, background errors and future completions run on the client's callback
//!   thread (a `HostedClient` delivery thread, also a daemon). No thread the library owns
//!   keeps the JVM alive.
//! - Every call into Java runs in its own JNI local frame, through `dev.edgemodule.NativeCallbacks`
//!   methods whose ids are cached in [`JNI_OnLoad`]; those methods catch what user code
//!   throws.
//! - Every native method runs through one guard (module `error`): errors become
//!   `EdgeModuleException` subclasses, and no panic reaches the JVM.

#![warn(missing_docs)]

pub mod client;
mod convert;
mod error;
pub mod events;
pub mod handlers;
pub mod jvm_exports;
mod lanes;
pub mod logging;
pub mod ops;
pub mod tables;
pub mod topics;

pub(crate) mod jvm;

pub use jvm_exports::JNI_OnLoad;
