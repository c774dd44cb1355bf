//! Command-line options: `--name value` pairs after the command.

use std::collections::HashMap;
use std::time::Duration;

/// The command and its `--name value` options.
pub struct Args {
    pub command: String,
    options: HashMap<String, String>,
}

impl Args {
    /// Parses `std::env::args()`.
    pub fn from_env() -> Args {
        let mut it = std::env::args().skip(1);
        let command = it.next().unwrap_or_default();
        let mut options = HashMap::new();
        while let Some(k) = it.next() {
            if let Some(name) = k.strip_prefix("--") {
                options.insert(name.to_string(), it.next().unwrap_or_default());
            }
        }
        Args { command, options }
    }

    /// A number option, or `default` when absent.
    pub fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.options.get(key) {
            Some(v) => v.parse().map_err(|_| format!("--{key}: not a number: {v}")),
            None => Ok(default),
        }
    }

    /// An optional number option.
    pub fn opt_num<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, String> {
        self.options
            .get(key)
            .map(|v| v.parse().map_err(|_| format!("--{key}: not a number: {v}")))
            .transpose()
    }

    /// Seconds (fractions allowed), or `default` when absent.
    pub fn secs(&self, key: &str, default: f64) -> Result<Duration, String> {
        let s: f64 = self.num(key, default)?;
        Duration::try_from_secs_f64(s).map_err(|_| format!("--{key}: not a duration: {s}"))
    }

    /// A required string option.
    pub fn need(&self, key: &str) -> Result<&str, String> {
        self.options
            .get(key)
            .map(String::as_str)
            .ok_or(format!("--{key} is required"))
    }

    /// A string option with a default.
    pub fn get_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.options.get(key).map(String::as_str).unwrap_or(default)
    }
}
