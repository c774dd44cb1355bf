//! Slow subscribers on user topics (defects 3 and 4), on a hub of their own whose memory is
//! read from /proc/<pid>/status: four subscribers that never read, sent 200 KiB messages,
//! must not take the hub over 200 MB; a QoS 1 publish is PUBACKed only when every live
//! subscriber got it; a subscriber that pauses loses nothing; QoS 0 overflow is counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rumqttc::{Packet, Publish, QoS};
use rustls_pki_types::ServerName;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::common::{client_tls, deployment, Event, Raw};
use crate::harness::Tally;
use crate::hubproc::HubProc;

const GROUP: &str = "memory";
const BIG: usize = 200 * 1024;
const BIG_COUNT: u32 = 1500;
const RSS_LIMIT_KIB: u64 = 200 * 1024;

fn manifest() -> String {
    let subs = ["sub1", "sub2", "sub3", "sub4", "reader"];
    let mut modules = vec!["publisher", "slow", "zero"];
    modules.extend(subs);
    let policy = json!([
        {"identities": ["{{iot:identity}}"], "allow": [{"operations": ["mqtt:connect"]}]},
        {"identities": ["localhub.azure-devices.net/edge-device/publisher"],
         "allow": [{"operations": ["mqtt:publish"], "resources": ["bulk/#", "slow/#", "zero/#"]}]},
        {"identities": subs.iter().map(|s| format!("localhub.azure-devices.net/edge-device/{s}")).collect::<Vec<_>>(),
         "allow": [{"operations": ["mqtt:subscribe"], "resources": ["bulk/#"]}]},
        {"identities": ["localhub.azure-devices.net/edge-device/slow"],
         "allow": [{"operations": ["mqtt:subscribe"], "resources": ["slow/#"]}]},
        {"identities": ["localhub.azure-devices.net/edge-device/zero"],
         "allow": [{"operations": ["mqtt:subscribe"], "resources": ["zero/#"]}]}
    ]);
    deployment(
        &modules,
        &[("up", "FROM /messages/* INTO $upstream")],
        Some(policy),
    )
}

pub async fn run(t: &mut Tally) {
    println!("[{GROUP}] (own hub)");
    let hub = HubProc::start(&manifest(), None);
    non_reading_subscribers(&hub, t).await;
    pausing_subscriber(&hub, t).await;
    qos0_overflow(&hub, t).await;
    t.still_serves_without_routes(GROUP, &hub).await;
}

/// Peak VmRSS of `pid` sampled every 50 ms until `stop`.
fn sample_rss(
    pid: u32,
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak.fetch_max(kib, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

async fn non_reading_subscribers(hub: &HubProc, t: &mut Tally) {
    let mut idle = Vec::new();
    for i in 1..=4 {
        let mut s = hub.connect(&format!("sub{i}"), true).await;
        s.subscribe(&[("bulk/#", QoS::AtLeastOnce)]).await;
        idle.push(s);
    }
    let mut reader = hub.connect("reader", true).await;
    reader.subscribe(&[("bulk/#", QoS::AtLeastOnce)]).await;
    let reading = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < BIG_COUNT as usize {
            match reader.next_publish(Duration::from_secs(40)).await {
                Some(p) => {
                    if p.qos == QoS::AtLeastOnce {
                        reader.puback(p.pkid).await;
                    }
                    seen.push(u32::from_be_bytes(
                        p.payload[..4].try_into().unwrap_or_default(),
                    ));
                }
                None => break,
            }
        }
        seen
    });
    let (stop, peak) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let sampler = sample_rss(hub.pid(), stop.clone(), peak.clone());
    let started = Instant::now();
    let acked = publish_pipelined(hub, "bulk/data", BIG_COUNT, BIG, QoS::AtLeastOnce, 100).await;
    let publish_time = started.elapsed();
    let received = reading.await.unwrap_or_default();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let (_, hwm) = hub.memory_kib();
    let peak = peak.load(Ordering::Relaxed).max(hwm);
    println!(
        "  [{GROUP}] {BIG_COUNT} × 200 KiB to 4 non-reading subscribers + 1 reader: peak RSS {:.1} MB (VmHWM {:.1} MB), publishing took {:.1} s",
        peak as f64 / 1024.0,
        hwm as f64 / 1024.0,
        publish_time.as_secs_f64()
    );
    t.attack(
        GROUP,
        "four non-reading subscribers of 200 KiB messages push the hub over 200 MB",
        peak < RSS_LIMIT_KIB,
        format!("peak RSS {} KiB", peak),
    );
    t.check(
        GROUP,
        "every 200 KiB message PUBACKed",
        acked.len() == BIG_COUNT as usize,
        format!("{} of {BIG_COUNT}", acked.len()),
    );
    let missing: Vec<u32> = acked
        .iter()
        .copied()
        .filter(|s| !received.contains(s))
        .take(5)
        .collect();
    t.attack(
        GROUP,
        "a PUBACKed message did not reach a live subscriber",
        missing.is_empty() && !acked.is_empty(),
        format!("missing e.g. {missing:?}; reader got {}", received.len()),
    );
    // The non-readers were disconnected rather than silently starved.
    let mut disconnected = 0;
    for mut s in idle {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            match s
                .recv(until.saturating_duration_since(Instant::now()))
                .await
            {
                Event::Packet(_) => {}
                Event::Closed => {
                    disconnected += 1;
                    break;
                }
                Event::Timeout => break,
            }
        }
    }
    t.check(
        GROUP,
        "the non-reading subscribers were disconnected",
        disconnected == 4,
        format!("{disconnected} of 4"),
    );
    let (_, health) = hub.admin("GET", "/health", "").await;
    let drops = health["userTopicDrops"].as_u64().unwrap_or(0);
    t.check(
        GROUP,
        "drops of the disconnected subscribers are counted",
        drops > 0,
        format!("userTopicDrops {drops}"),
    );
}

