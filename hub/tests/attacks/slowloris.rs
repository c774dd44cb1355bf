//! Slow and idle clients on the HTTPS methods API and the workload sockets (defect 2):
//! connections beyond the cap are closed at once, slow ones within the header-read
//! timeout, and MQTT and the other sockets keep working meanwhile — also under the 512
//! file-descriptor limit of the original report.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::common::client_tls;
use crate::harness::{mqtt_route, workload_sign, Tally};
use crate::hubproc::HubProc;

const GROUP: &str = "slowloris";
/// The header-read timeout is 10 s; a slow connection must be gone by then plus a margin.
const HOLD_LIMIT: Duration = Duration::from_secs(16);
const HTTPS_CAP: usize = 256;
const WORKLOAD_CAP: usize = 32;

pub async fn run(hub: &HubProc, t: &mut Tally) {
    https_slowloris(hub, t).await;
    https_slow_body(hub, t).await;
    workload_slowloris(hub, t).await;
}

/// How one slow connection ended: `None` if the hub never accepted it (TLS failed at once),
/// or how long the hub kept it.
type Held = Option<Duration>;

/// Opens a TLS connection to the methods API, sends a request head a header line at a time
/// (every 2 s, never finishing) and returns how long the hub kept it open.
async fn slow_https(addr: std::net::SocketAddr, ca: String) -> Held {
    let start = Instant::now();
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let connector = tokio_rustls::TlsConnector::from(client_tls(&ca));
    let name = ServerName::try_from("localhost").ok()?;
    let mut tls = tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp))
        .await
        .ok()?
        .ok()?;
    let _ = tls
        .write_all(b"POST /twins/edge-device/modules/receiver/methods HTTP/1.1\r\nHost: x\r\n")
        .await;
    dribble(&mut tls, start).await
}

/// Writes a header line every 2 s until the peer closes; returns when it did.
async fn dribble<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    start: Instant,
) -> Held {
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            // An answer (e.g. 408) also ends it.
            Ok(Ok(_)) => return Some(start.elapsed()),
            Err(_) => {}
        }
        if start.elapsed() > Duration::from_secs(40) {
            return Some(start.elapsed());
        }
        if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
            return Some(start.elapsed());
        }
    }
}

async fn https_slowloris(hub: &HubProc, t: &mut Tally) {
    let attackers = HTTPS_CAP + 44;
    let mut slow = JoinSet::new();
    for _ in 0..attackers {
        slow.spawn(slow_https(hub.https, hub.ca_pem.clone()));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Meanwhile, modules keep working over MQTT and the workload socket.
    let mqtt = mqtt_route(hub).await.map(drop);
    t.attack(
        GROUP,
        "HTTPS slowloris starves MQTT",
        mqtt.is_ok(),
        format!("{mqtt:?}"),
    );
    let workload = workload_sign(hub).await;
    t.attack(
        GROUP,
        "HTTPS slowloris starves the workload API",
        workload.is_ok(),
        format!("{workload:?}"),
    );
    let mut accepted = 0;
    let mut longest = Duration::ZERO;
    while let Some(held) = slow.join_next().await {
        if let Ok(Some(held)) = held {
            if held > Duration::from_secs(1) {
                accepted += 1;
            }
            longest = longest.max(held);
        }
    }
    println!(
        "  [{GROUP}] HTTPS: {attackers} slow clients, {accepted} held longer than 1 s, the longest {:.1} s",
        longest.as_secs_f64()
    );
    t.attack(
        GROUP,
        &format!("{attackers} slow HTTPS connections: more than {HTTPS_CAP} accepted"),
        accepted <= HTTPS_CAP,
        format!("{accepted} held longer than 1 s"),
    );
    t.attack(
        GROUP,
        "a slow HTTPS request head held past the header timeout",
        longest <= HOLD_LIMIT,
        format!(
            "longest {:.1} s (limit {} s)",
            longest.as_secs_f64(),
            HOLD_LIMIT.as_secs()
        ),
    );
}

/// Complete, authenticated headers, then a body one byte every 2 s.
async fn https_slow_body(hub: &HubProc, t: &mut Tally) {
    let start = Instant::now();
    let outcome = async {
        let tcp = tokio::net::TcpStream::connect(hub.https).await.ok()?;
        let connector = tokio_rustls::TlsConnector::from(client_tls(&hub.ca_pem));
        let mut tls = connector.connect(ServerName::try_from("localhost").ok()?, tcp).await.ok()?;
        let head = format!(
            "POST /twins/edge-device/modules/receiver/methods HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nx-ms-edge-moduleId: edge-device/sender\r\nContent-Length: 100\r\n\r\n{{",
            hub.creds("sender", 3600).password
        );
        tls.write_all(head.as_bytes()).await.ok()?;
        let mut buf = [0u8; 512];
        loop {
            match tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Some("closed".to_string()),
                Ok(Ok(n)) => return Some(String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_string()),
                Err(_) if start.elapsed() > Duration::from_secs(40) => return None,
                Err(_) => {
                    if tls.write_all(b" ").await.is_err() {
                        return Some("closed".to_string());
                    }
                }
            }
        }
    }
    .await;
    let held = start.elapsed();
    t.attack(
        GROUP,
        "a body sent one byte at a time holds the connection",
        outcome.is_some() && held <= HOLD_LIMIT,
        format!("{outcome:?} after {:.1} s", held.as_secs_f64()),
    );
}

