//! String-keyed access to [`ClientOptions`]: the one entry point every binding uses to
//! apply its host options ([`ClientOptions::set`], [`ClientOptions::from_json`]), and the
//! validation that every creation path runs ([`ClientOptions::validate`]).

use std::time::Duration;

use serde_json::{Map, Value};

use super::table::{spec, OptionKind, OptionSpec, OPTIONS};
use super::value::OptionValue;
use super::ClientOptions;
use crate::error::{Error, Result};

/// A value that passed its option's checks.
enum Checked {
    /// Back to the default (or `None`).
    Unset,
    Integer(i64),
    Number(f64),
    Text(String),
}

fn known(name: &str) -> Result<&'static OptionSpec> {
    spec(name).ok_or_else(|| {
        let names: Vec<&str> = OPTIONS.iter().map(|s| s.name).collect();
        Error::invalid_argument(format!(
            "unknown option {name:?}; the options are {}",
            names.join(", ")
        ))
    })
}

fn unit_suffix(spec: &OptionSpec) -> String {
    spec.unit.map(|u| format!(" {u}")).unwrap_or_default()
}

fn out_of_range(
    spec: &OptionSpec,
    min: &dyn std::fmt::Display,
    max: &dyn std::fmt::Display,
    got: &dyn std::fmt::Display,
) -> Error {
    Error::invalid_argument(format!(
        "option {} must be between {min} and {max}{}, not {got}",
        spec.name,
        unit_suffix(spec)
    ))
}

/// Converts `value` to `spec`'s kind and checks its range and rule.
fn check(spec: &OptionSpec, value: &OptionValue) -> Result<Checked> {
    if value.is_unset() {
        return Ok(Checked::Unset);
    }
    let name = spec.name;
    match spec.kind {
        OptionKind::Integer { min, max } => {
            let n = match value {
                OptionValue::Integer(i) => *i,
                OptionValue::Number(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    *f as i64
                }
                OptionValue::Text(s) => s.trim().parse::<i64>().map_err(|_| {
                    Error::invalid_argument(format!("option {name}: {s:?} is not a whole number"))
                })?,
                other => {
                    return Err(Error::invalid_argument(format!(
                        "option {name} must be a whole number{}, not {other}",
                        unit_suffix(spec)
                    )))
                }
            };
            if n < min || n > max {
                return Err(out_of_range(spec, &min, &max, &n));
            }
            Ok(Checked::Integer(n))
        }
        OptionKind::Number { min, max } => {
            let n = match value {
                OptionValue::Integer(i) => *i as f64,
                OptionValue::Number(f) => *f,
                OptionValue::Text(s) => s.trim().parse::<f64>().map_err(|_| {
                    Error::invalid_argument(format!("option {name}: {s:?} is not a number"))
                })?,
                OptionValue::Null => return Ok(Checked::Unset),
            };
            if !n.is_finite() || n < min || n > max {
                return Err(out_of_range(spec, &min, &max, &n));
            }
            Ok(Checked::Number(n))
        }
        OptionKind::Text => match value {
            OptionValue::Text(s) => {
                check_text(name, s)?;
                Ok(Checked::Text(s.clone()))
            }
            other => Err(Error::invalid_argument(format!(
                "option {name} must be text, not {other}"
            ))),
        },
    }
}

