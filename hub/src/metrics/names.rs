//! Metric names, help texts and label names.
//!
//! The `edgehub_*` families are edgeHub's, as its code defines them (Azure/iotedge tag
//! `1.5.44`; docs/hub.md, "Metrics", lists the file of each): the name is
//! `edgehub_{name}` (`_total` appended to counters), every family carries the labels
//! `iothub`, `edge_device` and `instance_number` first, then its own labels in edgeHub's
//! order, and every counter and gauge of that list ends with `ms_telemetry="True"`. The
//! two "timers/histograms" are Prometheus summaries with the quantiles 0.1, 0.5, 0.9 and
//! 0.99, as prometheus-net renders them for edgeHub. `edgemodule_hub_*` are the hub's own.

/// A metric family: its full name (as rendered) and its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// Full name, `_total` included for counters.
    pub name: &'static str,
    /// `# HELP` text.
    pub help: &'static str,
}

const fn family(name: &'static str, help: &'static str) -> Family {
    Family { name, help }
}

/// Label carried by every family: the IoT Hub host name.
pub const IOTHUB: &str = "iothub";
/// Label carried by every family: the edge device id.
pub const EDGE_DEVICE: &str = "edge_device";
/// Label carried by every family: a GUID drawn at each start (counters restart from 0).
pub const INSTANCE_NUMBER: &str = "instance_number";
/// Last label of edgeHub's counters and gauges (always `"True"`).
pub const MS_TELEMETRY: &str = "ms_telemetry";
/// The value edgeHub gives `ms_telemetry` (`bool.TrueString`).
pub const MS_TELEMETRY_VALUE: &str = "True";

/// `RoutingEdgeHub.Metrics`: `id`, `route_output`, `ms_telemetry`.
pub const MESSAGES_RECEIVED: Family = family(
    "edgehub_messages_received_total",
    "Number of messages received from client",
);
/// `DeviceProxy.Metrics` / `CloudProxy.Metrics`: `from`, `to`, `from_route_output`,
/// `to_route_input`, `priority`, `ms_telemetry`.
pub const MESSAGES_SENT: Family =
    family("edgehub_messages_sent_total", "Messages sent from edge hub");
/// `RoutingEdgeHub.Metrics` (summary): `id`.
pub const MESSAGE_SIZE: Family = family(
    "edgehub_message_size_bytes",
    "Size of messages received by EdgeHub",
);
/// `DeviceMessageHandler.Metrics` (summary): `from`, `to`, `from_route_output`,
/// `to_route_input`.
pub const MESSAGE_SEND_DURATION: Family = family(
    "edgehub_message_send_duration_seconds",
    "Time taken to send a message",
);
/// `Checkpointer.Metrics` (gauge): `endpoint`, `priority`, `ms_telemetry`.
pub const QUEUE_LENGTH: Family = family(
    "edgehub_queue_length",
    "Number of messages pending to be processed for the endpoint",
);
/// `EdgeHubRoutingUserMetricLogger.Metrics`, `MessageStore.CleanupProcessor`: `reason`,
/// `from`, `from_route_output`, `ms_telemetry`.
pub const MESSAGES_DROPPED: Family = family("edgehub_messages_dropped_total", "Messages dropped");
/// `EdgeHubRoutingUserMetricLogger.Metrics`: `reason`, `from`, `from_route_output`,
/// `ms_telemetry`.
pub const MESSAGES_UNACK: Family =
    family("edgehub_messages_unack_total", "Messages not acknowledged");
/// `DeviceMessageHandler.Metrics`: `source`, `id`, `ms_telemetry`.
pub const GET_TWIN: Family = family("edgehub_gettwin_total", "Get twin calls");
/// `DeviceMessageHandler.Metrics`: `target`, `id`, `ms_telemetry`.
pub const REPORTED_PROPERTIES: Family = family(
    "edgehub_reported_properties_total",
    "Reported properties update calls",
);
/// `RoutingEdgeHub.Metrics`: `from`, `to`, `ms_telemetry`.
pub const DIRECT_METHODS: Family = family(
    "edgehub_direct_methods_total",
    "Direct methods routed through EdgeHub",
);
/// `Authenticator.Metrics`: `id`, `reason`, `ms_telemetry`.
pub const CLIENT_CONNECT_FAILED: Family = family(
    "edgehub_client_connect_failed_total",
    "Total number of times each client failed to connect to edgeHub",
);
/// `DeviceConnectionMetrics` (gauge, no labels of its own).
pub const CONNECTED_CLIENTS: Family = family(
    "edgehub_connected_clients",
    "Current number of clients connected to edgeHub",
);
/// `DeviceConnectionMetrics`: `id`.
pub const CLIENT_CONNECT_SUCCESS: Family = family(
    "edgehub_client_connect_success_total",
    "Total number of times each client successfully connected to edgeHub",
);
/// `DeviceConnectionMetrics`: `id`.
pub const CLIENT_DISCONNECT: Family = family(
    "edgehub_client_disconnect_total",
    "Total number of times each client disconnected from edgeHub",
);

