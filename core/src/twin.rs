//! Module twin: get, patch reported properties, desired-property patches, and the catch-up
//! patch after a reconnect (a desired `$version` that moved while the module was offline).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use rumqttc::QoS;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::connection::families::{self, Family, Subscribed};
use crate::connection::shared::{lock, Shared};
use crate::delivery::lane::{Lane, Runner};
use crate::delivery::{attempts, HandlerFamily, HandlerFuture};
use crate::error::{Error, Result};
use crate::protocol::topics;
use crate::twin_state::DesiredTracker;
pub use crate::twin_state::{DesiredPatch, Twin};

/// A user's desired-properties handler.
pub(crate) type DesiredHandler = Arc<dyn Fn(DesiredPatch) -> HandlerFuture<()> + Send + Sync>;

/// Runs the desired-properties handler (one patch at a time, with the retry policy).
pub(crate) struct DesiredRunner {
    handler: DesiredHandler,
    shared: std::sync::Weak<Shared>,
}

impl Runner for DesiredRunner {
    type Item = DesiredPatch;

    async fn run(&self, patch: DesiredPatch) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        // Patches are acknowledged on arrival; a patch given up on is only reported.
        attempts(
            &shared,
            HandlerFamily::Desired,
            "",
            1,
            || (self.handler)(patch.clone()),
            || true,
        )
        .await;
    }
}

/// Parses a GET response body (see [`Twin::from_json_slice`]).
pub(crate) fn parse_twin(body: &[u8]) -> Result<Twin> {
    Twin::from_json_slice(body)
}

/// Who waits for a twin response.
pub(crate) enum TwinWaiter {
    User(oneshot::Sender<Result<(u16, Bytes)>>),
    /// The read after a connect; `reconnect` is false for the client's first connection.
    CatchUp {
        reconnect: bool,
    },
}

/// Twin requests in flight, the desired tracker, the patch streams and the handler.
#[derive(Default)]
pub(crate) struct TwinRouter {
    pending: HashMap<String, TwinWaiter>,
    desired: DesiredTracker,
    streams: Vec<mpsc::UnboundedSender<DesiredPatch>>,
    handler: Option<Arc<Lane<DesiredRunner>>>,
    closed: bool,
}

impl TwinRouter {
    fn broadcast(&mut self, patch: DesiredPatch, runtime: Option<&tokio::runtime::Handle>) {
        if let (Some(lane), Some(runtime)) = (&self.handler, runtime) {
            lane.push(patch.clone(), runtime);
        }
        self.streams.retain(|tx| tx.send(patch.clone()).is_ok());
    }

    /// The connection is gone: answers to its catch-up read no longer count (the next
    /// connection reads again).
    pub(crate) fn forget_catch_up(&mut self) {
        self.pending
            .retain(|_, waiter| !matches!(waiter, TwinWaiter::CatchUp { .. }));
    }

    pub(crate) fn close(&mut self, error: &Error) {
        self.closed = true;
        for (_, waiter) in self.pending.drain() {
            if let TwinWaiter::User(tx) = waiter {
                let _ = tx.send(Err(error.clone()));
            }
        }
        self.streams.clear();
        if let Some(lane) = self.handler.take() {
            lane.take_queued();
        }
    }
}

/// Removes a pending request id when its operation ends, however it ends.
struct PendingGuard<'a> {
    shared: &'a Shared,
    rid: String,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.shared.twin).pending.remove(&self.rid);
    }
}

