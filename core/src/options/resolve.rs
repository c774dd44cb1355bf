//! Where an unset option's value comes from: its `EDGEMODULE_*` environment override,
//! then its default — and where the trust bundle comes from. The builder runs these for
//! every creation path (edge environment and connection string alike).

use super::table::OPTIONS;
use super::value::OptionValue;
use super::{ClientOptions, CA_FILE_VAR, DEFAULT_HTTPS_PORT, DEFAULT_MQTT_PORT};
use crate::error::{Error, Result};

/// Reads one environment variable (the process environment or a test's map).
pub(crate) type Lookup<'a> = &'a (dyn Fn(&str) -> Option<String> + Send + Sync);

impl ClientOptions {
    /// These options with every unset option that has an environment variable
    /// (`EDGEMODULE_MQTT_PORT`, `EDGEMODULE_HTTPS_PORT`) taken from `lookup`. A malformed
    /// variable → `CONFIG` naming it. `ClientBuilder::build` runs this for every source.
    pub fn with_environment(
        &self,
        lookup: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    ) -> Result<ClientOptions> {
        with_environment(self, lookup)
    }

    /// The gateway ports `(mqtt, https)`: the options, else 8883 / 443 (apply
    /// [`with_environment`](Self::with_environment) first for the overrides).
    pub fn gateway_ports(&self) -> (u16, u16) {
        ports(self)
    }

    /// Where a client with these options gets its trust bundle: `workload` for a client
    /// from the `IOTEDGE_*` variables, `ca_file` the value of `EdgeModuleCACertificateFile`
    /// for a connection-string client. See [`TrustSource`].
    pub fn trust_source(&self, workload: bool, ca_file: Option<String>) -> Result<TrustSource> {
        trust_source(self, workload, ca_file)
    }
}

/// `options` with every unset option that has an environment variable taken from it.
/// A malformed variable → `CONFIG` naming the variable.
pub(crate) fn with_environment(
    options: &ClientOptions,
    lookup: Lookup<'_>,
) -> Result<ClientOptions> {
    let mut resolved = options.clone();
    for spec in OPTIONS.iter() {
        let Some(var) = spec.env else { continue };
        if !resolved.get(spec.name)?.is_unset() {
            continue;
        }
        let Some(text) = lookup(var).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        resolved
            .set(spec.name, OptionValue::Text(text.clone()))
            .map_err(|e| {
                Error::config(format!(
                    "{var} {text:?} is not a valid {}: {}",
                    spec.name,
                    e.message()
                ))
            })?;
    }
    Ok(resolved)
}

/// The gateway ports after [`with_environment`]: `(mqtt, https)`.
pub(crate) fn ports(options: &ClientOptions) -> (u16, u16) {
    (
        options.mqtt_port.unwrap_or(DEFAULT_MQTT_PORT),
        options.https_port.unwrap_or(DEFAULT_HTTPS_PORT),
    )
}

/// Where the trust bundle comes from: `trust_bundle_pem`, else `trust_bundle_file`, else
/// the workload API (`IOTEDGE_*` clients) or the `EdgeModuleCACertificateFile` file
/// (connection-string clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// `trust_bundle_pem`.
    Pem(String),
    /// A PEM file.
    File {
        /// Its path.
        path: String,
        /// Where the path came from: `trust_bundle_file "…"` or
        /// `EdgeModuleCACertificateFile "…"`.
        what: String,
    },
    /// The workload API's trust bundle.
    Workload,
}

/// The trust bundle of a client: `trust_bundle_pem`, else `trust_bundle_file`, else (with
/// a connection string) the file named by `EdgeModuleCACertificateFile` in `ca_file`, or
/// (from `IOTEDGE_*`) the workload API. A connection-string client with none of these →
/// `CONFIG`.
pub(crate) fn trust_source(
    options: &ClientOptions,
    workload: bool,
    ca_file: Option<String>,
) -> Result<TrustSource> {
    if let Some(pem) = &options.trust_bundle_pem {
        return Ok(TrustSource::Pem(pem.clone()));
    }
    if let Some(path) = &options.trust_bundle_file {
        return Ok(TrustSource::File {
            path: path.clone(),
            what: format!("trust_bundle_file {path:?}"),
        });
    }
    if workload {
        return Ok(TrustSource::Workload);
    }
    match ca_file.filter(|p| !p.trim().is_empty()) {
        Some(path) => Ok(TrustSource::File {
            what: format!("{CA_FILE_VAR} {path:?}"),
            path,
        }),
        None => Err(Error::config(format!(
            "no trust bundle for the gateway: set the option trust_bundle_pem or \
             trust_bundle_file, or the environment variable {CA_FILE_VAR}"
        ))),
    }
}

/// Reads a trust-bundle file (`CONFIG` naming it when it cannot be read).
pub(crate) fn read_file(path: &str, what: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::config(format!("{what} cannot be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_then_environment_then_default() {
        let lookup = env(&[("EDGEMODULE_MQTT_PORT", "18883")]);
        let resolved = with_environment(&ClientOptions::default(), &lookup).unwrap();
        assert_eq!(ports(&resolved), (18883, 443));
        let explicit = ClientOptions {
            mqtt_port: Some(1),
            ..ClientOptions::default()
        };
        assert_eq!(
            ports(&with_environment(&explicit, &lookup).unwrap()),
            (1, 443)
        );
        let blank = env(&[("EDGEMODULE_HTTPS_PORT", " ")]);
        assert_eq!(
            ports(&with_environment(&ClientOptions::default(), &blank).unwrap()),
            (8883, 443)
        );
    }

    #[test]
    fn a_malformed_variable_is_config_naming_it() {
        for value in ["https", "0", "70000"] {
            let lookup =
                move |name: &str| (name == "EDGEMODULE_HTTPS_PORT").then(|| value.to_string());
            let e = with_environment(&ClientOptions::default(), &lookup).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.message().contains("EDGEMODULE_HTTPS_PORT"), "{e}");
        }
    }

    #[test]
    fn trust_comes_from_options_then_the_ca_file_or_workload() {
        let none = ClientOptions::default();
        assert_eq!(
            trust_source(&none, true, None).unwrap(),
            TrustSource::Workload
        );
        let e = trust_source(&none, false, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains(CA_FILE_VAR), "{e}");
        let from_env = trust_source(&none, false, Some("/ca.pem".into())).unwrap();
        assert!(matches!(from_env, TrustSource::File { ref path, .. } if path == "/ca.pem"));
        let file = ClientOptions {
            trust_bundle_file: Some("/mine.pem".into()),
            ..ClientOptions::default()
        };
        let chosen = trust_source(&file, true, Some("/ca.pem".into())).unwrap();
        assert!(matches!(chosen, TrustSource::File { ref path, .. } if path == "/mine.pem"));
        let pem = ClientOptions {
            trust_bundle_pem: Some("PEM".into()),
            ..file
        };
        assert_eq!(
            trust_source(&pem, false, None).unwrap(),
            TrustSource::Pem("PEM".into())
        );
        let e = read_file(
            "/nonexistent/ca.pem",
            "EdgeModuleCACertificateFile \"/nonexistent/ca.pem\"",
        )
        .unwrap_err();
        assert!(e.message().contains("/nonexistent/ca.pem"));
    }
}
