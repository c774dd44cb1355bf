//! Shared helpers for the hub's MQTT tests: a deployment builder, an in-process hub in a
//! temporary state directory, SAS credentials for its modules, and a raw MQTT 3.1.1 client
//! over real TLS (rumqttc's packet codec on a tokio-rustls stream) so tests can see every
//! packet, flag and close.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use edgemodule::protocol::{connection_string, mqtt_identity, property_bag, sas, topics};
use edgemodule_hub::config::HubConfig;
use edgemodule_hub::hub::{Hub, RunningHub};
use rumqttc::{
    ConnAck, Connect, Packet, PubAck, Publish, QoS, Subscribe, SubscribeFilter, SubscribeReasonCode,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Device id of every test hub.
pub const DEVICE: &str = "edge-device";
/// Bound for any single wait in these tests.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long "nothing arrives" is observed.
pub const QUIET: Duration = Duration::from_millis(500);

/// A deployment with `modules`, `routes` (name → route text) and, when given, an
/// `mqttBroker.authorizations` policy (schema 1.2).
pub fn deployment(
    modules: &[&str],
    routes: &[(&str, &str)],
    authorizations: Option<Value>,
) -> String {
    let modules: serde_json::Map<String, Value> = modules
        .iter()
        .map(|m| {
            (
                m.to_string(),
                json!({"type": "docker", "settings": {"image": format!("{m}:test")}}),
            )
        })
        .collect();
    let routes: serde_json::Map<String, Value> = routes
        .iter()
        .map(|(name, text)| (name.to_string(), Value::from(*text)))
        .collect();
    let mut hub = json!({
        "schemaVersion": "1.1",
        "routes": routes,
        "storeAndForwardConfiguration": {"timeToLiveSecs": 7200}
    });
    if let Some(a) = authorizations {
        hub["schemaVersion"] = json!("1.2");
        hub["mqttBroker"] = json!({ "authorizations": a });
    }
    json!({
        "modulesContent": {
            "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1", "modules": modules}},
            "$edgeHub": {"properties.desired": hub}
        }
    })
    .to_string()
}

/// The standard test deployment: `sender` output `out1` → `receiver` input `in1`,
/// `sender` output `up` → `$upstream`.
pub fn routed_deployment() -> String {
    deployment(
        &["sender", "receiver", "other"],
        &[
            (
                "toReceiver",
                "FROM /messages/modules/sender/outputs/out1 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in1\")",
            ),
            ("toUpstream", "FROM /messages/modules/sender/outputs/up INTO $upstream"),
        ],
        None,
    )
}

/// A running in-process hub and its state directory.
pub struct TestHub {
    /// The hub.
    pub hub: RunningHub,
    /// Keeps the state directory alive.
    pub dir: tempfile::TempDir,
}

impl TestHub {
    /// Starts a hub on 127.0.0.1 ephemeral ports for `deployment_json`.
    pub async fn start(deployment_json: &str) -> TestHub {
        TestHub::start_with(deployment_json, |_| {}).await
    }

    /// Same as `start`, with a chance to change the configuration first.
    pub async fn start_with(deployment_json: &str, tweak: impl FnOnce(&mut HubConfig)) -> TestHub {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = edgemodule_hub::manifest::parse(deployment_json).expect("manifest");
        let mut config = HubConfig::for_tests(manifest, dir.path().to_path_buf());
        tweak(&mut config);
        let hub = Hub::start(config).await.expect("hub starts");
        TestHub { hub, dir }
    }

    /// MQTT address.
    pub fn addr(&self) -> SocketAddr {
        self.hub.mqtt_addr()
    }

    /// Valid credentials for `module`.
    pub fn creds(&self, module: &str) -> Creds {
        Creds::for_module(&self.hub, module, 3600)
    }

    /// Connects `module` with a valid token and the given clean-session flag; asserts
    /// CONNACK 0.
    pub async fn connect(&self, module: &str, clean_session: bool) -> (Raw, ConnAck) {
        let (raw, ack) = Raw::connect(
            self.addr(),
            self.hub.trust_bundle_pem(),
            &self.creds(module),
            clean_session,
            60,
        )
        .await;
        assert_eq!(
            ack.code,
            rumqttc::ConnectReturnCode::Success,
            "CONNACK for {module}"
        );
        (raw, ack)
    }

    /// Stops the hub.
    pub async fn stop(self) {
        self.hub.shutdown().await;
    }
}

