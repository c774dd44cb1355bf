//! # edgemodule
//!
//! One Rust implementation of the Azure IoT Edge *module client*: MQTT 3.1.1 over TLS to
//! edgeHub, SAS tokens signed through the workload API, outputs and inputs with at-least-once
//! processing, twins with catch-up after reconnect, direct methods, user topics, and a
//! connection status with a reason. Pure async (tokio); no FFI and no global runtime.

#![warn(missing_docs)]

pub mod error;
pub mod message;
pub mod protocol;

pub use error::{Error, ErrorKind, Result};
pub use message::Message;
