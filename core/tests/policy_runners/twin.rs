//! `twin.json`: twin JSON shape, merge-patch, applying desired patches, the tracker.

use edgemodule::{merge_patch, DesiredPatch, DesiredTracker, Twin};
use serde_json::{json, Value};

use super::{unknown, Outcome};

fn field<'a>(input: &'a Value, key: &str) -> Result<&'a Value, String> {
    input
        .get(key)
        .ok_or_else(|| format!("input has no {key:?}"))
}

fn i64_field(input: &Value, key: &str) -> Result<i64, String> {
    field(input, key)?
        .as_i64()
        .ok_or_else(|| format!("{key} is not an integer"))
}

fn twin_of(input: &Value) -> Result<Twin, String> {
    Ok(Twin {
        desired: field(input, "desired")?.clone(),
        reported: field(input, "reported")?.clone(),
        desired_version: i64_field(input, "desired_version")?,
        reported_version: i64_field(input, "reported_version")?,
    })
}

fn twin_json(t: &Twin) -> Value {
    json!({
        "desired": t.desired,
        "reported": t.reported,
        "desired_version": t.desired_version,
        "reported_version": t.reported_version,
    })
}

fn patch_of(input: &Value) -> Result<DesiredPatch, String> {
    Ok(DesiredPatch {
        patch: field(input, "patch")?.clone(),
        version: i64_field(input, "version")?,
        full: field(input, "full")?
            .as_bool()
            .ok_or("full is not a bool")?,
    })
}

/// `twin.json`.
pub fn twin(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "parse" => Twin::from_json_value(input).map(|t| twin_json(&t)),
        "to_json" => twin_of(input)?.to_json_value(),
        "desired_patch_json" => Ok(patch_of(input)?.to_json_value()),
        "merge_patch" => {
            let mut target = field(input, "target")?.clone();
            merge_patch(&mut target, field(input, "patch")?);
            Ok(target)
        }
        "apply_desired" => {
            let mut t = twin_of(field(input, "twin")?)?;
            let patches = field(input, "patches")?.as_array().ok_or("patches")?;
            let mut applied = Vec::new();
            for p in patches {
                applied.push(t.apply_desired_patch(&patch_of(p)?));
            }
            Ok(
                json!({"applied": applied, "desired": t.desired, "desired_version": t.desired_version}),
            )
        }
        "tracker" => {
            let mut tracker = DesiredTracker::new();
            let events = input.as_array().ok_or("input is not an array")?;
            let mut out = Vec::new();
            for e in events {
                let deliver = match (e.get("patch"), e.get("read")) {
                    (Some(v), None) => tracker.on_patch(v.as_i64().ok_or("patch version")?),
                    (None, Some(v)) => {
                        let reconnect = field(e, "reconnect")?.as_bool().ok_or("reconnect")?;
                        tracker.on_full_desired(v.as_i64().ok_or("read version")?, reconnect)
                    }
                    _ => return Err(format!("tracker event {e} needs patch or read")),
                };
                out.push(deliver);
            }
            Ok(json!(out))
        }
        _ => return unknown(op),
    })
}