/// Defect 3: one subscriber stops reading for 3 s while 1,500 messages are published.
async fn pausing_subscriber(hub: &HubProc, t: &mut Tally) {
    let (_, before) = hub.admin("GET", "/health", "").await;
    let mut slow = hub.connect("slow", true).await;
    slow.subscribe(&[("slow/#", QoS::AtLeastOnce)]).await;
    let count = 1500u32;
    let publishing = {
        let (addr, ca, creds) = (hub.mqtt, hub.ca_pem.clone(), hub.creds("publisher", 3600));
        tokio::spawn(async move {
            publish_with(
                addr,
                &ca,
                &creds,
                "slow/x",
                count,
                100,
                QoS::AtLeastOnce,
                100,
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut got = Vec::new();
    while got.len() < count as usize {
        match slow.next_publish(Duration::from_secs(20)).await {
            Some(p) => {
                slow.puback(p.pkid).await;
                got.push(u32::from_be_bytes(
                    p.payload[..4].try_into().unwrap_or_default(),
                ));
            }
            None => break,
        }
    }
    let acked = publishing.await.unwrap_or_default();
    let in_order = got.windows(2).all(|w| w[0] < w[1]);
    t.attack(
        GROUP,
        "messages PUBACKed and then dropped for a subscriber that paused 3 s",
        got.len() == count as usize && in_order,
        format!("{} of {count} delivered, in order: {in_order}", got.len()),
    );
    t.check(
        GROUP,
        "the publisher got every PUBACK",
        acked.len() == count as usize,
        acked.len(),
    );
    let (_, after) = hub.admin("GET", "/health", "").await;
    t.check(
        GROUP,
        "nothing counted as dropped",
        before["userTopicDrops"] == after["userTopicDrops"],
        format!("{} → {}", before["userTopicDrops"], after["userTopicDrops"]),
    );
    slow.disconnect().await;
}

/// QoS 0 to a subscriber that does not read: dropped and counted, and the publisher is
/// never held up.
async fn qos0_overflow(hub: &HubProc, t: &mut Tally) {
    let (_, before) = hub.admin("GET", "/health", "").await;
    let mut zero = hub.connect("zero", true).await;
    zero.subscribe(&[("zero/#", QoS::AtMostOnce)]).await;
    let started = Instant::now();
    let mut publisher = hub.connect("publisher", true).await;
    let payload = vec![7u8; 8 * 1024];
    for _ in 0..3000 {
        publisher.publish("zero/x", &payload, QoS::AtMostOnce).await;
    }
    publisher.send(Packet::PingReq).await;
    let pong = matches!(
        publisher.recv(Duration::from_secs(10)).await,
        Event::Packet(Packet::PingResp)
    );
    t.check(
        GROUP,
        "a QoS 0 publisher is not held up by a full queue",
        pong && started.elapsed() < Duration::from_secs(15),
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    let (_, after) = hub.admin("GET", "/health", "").await;
    let dropped = after["userTopicDrops"].as_u64().unwrap_or(0)
        - before["userTopicDrops"].as_u64().unwrap_or(0);
    t.check(
        GROUP,
        "QoS 0 overflow is counted",
        dropped > 0,
        format!("{dropped} dropped"),
    );
    drop(zero);
    publisher.disconnect().await;
}

/// Publishes `count` messages of `size` bytes (the first 4 bytes are the sequence number)
/// as `publisher` with up to `window` unacknowledged; returns the sequence numbers PUBACKed.
async fn publish_pipelined(
    hub: &HubProc,
    topic: &str,
    count: u32,
    size: usize,
    qos: QoS,
    window: usize,
) -> Vec<u32> {
    publish_with(
        hub.mqtt,
        &hub.ca_pem,
        &hub.creds("publisher", 3600),
        topic,
        count,
        size,
        qos,
        window,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn publish_with(
    addr: std::net::SocketAddr,
    ca: &str,
    creds: &crate::common::Creds,
    topic: &str,
    count: u32,
    size: usize,
    qos: QoS,
    window: usize,
) -> Vec<u32> {
    let Ok(tcp) = tokio::net::TcpStream::connect(addr).await else {
        return Vec::new();
    };
    let connector = tokio_rustls::TlsConnector::from(client_tls(ca));
    let Ok(mut tls) = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
    else {
        return Vec::new();
    };
    let mut connect = rumqttc::Connect::new(creds.client_id.clone());
    connect.keep_alive = 120;
    connect.set_login(creds.username.clone(), creds.password.clone());
    let mut buf = BytesMut::new();
    let _ = Packet::Connect(connect).write(&mut buf, usize::MAX);
    if tls.write_all(&buf).await.is_err() {
        return Vec::new();
    }
    let (mut rd, mut wr) = tokio::io::split(tls);
    let permits = Arc::new(Semaphore::new(window));
    let writer = {
        let permits = permits.clone();
        let topic = topic.to_string();
        tokio::spawn(async move {
            for seq in 0..count {
                let Ok(permit) = permits.acquire().await else {
                    return;
                };
                permit.forget();
                let mut payload = vec![0u8; size.max(4)];
                payload[..4].copy_from_slice(&seq.to_be_bytes());
                let mut p = Publish::new(topic.as_str(), qos, payload);
                p.pkid = (seq % 65_000 + 1) as u16;
                let mut out = BytesMut::new();
                let _ = Packet::Publish(p).write(&mut out, usize::MAX);
                if wr.write_all(&out).await.is_err() {
                    return;
                }
            }
            // Keep the write half (and the connection) open until the reader is done.
            let _ = permits.acquire_many(window as u32).await;
            drop(wr);
        })
    };
    let mut pending: HashMap<u16, u32> = (0..count).map(|s| ((s % 65_000 + 1) as u16, s)).collect();
    let mut acked = Vec::new();
    let mut rbuf = BytesMut::with_capacity(64 * 1024);
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.len() < count as usize {
        match Packet::read(&mut rbuf, usize::MAX) {
            Ok(Packet::PubAck(ack)) => {
                if let Some(seq) = pending.remove(&ack.pkid) {
                    acked.push(seq);
                }
                permits.add_permits(1);
                continue;
            }
            Ok(_) => continue,
            Err(rumqttc::Error::InsufficientBytes(_)) => {}
            Err(_) => break,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rd.read_buf(&mut rbuf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => break,
        }
        if qos == QoS::AtMostOnce {
            break;
        }
    }
    permits.add_permits(window);
    let _ = writer.await;
    acked
}

impl Tally {
    /// `still_serves` for a hub without the sender → receiver route: MQTT connect, admin.
    pub async fn still_serves_without_routes(&mut self, group: &str, hub: &HubProc) {
        let mut raw = Raw::connect(hub.mqtt, &hub.ca_pem, &hub.creds("reader", 3600), true, 30)
            .await
            .0;
        raw.send(Packet::PingReq).await;
        let pong = matches!(
            raw.recv(Duration::from_secs(10)).await,
            Event::Packet(Packet::PingResp)
        );
        let (status, _) = hub.admin("GET", "/health", "").await;
        self.check(
            group,
            "the hub still serves a well-behaved client (MQTT, admin)",
            pong && status == 200,
            format!("PINGRESP {pong}, /health {status}"),
        );
        self.group_done(group);
    }
}
