// The crate's front page is its README (also shown on the package registry page).
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod error;
pub mod message;
pub mod protocol;

mod auth;
mod builder;
mod client;
mod connection;
mod http;
mod identity;
mod inputs;
mod invoke;
mod methods;
mod options;
mod status;
mod twin;
mod user_topics;

pub use builder::ClientBuilder;
pub use client::ModuleClient;
pub use error::{Error, ErrorKind, Result};
pub use inputs::{InputMessage, InputStream};
pub use invoke::{MethodInvokeRequest, MethodInvokeResponse};
pub use message::Message;
pub use methods::{MethodRequest, MethodStream};
pub use options::{
    ClientOptions, Qos, RetryPolicy, DEFAULT_HTTPS_PORT, DEFAULT_MQTT_PORT, HTTPS_PORT_VAR,
    MQTT_PORT_VAR,
};
pub use status::{ConnectionState, ConnectionStatus, StatusReason};
pub use twin::{DesiredPatch, DesiredPatchStream, Twin};
pub use user_topics::{Subscription, UserMessage};
