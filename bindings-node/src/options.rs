//! Client options as a plain object, applied to the core's `ClientBuilder`.

use std::collections::HashMap;
use std::time::Duration;

use edgemodule::{ClientBuilder, RetryPolicy};
use napi_derive::napi;

use crate::error::invalid_argument;

/// How the client waits between reconnect attempts (exponential backoff with jitter).
#[napi(object)]
#[derive(Default)]
pub struct NativeRetryPolicy {
    /// Delay before the first retry (default 100 ms).
    pub initial_delay_ms: Option<u32>,
    /// Upper bound of any delay (default 10 000 ms).
    pub max_delay_ms: Option<u32>,
    /// Growth factor per attempt (default 2).
    pub multiplier: Option<f64>,
    /// Fraction (0–1) of each delay that may be randomly taken off (default 0.2).
    pub jitter: Option<f64>,
    /// Give up after being disconnected this long (default: never).
    pub give_up_after_ms: Option<u32>,
}

/// Options for creating a client. Every field is optional.
#[napi(object)]
#[derive(Default)]
pub struct NativeClientOptions {
    /// Environment variables to read instead of the process environment (`fromEnvironment`).
    pub env: Option<HashMap<String, String>>,
    /// PEM trust bundle (instead of the workload API's or `EdgeModuleCACertificateFile`).
    pub trust_bundle_pem: Option<String>,
    /// Gateway MQTT port (default `EDGEMODULE_MQTT_PORT`, else 8883).
    pub mqtt_port: Option<u32>,
    /// Gateway HTTPS port for `invokeMethod` (default `EDGEMODULE_HTTPS_PORT`, else 443).
    pub https_port: Option<u32>,
    /// Timeout of every operation in milliseconds (default 30 000).
    pub operation_timeout_ms: Option<u32>,
    /// MQTT keep-alive in seconds (default 60).
    pub keep_alive_secs: Option<u32>,
    /// SAS token lifetime in seconds (default 3600; renewed at 80 %).
    pub sas_ttl_secs: Option<u32>,
    /// Appended to the client type in the MQTT username.
    pub product_info: Option<String>,
    /// Digital-twin model id.
    pub model_id: Option<String>,
    /// Most QoS 1 publishes awaiting PUBACK at once (default 100).
    pub max_inflight: Option<u32>,
    /// Delay before an abandoned input message is delivered again, in ms (default 500).
    pub redelivery_delay_ms: Option<u32>,
    /// Reconnect policy.
    pub retry: Option<NativeRetryPolicy>,
}

fn port(value: Option<u32>, name: &str) -> napi::Result<Option<u16>> {
    match value {
        None => Ok(None),
        Some(p) => match u16::try_from(p) {
            Ok(p) if p != 0 => Ok(Some(p)),
            _ => Err(invalid_argument(format!("{name} {p} is not a port number"))),
        },
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

impl NativeClientOptions {
    /// Applies every option that is set; the environment override is applied by the caller.
    pub fn apply(self, mut builder: ClientBuilder) -> napi::Result<ClientBuilder> {
        if let Some(p) = port(self.mqtt_port, "mqttPort")? {
            builder = builder.mqtt_port(p);
        }
        if let Some(p) = port(self.https_port, "httpsPort")? {
            builder = builder.https_port(p);
        }
        if let Some(pem) = self.trust_bundle_pem {
            builder = builder.trust_bundle_pem(pem);
        }
        if let Some(ms) = self.operation_timeout_ms {
            if ms == 0 {
                return Err(invalid_argument("operationTimeoutMs must be positive"));
            }
            builder = builder.operation_timeout(millis(ms));
        }
        if let Some(secs) = self.keep_alive_secs {
            builder = builder.keep_alive(Duration::from_secs(u64::from(secs.max(1))));
        }
        if let Some(secs) = self.sas_ttl_secs {
            if secs == 0 {
                return Err(invalid_argument("sasTtlSecs must be positive"));
            }
            builder = builder.sas_ttl(Duration::from_secs(u64::from(secs)));
        }
        if let Some(info) = self.product_info {
            builder = builder.product_info(info);
        }
        if let Some(model) = self.model_id {
            builder = builder.model_id(model);
        }
        if let Some(max) = self.max_inflight {
            builder = builder.max_inflight(u16::try_from(max).unwrap_or(u16::MAX));
        }
        if let Some(ms) = self.redelivery_delay_ms {
            builder = builder.redelivery_delay(millis(ms));
        }
        if let Some(retry) = self.retry {
            let defaults = RetryPolicy::default();
            builder = builder.retry_policy(RetryPolicy {
                initial_delay: retry
                    .initial_delay_ms
                    .map_or(defaults.initial_delay, millis),
                max_delay: retry.max_delay_ms.map_or(defaults.max_delay, millis),
                multiplier: retry.multiplier.unwrap_or(defaults.multiplier),
                jitter: retry.jitter.unwrap_or(defaults.jitter),
                give_up_after: retry.give_up_after_ms.map(millis),
            });
        }
        Ok(builder)
    }
}
