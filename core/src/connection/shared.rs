//! State shared by the client handles, the connection task and the event streams.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use rumqttc::{AsyncClient, QoS, SubscribeFilter};
use tokio::sync::{broadcast, oneshot, watch, Notify, OwnedSemaphorePermit, Semaphore};

use crate::auth::TokenSource;
use crate::connection::families::FamilySet;
use crate::connection::subscriptions::{SubscribeOp, SubscribeQueue};
use crate::connection::tracker::{PendingPublish, Tracker};
use crate::delivery::acks::{self, AckQueue, Arrival, Ticket};
use crate::delivery::{BackgroundError, BACKGROUND_BUFFER};
use crate::error::{Error, ErrorKind, Result};
use crate::identity::ModuleIdentity;
use crate::inputs::InputRouter;
use crate::methods::MethodRouter;
use crate::options::ClientOptions;
use crate::status::{next_status, ConnectionStatus, StatusEvent};
use crate::twin::TwinRouter;
use crate::user_topics::TopicRouter;

/// Longest MQTT topic: its length is a 16-bit prefix.
pub(crate) const MAX_TOPIC_LEN: usize = u16::MAX as usize;

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the state it guards
/// stays consistent: every critical section is short and panic-free).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Publish and subscribe bookkeeping, and the connection generation.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub tracker: Tracker,
    pub subscriptions: SubscribeQueue,
    /// The topic families in use (subscribed on every connection).
    pub families: FamilySet,
    /// The current connection has sent its initial SUBSCRIBE: new subscriptions go out now.
    pub live: bool,
    /// Bumped on every connection loss: packet ids of older connections are meaningless.
    pub epoch: u64,
    pub closed: bool,
}

/// What `connect()` waits for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Readiness {
    /// The connection task has not started.
    Idle,
    /// Connecting or reconnecting; the last failure, if any.
    Connecting(Option<Error>),
    /// Connected and subscribed.
    Ready,
    /// Stopped for good (bad credentials on the first connect, retries expired, closed).
    Failed(Error),
}

/// Everything the client's parts share.
pub(crate) struct Shared {
    pub identity: ModuleIdentity,
    pub options: ClientOptions,
    pub username: String,
    pub tokens: TokenSource,
    pub tls: Arc<rustls::ClientConfig>,
    pub mqtt: AsyncClient,
    pub outbox: Mutex<Outbox>,
    /// Incoming QoS 1 PUBLISHes waiting for their in-order PUBACK.
    pub acks: Mutex<AckQueue>,
    epoch: AtomicU64,
    closed: AtomicBool,
    permits: Arc<Semaphore>,
    pub inputs: Mutex<InputRouter>,
    pub methods: Mutex<MethodRouter>,
    pub twin: Mutex<TwinRouter>,
    pub topics: Mutex<TopicRouter>,
    pub status: watch::Sender<ConnectionStatus>,
    pub readiness: watch::Sender<Readiness>,
    pub shutdown: watch::Sender<bool>,
    /// An operation was submitted while disconnected (wakes a waiting reconnect).
    pub work_arrived: Notify,
    /// Background errors; taken when the client closes, which ends the streams.
    pub background: Mutex<Option<broadcast::Sender<BackgroundError>>>,
    /// Where handler lanes and timers run.
    runtime: OnceLock<tokio::runtime::Handle>,
}

/// The parts `Shared::new` needs.
pub(crate) struct SharedParts {
    pub identity: ModuleIdentity,
    pub options: ClientOptions,
    pub username: String,
    pub tokens: TokenSource,
    pub tls: Arc<rustls::ClientConfig>,
    pub mqtt: AsyncClient,
}

