//! The connection task: the only owner of the rumqttc `EventLoop`. It connects with a fresh
//! SAS token, subscribes, re-sends what was not acknowledged, reconnects with backoff,
//! renews the token, and hands incoming messages over. It never waits for application
//! code: everything it delivers goes through unbounded queues.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{
    Disconnect, Event, EventLoop, Incoming, Outgoing, QoS, Request, Subscribe, SubscribeFilter,
    Unsubscribe,
};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::auth::signer::{unix_now, Credential};
use crate::connection::dispatch;
use crate::connection::failure::{self, Failure, PresentedToken};
use crate::connection::fast_retry::RetryClock;
use crate::connection::renewal;
use crate::connection::shared::{lock, Readiness, Shared};
use crate::error::{Error, ErrorKind};
use crate::status::StatusEvent;
use crate::twin;

/// How long a graceful DISCONNECT may take when closing.
const DISCONNECT_GRACE: Duration = Duration::from_secs(1);

/// Loop state that survives reconnects.
struct Session {
    /// Reconnect attempts since the last successful connection.
    attempt: u32,
    /// A connection has been ready at least once.
    ever_ready: bool,
    /// When the current outage began.
    down_since: Option<Instant>,
    /// When the regular backoff makes its next attempt in the current outage.
    next_regular: Option<Instant>,
    /// Lifetime of the token used for the current connection, if it can be renewed.
    token_lifetime: Option<Duration>,
    /// The token the current connection (attempt) presented.
    token: Option<PresentedToken>,
    /// The last signed credential, reused by reconnects while most of its lifetime is left
    /// (a reconnect then needs no signing: the workload API may be restarting too).
    credential: Option<Credential>,
}

/// What to do after an event.
enum Next {
    Continue,
    /// The renewal DISCONNECT went out: reconnect at once with a new token.
    Renew,
}

/// Runs until the client closes or the connection fails for good.
pub(crate) async fn run(mut eventloop: EventLoop, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut session = Session {
        attempt: 0,
        ever_ready: false,
        down_since: None,
        next_regular: None,
        token_lifetime: None,
        token: None,
        credential: None,
    };
    shared.readiness.send_replace(Readiness::Connecting(None));
    loop {
        if *shutdown.borrow() {
            break;
        }
        if eventloop.network.is_none() {
            let credential = match reusable(&shared, session.credential.take()) {
                Some(c) => Ok(c),
                None => tokio::select! {
                    biased;
                    _ = shutdown.changed() => break,
                    c = shared.tokens.credential() => c,
                },
            };
            match credential {
                Ok(c) => {
                    session.credential = Some(c.clone());
                    eventloop
                        .mqtt_options
                        .set_credentials(shared.username.clone(), c.token);
                    session.token_lifetime = c
                        .renewable
                        .then(|| Duration::from_secs(c.expiry.saturating_sub(unix_now())));
                    session.token = Some(PresentedToken {
                        expiry: c.expiry,
                        renewable: c.renewable,
                    });
                }
                Err(e) => {
                    let failure = failure::from_signing_error(e);
                    tracing::warn!(
                        module = %shared.identity.module_id,
                        reason = failure.reason.name(),
                        error = %failure.error,
                        "could not get a SAS token"
                    );
                    if !retry_after(&shared, &mut session, failure, &mut shutdown).await {
                        break;
                    }
                    continue;
                }
            }
        }
        let polled = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            event = eventloop.poll() => event,
        };
        match polled {
            Ok(event) => match handle_event(&mut eventloop, &shared, &mut session, event) {
                Next::Continue => {}
                Next::Renew => {
                    session.credential = None;
                    lose_connection(&mut eventloop, &shared);
                    shared.set_status(StatusEvent::Renewing);
                }
            },
            Err(error) => {
                let failure =
                    failure::from_connection_error(&error).with_token(session.token, unix_now());
                if failure.refused {
                    session.credential = None;
                }
                if session.down_since.is_none() {
                    tracing::warn!(
                        module = %shared.identity.module_id,
                        reason = failure.reason.name(),
                        error = %error,
                        "connection lost"
                    );
                } else {
                    // Quick retries fail many times a second while the hub restarts.
                    tracing::debug!(
                        module = %shared.identity.module_id,
                        reason = failure.reason.name(),
                        error = %error,
                        "connection attempt failed"
                    );
                }
                lose_connection(&mut eventloop, &shared);
                if !retry_after(&shared, &mut session, failure, &mut shutdown).await {
                    break;
                }
            }
        }
    }
    disconnect_gracefully(&mut eventloop).await;
}

