//! # edgemodule C ABI
//!
//! `libedgemodule.so` / `libedgemodule.a` and `include/edgemodule.h` (generated from this
//! crate by cbindgen). The whole `edgemodule` module client behind opaque handles,
//! `int32_t` result codes with a thread-local message, UTF-8 `(pointer, length)` strings
//! and `(fn, ctx, ctx_free)` callbacks that run on a per-client delivery thread. The .NET
//! binding calls this ABI too. Delivery (order, retries, acknowledgements, the method
//! failure reply) is the core's handler API; the shared machinery (runtime, delivery
//! thread, host handler slots, close protocol, panic guard, logging) is in
//! `edgemodule-ffi`; this crate only converts arguments.
//!
//! Every export catches panics (→ `EDGEMODULE_E_INTERNAL`) so none unwinds into C.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]

mod args;
mod background;
mod callbacks;
mod client;
mod error;
mod handler_call;
mod inputs;
mod invoke;
mod logging;
mod message;
mod methods;
mod options;
mod registration;
mod send;
mod status;
mod topics;
mod twin;
mod version;

pub use args::*;
pub use background::*;
pub use callbacks::*;
pub use client::*;
pub use error::*;
pub use handler_call::*;
pub use inputs::*;
pub use invoke::*;
pub use logging::*;
pub use message::*;
pub use methods::*;
pub use options::*;
pub use send::*;
pub use status::*;
pub use topics::*;
pub use twin::*;
pub use version::*;
