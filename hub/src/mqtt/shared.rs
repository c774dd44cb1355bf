//! State shared by the listener, every connection, the maintenance task and the broker
//! handle. It lives apart from `broker` so that the connection code does not depend on the
//! handle that starts it.

use std::sync::{Arc, RwLock};

use bytes::Bytes;

use tokio::sync::watch;

use super::inspect::Inspector;
use super::policy::DeliveryPolicy;
use super::routing::{Router, UpstreamHook};
use super::sessions::Sessions;
use crate::authz::Policy;
use crate::identity::Identities;
use crate::store::Store;

/// Handles the IoT Hub topics the broker does not own: twin requests and method responses.
pub trait IotHubHandler: Send + Sync {
    /// A publish on `$iothub/twin/…` from `module`; returns the response to publish back.
    fn twin_request(&self, module: &str, topic: &str, payload: &[u8]) -> Option<(String, Bytes)>;
    /// A publish on `$iothub/methods/res/…` from `module`.
    fn method_response(&self, module: &str, topic: &str, payload: &[u8]);
}

/// State shared by the listener, every connection and the handle.
pub(crate) struct Shared {
    pub hub_name: String,
    pub identities: Arc<Identities>,
    pub store: Store,
    pub router: Router,
    pub policy: Policy,
    pub sessions: Sessions,
    pub handler: RwLock<Option<Arc<dyn IotHubHandler>>>,
    pub upstream: UpstreamHook,
    pub shutdown: watch::Sender<bool>,
    /// How input messages are delivered to modules.
    pub delivery: DeliveryPolicy,
    /// Per-module counters for `inspect`.
    pub inspector: Inspector,
    /// Prometheus metrics.
    pub metrics: Arc<crate::metrics::HubMetrics>,
}

impl Shared {
    /// The twin/method handler, if installed.
    pub fn handler(&self) -> Option<Arc<dyn IotHubHandler>> {
        self.handler.read().ok().and_then(|h| h.clone())
    }
}
