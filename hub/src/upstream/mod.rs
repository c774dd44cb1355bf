//! Nested edge, child side: `serve --parent` connects this hub to a parent hub (or IoT Hub)
//! as its own device identity, with the edgemodule core's `DeviceClient`, and forwards what
//! the routes send to `$upstream` (docs/hub.md, "Nested edge").

mod bridge;
mod convert;
mod forwarder;
mod parent;

pub use bridge::{Bridge, BridgeStats};
pub use convert::to_upstream;
pub use forwarder::{Forwarder, ForwarderStats};
pub use parent::{parse_address, ParentConfig, DEFAULT_PARENT_PORT};
