//! # edgemodule-jni
//!
//! The Java binding of edgemodule: the native library `libedgemodule_jni` behind the
//! `dev.edgemodule` classes of the `dev.edgemodule:edgemodule` jar (design.md §4–§5).
//!
//! - The native methods of `dev.edgemodule.Native` ([`client`], [`ops`], [`listen`]) adapt
//!   the core's async API through the shared `edgemodule-ffi` crate: one runtime, one
//!   [`HostedClient`](edgemodule_ffi::HostedClient) per Java client with its own delivery
//!   thread, attached to the JVM as a *daemon* so it never keeps the JVM alive.
//! - Callbacks and future completions run only on that thread, each in its own JNI local
//!   frame, through `dev.edgemodule.NativeCallbacks` methods whose ids are cached in
//!   [`JNI_OnLoad`]. A Java exception that escapes them is cleared, logged, and the work
//!   goes on.
//! - Every native method runs through one guard (module `error`): errors become
//!   `EdgeModuleException` subclasses, and no panic reaches the JVM.

#![warn(missing_docs)]

pub mod client;
mod convert;
mod error;
pub mod jvm_exports;
pub mod listen;
pub mod ops;
mod options;

pub(crate) mod jvm;

pub use jvm_exports::JNI_OnLoad;
