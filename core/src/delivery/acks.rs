//! In-order acknowledgement of incoming QoS 1 PUBLISHes.
//!
//! MQTT 3.1.1 §4.6 [MQTT-4.6.0-2]: a client sends PUBACKs in the order the PUBLISHes arrived.
//! edgeHub's MQTT head matches every PUBACK against its *oldest* outstanding PUBLISH and drops
//! one that does not match, so a single early acknowledgement stalls the module's deliveries
//! until the hub's 30 s ack timeout. Every incoming QoS 1 PUBLISH therefore takes a slot here
//! in arrival order — inputs, user topics, twin responses, method calls alike — and its
//! PUBACK goes out only once it and every earlier slot are done.
//!
//! Slots belong to one connection: when it drops, they are forgotten (the hub delivers those
//! messages again) and tickets of the old connection are ignored.

use std::collections::VecDeque;

use rumqttc::{AsyncClient, Publish, QoS};

/// The right to acknowledge one incoming PUBLISH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    epoch: u64,
    seq: u64,
}

impl Ticket {
    /// The connection generation the PUBLISH arrived on.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    pkid: u16,
    done: bool,
}

/// The acknowledgement queue of the current connection.
#[derive(Debug, Default)]
pub(crate) struct AckQueue {
    epoch: u64,
    /// Sequence number of `slots[0]`.
    base: u64,
    slots: VecDeque<Slot>,
}

/// What `register` decided about an incoming PUBLISH.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// A new message: deliver it and complete the ticket when done.
    New(Ticket),
    /// A DUP re-send of a packet id still waiting for its PUBACK: the same message, already
    /// being processed. [MQTT-4.3.2-2] makes a packet id a new message only after its PUBACK.
    Duplicate,
}

impl AckQueue {
    /// A PUBLISH with `pkid` arrived; it is acknowledged in this order.
    pub(crate) fn register(&mut self, pkid: u16, dup: bool) -> Arrival {
        if dup && self.slots.iter().any(|s| s.pkid == pkid) {
            return Arrival::Duplicate;
        }
        let seq = self.base + self.slots.len() as u64;
        self.slots.push_back(Slot { pkid, done: false });
        Arrival::New(Ticket {
            epoch: self.epoch,
            seq,
        })
    }

    /// Marks `ticket` done and returns the packet ids that may be acknowledged now, in order.
    /// Stale or repeated tickets change nothing.
    pub(crate) fn complete(&mut self, ticket: Ticket, ready: &mut impl FnMut(u16)) {
        if ticket.epoch != self.epoch || ticket.seq < self.base {
            return;
        }
        let Ok(index) = usize::try_from(ticket.seq - self.base) else {
            return;
        };
        match self.slots.get_mut(index) {
            Some(slot) => slot.done = true,
            None => return,
        }
        while let Some(slot) = self.slots.front() {
            if !slot.done {
                break;
            }
            ready(slot.pkid);
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// A new connection generation: every slot of the old one is forgotten.
    pub(crate) fn reset(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.base = 0;
        self.slots.clear();
    }

    /// Messages waiting for their acknowledgement (this connection).
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Completes `ticket` and queues the PUBACKs it releases, in order, while `queue` is locked
/// (so that concurrent completions cannot reorder them on their way to rumqttc).
pub(crate) fn complete_and_send(queue: &mut AckQueue, mqtt: &AsyncClient, ticket: Ticket) {
    queue.complete(ticket, &mut |pkid| send_puback(mqtt, pkid));
}

/// Registers a PUBLISH that needs no processing before its acknowledgement (twin responses,
/// method calls, desired patches): it is done at once, and acknowledged once the earlier
/// ones are. Returns false for a DUP re-send of a packet id still pending.
pub(crate) fn register_done(
    queue: &mut AckQueue,
    mqtt: &AsyncClient,
    pkid: u16,
    dup: bool,
) -> bool {
    match queue.register(pkid, dup) {
        Arrival::New(ticket) => {
            complete_and_send(queue, mqtt, ticket);
            true
        }
        Arrival::Duplicate => false,
    }
}

fn send_puback(mqtt: &AsyncClient, pkid: u16) {
    let mut publish = Publish::new("", QoS::AtLeastOnce, Vec::new());
    publish.pkid = pkid;
    if let Err(e) = mqtt.try_ack(&publish) {
        // The request queue has room for every acknowledgement (mqtt_options); if it is
        // gone the client is closing, and the hub delivers the message again.
        tracing::warn!(pkid, "PUBACK not queued: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(a: Arrival) -> Ticket {
        match a {
            Arrival::New(t) => t,
            Arrival::Duplicate => panic!("unexpected duplicate"),
        }
    }

    fn complete(q: &mut AckQueue, t: Ticket) -> Vec<u16> {
        let mut out = Vec::new();
        q.complete(t, &mut |p| out.push(p));
        out
    }

    #[test]
    fn acknowledgements_leave_in_arrival_order() {
        let mut q = AckQueue::default();
        let a = ticket(q.register(7, false));
        let b = ticket(q.register(3, false));
        let c = ticket(q.register(9, false));
        assert_eq!(
            complete(&mut q, c),
            Vec::<u16>::new(),
            "c waits for a and b"
        );
        assert_eq!(complete(&mut q, b), Vec::<u16>::new(), "b waits for a");
        assert_eq!(complete(&mut q, a), vec![7, 3, 9]);
        assert_eq!(q.len(), 0);
        assert_eq!(
            complete(&mut q, a),
            Vec::<u16>::new(),
            "completing twice is harmless"
        );
    }

    #[test]
    fn stale_tickets_are_ignored_after_a_reconnect() {
        let mut q = AckQueue::default();
        let old = ticket(q.register(1, false));
        q.reset(1);
        let new = ticket(q.register(1, false));
        assert_eq!(complete(&mut q, old), Vec::<u16>::new());
        assert_eq!(complete(&mut q, new), vec![1]);
    }

    #[test]
    fn a_dup_of_a_pending_packet_id_is_the_same_message() {
        let mut q = AckQueue::default();
        let a = ticket(q.register(4, false));
        assert_eq!(q.register(4, true), Arrival::Duplicate);
        assert_eq!(complete(&mut q, a), vec![4]);
        // Acknowledged: the same id is a new message now, DUP or not.
        assert!(matches!(q.register(4, true), Arrival::New(_)));
    }
}
