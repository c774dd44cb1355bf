//! Client options from Python keyword arguments: each keyword names a core option
//! (`edgemodule::OPTIONS`) — directly (`mqtt_port`, `retry_multiplier`, `handler_attempts`,
//! `operation_timeout_ms`, …) or by a Python name in seconds (`operation_timeout=2.5` is
//! `operation_timeout_ms=2500`). This module converts names and units only; the core checks
//! every value and refuses unknown names (`INVALID_ARGUMENT` naming the option).

use edgemodule::{ClientOptions, Error, OptionValue};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

/// Python keyword → (core option, how many core units one Python unit is).
pub const RENAMED: [(&str, &str, i64); 7] = [
    ("operation_timeout", "operation_timeout_ms", 1000),
    ("keep_alive", "keep_alive_secs", 1),
    ("sas_ttl", "sas_ttl_secs", 1),
    ("redelivery_delay", "redelivery_delay_ms", 1000),
    ("retry_initial_delay", "retry_initial_delay_ms", 1000),
    ("retry_max_delay", "retry_max_delay_ms", 1000),
    ("retry_give_up_after", "retry_give_up_after_ms", 1000),
];

fn renamed(key: &str) -> Option<(&'static str, i64)> {
    RENAMED
        .iter()
        .find(|(python, _, _)| *python == key)
        .map(|(_, core, factor)| (*core, *factor))
}

/// `value` in the core's unit: a whole number becomes an integer, anything else stays a
/// fraction (which the core refuses for whole-number options, naming them).
fn scaled(value: f64, factor: i64) -> OptionValue {
    // Factors are 1 or 1000: exact in f64.
    #[allow(clippy::cast_precision_loss)]
    let scaled = value * factor as f64;
    let whole = scaled.round();
    // 0.7 s is 700.0000000000001 ms in binary floating point: still 700.
    if scaled.is_finite() && (scaled - whole).abs() < 1e-6 && whole.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)]
        return OptionValue::Integer(whole as i64);
    }
    OptionValue::Number(scaled)
}

/// The core's value for keyword `key` = `value` (converted to `name`'s unit by `factor`).
fn convert(
    key: &str,
    value: &Bound<'_, PyAny>,
    factor: i64,
) -> PyResult<edgemodule::Result<OptionValue>> {
    let not_a = |what: &str| {
        Err(Error::invalid_argument(format!(
            "option {key}: {what}, not {}",
            value
                .get_type()
                .name()
                .map_or_else(|_| "?".to_string(), |n| n.to_string())
        )))
    };
    if value.is_none() {
        return Ok(Ok(OptionValue::Null));
    }
    if value.is_instance_of::<PyBool>() {
        // The core's own refusal (no option takes a boolean).
        let flag = serde_json::Value::Bool(value.extract()?);
        return Ok(OptionValue::from_json(key, &flag));
    }
    if value.is_instance_of::<PyInt>() {
        let Ok(i) = value.extract::<i64>() else {
            return Ok(not_a("a number in range"));
        };
        return Ok(match i.checked_mul(factor) {
            Some(i) => Ok(OptionValue::Integer(i)),
            None => not_a("a number in range"),
        });
    }
    if value.is_instance_of::<PyFloat>() {
        let f: f64 = value.extract()?;
        return Ok(Ok(if factor == 1 {
            OptionValue::Number(f)
        } else {
            scaled(f, factor)
        }));
    }
    if value.is_instance_of::<PyString>() && factor == 1 {
        return Ok(Ok(OptionValue::Text(value.extract()?)));
    }
    if factor == 1 {
        Ok(not_a("a number or text"))
    } else {
        Ok(not_a("a number of seconds"))
    }
}

/// The options in `kwargs` (`Ok(Err(..))`: the core's `INVALID_ARGUMENT`).
pub fn from_kwargs(
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<edgemodule::Result<ClientOptions>> {
    let mut pairs: Vec<(String, OptionValue)> = Vec::new();
    for (key, value) in kwargs.iter().flat_map(|d| d.iter()) {
        let key: String = key.extract()?;
        let (name, factor) = renamed(&key).unwrap_or((key.as_str(), 1));
        let name = name.to_string();
        match convert(&key, &value, factor)? {
            Ok(v) => pairs.push((name, v)),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(edgemodule_ffi::options::options_from_pairs(pairs).map_err(|e| explain(e, kwargs)))
}

/// The core names the option it refuses; say which keyword (and unit) that was.
fn explain(error: Error, kwargs: Option<&Bound<'_, PyDict>>) -> Error {
    let message = error.message();
    for (python, core, factor) in RENAMED {
        let given = kwargs.is_some_and(|d| d.contains(python).unwrap_or(false));
        if given && message.contains(core) {
            let unit = if factor == 1 {
                "seconds"
            } else {
                "seconds; the core counts milliseconds"
            };
            return Error::new(
                error.kind(),
                format!("{python} (in {unit}, core option {core}): {message}"),
            );
        }
    }
    error
}

/// The renamed keywords: `(python name, core option, factor)`.
#[pyfunction]
pub fn option_keywords() -> Vec<(&'static str, &'static str, i64)> {
    RENAMED.to_vec()
}

/// Every core option name, in the core's table order.
#[pyfunction]
pub fn option_names() -> Vec<&'static str> {
    edgemodule::OPTIONS.iter().map(|o| o.name).collect()
}
