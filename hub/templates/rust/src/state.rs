//! The decisions of {{name}}, kept apart from the client so they can be tested alone.

use serde_json::{json, Value};

/// Whether messages are forwarded, and how many were.
pub struct ModuleState {
    enabled: bool,
    forwarded: u64,
}

impl Default for ModuleState {
    fn default() -> Self {
        ModuleState {
            enabled: true,
            forwarded: 0,
        }
    }
}

impl ModuleState {
    pub fn should_forward(&self) -> bool {
        self.enabled
    }

    pub fn count_forwarded(&mut self) {
        self.forwarded += 1;
    }

    /// Takes `Enabled` from desired properties (or a patch); the reported patch, or `None`
    /// when they do not set it.
    pub fn apply_desired(&mut self, desired: &Value) -> Option<Value> {
        let enabled = desired.get("Enabled")?.as_bool()?;
        self.enabled = enabled;
        Some(json!({ "Enabled": enabled }))
    }

    pub fn status(&self) -> Value {
        json!({ "enabled": self.enabled, "forwarded": self.forwarded })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_until_disabled() {
        let mut state = ModuleState::default();
        assert!(state.should_forward());
        state.count_forwarded();
        let reported = state.apply_desired(&json!({"Enabled": false, "$version": 2}));
        assert_eq!(reported, Some(json!({"Enabled": false})));
        assert!(!state.should_forward());
        assert_eq!(state.status(), json!({"enabled": false, "forwarded": 1}));
    }

    #[test]
    fn ignores_desired_properties_without_a_boolean() {
        let mut state = ModuleState::default();
        assert_eq!(state.apply_desired(&json!({"Enabled": "no"})), None);
        assert_eq!(state.apply_desired(&json!({})), None);
        assert!(state.should_forward());
    }
}
