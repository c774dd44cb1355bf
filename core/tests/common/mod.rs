//! Shared setup for the conformance tests: a real `edgemodule-hub` in-process (temporary
//! state directory, ephemeral 127.0.0.1 ports) and clients built from its module
//! environment, without touching the process environment.

#![allow(dead_code)]

pub mod proxy;

use std::future::Future;
use std::time::Duration;

use edgemodule::{ClientBuilder, ConnectionState, ConnectionStatus, ModuleClient, RetryPolicy};
use edgemodule_hub::config::HubConfig;
use edgemodule_hub::hub::{Hub, RunningHub};
use edgemodule_hub::manifest;
use tokio::sync::watch;

/// The edge device id the hub uses by default.
pub const DEVICE: &str = "edge-device";

/// The shared test deployment of every suite (tests/conformance/deployment.json; module
/// roles in tests/conformance/README.md).
pub const MANIFEST: &str = include_str!("../../../tests/conformance/deployment.json");

/// A running hub and its state directory.
pub struct TestHub {
    hub: Option<RunningHub>,
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

    /// Starts a hub with the given manifest and `configure` applied to its test
    /// configuration (e.g. a short re-authentication interval).
    pub async fn start_configured(
        manifest_json: &str,
        configure: impl FnOnce(&mut HubConfig),
    ) -> TestHub {
        let dir = tempfile::tempdir().expect("temporary state directory");
        let manifest = manifest::parse(manifest_json).expect("test manifest");
        let mut config = HubConfig::for_tests(manifest, dir.path().to_path_buf());
        configure(&mut config);
        let hub = within(20, "hub start", Hub::start(config))
            .await
            .expect("hub starts");
        TestHub {
            hub: Some(hub),
            dir,
        }
    }

    /// The running hub.
    pub fn hub(&self) -> &RunningHub {
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

    /// Stops the hub (state is kept); returns the configuration to restart it with the
    /// same ports.
    pub async fn stop(&mut self) -> HubConfig {
        let hub = self.hub.take().expect("hub is running");
        let mut config = hub.config().clone();
        config.mqtt_bind = hub.mqtt_addr();
        config.https_bind = hub.https_addr();
        config.admin_bind = hub.admin_addr();
        within(20, "hub shutdown", hub.shutdown()).await;
        config
    }

    /// Starts the hub again with `config`.
    pub async fn start_again(&mut self, config: HubConfig) {
        let hub = within(20, "hub restart", Hub::start(config))
            .await
            .expect("hub restarts");
        self.hub = Some(hub);
    }

    /// Stops and starts the hub on the same ports with the same state.
    pub async fn restart(&mut self) {
        let config = self.stop().await;
        self.start_again(config).await;
    }

    /// Starts a second hub instance on the same state directory but other (ephemeral)
    /// ports: modules retrying the original ports stay disconnected meanwhile.
    pub async fn start_elsewhere(&self, config: &HubConfig) -> RunningHub {
        let mut other = config.clone();
        let ephemeral: std::net::SocketAddr = "127.0.0.1:0".parse().expect("address");
        other.mqtt_bind = ephemeral;
        other.https_bind = ephemeral;
        other.admin_bind = ephemeral;
        within(20, "second hub start", Hub::start(other))
            .await
            .expect("second hub starts")
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
    let snapshot = hub.hub().inspect(module).expect("module known to the hub");
    serde_json::to_value(snapshot).expect("inspection serializes")
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
