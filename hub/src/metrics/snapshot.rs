//! What the metrics read from the hub at scrape time rather than count on the hot paths:
//! queue lengths (from the store), store size, connections and the per-module delivery
//! counters `inspect` also reports.

use crate::mqtt::ModuleInspection;

/// Messages waiting in one endpoint queue at one priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLength {
    /// edgeHub's endpoint id: `{device}/{module}/{input}`, or `iothub` for `$upstream`.
    pub endpoint: String,
    /// Route priority (edgeHub's default 2000000000 for routes without one).
    pub priority: u32,
    /// Messages queued.
    pub length: u64,
}

/// The hub's state, read for one scrape.
#[derive(Debug, Clone, Default)]
pub struct HubSnapshot {
    /// Every endpoint queue the routes feed, and any other the store holds messages for.
    pub queue_lengths: Vec<QueueLength>,
    /// Bytes of queued messages.
    pub store_size_bytes: u64,
    /// User-topic messages dropped since the start.
    pub user_topic_drops: u64,
    /// Open MQTT connections.
    pub connected_clients: u64,
    /// Per-module delivery counters (`RunningHub::inspect`).
    pub modules: Vec<ModuleInspection>,
}
