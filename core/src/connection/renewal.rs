//! SAS renewal: at `sas_renewal_percent` (default 80 %) of the token's lifetime the
//! connection is re-established with a fresh token (MQTT 3.1.1 cannot re-authenticate in
//! place). To lose nothing, the disconnect waits briefly for publishes in flight to be
//! acknowledged, and for received messages being processed to be acknowledged (else the hub
//! delivers them again).

use std::sync::Weak;
use std::time::Duration;

use tokio::time::Instant;

use crate::connection::shared::{lock, Shared};

/// Longest wait for in-flight publishes before renewing anyway (they are re-sent).
const DRAIN_LIMIT: Duration = Duration::from_secs(5);
const DRAIN_POLL: Duration = Duration::from_millis(50);

/// When to renew a token valid for `lifetime`: at `percent` % of it.
pub(crate) fn renewal_delay(lifetime: Duration, percent: u8) -> Duration {
    lifetime.mul_f64(f64::from(percent) / 100.0)
}

/// Starts the timer for the connection of generation `epoch`. It does nothing if that
/// connection is gone by then.
pub(crate) fn spawn(shared: Weak<Shared>, epoch: u64, lifetime: Duration) {
    let Some(percent) = shared.upgrade().map(|s| s.options.sas_renewal_percent) else {
        return;
    };
    tokio::spawn(async move {
        tokio::time::sleep(renewal_delay(lifetime, percent)).await;
        let started = Instant::now();
        loop {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            {
                let outbox = lock(&shared.outbox);
                if outbox.closed || outbox.epoch != epoch {
                    return;
                }
                let settled = outbox.tracker.inflight_len() == 0 && lock(&shared.acks).len() == 0;
                if settled || started.elapsed() >= DRAIN_LIMIT {
                    tracing::info!(
                        module = %shared.identity.module_label(),
                        waited_ms = started.elapsed().as_millis(),
                        "renewing the SAS token: reconnecting"
                    );
                    // Queued behind everything already requested; the connection task
                    // reconnects with a fresh token when it sees the DISCONNECT go out.
                    if let Err(e) = shared.mqtt.try_disconnect() {
                        tracing::warn!(
                            module = %shared.identity.module_label(),
                            error = %e,
                            "could not request the renewal disconnect"
                        );
                    }
                    return;
                }
            }
            drop(shared);
            tokio::time::sleep(DRAIN_POLL).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renews_at_eighty_percent() {
        assert_eq!(
            renewal_delay(Duration::from_secs(3600), 80),
            Duration::from_secs(2880)
        );
        assert_eq!(
            renewal_delay(Duration::from_secs(10), 80),
            Duration::from_secs(8)
        );
        assert_eq!(
            renewal_delay(Duration::from_secs(10), 50),
            Duration::from_secs(5)
        );
    }
}
