//! What twins and direct methods need from the MQTT broker: push a publish into a connected
//! client's session and ask about its subscriptions. Kept as a trait so both services can be
//! exercised without a broker and so they depend on nothing else of it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;

/// A future returned by [`ClientPublisher::wait_subscribed`].
pub type WaitFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// The broker as seen by twins and methods. Client ids are MQTT client ids (`{d}/{m}`).
pub trait ClientPublisher: Send + Sync + 'static {
    /// Publishes to a connected client's session (QoS 0 or 1, capped at what the client was
    /// granted). Returns false if the client is not connected or has no subscription
    /// matching `topic`.
    fn publish_to(&self, client_id: &str, topic: &str, payload: Bytes, qos: u8) -> bool;
    /// True when the client is connected and has a subscription whose filter matches `topic`.
    fn is_subscribed(&self, client_id: &str, topic: &str) -> bool;
    /// True when the client is connected.
    fn is_connected(&self, client_id: &str) -> bool;
    /// Resolves to true as soon as the client is connected with a subscription matching
    /// `topic`, or to false after `timeout`.
    fn wait_subscribed<'a>(
        &'a self,
        client_id: &'a str,
        topic: &'a str,
        timeout: Duration,
    ) -> WaitFuture<'a>;
}
