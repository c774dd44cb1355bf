//! `json.json`: JSON text as serde_json reads and writes it, for the bindings that carry their
//! own JSON reader/writer (.NET `Json.cs`): their tests compare with the same rows.

use edgemodule::{Error, ErrorKind};
use serde_json::Value;

use super::{unknown, Outcome};

fn text(input: &Value) -> Result<&str, String> {
    input.as_str().ok_or_else(|| "input is not a string".into())
}

fn parse(text: &str) -> Result<Value, Error> {
    serde_json::from_str::<Value>(text)
        .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("invalid JSON: {e}")))
}

/// `json.json`.
pub fn json(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "roundtrip" => parse(text(input)?).map(|v| Value::String(v.to_string())),
        "parse" => parse(text(input)?),
        _ => return unknown(op),
    })
}
