//! Runners for the policy vectors (`errors.json`, `status.json`, `system_properties.json`,
//! `options.json`, `twin.json`, `json.json`): each op calls the core's public table or function, so a
//! vector that drifts from the code fails `cargo test`.

pub mod errors;
pub mod json;
pub mod options;
pub mod twin;

use edgemodule::Error;
use serde_json::Value;

/// What a case produced.
pub type Outcome = Result<Value, Error>;

/// The input as an integer.
pub fn int(input: &Value) -> Result<i64, String> {
    input
        .as_i64()
        .ok_or_else(|| "input is not an integer".into())
}

/// A malformed case.
pub fn unknown(op: &str) -> Result<Outcome, String> {
    Err(format!("unknown op {op:?}"))
}