/// Sends a twin request and waits for its response `(status, body)`. The first one
/// subscribes to twin responses (and waits for the hub to confirm it).
async fn request(
    shared: &Arc<Shared>,
    rid: String,
    topic: String,
    body: Bytes,
    what: &str,
) -> Result<(u16, Bytes)> {
    let work = async {
        families::ensure(shared, &[Family::TwinResponses]).await?;
        let (tx, rx) = oneshot::channel();
        {
            let mut router = lock(&shared.twin);
            if router.closed {
                return Err(Error::closed());
            }
            router.pending.insert(rid.clone(), TwinWaiter::User(tx));
        }
        let _guard = PendingGuard {
            shared,
            rid: rid.clone(),
        };
        let permit = shared.acquire_permit().await?;
        let sent = shared.submit_publish(topic, body, QoS::AtLeastOnce, Some(permit))?;
        sent.await.map_err(|_| Error::closed())??;
        rx.await.map_err(|_| Error::closed())?
    };
    shared.with_timeout(what, work).await
}

/// `get_twin`.
pub(crate) async fn get_twin(shared: &Arc<Shared>) -> Result<Twin> {
    let rid = uuid::Uuid::new_v4().to_string();
    let (status, body) = request(
        shared,
        rid.clone(),
        topics::twin_get_topic(&rid),
        Bytes::new(),
        "get_twin",
    )
    .await?;
    if status != 200 {
        return Err(Error::from_status(
            status,
            "the hub refused to read the twin",
        ));
    }
    parse_twin(&body)
}

/// `patch_reported`.
pub(crate) async fn patch_reported(shared: &Arc<Shared>, patch: &Value) -> Result<()> {
    if !patch.is_object() {
        return Err(Error::invalid_argument(
            "a reported-properties patch must be a JSON object",
        ));
    }
    let rid = uuid::Uuid::new_v4().to_string();
    let (status, _) = request(
        shared,
        rid.clone(),
        topics::twin_patch_reported_topic(&rid),
        Bytes::from(patch.to_string()),
        "patch_reported",
    )
    .await?;
    match status {
        200 | 204 => Ok(()),
        400 => Err(Error::from_status(
            status,
            "the hub rejected the reported-properties patch (invalid name, value, depth or size)",
        )),
        _ => Err(Error::from_status(
            status,
            "the hub could not apply the reported-properties patch",
        )),
    }
}

/// Reads the twin after a (re)connect without waiting, if desired patches are handled; the
/// answer may produce a catch-up patch (called by the connection task, which must not wait).
pub(crate) fn request_catch_up(shared: &Shared, reconnect: bool) {
    if !lock(&shared.outbox).families.contains(Family::Desired) {
        return;
    }
    let rid = uuid::Uuid::new_v4().to_string();
    {
        let mut router = lock(&shared.twin);
        if router.closed {
            return;
        }
        router
            .pending
            .insert(rid.clone(), TwinWaiter::CatchUp { reconnect });
    }
    let permit = shared.try_permit();
    if let Err(e) = shared.submit_publish(
        topics::twin_get_topic(&rid),
        Bytes::new(),
        QoS::AtLeastOnce,
        permit,
    ) {
        tracing::warn!("could not read the twin after connecting: {e}");
        lock(&shared.twin).pending.remove(&rid);
    }
}

/// A twin response from the hub.
pub(crate) fn on_response(shared: &Shared, topic: &str, body: &[u8]) {
    let Some(response) = topics::parse_twin_response(topic) else {
        tracing::warn!(topic, "ignoring a malformed twin response topic");
        return;
    };
    let mut router = lock(&shared.twin);
    match router.pending.remove(&response.rid) {
        Some(TwinWaiter::User(tx)) => {
            let _ = tx.send(Ok((response.status, Bytes::copy_from_slice(body))));
        }
        Some(TwinWaiter::CatchUp { reconnect }) => {
            if response.status != 200 {
                tracing::warn!(status = response.status, "twin read after reconnect failed");
                return;
            }
            match parse_twin(body) {
                Ok(twin) => {
                    if router
                        .desired
                        .on_full_desired(twin.desired_version, reconnect)
                    {
                        let mut patch = twin.desired;
                        if let Value::Object(map) = &mut patch {
                            map.insert("$version".into(), Value::from(twin.desired_version));
                        }
                        router.broadcast(
                            DesiredPatch {
                                patch,
                                version: twin.desired_version,
                                full: true,
                            },
                            shared.runtime(),
                        );
                    }
                }
                Err(e) => tracing::warn!("twin read after reconnect: {e}"),
            }
        }
        None => tracing::debug!(rid = response.rid, "twin response nobody waits for"),
    }
}

