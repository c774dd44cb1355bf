//! The broker handle: start/stop, the state every connection shares, and the operations
//! other hub services use (publish into a client's session, subscription queries, routing
//! a hub-generated message).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use rumqttc::QoS;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::inspect::{Inspector, ModuleInspection};
use super::policy::DeliveryPolicy;
use super::routing::{fan_out, Router, UpstreamHook};
use super::sessions::{Outbound, Sessions};
use super::shared::{IotHubHandler, Shared};
use crate::authz::Policy;
use crate::error::HubError;
use crate::identity::Identities;
use crate::message::HubMessage;
use crate::metrics::{HubMetrics, HubSnapshot, QueueLength};
use crate::routes::Route;
use crate::store::Store;

/// Everything the broker needs to start.
pub struct BrokerSettings {
    /// Listen address (port 0 = ephemeral).
    pub bind: SocketAddr,
    /// TLS server configuration.
    pub tls: Arc<rustls::ServerConfig>,
    /// Module identities (authentication).
    pub identities: Arc<Identities>,
    /// The hub database.
    pub store: Store,
    /// Parsed routes.
    pub routes: Vec<Route>,
    /// IoT Edge 1.2 broker authorization policy for user topics.
    pub policy: Policy,
    /// `storeAndForwardConfiguration.timeToLiveSecs` (negative = forever).
    pub store_ttl_secs: i64,
    /// How often connected clients are re-authenticated.
    pub reauth_interval: Duration,
    /// Called for every message stored for `$upstream`.
    pub upstream: UpstreamHook,
    /// How input messages are delivered to modules (strict = edgeHub's way).
    pub delivery: DeliveryPolicy,
    /// Prometheus metrics (`HubMetrics::disabled` to record nothing).
    pub metrics: Arc<HubMetrics>,
}

