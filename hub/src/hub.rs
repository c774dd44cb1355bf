//! Embedding API: start a complete hub in-process (MQTT broker, twins, direct methods,
//! workload API, HTTPS methods API, admin API) and stop it again.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::admin::{AdminState, AdminToken, UpstreamFeed};
use crate::certs::HubCertificates;
use crate::config::{HubConfig, StoreCheckpoint};
pub use crate::error::HubError;
use crate::identity::Identities;
use crate::message::HubMessage;
use crate::methods::{HttpsState, MethodDispatcher};
use crate::metrics::HubMetrics;
use crate::mqtt::{Broker, BrokerSettings, IotHubHandler, ModuleInspection};
use crate::store::{Store, UPSTREAM_ENDPOINT, UPSTREAM_KEEP};
use crate::twins::TwinService;
use crate::workload::WorkloadServer;

/// Workload API version announced to modules in `IOTEDGE_APIVERSION`.
pub const WORKLOAD_API_VERSION: &str = "2019-01-30";
/// The MQTT port modules assume when `EDGEMODULE_MQTT_PORT` is not set.
pub const DEFAULT_MQTT_PORT: u16 = 8883;
/// The HTTPS port modules assume when `EDGEMODULE_HTTPS_PORT` is not set.
pub const DEFAULT_HTTPS_PORT: u16 = 443;

/// Starts hubs.
pub struct Hub;

impl Hub {
    /// Starts every service of the hub described by `config`. State (keys, certificates,
    /// queued messages, twins, sessions) lives in `config.state_dir`; starting again with the
    /// same directory (and the previously bound ports) is a restart.
    pub async fn start(config: HubConfig) -> Result<RunningHub, HubError> {
        let mut started = Started::default();
        match Hub::start_services(config, &mut started).await {
            Ok(hub) => Ok(hub),
            Err(e) => {
                // Free the ports and the socket taken so far: a retry must be able to bind.
                started.stop().await;
                Err(e)
            }
        }
    }

