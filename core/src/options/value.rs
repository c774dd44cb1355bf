//! [`OptionValue`]: the small typed value a binding hands to [`ClientOptions::set`]
//! (crate::ClientOptions::set), whatever its host language's types are.

use serde_json::Value;

use crate::error::{Error, Result};

/// An option value as a binding received it. `Null` (and empty text) means "unset": the
/// option goes back to its environment override or default.
///
/// Whole numbers may arrive as `Number` (JavaScript) and numbers as `Text` (environment
/// variables, Java's string pairs); [`ClientOptions::set`](crate::ClientOptions::set)
/// converts them by the option's kind and refuses what does not fit.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// Unset: environment override or default.
    Null,
    /// A whole number.
    Integer(i64),
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

impl OptionValue {
    /// The value of a JSON scalar: `null`, a number or a string; anything else is
    /// `INVALID_ARGUMENT` naming `name`.
    pub fn from_json(name: &str, value: &Value) -> Result<OptionValue> {
        Ok(match value {
            Value::Null => OptionValue::Null,
            Value::String(s) => OptionValue::Text(s.clone()),
            Value::Number(n) => match n.as_i64() {
                Some(i) => OptionValue::Integer(i),
                None => OptionValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            other => {
                return Err(Error::invalid_argument(format!(
                    "option {name}: {other} is not a number, a string or null"
                )))
            }
        })
    }

    /// The value as JSON (`Number` values that are not finite become `null`).
    pub fn to_json(&self) -> Value {
        match self {
            OptionValue::Null => Value::Null,
            OptionValue::Integer(i) => Value::from(*i),
            OptionValue::Number(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            OptionValue::Text(s) => Value::from(s.as_str()),
        }
    }

    /// True for `Null` and empty (or blank) text.
    pub fn is_unset(&self) -> bool {
        match self {
            OptionValue::Null => true,
            OptionValue::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Null => f.write_str("null"),
            OptionValue::Integer(i) => write!(f, "{i}"),
            OptionValue::Number(n) => write!(f, "{n}"),
            OptionValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for OptionValue {
    fn from(value: i64) -> Self {
        OptionValue::Integer(value)
    }
}

impl From<f64> for OptionValue {
    fn from(value: f64) -> Self {
        OptionValue::Number(value)
    }
}

impl From<&str> for OptionValue {
    fn from(value: &str) -> Self {
        OptionValue::Text(value.to_string())
    }
}

impl From<String> for OptionValue {
    fn from(value: String) -> Self {
        OptionValue::Text(value)
    }
}

impl<T: Into<OptionValue>> From<Option<T>> for OptionValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(OptionValue::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_scalars_convert_and_others_are_refused() {
        assert_eq!(
            OptionValue::from_json("x", &json!(5)).unwrap(),
            OptionValue::Integer(5)
        );
        assert_eq!(
            OptionValue::from_json("x", &json!(1.5)).unwrap(),
            OptionValue::Number(1.5)
        );
        assert_eq!(
            OptionValue::from_json("x", &json!("a")).unwrap(),
            "a".into()
        );
        assert_eq!(
            OptionValue::from_json("x", &json!(null)).unwrap(),
            OptionValue::Null
        );
        for bad in [json!(true), json!([1]), json!({"a": 1})] {
            let e = OptionValue::from_json("x", &bad).unwrap_err();
            assert!(e.message().contains("option x"), "{e}");
        }
        assert_eq!(OptionValue::Number(f64::NAN).to_json(), Value::Null);
        assert!(OptionValue::Text(" ".into()).is_unset());
        assert_eq!(OptionValue::from(None::<i64>), OptionValue::Null);
    }
}
