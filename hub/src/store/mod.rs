//! Store-and-forward queues, twins and MQTT sessions in SQLite (`{state_dir}/hub.db`), with
//! the message bodies in segment files beside it (`hub.db-payloads/`, see `payloads.rs`).
//!
//! Durable against `kill -9` of the hub (see `schema.rs`). Writes go through one writer
//! thread that groups concurrent requests into a single transaction (`writer.rs`); reads use
//! their own connection (WAL lets them run while the writer commits).
//!
//! Endpoints are plain strings: `"module:{m}/{input}"` for module inputs and `"$upstream"`
//! for messages bound to IoT Hub (kept bounded with [`Store::trim_endpoint`]).

mod error;
mod payloads;
mod queue;
mod schema;
mod state;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub use error::StoreError;
use payloads::{PayloadLog, Segments};
use queue::{EncodedMessage, Read, Request};
pub use schema::StoreTuning;
use writer::{Ctx, Shared, Work, Writer};

use crate::message::HubMessage;

/// Endpoint id of messages routed to `$upstream`.
pub const UPSTREAM_ENDPOINT: &str = "$upstream";
/// How many `$upstream` messages the hub keeps (there is no IoT Hub to forward them to).
pub const UPSTREAM_KEEP: usize = 10_000;

/// Endpoint id of a module input: `module:{m}/{input}`.
pub fn module_endpoint(module_id: &str, input: &str) -> String {
    format!("module:{module_id}/{input}")
}

/// One enqueue target: (endpoint id, priority, expires_at unix seconds or None).
pub type Target = (String, u32, Option<u64>);

/// A message waiting in an endpoint queue.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    /// Position in the queue; increases with every enqueue and is never reused.
    pub seq: i64,
    /// Endpoint id, e.g. `module:filter/input1` or `$upstream`.
    pub endpoint: String,
    /// The message.
    pub message: HubMessage,
    /// Route priority (0 highest).
    pub priority: u32,
    /// Expiry, Unix seconds; `None` = never.
    pub expires_at: Option<u64>,
}

/// A module twin as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TwinState {
    /// Desired properties without `$version`.
    pub desired: serde_json::Value,
    /// Desired `$version`.
    pub desired_version: i64,
    /// Reported properties without `$version`.
    pub reported: serde_json::Value,
    /// Reported `$version`.
    pub reported_version: i64,
}

/// See [`Store::payload_flusher`].
#[derive(Debug, Clone)]
pub struct PayloadFlusher(Arc<Segments>);

impl PayloadFlusher {
    /// fdatasync()s every segment file.
    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(self.0.sync()?)
    }
}

