//! JSON merge patch (RFC 7386) as twins use it: object members are merged recursively,
//! `null` deletes a member, anything else replaces the target.

use serde_json::{Map, Value};

/// Applies `patch` to `target` in place.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_members) = target {
        for (key, value) in patch_members {
            if value.is_null() {
                target_members.remove(key);
            } else {
                merge_patch(
                    target_members.entry(key.clone()).or_insert(Value::Null),
                    value,
                );
            }
        }
    }
}

/// Returns `section` with `"$version": version` added (the wire shape of a twin section).
pub fn with_version(section: &Value, version: i64) -> Value {
    let mut members = match section {
        Value::Object(members) => members.clone(),
        _ => Map::new(),
    };
    members.insert("$version".to_string(), Value::from(version));
    Value::Object(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7386_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, expected, "patch {patch}");
        }
    }

    #[test]
    fn adds_version() {
        assert_eq!(
            with_version(&json!({"a": 1}), 7),
            json!({"a": 1, "$version": 7})
        );
        assert_eq!(with_version(&Value::Null, 1), json!({"$version": 1}));
    }
}