    async fn start_services(
        config: HubConfig,
        started: &mut Started,
    ) -> Result<RunningHub, HubError> {
        let sockets_for_others = config.insecure_shared_workload.is_none()
            && !config.workload_owners.is_empty()
            && config.workload_dir.starts_with(&config.state_dir);
        crate::state_dir::prepare(&config.state_dir, sockets_for_others)?;
        let modules = config.manifest.module_names();
        if let Some(unknown) = config.workload_owners.keys().find(|m| !modules.contains(m)) {
            return Err(HubError::Other(format!(
                "a workload socket owner is configured for '{unknown}', which is not a module of the deployment"
            )));
        }
        let admin_token = AdminToken::load_or_create(&config.admin_token_path())?;
        let mut identities = Identities::load_or_create(
            &config.state_dir,
            &config.device_id,
            &config.iothub_host_name,
            &config.gateway_host_name,
            &modules,
        )?;
        identities
            .set_child_devices(&config.manifest.child_devices)
            .map_err(HubError::Other)?;
        let identities = Arc::new(identities);
        let certs = Arc::new(HubCertificates::load_or_create(
            &config.state_dir,
            &config.gateway_host_name,
        )?);
        let ca_file = HubCertificates::ca_cert_path(&config.state_dir);
        if !ca_file.exists() {
            std::fs::write(&ca_file, &certs.ca_pem)?;
        }
        crate::state_dir::precreate_private_file(&config.database_path())?;
        let store = Store::open_tuned(
            &config.database_path(),
            config.manifest.store_max_size_bytes,
            config.store_checkpoint.tuning(),
        )
        .map_err(|e| HubError::Other(format!("opening the message store: {e}")))?;
        // Files written above (keys, certificate metadata, the store's log) are private too.
        crate::state_dir::restrict_known_files(&config.state_dir)?;

        let checkpointer = Checkpointer::start(
            config.database_path(),
            config.store_checkpoint,
            store.payload_flusher(),
        );
        let upstream = UpstreamFeed::new(UPSTREAM_KEEP);
        match store.recent(UPSTREAM_ENDPOINT, UPSTREAM_KEEP) {
            Ok(kept) => kept.into_iter().for_each(|q| upstream.push(q.message)),
            Err(e) => tracing::warn!(error = %e, "reading earlier $upstream messages failed"),
        }
        let tls = certs.server_tls_config()?;
        let forwarder = match &config.parent {
            Some(parent) => Some(
                crate::upstream::Forwarder::start(parent, store.clone())
                    .await
                    .map_err(HubError::Other)?,
            ),
            None => None,
        };
        let wake = forwarder.as_ref().map(|f| f.wake());
        let metrics = match config.metrics {
            crate::config::MetricsBind::Off => HubMetrics::disabled(&config.device_id),
            _ => HubMetrics::new(&config.iothub_host_name, &config.device_id),
        };
        let feed = upstream.clone();
        let broker = Broker::start(BrokerSettings {
            bind: config.mqtt_bind,
            tls: tls.clone(),
            identities: identities.clone(),
            store: store.clone(),
            routes: config.manifest.routes.clone(),
            policy: config
                .manifest
                .authorization
                .clone()
                .with_this_device_id(config.device_id.clone()),
            store_ttl_secs: config.manifest.store_ttl_secs,
            reauth_interval: config.reauth_interval,
            upstream: Arc::new(move |m: &HubMessage| {
                feed.push(m.clone());
                if let Some(wake) = &wake {
                    wake.notify_one();
                }
            }),
            delivery: config.delivery,
            trim_upstream: forwarder.is_none(),
            metrics: metrics.clone(),
        })
        .await;
        let broker = match broker {
            Ok(broker) => broker,
            Err(e) => {
                if let Some(forwarder) = forwarder {
                    forwarder.stop().await;
                }
                return Err(e.into());
            }
        };
        started.broker = Some(broker.clone());
        let rules = config.manifest.bridges.clone();
        started.bridge = match (&forwarder, rules.is_empty()) {
            (Some(forwarder), false) => Some(crate::upstream::Bridge::start(
                forwarder.client().clone(),
                rules,
                &broker,
            )),
            (None, false) => {
                tracing::warn!(
                    "mqttBroker.bridges needs a parent (serve --parent); the bridge is not started"
                );
                None
            }
            (_, true) => None,
        };
        started.forwarder = forwarder;

        let manifest_desired: Vec<(String, Value)> = config
            .manifest
            .modules
            .iter()
            .map(|m| (m.name.clone(), m.desired.clone()))
            .collect();
        let router = broker.clone();
        let twins = TwinService::new(
            store.clone(),
            broker.clone(),
            identities.clone(),
            &manifest_desired,
            Arc::new(move |notification: HubMessage| {
                let router = router.clone();
                tokio::spawn(async move {
                    if let Err(e) = router.route_message(notification).await {
                        tracing::warn!(error = %e, "routing a twin change notification failed");
                    }
                });
            }),
        )
        .map_err(HubError::Other)?;
        let methods = MethodDispatcher::with_metrics(
            Arc::new(broker.clone()),
            config.device_id.clone(),
            metrics.clone(),
        );
        broker.set_handler(Arc::new(Services {
            twins: twins.clone(),
            methods: methods.clone(),
        }));

        started.workload = Some(match &config.insecure_shared_workload {
            Some(socket) => {
                tracing::warn!(socket = %socket.display(), "insecure shared workload socket: any local process can act as any module");
                WorkloadServer::start_shared_insecure(socket, identities.clone(), certs.clone())
                    .await?
            }
            None => {
                WorkloadServer::start_per_module(
                    &config.workload_dir,
                    &modules,
                    &config.workload_owners,
                    identities.clone(),
                    certs.clone(),
                )
                .await?
            }
        });
        let (https_addr, https_task) = crate::methods::serve_https(
            config.https_bind,
            tls,
            HttpsState {
                identities: identities.clone(),
                dispatcher: methods.clone(),
            },
        )
        .await?;
        started.tasks.push(https_task);

        let env = Arc::new(EnvFacts {
            identities: identities.clone(),
            module_settings: config
                .manifest
                .modules
                .iter()
                .map(|m| (m.name.clone(), m.env.clone().into_iter().collect()))
                .collect(),
            workload: config.clone(),
            mqtt_port: broker.local_addr().port(),
            https_port: https_addr.port(),
        });
        let env_for_admin = env.clone();
        let runtime_slot = crate::runtime::RuntimeSlot::default();
        let (broker_for_admin, device_for_admin) = (broker.clone(), config.device_id.clone());
        let (admin_addr, admin_task) = crate::admin::serve_admin(
            AdminState {
                identities: identities.clone(),
                twins: twins.clone(),
                methods: methods.clone(),
                broker: Arc::new(broker.clone()),
                module_env: Arc::new(move |m: &str| env_for_admin.module_env(m)),
                inspect: Arc::new(move |m: &str| broker_for_admin.inspect(&device_for_admin, m)),
                ca_certificate_file: ca_file,
                upstream: upstream.clone(),
                info: serde_json::json!({
                    "mqtt": broker.local_addr().to_string(),
                    "https": https_addr.to_string(),
                }),
                runtime: runtime_slot.clone(),
                counters: {
                    let broker = broker.clone();
                    Arc::new(
                        move || serde_json::json!({ "userTopicDrops": broker.user_topic_drops() }),
                    )
                },
                token: admin_token.clone(),
            },
            config.admin_bind,
        )
        .await?;
        started.tasks.push(admin_task);
        let metrics_addr =
            crate::metrics::serve::start(&config, &broker, &metrics, &mut started.tasks).await?;
        tracing::info!(
            mqtt = %broker.local_addr(),
            https = %https_addr,
            admin = %admin_addr,
            workload = %config.workload_location().display(),
            "hub started"
        );
        // Everything started: nothing to undo any more.
        started.broker = None;
        Ok(RunningHub {
            config,
            identities,
            certs,
            broker,
            twins,
            methods,
            upstream,
            env,
            workload: started.workload.take(),
            forwarder: started.forwarder.take(),
            bridge: started.bridge.take(),
            checkpointer: Some(checkpointer),
            https_addr,
            admin_addr,
            metrics_addr,
            runtime_slot,
            admin_token,
            tasks: std::mem::take(&mut started.tasks),
        })
    }
}