/// Handles one event from rumqttc.
fn handle_event(
    eventloop: &mut EventLoop,
    shared: &Arc<Shared>,
    session: &mut Session,
    event: Event,
) -> Next {
    match event {
        Event::Incoming(Incoming::ConnAck(ack)) => {
            tracing::debug!(
                module = %shared.identity.module_id,
                session_present = ack.session_present,
                "CONNACK"
            );
            let subscribing = on_connack(eventloop, shared, ack.session_present);
            if !subscribing {
                // Nothing to subscribe yet: usable at once.
                on_ready(shared, session);
            }
        }
        Event::Incoming(Incoming::SubAck(ack)) => {
            let op = lock(&shared.outbox).subscriptions.on_suback(ack.pkid);
            if let Some(op) = op {
                let initial = op.initial;
                let refused = op.complete(&ack.return_codes);
                if !refused.is_empty() {
                    tracing::warn!(
                        module = %shared.identity.module_id,
                        filters = ?refused,
                        "the hub refused subscriptions"
                    );
                }
                if initial {
                    on_ready(shared, session);
                }
            }
        }
        Event::Incoming(Incoming::UnsubAck(ack)) => {
            let op = lock(&shared.outbox).subscriptions.on_suback(ack.pkid);
            if let Some(op) = op {
                op.complete_unsubscribe();
            }
        }
        Event::Incoming(Incoming::PubAck(ack)) => lock(&shared.outbox).tracker.on_puback(ack.pkid),
        Event::Incoming(Incoming::Publish(publish)) => dispatch::incoming(shared, publish),
        Event::Outgoing(Outgoing::Publish(pkid)) => {
            lock(&shared.outbox).tracker.on_outgoing_publish(pkid)
        }
        Event::Outgoing(Outgoing::AwaitAck(pkid)) => {
            lock(&shared.outbox).tracker.on_await_ack(pkid)
        }
        Event::Outgoing(Outgoing::Subscribe(pkid) | Outgoing::Unsubscribe(pkid)) => {
            lock(&shared.outbox).subscriptions.on_outgoing(pkid)
        }
        Event::Outgoing(Outgoing::Disconnect) => return Next::Renew,
        _ => {}
    }
    Next::Continue
}

/// A new connection: subscribe every family and topic in use, unsubscribe what a lost
/// connection did not, then re-send what was not acknowledged (same packet ids with DUP when
/// the session was resumed) — all ahead of anything the application queued meanwhile.
/// Returns false when there was nothing to subscribe.
fn on_connack(eventloop: &mut EventLoop, shared: &Shared, session_present: bool) -> bool {
    let topic_filters = lock(&shared.topics).filters();
    let max_pkid = eventloop.mqtt_options.inflight();
    let mut outbox = lock(&shared.outbox);
    outbox.live = true;
    let mut filters: Vec<(String, QoS)> = outbox
        .families
        .filters(&shared.identity)
        .into_iter()
        .map(|f| (f, QoS::AtLeastOnce))
        .collect();
    for (filter, qos) in topic_filters {
        if !filters.iter().any(|(f, _)| *f == filter) {
            filters.push((filter, qos));
        }
    }
    let start = outbox
        .subscriptions
        .start_connection(filters.iter().map(|(f, _)| f.clone()).collect());
    let resend = outbox.tracker.resume(session_present, max_pkid);
    drop(outbox);
    let subscribing = !start.subscribe.is_empty();
    if subscribing {
        let subscribe =
            Subscribe::new_many(filters.into_iter().map(|(f, q)| SubscribeFilter::new(f, q)));
        eventloop.pending.push_back(Request::Subscribe(subscribe));
    }
    if !start.unsubscribe.is_empty() {
        let mut unsubscribe = Unsubscribe::new(String::new());
        unsubscribe.topics = start.unsubscribe;
        eventloop
            .pending
            .push_back(Request::Unsubscribe(unsubscribe));
    }
    for publish in resend {
        eventloop.pending.push_back(Request::Publish(publish));
    }
    subscribing
}

/// The initial SUBACK arrived: the connection is usable.
fn on_ready(shared: &Arc<Shared>, session: &mut Session) {
    let reconnect = session.ever_ready;
    let down_ms = session
        .down_since
        .map_or(0, |since| since.elapsed().as_millis());
    tracing::info!(
        module = %shared.identity.module_id,
        device = %shared.identity.device_id,
        reconnect,
        attempts = session.attempt,
        down_ms,
        "connected"
    );
    session.attempt = 0;
    session.down_since = None;
    session.next_regular = None;
    session.ever_ready = true;
    shared.set_status(StatusEvent::Ready);
    shared.readiness.send_replace(Readiness::Ready);
    if let Some(lifetime) = session.token_lifetime {
        renewal::spawn(Arc::downgrade(shared), shared.current_epoch(), lifetime);
    }
    // Re-read the twin: a desired change missed while offline becomes a catch-up patch.
    twin::request_catch_up(shared, reconnect);
}

