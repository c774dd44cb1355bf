//! Creating a client from a binding: the host's options arrive as `(name, value)` pairs or
//! a JSON object with the core's option names ([`edgemodule::OPTIONS`]); the core checks
//! them with one set of messages. The `EDGEMODULE_*` overrides and the
//! `EdgeModuleCACertificateFile` fallback are applied by the core's builder for every
//! source, so a binding sets nothing itself.
//!
//! A binding maps each host option to a core name and converts only the representation
//! (a `TimeSpan` to milliseconds, a Python float of seconds to milliseconds, …); it never
//! checks ranges or fills in defaults.

use std::collections::HashMap;

use edgemodule::{ClientBuilder, ClientOptions, Error, OptionValue, Result};

/// Where the module identity comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The process environment: `IOTEDGE_*`, else `EdgeHubConnectionString` +
    /// `EdgeModuleCACertificateFile`.
    Environment,
    /// The same variables from a map instead of the process environment (the
    /// `EDGEMODULE_*` overrides and `EdgeModuleCACertificateFile` are read from it too).
    EnvironmentMap(HashMap<String, String>),
    /// A module connection string.
    ConnectionString(String),
}

/// Default options with `pairs` applied in order ([`ClientOptions::set`]), then
/// validated ([`ClientOptions::validate`]): the first unknown name or invalid value →
/// `INVALID_ARGUMENT` naming the option.
pub fn options_from_pairs<N, V, I>(pairs: I) -> Result<ClientOptions>
where
    N: AsRef<str>,
    V: Into<OptionValue>,
    I: IntoIterator<Item = (N, V)>,
{
    let mut options = ClientOptions::default();
    for (name, value) in pairs {
        options.set(name.as_ref(), value)?;
    }
    options.validate()?;
    Ok(options)
}

/// Default options with the JSON object `text` applied ([`ClientOptions::from_json`]).
/// Text that is not JSON → `INVALID_ARGUMENT`.
pub fn options_from_json(text: &str) -> Result<ClientOptions> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_argument(format!("options are not JSON: {e}")))?;
    ClientOptions::from_json(&value)
}

/// The builder for `source` with `options`; `build()` it (on the runtime) to create the
/// client.
pub fn builder(source: Source, options: ClientOptions) -> ClientBuilder {
    let builder = ClientBuilder::new().options(options);
    match source {
        Source::Environment => builder,
        Source::EnvironmentMap(map) => {
            builder.from_environment_lookup(move |name| map.get(name).cloned())
        }
        Source::ConnectionString(cs) => builder.connection_string(cs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemodule::ErrorKind;
    use std::time::Duration;

    #[test]
    fn pairs_apply_in_order_and_validate() {
        let o = options_from_pairs([
            ("operation_timeout_ms", OptionValue::from("2500")),
            ("retry_jitter", OptionValue::Number(0.5)),
            ("product_info", OptionValue::from("p/1")),
        ])
        .unwrap();
        assert_eq!(o.operation_timeout, Duration::from_millis(2500));
        assert_eq!(o.retry.jitter, 0.5);
        let e = options_from_pairs([("max_inflight", 0i64)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("max_inflight"), "{e}");
        let e = options_from_pairs([
            ("retry_initial_delay_ms", 500i64),
            ("retry_max_delay_ms", 100i64),
        ])
        .unwrap_err();
        assert!(e.message().contains("retry_max_delay_ms"), "{e}");
    }

    #[test]
    fn json_text_is_parsed_and_checked() {
        let o = options_from_json(r#"{"keep_alive_secs": 30}"#).unwrap();
        assert_eq!(o.keep_alive, Duration::from_secs(30));
        let e = options_from_json("{").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = options_from_json(r#"{"nope": 1}"#).unwrap_err();
        assert!(e.message().contains("unknown option"), "{e}");
    }

    #[tokio::test]
    async fn an_environment_map_feeds_overrides_and_the_ca_file() {
        let map = HashMap::from([
            (
                "EdgeHubConnectionString".to_string(),
                "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5".to_string(),
            ),
            (
                "EdgeModuleCACertificateFile".to_string(),
                "/nonexistent/ca.pem".to_string(),
            ),
        ]);
        let e = builder(Source::EnvironmentMap(map), ClientOptions::default())
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("/nonexistent/ca.pem"), "{e}");
    }
}
