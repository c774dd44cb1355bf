//! Hub configuration: the deployment manifest, where state lives, names and listen addresses.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::manifest::Manifest;
use crate::mqtt::DeliveryPolicy;
use crate::store::StoreTuning;

/// Default edge device id.
pub const DEFAULT_DEVICE_ID: &str = "edge-device";
/// Default IoT Hub host name (only used in identities and tokens; nothing connects to it).
pub const DEFAULT_IOTHUB_HOST_NAME: &str = "localhub.azure-devices.net";
/// Default gateway host name: where modules connect.
pub const DEFAULT_GATEWAY_HOST_NAME: &str = "localhost";
/// Longest time between two checks of connected clients' token expiry. edgeHub
/// re-authenticates every 5 minutes (protocol.md §3.4); the hub checks more often so that an
/// expired token is noticed within this period after expiry plus the allowed clock skew.
pub const DEFAULT_REAUTH_INTERVAL: Duration = Duration::from_secs(10);

/// Everything the hub needs to start.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// The deployment: modules, routes, store-and-forward, broker policy.
    pub manifest: Manifest,
    /// Directory for identities.json, certs/, hub.db, admin.token and the workload sockets
    /// (mode 0700; files in it 0600).
    pub state_dir: PathBuf,
    /// Edge device id; default "edge-device".
    pub device_id: String,
    /// IoT Hub host name; default "localhub.azure-devices.net".
    pub iothub_host_name: String,
    /// Gateway host name modules connect to; default "localhost".
    pub gateway_host_name: String,
    /// MQTT over TLS; default 127.0.0.1:8883 (loopback only); port 0 = ephemeral.
    pub mqtt_bind: SocketAddr,
    /// Module-to-module methods API (HTTPS); default 127.0.0.1:443 (loopback only).
    pub https_bind: SocketAddr,
    /// Admin API; default 127.0.0.1:15580.
    pub admin_bind: SocketAddr,
    /// Directory of the per-module workload sockets `{workload_dir}/{module}.sock`;
    /// default `{state_dir}/workload`.
    pub workload_dir: PathBuf,
    /// Owner uid of a module's workload socket (the uid the module's process runs as). A
    /// module without an entry gets a socket only the hub's own user can open.
    pub workload_owners: BTreeMap<String, u32>,
    /// One workload socket for every module at this path, mode 0666, that signs for any
    /// module (the behaviour before per-module sockets). `None` (the default) = per-module
    /// sockets. Insecure: any local process can act as any module.
    pub insecure_shared_workload: Option<PathBuf>,
    /// How often connected clients' token expiry is checked; default 10 s.
    pub reauth_interval: Duration,
    /// How routed messages are delivered to module inputs; default strict (edgeHub's way,
    /// 30 s ack timeout).
    pub delivery: DeliveryPolicy,
    /// The parent to forward `$upstream` to (`serve --parent`); `None`: `$upstream` is only
    /// recorded (the newest 10,000 messages).
    pub parent: Option<crate::upstream::ParentConfig>,
    /// Who copies the store's log into the database file; default background.
    pub store_checkpoint: StoreCheckpoint,
    /// Where `GET /metrics` (Prometheus) is served; default 127.0.0.1:9600, edgeHub's port,
    /// or a free port when another hub has it.
    pub metrics: MetricsBind,
}

/// Where the hub serves its Prometheus metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsBind {
    /// No metrics: no listener, nothing counted.
    Off,
    /// Exactly this address (port 0 = ephemeral); the start fails if it is taken.
    Exact(SocketAddr),
    /// This address, or a free port on the same IP when it is taken (with a warning).
    Preferred(SocketAddr),
}

/// Who checkpoints the store's write-ahead log (copies it into the database file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreCheckpoint {
    /// A background thread, as soon as the log grew; the writer only past
    /// [`StoreTuning::HUB`]'s bound on the log's size. New files get 16 KiB pages.
    #[default]
    Background,
    /// SQLite's defaults: the writer, inside a commit, every 1000 pages of log (plus the
    /// background thread every 100 ms), and 4 KiB pages in a new file. The store before the
    /// hub's own tuning; kept as the benchmark's reference.
    Writer,
}

impl StoreCheckpoint {
    /// Page size of a new file and the writer's checkpoint bound under this policy.
    pub fn tuning(self) -> StoreTuning {
        match self {
            StoreCheckpoint::Background => StoreTuning::HUB,
            StoreCheckpoint::Writer => StoreTuning::SQLITE_DEFAULTS,
        }
    }

    /// The `serve --store-checkpoint` value.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreCheckpoint::Background => "background",
            StoreCheckpoint::Writer => "writer",
        }
    }
}

