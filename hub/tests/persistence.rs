//! Durability against a crash: the hub binary runs as a child process, a sender streams
//! QoS 1 messages routed to a receiver, the hub is killed with SIGKILL mid-stream and
//! restarted on the same state directory and ports. Every message the hub had PUBACKed must
//! reach the receiver (duplicates allowed).

mod common;
#[path = "common/process.rs"]
#[allow(dead_code)]
mod process;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{output_topic, Creds, Event, Raw, DEVICE, WAIT};
use edgemodule::protocol::connection_string;
use process::{HubProcess, Ports};
use rumqttc::{ConnectReturnCode, Packet, QoS};

/// Messages the sender offers.
const MESSAGES: usize = 3000;
/// The hub is killed once this many have been acknowledged.
const KILL_AFTER: usize = 800;
/// Publishes in flight at once.
const WINDOW: usize = 64;

/// `serve` with the manifest and state directory on `ports` (0: the hub picks).
fn serve(manifest: &Path, state: &Path, ports: Ports) -> HubProcess {
    let mut command = Command::new(process::BIN);
    command
        .arg("serve")
        .arg("--manifest")
        .arg(manifest)
        .arg("--state")
        .arg(state)
        .args(["--log-level", "warn"]);
    HubProcess::serve(command, ports)
}

/// The module's credentials, from `edgemodule-hub env` (the admin API).
fn module_creds(module: &str, admin: SocketAddr, state: &Path) -> Creds {
    let out = process::cli(state)
        .args([
            "env",
            module,
            "--format",
            "dotenv",
            "--form",
            "connection-string",
        ])
        .args(["--admin", &admin.to_string()])
        .output()
        .expect("env command");
    let text = String::from_utf8_lossy(&out.stdout);
    let cs = text
        .lines()
        .find_map(|l| l.strip_prefix("EdgeHubConnectionString="))
        .map(|v| v.trim_matches(|c| c == '"' || c == '\''))
        .unwrap_or_else(|| panic!("no connection string in: {text}"));
    let cs = connection_string::parse(cs).expect("connection string");
    let key = cs.shared_access_key.expect("key");
    Creds::signed(&cs.host_name, DEVICE, module, &key, 3600)
}

fn index_of(payload: &[u8]) -> usize {
    std::str::from_utf8(payload)
        .ok()
        .and_then(|s| s.strip_prefix("msg-"))
        .and_then(|n| n.parse().ok())
        .expect("payload msg-N")
}

/// Receives and acknowledges until the connection closes; records every index seen.
async fn receive_until_closed(mut raw: Raw, seen: Arc<Mutex<HashSet<usize>>>) {
    loop {
        match raw.recv(Duration::from_secs(60)).await {
            Event::Packet(Packet::Publish(p)) => {
                seen.lock().unwrap().insert(index_of(&p.payload));
                raw.puback(p.pkid).await;
            }
            Event::Packet(_) => {}
            Event::Closed | Event::Timeout => return,
        }
    }
}