/// Handle to the hub database; cheap to clone, usable from any thread or task.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    reader: Mutex<Connection>,
    writer: Writer,
    shared: Arc<Shared>,
    segments: Arc<Segments>,
    /// New bodies go to segment files (they get a checksum).
    payload_file: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("size_bytes", &self.size_bytes())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, without a size limit.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_limit(path, None)
    }

    /// Opens the database with `storeLimits.maxSizeBytes` (None = unlimited).
    pub fn open_with_limit(path: &Path, max_size_bytes: Option<u64>) -> Result<Store, StoreError> {
        Store::open_tuned(path, max_size_bytes, StoreTuning::HUB)
    }

    /// [`open_with_limit`](Self::open_with_limit), with the page size of a new file and the
    /// log size at which the writer checkpoints inside a commit: [`StoreTuning::HUB`] by
    /// default (a background checkpointer is expected to keep the log shorter);
    /// [`StoreTuning::SQLITE_DEFAULTS`] has the writer copy the log itself, every ~4 MB.
    pub fn open_tuned(
        path: &Path,
        max_size_bytes: Option<u64>,
        tuning: StoreTuning,
    ) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let write_conn = schema::open(path, Some(tuning.page_size))?;
        write_conn.pragma_update(
            None,
            "wal_autocheckpoint",
            tuning.writer_checkpoint_pages.max(1),
        )?;
        let reader = schema::open(path, None)?;
        let size = queue::total_size(&write_conn)?;
        let shared = Arc::new(Shared {
            size: AtomicU64::new(size),
            limit: AtomicU64::new(max_size_bytes.unwrap_or(u64::MAX)),
        });
        // Opened whatever the tuning: rows written under another one may point into it.
        let payloads = PayloadLog::open(
            payloads::directory_of(path),
            queue::rows_per_segment(&write_conn)?,
        )?;
        let segments = payloads.segments();
        let ctx = Ctx {
            size,
            limit: u64::MAX,
            payloads,
        };
        let writer = Writer::spawn(write_conn, shared.clone(), ctx)?;
        Ok(Store {
            inner: Arc::new(Inner {
                reader: Mutex::new(reader),
                writer,
                shared,
                segments,
                payload_file: tuning.payload_file,
            }),
        })
    }

    /// Changes the size limit (None = unlimited); applies to later enqueues.
    pub fn set_max_size_bytes(&self, max_size_bytes: Option<u64>) {
        self.inner
            .shared
            .limit
            .store(max_size_bytes.unwrap_or(u64::MAX), Ordering::Release);
    }

    /// A handle that flushes the message bodies' segment files to the disk, for the hub's
    /// checkpointer to call before each checkpoint (so the rows SQLite makes durable find
    /// their bodies on disk). It does not keep the store open.
    pub fn payload_flusher(&self) -> PayloadFlusher {
        PayloadFlusher(self.inner.segments.clone())
    }

    /// Bytes currently queued (body + properties of every entry), as of the last commit.
    pub fn size_bytes(&self) -> u64 {
        self.inner.shared.size.load(Ordering::Acquire)
    }

    /// Stores one message for several endpoints in ONE transaction; returns when durable.
    /// targets: (endpoint id e.g. "module:filter/input1" or "$upstream", priority, expires_at unix secs or None).
    /// Returns one seq per target, in order. `StoreError::Full` when the size limit would be exceeded.
    pub fn enqueue(&self, msg: &HubMessage, targets: &[Target]) -> Result<Vec<i64>, StoreError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let work = enqueue_work(vec![(
            EncodedMessage::new(msg, self.inner.payload_file)?,
            targets.to_vec(),
        )]);
        self.inner.writer.call(work).map(first_or_empty)
    }

    /// [`enqueue`](Self::enqueue) without blocking the caller's thread: resolves after the
    /// commit. Concurrent calls share one transaction (group commit).
    pub async fn enqueue_async(
        &self,
        msg: &HubMessage,
        targets: &[Target],
    ) -> Result<Vec<i64>, StoreError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let work = enqueue_work(vec![(
            EncodedMessage::new(msg, self.inner.payload_file)?,
            targets.to_vec(),
        )]);
        self.inner.writer.call_async(work).await.map(first_or_empty)
    }

    /// Several messages, each with its targets, in one transaction (all or nothing).
    /// Returns the seqs per message.
    pub fn enqueue_many(
        &self,
        batch: &[(&HubMessage, &[Target])],
    ) -> Result<Vec<Vec<i64>>, StoreError> {
        let requests = encode_batch(batch, self.inner.payload_file)?;
        self.inner.writer.call(enqueue_work(requests))
    }

    /// Async form of [`enqueue_many`](Self::enqueue_many).
    pub async fn enqueue_many_async(
        &self,
        batch: &[(&HubMessage, &[Target])],
    ) -> Result<Vec<Vec<i64>>, StoreError> {
        let requests = encode_batch(batch, self.inner.payload_file)?;
        self.inner.writer.call_async(enqueue_work(requests)).await
    }

    /// Oldest-first by (priority, seq), only seq > after_seq, excluding expired.
    pub fn pending(
        &self,
        endpoint: &str,
        after_seq: i64,
        limit: usize,
        now_unix: u64,
    ) -> Result<Vec<QueuedMessage>, StoreError> {
        let read = {
            let conn = self.reader()?;
            queue::pending(
                &conn,
                &self.inner.segments,
                endpoint,
                after_seq,
                limit,
                now_unix,
            )?
        };
        Ok(self.without_damaged(read))
    }

    /// Removes a delivered entry. Unknown seqs are ignored.
    pub fn ack(&self, endpoint: &str, seq: i64) -> Result<(), StoreError> {
        self.ack_many(endpoint, &[seq]).map(|_| ())
    }

    /// Removes several delivered entries in one transaction; returns how many existed.
    pub fn ack_many(&self, endpoint: &str, seqs: &[i64]) -> Result<usize, StoreError> {
        let (endpoint, seqs) = (endpoint.to_string(), seqs.to_vec());
        self.inner.writer.call(Box::new(move |conn, ctx| {
            queue::delete(conn, ctx, &endpoint, &seqs)
        }))
    }

    /// Async form of [`ack_many`](Self::ack_many) (shares commits with concurrent writes).
    pub async fn ack_async(&self, endpoint: &str, seqs: &[i64]) -> Result<usize, StoreError> {
        let (endpoint, seqs) = (endpoint.to_string(), seqs.to_vec());
        self.inner
            .writer
            .call_async(Box::new(move |conn, ctx| {
                queue::delete(conn, ctx, &endpoint, &seqs)
            }))
            .await
    }

    /// Deletes every expired entry; returns how many.
    pub fn purge_expired(&self, now_unix: u64) -> Result<usize, StoreError> {
        self.purge_expired_sources(now_unix)
            .map(|sources| sources.iter().map(|(_, n)| n).sum::<u64>() as usize)
    }

    /// Deletes every expired entry; returns how many were deleted per route source path
    /// (`/messages/modules/{m}/outputs/{o}`, …), for the metrics.
    pub fn purge_expired_sources(&self, now_unix: u64) -> Result<Vec<(String, u64)>, StoreError> {
        self.inner.writer.call(Box::new(move |conn, ctx| {
            queue::delete_expired(conn, ctx, now_unix)
        }))
    }

    /// Keeps only the newest `keep` entries of `endpoint` (e.g. `$upstream`, 10,000);
    /// returns how many were deleted.
    pub fn trim_endpoint(&self, endpoint: &str, keep: usize) -> Result<usize, StoreError> {
        // In chunks, each its own writer call: enqueues (and so PUBACKs) run in between,
        // instead of stalling behind one huge delete after a burst.
        const CHUNK: usize = 2_000;
        let mut total = 0;
        loop {
            let endpoint = endpoint.to_string();
            let deleted = self.inner.writer.call(Box::new(move |conn, ctx| {
                queue::trim(conn, ctx, &endpoint, keep, CHUNK)
            }))?;
            total += deleted;
            if deleted < CHUNK {
                return Ok(total);
            }
        }
    }

    /// The newest `limit` entries of `endpoint`, oldest first (expired ones included).
    pub fn recent(&self, endpoint: &str, limit: usize) -> Result<Vec<QueuedMessage>, StoreError> {
        let read = {
            let conn = self.reader()?;
            queue::recent(&conn, &self.inner.segments, endpoint, limit)?
        };
        Ok(self.without_damaged(read))
    }

    /// Entries queued per (endpoint, priority), expired ones included until purged.
    pub fn queue_lengths(&self) -> Result<Vec<(String, u32, u64)>, StoreError> {
        let conn = self.reader()?;
        queue::lengths(&conn)
    }

    /// Number of entries queued for `endpoint`.
    pub fn count(&self, endpoint: &str) -> Result<usize, StoreError> {
        let conn = self.reader()?;
        queue::count(&conn, endpoint)
    }

    /// The stored twin of `module`, if any.
    pub fn twin(&self, module: &str) -> Result<Option<TwinState>, StoreError> {
        let conn = self.reader()?;
        state::twin(&conn, module)
    }

    /// Replaces the stored twin of `module`.
    pub fn put_twin(&self, module: &str, twin: &TwinState) -> Result<(), StoreError> {
        let module = module.to_string();
        let json = |v: &serde_json::Value| {
            serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let (desired, reported) = (json(&twin.desired)?, json(&twin.reported)?);
        let (dv, rv) = (twin.desired_version, twin.reported_version);
        self.inner.writer.call(Box::new(move |conn, _| {
            state::put_twin(conn, &module, &desired, dv, &reported, rv)
        }))
    }

    /// Session state for clean-session-0 clients: replaces the client's subscriptions.
    pub fn save_subscriptions(
        &self,
        client_id: &str,
        subs: &[(String, u8)],
    ) -> Result<(), StoreError> {
        let (client_id, subs) = (client_id.to_string(), subs.to_vec());
        self.inner.writer.call(Box::new(move |conn, _| {
            state::replace_subscriptions(conn, &client_id, &subs)
        }))
    }

    /// The saved subscriptions of a client, in the order they were saved.
    pub fn subscriptions(&self, client_id: &str) -> Result<Vec<(String, u8)>, StoreError> {
        let conn = self.reader()?;
        state::subscriptions(&conn, client_id)
    }

    /// Forgets a client's session (clean-session-1 connect).
    pub fn clear_session(&self, client_id: &str) -> Result<(), StoreError> {
        let client_id = client_id.to_string();
        self.inner.writer.call(Box::new(move |conn, _| {
            state::clear_session(conn, &client_id)
        }))
    }

    /// The messages read; rows whose body was lost or damaged are deleted (in the
    /// background: nobody waits for it), so they stop counting against the size limit.
    fn without_damaged(&self, read: Read) -> Vec<QueuedMessage> {
        for (endpoint, seq) in read.damaged {
            let work: Work<usize> =
                Box::new(move |conn, ctx| queue::delete(conn, ctx, &endpoint, &[seq]));
            let (reply, _) = tokio::sync::oneshot::channel();
            self.inner.writer.submit(work, writer::Reply::Async(reply));
        }
        read.messages
    }

    fn reader(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        // A panic while holding the lock cannot leave SQLite half-written: reuse the connection.
        Ok(self
            .inner
            .reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

fn encode_batch(
    batch: &[(&HubMessage, &[Target])],
    payload_file: bool,
) -> Result<Vec<Request>, StoreError> {
    batch
        .iter()
        .map(|(msg, targets)| Ok((EncodedMessage::new(msg, payload_file)?, targets.to_vec())))
        .collect()
}

fn enqueue_work(requests: Vec<Request>) -> Work<Vec<Vec<i64>>> {
    Box::new(move |conn, ctx| queue::insert(conn, ctx, &requests))
}

fn first_or_empty(mut seqs: Vec<Vec<i64>>) -> Vec<i64> {
    seqs.pop().unwrap_or_default()
}