/// What `Hub::start` has started so far (stopped again if a later step fails).
#[derive(Default)]
struct Started {
    broker: Option<Broker>,
    workload: Option<WorkloadServer>,
    forwarder: Option<crate::upstream::Forwarder>,
    bridge: Option<crate::upstream::Bridge>,
    tasks: Vec<JoinHandle<()>>,
}

impl Started {
    async fn stop(self) {
        if let Some(bridge) = self.bridge {
            bridge.stop().await;
        }
        if let Some(forwarder) = self.forwarder {
            forwarder.stop().await;
        }
        if let Some(broker) = self.broker {
            broker.shutdown().await;
        }
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
        if let Some(workload) = self.workload {
            workload.shutdown().await;
        }
    }
}

/// A running hub. Dropping it without [`RunningHub::shutdown`] leaves its tasks running
/// until the runtime ends.
pub struct RunningHub {
    config: HubConfig,
    identities: Arc<Identities>,
    certs: Arc<HubCertificates>,
    broker: Broker,
    twins: TwinService,
    methods: MethodDispatcher,
    upstream: UpstreamFeed,
    env: Arc<EnvFacts>,
    workload: Option<WorkloadServer>,
    forwarder: Option<crate::upstream::Forwarder>,
    bridge: Option<crate::upstream::Bridge>,
    checkpointer: Option<Checkpointer>,
    https_addr: SocketAddr,
    admin_addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    runtime_slot: crate::runtime::RuntimeSlot,
    admin_token: AdminToken,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningHub {
    /// Where the module runtime (`crate::runtime::Agent`) makes itself visible to the admin
    /// API.
    pub fn runtime_slot(&self) -> &crate::runtime::RuntimeSlot {
        &self.runtime_slot
    }

    /// Bound MQTT-over-TLS address.
    pub fn mqtt_addr(&self) -> SocketAddr {
        self.broker.local_addr()
    }

    /// Bound HTTPS (methods API) address.
    pub fn https_addr(&self) -> SocketAddr {
        self.https_addr
    }

    /// Bound admin API address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// Bound address of `GET /metrics` (`None` when metrics are off).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The Prometheus text `GET /metrics` answers now (`None` when metrics are off). Reads
    /// queue lengths from the store: call it from a blocking context or `spawn_blocking`.
    pub fn render_metrics(&self) -> Option<String> {
        crate::metrics::serve::render(&self.broker, self.identities.device_id())
    }

    /// The workload API socket of `module` (`{workload_dir}/{module}.sock`, or the shared
    /// socket in insecure shared mode).
    pub fn workload_socket(&self, module: &str) -> PathBuf {
        self.config.workload_socket(module)
    }

    /// Where the workload sockets are: the per-module socket directory, or the insecure
    /// shared socket.
    pub fn workload_location(&self) -> &Path {
        self.config.workload_location()
    }

    /// The admin API's bearer token (also in `{state_dir}/admin.token`).
    pub fn admin_token(&self) -> &str {
        self.admin_token.as_str()
    }

    /// User-topic messages the broker dropped since it started: QoS 0 messages that found a
    /// subscriber's queue full, and messages for subscribers it disconnected for not
    /// reading.
    pub fn user_topic_drops(&self) -> u64 {
        self.broker.user_topic_drops()
    }

    /// The CA certificate (PEM) modules trust.
    pub fn trust_bundle_pem(&self) -> &str {
        &self.certs.ca_pem
    }

    /// The configuration the hub runs with.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// The broker handle.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The `IOTEDGE_*` environment of `module` (as IoT Edge gives it to a module container)
    /// plus the module's deployment `env` and `EDGEMODULE_MQTT_PORT` /
    /// `EDGEMODULE_HTTPS_PORT` when the ports are not 8883/443. `None` for unknown modules.
    pub fn module_env(&self, module: &str) -> Option<Vec<(String, String)>> {
        self.env.module_env(module)
    }

    /// `HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`.
    pub fn connection_string(&self, module: &str) -> Option<String> {
        self.identities.connection_string(module)
    }

    /// Merge-patches the desired properties of `module`, pushes the patch to the module if
    /// it is subscribed, and returns the new `$version`.
    pub async fn update_desired(&self, module: &str, patch: Value) -> Result<i64, HubError> {
        let twins = self.twins.clone();
        let module = module.to_string();
        tokio::task::spawn_blocking(move || twins.update_desired(&module, patch))
            .await
            .map_err(|e| HubError::Other(e.to_string()))?
    }

    /// `{"desired":{…,"$version":n},"reported":{…,"$version":m}}`.
    pub async fn twin(&self, module: &str) -> Result<Value, HubError> {
        let twins = self.twins.clone();
        let module = module.to_string();
        tokio::task::spawn_blocking(move || twins.twin_json(&module))
            .await
            .map_err(|e| HubError::Other(e.to_string()))?
    }

    /// Calls a direct method on a connected module; `(status, payload)` of its answer.
    /// `NotFound` if the module is not subscribed to methods, `Timeout` after `timeout`.
    pub async fn invoke_method(
        &self,
        module: &str,
        method: &str,
        payload: Value,
        timeout: Duration,
    ) -> Result<(i32, Value), HubError> {
        self.methods
            .invoke(module, method, payload, Duration::ZERO, timeout)
            .await
    }

    /// With a parent (`serve --parent`): messages the parent acknowledged so far, and failed
    /// forwarding rounds. `None` without a parent.
    pub fn upstream_forwarded(&self) -> Option<(u64, u64)> {
        self.forwarder.as_ref().map(|f| {
            let stats = f.stats();
            (
                stats.forwarded.load(std::sync::atomic::Ordering::Relaxed),
                stats.retries.load(std::sync::atomic::Ordering::Relaxed),
            )
        })
    }

    /// With a bridge: messages sent up, received down, and dropped. `None` without one.
    pub fn bridge_counts(&self) -> Option<(u64, u64, u64)> {
        self.bridge.as_ref().map(|b| {
            let s = b.stats();
            let load =
                |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
            (load(&s.sent_up), load(&s.received_down), load(&s.dropped))
        })
    }

    /// Messages routed to `$upstream`, oldest first (the last 10 000).
    pub fn upstream_messages(&self) -> Vec<HubMessage> {
        self.upstream.snapshot()
    }

    /// The `$upstream` history and a receiver for what follows, with no gap.
    pub fn subscribe_upstream(&self) -> (Vec<HubMessage>, broadcast::Receiver<HubMessage>) {
        self.upstream.subscribe()
    }

    /// What the hub observed about `module`'s traffic: connections, current subscriptions,
    /// input messages delivered and redelivered, PUBACKs in and out of order, PUBLISHes (and
    /// DUP ones) received. Counters are cumulative since the hub started.
    pub fn inspect(&self, module: &str) -> Result<ModuleInspection, HubError> {
        self.broker
            .inspect(self.identities.device_id(), module)
            .ok_or_else(|| HubError::NotFound(format!("module '{module}'")))
    }

    /// True when `module` is connected over MQTT.
    pub fn is_connected(&self, module: &str) -> bool {
        self.broker
            .is_connected(&format!("{}/{module}", self.identities.device_id()))
    }

    /// Publishes directly into a module's MQTT session (for tests and tools).
    pub fn publish_to_module(&self, module: &str, topic: &str, payload: Bytes, qos: u8) -> bool {
        let client_id = format!("{}/{module}", self.identities.device_id());
        self.broker.publish_to(&client_id, topic, payload, qos)
    }

    /// Stops every service: closes client connections (their state is saved), the HTTP
    /// servers and the workload socket. Start again with the same state directory and ports
    /// to restart.
    pub async fn shutdown(mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.stop().await;
        }
        if let Some(forwarder) = self.forwarder.take() {
            forwarder.stop().await;
        }
        self.broker.shutdown().await;
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        if let Some(workload) = self.workload.take() {
            workload.shutdown().await;
        }
        if let Some(checkpointer) = self.checkpointer.take() {
            let _ = tokio::task::spawn_blocking(move || checkpointer.stop()).await;
        }
        tracing::info!("hub stopped");
    }
}

