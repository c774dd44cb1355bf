//! The registry of connected clients: one live connection per client id, takeover of an
//! older connection with the same id, and the per-connection state other tasks may read
//! (subscriptions, token expiry) or act on (outbound queue, close).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use rumqttc::QoS;
use tokio::sync::{watch, Notify};

use super::access::SubscriptionKind;
pub use super::outbound::{outbound_channel, OutboundSender};

/// A message to publish to a connected client from outside its connection task.
#[derive(Debug)]
pub struct Outbound {
    /// Topic name.
    pub topic: String,
    /// Payload.
    pub payload: Bytes,
    /// QoS 0 or 1.
    pub qos: QoS,
}

/// One active subscription of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The topic filter as the client sent it.
    pub filter: String,
    /// Granted QoS (0 or 1).
    pub qos: QoS,
    /// What the filter is for.
    pub kind: SubscriptionKind,
}

/// The shared view of one connected client.
pub struct SessionHandle {
    /// Unique per connection (a reconnect with the same client id gets a new one).
    pub conn_id: u64,
    /// `{d}/{m}`.
    pub client_id: String,
    /// Queue into the connection task (bounded in messages and bytes).
    pub outbound: OutboundSender,
    /// Current subscriptions.
    pub subscriptions: RwLock<Vec<Subscription>>,
    /// SAS token expiry (Unix seconds), for periodic re-authentication.
    pub token_expiry: AtomicU64,
    close: Notify,
    close_reason: Mutex<Option<String>>,
    closing: AtomicBool,
    finished: watch::Sender<bool>,
}

impl SessionHandle {
    /// A handle for a new connection; `outbound` is the sending side of its queue.
    pub fn new(
        conn_id: u64,
        client_id: String,
        outbound: OutboundSender,
        token_expiry: u64,
    ) -> SessionHandle {
        SessionHandle {
            conn_id,
            client_id,
            outbound,
            subscriptions: RwLock::new(Vec::new()),
            token_expiry: AtomicU64::new(token_expiry),
            close: Notify::new(),
            close_reason: Mutex::new(None),
            closing: AtomicBool::new(false),
            finished: watch::Sender::new(false),
        }
    }

    /// Asks the connection task to close (the first reason given wins).
    pub fn request_close(&self, reason: &str) {
        if let Ok(mut r) = self.close_reason.lock() {
            if r.is_none() {
                *r = Some(reason.to_string());
            }
        }
        self.closing.store(true, Ordering::Relaxed);
        self.close.notify_one();
    }

    /// True once the connection was asked to close (nothing new should be queued for it).
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Resolves once `request_close` was called; returns the reason.
    pub async fn close_requested(&self) -> String {
        self.close.notified().await;
        self.close_reason
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .unwrap_or_else(|| "closed".to_string())
    }

    /// Marks the connection task as finished (its session state is saved).
    pub fn mark_finished(&self) {
        self.finished.send_replace(true);
    }

    /// Waits until the connection task has finished.
    pub async fn wait_finished(&self) {
        let mut rx = self.finished.subscribe();
        let _ = rx.wait_for(|done| *done).await;
    }

    /// True if some subscription's filter matches `topic`; returns its granted QoS.
    pub fn matching_qos(&self, topic: &str) -> Option<QoS> {
        let subs = self.subscriptions.read().ok()?;
        subs.iter()
            .filter(|s| crate::authz::topic_matches(&s.filter, topic))
            .map(|s| s.qos)
            .max_by_key(|q| *q as u8)
    }
}

/// Client id → the live connection.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<SessionHandle>>>,
    next_conn_id: AtomicU64,
    /// Bumped on every connect, disconnect and subscription change (for `wait_subscribed`).
    changes: watch::Sender<u64>,
    /// User-topic messages dropped (see `count_user_drop`).
    user_drops: AtomicU64,
}

impl Sessions {
    /// A fresh connection id.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a connection; returns the connection it replaces, if any.
    pub fn insert(&self, handle: Arc<SessionHandle>) -> Option<Arc<SessionHandle>> {
        let previous = self
            .map
            .lock()
            .ok()
            .and_then(|mut m| m.insert(handle.client_id.clone(), handle));
        self.changed();
        previous
    }

    /// Removes the entry for `client_id` if it still belongs to connection `conn_id`.
    pub fn remove(&self, client_id: &str, conn_id: u64) {
        if let Ok(mut m) = self.map.lock() {
            if m.get(client_id).is_some_and(|h| h.conn_id == conn_id) {
                m.remove(client_id);
            }
        }
        self.changed();
    }

    /// The live connection for `client_id`.
    pub fn get(&self, client_id: &str) -> Option<Arc<SessionHandle>> {
        self.map.lock().ok()?.get(client_id).cloned()
    }

    /// Every live connection.
    pub fn all(&self) -> Vec<Arc<SessionHandle>> {
        self.map
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Signals that connections or subscriptions changed.
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that wakes on every change.
    pub fn watch_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Counts a user-topic message that did not reach a subscriber: a QoS 0 copy that found
    /// the queue full, or a copy for a subscriber closed for not reading.
    pub fn count_user_drop(&self) {
        self.user_drops.fetch_add(1, Ordering::Relaxed);
    }

    /// User-topic messages dropped since the broker started.
    pub fn user_drops(&self) -> u64 {
        self.user_drops.load(Ordering::Relaxed)
    }
}
