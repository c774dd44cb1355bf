//! The module twin as data: [`Twin`] and [`DesiredPatch`], their one JSON shape
//! (`Serialize`), JSON merge-patch ([`merge_patch`]) and the stale-`$version` rules
//! ([`Twin::apply_desired_patch`], [`DesiredTracker`]). Bindings call these instead of
//! writing their own; `tests/vectors/twin.json` pins the behaviour for their tests.
//!
//! The JSON shape of a twin is the one the hub sends and the official SDKs expose:
//! `{"desired":{…,"$version":n},"reported":{…,"$version":m}}`. A section the hub left out
//! or sent as `null` is an empty object; any other non-object section is a `PROTOCOL`
//! error when reading and an error when writing (the core never produces one).

use serde::de::Error as _;
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The module twin's properties.
#[derive(Debug, Clone, PartialEq)]
pub struct Twin {
    /// Desired properties (a JSON object, without `$version`).
    pub desired: Value,
    /// Reported properties (a JSON object, without `$version`).
    pub reported: Value,
    /// Desired `$version`.
    pub desired_version: i64,
    /// Reported `$version`.
    pub reported_version: i64,
}

/// A change of desired properties. `patch` is the JSON the hub sent (changed members,
/// `null` for removed ones, and `$version`); when `full` is true it is instead the whole
/// desired section, read after a reconnect because it changed while the client was
/// offline (a catch-up patch).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredPatch {
    /// The patch, including `$version`.
    pub patch: Value,
    /// The desired `$version` after this patch (0 when the hub did not say).
    pub version: i64,
    /// True for a catch-up: `patch` is the complete desired section, to replace (not
    /// merge into) what the application holds.
    pub full: bool,
}

const VERSION: &str = "$version";

/// A section read from the hub: an object without `$version`, and that version.
fn read_section(twin: &Value, name: &str) -> Result<(Value, i64)> {
    match twin.get(name) {
        None | Some(Value::Null) => Ok((Value::Object(Map::new()), 0)),
        Some(Value::Object(map)) => {
            let mut map = map.clone();
            let version = map.remove(VERSION).and_then(|v| v.as_i64()).unwrap_or(0);
            Ok((Value::Object(map), version))
        }
        Some(other) => Err(Error::protocol(format!(
            "twin section {name:?} is not a JSON object: {other}"
        ))),
    }
}

/// A section to write: its members plus `$version`.
fn write_section(name: &str, props: &Value, version: i64) -> std::result::Result<Value, String> {
    let mut map = match props {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(format!(
                "twin section {name:?} is not a JSON object: {other}"
            ))
        }
    };
    map.insert(VERSION.into(), Value::from(version));
    Ok(Value::Object(map))
}

impl Twin {
    /// Reads the JSON shape (`{"desired":{…,"$version":n},"reported":{…}}`). Not an
    /// object, or a section that is not an object → `PROTOCOL`.
    pub fn from_json_value(value: &Value) -> Result<Twin> {
        if !value.is_object() {
            return Err(Error::protocol("twin response is not a JSON object"));
        }
        let (desired, desired_version) = read_section(value, "desired")?;
        let (reported, reported_version) = read_section(value, "reported")?;
        Ok(Twin {
            desired,
            reported,
            desired_version,
            reported_version,
        })
    }

