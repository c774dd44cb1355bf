// The crate's front page is its README (also shown on the package registry page).
#![doc = include_str!("../README.md")]
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
mod device_client;
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
pub use device_client::DeviceClient;
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
