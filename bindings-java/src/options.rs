//! `ClientOptions` (sent by Java as name/value pairs) applied to a `ClientBuilder`.

use std::time::Duration;

use edgemodule::{ClientBuilder, Error, RetryPolicy};

/// The options that apply to every source, plus the explicit gateway ports (which the
/// connection-string source applies itself, after the environment overrides).
pub(crate) struct Applied {
    /// The builder with every other option set.
    pub builder: ClientBuilder,
    /// `mqtt_port`, if given.
    pub mqtt_port: Option<u16>,
    /// `https_port`, if given.
    pub https_port: Option<u16>,
    /// `trust_bundle_pem`, if given.
    pub trust_bundle_pem: Option<String>,
}

fn millis(name: &str, value: &str) -> Result<Duration, Error> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| Error::invalid_argument(format!("option {name}: {value:?} is not a number")))
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, Error> {
    value
        .parse::<T>()
        .map_err(|_| Error::invalid_argument(format!("option {name}: {value:?} is out of range")))
}

/// Applies `options` to `builder`; `INVALID_ARGUMENT` for an unknown name or a bad value.
pub(crate) fn apply(
    mut builder: ClientBuilder,
    options: &[(String, String)],
) -> Result<Applied, Error> {
    let mut retry = RetryPolicy::default();
    let mut retry_changed = false;
    let mut applied_ports = (None, None);
    let mut trust = None;
    for (name, value) in options {
        let v = value.as_str();
        match name.as_str() {
            "operation_timeout_ms" => builder = builder.operation_timeout(millis(name, v)?),
            "keep_alive_ms" => builder = builder.keep_alive(millis(name, v)?),
            "sas_ttl_ms" => builder = builder.sas_ttl(millis(name, v)?),
            "redelivery_delay_ms" => builder = builder.redelivery_delay(millis(name, v)?),
            "retry_initial_delay_ms" => {
                retry.initial_delay = millis(name, v)?;
                retry_changed = true;
            }
            "retry_max_delay_ms" => {
                retry.max_delay = millis(name, v)?;
                retry_changed = true;
            }
            "retry_give_up_after_ms" => {
                retry.give_up_after = Some(millis(name, v)?);
                retry_changed = true;
            }
            "mqtt_port" => applied_ports.0 = Some(number::<u16>(name, v)?),
            "https_port" => applied_ports.1 = Some(number::<u16>(name, v)?),
            "max_inflight" => builder = builder.max_inflight(number::<u16>(name, v)?),
            "trust_bundle_pem" => trust = Some(value.clone()),
            "product_info" => builder = builder.product_info(value.clone()),
            "model_id" => builder = builder.model_id(value.clone()),
            other => {
                return Err(Error::invalid_argument(format!("unknown option {other:?}")));
            }
        }
    }
    if retry_changed {
        builder = builder.retry_policy(retry);
    }
    Ok(Applied {
        builder,
        mqtt_port: applied_ports.0,
        https_port: applied_ports.1,
        trust_bundle_pem: trust,
    })
}
