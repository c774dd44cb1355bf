//! Delivery inspection (contract 5 of the helpers' rules): per-module counters taken where
//! the packets are handled, and the snapshot `edgemodule-hub inspect MODULE` prints.
//!
//! Counters are cumulative since the hub started and survive the module's reconnects; they
//! are relaxed atomics bumped on the connection task (one add per packet).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::policy::DeliveryPolicy;

/// What the hub observed about one module's traffic, as `inspect` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInspection {
    /// Module id.
    pub module: String,
    /// True while a connection of the module is open.
    pub connected: bool,
    /// CONNECTs accepted (CONNACK 0) since the hub started.
    pub connections: u64,
    /// Topic filters the current connection is subscribed to (empty when disconnected).
    pub subscriptions: Vec<String>,
    /// Input-message PUBLISHes sent to the module, first attempts.
    pub delivered: u64,
    /// Input-message PUBLISHes sent again with DUP=1 (ack timeout, or after a reconnect).
    pub redelivered: u64,
    /// PUBACKs for the oldest outstanding QoS 1 PUBLISH of the connection.
    pub acks_in_order: u64,
    /// PUBACKs for an outstanding PUBLISH that was not the oldest one.
    pub acks_out_of_order: u64,
    /// PUBACKs for no outstanding PUBLISH (e.g. a second PUBACK for a redelivered message).
    pub acks_unexpected: u64,
    /// PUBLISHes received from the module (any topic, any QoS).
    pub publishes_received: u64,
    /// Of those, PUBLISHes with DUP=1.
    pub dup_publishes_received: u64,
    /// Input messages sent to the current connection and not acknowledged yet.
    pub in_flight: u64,
    /// The hub's delivery mode: `strict` (edgeHub's) or `permissive`.
    pub delivery: String,
    /// Seconds the hub waits for a PUBACK before sending an input message again (strict mode).
    pub ack_timeout_secs: u64,
}

/// The counters of one module.
#[derive(Debug, Default)]
pub struct ModuleCounters {
    pub(crate) connections: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) redelivered: AtomicU64,
    pub(crate) acks_in_order: AtomicU64,
    pub(crate) acks_out_of_order: AtomicU64,
    pub(crate) acks_unexpected: AtomicU64,
    pub(crate) publishes_received: AtomicU64,
    pub(crate) dup_publishes_received: AtomicU64,
    pub(crate) in_flight: AtomicU64,
}

impl ModuleCounters {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Module id → counters, fixed at start-up (the manifest's modules).
pub struct Inspector {
    modules: HashMap<String, Arc<ModuleCounters>>,
    policy: DeliveryPolicy,
}

impl Inspector {
    /// Counters for every module in `modules`.
    pub fn new(modules: &[String], policy: DeliveryPolicy) -> Inspector {
        Inspector {
            modules: modules
                .iter()
                .map(|m| (m.clone(), Arc::new(ModuleCounters::default())))
                .collect(),
            policy,
        }
    }

    /// The counters of `module` (a throw-away set for a module the hub does not know, so
    /// callers need no special case).
    pub fn counters(&self, module: &str) -> Arc<ModuleCounters> {
        self.modules.get(module).cloned().unwrap_or_default()
    }

    /// A snapshot for `module`; `None` for a module the hub does not know.
    pub fn snapshot(
        &self,
        module: &str,
        connected: bool,
        subscriptions: Vec<String>,
    ) -> Option<ModuleInspection> {
        let c = self.modules.get(module)?;
        let get = ModuleCounters::get;
        Some(ModuleInspection {
            module: module.to_string(),
            connected,
            connections: get(&c.connections),
            subscriptions,
            delivered: get(&c.delivered),
            redelivered: get(&c.redelivered),
            acks_in_order: get(&c.acks_in_order),
            acks_out_of_order: get(&c.acks_out_of_order),
            acks_unexpected: get(&c.acks_unexpected),
            publishes_received: get(&c.publishes_received),
            dup_publishes_received: get(&c.dup_publishes_received),
            in_flight: if connected { get(&c.in_flight) } else { 0 },
            delivery: self.policy.mode.as_str().to_string(),
            ack_timeout_secs: self.policy.ack_timeout.as_secs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reports_counters_and_unknown_modules_are_none() {
        let inspector = Inspector::new(&["a".to_string()], DeliveryPolicy::default());
        let c = inspector.counters("a");
        ModuleCounters::bump(&c.delivered);
        ModuleCounters::bump(&c.acks_out_of_order);
        let s = inspector
            .snapshot("a", true, vec!["$iothub/methods/POST/#".into()])
            .unwrap();
        assert_eq!((s.delivered, s.acks_out_of_order, s.redelivered), (1, 1, 0));
        assert_eq!(s.delivery, "strict");
        assert_eq!(s.ack_timeout_secs, 30);
        assert!(inspector.snapshot("b", false, Vec::new()).is_none());
        // Unknown modules get counters that are never reported.
        ModuleCounters::bump(&inspector.counters("b").delivered);
        let json = serde_json::to_value(&s).unwrap();
        for key in [
            "module",
            "connected",
            "connections",
            "subscriptions",
            "delivered",
            "redelivered",
            "acks_in_order",
            "acks_out_of_order",
            "publishes_received",
            "dup_publishes_received",
        ] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
    }
}