/// CONNECT credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    /// `{d}/{m}`.
    pub client_id: String,
    /// `{hub}/{d}/{m}/?api-version=…`.
    pub username: String,
    /// SAS token.
    pub password: String,
}

impl Creds {
    /// A token for `module` signed with its key from the hub, valid `ttl_secs` from now
    /// (negative = already expired).
    pub fn for_module(hub: &RunningHub, module: &str, ttl_secs: i64) -> Creds {
        let cs = hub.connection_string(module).expect("module exists");
        let cs = connection_string::parse(&cs).expect("connection string");
        let key = cs.shared_access_key.expect("key");
        Creds::signed(&cs.host_name, &cs.device_id, module, &key, ttl_secs)
    }

    /// A token for `{device}/{module}` signed with `key`.
    pub fn signed(host: &str, device: &str, module: &str, key: &str, ttl_secs: i64) -> Creds {
        let expiry = (now_unix() as i64 + ttl_secs).max(0) as u64;
        let uri = sas::resource_uri(host, device, Some(module));
        let signature = sas::sign(key, sas::string_to_sign(&uri, expiry).as_bytes()).expect("sign");
        Creds {
            client_id: mqtt_identity::client_id(device, Some(module)),
            username: mqtt_identity::username(
                host,
                device,
                Some(module),
                "edgemodule-hub-tests",
                None,
            ),
            password: sas::format_token(&uri, &signature, expiry),
        }
    }
}