/// The connection is gone (or being renewed): settle what rumqttc had buffered, take back
/// everything it would re-send by itself, and start a new generation.
fn lose_connection(eventloop: &mut EventLoop, shared: &Shared) {
    let buffered: Vec<Event> = eventloop.state.events.drain(..).collect();
    let mut outbox = lock(&shared.outbox);
    // A new generation first: from here no PUBACK of the old connection is queued, and the
    // `clean()` below discards those already queued.
    shared.bump_epoch(&mut outbox);
    lock(&shared.acks).reset(outbox.epoch);
    outbox.live = false;
    for event in buffered {
        match event {
            Event::Outgoing(Outgoing::Publish(pkid)) => outbox.tracker.on_outgoing_publish(pkid),
            Event::Outgoing(Outgoing::AwaitAck(pkid)) => outbox.tracker.on_await_ack(pkid),
            Event::Incoming(Incoming::PubAck(ack)) => outbox.tracker.on_puback(ack.pkid),
            Event::Outgoing(Outgoing::Subscribe(pkid) | Outgoing::Unsubscribe(pkid)) => {
                outbox.subscriptions.on_outgoing(pkid)
            }
            Event::Incoming(Incoming::Publish(publish)) => {
                // Incoming messages of a dead connection are delivered again by the hub; a
                // denial notice is what closed it.
                if let Some((pkid, topic)) = dispatch::denial(&publish) {
                    outbox.tracker.deny(pkid, topic);
                }
            }
            _ => {}
        }
    }
    // Drains rumqttc's request queue too, under the outbox lock, so the tracker's view and
    // rumqttc's agree: everything not acknowledged is now only in the tracker.
    eventloop.clean();
    eventloop.pending.clear();
    eventloop.state.collision = None;
    outbox.tracker.on_connection_lost();
    outbox.subscriptions.on_connection_lost();
    drop(outbox);
    lock(&shared.twin).forget_catch_up();
}

/// `cached` when more than half of the configured token lifetime is left on it: a fresh
/// token would not last meaningfully longer, and the renewal timer is set from what is left.
fn reusable(shared: &Shared, cached: Option<Credential>) -> Option<Credential> {
    let c = cached?;
    let left = c.expiry.saturating_sub(unix_now());
    (c.renewable && left.saturating_mul(2) > shared.options.sas_ttl.as_secs()).then_some(c)
}

/// After a failure: give up (returns false) or wait for the next attempt (returns true).
async fn retry_after(
    shared: &Shared,
    session: &mut Session,
    failure: Failure,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    if shared.is_closed() {
        return false;
    }
    if failure.refused && (!session.ever_ready || failure.hopeless) {
        tracing::error!(
            module = %shared.identity.module_id,
            reason = failure.reason.name(),
            error = %failure.error,
            "the hub refused the connection; not retrying"
        );
        shared.shut_down(failure.error, StatusEvent::Refused(failure.reason));
        return false;
    }
    // The first failure after a connection that was up costs the hub nothing to retry.
    let was_up = session.ever_ready && session.down_since.is_none();
    let down_since = *session.down_since.get_or_insert_with(Instant::now);
    let policy = &shared.options.retry;
    if policy.gives_up(down_since.elapsed()) {
        let error = Error::new(
            ErrorKind::Connection,
            format!(
                "gave up reconnecting after {:?}; last error: {}",
                down_since.elapsed(),
                failure.error.message()
            ),
        );
        tracing::error!(
            module = %shared.identity.module_id,
            error = %error,
            "gave up reconnecting"
        );
        shared.shut_down(error, StatusEvent::GaveUp);
        return false;
    }
    shared.set_status(StatusEvent::Lost(failure.reason));
    shared
        .readiness
        .send_replace(Readiness::Connecting(Some(failure.error.clone())));
    let now = Instant::now();
    let regular = match session.next_regular {
        Some(at) if at > now => at,
        _ => {
            let delay = policy.delay(session.attempt, rand::random::<f64>());
            session.attempt = session.attempt.saturating_add(1);
            tracing::info!(
                module = %shared.identity.module_id,
                attempt = session.attempt,
                delay_ms = delay.as_millis(),
                error = %failure.error,
                "reconnecting"
            );
            now + delay
        }
    };
    session.next_regular = Some(regular);
    let clock = RetryClock {
        now,
        down_since,
        regular,
        cheap: failure.nothing_listening || was_up,
    };
    let wake_at = clock.next_attempt();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => return false,
            _ = tokio::time::sleep_until(wake_at) => return true,
            _ = shared.work_arrived.notified() => {
                if clock.wake_allowed(Instant::now()) {
                    return true;
                }
            }
        }
    }
}

/// Sends DISCONNECT if connected, briefly.
async fn disconnect_gracefully(eventloop: &mut EventLoop) {
    if eventloop.network.is_none() {
        return;
    }
    eventloop.pending.clear();
    eventloop.pending.push_back(Request::Disconnect(Disconnect));
    let _ = tokio::time::timeout(DISCONNECT_GRACE, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    eventloop.clean();
}