    /// Reads the JSON text of a twin (a hub's GET response body).
    pub fn from_json_slice(body: &[u8]) -> Result<Twin> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Error::protocol(format!("twin response is not JSON: {e}")))?;
        Twin::from_json_value(&value)
    }

    /// The JSON shape, `$version`s inside the sections. A section that is neither an
    /// object nor `null` → `INVALID_ARGUMENT`.
    pub fn to_json_value(&self) -> Result<Value> {
        let section = |name, props, version| {
            write_section(name, props, version).map_err(Error::invalid_argument)
        };
        let mut map = Map::new();
        map.insert(
            "desired".into(),
            section("desired", &self.desired, self.desired_version)?,
        );
        map.insert(
            "reported".into(),
            section("reported", &self.reported, self.reported_version)?,
        );
        Ok(Value::Object(map))
    }

    /// [`to_json_value`](Twin::to_json_value) as text.
    pub fn to_json_string(&self) -> Result<String> {
        self.to_json_value().map(|v| v.to_string())
    }

    /// Brings the desired section up to date with `patch`, as a binding's cached twin
    /// must: a patch whose version is not newer than `desired_version` is stale and
    /// ignored (false); a full (catch-up) patch replaces the section, any other is
    /// merge-patched into it ([`merge_patch`]). A patch without a version (0) always
    /// applies.
    pub fn apply_desired_patch(&mut self, patch: &DesiredPatch) -> bool {
        if patch.version != 0 && patch.version <= self.desired_version {
            return false;
        }
        let mut members = match &patch.patch {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        members.remove(VERSION);
        if patch.full || !self.desired.is_object() {
            self.desired = Value::Object(Map::new());
        }
        merge_patch(&mut self.desired, &Value::Object(members));
        if patch.version != 0 {
            self.desired_version = patch.version;
        }
        true
    }

    /// Merges a reported-properties patch the hub accepted into `reported` (the hub
    /// assigns the new `$version`; read the twin again to learn it).
    pub fn apply_reported_patch(&mut self, patch: &Value) {
        if !self.reported.is_object() {
            self.reported = Value::Object(Map::new());
        }
        merge_patch(&mut self.reported, patch);
    }
}

impl Serialize for Twin {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let desired = write_section("desired", &self.desired, self.desired_version)
            .map_err(S::Error::custom)?;
        let reported = write_section("reported", &self.reported, self.reported_version)
            .map_err(S::Error::custom)?;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("desired", &desired)?;
        map.serialize_entry("reported", &reported)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Twin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Twin::from_json_value(&value).map_err(|e| D::Error::custom(e.message()))
    }
}

impl DesiredPatch {
    /// The JSON shape: the patch object, with `$version` set to [`version`](Self::version)
    /// when the hub's body lacked it (and the version is known).
    pub fn to_json_value(&self) -> Value {
        let mut patch = self.patch.clone();
        if let Value::Object(map) = &mut patch {
            if self.version != 0 && !map.contains_key(VERSION) {
                map.insert(VERSION.into(), Value::from(self.version));
            }
        }
        patch
    }

    /// [`to_json_value`](DesiredPatch::to_json_value) as text.
    pub fn to_json_string(&self) -> String {
        self.to_json_value().to_string()
    }
}

impl Serialize for DesiredPatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json_value().serialize(serializer)
    }
}

/// JSON merge-patch (RFC 7396): members of `patch` replace those of `target`, `null`
/// removes a member, objects merge recursively; a `patch` that is not an object replaces
/// `target` entirely.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        return;
    };
    for (key, value) in members {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Remembers which desired versions the application has been told about; the core runs
/// one per client so that a pushed patch or a catch-up reaches the application at most
/// once per version (bindings need not filter again).
///
/// `delivered` is the last version handed to the application (a patch or a catch-up);
/// only it decides whether a pushed patch is stale. `baseline` is what the first
/// connection's own twin read showed: the application never saw that read, so it does not
/// suppress patches, but it tells a later reconnect whether anything changed meanwhile.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DesiredTracker {
    delivered: Option<i64>,
    baseline: Option<i64>,
}

impl DesiredTracker {
    /// A tracker that has seen nothing.
    pub fn new() -> Self {
        DesiredTracker::default()
    }

    /// A pushed patch with `version`: true to deliver it, false when it is not newer than
    /// the last one delivered.
    pub fn on_patch(&mut self, version: i64) -> bool {
        if self.delivered.is_some_and(|last| version <= last) {
            return false;
        }
        self.delivered = Some(version);
        true
    }

