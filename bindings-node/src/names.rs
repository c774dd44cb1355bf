//! The one naming translation between the core and JavaScript: the core's `snake_case` and
//! `UPPER_SNAKE` names become `camelCase` (`retry_initial_delay_ms` → `retryInitialDelayMs`,
//! `DISCONNECTED_RETRYING` → `disconnectedRetrying`), and back. (Checked by the JavaScript
//! suite: `test/vectors.test.js` compares the names with the shared vectors.)

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
