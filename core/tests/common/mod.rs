//! Shared setup for the conformance tests: a real `edgemodule-hub` (temporary state
//! directory, ephemeral 127.0.0.1 ports) and clients built from its module environment,
//! without touching the process environment.
//!
//! The hub runs in-process by default. With `EDGEMODULE_TEST_HUB_BIN=/path/to/edgemodule-hub`
//! (absolute, or relative to the workspace root) every test starts that binary instead
//! (`serve`, ephemeral ports, the ready line) and drives it through its admin API: the
//! cross-compiled suite under qemu then talks to the native x64 hub (tests/dist/qemu.sh).

#![allow(dead_code)]

pub mod external;
pub mod proxy;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use edgemodule::{ClientBuilder, ConnectionState, ConnectionStatus, ModuleClient, RetryPolicy};
use edgemodule_hub::config::HubConfig;
use edgemodule_hub::hub::{Hub, RunningHub};
use edgemodule_hub::manifest;
use external::{ExternalHub, Launch};
use tokio::sync::watch;

/// The edge device id the hub uses by default.
pub const DEVICE: &str = "edge-device";

/// The shared test deployment of every suite (tests/conformance/deployment.json; module
/// roles in tests/conformance/README.md).
pub const MANIFEST: &str = include_str!("../../../tests/conformance/deployment.json");

/// A running hub, in-process or a child process (external mode).
pub enum HubHandle {
    /// [`Hub::start`] in this process (boxed, as the other: both are large).
    InProcess(Box<RunningHub>),
    /// `edgemodule-hub serve` as a child process.
    External(Box<ExternalHub>),
}