/// A desired-properties patch pushed by the hub.
pub(crate) fn on_desired_patch(shared: &Shared, topic: &str, body: &[u8]) {
    let topic_version = topics::parse_desired_patch_topic(topic).flatten();
    let patch: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("ignoring a desired patch that is not JSON: {e}");
            return;
        }
    };
    let version = topic_version.or_else(|| patch.get("$version").and_then(Value::as_i64));
    let mut router = lock(&shared.twin);
    match version {
        Some(v) if !router.desired.on_patch(v) => {
            tracing::debug!(
                version = v,
                "dropping a desired patch not newer than the last one"
            );
        }
        Some(v) => router.broadcast(
            DesiredPatch {
                patch,
                version: v,
                full: false,
            },
            shared.runtime(),
        ),
        None => router.broadcast(
            DesiredPatch {
                patch,
                version: 0,
                full: false,
            },
            shared.runtime(),
        ),
    }
}

/// Subscribes to desired patches (and twin responses, for the catch-up read). The first time
/// while connected, reads the twin to learn the version the application starts from.
fn activate_desired(shared: &Arc<Shared>) -> Subscribed {
    let (first, live) = {
        let outbox = lock(&shared.outbox);
        (!outbox.families.contains(Family::Desired), outbox.live)
    };
    let subscribed = families::activate(shared, &[Family::Desired, Family::TwinResponses]);
    if first && live {
        // Queued behind the SUBSCRIBE, so the hub knows where to answer.
        request_catch_up(shared, false);
    }
    subscribed
}

/// Makes `handler` the desired-properties handler (replacing the previous one).
pub(crate) fn set_handler(shared: &Arc<Shared>, handler: DesiredHandler) -> Subscribed {
    {
        let mut router = lock(&shared.twin);
        if router.closed {
            return Subscribed::ready(Err(Error::closed()));
        }
        let runner = DesiredRunner {
            handler,
            shared: Arc::downgrade(shared),
        };
        match &router.handler {
            Some(lane) => lane.set_runner(runner),
            None => router.handler = Some(Lane::new(runner)),
        }
    }
    activate_desired(shared)
}

/// Removes the desired-properties handler (it finishes what it already queued).
pub(crate) fn clear_handler(shared: &Shared) {
    lock(&shared.twin).handler = None;
}

/// Registers a desired-patch stream.
pub(crate) fn open_stream(shared: &Arc<Shared>) -> DesiredPatchStream {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut router = lock(&shared.twin);
    if !router.closed {
        router.streams.push(tx);
    }
    drop(router);
    drop(activate_desired(shared));
    DesiredPatchStream {
        rx,
        shared: Arc::clone(shared),
    }
}

/// A stream of [`DesiredPatch`]es (each stream gets every patch). Patches not newer than
/// the last one delivered are dropped. Ends when the client closes.
pub struct DesiredPatchStream {
    rx: mpsc::UnboundedReceiver<DesiredPatch>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DesiredPatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredPatchStream").finish_non_exhaustive()
    }
}

impl DesiredPatchStream {
    /// The next patch, or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<DesiredPatch> {
        std::future::poll_fn(|cx| self.poll_patch(cx)).await
    }

    fn poll_patch(&mut self, cx: &mut Context<'_>) -> Poll<Option<DesiredPatch>> {
        match std::task::ready!(self.rx.poll_recv(cx)) {
            Some(_) if self.shared.is_closed() => {
                self.rx.close();
                Poll::Ready(None)
            }
            other => Poll::Ready(other),
        }
    }
}

impl futures_util::Stream for DesiredPatchStream {
    type Item = DesiredPatch;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<DesiredPatch>> {
        self.get_mut().poll_patch(cx)
    }
}
