//! Client options from the Python keyword dictionary (names as in the docs: `mqtt_port`,
//! `operation_timeout` in seconds, …). Unknown names are refused, so typos don't pass.

use std::time::Duration;

use edgemodule::{ClientBuilder, Error, RetryPolicy};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Every option name `apply` understands.
pub const NAMES: [&str; 15] = [
    "mqtt_port",
    "https_port",
    "keep_alive",
    "operation_timeout",
    "sas_ttl",
    "trust_bundle_pem",
    "product_info",
    "model_id",
    "max_inflight",
    "redelivery_delay",
    "retry_initial_delay",
    "retry_max_delay",
    "retry_multiplier",
    "retry_jitter",
    "retry_give_up_after",
];

fn seconds(name: &str, value: f64) -> edgemodule::Result<Duration> {
    if !(0.0..=1.0e9).contains(&value) {
        return Err(Error::invalid_argument(format!(
            "{name} must be a number of seconds ≥ 0, not {value}"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// Applies `options` to `builder`. `Ok(Err(..))` for a bad value or name (an edgemodule
/// `INVALID_ARGUMENT`), `Err` for a Python type error.
pub fn apply(
    mut builder: ClientBuilder,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<edgemodule::Result<ClientBuilder>> {
    let Some(options) = options else {
        return Ok(Ok(builder));
    };
    let mut retry = RetryPolicy::default();
    let mut retry_set = false;
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let secs = |v: &Bound<'_, PyAny>| -> PyResult<edgemodule::Result<Duration>> {
            Ok(seconds(&key, v.extract::<f64>()?))
        };
        macro_rules! dur {
            () => {
                match secs(&value)? {
                    Ok(d) => d,
                    Err(e) => return Ok(Err(e)),
                }
            };
        }
        builder = match key.as_str() {
            "mqtt_port" => builder.mqtt_port(value.extract()?),
            "https_port" => builder.https_port(value.extract()?),
            "keep_alive" => builder.keep_alive(dur!()),
            "operation_timeout" => builder.operation_timeout(dur!()),
            "sas_ttl" => builder.sas_ttl(dur!()),
            "trust_bundle_pem" => builder.trust_bundle_pem(value.extract::<String>()?),
            "product_info" => builder.product_info(value.extract::<String>()?),
            "model_id" => builder.model_id(value.extract::<String>()?),
            "max_inflight" => builder.max_inflight(value.extract()?),
            "redelivery_delay" => builder.redelivery_delay(dur!()),
            "retry_initial_delay"
            | "retry_max_delay"
            | "retry_give_up_after"
            | "retry_multiplier"
            | "retry_jitter" => {
                retry_set = true;
                match key.as_str() {
                    "retry_initial_delay" => retry.initial_delay = dur!(),
                    "retry_max_delay" => retry.max_delay = dur!(),
                    "retry_give_up_after" => retry.give_up_after = Some(dur!()),
                    "retry_multiplier" => retry.multiplier = value.extract()?,
                    _ => retry.jitter = value.extract()?,
                }
                builder
            }
            other => {
                return Ok(Err(Error::invalid_argument(format!(
                    "unknown client option {other:?}; known: {}",
                    NAMES.join(", ")
                ))))
            }
        };
    }
    if retry_set {
        builder = builder.retry_policy(retry);
    }
    Ok(Ok(builder))
}
