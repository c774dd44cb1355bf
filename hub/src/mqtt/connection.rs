//! One client connection after TLS: CONNECT, session set-up (takeover of an older
//! connection with the same client id), then a single task that reads packets, writes
//! what is due in batches (one flush per wake-up), delivers stored input messages, and
//! watches keep-alive and close requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use rumqttc::{ConnAck, ConnectReturnCode, Packet, QoS};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::codec::{write_packet, write_publish};
use super::connect::{handshake, refuse};
use super::delivery::Delivery;
use super::inflight::{Inflight, InflightEntry};
use super::inspect::ModuleCounters;
use super::mailbox::Mailbox;
use super::policy::DeliveryPolicy;
use super::routing::Routed;
use super::session_state::{self, Subject};
use super::sessions::{outbound_channel, Outbound, SessionHandle};
use super::shared::Shared;
use super::store_io::{FetchFuture, IngestFuture};
use super::user_forward::UserForwards;
use crate::identity::AuthenticatedModule;
use crate::metrics::SenderMetrics;

/// Outstanding store batches per connection before the connection stops reading.
const MAX_PENDING_BATCHES: usize = 64;
/// Time a write to the client may take before the connection is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a taken-over connection gets to save its state.
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(5);
/// Outbound publishes taken per wake-up.
const OUTBOUND_BURST: usize = 256;

/// The connection's state (everything but the socket and the futures being awaited).
pub(super) struct Conn {
    pub shared: Arc<Shared>,
    pub handle: Arc<SessionHandle>,
    pub module: AuthenticatedModule,
    pub identity: String,
    pub client_id: String,
    pub clean_session: bool,
    pub inflight: Inflight,
    /// How input messages are delivered (strict: edgeHub's way).
    pub policy: DeliveryPolicy,
    /// The module's inspection counters.
    pub counters: Arc<ModuleCounters>,
    pub delivery: Option<Delivery>,
    pub mailbox: Option<Arc<Mailbox>>,
    pub wbuf: BytesMut,
    /// PUBACKs owed for the current read (in arrival order).
    pub batch_pkids: Vec<u16>,
    /// Messages of the current read to store.
    pub batch_routed: Vec<Routed>,
    /// Store acks to send (endpoint, seq).
    pub acks: Vec<(String, i64)>,
    /// Ack writes not known to be committed yet (a store read waits for them).
    pub ack_tasks: Vec<JoinHandle<()>>,
    /// Last subscription save (the next one waits for it).
    pub last_save: Option<JoinHandle<()>>,
    /// User-topic copies waiting for room in subscribers' queues.
    pub user_forwards: UserForwards,
    /// Metric handles of the telemetry this connection sends.
    pub sender_metrics: SenderMetrics,
}

impl Conn {
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            module: &self.module,
            identity: &self.identity,
            client_id: &self.client_id,
        }
    }
}

