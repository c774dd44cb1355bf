//! Send throughput of the Rust `ModuleClient`: `window` sends in flight at all times, each
//! resolving on its PUBACK (or, with `batch` > 1, `window` calls of `send_output_batch` with
//! `batch` messages each); acknowledged messages counted per round after a warm-up.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use edgemodule::{Message, ModuleClient};
use tokio::task::JoinSet;

/// How one send run is shaped.
pub struct Shape {
    pub output: String,
    pub size: usize,
    pub window: u16,
    /// Messages per `send_output_batch` call; 1 sends them one by one with `send_output`.
    pub batch: usize,
}

impl Shape {
    /// Messages in flight at most: what the client's `max_inflight` must allow.
    pub fn in_flight(&self) -> u16 {
        let n = usize::from(self.window.max(1)) * self.batch.max(1);
        u16::try_from(n).unwrap_or(u16::MAX)
    }
}

struct Counters {
    acked: AtomicU64,
    stop: AtomicBool,
}

/// Starts `window` senders, each sending its next message once the previous was acknowledged.
fn start(
    client: &ModuleClient,
    shape: &Shape,
    limit: Option<u64>,
) -> (Arc<Counters>, JoinSet<Result<(), String>>) {
    let counters = Arc::new(Counters {
        acked: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let issued = Arc::new(AtomicU64::new(0));
    let body = vec![b'x'; shape.size];
    let batch = shape.batch.max(1);
    let mut tasks = JoinSet::new();
    for _ in 0..shape.window.max(1) {
        let (client, counters, issued) = (client.clone(), counters.clone(), issued.clone());
        let (output, body) = (shape.output.clone(), body.clone());
        tasks.spawn(async move {
            while !counters.stop.load(Ordering::Relaxed) {
                let step = batch as u64;
                if limit.is_some_and(|n| issued.fetch_add(step, Ordering::Relaxed) >= n) {
                    break;
                }
                let sent = if batch == 1 {
                    client
                        .send_output(&output, Message::new(body.clone()))
                        .await
                } else {
                    let messages = (0..batch).map(|_| Message::new(body.clone())).collect();
                    client.send_output_batch(&output, messages).await
                };
                sent.map_err(|e| e.to_string())?;
                counters.acked.fetch_add(step, Ordering::Relaxed);
            }
            Ok(())
        });
    }
    (counters, tasks)
}

async fn join(mut tasks: JoinSet<Result<(), String>>) -> Result<(), String> {
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// What the measured rounds of a run saw.
pub struct Measured {
    /// Messages per second in each round.
    pub rates: Vec<f64>,
    /// Messages acknowledged over all rounds.
    pub messages: u64,
    /// Messages acknowledged in the whole run, warm-up included.
    pub all_messages: u64,
    /// CPU seconds (user + system) this process spent over all rounds, when readable.
    pub cpu_secs: Option<f64>,
}

/// Messages per second in each of `rounds` rounds of `round`, after `warmup`.
pub async fn rounds(
    client: &ModuleClient,
    shape: &Shape,
    warmup: Duration,
    round: Duration,
    rounds: usize,
) -> Result<Measured, String> {
    let (counters, tasks) = start(client, shape, None);
    tokio::time::sleep(warmup).await;
    let mut rates = Vec::with_capacity(rounds);
    let (first, cpu0) = (counters.acked.load(Ordering::Relaxed), cpu_secs());
    for _ in 0..rounds {
        let (n0, t0) = (counters.acked.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(round).await;
        let n = counters.acked.load(Ordering::Relaxed) - n0;
        rates.push(n as f64 / t0.elapsed().as_secs_f64());
    }
    let (last, cpu1) = (counters.acked.load(Ordering::Relaxed), cpu_secs());
    counters.stop.store(true, Ordering::Relaxed);
    join(tasks).await?;
    Ok(Measured {
        rates,
        messages: last - first,
        all_messages: counters.acked.load(Ordering::Relaxed),
        cpu_secs: cpu0.zip(cpu1).map(|(a, b)| b - a),
    })
}

/// User + system CPU seconds of this process so far (Linux: `/proc/self/stat`, in clock
/// ticks of 1/100 s, the kernel's USER_HZ on every Linux architecture).
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3)?.parse::<u64>().ok();
    Some((ticks(14)? + ticks(15)?) as f64 / 100.0)
}

/// Sends exactly `messages` messages, `window` in flight.
pub async fn count(client: &ModuleClient, shape: &Shape, messages: u64) -> Result<(), String> {
    let (_, tasks) = start(client, shape, Some(messages));
    join(tasks).await
}