/// A cheap-to-clone handle to the running broker.
#[derive(Clone)]
pub struct Broker {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Broker {
    /// Binds the listener and starts accepting connections.
    pub async fn start(settings: BrokerSettings) -> std::io::Result<Broker> {
        let listener = super::listener::bind(settings.bind)?;
        let local_addr = listener.local_addr()?;
        let modules = settings.identities.modules();
        let shared = Arc::new(Shared {
            hub_name: settings.identities.iothub_host_name().to_string(),
            identities: settings.identities,
            store: settings.store,
            router: Router::new(settings.routes, &modules, settings.store_ttl_secs),
            policy: settings.policy,
            sessions: Sessions::default(),
            handler: RwLock::new(None),
            upstream: settings.upstream,
            shutdown: watch::Sender::new(false),
            delivery: settings.delivery,
            inspector: Inspector::new(&modules, settings.delivery),
            metrics: settings.metrics,
        });
        let acceptor = tokio_rustls::TlsAcceptor::from(settings.tls);
        let tasks = vec![
            tokio::spawn(super::listener::accept_loop(
                shared.clone(),
                listener,
                acceptor,
            )),
            tokio::spawn(super::maintenance::run(
                shared.clone(),
                settings.reauth_interval,
            )),
        ];
        tracing::info!(%local_addr, delivery = settings.delivery.mode.as_str(), ack_timeout_secs = settings.delivery.ack_timeout.as_secs_f64(), "MQTT broker listening");
        Ok(Broker {
            shared,
            local_addr,
            tasks: Arc::new(Mutex::new(tasks)),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Installs the twin/method handler (done once the services exist).
    pub fn set_handler(&self, handler: Arc<dyn IotHubHandler>) {
        if let Ok(mut h) = self.shared.handler.write() {
            *h = Some(handler);
        }
    }

    /// Publishes to a connected client's session (QoS 0 or 1, capped at the granted QoS).
    /// Returns false if the client is not connected, has no subscription matching `topic`,
    /// or its outbound queue is full.
    pub fn publish_to(&self, client_id: &str, topic: &str, payload: Bytes, qos: u8) -> bool {
        let Some(session) = self.shared.sessions.get(client_id) else {
            return false;
        };
        let Some(granted) = session.matching_qos(topic) else {
            return false;
        };
        let qos = if qos >= 1 && granted == QoS::AtLeastOnce {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        };
        session
            .outbound
            .try_send(Outbound {
                topic: topic.to_string(),
                payload,
                qos,
            })
            .is_ok()
    }

    /// True when the client is connected and has a subscription whose filter matches `topic`.
    pub fn is_subscribed(&self, client_id: &str, topic: &str) -> bool {
        self.shared
            .sessions
            .get(client_id)
            .is_some_and(|s| s.matching_qos(topic).is_some())
    }

    /// User-topic messages dropped since the broker started (QoS 0 copies that found a
    /// queue full, copies for subscribers disconnected for not reading).
    pub fn user_topic_drops(&self) -> u64 {
        self.shared.sessions.user_drops()
    }

    /// True when the client is connected.
    pub fn is_connected(&self, client_id: &str) -> bool {
        self.shared.sessions.get(client_id).is_some()
    }

    /// What the broker observed about module `module_id` of device `device_id` (contract 5 of
    /// the helpers' rules); `None` for a module the hub does not know.
    pub fn inspect(&self, device_id: &str, module_id: &str) -> Option<ModuleInspection> {
        let session = self
            .shared
            .sessions
            .get(&format!("{device_id}/{module_id}"));
        let subscriptions = session
            .as_ref()
            .and_then(|s| s.subscriptions.read().ok().map(|subs| subs.clone()))
            .map(|subs| subs.into_iter().map(|s| s.filter).collect())
            .unwrap_or_default();
        self.shared
            .inspector
            .snapshot(module_id, session.is_some(), subscriptions)
    }

    /// Client ids of every connected client.
    pub fn connected_clients(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .shared
            .sessions
            .all()
            .iter()
            .map(|s| s.client_id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Resolves to true as soon as the client is connected with a subscription matching
    /// `topic`, or to false after `timeout`.
    pub async fn wait_subscribed(&self, client_id: &str, topic: &str, timeout: Duration) -> bool {
        let mut changes = self.shared.sessions.watch_changes();
        let wait = async {
            loop {
                changes.borrow_and_update();
                if self.is_subscribed(client_id, topic) {
                    return true;
                }
                if changes.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.unwrap_or(false)
    }

    /// Routes and stores a message the hub itself produced (e.g. a twin change
    /// notification). Returns how many endpoints it was stored for.
    pub async fn route_message(&self, message: HubMessage) -> Result<usize, HubError> {
        let Some(routed) = self.shared.router.route(message, super::now_unix()) else {
            return Ok(0);
        };
        let count = routed.targets.len();
        let seqs = self
            .shared
            .store
            .enqueue_many_async(&[(routed.message.as_ref(), routed.targets.as_slice())])
            .await
            .map_err(|e| HubError::Other(format!("storing message: {e}")))?;
        fan_out(
            std::slice::from_ref(&routed),
            &seqs,
            &self.shared.upstream,
            &self.shared.metrics,
        );
        Ok(count)
    }

    /// The broker's metrics registry.
    pub fn metrics(&self) -> &Arc<HubMetrics> {
        &self.shared.metrics
    }

    /// What the metrics read at scrape time: queue lengths (a store read, so call it from a
    /// blocking context), store size, connections and every module's delivery counters.
    pub fn metrics_snapshot(&self, device_id: &str) -> HubSnapshot {
        let mut queue_lengths: Vec<QueueLength> = self
            .shared
            .router
            .queue_endpoints()
            .into_iter()
            .map(|(endpoint, priority)| QueueLength {
                endpoint: queue_label(device_id, &endpoint),
                priority,
                length: 0,
            })
            .collect();
        match self.shared.store.queue_lengths() {
            Ok(stored) => queue_lengths.extend(
                stored
                    .into_iter()
                    // `$upstream` keeps a history for `monitor`, not a backlog: nothing
                    // waits there to be sent.
                    .filter(|(endpoint, _, _)| endpoint != crate::store::UPSTREAM_ENDPOINT)
                    .map(|(endpoint, priority, length)| QueueLength {
                        endpoint: queue_label(device_id, &endpoint),
                        priority,
                        length,
                    }),
            ),
            Err(e) => tracing::warn!(error = %e, "reading queue lengths for the metrics failed"),
        }
        let sessions = self.shared.sessions.all();
        let mut modules: Vec<String> = self.shared.identities.modules();
        modules.sort();
        HubSnapshot {
            queue_lengths,
            store_size_bytes: self.shared.store.size_bytes(),
            user_topic_drops: self.user_topic_drops(),
            connected_clients: sessions.len() as u64,
            modules: modules
                .iter()
                .filter_map(|m| self.inspect(device_id, m))
                .collect(),
        }
    }

    /// Stops accepting, closes every connection (their state is saved), and waits for them.
    pub async fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
        let sessions = self.shared.sessions.all();
        for s in &sessions {
            s.request_close("hub shutting down");
        }
        for s in &sessions {
            let _ = tokio::time::timeout(Duration::from_secs(5), s.wait_finished()).await;
        }
        let tasks: Vec<JoinHandle<()>> = match self.tasks.lock() {
            Ok(mut t) => t.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for t in tasks {
            t.abort();
            let _ = t.await;
        }
    }
}

impl crate::twins::ClientPublisher for Broker {
    fn publish_to(&self, client_id: &str, topic: &str, payload: Bytes, qos: u8) -> bool {
        Broker::publish_to(self, client_id, topic, payload, qos)
    }

    fn is_subscribed(&self, client_id: &str, topic: &str) -> bool {
        Broker::is_subscribed(self, client_id, topic)
    }

    fn is_connected(&self, client_id: &str) -> bool {
        Broker::is_connected(self, client_id)
    }

    fn wait_subscribed<'a>(
        &'a self,
        client_id: &'a str,
        topic: &'a str,
        timeout: Duration,
    ) -> crate::twins::WaitFuture<'a> {
        Box::pin(Broker::wait_subscribed(self, client_id, topic, timeout))
    }
}

/// edgeHub's id of an endpoint: `{device}/{module}/{input}` for a module input
/// (`EndpointFactory.CreateFunctionEndpoint`), `iothub` for `$upstream` (`CloudEndpoint`).
fn queue_label(device_id: &str, endpoint: &str) -> String {
    if endpoint == crate::store::UPSTREAM_ENDPOINT {
        return crate::metrics::names::UPSTREAM_ENDPOINT_LABEL.to_string();
    }
    match endpoint.strip_prefix("module:") {
        Some(module_input) => format!("{device_id}/{module_input}"),
        None => endpoint.to_string(),
    }
}