/// The hub's own: bytes of queued messages (what `storeLimits.maxSizeBytes` limits).
pub const STORE_SIZE: Family = family(
    "edgemodule_hub_store_size_bytes",
    "Bytes of messages queued in the hub's store (body and properties), as limited by storeLimits.maxSizeBytes",
);
/// The hub's own: user-topic messages dropped (`RunningHub::user_topic_drops`).
pub const USER_TOPIC_DROPS: Family = family(
    "edgemodule_hub_user_topic_drops_total",
    "User-topic messages dropped: QoS 0 copies that found a subscriber's queue full, copies for subscribers closed for not reading",
);
/// The hub's own, per module (`module` label): 1 while connected.
pub const MODULE_CONNECTED: Family = family(
    "edgemodule_hub_module_connected",
    "1 while the module has an open MQTT connection, else 0",
);
/// The hub's own, per module: accepted CONNECTs.
pub const MODULE_CONNECTIONS: Family = family(
    "edgemodule_hub_module_connections_total",
    "MQTT connections of the module accepted since the hub started",
);
/// The hub's own, per module: input messages sent again with DUP=1.
pub const MODULE_REDELIVERIES: Family = family(
    "edgemodule_hub_module_redeliveries_total",
    "Input messages sent to the module again with DUP=1 (ack timeout of strict delivery, or after a reconnect)",
);
/// The hub's own, per module: PUBACKs for a PUBLISH other than the oldest outstanding one.
pub const MODULE_ACKS_OUT_OF_ORDER: Family = family(
    "edgemodule_hub_module_acks_out_of_order_total",
    "PUBACKs from the module for a PUBLISH that was not the oldest outstanding one",
);
/// The hub's own, per module: input messages sent and not acknowledged yet.
pub const MODULE_IN_FLIGHT: Family = family(
    "edgemodule_hub_module_in_flight",
    "Input messages sent to the module's current connection and not acknowledged yet",
);

/// Every counter family, for descriptions.
pub const COUNTERS: &[Family] = &[
    MESSAGES_RECEIVED,
    MESSAGES_SENT,
    MESSAGES_DROPPED,
    MESSAGES_UNACK,
    GET_TWIN,
    REPORTED_PROPERTIES,
    DIRECT_METHODS,
    CLIENT_CONNECT_FAILED,
    CLIENT_CONNECT_SUCCESS,
    CLIENT_DISCONNECT,
    USER_TOPIC_DROPS,
    MODULE_CONNECTIONS,
    MODULE_REDELIVERIES,
    MODULE_ACKS_OUT_OF_ORDER,
];
/// Every gauge family.
pub const GAUGES: &[Family] = &[
    QUEUE_LENGTH,
    CONNECTED_CLIENTS,
    STORE_SIZE,
    MODULE_CONNECTED,
    MODULE_IN_FLIGHT,
];
/// Every summary family.
pub const SUMMARIES: &[Family] = &[MESSAGE_SIZE, MESSAGE_SEND_DURATION];
/// Quantiles of the summaries (edgeHub's `MetricsHistogram` / `MetricsTimer` objectives).
pub const QUANTILES: &[f64] = &[0.1, 0.5, 0.9, 0.99];

/// `source`/`target` value of twin operations edgeHub answers itself.
pub const EDGE_HUB_SOURCE: &str = "edge_hub";
/// `to` of messages for IoT Hub, `from` of methods called from the cloud (here: the operator).
pub const UPSTREAM: &str = "upstream";
/// `endpoint` of the `$upstream` queue (edgeHub's `CloudEndpoint` id).
pub const UPSTREAM_ENDPOINT_LABEL: &str = "iothub";
/// `reason` of a message no route matched.
pub const REASON_NO_ROUTE: &str = "no_route";
/// `reason` of a message removed for its time to live.
pub const REASON_TTL_EXPIRY: &str = "ttl_expiry";
/// `reason` of a message the store did not take.
pub const REASON_STORAGE_FAILURE: &str = "storage_failure";
/// `reason` of a refused CONNECT.
pub const REASON_NOT_AUTHENTICATED: &str = "not_authenticated";
