//! The MQTT 3.1.1 server modules connect to (protocol.md §3–§7, §9): TLS listener, SAS
//! authentication, persistent sessions, telemetry routing into the store, delivery of
//! module inputs, IoT Hub twin/method topics, and IoT Edge 1.2-style user topics.
//!
//! Layout: `listener` accepts, `connect` authenticates, `connection` runs one client
//! (`inbound` handles its packets), `delivery` + `mailbox` feed its inputs, `routing`
//! evaluates routes, `sessions` tracks who is connected, `session_state` persists
//! subscriptions, `access` decides what a module may publish/subscribe, `maintenance` does
//! periodic re-authentication and store housekeeping, `codec` frames packets and enforces
//! MQTT 3.1.1's fixed-header rules, `outbound` bounds what may be queued for a client, and
//! `user_forward` applies the overflow policy of user topics. `policy` says how strictly
//! input messages are delivered (edgeHub's way by default), `acks` checks PUBACKs against
//! the oldest outstanding PUBLISH, `inspect` counts for `edgemodule-hub inspect`.

mod access;
mod acks;
mod broker;
mod codec;
mod connect;
mod connection;
mod delivery;
#[doc(hidden)]
pub mod fuzz;
mod inbound;
mod inflight;
mod inspect;
mod listener;
mod mailbox;
mod maintenance;
mod outbound;
mod policy;
mod routing;
mod session_state;
mod sessions;
mod shared;
mod store_io;
mod user_forward;

pub use access::{classify_publish, classify_subscribe, PublishTarget, SubscriptionKind};
pub use broker::{Broker, BrokerSettings};
pub use codec::MAX_MESSAGE_SIZE;
pub use inspect::ModuleInspection;
pub use policy::{DeliveryMode, DeliveryPolicy, DEFAULT_ACK_TIMEOUT};
pub use routing::UpstreamHook;
pub use shared::{IotHubHandler, UserTap};

/// Current Unix time in seconds.
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