/// Opens a workload connection that sends a request head slowly; how long it was kept.
async fn slow_workload(socket: PathBuf) -> Held {
    let start = Instant::now();
    let mut stream = tokio::net::UnixStream::connect(&socket).await.ok()?;
    let _ = stream
        .write_all(b"POST /modules/mallory/genid/1/sign?api-version=1 HTTP/1.1\r\n")
        .await;
    dribble(&mut stream, start).await
}

async fn workload_slowloris(hub: &HubProc, t: &mut Tally) {
    let attackers = WORKLOAD_CAP + 16;
    let mut slow = JoinSet::new();
    for _ in 0..attackers {
        slow.spawn(slow_workload(hub.socket("mallory")));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let other = workload_sign(hub).await;
    t.attack(
        GROUP,
        "slowloris on mallory's workload socket starves the receiver's",
        other.is_ok(),
        format!("{other:?}"),
    );
    let mut accepted = 0;
    let mut longest = Duration::ZERO;
    while let Some(held) = slow.join_next().await {
        if let Ok(Some(held)) = held {
            if held > Duration::from_secs(1) {
                accepted += 1;
            }
            longest = longest.max(held);
        }
    }
    println!(
        "  [{GROUP}] workload: {attackers} slow clients, {accepted} held longer than 1 s, the longest {:.1} s",
        longest.as_secs_f64()
    );
    t.attack(
        GROUP,
        &format!("{attackers} slow workload connections: more than {WORKLOAD_CAP} accepted"),
        accepted <= WORKLOAD_CAP,
        format!("{accepted} held longer than 1 s"),
    );
    t.attack(
        GROUP,
        "a slow workload request head held past the header timeout",
        longest <= HOLD_LIMIT,
        format!("longest {:.1} s", longest.as_secs_f64()),
    );
    let (status, _) = hub
        .workload(
            &hub.socket("mallory"),
            "GET",
            "/trust-bundle?api-version=1",
            "",
        )
        .await;
    t.check(
        GROUP,
        "mallory's workload socket serves again after the attack",
        status == 200,
        status,
    );
}

/// The original report: 492 half-open HTTPS connections under a 512-descriptor limit made
/// MQTT TLS handshakes and the workload API time out.
pub async fn fd_limit(t: &mut Tally) {
    const G: &str = "fd-limit";
    println!("[{G}] (own hub under ulimit -n 512)");
    let hub = HubProc::start(&crate::main_manifest(), Some(512));
    let mut half_open = Vec::new();
    for _ in 0..492 {
        match tokio::net::TcpStream::connect(hub.https).await {
            Ok(s) => half_open.push(s),
            Err(e) => {
                t.check(G, "open 492 connections", false, e);
                break;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mqtt = mqtt_route(&hub).await.map(drop);
    t.attack(
        G,
        "492 half-open HTTPS connections starve MQTT",
        mqtt.is_ok(),
        format!("{mqtt:?}"),
    );
    let workload = workload_sign(&hub).await;
    t.attack(
        G,
        "492 half-open HTTPS connections starve the workload API",
        workload.is_ok(),
        format!("{workload:?}"),
    );
    // The half-open ones are closed by the TLS handshake timeout (10 s) or at once over the cap.
    let start = Instant::now();
    let mut still_open = 0;
    for mut s in half_open {
        let left = HOLD_LIMIT.saturating_sub(start.elapsed());
        let mut b = [0u8; 1];
        if tokio::time::timeout(left, s.read(&mut b)).await.is_err() {
            still_open += 1;
        }
    }
    println!("  [{G}] 492 half-open HTTPS connections: MQTT {mqtt:?}, workload {workload:?}, {still_open} still open after {} s", HOLD_LIMIT.as_secs());
    t.attack(
        G,
        "half-open HTTPS connections held past the handshake timeout",
        still_open == 0,
        format!("{still_open} still open"),
    );
    t.still_serves(G, &hub).await;
}
