//! Bad CONNECTs: stolen or forged identities (another module's client id, a key that is not
//! the module's, a token for another resource), expired and malformed SAS tokens, other
//! protocol versions, CONNECT flag violations, and clients that never finish connecting.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use edgemodule::protocol::{mqtt_identity, sas};
use rumqttc::{ConnectReturnCode, Packet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{now_unix, Creds, Event, Raw, DEVICE, WAIT};
use crate::harness::{closed_within, Tally};
use crate::hubproc::{HubProc, HOST};

const GROUP: &str = "connect";
const RANDOM_KEY: &str = "UmFuZG9tS2V5VGhhdElzTm90QW55TW9kdWxlc0tleSE=";

/// A token for `resource` signed with `key`, valid `ttl` seconds.
fn token(resource: &str, key: &str, ttl: i64) -> String {
    let expiry = (now_unix() as i64 + ttl).max(0) as u64;
    let signature = sas::sign(key, sas::string_to_sign(resource, expiry).as_bytes()).expect("sign");
    sas::format_token(resource, &signature, expiry)
}

fn creds(client_id: &str, user_module: &str, password: String) -> Creds {
    Creds {
        client_id: client_id.to_string(),
        username: mqtt_identity::username(HOST, DEVICE, Some(user_module), "attacks", None),
        password,
    }
}

/// CONNECT with `creds`; refused = a non-zero CONNACK or a close without CONNACK 0.
async fn refused(hub: &HubProc, creds: &Creds) -> (bool, String) {
    let mut raw = Raw::open(hub.mqtt, &hub.ca_pem).await;
    let mut connect = rumqttc::Connect::new(creds.client_id.clone());
    connect.keep_alive = 30;
    connect.set_login(creds.username.clone(), creds.password.clone());
    raw.send(Packet::Connect(connect)).await;
    match raw.recv(WAIT).await {
        Event::Packet(Packet::ConnAck(ack)) if ack.code == ConnectReturnCode::Success => {
            (false, "CONNACK 0".into())
        }
        other => (true, format!("{other:?}")),
    }
}

/// Raw CONNECT bytes; refused = closed without a CONNACK 0.
async fn raw_refused(hub: &HubProc, bytes: &[u8]) -> (bool, String) {
    let mut raw = Raw::open(hub.mqtt, &hub.ca_pem).await;
    raw.send_bytes(bytes).await;
    match closed_within(&mut raw, WAIT).await {
        Some(seen) => {
            let accepted = seen
                .iter()
                .any(|p| matches!(p, Packet::ConnAck(a) if a.code == ConnectReturnCode::Success));
            (!accepted, format!("closed after {seen:?}"))
        }
        None => (false, "still open".into()),
    }
}

/// A CONNECT encoded by rumqttc with `protocol_level` and connect-flags byte `flags`.
fn connect_bytes(hub: &HubProc, protocol_level: u8, flags: Option<u8>) -> Vec<u8> {
    let c = hub.creds("mallory", 3600);
    let mut connect = rumqttc::Connect::new(c.client_id);
    connect.set_login(c.username, c.password);
    let mut buf = BytesMut::new();
    Packet::Connect(connect)
        .write(&mut buf, usize::MAX)
        .expect("encode");
    let header = if buf[1] & 0x80 != 0 {
        if buf[2] & 0x80 != 0 {
            4
        } else {
            3
        }
    } else {
        2
    };
    buf[header + 6] = protocol_level;
    if let Some(flags) = flags {
        buf[header + 7] = flags;
    }
    buf.to_vec()
}

pub async fn run(hub: &HubProc, t: &mut Tally) {
    // Slow clients run in the background: no TLS at all, and TLS but no CONNECT.
    let silent_tcp = tokio::spawn(closed_after(hub.mqtt, false, hub.ca_pem.clone()));
    let silent_tls = tokio::spawn(closed_after(hub.mqtt, true, hub.ca_pem.clone()));

    let mallory_key = hub.key("mallory");
    let receiver_client = format!("{DEVICE}/receiver");
    let mallory_client = format!("{DEVICE}/mallory");
    let receiver_resource = sas::resource_uri(HOST, DEVICE, Some("receiver"));
    let mallory_resource = sas::resource_uri(HOST, DEVICE, Some("mallory"));
    let valid_mallory = token(&mallory_resource, &mallory_key, 3600);
    let cases: Vec<(&str, Creds)> = vec![
        (
            "client-id theft: receiver's id, mallory's valid token",
            creds(&receiver_client, "mallory", valid_mallory.clone()),
        ),
        (
            "client-id theft: receiver's id and name, mallory's valid token",
            creds(&receiver_client, "receiver", valid_mallory.clone()),
        ),
        (
            "receiver's resource signed with mallory's key",
            creds(
                &receiver_client,
                "receiver",
                token(&receiver_resource, &mallory_key, 3600),
            ),
        ),
        (
            "receiver's resource signed with a random key",
            creds(
                &receiver_client,
                "receiver",
                token(&receiver_resource, RANDOM_KEY, 3600),
            ),
        ),
        (
            "mallory's id with the receiver's name in the user name",
            creds(&mallory_client, "receiver", valid_mallory.clone()),
        ),
        (
            "expired token (beyond the 5-minute skew)",
            creds(
                &mallory_client,
                "mallory",
                token(&mallory_resource, &mallory_key, -400),
            ),
        ),
        (
            "token for another IoT hub",
            creds(
                &mallory_client,
                "mallory",
                token(
                    &format!("evil.azure-devices.net/devices/{DEVICE}/modules/mallory"),
                    &mallory_key,
                    3600,
                ),
            ),
        ),
        (
            "device-scoped token",
            creds(
                &mallory_client,
                "mallory",
                token(&sas::resource_uri(HOST, DEVICE, None), &mallory_key, 3600),
            ),
        ),
        (
            "token for another device",
            creds(
                &mallory_client,
                "mallory",
                token(
                    &sas::resource_uri(HOST, "other-device", Some("mallory")),
                    &mallory_key,
                    3600,
                ),
            ),
        ),
        (
            "unknown module",
            creds(
                &format!("{DEVICE}/ghost"),
                "ghost",
                token(
                    &sas::resource_uri(HOST, DEVICE, Some("ghost")),
                    RANDOM_KEY,
                    3600,
                ),
            ),
        ),
        (
            "malformed SAS: garbage",
            creds(&mallory_client, "mallory", "garbage".into()),
        ),
        (
            "malformed SAS: no signature",
            creds(
                &mallory_client,
                "mallory",
                format!("SharedAccessSignature sr={mallory_resource}&se=9999999999"),
            ),
        ),
        (
            "malformed SAS: non-numeric expiry",
            creds(
                &mallory_client,
                "mallory",
                format!("SharedAccessSignature sr={mallory_resource}&sig=c2ln&se=soon"),
            ),
        ),
        (
            "malformed SAS: signature cut short",
            creds(
                &mallory_client,
                "mallory",
                valid_mallory.replacen("sig=", "sig=AA", 1),
            ),
        ),
        (
            "empty password",
            creds(&mallory_client, "mallory", String::new()),
        ),
        (
            "device identity instead of a module",
            Creds {
                client_id: DEVICE.to_string(),
                username: mqtt_identity::username(HOST, DEVICE, None, "attacks", None),
                password: token(&sas::resource_uri(HOST, DEVICE, None), &mallory_key, 3600),
            },
        ),
        (
            "malformed user name",
            Creds {
                client_id: mallory_client.clone(),
                username: "no-api-version".into(),
                password: valid_mallory.clone(),
            },
        ),
    ];
    for (name, c) in &cases {
        let (refused, detail) = refused(hub, c).await;
        t.attack(GROUP, name, refused, detail);
    }

    for (name, bytes) in [
        ("MQTT 3.1 (protocol level 3)", connect_bytes(hub, 3, None)),
        ("MQTT 5 (protocol level 5)", connect_bytes(hub, 5, None)),
        (
            "CONNECT with the reserved flag set",
            connect_bytes(hub, 4, Some(0xC3)),
        ),
        (
            "CONNECT with will QoS but no will",
            connect_bytes(hub, 4, Some(0xCA)),
        ),
        (
            "CONNECT with a password but no user name",
            connect_bytes(hub, 4, Some(0x42)),
        ),
        ("first packet is not CONNECT", vec![0xC0, 0x00]),
        (
            "CONNECT with a 5-byte remaining length",
            vec![0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        ),
    ] {
        let (refused, detail) = raw_refused(hub, &bytes).await;
        t.attack(GROUP, name, refused, detail);
    }

    // A second CONNECT on an accepted connection.
    let mut raw = hub.connect("mallory", true).await;
    let c = hub.creds("mallory", 3600);
    let mut again = rumqttc::Connect::new(c.client_id);
    again.set_login(c.username, c.password);
    raw.send(Packet::Connect(again)).await;
    let closed = closed_within(&mut raw, WAIT).await;
    t.attack(
        GROUP,
        "second CONNECT on a connection",
        closed.is_some(),
        format!("{closed:?}"),
    );

    for (name, task) in [
        ("TCP without TLS held open", silent_tcp),
        ("TLS without CONNECT held open", silent_tls),
    ] {
        let outcome = task.await.unwrap_or(None);
        let refused = outcome.is_some_and(|d| d < Duration::from_secs(15));
        t.attack(
            GROUP,
            name,
            refused,
            format!("closed after {outcome:?} (limit 10 s)"),
        );
    }
}

/// Opens a connection that sends nothing after (optionally) the TLS handshake; returns how
/// long the hub kept it open (None: still open after 30 s).
async fn closed_after(addr: std::net::SocketAddr, tls: bool, ca: String) -> Option<Duration> {
    let start = Instant::now();
    if tls {
        let mut raw = Raw::open(addr, &ca).await;
        return match raw.recv(Duration::from_secs(30)).await {
            Event::Closed => Some(start.elapsed()),
            _ => None,
        };
    }
    let mut tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = tcp.flush().await;
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut buf)).await {
        Ok(_) => Some(start.elapsed()),
        Err(_) => None,
    }
}
