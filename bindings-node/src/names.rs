//! The one naming translation between the core and JavaScript: the core's `snake_case` and
//! `UPPER_SNAKE` names become `camelCase` (`retry_initial_delay_ms` → `retryInitialDelayMs`,
//! `DISCONNECTED_RETRYING` → `disconnectedRetrying`), and back.

/// `camelCase` of a `snake_case` or `UPPER_SNAKE` name.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `snake_case` of a `camelCase` name (`caFile` → `ca_file`).
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(camel("retry_initial_delay_ms"), "retryInitialDelayMs");
        assert_eq!(camel("DISCONNECTED_RETRYING"), "disconnectedRetrying");
        assert_eq!(camel("OK"), "ok");
        assert_eq!(snake("retryInitialDelayMs"), "retry_initial_delay_ms");
        assert_eq!(snake(&camel("sas_ttl_secs")), "sas_ttl_secs");
    }
}
