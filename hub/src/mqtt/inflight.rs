//! Packet ids of QoS 1 publishes the hub sent to one client and has not seen a PUBACK for.

use std::collections::HashMap;

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

/// Outstanding packet ids of one connection.
#[derive(Debug, Default)]
pub struct Inflight {
    map: HashMap<u16, InflightEntry>,
    next: u16,
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
        self.map.insert(self.next, entry);
        if matches!(entry, InflightEntry::Delivery { .. }) {
            self.deliveries += 1;
        }
        Some(self.next)
    }

    /// Releases a packet id on PUBACK; `None` for ids not outstanding.
    pub fn complete(&mut self, pkid: u16) -> Option<InflightEntry> {
        let entry = self.map.remove(&pkid)?;
        if matches!(entry, InflightEntry::Delivery { .. }) {
            self.deliveries -= 1;
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

    #[test]
    fn ids_are_unique_non_zero_and_released() {
        let mut f = Inflight::default();
        let a = f.allocate(InflightEntry::Other).unwrap();
        let b = f
            .allocate(InflightEntry::Delivery {
                endpoint: 0,
                seq: 3,
            })
            .unwrap();
        assert_ne!(a, b);
        assert!(a != 0 && b != 0);
        assert_eq!(f.deliveries(), 1);
        assert_eq!(
            f.complete(b),
            Some(InflightEntry::Delivery {
                endpoint: 0,
                seq: 3
            })
        );
        assert_eq!(f.complete(b), None);
        assert_eq!(f.deliveries(), 0);
        for _ in 0..70_000 {
            let id = f.allocate(InflightEntry::Other).unwrap();
            f.complete(id);
        }
        assert_eq!(f.complete(a), Some(InflightEntry::Other));
    }
}
