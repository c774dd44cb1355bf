//! The manifest extension for nested edge: `edgemodule.childDevices`, the devices that may
//! connect to this hub as **child devices** (a child edge hub's upstream link, or a leaf
//! device). IoT Hub keeps these identities in its device registry (the parent/child scope of
//! nested edge); this hub has no registry, so the deployment declares them, beside
//! `modulesContent`:
//!
//! ```json
//! { "modulesContent": { … },
//!   "edgemodule": { "childDevices": {
//!       "middle": { "primaryKey": "<base64>", "secondaryKey": "<base64>" } } } }
//! ```
//!
//! A child authenticates with a SAS token signed with one of its keys (audience
//! `{hub}/devices/{d}`), as an IoT Hub device does.

use base64::Engine;
use serde_json::Value;

use super::json::{join, At};
use super::ManifestError;

/// Name of the extension object beside `modulesContent`.
pub const EXTENSION: &str = "edgemodule";

/// Shortest and longest decoded key IoT Hub accepts for a symmetric-key identity.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 16..=64;

/// A device declared as a child of this hub.
#[derive(Clone, PartialEq, Eq)]
pub struct ChildDevice {
    /// Device id (what the child uses as its MQTT client id).
    pub device_id: String,
    /// Primary symmetric key (base64).
    pub primary_key: String,
    /// Secondary symmetric key (base64); tokens signed with either are accepted.
    pub secondary_key: Option<String>,
}

impl std::fmt::Debug for ChildDevice {
    // Keys are secrets: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildDevice")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// `{content}.edgemodule.childDevices` (absent: no child devices). `content_path` is the
/// path of the object holding `modulesContent`.
pub(crate) fn parse(
    content: At<'_, '_>,
    modules: &[String],
) -> Result<Vec<ChildDevice>, ManifestError> {
    let Some(extension) = content.object()?.get(EXTENSION) else {
        return Ok(Vec::new());
    };
    let ext_path = join(content.path, EXTENSION);
    let extension = At {
        value: extension,
        path: &ext_path,
    };
    let Some(children) = extension.object()?.get("childDevices") else {
        return Ok(Vec::new());
    };
    let children_path = join(&ext_path, "childDevices");
    let children = At {
        value: children,
        path: &children_path,
    };
    let mut parsed = Vec::new();
    for (device_id, spec) in children.object()? {
        let path = join(&children_path, device_id);
        check_device_id(device_id).map_err(|m| ManifestError::new(&path, m))?;
        if modules.contains(device_id) {
            return Err(ManifestError::new(
                &path,
                format!("'{device_id}' is also a module of this deployment; give the child device another id"),
            ));
        }
        let spec = At {
            value: spec,
            path: &path,
        };
        let obj = spec.object()?;
        for key in obj.keys() {
            if key != "primaryKey" && key != "secondaryKey" {
                return Err(ManifestError::new(
                    join(&path, key),
                    "unknown setting (expected primaryKey, secondaryKey)",
                ));
            }
        }
        let primary_key = match obj.get("primaryKey") {
            Some(v) => key(v, &join(&path, "primaryKey"))?,
            None => {
                return Err(ManifestError::new(
                    join(&path, "primaryKey"),
                    "is required but missing (a base64 key of 16 to 64 bytes, e.g. from `head -c 32 /dev/urandom | base64`)",
                ))
            }
        };
        let secondary_key = match obj.get("secondaryKey") {
            None | Some(Value::Null) => None,
            Some(v) => Some(key(v, &join(&path, "secondaryKey"))?),
        };
        parsed.push(ChildDevice {
            device_id: device_id.clone(),
            primary_key,
            secondary_key,
        });
    }
    Ok(parsed)
}

/// A base64 symmetric key of 16 to 64 bytes.
fn key(value: &Value, path: &str) -> Result<String, ManifestError> {
    let text = At { value, path }.str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| ManifestError::new(path, format!("is not valid base64: {e}")))?;
    if !KEY_BYTES.contains(&bytes.len()) {
        return Err(ManifestError::new(
            path,
            format!(
                "decodes to {} bytes; a key has {} to {} bytes",
                bytes.len(),
                KEY_BYTES.start(),
                KEY_BYTES.end()
            ),
        ));
    }
    Ok(text.to_string())
}

/// Device ids are MQTT client ids and topic levels: no `/`, wildcards, whitespace or `$`.
fn check_device_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("device ids must not be empty".into());
    }
    if id.starts_with('$') {
        return Err(format!("'{id}': device ids must not start with '$'"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| matches!(c, '/' | '#' | '+') || c.is_whitespace() || c.is_control())
    {
        return Err(format!("'{id}': device ids must not contain {c:?}"));
    }
    if id.len() > 128 {
        return Err(format!("'{id}': device ids are at most 128 characters"));
    }
    Ok(())
}