async fn connect(addr: SocketAddr, ca: &str, creds: &Creds) -> Raw {
    let (raw, ack) = Raw::connect(addr, ca, creds, false, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_a_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest: PathBuf = dir.path().join("deployment.json");
    std::fs::write(&manifest, common::routed_deployment()).expect("manifest");
    let state = dir.path().join("state");
    let mut hub = serve(&manifest, &state, Ports::default());
    let addr = hub.addr("mqtt");
    let ports = hub.ports();
    let ca = std::fs::read_to_string(state.join("certs").join("ca.pem")).expect("CA file");
    let sender_creds = module_creds("sender", hub.addr("admin"), &state);
    let receiver_creds = module_creds("receiver", hub.addr("admin"), &state);

    let mut receiver = connect(addr, &ca, &receiver_creds).await;
    receiver.subscribe_inputs("receiver").await;
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let receiving = tokio::spawn(receive_until_closed(receiver, seen.clone()));

    // Stream with a window of publishes in flight; kill the hub once enough were PUBACKed,
    // while more are on the wire.
    let mut sender = connect(addr, &ca, &sender_creds).await;
    let topic = output_topic("sender", "out1", &[]);
    let mut acked: HashSet<usize> = HashSet::new();
    let mut pkid_to_index = std::collections::HashMap::new();
    let mut next = 0usize;
    let mut killed = false;
    'stream: loop {
        while next < MESSAGES && pkid_to_index.len() < WINDOW {
            let pkid = sender
                .publish(&topic, format!("msg-{next}").as_bytes(), QoS::AtLeastOnce)
                .await;
            pkid_to_index.insert(pkid, next);
            next += 1;
        }
        match sender.recv(WAIT).await {
            Event::Packet(Packet::PubAck(ack)) => {
                if let Some(i) = pkid_to_index.remove(&ack.pkid) {
                    acked.insert(i);
                }
                if !killed && acked.len() >= KILL_AFTER {
                    hub.kill();
                    killed = true;
                }
            }
            Event::Packet(_) => {}
            Event::Closed => break 'stream,
            Event::Timeout => panic!("the hub stopped answering before it was killed"),
        }
        if next >= MESSAGES && pkid_to_index.is_empty() {
            break;
        }
    }
    assert!(killed, "the hub was killed mid-stream");
    assert!(acked.len() >= KILL_AFTER);
    assert!(
        acked.len() < MESSAGES,
        "some messages were still unacknowledged at the kill"
    );
    tokio::time::timeout(WAIT, receiving)
        .await
        .expect("receiver sees the close")
        .expect("receiver task");

    // Restart on the same state and ports; the receiver's session comes back.
    let _hub = serve(&manifest, &state, ports);
    let (receiver, ack) = Raw::connect(addr, &ca, &receiver_creds, false, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert!(ack.session_present, "the subscription survived the crash");
    let receiving = tokio::spawn(receive_until_closed(receiver, seen.clone()));
    let all_back = async {
        loop {
            let missing = acked
                .iter()
                .filter(|i| !seen.lock().unwrap().contains(*i))
                .count();
            if missing == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), all_back)
        .await
        .is_err()
    {
        let seen = seen.lock().unwrap();
        let mut missing: Vec<_> = acked
            .iter()
            .filter(|i| !seen.contains(*i))
            .copied()
            .collect();
        missing.sort_unstable();
        panic!(
            "{} acknowledged messages lost, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
    }
    receiving.abort();
}

#[tokio::test]
async fn a_graceful_in_process_restart_keeps_sessions_and_queued_messages() {
    let first = common::TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = first.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    receiver.disconnect().await;
    let (mut sender, _) = first.connect("sender", false).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"msg-1")
        .await;

    let mut config = first.hub.config().clone();
    config.mqtt_bind = first.hub.mqtt_addr();
    config.https_bind = first.hub.https_addr();
    config.admin_bind = first.hub.admin_addr();
    let ca = first.hub.trust_bundle_pem().to_string();
    let common::TestHub { hub, dir } = first;
    hub.shutdown().await;
    assert!(matches!(sender.recv(WAIT).await, Event::Closed));

    let hub = edgemodule_hub::hub::Hub::start(config)
        .await
        .expect("restart on the same ports");
    assert_eq!(hub.trust_bundle_pem(), ca, "same CA after a restart");
    let creds = Creds::for_module(&hub, "receiver", 3600);
    let (mut receiver, ack) = Raw::connect(hub.mqtt_addr(), &ca, &creds, false, 60).await;
    assert!(ack.session_present);
    assert_eq!(index_of(&receiver.receive_acked().await.payload), 1);
    hub.shutdown().await;
    drop(dir);
}

/// A port nobody listens on right now (this test checks that a failed start releases it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test]
async fn a_failed_start_releases_what_it_had_bound() {
    let running = common::TestHub::start(&common::routed_deployment()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = edgemodule_hub::manifest::parse(&common::routed_deployment()).expect("manifest");
    let mut config =
        edgemodule_hub::config::HubConfig::for_tests(manifest, dir.path().to_path_buf());
    let mqtt_port = free_port();
    config.mqtt_bind = SocketAddr::from(([127, 0, 0, 1], mqtt_port));
    // The admin port is taken by the running hub: the start fails after the broker bound.
    config.admin_bind = running.hub.admin_addr();
    assert!(edgemodule_hub::hub::Hub::start(config).await.is_err());
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", mqtt_port)).is_ok(),
        "the MQTT port was released"
    );
    running.stop().await;
}