/// Copies the store's write-ahead log into the database file from a background thread.
///
/// SQLite otherwise checkpoints inside a committing transaction once the log reaches 1000
/// pages: that checkpoint's copy and fsyncs stall every message waiting for its PUBACK (it
/// tripled the hub's p99 latency, and took half of the writer thread's time with 16 KiB
/// messages). A passive checkpoint on another connection runs beside the writer without
/// blocking it. With [`StoreCheckpoint::Background`] it runs again within
/// [`Checkpointer::BUSY_PERIOD`] while the log grows, and the writer only checkpoints (what
/// is left) once the log reaches [`crate::store::StoreTuning::HUB`]'s bound on its size.
///
/// Before each checkpoint it flushes the store's body segment files to the disk: the rows a
/// checkpoint makes durable then find their bodies there after a power loss.
struct Checkpointer {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// How often the log is copied while nothing is written.
    const PERIOD: Duration = Duration::from_millis(100);
    /// How soon the log is copied again after it grew ([`StoreCheckpoint::Background`]).
    const BUSY_PERIOD: Duration = Duration::from_millis(10);

    fn start(
        database: PathBuf,
        policy: StoreCheckpoint,
        payloads: crate::store::PayloadFlusher,
    ) -> Checkpointer {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("hub-store-checkpoint".into())
            .spawn(move || {
                let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = match rusqlite::Connection::open_with_flags(&database, flags) {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "background checkpoints disabled");
                        return;
                    }
                };
                let _ = conn.busy_timeout(Duration::from_secs(1));
                let (mut period, mut last_log) = (Self::PERIOD, -1i64);
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(period);
                    if let Err(e) = payloads.flush() {
                        tracing::warn!(error = %e, "flushing the message bodies failed");
                    }
                    // Columns: busy, pages in the log, pages copied.
                    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1)) {
                        Ok(log) => {
                            let growing = log != last_log;
                            last_log = log;
                            period = match policy {
                                StoreCheckpoint::Background if growing => Self::BUSY_PERIOD,
                                _ => Self::PERIOD,
                            };
                        }
                        Err(e) => tracing::debug!(error = %e, "background checkpoint failed"),
                    }
                }
            });
        match thread {
            Ok(thread) => Checkpointer {
                stop,
                thread: Some(thread),
            },
            Err(e) => {
                tracing::warn!(error = %e, "background checkpoints disabled");
                Checkpointer { stop, thread: None }
            }
        }
    }

    /// Stops the thread (after at most one period).
    fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    // A hub that failed to start, or was dropped without shutdown, must not leave it running.
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Routes the broker's IoT Hub requests to the twin and method services.
struct Services {
    twins: TwinService,
    methods: MethodDispatcher,
}