/// The rule of each text option.
fn check_text(name: &str, text: &str) -> Result<()> {
    let fail = |why: &str| Err(Error::invalid_argument(format!("option {name}: {why}")));
    match name {
        "product_info" if text.chars().any(char::is_control) => {
            fail("must not contain control characters")
        }
        "model_id" if !text.starts_with("dtmi:") => fail("must start with 'dtmi:'"),
        "model_id" if text.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            fail("must not contain whitespace")
        }
        _ => Ok(()),
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn secs(s: i64) -> Duration {
    Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

fn ms_of(d: Duration) -> OptionValue {
    OptionValue::Integer(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn secs_of(d: Duration) -> OptionValue {
    OptionValue::Integer(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl ClientOptions {
    /// Sets option `name` (see [`OPTIONS`]) from a binding's value. `Null` or empty text
    /// puts the option back to its default (then its environment override applies). An
    /// unknown name, a value of the wrong type or out of range → `INVALID_ARGUMENT` naming
    /// the option and the valid range; nothing is changed then.
    ///
    /// Checks that involve two options (`retry_max_delay_ms` ≥ `retry_initial_delay_ms`)
    /// run in [`validate`](ClientOptions::validate), when the client is built.
    pub fn set(&mut self, name: &str, value: impl Into<OptionValue>) -> Result<()> {
        let spec = known(name)?;
        let checked = check(spec, &value.into())?;
        self.store(spec.name, checked);
        Ok(())
    }

    /// The current value of option `name`: `Null` when unset, durations as whole numbers
    /// in the option's unit. `INVALID_ARGUMENT` for an unknown name.
    pub fn get(&self, name: &str) -> Result<OptionValue> {
        let spec = known(name)?;
        let text = |t: &Option<String>| OptionValue::from(t.clone());
        Ok(match spec.name {
            "mqtt_port" => self.mqtt_port.map(i64::from).into(),
            "https_port" => self.https_port.map(i64::from).into(),
            "operation_timeout_ms" => ms_of(self.operation_timeout),
            "keep_alive_secs" => secs_of(self.keep_alive),
            "sas_ttl_secs" => secs_of(self.sas_ttl),
            "sas_renewal_percent" => i64::from(self.sas_renewal_percent).into(),
            "max_inflight" => i64::from(self.max_inflight).into(),
            "redelivery_delay_ms" => ms_of(self.redelivery_delay),
            "handler_attempts" => i64::from(self.handler_attempts).into(),
            "retry_initial_delay_ms" => ms_of(self.retry.initial_delay),
            "retry_max_delay_ms" => ms_of(self.retry.max_delay),
            "retry_multiplier" => self.retry.multiplier.into(),
            "retry_jitter" => self.retry.jitter.into(),
            "retry_give_up_after_ms" => self.retry.give_up_after.map_or(OptionValue::Null, ms_of),
            "trust_bundle_pem" => text(&self.trust_bundle_pem),
            "trust_bundle_file" => text(&self.trust_bundle_file),
            "product_info" => text(&self.product_info),
            "model_id" => text(&self.model_id),
            other => {
                return Err(Error::new(
                    crate::ErrorKind::Internal,
                    format!("option {other} is in the table but has no field"),
                ))
            }
        })
    }

    fn store(&mut self, name: &str, value: Checked) {
        let d = ClientOptions::default();
        let int = |v: &Checked| match v {
            Checked::Integer(i) => Some(*i),
            _ => None,
        };
        let num = |v: &Checked| match v {
            Checked::Number(n) => Some(*n),
            _ => None,
        };
        let text = match &value {
            Checked::Text(t) => Some(t.clone()),
            _ => None,
        };
        let i = int(&value);
        let port = i.and_then(|p| u16::try_from(p).ok());
        match name {
            "mqtt_port" => self.mqtt_port = port,
            "https_port" => self.https_port = port,
            "operation_timeout_ms" => {
                self.operation_timeout = i.map_or(d.operation_timeout, millis)
            }
            "keep_alive_secs" => self.keep_alive = i.map_or(d.keep_alive, secs),
            "sas_ttl_secs" => self.sas_ttl = i.map_or(d.sas_ttl, secs),
            "sas_renewal_percent" => {
                self.sas_renewal_percent = i
                    .and_then(|p| u8::try_from(p).ok())
                    .unwrap_or(d.sas_renewal_percent)
            }
            "max_inflight" => {
                self.max_inflight = i
                    .and_then(|m| u16::try_from(m).ok())
                    .unwrap_or(d.max_inflight)
            }
            "redelivery_delay_ms" => self.redelivery_delay = i.map_or(d.redelivery_delay, millis),
            "handler_attempts" => {
                self.handler_attempts = i
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(d.handler_attempts)
            }
            "retry_initial_delay_ms" => {
                self.retry.initial_delay = i.map_or(d.retry.initial_delay, millis)
            }
            "retry_max_delay_ms" => self.retry.max_delay = i.map_or(d.retry.max_delay, millis),
            "retry_multiplier" => self.retry.multiplier = num(&value).unwrap_or(d.retry.multiplier),
            "retry_jitter" => self.retry.jitter = num(&value).unwrap_or(d.retry.jitter),
            "retry_give_up_after_ms" => self.retry.give_up_after = i.map(millis),
            "trust_bundle_pem" => self.trust_bundle_pem = text,
            "trust_bundle_file" => self.trust_bundle_file = text,
            "product_info" => self.product_info = text,
            "model_id" => self.model_id = text,
            _ => {}
        }
    }

    /// Checks every option against [`OPTIONS`] and the rules between options
    /// (`retry_max_delay_ms` not below `retry_initial_delay_ms`). The first violation →
    /// `INVALID_ARGUMENT` naming the option. `ClientBuilder::build` runs it, so options
    /// set through the struct's fields are held to the same rules as [`set`](Self::set).
    pub fn validate(&self) -> Result<()> {
        for spec in &OPTIONS {
            check(spec, &self.get(spec.name)?)?;
        }
        if self.retry.max_delay < self.retry.initial_delay {
            return Err(Error::invalid_argument(format!(
                "option retry_max_delay_ms ({}) must not be below retry_initial_delay_ms ({})",
                self.retry.max_delay.as_millis(),
                self.retry.initial_delay.as_millis()
            )));
        }
        Ok(())
    }

    /// Applies a JSON object of `{name: value}` (values: number, string or `null`) on top
    /// of these options, then validates the result. On error nothing is changed.
    pub fn apply_json(&mut self, object: &Value) -> Result<()> {
        let Value::Object(map) = object else {
            return Err(Error::invalid_argument(format!(
                "options must be a JSON object of name: value, not {object}"
            )));
        };
        let mut next = self.clone();
        for (name, value) in map {
            next.set(name, OptionValue::from_json(name, value)?)?;
        }
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Default options with a JSON object applied (see
    /// [`apply_json`](Self::apply_json)).
    pub fn from_json(object: &Value) -> Result<ClientOptions> {
        let mut options = ClientOptions::default();
        options.apply_json(object)?;
        Ok(options)
    }

    /// Every option as `{name: value}` (`null` when unset), in table order.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for spec in &OPTIONS {
            let value = self.get(spec.name).map_or(Value::Null, |v| v.to_json());
            map.insert(spec.name.to_string(), value);
        }
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    #[test]
    fn every_option_round_trips_through_set_and_get() {
        let mut o = ClientOptions::default();
        for spec in &OPTIONS {
            let default = o.get(spec.name).unwrap();
            o.set(spec.name, default.clone()).unwrap();
            assert_eq!(o.get(spec.name).unwrap(), default, "{}", spec.name);
        }
        assert_eq!(o, ClientOptions::default());
        o.validate().unwrap();
    }

    #[test]
    fn values_are_converted_by_kind_and_never_clamped() {
        let mut o = ClientOptions::default();
        o.set("operation_timeout_ms", 2500.0).unwrap();
        assert_eq!(o.operation_timeout, Duration::from_millis(2500));
        o.set("keep_alive_secs", " 30 ").unwrap();
        assert_eq!(o.keep_alive, Duration::from_secs(30));
        o.set("retry_multiplier", 3).unwrap();
        assert_eq!(o.retry.multiplier, 3.0);
        for (name, bad, needle) in [
            (
                "max_inflight",
                OptionValue::Integer(0),
                "between 1 and 65471",
            ),
            ("max_inflight", OptionValue::Integer(70_000), "not 70000"),
            (
                "operation_timeout_ms",
                OptionValue::Number(2.5),
                "whole number",
            ),
            ("keep_alive_secs", OptionValue::Integer(1768), "1767 s"),
            ("retry_jitter", OptionValue::Number(1.5), "between 0 and 1"),
            (
                "retry_multiplier",
                OptionValue::Number(f64::NAN),
                "retry_multiplier",
            ),
            ("mqtt_port", "http".into(), "not a whole number"),
            ("product_info", OptionValue::Integer(1), "must be text"),
            ("model_id", "urn:x".into(), "dtmi:"),
            ("nope", OptionValue::Integer(1), "unknown option"),
        ] {
            let before = o.clone();
            let e = o.set(name, bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{name}");
            assert!(e.message().contains(needle), "{name}: {e}");
            assert_eq!(o, before, "a refused value changes nothing");
        }
    }

    #[test]
    fn null_and_empty_text_reset_to_the_default() {
        let mut o = ClientOptions::default();
        o.set("mqtt_port", 1883).unwrap();
        o.set("retry_give_up_after_ms", 5000).unwrap();
        o.set("product_info", "x/1").unwrap();
        o.set("operation_timeout_ms", 5).unwrap();
        o.set("mqtt_port", OptionValue::Null).unwrap();
        o.set("retry_give_up_after_ms", OptionValue::Null).unwrap();
        o.set("product_info", "").unwrap();
        o.set("operation_timeout_ms", OptionValue::Null).unwrap();
        assert_eq!(o, ClientOptions::default());
    }

    #[test]
    fn validate_catches_fields_set_directly_and_cross_checks() {
        let mut o = ClientOptions {
            max_inflight: 0,
            ..ClientOptions::default()
        };
        assert!(o.validate().unwrap_err().message().contains("max_inflight"));
        o.max_inflight = 10;
        o.retry.initial_delay = Duration::from_secs(5);
        o.retry.max_delay = Duration::from_secs(1);
        let e = o.validate().unwrap_err();
        assert!(e.message().contains("retry_max_delay_ms (1000)"), "{e}");
    }

    #[test]
    fn json_objects_apply_atomically() {
        let o =
            ClientOptions::from_json(&json!({"operation_timeout_ms": 100, "product_info": "p"}))
                .unwrap();
        assert_eq!(o.operation_timeout, Duration::from_millis(100));
        assert_eq!(o.to_json()["product_info"], "p");
        let mut o = ClientOptions::default();
        let e = o
            .apply_json(&json!({"operation_timeout_ms": 100, "retry_max_delay_ms": 0}))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(o, ClientOptions::default());
        assert!(ClientOptions::from_json(&json!([1])).is_err());
        assert!(ClientOptions::from_json(&json!({"mqtt_port": true})).is_err());
    }
}
