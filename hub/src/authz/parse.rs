//! Reading and validating `mqttBroker.authorizations` (protocol.md §9). Every problem is
//! reported with its JSON path, e.g. `authorizations[1].allow[0].resources`.

use serde_json::Value as Json;

use super::topic::is_valid_filter;
use super::variables::{unknown_variable, VARIABLES};
use super::{Effect, Operation, Rule};

/// Collects validation errors while walking the JSON.
#[derive(Default)]
struct Errors(Vec<String>);

impl Errors {
    fn push(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }
}

/// Parses the statements into rules in evaluation order: for each statement, its deny rules
/// then its allow rules (this is how edgeHub hands the policy to the broker).
pub(crate) fn parse_rules(v: &Json) -> Result<Vec<Rule>, String> {
    let mut errors = Errors::default();
    let mut rules = Vec::new();
    match v.as_array() {
        Some(statements) => {
            for (i, statement) in statements.iter().enumerate() {
                statement_rules(
                    statement,
                    &format!("authorizations[{i}]"),
                    &mut rules,
                    &mut errors,
                );
            }
        }
        None => errors.push("authorizations", "expected an array of statements"),
    }
    if errors.0.is_empty() {
        Ok(rules)
    } else {
        Err(errors.0.join("; "))
    }
}

fn statement_rules(statement: &Json, path: &str, rules: &mut Vec<Rule>, errors: &mut Errors) {
    let Some(object) = statement.as_object() else {
        errors.push(path, "expected an object with identities, allow and deny");
        return;
    };
    let identities = strings(
        object.get("identities"),
        &format!("{path}.identities"),
        true,
        errors,
    );
    for (j, identity) in identities.iter().enumerate() {
        let item = format!("{path}.identities[{j}]");
        if identity.is_empty() {
            errors.push(&item, "must not be empty");
        }
        check_variables(identity, &item, errors);
    }
    for (key, effect) in [("deny", Effect::Deny), ("allow", Effect::Allow)] {
        let Some(list) = object.get(key) else {
            continue;
        };
        let Some(list) = list.as_array() else {
            errors.push(&format!("{path}.{key}"), "expected an array of rules");
            continue;
        };
        for (k, rule) in list.iter().enumerate() {
            let rule_path = format!("{path}.{key}[{k}]");
            if let Some((operations, resources)) = rule_parts(rule, &rule_path, errors) {
                rules.push(Rule {
                    effect,
                    identities: identities.clone(),
                    operations,
                    resources,
                });
            }
        }
    }
}

fn rule_parts(
    rule: &Json,
    path: &str,
    errors: &mut Errors,
) -> Option<(Vec<Operation>, Vec<String>)> {
    let Some(object) = rule.as_object() else {
        errors.push(path, "expected an object with operations and resources");
        return None;
    };
    let names = strings(
        object.get("operations"),
        &format!("{path}.operations"),
        true,
        errors,
    );
    let mut operations = Vec::new();
    for (m, name) in names.iter().enumerate() {
        match Operation::from_name(name) {
            Some(op) => operations.push(op),
            None => errors.push(
                &format!("{path}.operations[{m}]"),
                format!("unknown operation '{name}' (expected mqtt:connect, mqtt:publish or mqtt:subscribe)"),
            ),
        }
    }
    let connect_only = names.len() == 1 && names[0] == Operation::Connect.name();
    let resources_path = format!("{path}.resources");
    let resources = strings(
        object.get("resources"),
        &resources_path,
        !connect_only,
        errors,
    );
    for (r, resource) in resources.iter().enumerate() {
        let item = format!("{path}.resources[{r}]");
        if !is_valid_filter(resource) {
            errors.push(
                &item,
                format!("'{resource}' is not a valid MQTT topic filter"),
            );
        }
        check_variables(resource, &item, errors);
    }
    Some((operations, resources))
}

/// An array of strings at `path`; `required` means it must be present and non-empty.
fn strings(v: Option<&Json>, path: &str, required: bool, errors: &mut Errors) -> Vec<String> {
    let Some(v) = v else {
        if required {
            errors.push(path, "required");
        }
        return Vec::new();
    };
    let Some(items) = v.as_array() else {
        errors.push(path, "expected an array of strings");
        return Vec::new();
    };
    if required && items.is_empty() {
        errors.push(path, "must not be empty");
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) => out.push(s.to_string()),
            None => errors.push(&format!("{path}[{i}]"), "expected a string"),
        }
    }
    out
}

fn check_variables(value: &str, path: &str, errors: &mut Errors) {
    if let Some(variable) = unknown_variable(value) {
        errors.push(
            path,
            format!(
                "unknown variable {variable} (supported: {})",
                VARIABLES.join(", ")
            ),
        );
    }
}
