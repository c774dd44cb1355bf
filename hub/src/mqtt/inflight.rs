//! Packet ids of QoS 1 publishes the hub sent to one client and has not seen a PUBACK for,
//! in the order they were sent, so a PUBACK can be checked against the oldest one (MQTT
//! 3.1.1 §4.6: a client acknowledges in the order the PUBLISHes arrived).

use std::collections::{HashMap, VecDeque};

/// What an outstanding packet id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflightEntry {
    /// A stored input message: (endpoint index, store sequence number).
    Delivery {
        /// Index into the module's endpoints.
        endpoint: usize,
        /// Store sequence number.
        seq: i64,
    },
    /// Anything else (twin response, method request, user-topic message): nothing to do on
    /// PUBACK.
    Other,
}

/// How a PUBACK relates to the outstanding publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMatch {
    /// It acknowledges the oldest outstanding publish.
    InOrder(InflightEntry),
    /// It acknowledges an outstanding publish while an older one (`expected`) is still
    /// unacknowledged.
    OutOfOrder {
        /// What the PUBACK is for.
        entry: InflightEntry,
        /// The packet id of the oldest outstanding publish.
        expected: u16,
    },
    /// No publish with that packet id is outstanding.
    Unknown,
}

/// Outstanding packet ids of one connection.
#[derive(Debug, Default)]
pub struct Inflight {
    /// Packet id → (entry, send serial).
    map: HashMap<u16, (InflightEntry, u64)>,
    /// (packet id, send serial) in send order; entries removed out of order stay here until
    /// they reach the front (the serial tells a reused packet id apart).
    order: VecDeque<(u16, u64)>,
    next: u16,
    serial: u64,
    deliveries: usize,
}

impl Inflight {
    /// Allocates a free packet id for `entry`; `None` when all 65535 are taken.
    pub fn allocate(&mut self, entry: InflightEntry) -> Option<u16> {
        if self.map.len() >= usize::from(u16::MAX) {
            return None;
        }
        loop {
            self.next = self.next.wrapping_add(1);
            if self.next != 0 && !self.map.contains_key(&self.next) {
                break;
            }
        }
        self.insert(self.next, entry);
        Some(self.next)
    }

    /// Takes exactly `pkid` for `entry` (a redelivery keeps its packet id); false when that
    /// id is in use or zero.
    pub fn allocate_exact(&mut self, pkid: u16, entry: InflightEntry) -> bool {
        if pkid == 0 || self.map.contains_key(&pkid) {
            return false;
        }
        self.insert(pkid, entry);
        true
    }

    fn insert(&mut self, pkid: u16, entry: InflightEntry) {
        self.serial += 1;
        self.map.insert(pkid, (entry, self.serial));
        self.order.push_back((pkid, self.serial));
        if matches!(entry, InflightEntry::Delivery { .. }) {
            self.deliveries += 1;
        }
        // A client that never acknowledges one publish must not make the order queue grow
        // with every later one.
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(id, serial)| map.get(id).is_some_and(|(_, s)| s == serial));
        }
    }

    /// The packet id of the oldest outstanding publish.
    pub fn oldest(&mut self) -> Option<u16> {
        while let Some(&(id, serial)) = self.order.front() {
            if self.map.get(&id).is_some_and(|(_, s)| *s == serial) {
                return Some(id);
            }
            self.order.pop_front();
        }
        None
    }

    /// Classifies a PUBACK without releasing anything.
    pub fn match_ack(&mut self, pkid: u16) -> AckMatch {
        let Some(&(entry, _)) = self.map.get(&pkid) else {
            return AckMatch::Unknown;
        };
        match self.oldest() {
            Some(expected) if expected != pkid => AckMatch::OutOfOrder { entry, expected },
            _ => AckMatch::InOrder(entry),
        }
    }

    /// Releases a packet id; `None` for ids not outstanding.
    pub fn complete(&mut self, pkid: u16) -> Option<InflightEntry> {
        let (entry, _) = self.map.remove(&pkid)?;
        if matches!(entry, InflightEntry::Delivery { .. }) {
            self.deliveries -= 1;
        }
        if self.order.front().is_some_and(|(id, _)| *id == pkid) {
            self.order.pop_front();
        }
        Some(entry)
    }

    /// Number of outstanding input-message deliveries.
    pub fn deliveries(&self) -> usize {
        self.deliveries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: InflightEntry = InflightEntry::Delivery {
        endpoint: 0,
        seq: 3,
    };

    #[test]
    fn ids_are_unique_non_zero_and_released() {
        let mut f = Inflight::default();
        let a = f.allocate(InflightEntry::Other).unwrap();
        let b = f.allocate(D).unwrap();
        assert_ne!(a, b);
        assert!(a != 0 && b != 0);
        assert_eq!(f.deliveries(), 1);
        assert_eq!(f.complete(b), Some(D));
        assert_eq!(f.complete(b), None);
        assert_eq!(f.deliveries(), 0);
        for _ in 0..70_000 {
            let id = f.allocate(InflightEntry::Other).unwrap();
            f.complete(id);
        }
        assert_eq!(f.complete(a), Some(InflightEntry::Other));
        assert!(f.order.len() <= 64, "order queue compacted");
    }

    #[test]
    fn acks_are_checked_against_the_oldest_outstanding_publish() {
        let mut f = Inflight::default();
        let a = f.allocate(InflightEntry::Other).unwrap();
        let b = f.allocate(D).unwrap();
        assert_eq!(
            f.match_ack(b),
            AckMatch::OutOfOrder {
                entry: D,
                expected: a
            }
        );
        assert_eq!(f.match_ack(999), AckMatch::Unknown);
        assert_eq!(f.match_ack(a), AckMatch::InOrder(InflightEntry::Other));
        f.complete(a);
        assert_eq!(f.match_ack(b), AckMatch::InOrder(D));
        // Removed out of order: the next one becomes the oldest once the gap is passed.
        let c = f.allocate(InflightEntry::Other).unwrap();
        f.complete(b);
        assert_eq!(f.oldest(), Some(c));
    }

    #[test]
    fn an_exact_id_is_taken_only_when_free() {
        let mut f = Inflight::default();
        assert!(f.allocate_exact(7, D));
        assert!(!f.allocate_exact(7, InflightEntry::Other));
        assert!(!f.allocate_exact(0, InflightEntry::Other));
        assert_eq!(f.oldest(), Some(7));
        assert_eq!(f.deliveries(), 1);
    }
}
