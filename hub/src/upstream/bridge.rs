//! The `$upstream` bridge of `mqttBroker.bridges` over the child's connection to its parent
//! (one connection for forwarded telemetry and bridged topics, as the hub's device).
//!
//! - `out` (and `both`) rules: every user-topic publish a local client makes, once this hub's
//!   policy allowed it, is matched against the rules; a match is published to the parent on
//!   the mapped topic (`outPrefix` + topic without `inPrefix`), where the parent's policy
//!   decides for this hub's device identity.
//! - `in` (and `both`) rules: the bridge subscribes to `inPrefix + topic` on the parent
//!   (the parent's policy decides) and publishes what arrives to local subscribers on the
//!   mapped topic. Those local publishes do not pass the `out` rules again, and the parent
//!   does not echo this hub's own publishes back, so a `both` rule makes no loop.
//!
//! Delivery is at most once across a restart of this hub (the 1.2 bridge keeps its queue in
//! memory too); while the parent is away, up to [`QUEUE`] outgoing messages wait, later ones
//! are dropped and counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use edgemodule::{DeviceClient, HandlerError, Qos, UserMessage};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::manifest::BridgeRule;
use crate::mqtt::Broker;

/// Outgoing bridged messages that may wait for the parent.
pub const QUEUE: usize = 10_000;

/// Counters of the bridge (cumulative since the hub started).
#[derive(Debug, Default)]
pub struct BridgeStats {
    /// Messages published to the parent.
    pub sent_up: AtomicU64,
    /// Messages from the parent published locally.
    pub received_down: AtomicU64,
    /// Outgoing messages dropped (queue full, or the parent refused them).
    pub dropped: AtomicU64,
}

/// The running bridge.
pub struct Bridge {
    tasks: Vec<JoinHandle<()>>,
    stats: Arc<BridgeStats>,
}

impl Bridge {
    /// Starts the bridge: installs the `out` tap on `broker` and subscribes the `in` rules on
    /// the parent (retrying until the parent accepts the subscription).
    pub fn start(client: DeviceClient, rules: Vec<BridgeRule>, broker: &Broker) -> Bridge {
        let stats = Arc::new(BridgeStats::default());
        let mut tasks = Vec::new();
        let out_rules: Vec<BridgeRule> = rules.iter().filter(|r| r.is_out()).cloned().collect();
        if !out_rules.is_empty() {
            let (tx, rx) = mpsc::channel::<(String, Bytes, Qos)>(QUEUE);
            let tap_stats = stats.clone();
            broker.set_user_tap(Arc::new(move |topic: &str, payload: &Bytes, qos| {
                for rule in &out_rules {
                    let Some(mapped) = rule.map(topic) else {
                        continue;
                    };
                    let qos = match qos {
                        rumqttc::QoS::AtMostOnce => Qos::AtMostOnce,
                        _ => Qos::AtLeastOnce,
                    };
                    if tx.try_send((mapped, payload.clone(), qos)).is_err() {
                        tap_stats.dropped.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            topic,
                            "bridge queue to the parent is full; message dropped"
                        );
                    }
                    // The first matching rule carries it (as the 1.2 bridge's forwards do).
                    break;
                }
            }));
            tasks.push(tokio::spawn(send_up(client.clone(), rx, stats.clone())));
        }
        for rule in rules.into_iter().filter(BridgeRule::is_in) {
            tasks.push(tokio::spawn(subscribe_down(
                client.clone(),
                rule,
                broker.clone(),
                stats.clone(),
            )));
        }
        Bridge { tasks, stats }
    }

    /// The bridge's counters.
    pub fn stats(&self) -> Arc<BridgeStats> {
        self.stats.clone()
    }

    /// Stops the bridge (queued outgoing messages are dropped).
    pub async fn stop(self) {
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Publishes queued messages to the parent, in order; a failed publish is retried until
/// the parent takes it, unless it refused it (then it is dropped and counted).
async fn send_up(
    client: DeviceClient,
    mut rx: mpsc::Receiver<(String, Bytes, Qos)>,
    stats: Arc<BridgeStats>,
) {
    while let Some((topic, payload, qos)) = rx.recv().await {
        let mut delay = Duration::from_millis(200);
        loop {
            match client.publish(&topic, payload.clone(), qos).await {
                Ok(()) => {
                    stats.sent_up.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(e) if e.kind() == edgemodule::ErrorKind::Closed => return,
                Err(e) if e.is_transient() => {
                    tracing::warn!(%topic, error = %e, "bridging to the parent failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
                Err(e) => {
                    stats.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%topic, error = %e, "the parent did not take a bridged message; dropped");
                    break;
                }
            }
        }
    }
}

/// Subscribes `rule` on the parent and publishes what arrives locally.
async fn subscribe_down(
    client: DeviceClient,
    rule: BridgeRule,
    broker: Broker,
    stats: Arc<BridgeStats>,
) {
    let filter = rule.source_filter();
    let rule = Arc::new(rule);
    let mut delay = Duration::from_millis(200);
    loop {
        let (rule, broker, stats) = (rule.clone(), broker.clone(), stats.clone());
        let handler = move |m: UserMessage| {
            let (rule, broker, stats) = (rule.clone(), broker.clone(), stats.clone());
            async move {
                if let Some(local) = rule.map(&m.topic) {
                    broker
                        .publish_user(&local, m.payload, rumqttc::QoS::AtLeastOnce)
                        .await;
                    stats.received_down.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<(), HandlerError>(())
            }
        };
        match client.subscribe_with_handler(&filter, handler).await {
            Ok(subscription) => {
                tracing::info!(%filter, "bridge subscribed on the parent");
                // Held until the bridge stops (dropping it unsubscribes); the client
                // re-subscribes after every reconnect.
                let _held = subscription;
                std::future::pending::<()>().await;
            }
            Err(e) if e.kind() == edgemodule::ErrorKind::Closed => return,
            Err(e) => {
                tracing::warn!(%filter, error = %e, "bridge subscription on the parent failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
