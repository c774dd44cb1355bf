//! Lazy subscriptions: the client subscribes to a topic family only once something handles
//! it (as the official SDKs do), so a module without a method handler is not subscribed to
//! methods and edgeHub answers its callers 404 at once. A family stays subscribed for the
//! client's life and is part of every connection's initial SUBSCRIBE.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rumqttc::{QoS, SubscribeFilter};
use tokio::sync::oneshot;

use crate::connection::shared::{lock, Readiness, Shared};
use crate::connection::subscriptions::SubscribeOp;
use crate::error::{Error, ErrorKind, Result};
use crate::identity::ModuleIdentity;
use crate::protocol::topics;

/// A topic family of the IoT Hub protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Routed messages for this module's inputs.
    Inputs,
    /// Direct-method calls.
    Methods,
    /// Desired-property patches.
    Desired,
    /// Answers to twin requests.
    TwinResponses,
}

impl Family {
    const ALL: [Family; 4] = [
        Family::Inputs,
        Family::Methods,
        Family::Desired,
        Family::TwinResponses,
    ];

    fn bit(self) -> u8 {
        match self {
            Family::Inputs => 1,
            Family::Methods => 2,
            Family::Desired => 4,
            Family::TwinResponses => 8,
        }
    }

    /// The topic filter of the family.
    pub(crate) fn filter(self, id: &ModuleIdentity) -> String {
        match self {
            Family::Inputs => match &id.module_id {
                Some(module_id) => topics::inputs_filter(&id.device_id, module_id),
                // A device's messages from the cloud (C2D); `DeviceClient` never activates it.
                None => topics::device_bound_filter(&id.device_id),
            },
            Family::Methods => topics::METHODS_FILTER.to_string(),
            Family::Desired => topics::TWIN_DESIRED_FILTER.to_string(),
            Family::TwinResponses => topics::TWIN_RESPONSE_FILTER.to_string(),
        }
    }
}

/// The families in use (guarded by the outbox lock).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FamilySet(u8);

impl FamilySet {
    /// True when `family` is in use.
    pub(crate) fn contains(self, family: Family) -> bool {
        self.0 & family.bit() != 0
    }

    /// Marks `family` in use; true if it was not.
    fn insert(&mut self, family: Family) -> bool {
        let new = !self.contains(family);
        self.0 |= family.bit();
        new
    }

    /// The filters of the families in use, in a fixed order.
    pub(crate) fn filters(self, id: &ModuleIdentity) -> Vec<String> {
        Family::ALL
            .iter()
            .filter(|f| self.contains(**f))
            .map(|f| f.filter(id))
            .collect()
    }
}

/// Resolves once the hub confirmed the subscriptions a registration needs (SUBACK), at once
/// if they already were or if the client has not started connecting (`connect()` then
/// subscribes them before it resolves). The registration itself is in effect either way;
/// awaiting this is optional. `UNAUTHORIZED` if the hub refused, `TIMEOUT` after the
/// operation timeout, `CLOSED` once closed.
#[must_use = "the registration is in effect already; await this only to know the hub confirmed it"]
pub struct Subscribed {
    waiting: Option<Pin<Box<dyn Future<Output = Result<()>> + Send>>>,
    ready: Option<Result<()>>,
}

impl fmt::Debug for Subscribed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscribed")
            .field("waiting", &self.waiting.is_some())
            .finish()
    }
}

impl Subscribed {
    pub(crate) fn ready(result: Result<()>) -> Self {
        Subscribed {
            waiting: None,
            ready: Some(result),
        }
    }

    fn waiting(future: impl Future<Output = Result<()>> + Send + 'static) -> Self {
        Subscribed {
            waiting: Some(Box::pin(future)),
            ready: None,
        }
    }
}

impl Future for Subscribed {
    type Output = Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if let Some(waiting) = this.waiting.as_mut() {
            return waiting.as_mut().poll(cx);
        }
        Poll::Ready(this.ready.take().unwrap_or(Ok(())))
    }
}

/// Puts `families` in use: subscribes the new ones now if connected (else with the next
/// connection's initial SUBSCRIBE) and returns what resolves on the hub's answer.
pub(crate) fn activate(shared: &Arc<Shared>, families: &[Family]) -> Subscribed {
    let id = &shared.identity;
    let started = !matches!(*shared.readiness.borrow(), Readiness::Idle);
    let mut answers = Vec::new();
    {
        let mut outbox = lock(&shared.outbox);
        if outbox.closed {
            return Subscribed::ready(Err(shared.closed_error()));
        }
        let mut fresh = Vec::new();
        for family in families {
            let new = outbox.families.insert(*family);
            let filter = family.filter(id);
            if !started {
                continue;
            }
            let (tx, rx) = oneshot::channel();
            if !outbox.live {
                // The next connection's initial SUBSCRIBE carries every family in use.
                outbox.subscriptions.carry((filter, tx));
                answers.push(rx);
            } else if new {
                fresh.push((filter, tx));
                answers.push(rx);
            } else if outbox.subscriptions.attach((filter, tx)).is_none() {
                // Still on its way: answered with the pending SUBSCRIBE.
                answers.push(rx);
            }
        }
        if !fresh.is_empty() {
            let filters: Vec<String> = fresh.iter().map(|(f, _)| f.clone()).collect();
            outbox
                .subscriptions
                .push_back(SubscribeOp::subscribe(filters.clone(), fresh));
            let request = filters
                .into_iter()
                .map(|f| SubscribeFilter::new(f, QoS::AtLeastOnce));
            if let Err(e) = shared.mqtt.try_subscribe_many(request) {
                outbox.subscriptions.pop_last();
                return Subscribed::ready(Err(Error::new(
                    ErrorKind::Internal,
                    format!("the request queue refused the subscription: {e}"),
                )));
            }
        }
    }
    if answers.is_empty() {
        return Subscribed::ready(Ok(()));
    }
    let limit = shared.options.operation_timeout;
    Subscribed::waiting(async move {
        let all = async {
            for answer in answers {
                answer.await.map_err(|_| Error::closed())??;
            }
            Ok(())
        };
        match tokio::time::timeout(limit, all).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!("the hub did not confirm the subscription within {limit:?}"),
            )),
        }
    })
}

/// Waits until every family in use is confirmed on the current connection (`connect()`).
pub(crate) async fn confirm_all(shared: &Arc<Shared>) -> Result<()> {
    let in_use = lock(&shared.outbox).families;
    let families: Vec<Family> = Family::ALL
        .iter()
        .copied()
        .filter(|f| in_use.contains(*f))
        .collect();
    activate(shared, &families).await
}

/// Waits for the subscriptions `families` need (the twin operations' own guard).
pub(crate) async fn ensure(shared: &Arc<Shared>, families: &[Family]) -> Result<()> {
    activate(shared, families).await
}
