//! Hub configuration: the deployment manifest, where state lives, names and listen addresses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::manifest::Manifest;
use crate::mqtt::DeliveryPolicy;

/// Default edge device id.
pub const DEFAULT_DEVICE_ID: &str = "edge-device";
/// Default IoT Hub host name (only used in identities and tokens; nothing connects to it).
pub const DEFAULT_IOTHUB_HOST_NAME: &str = "localhub.azure-devices.net";
/// Default gateway host name: where modules connect.
pub const DEFAULT_GATEWAY_HOST_NAME: &str = "localhost";
/// How often connected clients are re-authenticated (edgeHub: 5 minutes, protocol.md §3.4).
pub const DEFAULT_REAUTH_INTERVAL: Duration = Duration::from_secs(300);

/// Everything the hub needs to start.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// The deployment: modules, routes, store-and-forward, broker policy.
    pub manifest: Manifest,
    /// Directory for identities.json, certs/, hub.db and the workload socket.
    pub state_dir: PathBuf,
    /// Edge device id; default "edge-device".
    pub device_id: String,
    /// IoT Hub host name; default "localhub.azure-devices.net".
    pub iothub_host_name: String,
    /// Gateway host name modules connect to; default "localhost".
    pub gateway_host_name: String,
    /// MQTT over TLS; default 0.0.0.0:8883; port 0 = ephemeral.
    pub mqtt_bind: SocketAddr,
    /// Module-to-module methods API (HTTPS); default 0.0.0.0:443.
    pub https_bind: SocketAddr,
    /// Admin API; default 127.0.0.1:15580.
    pub admin_bind: SocketAddr,
    /// Workload API socket; default {state_dir}/workload.sock.
    pub workload_socket: PathBuf,
    /// Re-authentication period of connected clients; default 5 min.
    pub reauth_interval: Duration,
    /// How routed messages are delivered to module inputs; default strict (edgeHub's way,
    /// 30 s ack timeout).
    pub delivery: DeliveryPolicy,
}

impl HubConfig {
    /// A configuration with the defaults above.
    pub fn new(manifest: Manifest, state_dir: PathBuf) -> Self {
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        HubConfig {
            manifest,
            workload_socket: state_dir.join("workload.sock"),
            state_dir,
            device_id: DEFAULT_DEVICE_ID.to_string(),
            iothub_host_name: DEFAULT_IOTHUB_HOST_NAME.to_string(),
            gateway_host_name: DEFAULT_GATEWAY_HOST_NAME.to_string(),
            mqtt_bind: SocketAddr::new(any, 8883),
            https_bind: SocketAddr::new(any, 443),
            admin_bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 15580),
            reauth_interval: DEFAULT_REAUTH_INTERVAL,
            delivery: DeliveryPolicy::default(),
        }
    }

    /// Defaults, but every listener on 127.0.0.1 with an ephemeral port (parallel tests).
    pub fn for_tests(manifest: Manifest, state_dir: PathBuf) -> Self {
        let ephemeral = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        HubConfig {
            mqtt_bind: ephemeral,
            https_bind: ephemeral,
            admin_bind: ephemeral,
            ..HubConfig::new(manifest, state_dir)
        }
    }

    /// `{state_dir}/hub.db`.
    pub fn database_path(&self) -> PathBuf {
        self.state_dir.join("hub.db")
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
        assert_eq!(c.mqtt_bind.to_string(), "0.0.0.0:8883");
        assert_eq!(c.https_bind.to_string(), "0.0.0.0:443");
        assert_eq!(c.admin_bind.to_string(), "127.0.0.1:15580");
        assert_eq!(c.workload_socket, PathBuf::from("/tmp/state/workload.sock"));
        assert_eq!(c.database_path(), PathBuf::from("/tmp/state/hub.db"));
        assert_eq!(c.reauth_interval, Duration::from_secs(300));
        assert!(c.delivery.is_strict());
        assert_eq!(c.delivery.ack_timeout, Duration::from_secs(30));

        let t = HubConfig::for_tests(Manifest::empty(), PathBuf::from("/tmp/s"));
        for addr in [t.mqtt_bind, t.https_bind, t.admin_bind] {
            assert_eq!(addr.to_string(), "127.0.0.1:0");
        }
        assert_eq!(t.workload_socket, PathBuf::from("/tmp/s/workload.sock"));
    }
}