/// A message the hub routed to `$upstream`.
#[derive(Debug, Clone)]
pub struct UpstreamMessage {
    /// The route source path, e.g. `/messages/modules/sender/outputs/up`.
    pub source: String,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HubHandle {
    /// The MQTT listener.
    pub fn mqtt_addr(&self) -> SocketAddr {
        match self {
            HubHandle::InProcess(hub) => hub.mqtt_addr(),
            HubHandle::External(hub) => hub.mqtt,
        }
    }

    /// The module-to-module methods listener (HTTPS).
    pub fn https_addr(&self) -> SocketAddr {
        match self {
            HubHandle::InProcess(hub) => hub.https_addr(),
            HubHandle::External(hub) => hub.https,
        }
    }

    /// The admin API.
    pub fn admin_addr(&self) -> SocketAddr {
        match self {
            HubHandle::InProcess(hub) => hub.admin_addr(),
            HubHandle::External(hub) => hub.admin,
        }
    }

    /// The PEM of the CA modules trust.
    pub fn trust_bundle_pem(&self) -> &str {
        match self {
            HubHandle::InProcess(hub) => hub.trust_bundle_pem(),
            HubHandle::External(hub) => hub.trust_bundle_pem(),
        }
    }

    /// The module's `IOTEDGE_*` environment; `None` for unknown modules.
    pub fn module_env(&self, module: &str) -> Option<Vec<(String, String)>> {
        match self {
            HubHandle::InProcess(hub) => hub.module_env(module),
            HubHandle::External(hub) => hub.module_env(module),
        }
    }

    /// The module's `EdgeHubConnectionString`; `None` for unknown modules.
    pub fn connection_string(&self, module: &str) -> Option<String> {
        match self {
            HubHandle::InProcess(hub) => hub.connection_string(module),
            HubHandle::External(hub) => hub
                .simulator_env(module)?
                .into_iter()
                .find(|(k, _)| k == "EdgeHubConnectionString")
                .map(|(_, v)| v),
        }
    }

    /// True when `module` is connected over MQTT.
    pub fn is_connected(&self, module: &str) -> bool {
        match self {
            HubHandle::InProcess(hub) => hub.is_connected(module),
            HubHandle::External(hub) => hub.is_connected(module),
        }
    }

    /// Messages routed to `$upstream`, oldest first.
    pub fn upstream_messages(&self) -> Vec<UpstreamMessage> {
        match self {
            HubHandle::InProcess(hub) => hub
                .upstream_messages()
                .into_iter()
                .map(|m| UpstreamMessage {
                    source: m.source,
                    body: m.body,
                })
                .collect(),
            HubHandle::External(hub) => hub
                .upstream_messages()
                .into_iter()
                .map(|(source, body)| UpstreamMessage { source, body })
                .collect(),
        }
    }

    /// What the hub observed about `module`'s traffic (contract 5), as JSON.
    pub fn inspect(&self, module: &str) -> Result<serde_json::Value, String> {
        match self {
            HubHandle::InProcess(hub) => hub
                .inspect(module)
                .map_err(|e| e.to_string())
                .and_then(|s| serde_json::to_value(s).map_err(|e| e.to_string())),
            HubHandle::External(hub) => hub.inspect(module),
        }
    }

    /// Merge-patches `module`'s desired properties; the new `$version`.
    pub async fn update_desired(
        &self,
        module: &str,
        patch: serde_json::Value,
    ) -> Result<i64, String> {
        match self {
            HubHandle::InProcess(hub) => hub
                .update_desired(module, patch)
                .await
                .map_err(|e| e.to_string()),
            HubHandle::External(hub) => {
                let path = format!("/modules/{module}/twin/desired");
                let answer = hub
                    .json_async("PATCH", path, Some(patch), Duration::ZERO)
                    .await?;
                answer["version"]
                    .as_i64()
                    .ok_or_else(|| format!("no version in {answer}"))
            }
        }
    }

    /// `{"desired":{…},"reported":{…}}` of `module`.
    pub async fn twin(&self, module: &str) -> Result<serde_json::Value, String> {
        match self {
            HubHandle::InProcess(hub) => hub.twin(module).await.map_err(|e| e.to_string()),
            HubHandle::External(hub) => {
                let path = format!("/modules/{module}/twin");
                hub.json_async("GET", path, None, Duration::ZERO).await
            }
        }
    }

    /// Calls a direct method on `module` as the operator; `(status, payload)`.
    pub async fn invoke_method(
        &self,
        module: &str,
        method: &str,
        payload: serde_json::Value,
        timeout: Duration,
    ) -> Result<(i32, serde_json::Value), String> {
        match self {
            HubHandle::InProcess(hub) => hub
                .invoke_method(module, method, payload, timeout)
                .await
                .map_err(|e| e.to_string()),
            HubHandle::External(hub) => {
                // The admin API counts whole seconds.
                let secs = timeout.as_secs_f64().ceil().max(1.0) as u64;
                let path = format!("/modules/{module}/methods/{method}?timeout={secs}");
                let answer = hub
                    .json_async("POST", path, Some(payload), Duration::from_secs(secs))
                    .await?;
                let status = answer["status"]
                    .as_i64()
                    .and_then(|s| i32::try_from(s).ok())
                    .ok_or_else(|| format!("no status in {answer}"))?;
                Ok((status, answer["payload"].clone()))
            }
        }
    }

    /// Stops the hub (its state is kept).
    pub async fn shutdown(self) {
        match self {
            HubHandle::InProcess(hub) => (*hub).shutdown().await,
            HubHandle::External(hub) => (*hub).shutdown().await,
        }
    }
}

/// What [`TestHub::stop`] keeps to start the same hub again (same ports, same state).
#[derive(Clone)]
pub enum StoppedHub {
    /// The in-process hub's configuration, with the ports it had (boxed: it is large).
    InProcess(Box<HubConfig>),
    /// The external hub's launch and the addresses it had.
    External(Launch, (SocketAddr, SocketAddr, SocketAddr)),
}

/// A running hub and its temporary directory (the state directory in-process; holding
/// `state/`, the manifest and the hub's output files in external mode).
pub struct TestHub {
    hub: Option<HubHandle>,
    pub dir: tempfile::TempDir,
}

impl TestHub {
    /// Starts a hub with [`MANIFEST`].
    pub async fn start() -> TestHub {
        TestHub::start_with(MANIFEST).await
    }

    /// Starts a hub with the given deployment manifest.
    pub async fn start_with(manifest_json: &str) -> TestHub {
        TestHub::start_configured(manifest_json, |_| {}).await
    }

    /// True when the tests run against an external hub process (`EDGEMODULE_TEST_HUB_BIN`).
    pub fn external() -> bool {
        external::hub_binary().is_some()
    }

