//! The child hub's upstream link: sends what is stored for `$upstream` to the parent as
//! device telemetry, oldest first, and removes it from the store only once the parent
//! acknowledged it (PUBACK, i.e. the parent stored it durably).
//!
//! At least once: a message whose PUBACK arrived but whose removal did not commit (a
//! `kill -9` in between), or that was in flight when the link broke, is sent again.
//! While the parent is away the core client reconnects with backoff; a batch that fails is
//! retried from its first message after a growing delay. Expired messages (the route's TTL,
//! else `timeToLiveSecs`) are never sent: the store's reads skip them and its
//! housekeeping deletes them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use edgemodule::{DeviceClient, ErrorKind, RetryPolicy};
use futures_util::stream::{FuturesOrdered, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::convert::to_upstream;
use super::parent::ParentConfig;
use crate::store::{QueuedMessage, Store, UPSTREAM_ENDPOINT};

/// Messages read and sent per round (pipelined by the client up to its in-flight limit).
const BATCH: usize = 200;
/// Rounds sent before the oldest is answered: reading, sending and releasing overlap.
const ROUNDS_IN_FLIGHT: usize = 4;
/// How long a send may wait for the parent (across reconnects) before it is retried.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Backoff between failed rounds.
const FIRST_DELAY: Duration = Duration::from_millis(200);
const MAX_DELAY: Duration = Duration::from_secs(10);
/// An idle forwarder looks at the store this often even without a wake-up (entries left by
/// an earlier run, clock-driven expiry).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Counters of the upstream link (cumulative since the hub started).
#[derive(Debug, Default)]
pub struct ForwarderStats {
    /// Messages the parent acknowledged and the store released.
    pub forwarded: AtomicU64,
    /// Rounds that failed and were retried.
    pub retries: AtomicU64,
}

/// The running forwarder.
pub struct Forwarder {
    wake: Arc<Notify>,
    stats: Arc<ForwarderStats>,
    task: JoinHandle<()>,
    client: DeviceClient,
}

impl Forwarder {
    /// Creates the device client for `parent` (no connection yet: it connects in the
    /// background and keeps retrying) and starts forwarding from `store`.
    pub async fn start(parent: &ParentConfig, store: Store) -> Result<Forwarder, String> {
        let client = DeviceClient::builder()
            .connection_string(parent.client_connection_string())
            .trust_bundle_pem(parent.ca_pem.clone())
            .mqtt_port(parent.port)
            .operation_timeout(SEND_TIMEOUT)
            .retry_policy(RetryPolicy {
                initial_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(5),
                give_up_after: None,
                ..RetryPolicy::default()
            })
            .product_info("edgemodule-hub-upstream")
            .build_device()
            .await
            .map_err(|e| format!("the upstream device client: {e}"))?;
        let wake = Arc::new(Notify::new());
        let stats = Arc::new(ForwarderStats::default());
        let task = tokio::spawn(run(
            client.clone(),
            store,
            wake.clone(),
            stats.clone(),
            parent.address(),
        ));
        Ok(Forwarder {
            wake,
            stats,
            task,
            client,
        })
    }

    /// Tells the forwarder that something was stored for `$upstream` (cheap; called for
    /// every routed message).
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The connection to the parent (shared with the bridge).
    pub fn client(&self) -> &DeviceClient {
        &self.client
    }

    /// The link's counters.
    pub fn stats(&self) -> Arc<ForwarderStats> {
        self.stats.clone()
    }

    /// Stops forwarding and closes the connection to the parent. What is not acknowledged
    /// stays in the store for the next start.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        let _ = self.client.close().await;
    }
}

async fn run(
    client: DeviceClient,
    store: Store,
    wake: Arc<Notify>,
    stats: Arc<ForwarderStats>,
    parent: String,
) {
    let mut delay = FIRST_DELAY;
    // Rounds sent and not yet answered, oldest first: (seqs, the send).
    let mut in_flight = FuturesOrdered::new();
    // Everything up to here was read and handed to a send (i64::MIN: start from the oldest
    // stored entry).
    let mut cursor = i64::MIN;
    loop {
        // Registered before reading, so a message stored meanwhile is not missed.
        let woken = wake.notified();
        let batch = if in_flight.len() < ROUNDS_IN_FLIGHT {
            match read_batch(&store, cursor).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "reading $upstream from the store failed");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        if let Some(last) = batch.last() {
            cursor = last.seq;
            let seqs: Vec<i64> = batch.iter().map(|q| q.seq).collect();
            let messages = batch.iter().map(|q| to_upstream(&q.message)).collect();
            let client = client.clone();
            in_flight.push_back(async move { (seqs, client.send_event_batch(messages).await) });
            continue;
        }
        if in_flight.is_empty() {
            let _ = tokio::time::timeout(IDLE_POLL, woken).await;
            continue;
        }
        // Full, or nothing more to read: wait for the oldest round (or for new messages
        // when there is room for another round).
        let answered = if in_flight.len() < ROUNDS_IN_FLIGHT {
            tokio::select! {
                answered = in_flight.next() => answered,
                _ = woken => continue,
            }
        } else {
            in_flight.next().await
        };
        let Some((seqs, result)) = answered else {
            continue;
        };
        match result {
            Ok(()) => {
                delay = FIRST_DELAY;
                let (store, stats) = (store.clone(), stats.clone());
                // Released in the background; a failure only means it is sent again.
                tokio::spawn(async move {
                    match store.ack_async(UPSTREAM_ENDPOINT, &seqs).await {
                        Ok(_) => {
                            stats
                                .forwarded
                                .fetch_add(seqs.len() as u64, Ordering::Relaxed);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "releasing forwarded $upstream messages failed")
                        }
                    }
                });
            }
            Err(e) => {
                stats.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    parent = %parent,
                    error = %e,
                    retry_in_ms = delay.as_millis(),
                    "forwarding to the parent failed; retrying"
                );
                if e.kind() == ErrorKind::Closed {
                    // The client gave up (e.g. the parent refused it): nothing more can be
                    // sent; the messages stay stored for the next start.
                    tracing::error!(parent = %parent, "the upstream link is closed; messages stay in the store");
                    return;
                }
                // Let the later rounds finish (they may succeed), then start again from
                // the oldest entry still stored, after a growing delay.
                while in_flight.next().await.is_some() {}
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
                cursor = i64::MIN;
            }
        }
    }
}

/// The oldest unexpired `$upstream` entries after `after` (those still stored were not
/// acknowledged).
async fn read_batch(store: &Store, after: i64) -> Result<Vec<QueuedMessage>, String> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        store
            .pending(UPSTREAM_ENDPOINT, after, BATCH, crate::mqtt::now_unix())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}