/// Serves one TLS connection until it closes.
pub async fn run<S>(shared: Arc<Shared>, mut stream: S, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut rbuf = BytesMut::with_capacity(16 * 1024);
    let Some(accepted) = handshake(&shared, &mut stream, &mut rbuf, peer).await else {
        return;
    };
    if *shared.shutdown.borrow() {
        refuse(&mut stream, ConnectReturnCode::ServiceUnavailable).await;
        return;
    }
    let module = accepted.module;
    let client_id = module.client_id();
    let identity = module.identity(&shared.hub_name);
    let conn_id = shared.sessions.next_conn_id();
    let (tx, mut outbound_rx) = outbound_channel();
    let handle = Arc::new(SessionHandle::new(
        conn_id,
        client_id.clone(),
        tx,
        module.token_expiry,
    ));
    if let Some(previous) = shared.sessions.insert(handle.clone()) {
        tracing::info!(%client_id, %peer, "new connection takes over the session");
        previous.request_close("session taken over by a new connection");
        let _ = tokio::time::timeout(TAKEOVER_TIMEOUT, previous.wait_finished()).await;
    }
    if *shared.shutdown.borrow() {
        // Registered after the shutdown closed everyone else.
        handle.request_close("hub shutting down");
    }
    let mailbox = shared.router.mailbox(&module.module_id).cloned();
    let counters = shared.inspector.counters(&module.module_id);
    let mut conn = Conn {
        shared: shared.clone(),
        handle: handle.clone(),
        module,
        identity,
        client_id: client_id.clone(),
        clean_session: accepted.clean_session,
        inflight: Inflight::default(),
        policy: shared.delivery,
        counters,
        delivery: None,
        mailbox: mailbox.clone(),
        wbuf: BytesMut::with_capacity(16 * 1024),
        batch_pkids: Vec::new(),
        batch_routed: Vec::new(),
        acks: Vec::new(),
        ack_tasks: Vec::new(),
        last_save: None,
        user_forwards: UserForwards::default(),
        sender_metrics: SenderMetrics::default(),
    };
    let subs = match session_state::open(&shared, &conn.subject(), accepted.clean_session).await {
        Ok(subs) => subs,
        Err(e) => {
            tracing::error!(%client_id, error = %e, "session state unavailable");
            refuse(&mut stream, ConnectReturnCode::ServiceUnavailable).await;
            finish(conn).await;
            return;
        }
    };
    let session_present = !subs.is_empty();
    if let Ok(mut s) = handle.subscriptions.write() {
        *s = subs;
    }
    let connack = Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, session_present));
    let _ = write_packet(&mut conn.wbuf, &connack);
    ModuleCounters::bump(&conn.counters.connections);
    let disconnects = shared.metrics.client_connected(&client_id);
    conn.update_delivery();
    shared.sessions.changed();
    tracing::info!(%client_id, %peer, clean_session = accepted.clean_session, session_present, "client connected");

    let keep_alive = (accepted.keep_alive > 0)
        .then(|| Duration::from_millis(u64::from(accepted.keep_alive) * 1500));
    let mut last_read = Instant::now();
    let keep_alive_sleep = tokio::time::sleep(keep_alive.unwrap_or(Duration::from_secs(3600)));
    tokio::pin!(keep_alive_sleep);
    let mut ingest: FuturesOrdered<IngestFuture> = FuturesOrdered::new();
    let mut fetch: Option<FetchFuture> = None;
    // Strict mode: fires when the oldest unacknowledged input message is due again.
    let redelivery = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(redelivery);
    let mut redelivery_armed: Option<Instant> = None;

    // Packets the client sent right behind CONNECT (allowed before the CONNACK).
    let early = if rbuf.is_empty() {
        None
    } else {
        conn.process_input(&mut rbuf).err()
    };
    if let Some(f) = conn.take_batch(true) {
        ingest.push_back(f);
    }

    let reason: String = if let Some(reason) = early {
        reason
    } else {
        loop {
            if let Some(request) = conn.pump() {
                fetch = Some(conn.fetch_future(request));
            }
            conn.flush_acks();
            if !conn.wbuf.is_empty() {
                let written = tokio::time::timeout(WRITE_TIMEOUT, async {
                    stream.write_all(&conn.wbuf).await?;
                    stream.flush().await
                })
                .await;
                conn.wbuf.clear();
                match written {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => break format!("write failed: {e}"),
                    Err(_) => break "write timed out".to_string(),
                }
            }
            let live = conn.delivery.as_ref().is_some_and(|d| !d.is_catching_up());
            let due = conn.redelivery_due();
            if due != redelivery_armed {
                if let Some(at) = due {
                    redelivery.as_mut().reset(at);
                }
                redelivery_armed = due;
            }
            // Order matters: finished store batches (PUBACKs) and queued output first, so a busy
            // reader cannot starve them; polling `ingest` first also hands new batches to the
            // store without delay.
            tokio::select! {
                biased;
                reason = handle.close_requested() => break reason,
                Some(done) = ingest.next(), if !ingest.is_empty() => {
                    if let Err(reason) = conn.on_ingest_done(done) {
                        break reason;
                    }
                    let mut failed = None;
                    while let Some(Some(done)) = ingest.next().now_or_never() {
                        if let Err(reason) = conn.on_ingest_done(done) {
                            failed = Some(reason);
                            break;
                        }
                    }
                    if let Some(reason) = failed {
                        break reason;
                    }
                }
                Some(out) = outbound_rx.recv() => {
                    conn.write_outbound(out);
                    for _ in 0..OUTBOUND_BURST {
                        match outbound_rx.try_recv() {
                            Ok(out) => conn.write_outbound(out),
                            Err(_) => break,
                        }
                    }
                }
                (request, rows) = async { match fetch.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => {
                    fetch = None;
                    conn.on_fetched(&request, rows);
                }
                _ = async { match &mailbox { Some(m) => m.notify.notified().await, None => std::future::pending().await } }, if live => {}
                () = &mut redelivery, if redelivery_armed.is_some() => {
                    redelivery_armed = None;
                    if let Some(d) = conn.delivery.as_mut() {
                        d.redeliver_due(Instant::now(), &mut conn.wbuf);
                    }
                }
                // Back-pressure: no reading while user-topic copies wait for room.
                read = stream.read_buf(&mut rbuf), if ingest.len() < MAX_PENDING_BATCHES && !conn.user_forwards.blocked() => {
                    match read {
                        Ok(0) => break "connection closed by the client".to_string(),
                        Ok(_) => {}
                        Err(e) => break format!("read failed: {e}"),
                    }
                    last_read = Instant::now();
                    if let Err(reason) = conn.process_input(&mut rbuf) {
                        break reason;
                    }
                    if let Some(f) = conn.take_batch(ingest.is_empty()) {
                        ingest.push_back(f);
                    }
                }
                _ = &mut keep_alive_sleep, if keep_alive.is_some() => {
                    let period = keep_alive.unwrap_or_default();
                    // Not reading (waiting for the store) is not the client's silence.
                    if ingest.len() >= MAX_PENDING_BATCHES || conn.user_forwards.blocked() {
                        last_read = Instant::now();
                    }
                    let deadline = last_read + period;
                    if Instant::now() >= deadline {
                        break "keep-alive timeout".to_string();
                    }
                    keep_alive_sleep.as_mut().reset(deadline);
                }
            }
        }
    };
    tracing::info!(%client_id, %peer, %reason, "client disconnected");
    disconnects.increment(1);
    if !conn.wbuf.is_empty() {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = stream.write_all(&conn.wbuf).await;
            let _ = stream.flush().await;
        })
        .await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
    finish(conn).await;
}

