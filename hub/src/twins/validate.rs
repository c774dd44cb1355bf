//! Twin property validation (protocol.md §10), as edgeHub's reported-properties validator
//! applies it: key syntax and size, nesting depth, string size, integer range, no `null`
//! inside arrays, and a size cap on the whole section.

use serde_json::Value;

/// Deepest allowed nesting: the section root is level 0, each nested object or array one more.
pub const MAX_DEPTH: usize = 10;
/// Longest property name, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest string value, in UTF-8 bytes.
pub const MAX_STRING_BYTES: usize = 4 * 1024;
/// Largest accepted integer.
pub const MAX_INTEGER: i64 = 4_503_599_627_370_495;
/// Smallest accepted integer.
pub const MIN_INTEGER: i64 = -4_503_599_627_370_496;
/// Largest serialized desired or reported section, in bytes.
pub const MAX_SECTION_BYTES: usize = 32 * 1024;

/// Checks a patch (desired or reported): a JSON object whose members obey §10.
/// `null` members are allowed (they delete); `null` inside arrays (also as a member of an
/// object inside an array) is not. The patch itself must fit in [`MAX_SECTION_BYTES`].
pub fn validate_patch(patch: &Value) -> Result<(), String> {
    if !patch.is_object() {
        return Err("twin patch must be a JSON object".to_string());
    }
    validate_section_size(patch)?;
    validate_token(patch, 0, false)
}

/// Checks the size of a whole section (e.g. after a patch was applied).
pub fn validate_section_size(section: &Value) -> Result<(), String> {
    let size = serde_json::to_vec(section)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_SECTION_BYTES {
        return Err(format!(
            "twin section is {size} bytes, more than the {MAX_SECTION_BYTES} allowed"
        ));
    }
    Ok(())
}

/// `depth` is 0 for the section root; every object or array one level further down adds 1.
fn validate_token(value: &Value, depth: usize, in_array: bool) -> Result<(), String> {
    match value {
        Value::Object(members) => {
            check_depth(depth)?;
            for (key, member) in members {
                validate_key(key)?;
                validate_token(member, depth + 1, in_array)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            check_depth(depth)?;
            items
                .iter()
                .try_for_each(|item| validate_token(item, depth + 1, true))
        }
        Value::Null if in_array => Err("twin arrays may not contain null".to_string()),
        Value::Null | Value::Bool(_) => Ok(()),
        Value::String(s) if s.len() > MAX_STRING_BYTES => Err(format!(
            "twin string value is {} bytes, more than the {MAX_STRING_BYTES} allowed",
            s.len()
        )),
        Value::String(_) => Ok(()),
        Value::Number(n) => validate_number(n),
    }
}

fn check_depth(depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        Err(format!(
            "twin properties nest deeper than {MAX_DEPTH} levels"
        ))
    } else {
        Ok(())
    }
}

fn validate_number(n: &serde_json::Number) -> Result<(), String> {
    let in_range = if let Some(i) = n.as_i64() {
        (MIN_INTEGER..=MAX_INTEGER).contains(&i)
    } else {
        // Only a u64 above i64::MAX gets here as an integer; floats are not range-checked.
        n.as_u64().is_none()
    };
    if in_range {
        Ok(())
    } else {
        Err(format!(
            "twin integer {n} is outside {MIN_INTEGER}..={MAX_INTEGER}"
        ))
    }
}

fn validate_key(key: &str) -> Result<(), String> {
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "twin property name is {} bytes, more than the {MAX_KEY_BYTES} allowed",
            key.len()
        ));
    }
    if let Some(c) = key
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '.' | '$' | '#'))
    {
        return Err(format!(
            "twin property name {key:?} contains the forbidden character {c:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        let mut v = json!({"leaf": 1});
        for _ in 1..levels {
            v = json!({ "n": v });
        }
        v
    }

    #[test]
    fn accepts_ordinary_patches() {
        let patch = json!({"a": 1, "b": {"c": "x", "d": null}, "e": [1, "two", {"f": true}], "g": null, "h": 1.5});
        assert_eq!(validate_patch(&patch), Ok(()));
    }

    #[test]
    fn rejects_non_objects() {
        assert!(validate_patch(&json!([1])).is_err());
        assert!(validate_patch(&json!("x")).is_err());
        assert!(validate_patch(&Value::Null).is_err());
    }

    #[test]
    fn depth_limit_is_ten_levels() {
        // The root plus ten nested objects is the deepest allowed shape.
        assert!(validate_patch(&nested(11)).is_ok());
        assert!(validate_patch(&nested(12)).is_err());
    }

    #[test]
    fn key_rules() {
        for bad in ["a.b", "$a", "a b", "a#", "a\u{1}", "tab\t"] {
            assert!(validate_patch(&json!({ bad: 1 })).is_err(), "{bad:?}");
        }
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(validate_patch(&json!({ long: 1 })).is_err());
        let ok = "k".repeat(MAX_KEY_BYTES);
        assert!(validate_patch(&json!({ ok: 1 })).is_ok());
        assert!(validate_patch(&json!({"outer": {"in.ner": 1}})).is_err());
    }

    #[test]
    fn value_rules() {
        let s = "v".repeat(MAX_STRING_BYTES);
        assert!(validate_patch(&json!({ "s": s })).is_ok());
        let s = "v".repeat(MAX_STRING_BYTES + 1);
        assert!(validate_patch(&json!({ "s": s })).is_err());
        assert!(validate_patch(&json!({ "i": MAX_INTEGER })).is_ok());
        assert!(validate_patch(&json!({ "i": MIN_INTEGER })).is_ok());
        assert!(validate_patch(&json!({ "i": MAX_INTEGER + 1 })).is_err());
        assert!(validate_patch(&json!({ "i": MIN_INTEGER - 1 })).is_err());
        assert!(validate_patch(&json!({ "i": u64::MAX })).is_err());
        assert!(validate_patch(&json!({ "a": [1, null] })).is_err());
        assert!(validate_patch(&json!({ "a": [[null]] })).is_err());
        assert!(validate_patch(&json!({ "a": [{"b": null}] })).is_err());
    }

    #[test]
    fn section_size() {
        let big = "v".repeat(4000);
        let mut section = serde_json::Map::new();
        for i in 0..8 {
            section.insert(format!("k{i}"), json!(big));
        }
        assert!(validate_section_size(&Value::Object(section.clone())).is_ok());
        section.insert("k8".into(), json!(big));
        assert!(validate_section_size(&Value::Object(section)).is_err());
    }
}
