//! Sender → (hub route | broker) → receiver: throughput and end-to-end latency at QoS 1.
//!
//! Both peers live in this process so one monotonic clock stamps send and receive times:
//! each payload starts with its sequence number and its send time (ns since the run began).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rumqttc::{Event, Packet, QoS};

use crate::peer::{connect, PeerSpec};
use crate::stats::{latency, Latency};

/// One run's parameters.
pub struct RunParams {
    pub messages: usize,
    pub size: usize,
    pub window: u16,
    /// Messages per second; `None` = as fast as the window allows.
    pub rate: Option<u32>,
    /// The first `warmup` messages are delivered but left out of the latency figures.
    pub warmup: u64,
    pub timeout: Duration,
}

/// One run's result.
#[derive(Debug)]
pub struct RunResult {
    pub delivered: usize,
    pub msgs_per_sec: f64,
    pub latency: Latency,
}

const HEADER: usize = 16;

fn payload(seq: u64, sent_ns: u64, size: usize) -> Vec<u8> {
    let mut p = vec![b'x'; size.max(HEADER)];
    p[..8].copy_from_slice(&seq.to_le_bytes());
    p[8..16].copy_from_slice(&sent_ns.to_le_bytes());
    p
}

fn parse(p: &[u8]) -> Option<(u64, u64)> {
    let seq = u64::from_le_bytes(p.get(..8)?.try_into().ok()?);
    let ts = u64::from_le_bytes(p.get(8..16)?.try_into().ok()?);
    Some((seq, ts))
}

/// Runs one measurement: subscribe, then send `messages`, until every one arrived or timeout.
pub async fn run(sender: PeerSpec, receiver: PeerSpec, p: &RunParams) -> Result<RunResult, String> {
    let (rx_client, mut rx_loop) = connect(receiver.options, p.window);
    rx_client
        .subscribe(&receiver.subscribe_filter, QoS::AtLeastOnce)
        .await
        .map_err(|e| e.to_string())?;
    // Wait for the SUBACK before sending so nothing is routed to a missing subscription.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline.into(), rx_loop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("receiver: {e}")),
            Err(_) => return Err("receiver: no SUBACK".into()),
        }
    }

    let start = Instant::now();
    let total = p.messages;
    let warmup = p.warmup;
    let receiving = tokio::spawn(async move {
        let mut seen = HashSet::with_capacity(total);
        let mut lat = Vec::with_capacity(total);
        let mut last = start;
        while seen.len() < total {
            match rx_loop.poll().await {
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    if let Some((seq, sent)) = parse(&publish.payload) {
                        if seen.insert(seq) {
                            let now = start.elapsed().as_nanos() as u64;
                            if seq >= warmup {
                                lat.push(now.saturating_sub(sent));
                            }
                            last = Instant::now();
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(format!("receiver: {e}")),
            }
        }
        Ok((lat, last))
    });

    let (tx_client, mut tx_loop) = connect(sender.options, p.window);
    let driver = tokio::spawn(async move {
        loop {
            if let Err(e) = tx_loop.poll().await {
                return format!("sender: {e}");
            }
        }
    });
    let topic = sender.publish_topic;
    let size = p.size;
    let rate = p.rate;
    let sending = tokio::spawn(async move {
        let mut ticker =
            rate.map(|r| tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(r.max(1)))));
        for seq in 0..total as u64 {
            if let Some(t) = ticker.as_mut() {
                t.tick().await;
            }
            let sent = start.elapsed().as_nanos() as u64;
            if let Err(e) = tx_client
                .publish(&topic, QoS::AtLeastOnce, false, payload(seq, sent, size))
                .await
            {
                return Err(format!("sender: {e}"));
            }
        }
        Ok(())
    });

    let outcome = tokio::time::timeout(p.timeout, receiving).await;
    driver.abort();
    sending.abort();
    let (lat, last) = match outcome {
        Ok(Ok(Ok(v))) => v,
        Ok(Ok(Err(e))) => return Err(e),
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err(format!("timed out after {:?}", p.timeout)),
    };
    let secs = last.duration_since(start).as_secs_f64();
    Ok(RunResult {
        delivered: total,
        msgs_per_sec: total as f64 / secs.max(1e-9),
        latency: latency(lat),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        let p = payload(7, 123_456, 256);
        assert_eq!(p.len(), 256);
        assert_eq!(parse(&p), Some((7, 123_456)));
        assert_eq!(parse(&p[..10]), None);
    }
}
