//! Client options: ports, timeouts, retry policy, SAS lifetime and renewal, trust bundle,
//! product info — and the one table of their names, defaults and valid ranges that every
//! binding maps its host options to ([`OPTIONS`], [`ClientOptions::set`],
//! [`ClientOptions::from_json`]).
//!
//! Rules every creation path follows (Rust builder and every binding):
//! - an option's value is checked against [`OPTIONS`]; out of range, the wrong type or an
//!   unknown name is `INVALID_ARGUMENT` naming the option — never clamped;
//! - an unset option falls back to its `EDGEMODULE_*` environment variable, if it has one
//!   (a malformed variable is `CONFIG` naming it), then to its default — for clients from
//!   the edge environment and from a connection string alike;
//! - a connection-string client trusts `trust_bundle_pem`, else `trust_bundle_file`, else
//!   the file named by `EdgeModuleCACertificateFile`; a workload client trusts
//!   `trust_bundle_pem`, else `trust_bundle_file`, else the workload API's bundle.

use std::time::Duration;

mod access;
pub(crate) mod resolve;
mod table;
mod value;

pub use resolve::TrustSource;
pub use table::{spec, OptionKind, OptionSpec, OPTIONS};
pub use value::OptionValue;

/// MQTT quality of service for user-topic publishes and subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Qos {
    /// QoS 0: fire and forget; the operation completes when the packet is written.
    AtMostOnce,
    /// QoS 1: the operation completes on the hub's PUBACK.
    #[default]
    AtLeastOnce,
}

/// How the client waits between reconnect attempts: exponential backoff with jitter.
///
/// The delay before attempt `n` (0-based) is `min(max_delay, initial_delay * multiplier^n)`,
/// then reduced by a random fraction of up to `jitter` (0.0–1.0) so that many modules
/// restarted together don't reconnect in lock step.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial_delay: Duration,
    /// Upper bound of any delay.
    pub max_delay: Duration,
    /// Growth factor per attempt (1.0–10.0).
    pub multiplier: f64,
    /// Fraction of the delay (0.0–1.0) that may be randomly taken off.
    pub jitter: f64,
    /// Stop retrying once the client has been disconnected this long (`None`: never give
    /// up). The status then becomes `Disconnected` / `RetryExpired`.
    pub give_up_after: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: 0.2,
            give_up_after: None,
        }
    }
}

impl RetryPolicy {
    /// The delay before retry `attempt` (0-based), with `random` in `[0, 1)` choosing how
    /// much jitter is taken off.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let multiplier = if self.multiplier.is_finite() && self.multiplier > 1.0 {
            self.multiplier
        } else {
            1.0
        };
        let base = self.initial_delay.as_secs_f64() * multiplier.powi(attempt.min(64) as i32);
        let capped = base.min(self.max_delay.as_secs_f64()).max(0.0);
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        let secs = capped * (1.0 - jitter);
        if secs.is_finite() {
            Duration::from_secs_f64(secs)
        } else {
            self.max_delay
        }
    }

    /// True when retrying should stop after being disconnected for `disconnected_for`.
    pub fn gives_up(&self, disconnected_for: Duration) -> bool {
        self.give_up_after
            .is_some_and(|limit| disconnected_for >= limit)
    }
}