impl IotHubHandler for Services {
    fn twin_request(&self, module: &str, topic: &str, payload: &[u8]) -> Option<(String, Bytes)> {
        self.twins.handle_request(module, topic, payload)
    }

    fn method_response(&self, module: &str, topic: &str, payload: &[u8]) {
        self.methods.on_response(module, topic, payload);
    }
}

/// What a module's environment is computed from.
struct EnvFacts {
    identities: Arc<Identities>,
    module_settings: Vec<(String, Vec<(String, String)>)>,
    /// For the module's workload socket path.
    workload: HubConfig,
    mqtt_port: u16,
    https_port: u16,
}

impl EnvFacts {
    fn module_env(&self, module: &str) -> Option<Vec<(String, String)>> {
        let generation_id = self.identities.generation_id(module)?;
        let mut env: Vec<(String, String)> = self
            .module_settings
            .iter()
            .find(|(name, _)| name == module)
            .map(|(_, settings)| settings.clone())
            .unwrap_or_default();
        let mut set = |name: &str, value: String| {
            env.retain(|(n, _)| n != name);
            env.push((name.to_string(), value));
        };
        set(
            "IOTEDGE_WORKLOADURI",
            format!("unix://{}", self.workload.workload_socket(module).display()),
        );
        set(
            "IOTEDGE_IOTHUBHOSTNAME",
            self.identities.iothub_host_name().to_string(),
        );
        set(
            "IOTEDGE_GATEWAYHOSTNAME",
            self.identities.gateway_host_name().to_string(),
        );
        set("IOTEDGE_DEVICEID", self.identities.device_id().to_string());
        set("IOTEDGE_MODULEID", module.to_string());
        set("IOTEDGE_MODULEGENERATIONID", generation_id.to_string());
        set("IOTEDGE_APIVERSION", WORKLOAD_API_VERSION.to_string());
        set("IOTEDGE_AUTHSCHEME", "sasToken".to_string());
        if self.mqtt_port != DEFAULT_MQTT_PORT {
            set("EDGEMODULE_MQTT_PORT", self.mqtt_port.to_string());
        }
        if self.https_port != DEFAULT_HTTPS_PORT {
            set("EDGEMODULE_HTTPS_PORT", self.https_port.to_string());
        }
        Some(env)
    }
}
