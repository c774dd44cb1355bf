//! # edgemodule
//!
//! One Rust implementation of the Azure IoT Edge *module client*: MQTT 3.1.1 over TLS to
//! edgeHub, SAS tokens signed through the workload API, outputs and inputs with at-least-once
//! processing, twins with catch-up after reconnect, direct methods, user topics, and a
//! connection status with a reason. Pure async (tokio); no FFI and no global runtime.

#![warn(missing_docs)]

pub mod delivery;
pub mod error;
pub mod message;
pub mod options;
pub mod protocol;
pub mod system_property;

mod auth;
mod builder;
mod client;
mod connection;
mod http;
mod identity;
mod inputs;
mod invoke;
mod methods;
mod status;
mod status_changes;
mod twin;
mod twin_state;
mod user_topics;

pub use builder::ClientBuilder;
pub use client::ModuleClient;
pub use connection::families::Subscribed;
pub use delivery::{BackgroundError, BackgroundErrorKind, BackgroundErrors, HandlerError};
pub use error::{code_info, CodeInfo, Error, ErrorKind, Result, CODES};
pub use inputs::{InputMessage, InputStream};
pub use invoke::{MethodInvokeRequest, MethodInvokeResponse};
pub use message::Message;
pub use methods::{MethodRequest, MethodResponse, MethodStream};
pub use options::{
    ClientOptions, OptionKind, OptionSpec, OptionValue, Qos, RetryPolicy, CA_FILE_VAR,
    DEFAULT_HTTPS_PORT, DEFAULT_MQTT_PORT, HTTPS_PORT_VAR, MQTT_PORT_VAR, OPTIONS,
};
pub use status::{ConnectionState, ConnectionStatus, StatusInfo, StatusReason, REASONS, STATES};
pub use status_changes::StatusChanges;
pub use system_property::{PropertyInfo, PropertyType, SystemProperty, SYSTEM_PROPERTIES};
pub use twin::DesiredPatchStream;
pub use twin_state::{merge_patch, DesiredPatch, DesiredTracker, Twin};
pub use user_topics::{Subscription, UserMessage};