impl Shared {
    pub(crate) fn new(parts: SharedParts) -> Shared {
        let permits = Arc::new(Semaphore::new(usize::from(
            parts.options.max_inflight.max(1),
        )));
        Shared {
            identity: parts.identity,
            options: parts.options,
            username: parts.username,
            tokens: parts.tokens,
            tls: parts.tls,
            mqtt: parts.mqtt,
            outbox: Mutex::new(Outbox::default()),
            acks: Mutex::new(AckQueue::default()),
            epoch: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            permits,
            inputs: Mutex::new(InputRouter::default()),
            methods: Mutex::new(MethodRouter::default()),
            twin: Mutex::new(TwinRouter::default()),
            topics: Mutex::new(TopicRouter::default()),
            status: watch::Sender::new(ConnectionStatus::initial()),
            readiness: watch::Sender::new(Readiness::Idle),
            shutdown: watch::Sender::new(false),
            work_arrived: Notify::new(),
            background: Mutex::new(Some(broadcast::Sender::new(BACKGROUND_BUFFER))),
            runtime: OnceLock::new(),
        }
    }

    /// Remembers the runtime the client runs on (the first one wins).
    pub(crate) fn set_runtime(&self, runtime: tokio::runtime::Handle) {
        let _ = self.runtime.set(runtime);
    }

    /// The runtime for handler lanes and timers (known once the client was built or started).
    pub(crate) fn runtime(&self) -> Option<&tokio::runtime::Handle> {
        self.runtime.get()
    }

    /// An incoming QoS 1 PUBLISH takes its place in the acknowledgement order.
    pub(crate) fn register_incoming(&self, pkid: u16, dup: bool) -> Arrival {
        lock(&self.acks).register(pkid, dup)
    }

    /// An incoming QoS 1 PUBLISH that is done on arrival; false for a DUP of a pending one.
    pub(crate) fn register_done(&self, pkid: u16, dup: bool) -> bool {
        acks::register_done(&mut lock(&self.acks), &self.mqtt, pkid, dup)
    }

    /// A received message is processed: its PUBACK leaves once the earlier ones have.
    pub(crate) fn acknowledge(&self, ticket: Ticket) {
        acks::complete_and_send(&mut lock(&self.acks), &self.mqtt, ticket);
    }

    /// True once the client is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Why the client stopped: the terminal error (e.g. `UNAUTHORIZED`), else `CLOSED`.
    pub(crate) fn closed_error(&self) -> Error {
        match &*self.readiness.borrow() {
            Readiness::Failed(e) => e.clone(),
            _ => Error::closed(),
        }
    }

    /// The current connection generation.
    pub(crate) fn current_epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Starts a new connection generation (called with the outbox locked).
    pub(crate) fn bump_epoch(&self, outbox: &mut Outbox) {
        outbox.epoch += 1;
        self.epoch.store(outbox.epoch, Ordering::Release);
    }

    /// Applies a status event (no-op when the status does not change).
    pub(crate) fn set_status(&self, event: StatusEvent) {
        self.status
            .send_if_modified(|current| match next_status(*current, event) {
                Some(next) => {
                    *current = next;
                    true
                }
                None => false,
            });
    }