/// Everything that can be tuned on a client. `ClientOptions::default()` matches the
/// official SDKs' defaults where they have one. Names, units and valid ranges: [`OPTIONS`];
/// [`ClientOptions::validate`] (run by `ClientBuilder::build`) checks every field.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// MQTT (TLS) port of the gateway. `None`: `EDGEMODULE_MQTT_PORT` from the environment,
    /// else 8883.
    pub mqtt_port: Option<u16>,
    /// HTTPS port of the gateway (used by `invoke_method`). `None`: `EDGEMODULE_HTTPS_PORT`
    /// from the environment, else 443.
    pub https_port: Option<u16>,
    /// MQTT keep-alive (whole seconds, at least 1 s; edgeHub allows up to 1767 s).
    pub keep_alive: Duration,
    /// Upper bound for every operation (send, twin, method response, connect).
    pub operation_timeout: Duration,
    /// Reconnect policy.
    pub retry: RetryPolicy,
    /// Lifetime of each SAS token; the client reconnects with a fresh one at
    /// `sas_renewal_percent` of it.
    pub sas_ttl: Duration,
    /// When to renew a SAS token, in percent of its lifetime (50–95, default 80).
    pub sas_renewal_percent: u8,
    /// PEM trust bundle. `None`: `trust_bundle_file`, else the workload API or
    /// `EdgeModuleCACertificateFile`.
    pub trust_bundle_pem: Option<String>,
    /// A PEM file to trust, read when the client is built (when `trust_bundle_pem` is
    /// `None`).
    pub trust_bundle_file: Option<String>,
    /// Appended to the `DeviceClientType` sent in the MQTT username.
    pub product_info: Option<String>,
    /// Digital-twin model id (`dtmi:…`), sent as `model-id`.
    pub model_id: Option<String>,
    /// Most QoS 1 publishes waiting for PUBACK at once.
    pub max_inflight: u16,
    /// The wait before a handler that failed is called again with the same item (and before
    /// a stream's abandoned message is delivered again); it doubles per retry
    /// ([`crate::delivery`]).
    pub redelivery_delay: Duration,
    /// Calls of an input, desired-properties or topic handler per item before the item is
    /// acknowledged, dropped and reported (`HANDLER_FAILED`); also the deliveries of a
    /// stream message that keeps being abandoned.
    pub handler_attempts: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            mqtt_port: None,
            https_port: None,
            keep_alive: Duration::from_secs(60),
            operation_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            sas_ttl: Duration::from_secs(crate::protocol::sas::DEFAULT_TTL_SECS),
            sas_renewal_percent: 80,
            trust_bundle_pem: None,
            trust_bundle_file: None,
            product_info: None,
            model_id: None,
            max_inflight: 100,
            redelivery_delay: Duration::from_millis(500),
            handler_attempts: crate::delivery::HANDLER_ATTEMPTS,
        }
    }
}

/// Default MQTT-over-TLS port of edgeHub.
pub const DEFAULT_MQTT_PORT: u16 = 8883;
/// Default HTTPS port of edgeHub.
pub const DEFAULT_HTTPS_PORT: u16 = 443;
/// Environment variable overriding the MQTT port (set by `edgemodule-hub` when it does not
/// listen on 8883).
pub const MQTT_PORT_VAR: &str = "EDGEMODULE_MQTT_PORT";
/// Environment variable overriding the HTTPS port (set by `edgemodule-hub` when it does not
/// listen on 443).
pub const HTTPS_PORT_VAR: &str = "EDGEMODULE_HTTPS_PORT";
/// Environment variable naming the PEM file a connection-string client trusts when no
/// trust bundle option is given (set by IoT Edge's simulator and `edgemodule-hub env`).
pub const CA_FILE_VAR: &str = crate::protocol::environment::CA_FILE_VAR;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_and_caps() {
        let p = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            multiplier: 2.0,
            jitter: 0.0,
            give_up_after: None,
        };
        let delays: Vec<u128> = (0..6).map(|n| p.delay(n, 0.5).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(10_000, 0.0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_only_shortens_within_its_fraction() {
        let p = RetryPolicy {
            jitter: 0.5,
            ..RetryPolicy::default()
        };
        let full = p.delay(3, 0.0);
        let most = p.delay(3, 0.999);
        assert_eq!(full, Duration::from_millis(800));
        assert!(most < full && most >= full / 2, "{most:?}");
    }

    #[test]
    fn odd_multipliers_do_not_shrink_or_explode() {
        let p = RetryPolicy {
            multiplier: 0.1,
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(5, 0.0), Duration::from_millis(100));
        let p = RetryPolicy {
            multiplier: f64::NAN,
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(5, 0.0), Duration::from_millis(100));
    }

    #[test]
    fn give_up_only_when_configured() {
        let mut p = RetryPolicy::default();
        assert!(!p.gives_up(Duration::from_secs(1_000_000)));
        p.give_up_after = Some(Duration::from_secs(5));
        assert!(!p.gives_up(Duration::from_secs(4)));
        assert!(p.gives_up(Duration::from_secs(5)));
    }
}