/// Unix seconds now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A rustls client configuration trusting only `ca_pem`.
pub fn client_tls(ca_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA cert");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// The telemetry topic of `module` with output `output` and extra properties.
pub fn output_topic(module: &str, output: &str, props: &[(&str, &str)]) -> String {
    let pairs =
        std::iter::once(("$.on", Some(output))).chain(props.iter().map(|(k, v)| (*k, Some(*v))));
    topics::telemetry_topic(DEVICE, Some(module), &property_bag::encode(pairs))
}

/// What a read produced.
#[derive(Debug)]
pub enum Event {
    /// A packet.
    Packet(Packet),
    /// The server closed the connection (or it broke).
    Closed,
    /// Nothing within the time given.
    Timeout,
}

/// A raw MQTT 3.1.1 client over TLS.
pub struct Raw {
    stream: TlsStream<TcpStream>,
    rbuf: BytesMut,
    next_pkid: u16,
}

impl Raw {
    /// Opens TLS to `addr` verifying the server as "localhost" against `ca_pem`.
    pub async fn open(addr: SocketAddr, ca_pem: &str) -> Raw {
        let tcp = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .expect("connect in time")
            .expect("tcp connect");
        tcp.set_nodelay(true).expect("nodelay");
        let connector = tokio_rustls::TlsConnector::from(client_tls(ca_pem));
        let name = ServerName::try_from("localhost").expect("server name");
        let stream = tokio::time::timeout(WAIT, connector.connect(name, tcp))
            .await
            .expect("TLS in time")
            .expect("TLS handshake");
        Raw {
            stream,
            rbuf: BytesMut::with_capacity(64 * 1024),
            next_pkid: 0,
        }
    }

    /// Opens TLS, sends CONNECT, returns the CONNACK (panics if none arrives).
    pub async fn connect(
        addr: SocketAddr,
        ca_pem: &str,
        creds: &Creds,
        clean_session: bool,
        keep_alive: u16,
    ) -> (Raw, ConnAck) {
        let mut raw = Raw::open(addr, ca_pem).await;
        let mut connect = Connect::new(creds.client_id.clone());
        connect.clean_session = clean_session;
        connect.keep_alive = keep_alive;
        connect.set_login(creds.username.clone(), creds.password.clone());
        raw.send(Packet::Connect(connect)).await;
        match raw.recv(WAIT).await {
            Event::Packet(Packet::ConnAck(ack)) => (raw, ack),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    /// Writes one packet.
    pub async fn send(&mut self, packet: Packet) {
        let mut buf = BytesMut::new();
        packet.write(&mut buf, usize::MAX).expect("encode");
        self.send_bytes(&buf).await;
    }

    /// Writes raw bytes (e.g. several packets at once). Write errors are ignored: the
    /// server may already have closed the connection, which the next read reports.
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = tokio::time::timeout(WAIT, async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        })
        .await;
    }

    /// The next packet, or Closed/Timeout.
    pub async fn recv(&mut self, within: Duration) -> Event {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match Packet::read(&mut self.rbuf, usize::MAX) {
                Ok(p) => return Event::Packet(p),
                Err(rumqttc::Error::InsufficientBytes(_)) => {}
                Err(e) => panic!("malformed packet from the hub: {e}"),
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.rbuf)).await {
                Err(_) => return Event::Timeout,
                Ok(Ok(0)) | Ok(Err(_)) => return Event::Closed,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Reads until the server closes; returns the packets received before. Panics if the
    /// connection is still open after `WAIT`.
    pub async fn expect_closed(&mut self) -> Vec<Packet> {
        let mut seen = Vec::new();
        loop {
            match self.recv(WAIT).await {
                Event::Packet(p) => seen.push(p),
                Event::Closed => return seen,
                Event::Timeout => panic!("connection still open; received {seen:?}"),
            }
        }
    }

    /// A fresh packet id.
    pub fn pkid(&mut self) -> u16 {
        self.next_pkid = self.next_pkid.wrapping_add(1).max(1);
        self.next_pkid
    }

    /// Subscribes and returns the SUBACK return codes.
    pub async fn subscribe(&mut self, filters: &[(&str, QoS)]) -> Vec<SubscribeReasonCode> {
        let mut sub = Subscribe::new_many(
            filters
                .iter()
                .map(|(f, q)| SubscribeFilter::new(f.to_string(), *q)),
        );
        sub.pkid = self.pkid();
        let pkid = sub.pkid;
        self.send(Packet::Subscribe(sub)).await;
        loop {
            match self.recv(WAIT).await {
                Event::Packet(Packet::SubAck(ack)) if ack.pkid == pkid => return ack.return_codes,
                Event::Packet(_) => {}
                other => panic!("expected SUBACK, got {other:?}"),
            }
        }
    }

    /// Subscribes to the module's own inputs (`devices/{d}/modules/{m}/inputs/#`, QoS 1).
    pub async fn subscribe_inputs(&mut self, module: &str) {
        let codes = self
            .subscribe(&[(&topics::inputs_filter(DEVICE, module), QoS::AtLeastOnce)])
            .await;
        assert_eq!(codes, vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)]);
    }

    /// Sends a PUBLISH; returns its packet id (0 for QoS 0).
    pub async fn publish(&mut self, topic: &str, payload: &[u8], qos: QoS) -> u16 {
        let mut p = Publish::new(topic, qos, payload.to_vec());
        if qos != QoS::AtMostOnce {
            p.pkid = self.pkid();
        }
        let pkid = p.pkid;
        self.send(Packet::Publish(p)).await;
        pkid
    }

    /// Publishes at QoS 1 and waits for its PUBACK (panics otherwise).
    pub async fn publish_acked(&mut self, topic: &str, payload: &[u8]) {
        let pkid = self.publish(topic, payload, QoS::AtLeastOnce).await;
        loop {
            match self.recv(WAIT).await {
                Event::Packet(Packet::PubAck(ack)) if ack.pkid == pkid => return,
                Event::Packet(_) => {}
                other => panic!("expected PUBACK {pkid}, got {other:?}"),
            }
        }
    }

    /// The next PUBLISH within `within` (other packets are skipped); `None` on timeout.
    pub async fn next_publish(&mut self, within: Duration) -> Option<Publish> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv(left).await {
                Event::Packet(Packet::Publish(p)) => return Some(p),
                Event::Packet(_) => {}
                Event::Timeout => return None,
                Event::Closed => panic!("connection closed while waiting for a PUBLISH"),
            }
        }
    }

    /// Acknowledges a QoS 1 delivery.
    pub async fn puback(&mut self, pkid: u16) {
        self.send(Packet::PubAck(PubAck::new(pkid))).await;
    }

    /// Receives one delivery (panics if none arrives) and acknowledges it.
    pub async fn receive_acked(&mut self) -> Publish {
        let p = self.next_publish(WAIT).await.expect("a delivery");
        if p.qos == QoS::AtLeastOnce {
            self.puback(p.pkid).await;
        }
        p
    }

    /// Sends DISCONNECT and closes.
    pub async fn disconnect(mut self) {
        self.send(Packet::Disconnect).await;
        let _ = tokio::time::timeout(WAIT, self.stream.shutdown()).await;
    }
}