    /// The desired section's `version` read after a connect. The first connection's read
    /// (`reconnect` false) only sets the baseline. After a reconnect it is true (deliver a
    /// catch-up) when the version moved past everything known — or when nothing is known
    /// (the first read was lost with the first connection, so changes may have been
    /// missed).
    pub fn on_full_desired(&mut self, version: i64, reconnect: bool) -> bool {
        let known = self.delivered.max(self.baseline);
        if !reconnect {
            self.baseline = self.baseline.max(Some(version));
            return false;
        }
        if known.is_some_and(|k| version <= k) {
            return false;
        }
        self.delivered = Some(version);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn twin_body_splits_versions_out() {
        let body = br#"{"desired":{"a":1,"$version":7},"reported":{"b":2,"$version":3}}"#;
        let twin = Twin::from_json_slice(body).unwrap();
        assert_eq!(twin.desired, json!({"a": 1}));
        assert_eq!(twin.reported, json!({"b": 2}));
        assert_eq!((twin.desired_version, twin.reported_version), (7, 3));
        assert!(Twin::from_json_slice(b"[]").is_err());
        assert!(Twin::from_json_slice(b"nope").is_err());
        assert!(Twin::from_json_slice(br#"{"desired":[1]}"#).is_err());
        let empty = Twin::from_json_slice(br#"{"desired":null}"#).unwrap();
        assert_eq!(empty.desired, json!({}));
        assert_eq!(empty.reported, json!({}));
    }

    #[test]
    fn serialize_puts_versions_back_and_refuses_non_objects() {
        let mut twin = Twin {
            desired: json!({"a": 1}),
            reported: Value::Null,
            desired_version: 4,
            reported_version: 2,
        };
        let expected = json!({"desired": {"a": 1, "$version": 4}, "reported": {"$version": 2}});
        assert_eq!(serde_json::to_value(&twin).unwrap(), expected);
        assert_eq!(twin.to_json_value().unwrap(), expected);
        let back: Twin = serde_json::from_value(expected).unwrap();
        assert_eq!(back.reported, json!({}));
        twin.desired = json!([1]);
        assert!(serde_json::to_string(&twin).is_err());
        assert!(twin.to_json_string().is_err());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1]});
        merge_patch(&mut t, &json!({"a": {"b": 1}}));
        assert_eq!(t, json!({"a": {"b": 1}}));
        let mut t = json!({"a": 1});
        merge_patch(&mut t, &json!([2]));
        assert_eq!(t, json!([2]));
    }

    #[test]
    fn desired_patches_apply_once_in_version_order() {
        let mut twin = Twin {
            desired: json!({"a": 1, "b": 2}),
            reported: json!({}),
            desired_version: 5,
            reported_version: 1,
        };
        let patch = |p: Value, version, full| DesiredPatch {
            patch: p,
            version,
            full,
        };
        assert!(!twin.apply_desired_patch(&patch(json!({"a": 9, "$version": 5}), 5, false)));
        assert!(twin.apply_desired_patch(&patch(json!({"b": null, "$version": 6}), 6, false)));
        assert_eq!(twin.desired, json!({"a": 1}));
        assert!(twin.apply_desired_patch(&patch(json!({"c": 3, "$version": 8}), 8, true)));
        assert_eq!(twin.desired, json!({"c": 3}));
        assert_eq!(twin.desired_version, 8);
        twin.apply_reported_patch(&json!({"x": {"y": 1}}));
        assert_eq!(twin.reported, json!({"x": {"y": 1}}));
    }

    #[test]
    fn desired_patch_json_carries_its_version() {
        let p = DesiredPatch {
            patch: json!({"a": 1}),
            version: 3,
            full: false,
        };
        assert_eq!(p.to_json_value(), json!({"a": 1, "$version": 3}));
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"a": 1, "$version": 3})
        );
    }

    #[test]
    fn patches_not_newer_than_the_last_are_dropped() {
        let mut t = DesiredTracker::default();
        assert!(t.on_patch(3));
        assert!(!t.on_patch(3));
        assert!(!t.on_patch(2));
        assert!(t.on_patch(5));
    }

    #[test]
    fn catch_up_only_when_the_version_moved() {
        let mut t = DesiredTracker::default();
        assert!(
            !t.on_full_desired(4, false),
            "the first read is the baseline"
        );
        assert!(!t.on_full_desired(4, true), "nothing changed while offline");
        assert!(t.on_full_desired(6, true), "changed while offline");
        assert!(
            !t.on_patch(6),
            "the pushed patch for the same version is stale now"
        );
        assert!(t.on_patch(7));
        assert!(!t.on_full_desired(7, true));
    }

    #[test]
    fn the_first_read_does_not_swallow_a_patch_it_overtook() {
        let mut t = DesiredTracker::default();
        // The hub applied an operator change before answering the first read...
        assert!(!t.on_full_desired(2, false));
        // ...so the patch for that change arrives after the read: still news to the app.
        assert!(t.on_patch(2));
        assert!(!t.on_full_desired(2, true), "nothing new after a reconnect");
    }

    #[test]
    fn catch_up_when_the_first_read_was_lost() {
        let mut t = DesiredTracker::default();
        assert!(t.on_full_desired(2, true));
        assert!(!t.on_patch(2));
    }
}
