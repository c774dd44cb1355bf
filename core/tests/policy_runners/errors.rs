//! `errors.json`, `status.json`, `system_properties.json`: the code tables.

use edgemodule::{
    code_info, ConnectionState, Error, StatusInfo, StatusReason, SystemProperty, CODES,
};
use serde_json::{json, Value};

use super::{int, unknown, Outcome};

fn i32_input(input: &Value) -> Result<i32, String> {
    i32::try_from(int(input)?).map_err(|_| "input out of i32 range".to_string())
}

/// `errors.json`.
pub fn errors(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(Ok(match op {
        "all_codes" => json!(CODES.iter().map(|c| c.name).collect::<Vec<_>>()),
        "code" => json!(code_info(i32_input(input)?).map(|c| json!({
            "code": c.code,
            "name": c.name,
            "description": c.description,
            "transient": c.transient,
        }))),
        "from_status" => {
            let status = u16::try_from(int(input)?).map_err(|_| "status out of range")?;
            let e = Error::from_status(status, "vector");
            json!({"kind": e.kind().name(), "status": e.status(), "transient": e.is_transient()})
        }
        _ => return unknown(op),
    }))
}

fn status_row(row: Option<&StatusInfo>) -> Value {
    json!(row.map(|r| json!({"code": r.code, "name": r.name, "description": r.description})))
}

/// `status.json`.
pub fn status(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(Ok(match op {
        "all_states" => json!(ConnectionState::ALL.map(|s| s.name())),
        "all_reasons" => json!(StatusReason::ALL.map(|r| r.name())),
        "state" => status_row(ConnectionState::from_code(i32_input(input)?).map(|s| s.info())),
        "reason" => status_row(StatusReason::from_code(i32_input(input)?).map(|r| r.info())),
        "refusal" => {
            let field = |k: &str| input.get(k).ok_or(format!("input has no {k:?}"));
            let expiry = field("token_expiry")?.as_u64().ok_or("token_expiry")?;
            let now = field("now")?.as_u64().ok_or("now")?;
            let renewable = field("renewable")?.as_bool().ok_or("renewable")?;
            json!({
                "reason": StatusReason::for_refused_token(expiry, now).name(),
                "error": "UNAUTHORIZED",
                "retry": renewable,
            })
        }
        _ => return unknown(op),
    }))
}

/// `system_properties.json`.
pub fn system_properties(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(Ok(match op {
        "all" => json!(SystemProperty::ALL.map(|p| p.name())),
        "wire_order" => json!(edgemodule::system_property::WIRE_ORDER.map(|p| p.wire_key())),
        "property" => json!(SystemProperty::from_code(i32_input(input)?).map(|p| {
            let info = p.info();
            json!({
                "code": p.code(),
                "name": info.name,
                "wire_key": info.wire_key,
                "type": info.value_type.name(),
                "received_only": info.received_only,
            })
        })),
        "from_wire_key" => {
            let key = input.as_str().ok_or("input is not a string")?;
            json!(SystemProperty::from_wire_key(key).map(|p| p.name()))
        }
        _ => return unknown(op),
    }))
}
