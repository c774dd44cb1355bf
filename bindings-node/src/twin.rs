//! The twin as JavaScript caches it: the core's JSON shape
//! (`{"desired":{…,"$version":n},"reported":{…,"$version":m}}`, `Twin::to_json_value`), kept
//! up to date by the core's rules (`Twin::apply_desired_patch`: stale patches ignored, a
//! catch-up replaces the section; `Twin::apply_reported_patch`).

use edgemodule::{DesiredPatch, Twin};
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_napi;
use crate::events::NativeDesiredPatch;

/// The twin after a desired patch.
#[napi(object)]
pub struct NativeDesiredApplied {
    /// False when the patch was stale (the twin already had its version).
    pub applied: bool,
    /// The twin's JSON after the patch.
    pub twin: Value,
}

fn parse(twin: &Value) -> napi::Result<Twin> {
    Twin::from_json_value(twin).map_err(to_napi)
}

fn json(twin: &Twin) -> napi::Result<Value> {
    twin.to_json_value().map_err(to_napi)
}

/// Applies a desired patch to a cached twin (JSON shape) with the core's rules.
#[napi(catch_unwind)]
pub fn apply_desired_patch(
    twin: Value,
    patch: NativeDesiredPatch,
) -> napi::Result<NativeDesiredApplied> {
    let mut twin = parse(&twin)?;
    let applied = twin.apply_desired_patch(&DesiredPatch {
        patch: patch.patch,
        version: patch.version,
        full: patch.full,
    });
    Ok(NativeDesiredApplied {
        applied,
        twin: json(&twin)?,
    })
}

/// Merges an accepted reported patch into a cached twin (JSON shape).
#[napi(catch_unwind)]
pub fn apply_reported_patch(twin: Value, patch: Value) -> napi::Result<Value> {
    let mut twin = parse(&twin)?;
    twin.apply_reported_patch(&patch);
    json(&twin)
}
