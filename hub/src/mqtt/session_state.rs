//! Persistent session state of clean-session-0 clients: subscriptions saved in the store
//! and restored on reconnect. A clean-session-1 connect forgets the saved state and the
//! module's queued input messages.

use std::sync::Arc;

use rumqttc::QoS;
use tokio::task::JoinHandle;

use super::access::{classify_subscribe, SubscriptionKind};
use super::sessions::Subscription;
use super::shared::Shared;
use crate::authz::Operation;
use crate::identity::AuthenticatedModule;

/// Who is subscribing, for authorization.
pub struct Subject<'a> {
    /// The connection's identity.
    pub module: &'a AuthenticatedModule,
    /// `{hub}/{d}/{m}`.
    pub identity: &'a str,
    /// `{d}/{m}`.
    pub client_id: &'a str,
}

/// Decides whether `filter` may be subscribed to; `None` = refused.
pub fn authorize_subscription(
    shared: &Shared,
    who: &Subject<'_>,
    filter: &str,
) -> Option<SubscriptionKind> {
    let kind = classify_subscribe(filter, &who.module.device_id, who.module.module())?;
    if kind == SubscriptionKind::User
        && !shared.policy.is_allowed(
            who.identity,
            who.client_id,
            &who.module.device_id,
            &who.module.module_id,
            Operation::Subscribe,
            filter,
        )
    {
        return None;
    }
    Some(kind)
}

/// Loads (clean = false) or clears (clean = true) the session of `who`. Returns the
/// restored subscriptions (re-authorized against the current policy).
pub async fn open(
    shared: &Arc<Shared>,
    who: &Subject<'_>,
    clean: bool,
) -> Result<Vec<Subscription>, String> {
    let store = shared.store.clone();
    let client_id = who.client_id.to_string();
    if clean {
        // A clean session forgets the MQTT session (subscriptions, what was in flight), not
        // store-and-forward: queued input messages stay until they are delivered or expire.
        if let Some(mb) = who.module.module().and_then(|m| shared.router.mailbox(m)) {
            mb.reset();
        }
        return tokio::task::spawn_blocking(move || store.clear_session(&client_id))
            .await
            .map_err(|e| e.to_string())?
            .map(|()| Vec::new())
            .map_err(|e| e.to_string());
    }
    let saved = tokio::task::spawn_blocking(move || store.subscriptions(&client_id))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let mut subs = Vec::with_capacity(saved.len());
    for (filter, qos) in saved {
        match authorize_subscription(shared, who, &filter) {
            Some(kind) => subs.push(Subscription {
                filter,
                qos: if qos == 0 {
                    QoS::AtMostOnce
                } else {
                    QoS::AtLeastOnce
                },
                kind,
            }),
            None => tracing::info!(
                client_id = who.client_id,
                filter,
                "saved subscription no longer allowed, dropped"
            ),
        }
    }
    Ok(subs)
}

/// Saves the subscriptions after `previous` (so saves from one connection land in order).
pub fn save(
    shared: &Shared,
    client_id: &str,
    subs: &[Subscription],
    previous: Option<JoinHandle<()>>,
) -> JoinHandle<()> {
    let store = shared.store.clone();
    let client_id = client_id.to_string();
    let list: Vec<(String, u8)> = subs
        .iter()
        .map(|s| (s.filter.clone(), s.qos as u8))
        .collect();
    tokio::spawn(async move {
        if let Some(p) = previous {
            let _ = p.await;
        }
        let id = client_id.clone();
        match tokio::task::spawn_blocking(move || store.save_subscriptions(&id, &list)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(%client_id, error = %e, "saving subscriptions failed"),
            Err(e) => tracing::warn!(%client_id, error = %e, "saving subscriptions failed"),
        }
    })
}
