//! JSON navigation that keeps track of the path, for error messages.

use serde_json::{Map, Value};

use super::ManifestError;

/// A JSON value and the dotted path that led to it.
#[derive(Clone, Copy)]
pub(crate) struct At<'a, 'p> {
    pub value: &'a Value,
    pub path: &'p str,
}

impl<'a> At<'a, '_> {
    pub(crate) fn error(&self, message: impl Into<String>) -> ManifestError {
        ManifestError::new(self.path, message)
    }

    pub(crate) fn object(&self) -> Result<&'a Map<String, Value>, ManifestError> {
        self.value
            .as_object()
            .ok_or_else(|| self.error(format!("must be an object, found {}", kind(self.value))))
    }

    pub(crate) fn str(&self) -> Result<&'a str, ManifestError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("must be a string, found {}", kind(self.value))))
    }

    pub(crate) fn i64(&self) -> Result<i64, ManifestError> {
        self.value
            .as_i64()
            .ok_or_else(|| self.error(format!("must be an integer, found {}", kind(self.value))))
    }
}

/// `parent.key` (or just `key` at the root).
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A short description of a value's type for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
