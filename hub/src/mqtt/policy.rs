//! How strictly the hub delivers routed messages to a module (docs/hub.md, "Delivery to
//! module inputs"): `strict` reproduces edgeHub, `permissive` is the older, faster hub
//! behaviour kept for experiments.

use std::time::Duration;

/// edgeHub's `MessageAckTimeoutSecs` default.
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// Unacknowledged input messages per module connection in strict mode: edgeHub sends a
/// module's routed messages one at a time, whatever input they are for.
pub const STRICT_WINDOW: usize = 1;
/// Unacknowledged input messages per module connection in permissive mode.
pub const PERMISSIVE_WINDOW: usize = 1000;

/// Delivery mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryMode {
    /// edgeHub's behaviour: one input message in flight per module, redelivery after the
    /// ack timeout, PUBACKs that are not for the oldest outstanding message ignored.
    #[default]
    Strict,
    /// Up to 1,000 input messages in flight, PUBACKs accepted in any order, no redelivery
    /// on the same connection.
    Permissive,
}

impl DeliveryMode {
    /// `strict` or `permissive`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Strict => "strict",
            DeliveryMode::Permissive => "permissive",
        }
    }
}

/// The delivery mode and its ack timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Strict (default) or permissive.
    pub mode: DeliveryMode,
    /// Strict mode: how long the hub waits for a PUBACK before it sends the input message
    /// again with DUP=1.
    pub ack_timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            mode: DeliveryMode::Strict,
            ack_timeout: DEFAULT_ACK_TIMEOUT,
        }
    }
}

impl DeliveryPolicy {
    /// True in strict mode.
    pub fn is_strict(&self) -> bool {
        self.mode == DeliveryMode::Strict
    }

    /// Input messages allowed in flight per module connection.
    pub fn window(&self) -> usize {
        match self.mode {
            DeliveryMode::Strict => STRICT_WINDOW,
            DeliveryMode::Permissive => PERMISSIVE_WINDOW,
        }
    }
}