    /// Starts a hub with the given manifest and `configure` applied to its test
    /// configuration (e.g. a short re-authentication interval). In external mode the
    /// settings become `serve` options.
    pub async fn start_configured(
        manifest_json: &str,
        configure: impl FnOnce(&mut HubConfig),
    ) -> TestHub {
        let dir = tempfile::tempdir().expect("temporary state directory");
        let manifest = manifest::parse(manifest_json).expect("test manifest");
        let state = match external::hub_binary() {
            Some(_) => dir.path().join("state"),
            None => dir.path().to_path_buf(),
        };
        let mut config = HubConfig::for_tests(manifest, state);
        configure(&mut config);
        let hub = match external::hub_binary() {
            Some(bin) => {
                let launch = Launch::new(
                    bin,
                    manifest_json,
                    dir.path().join("deployment.json"),
                    &config,
                );
                let hub = within(60, "hub start", ExternalHub::start(&launch, None, "1"))
                    .await
                    .unwrap_or_else(|e| panic!("external hub starts: {e}"));
                HubHandle::External(Box::new(hub))
            }
            None => HubHandle::InProcess(Box::new(
                within(20, "hub start", Hub::start(config))
                    .await
                    .expect("hub starts"),
            )),
        };
        TestHub {
            hub: Some(hub),
            dir,
        }
    }

    /// The running hub.
    pub fn hub(&self) -> &HubHandle {
        self.hub.as_ref().expect("hub is running")
    }

    /// The module's environment as IoT Edge would give it.
    pub fn env(&self, module: &str) -> Vec<(String, String)> {
        self.hub().module_env(module).expect("module in manifest")
    }

    /// A builder reading `module`'s environment, with test-friendly timeouts.
    pub fn builder(&self, module: &str) -> ClientBuilder {
        let env = self.env(module);
        ModuleClient::builder()
            .from_environment_lookup(move |name| {
                env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            })
            .operation_timeout(Duration::from_secs(15))
            .retry_policy(fast_retry())
    }

    /// A connected client for `module`.
    pub async fn client(&self, module: &str) -> ModuleClient {
        let client = within(20, "client build", self.builder(module).build())
            .await
            .expect("client builds");
        within(20, "connect", client.connect())
            .await
            .expect("client connects");
        client
    }

    /// Stops the hub (state is kept); returns what restarts it with the same ports.
    pub async fn stop(&mut self) -> StoppedHub {
        let hub = self.hub.take().expect("hub is running");
        let stopped = match &hub {
            HubHandle::InProcess(running) => {
                let mut config = running.config().clone();
                config.mqtt_bind = running.mqtt_addr();
                config.https_bind = running.https_addr();
                config.admin_bind = running.admin_addr();
                StoppedHub::InProcess(Box::new(config))
            }
            HubHandle::External(process) => StoppedHub::External(
                process.launch().clone(),
                (process.mqtt, process.https, process.admin),
            ),
        };
        within(20, "hub shutdown", hub.shutdown()).await;
        stopped
    }

    /// Starts the hub again as `stopped` was.
    pub async fn start_again(&mut self, stopped: StoppedHub) {
        let hub = match stopped {
            StoppedHub::InProcess(config) => HubHandle::InProcess(Box::new(
                within(20, "hub restart", Hub::start(*config))
                    .await
                    .expect("hub restarts"),
            )),
            StoppedHub::External(launch, ports) => HubHandle::External(Box::new(
                within(
                    60,
                    "hub restart",
                    ExternalHub::start(&launch, Some(ports), "again"),
                )
                .await
                .unwrap_or_else(|e| panic!("external hub restarts: {e}")),
            )),
        };
        self.hub = Some(hub);
    }

    /// Stops and starts the hub on the same ports with the same state.
    pub async fn restart(&mut self) {
        let stopped = self.stop().await;
        self.start_again(stopped).await;
    }

    /// Starts a second hub instance on the same state directory but other (ephemeral)
    /// ports: modules retrying the original ports stay disconnected meanwhile.
    pub async fn start_elsewhere(&self, stopped: &StoppedHub) -> HubHandle {
        match stopped {
            StoppedHub::InProcess(config) => {
                let mut other = HubConfig::clone(config);
                let ephemeral: SocketAddr = "127.0.0.1:0".parse().expect("address");
                other.mqtt_bind = ephemeral;
                other.https_bind = ephemeral;
                other.admin_bind = ephemeral;
                HubHandle::InProcess(Box::new(
                    within(20, "second hub start", Hub::start(other))
                        .await
                        .expect("second hub starts"),
                ))
            }
            StoppedHub::External(launch, _) => HubHandle::External(Box::new(
                within(
                    60,
                    "second hub start",
                    ExternalHub::start(launch, None, "elsewhere"),
                )
                .await
                .unwrap_or_else(|e| panic!("second external hub starts: {e}")),
            )),
        }
    }
}

/// Quick reconnects for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
        multiplier: 2.0,
        jitter: 0.2,
        give_up_after: None,
    }
}

