//! Per-module live hand-off of freshly stored input messages to the module's connection,
//! so the steady state needs no store reads. The store stays the source of truth: whenever
//! the mailbox cannot keep up (no consumer, overflow) the consumer re-reads the store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::message::HubMessage;

/// Live items kept before the mailbox gives up and tells the consumer to re-read the store.
pub const LIVE_CAPACITY: usize = 10_000;

/// One stored message for one of the module's input endpoints.
#[derive(Debug, Clone)]
pub struct LiveItem {
    /// Index into `Mailbox::inputs`.
    pub endpoint: usize,
    /// Store sequence number.
    pub seq: i64,
    /// Route priority it was stored with (a label of the metrics).
    pub priority: u32,
    /// The message.
    pub message: Arc<HubMessage>,
}

#[derive(Default)]
struct State {
    /// Connection currently consuming (None: items are not kept).
    owner: Option<u64>,
    live: VecDeque<LiveItem>,
    /// Items were dropped since the consumer last re-read the store.
    overflow: bool,
    /// (endpoint, seq) sent on an earlier connection and not acknowledged, with the packet
    /// id it was sent with: redelivered with DUP set (and that id when it is free).
    sent_unacked: HashMap<(usize, i64), u16>,
}

/// The module's input endpoints and its live queue.
pub struct Mailbox {
    /// Module id.
    pub module_id: String,
    /// Input names; index = endpoint index.
    pub inputs: Vec<String>,
    /// Store endpoint ids (`module:{m}/{input}`), same indexes as `inputs`.
    pub endpoints: Vec<String>,
    state: Mutex<State>,
    /// Woken when items arrive or the consumer must re-read the store.
    pub notify: Notify,
}

/// What the consumer gets from `take`.
pub enum Take {
    /// Live items in store commit order.
    Items(Vec<LiveItem>),
    /// Items were lost to overflow: re-read the store.
    Overflowed,
}

impl Mailbox {
    /// A mailbox for `module_id` with the given input names.
    pub fn new(module_id: &str, inputs: Vec<String>) -> Mailbox {
        let endpoints = inputs.iter().map(|i| endpoint_id(module_id, i)).collect();
        Mailbox {
            module_id: module_id.to_string(),
            inputs,
            endpoints,
            state: Mutex::new(State::default()),
            notify: Notify::new(),
        }
    }

    /// Index of an input name.
    pub fn input_index(&self, input: &str) -> Option<usize> {
        self.inputs.iter().position(|i| i == input)
    }

    /// Makes connection `conn_id` the consumer; clears live items (the consumer reads the
    /// store first). Returns the (endpoint, seq) pairs an earlier connection sent without an
    /// acknowledgement, with their packet ids.
    pub fn attach(&self, conn_id: u64) -> HashMap<(usize, i64), u16> {
        let Ok(mut s) = self.state.lock() else {
            return HashMap::new();
        };
        s.owner = Some(conn_id);
        s.live.clear();
        s.overflow = false;
        s.sent_unacked.clone()
    }

    /// Stops consumption by `conn_id` (if it is still the consumer), remembering what it
    /// had sent without acknowledgement.
    pub fn detach(&self, conn_id: u64, unacked: impl IntoIterator<Item = ((usize, i64), u16)>) {
        let Ok(mut s) = self.state.lock() else { return };
        if s.owner == Some(conn_id) {
            s.owner = None;
            s.live.clear();
            s.overflow = false;
        }
        s.sent_unacked.extend(unacked);
    }

    /// Forgets DUP bookkeeping for acknowledged or dropped messages.
    pub fn forget_sent(&self, items: impl IntoIterator<Item = (usize, i64)>) {
        let Ok(mut s) = self.state.lock() else { return };
        if s.sent_unacked.is_empty() {
            return;
        }
        for item in items {
            s.sent_unacked.remove(&item);
        }
    }

    /// Clears all state (clean session), unless a connection is consuming.
    pub fn reset(&self) {
        if let Ok(mut s) = self.state.lock() {
            if s.owner.is_none() {
                s.sent_unacked.clear();
                s.live.clear();
            }
        }
    }

    /// Called after a message for this module was stored durably.
    pub fn push(&self, item: LiveItem) {
        let Ok(mut s) = self.state.lock() else { return };
        if s.owner.is_none() || s.overflow {
            return;
        }
        if s.live.len() >= LIVE_CAPACITY {
            s.overflow = true;
            s.live.clear();
        } else {
            s.live.push_back(item);
        }
        drop(s);
        self.notify.notify_one();
    }

    /// Takes up to `max` live items for consumer `conn_id`.
    pub fn take(&self, conn_id: u64, max: usize) -> Take {
        let Ok(mut s) = self.state.lock() else {
            return Take::Overflowed;
        };
        if s.owner != Some(conn_id) {
            return Take::Items(Vec::new());
        }
        if s.overflow {
            s.overflow = false;
            return Take::Overflowed;
        }
        let n = max.min(s.live.len());
        Take::Items(s.live.drain(..n).collect())
    }
}

/// Store endpoint id of a module input.
pub fn endpoint_id(module_id: &str, input: &str) -> String {
    format!("module:{module_id}/{input}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(seq: i64) -> LiveItem {
        LiveItem {
            endpoint: 0,
            seq,
            priority: 0,
            message: Arc::new(HubMessage {
                body: vec![],
                properties: Default::default(),
                system_properties: Default::default(),
                source: String::new(),
            }),
        }
    }

    #[test]
    fn items_kept_only_while_attached_and_overflow_reported() {
        let mb = Mailbox::new("m", vec!["in".into()]);
        mb.push(item(1));
        mb.attach(7);
        assert!(matches!(mb.take(7, 10), Take::Items(v) if v.is_empty()));
        mb.push(item(2));
        assert!(matches!(mb.take(8, 10), Take::Items(v) if v.is_empty()));
        assert!(matches!(mb.take(7, 10), Take::Items(v) if v.len() == 1 && v[0].seq == 2));
        for i in 0..=LIVE_CAPACITY as i64 {
            mb.push(item(i));
        }
        assert!(matches!(mb.take(7, 10), Take::Overflowed));
        mb.detach(7, [((0, 5), 3)]);
        assert_eq!(mb.attach(9).get(&(0, 5)), Some(&3));
        assert_eq!(mb.endpoints[0], "module:m/in");
    }
}
