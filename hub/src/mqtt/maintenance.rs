//! Periodic work: re-authenticate connected clients (edgeHub drops connections whose SAS
//! token has expired, with 5 minutes of skew), purge expired messages, and keep the
//! `$upstream` record bounded.

use std::sync::Arc;
use std::time::Duration;

use edgemodule::protocol::sas::MAX_CLOCK_SKEW_SECS;

use super::shared::Shared;
use crate::store::{UPSTREAM_ENDPOINT, UPSTREAM_KEEP};

/// How often expired messages are purged and `$upstream` trimmed.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(30);

/// Runs until aborted.
pub async fn run(shared: Arc<Shared>, reauth_interval: Duration) {
    let period = reauth_interval.max(Duration::from_millis(100));
    let mut reauth = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut housekeeping = tokio::time::interval(HOUSEKEEPING_INTERVAL);
    loop {
        tokio::select! {
            _ = reauth.tick() => reauthenticate(&shared),
            _ = housekeeping.tick() => housekeep(&shared).await,
        }
    }
}

/// Closes every connection whose token expired more than the allowed skew ago.
pub fn reauthenticate(shared: &Shared) {
    let now = super::now_unix();
    for session in shared.sessions.all() {
        let expiry = session
            .token_expiry
            .load(std::sync::atomic::Ordering::Relaxed);
        if now > expiry.saturating_add(MAX_CLOCK_SKEW_SECS) {
            tracing::info!(client_id = %session.client_id, expiry, "SAS token expired, closing the connection");
            session.request_close("SAS token expired");
        }
    }
}

async fn housekeep(shared: &Shared) {
    let store = shared.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        let purged = store.purge_expired_sources(super::now_unix())?;
        let trimmed = store.trim_endpoint(UPSTREAM_ENDPOINT, UPSTREAM_KEEP)?;
        Ok::<_, crate::store::StoreError>((purged, trimmed))
    })
    .await;
    match result {
        Ok(Ok((purged, trimmed))) if !purged.is_empty() || trimmed > 0 => {
            for (source, count) in &purged {
                let (from, output) = sender_of_source(shared.metrics.device_id(), source);
                shared.metrics.ttl_expired(&from, output, *count);
            }
            let purged: u64 = purged.iter().map(|(_, n)| n).sum();
            tracing::debug!(purged, trimmed, "store housekeeping");
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "store housekeeping failed"),
        Err(e) => tracing::warn!(error = %e, "store housekeeping task failed"),
    }
}

/// `from` and `from_route_output` of a stored message, from its route source path: modules'
/// messages come from `{device}/{module}` (every module runs on the hub's device), twin
/// change notifications from edgeHub itself (`{device}/$edgeHub`, as edgeHub stamps them).
fn sender_of_source<'a>(device_id: &str, source: &'a str) -> (String, &'a str) {
    if let Some(rest) = source.strip_prefix("/messages/modules/") {
        return match rest.split_once("/outputs/") {
            Some((module, output)) => (format!("{device_id}/{module}"), output),
            None => (format!("{device_id}/{rest}"), ""),
        };
    }
    if source == crate::message::TWIN_CHANGE_SOURCE {
        return (format!("{device_id}/$edgeHub"), "");
    }
    (String::new(), "")
}

#[cfg(test)]
mod tests {
    use super::sender_of_source;

    #[test]
    fn senders_of_sources() {
        assert_eq!(
            sender_of_source("d", "/messages/modules/m/outputs/o"),
            ("d/m".to_string(), "o")
        );
        assert_eq!(
            sender_of_source("d", "/messages/modules/m"),
            ("d/m".to_string(), "")
        );
        assert_eq!(
            sender_of_source("d", "/twinChangeNotifications"),
            ("d/$edgeHub".to_string(), "")
        );
        assert_eq!(sender_of_source("d", "/messages"), (String::new(), ""));
    }
}