/// Awaits `future`, failing the test after `secs` seconds.
pub async fn within<T>(secs: u64, what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), future).await {
        Ok(value) => value,
        Err(_) => panic!("{what} did not finish within {secs} s"),
    }
}

/// Waits until the status satisfies `pred`; returns it.
pub async fn wait_status(
    status: &mut watch::Receiver<ConnectionStatus>,
    secs: u64,
    pred: impl Fn(&ConnectionStatus) -> bool,
) -> ConnectionStatus {
    within(secs, "status change", async {
        loop {
            let current = *status.borrow_and_update();
            if pred(&current) {
                return current;
            }
            status.changed().await.expect("status channel open");
        }
    })
    .await
}

/// True when connected.
pub fn connected(s: &ConnectionStatus) -> bool {
    s.state == ConnectionState::Connected
}

/// Polls `cond` every 20 ms until it holds, failing the test after `secs` seconds.
pub async fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    within(secs, what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// What the hub observed about `module`'s traffic (contract 5: `RunningHub::inspect`), as
/// JSON: `delivered`, `redelivered`, `acks_in_order`, `acks_out_of_order`,
/// `dup_publishes_received`, `subscriptions`, … (cumulative since the hub started).
pub fn inspect(hub: &TestHub, module: &str) -> serde_json::Value {
    hub.hub()
        .inspect(module)
        .unwrap_or_else(|e| panic!("inspect {module}: {e}"))
}

/// A counter of an inspection.
pub fn counter(inspection: &serde_json::Value, key: &str) -> u64 {
    inspection[key]
        .as_u64()
        .unwrap_or_else(|| panic!("inspection has no counter {key:?}: {inspection}"))
}

/// Polls `inspect(module)` until `pred` holds; returns that inspection.
pub async fn wait_inspect(
    hub: &TestHub,
    module: &str,
    secs: u64,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = inspect(hub, module);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !pred(&last) {
        if tokio::time::Instant::now() >= deadline {
            panic!("{what}: not reached within {secs} s; last inspection: {last}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        last = inspect(hub, module);
    }
    last
}

/// PUBACKs the hub received from the module, in order or not.
pub fn acks_total(inspection: &serde_json::Value) -> u64 {
    counter(inspection, "acks_in_order") + counter(inspection, "acks_out_of_order")
}

/// Asserts that every PUBACK `module` sent matched the hub's oldest outstanding PUBLISH.
pub fn assert_acks_in_order(inspection: &serde_json::Value) {
    assert_eq!(
        counter(inspection, "acks_out_of_order"),
        0,
        "PUBACKs out of order: {inspection}"
    );
    // Not in contract 5 itself; checked when the hub reports it.
    if let Some(unexpected) = inspection.get("acks_unexpected").and_then(|v| v.as_u64()) {
        assert_eq!(
            unexpected, 0,
            "PUBACKs for nothing outstanding: {inspection}"
        );
    }
}

/// Sends `count` messages to `output`, one after another, with ids `{prefix}{i:03}`.
pub async fn send_numbered(sender: &ModuleClient, output: &str, prefix: &str, count: usize) {
    for i in 0..count {
        let mut message = edgemodule::Message::new(format!("{prefix}{i:03}"));
        message.message_id = Some(format!("{prefix}{i:03}"));
        within(15, "send", sender.send_output(output, message))
            .await
            .expect("sent");
    }
}

/// Calls method `method` on `module` `count` times, one after another, through the hub's
/// operator API: each call is a QoS 1 PUBLISH to the module that arrives between its input
/// messages (join it with the sends), so an acknowledgement sent out of order shows in
/// `inspect` even when the hub has one input message in flight at a time. Returns the
/// statuses.
pub async fn call_repeatedly(hub: &TestHub, module: &str, method: &str, count: usize) -> Vec<i32> {
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        let call = hub.hub().invoke_method(
            module,
            method,
            serde_json::Value::Null,
            Duration::from_secs(10),
        );
        let (status, _) = within(15, "method call", call).await.expect("method call");
        statuses.push(status);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    statuses
}
