//! The Rust `ModuleClient` against the hub: pipelined send throughput with per-message PUBACK
//! latency, and the RSS an idle connected client adds to a bare process.

use std::time::{Duration, Instant};

use edgemodule::{Message, ModuleClient};
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::stats::{latency, Latency};

/// Result of one send run.
pub struct SendResult {
    pub sent: usize,
    pub msgs_per_sec: f64,
    pub latency: Latency,
}

async fn connect(cs: &str, ca_pem: &str, port: u16, window: u16) -> Result<ModuleClient, String> {
    let client = ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(ca_pem)
        .mqtt_port(port)
        .max_inflight(window)
        .build()
        .await
        .map_err(|e| e.to_string())?;
    client.connect().await.map_err(|e| e.to_string())?;
    Ok(client)
}

/// Sends `messages` messages of `size` bytes to `output`, keeping `window` sends in flight,
/// each resolving on its PUBACK.
pub async fn send(
    cs: &str,
    ca_pem: &str,
    port: u16,
    output: &str,
    messages: usize,
    size: usize,
    window: u16,
) -> Result<SendResult, String> {
    let client = connect(cs, ca_pem, port, window).await?;
    let body = vec![b'x'; size];
    let mut lat = Vec::with_capacity(messages);
    let mut in_flight = FuturesUnordered::new();
    let start = Instant::now();
    let mut next = 0usize;
    while next < messages || !in_flight.is_empty() {
        while next < messages && in_flight.len() < usize::from(window) {
            let c = client.clone();
            let msg = Message::new(body.clone());
            in_flight.push(async move {
                let t = Instant::now();
                c.send_output(output, msg).await.map(|()| t.elapsed())
            });
            next += 1;
        }
        if let Some(done) = in_flight.next().await {
            let took = done.map_err(|e| e.to_string())?;
            lat.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    client.close().await.map_err(|e| e.to_string())?;
    Ok(SendResult {
        sent: lat.len(),
        msgs_per_sec: lat.len() as f64 / secs.max(1e-9),
        latency: latency(lat),
    })
}

/// Resident set size of this process, KiB (Linux `/proc/self/status`).
pub fn rss_kib() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".to_string())
}

/// RSS before creating a client, and after one has been connected and idle for `idle`.
pub async fn idle_rss(
    cs: &str,
    ca_pem: &str,
    port: u16,
    idle: Duration,
) -> Result<(u64, u64), String> {
    let bare = rss_kib()?;
    let client = connect(cs, ca_pem, port, 100).await?;
    tokio::time::sleep(idle).await;
    let connected = rss_kib()?;
    client.close().await.map_err(|e| e.to_string())?;
    Ok((bare, connected))
}
