//! Forwarding of user-topic publishes (the IoT Edge 1.2 broker) to every subscriber, and
//! what happens when a subscriber does not keep up. The policy:
//!
//! - A **QoS 1** publish is acknowledged only once every matching subscriber's queue took its
//!   copy. While some queue is full, the publisher's PUBACK waits and its connection stops
//!   reading (back-pressure). A subscriber whose queue stays full for
//!   [`SLOW_SUBSCRIBER_TIMEOUT`] is disconnected and the copy counted as dropped; then the
//!   publisher gets its PUBACK. So a PUBACK never covers a copy the broker already decided to
//!   drop for a subscriber that stays connected.
//! - A **QoS 0** publish never waits: a copy that finds the queue full is dropped and
//!   counted.
//!
//! Copies keep the publisher's order per subscriber: once one copy had to wait, every later
//! copy from the same publisher waits behind it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::QoS;

use super::sessions::{Outbound, SessionHandle, Sessions};
use super::shared::Shared;

/// How long a subscriber's full queue may hold up a QoS 1 publisher before the subscriber is
/// disconnected.
pub const SLOW_SUBSCRIBER_TIMEOUT: Duration = Duration::from_secs(10);

/// One publisher connection's copies that could not be queued at once.
#[derive(Default)]
pub struct UserForwards {
    /// Copies waiting for room, in publish order.
    pending: Vec<(Arc<SessionHandle>, Outbound)>,
    /// Set when the last batch handed to the store pipeline was delivered.
    in_flight: Option<Arc<AtomicBool>>,
}

impl UserForwards {
    /// True while copies wait for room: the connection must not read more publishes.
    pub fn blocked(&self) -> bool {
        !self.pending.is_empty()
            || self
                .in_flight
                .as_ref()
                .is_some_and(|done| !done.load(Ordering::Acquire))
    }

    /// Queues one copy for `session`, or keeps it to be delivered before the PUBACK.
    pub fn forward(
        &mut self,
        sessions: &Sessions,
        session: Arc<SessionHandle>,
        out: Outbound,
        publish_qos: QoS,
    ) {
        if session.is_closing() || session.outbound.is_closed() {
            sessions.count_user_drop();
            return;
        }
        if self.blocked() {
            self.pending.push((session, out));
            return;
        }
        match session.outbound.try_send(out) {
            Ok(()) => {}
            Err(out) if publish_qos == QoS::AtLeastOnce => self.pending.push((session, out)),
            Err(out) => {
                sessions.count_user_drop();
                tracing::debug!(to = %session.client_id, topic = %out.topic, "subscriber queue full, QoS 0 message dropped");
            }
        }
    }

    /// The copies of the current read that must be delivered before its PUBACKs.
    pub fn take(&mut self, shared: &Arc<Shared>) -> Option<PendingForwards> {
        if self.pending.is_empty() {
            return None;
        }
        let done = Arc::new(AtomicBool::new(false));
        self.in_flight = Some(done.clone());
        Some(PendingForwards {
            items: std::mem::take(&mut self.pending),
            shared: shared.clone(),
            done,
        })
    }
}

/// Copies to deliver, waiting for room (part of a store batch, so the PUBACKs follow).
pub struct PendingForwards {
    items: Vec<(Arc<SessionHandle>, Outbound)>,
    shared: Arc<Shared>,
    done: Arc<AtomicBool>,
}

impl PendingForwards {
    /// Waits until every subscriber took its copy or was disconnected for not reading.
    pub async fn deliver(self) {
        let deadline = tokio::time::Instant::now() + SLOW_SUBSCRIBER_TIMEOUT;
        let sessions = &self.shared.sessions;
        for (session, out) in self.items {
            if session.is_closing() {
                sessions.count_user_drop();
                continue;
            }
            match tokio::time::timeout_at(deadline, session.outbound.send(out)).await {
                Ok(Ok(())) => {}
                // The subscriber's connection ended meanwhile.
                Ok(Err(_)) => sessions.count_user_drop(),
                Err(_) => {
                    tracing::warn!(client_id = %session.client_id, "subscriber did not read for {} s with a full queue; disconnecting it", SLOW_SUBSCRIBER_TIMEOUT.as_secs());
                    session.request_close("slow subscriber: its message queue stayed full");
                    sessions.count_user_drop();
                }
            }
        }
        self.done.store(true, Ordering::Release);
    }
}
