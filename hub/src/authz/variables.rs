//! Policy variables such as `{{iot:identity}}` (protocol.md §9).

/// The variables a policy may use.
pub(crate) const VARIABLES: [&str; 5] = [
    "{{iot:identity}}",
    "{{iot:device_id}}",
    "{{iot:module_id}}",
    "{{mqtt:client_id}}",
    "{{iot:this_device_id}}",
];

/// Values of the variables for one request.
pub(crate) struct Bindings<'a> {
    pub identity: &'a str,
    pub device_id: &'a str,
    pub module_id: &'a str,
    pub client_id: &'a str,
    pub this_device_id: &'a str,
}

impl Bindings<'_> {
    /// `template` with every known variable replaced.
    pub(crate) fn substitute(&self, template: &str) -> String {
        if !template.contains("{{") {
            return template.to_string();
        }
        let values = [
            self.identity,
            self.device_id,
            self.module_id,
            self.client_id,
            self.this_device_id,
        ];
        VARIABLES
            .iter()
            .zip(values)
            .fold(template.to_string(), |acc, (var, value)| {
                acc.replace(var, value)
            })
    }
}

/// The first `{{…}}` in `value` that is not a known variable.
pub(crate) fn unknown_variable(value: &str) -> Option<String> {
    let mut rest = value;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let variable = &rest[start..start + 2 + end + 2];
        if !VARIABLES.contains(&variable) {
            return Some(variable.to_string());
        }
        rest = &after[end + 2..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_and_unknown_variables() {
        let b = Bindings {
            identity: "hub/d/m",
            device_id: "d",
            module_id: "m",
            client_id: "d/m",
            this_device_id: "edge",
        };
        assert_eq!(
            b.substitute(
                "x/{{iot:device_id}}/{{iot:module_id}}/{{mqtt:client_id}}/{{iot:this_device_id}}"
            ),
            "x/d/m/d/m/edge"
        );
        assert_eq!(b.substitute("{{iot:identity}}"), "hub/d/m");
        assert_eq!(b.substitute("{{other}}"), "{{other}}");
        assert_eq!(
            unknown_variable("a/{{iot:identity}}/{{x}}"),
            Some("{{x}}".into())
        );
        assert_eq!(unknown_variable("{{{}bad}}}"), Some("{{{}bad}}".into()));
        assert_eq!(unknown_variable("{{iot:module_id}}{{iot:device_id}}"), None);
        assert_eq!(unknown_variable("no {{ closing"), None);
    }
}
