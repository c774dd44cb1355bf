//! PUBACKs from the client, checked the way edgeHub's MQTT layer (the protocol gateway's
//! `RequestAckPairProcessor`) checks them: against the oldest outstanding QoS 1 PUBLISH.
//! Every PUBACK is counted for `inspect`; in strict mode one that acknowledges an input
//! message out of order is ignored (logged), so that message is sent again after the ack
//! timeout, as it would be by edgeHub. docs/hub.md, "Acknowledgements".

use super::connection::Conn;
use super::inflight::{AckMatch, InflightEntry};
use super::inspect::ModuleCounters;

impl Conn {
    /// Counts a PUBLISH from the client (for `inspect`).
    pub(super) fn count_publish(&self, dup: bool) {
        ModuleCounters::bump(&self.counters.publishes_received);
        if dup {
            ModuleCounters::bump(&self.counters.dup_publishes_received);
        }
    }

    /// A PUBACK from the client.
    pub(super) fn on_puback(&mut self, pkid: u16) {
        let entry = match self.inflight.match_ack(pkid) {
            AckMatch::InOrder(entry) => {
                ModuleCounters::bump(&self.counters.acks_in_order);
                entry
            }
            AckMatch::OutOfOrder { entry, expected } => {
                ModuleCounters::bump(&self.counters.acks_out_of_order);
                let input = matches!(entry, InflightEntry::Delivery { .. });
                if self.policy.is_strict() && input {
                    tracing::warn!(
                        client_id = %self.client_id,
                        pkid,
                        expected,
                        "PUBACK for an input message received while an older PUBLISH is unacknowledged: ignored (MQTT 3.1.1 §4.6); the message is sent again after the ack timeout"
                    );
                    return;
                }
                // Anything else is released: nothing would ever send it again.
                tracing::debug!(client_id = %self.client_id, pkid, expected, "PUBACK out of order, accepted");
                entry
            }
            AckMatch::Unknown => {
                ModuleCounters::bump(&self.counters.acks_unexpected);
                tracing::debug!(client_id = %self.client_id, pkid, "PUBACK for an unknown packet id");
                return;
            }
        };
        self.inflight.complete(pkid);
        let InflightEntry::Delivery { endpoint, seq } = entry else {
            return;
        };
        match self.delivery.as_mut() {
            Some(d) => d.on_puback(endpoint, seq),
            None => {
                if let Some(id) = self
                    .mailbox
                    .as_ref()
                    .and_then(|m| m.endpoints.get(endpoint))
                {
                    self.acks.push((id.clone(), seq));
                }
            }
        }
    }
}
