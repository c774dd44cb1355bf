//! Routed latency between two Rust `ModuleClient`s: the sender's output is routed by the hub
//! to the receiver's input. Both live in this process, so one clock stamps both ends.
//!
//! Payload (shared by every language's benchmark): 8-byte run nonce, sequence number and
//! send time in ns (both u64 little-endian), then padding up to the message size.
//! With `BENCH_SAMPLES=FILE` a run also writes every sample (`seq received_ms latency_us`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use edgemodule::Message;

use crate::module;
use crate::stats::{latency, Latency};

/// One latency run.
pub struct Plan {
    pub rate: u32,
    pub messages: u64,
    pub warmup: u64,
    pub size: usize,
    pub timeout: Duration,
}

fn payload(nonce: &[u8; 8], seq: u64, sent_ns: u64, size: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(size.max(24));
    p.extend_from_slice(nonce);
    p.extend_from_slice(&seq.to_le_bytes());
    p.extend_from_slice(&sent_ns.to_le_bytes());
    p.resize(size.max(24), b'x');
    p
}

fn parse(nonce: &[u8; 8], p: &[u8]) -> Option<(u64, u64)> {
    if p.get(..8)? != nonce {
        return None;
    }
    let seq = u64::from_le_bytes(p.get(8..16)?.try_into().ok()?);
    let sent = u64::from_le_bytes(p.get(16..24)?.try_into().ok()?);
    Some((seq, sent))
}

/// What a run measured.
pub struct Outcome {
    pub latency: Latency,
    /// Messages received per second over the measured ones (after the warm-up).
    pub msgs_per_sec: f64,
}

/// Sends `warmup + messages` at `rate` (open loop: a send does not wait for the previous
/// one; rate 0: as fast as the sender's in-flight window allows) and returns the latency of
/// the `messages` after the warm-up, and the rate at which they arrived.
pub async fn run(plan: &Plan) -> Result<Outcome, String> {
    let clock = Instant::now();
    let nonce: [u8; 8] =
        (clock.elapsed().as_nanos() as u64 ^ u64::from(std::process::id())).to_le_bytes();
    let receiver = module::connect("receiver", 100).await?;
    let mut inputs = receiver.input("in1");
    let total = plan.warmup + plan.messages;
    let warmup = plan.warmup;
    let receiving = tokio::spawn(async move {
        let mut seen = HashSet::new();
        let mut lat = Vec::new();
        let mut samples = Vec::new(); // (seq, received ns, latency ns) for BENCH_SAMPLES
        let mut first_measured = None;
        let mut last_measured = 0;
        while (seen.len() as u64) < total {
            let Some(m) = inputs.next().await else {
                return Err("receiver closed".to_string());
            };
            let now = clock.elapsed().as_nanos() as u64;
            if let Some((seq, sent)) = parse(&nonce, &m.body) {
                if seen.insert(seq) && seq >= warmup {
                    lat.push(now.saturating_sub(sent));
                    samples.push((seq, now, now.saturating_sub(sent)));
                    first_measured.get_or_insert(now);
                    last_measured = now;
                }
            }
            m.ack().map_err(|e| e.to_string())?;
        }
        write_samples(&samples);
        let span_ns = last_measured.saturating_sub(first_measured.unwrap_or(last_measured));
        let rate = if span_ns == 0 {
            f64::NAN
        } else {
            lat.len().saturating_sub(1) as f64 / (span_ns as f64 / 1e9)
        };
        Ok((lat, rate))
    });
    let sender = module::connect("sender", 100).await?;
    let mut ticker = (plan.rate > 0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(plan.rate)));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
    for seq in 0..total {
        match ticker.as_mut() {
            Some(t) => {
                t.tick().await;
            }
            // Full speed: one send in flight per window slot, queued in the core.
            None => tokio::task::yield_now().await,
        }
        let body = payload(&nonce, seq, clock.elapsed().as_nanos() as u64, plan.size);
        let s = sender.clone();
        tokio::spawn(async move { s.send_output("out1", Message::new(body)).await });
    }
    let (lat, msgs_per_sec) = match tokio::time::timeout(plan.timeout, receiving).await {
        Ok(Ok(r)) => r?,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => {
            return Err(format!(
                "not every message arrived within {:?}",
                plan.timeout
            ))
        }
    };
    sender.close().await.map_err(|e| e.to_string())?;
    receiver.close().await.map_err(|e| e.to_string())?;
    Ok(Outcome {
        latency: latency(lat),
        msgs_per_sec,
    })
}

/// With `BENCH_SAMPLES=FILE`, writes every sample as `seq received_ms latency_us` lines (to
/// see when the slow ones happen: in bursts, at the same message numbers in every language…).
fn write_samples(samples: &[(u64, u64, u64)]) {
    let Ok(path) = std::env::var("BENCH_SAMPLES") else {
        return;
    };
    let text: String = samples
        .iter()
        .map(|(seq, at, lat)| format!("{seq} {:.3} {:.1}\n", *at as f64 / 1e6, *lat as f64 / 1e3))
        .collect();
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("cannot write {path}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        let n = *b"abcdefgh";
        let p = payload(&n, 7, 123_456, 256);
        assert_eq!(p.len(), 256);
        assert_eq!(parse(&n, &p), Some((7, 123_456)));
        assert_eq!(parse(b"zzzzzzzz", &p), None);
        assert_eq!(parse(&n, &p[..10]), None);
    }
}