impl HubConfig {
    /// A configuration with the defaults above.
    pub fn new(manifest: Manifest, state_dir: PathBuf) -> Self {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        HubConfig {
            manifest,
            workload_dir: state_dir.join("workload"),
            state_dir,
            device_id: DEFAULT_DEVICE_ID.to_string(),
            iothub_host_name: DEFAULT_IOTHUB_HOST_NAME.to_string(),
            gateway_host_name: DEFAULT_GATEWAY_HOST_NAME.to_string(),
            mqtt_bind: SocketAddr::new(loopback, 8883),
            https_bind: SocketAddr::new(loopback, 443),
            admin_bind: SocketAddr::new(loopback, 15580),
            workload_owners: BTreeMap::new(),
            insecure_shared_workload: None,
            reauth_interval: DEFAULT_REAUTH_INTERVAL,
            delivery: DeliveryPolicy::default(),
            parent: None,
            store_checkpoint: StoreCheckpoint::default(),
            metrics: MetricsBind::Preferred(SocketAddr::new(
                loopback,
                crate::metrics::DEFAULT_METRICS_PORT,
            )),
        }
    }

    /// Defaults, but every listener on 127.0.0.1 with an ephemeral port (parallel tests).
    pub fn for_tests(manifest: Manifest, state_dir: PathBuf) -> Self {
        let ephemeral = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        HubConfig {
            mqtt_bind: ephemeral,
            https_bind: ephemeral,
            admin_bind: ephemeral,
            metrics: MetricsBind::Exact(ephemeral),
            ..HubConfig::new(manifest, state_dir)
        }
    }

    /// `{state_dir}/hub.db`.
    pub fn database_path(&self) -> PathBuf {
        self.state_dir.join("hub.db")
    }

    /// `{state_dir}/admin.token`: the admin API's bearer token.
    pub fn admin_token_path(&self) -> PathBuf {
        self.state_dir.join(crate::admin::TOKEN_FILE)
    }

    /// The per-module socket directory, or the shared socket in insecure shared mode.
    pub fn workload_location(&self) -> &std::path::Path {
        self.insecure_shared_workload
            .as_deref()
            .unwrap_or(&self.workload_dir)
    }

    /// The workload socket of `module`: `{workload_dir}/{module}.sock`, or the shared
    /// socket in insecure shared mode.
    pub fn workload_socket(&self, module: &str) -> PathBuf {
        match &self.insecure_shared_workload {
            Some(shared) => shared.clone(),
            None => self.workload_dir.join(format!("{module}.sock")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_test_binds() {
        let c = HubConfig::new(Manifest::empty(), PathBuf::from("/tmp/state"));
        assert_eq!(c.device_id, "edge-device");
        assert_eq!(c.iothub_host_name, "localhub.azure-devices.net");
        assert_eq!(c.gateway_host_name, "localhost");
        assert_eq!(c.mqtt_bind.to_string(), "127.0.0.1:8883");
        assert_eq!(c.https_bind.to_string(), "127.0.0.1:443");
        assert_eq!(c.admin_bind.to_string(), "127.0.0.1:15580");
        assert_eq!(c.workload_dir, PathBuf::from("/tmp/state/workload"));
        assert_eq!(
            c.workload_socket("filter"),
            PathBuf::from("/tmp/state/workload/filter.sock")
        );
        assert_eq!(c.database_path(), PathBuf::from("/tmp/state/hub.db"));
        assert_eq!(
            c.admin_token_path(),
            PathBuf::from("/tmp/state/admin.token")
        );
        assert_eq!(c.reauth_interval, Duration::from_secs(10));
        assert!(c.delivery.is_strict());
        assert_eq!(
            c.metrics,
            MetricsBind::Preferred("127.0.0.1:9600".parse().unwrap())
        );
        assert_eq!(c.delivery.ack_timeout, Duration::from_secs(30));

        let t = HubConfig::for_tests(Manifest::empty(), PathBuf::from("/tmp/s"));
        for addr in [t.mqtt_bind, t.https_bind, t.admin_bind] {
            assert_eq!(addr.to_string(), "127.0.0.1:0");
        }
        assert_eq!(
            t.metrics,
            MetricsBind::Exact("127.0.0.1:0".parse().unwrap())
        );
        let shared = HubConfig {
            insecure_shared_workload: Some(PathBuf::from("/tmp/s/workload.sock")),
            ..t
        };
        assert_eq!(
            shared.workload_socket("a"),
            PathBuf::from("/tmp/s/workload.sock")
        );
    }
}