/// Saves what must survive the connection and unregisters it.
async fn finish(mut conn: Conn) {
    if let Some(delivery) = conn.delivery.take() {
        conn.acks.extend(delivery_acks(delivery));
    }
    conn.flush_acks();
    if conn.clean_session {
        if let Some(mb) = &conn.mailbox {
            mb.reset();
        }
    }
    if let Some(save) = conn.last_save.take() {
        let _ = save.await;
    }
    conn.shared
        .sessions
        .remove(&conn.client_id, conn.handle.conn_id);
    conn.handle.mark_finished();
}

fn delivery_acks(mut delivery: Delivery) -> Vec<(String, i64)> {
    let acks = delivery.take_acks();
    delivery.stop();
    acks
}

impl Conn {
    /// Starts or stops input delivery to match the current subscriptions.
    pub fn update_delivery(&mut self) {
        let inputs_qos = self.handle.subscriptions.read().ok().and_then(|subs| {
            subs.iter()
                .filter(|s| s.kind == super::access::SubscriptionKind::Inputs)
                .map(|s| s.qos)
                .max_by_key(|q| *q as u8)
        });
        match (inputs_qos, self.delivery.as_mut(), &self.mailbox) {
            (Some(qos), Some(d), _) => d.set_qos(qos),
            (Some(qos), None, Some(mb)) => {
                self.delivery = Some(Delivery::start(
                    mb.clone(),
                    self.handle.conn_id,
                    &self.module.device_id,
                    qos,
                    self.policy,
                    self.counters.clone(),
                    self.shared.metrics.clone(),
                ));
            }
            (None, Some(_), _) => {
                if let Some(d) = self.delivery.take() {
                    self.acks.extend(delivery_acks(d));
                }
            }
            _ => {}
        }
    }

    /// Strict mode: when an unacknowledged input message is due to be sent again.
    fn redelivery_due(&self) -> Option<Instant> {
        if !self.policy.is_strict() {
            return None;
        }
        self.delivery.as_ref().and_then(Delivery::next_due)
    }

    /// Writes a publish queued by another part of the hub.
    fn write_outbound(&mut self, out: Outbound) {
        let pkid = if out.qos == QoS::AtLeastOnce {
            match self.inflight.allocate(InflightEntry::Other) {
                Some(id) => id,
                None => return,
            }
        } else {
            0
        };
        if !write_publish(
            &mut self.wbuf,
            &out.topic,
            out.qos,
            pkid,
            false,
            &out.payload,
        ) {
            tracing::warn!(client_id = %self.client_id, topic = %out.topic, "outbound topic too long, dropped");
            if pkid != 0 {
                self.inflight.complete(pkid);
            }
        }
    }
}