    /// Waits for a free in-flight slot (QoS 1 publishes only).
    pub(crate) async fn acquire_permit(&self) -> Result<OwnedSemaphorePermit> {
        Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::closed())
    }

    /// A free in-flight slot if there is one right now (for answers sent from `Drop`).
    pub(crate) fn try_permit(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.permits).try_acquire_owned().ok()
    }

    /// Queues a publish; the receiver answers on PUBACK (QoS 1) or once written (QoS 0).
    pub(crate) fn submit_publish(
        &self,
        topic: String,
        payload: Bytes,
        qos: QoS,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        if topic.len() > MAX_TOPIC_LEN {
            // rumqttc would silently truncate the length prefix and corrupt the packet.
            return Err(Error::new(
                ErrorKind::MessageTooLarge,
                format!(
                    "the topic with the encoded properties is {} bytes; MQTT allows {MAX_TOPIC_LEN}",
                    topic.len()
                ),
            ));
        }
        let (done, answer) = oneshot::channel();
        let mut outbox = lock(&self.outbox);
        if outbox.closed {
            return Err(Error::closed());
        }
        let payload_copy = payload.to_vec();
        outbox.tracker.push(PendingPublish::new(
            topic.clone(),
            payload,
            qos,
            Some(done),
            permit,
        ));
        // Queued under the same lock as the tracker entry so their orders agree.
        if let Err(e) = self.mqtt.try_publish(topic, qos, false, payload_copy) {
            outbox.tracker.pop_last();
            return Err(Error::new(
                ErrorKind::Internal,
                format!("the request queue refused the publish: {e}"),
            ));
        }
        if !outbox.live {
            // Disconnected: a reconnect waiting for its backoff may try at once.
            self.work_arrived.notify_one();
        }
        Ok(answer)
    }

    /// Publishes and waits for completion, all within the operation timeout.
    pub(crate) async fn publish_and_wait(
        &self,
        topic: String,
        payload: Bytes,
        qos: QoS,
    ) -> Result<()> {
        let work = async {
            let permit = match qos {
                QoS::AtMostOnce => None,
                _ => Some(self.acquire_permit().await?),
            };
            let answer = self.submit_publish(topic, payload, qos, permit)?;
            answer.await.map_err(|_| Error::closed())?
        };
        self.with_timeout("publish", work).await
    }

    /// Queues a SUBSCRIBE of one filter; the receiver answers on SUBACK.
    pub(crate) fn submit_subscribe(
        &self,
        filter: String,
        qos: QoS,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        let (done, answer) = oneshot::channel();
        let mut outbox = lock(&self.outbox);
        if outbox.closed {
            return Err(Error::closed());
        }
        outbox.subscriptions.push_back(SubscribeOp::subscribe(
            vec![filter.clone()],
            vec![(filter.clone(), done)],
        ));
        if let Err(e) = self
            .mqtt
            .try_subscribe_many(vec![SubscribeFilter::new(filter, qos)])
        {
            outbox.subscriptions.pop_last();
            return Err(Error::new(
                ErrorKind::Internal,
                format!("the request queue refused the subscription: {e}"),
            ));
        }
        Ok(answer)
    }

    /// UNSUBSCRIBEs `filter` now if connected, else at the start of the next connection. With
    /// `wait`, the receiver answers on UNSUBACK.
    pub(crate) fn submit_unsubscribe(
        &self,
        filter: String,
        wait: bool,
    ) -> Option<oneshot::Receiver<Result<()>>> {
        let mut outbox = lock(&self.outbox);
        if outbox.closed {
            return None;
        }
        let (done, answer) = if wait {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        if !outbox.live {
            outbox.subscriptions.carry_unsubscribe(filter, done);
            return answer;
        }
        outbox
            .subscriptions
            .push_back(SubscribeOp::unsubscribe(filter.clone(), done));
        if let Err(e) = self.mqtt.try_unsubscribe(filter) {
            outbox.subscriptions.pop_last();
            tracing::warn!("the request queue refused the UNSUBSCRIBE: {e}");
            return None;
        }
        answer
    }

    /// Runs `work` within the operation timeout (`TIMEOUT` names `what`).
    pub(crate) async fn with_timeout<T>(
        &self,
        what: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        let limit = self.options.operation_timeout;
        match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!("{what} did not complete within {limit:?}"),
            )),
        }
    }

    /// Stops everything: every pending operation fails with `error` (exactly once), streams
    /// end, the connection task is told to disconnect. Idempotent.
    pub(crate) fn shut_down(&self, error: Error, status: StatusEvent) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        {
            let mut outbox = lock(&self.outbox);
            outbox.closed = true;
            outbox.tracker.fail_all(&error);
            outbox.subscriptions.fail_all(&error);
        }
        self.permits.close();
        // Dropped outside the locks, after `closed` is set: no answers, no callbacks.
        let inputs = lock(&self.inputs).close();
        drop(inputs);
        let requests = lock(&self.methods).close();
        drop(requests);
        lock(&self.twin).close(&error);
        lock(&self.topics).close();
        lock(&self.background).take();
        self.set_status(status);
        self.readiness.send_replace(Readiness::Failed(error));
        self.shutdown.send_replace(true);
    }
}
