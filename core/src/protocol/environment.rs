//! The IoT Edge module environment (protocol.md §1): `IOTEDGE_*` variables, or the
//! simulator pair `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`.

use crate::error::{Error, Result};
use crate::protocol::connection_string::{self, ConnectionString};

/// Workload API version used when `IOTEDGE_APIVERSION` is absent.
pub const DEFAULT_WORKLOAD_API_VERSION: &str = "2019-01-30";

/// What the IoT Edge runtime gives a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeEnvironment {
    /// The normal path: identity from `IOTEDGE_*`, signing and trust through the workload API.
    Workload(WorkloadEnvironment),
    /// The simulator / dev path: a module connection string and an optional CA file.
    ConnectionString {
        /// The parsed `EdgeHubConnectionString` (or `IotHubConnectionString`).
        connection_string: ConnectionString,
        /// `EdgeModuleCACertificateFile`: PEM file used as the only trust root.
        ca_certificate_file: Option<String>,
    },
}

/// The `IOTEDGE_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadEnvironment {
    /// `IOTEDGE_IOTHUBHOSTNAME`.
    pub iothub_host_name: String,
    /// `IOTEDGE_GATEWAYHOSTNAME` (falls back to the IoT Hub host name when absent).
    pub gateway_host_name: String,
    /// `IOTEDGE_DEVICEID`.
    pub device_id: String,
    /// `IOTEDGE_MODULEID`.
    pub module_id: String,
    /// `IOTEDGE_MODULEGENERATIONID`.
    pub generation_id: String,
    /// `IOTEDGE_WORKLOADURI`: `unix:///path.sock` or `http://host:port`.
    pub workload_uri: String,
    /// `IOTEDGE_APIVERSION` or [`DEFAULT_WORKLOAD_API_VERSION`].
    pub api_version: String,
}

/// Connection-string variables, in the order they are tried.
const CONNECTION_STRING_VARS: [&str; 2] = ["EdgeHubConnectionString", "IotHubConnectionString"];
/// The variable naming the PEM file a connection-string module trusts.
pub const CA_FILE_VAR: &str = "EdgeModuleCACertificateFile";

/// Reads the environment through `lookup` (so tests need not touch the process environment).
/// Connection-string first (`EdgeHubConnectionString`, then `IotHubConnectionString`), else
/// the `IOTEDGE_*` set; `IOTEDGE_AUTHSCHEME`, when present, must be `sasToken`
/// (case-insensitive). A missing or malformed variable → `CONFIG` error that names it.
///
/// A variable set to an empty string counts as absent. The connection string must carry a
/// `ModuleId`; `IOTEDGE_WORKLOADURI` must start with `unix://` or `http://`.
pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<EdgeEnvironment> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    for var in CONNECTION_STRING_VARS {
        if let Some(text) = get(var) {
            return from_connection_string(var, &text, get(CA_FILE_VAR));
        }
    }
    from_workload_vars(&get).map(EdgeEnvironment::Workload)
}

fn from_connection_string(
    var: &str,
    text: &str,
    ca_certificate_file: Option<String>,
) -> Result<EdgeEnvironment> {
    let connection_string = connection_string::parse(text)
        .map_err(|e| Error::config(format!("{var}: {}", e.message())))?;
    if connection_string.module_id.is_none() {
        return Err(Error::config(format!(
            "{var}: a module connection string needs ModuleId"
        )));
    }
    Ok(EdgeEnvironment::ConnectionString {
        connection_string,
        ca_certificate_file,
    })
}

fn from_workload_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<WorkloadEnvironment> {
    const REQUIRED: [&str; 5] = [
        "IOTEDGE_IOTHUBHOSTNAME",
        "IOTEDGE_DEVICEID",
        "IOTEDGE_MODULEID",
        "IOTEDGE_MODULEGENERATIONID",
        "IOTEDGE_WORKLOADURI",
    ];
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|name| get(name).is_none())
        .collect();
    if missing.len() == REQUIRED.len() {
        return Err(Error::config(format!(
            "not running under IoT Edge: neither {} nor the IOTEDGE_* variables are set \
             (missing {})",
            CONNECTION_STRING_VARS.join(" nor "),
            missing.join(", ")
        )));
    }
    if !missing.is_empty() {
        return Err(Error::config(format!(
            "missing environment variable(s) {}",
            missing.join(", ")
        )));
    }
    if let Some(scheme) = get("IOTEDGE_AUTHSCHEME") {
        if !scheme.eq_ignore_ascii_case("sasToken") {
            return Err(Error::config(format!(
                "IOTEDGE_AUTHSCHEME is {scheme:?}; only 'sasToken' is supported"
            )));
        }
    }
    let required = |name: &str| get(name).unwrap_or_default();
    let workload_uri = required("IOTEDGE_WORKLOADURI");
    let valid_uri = ["unix://", "http://"]
        .iter()
        .any(|scheme| workload_uri.len() > scheme.len() && workload_uri.starts_with(scheme));
    if !valid_uri {
        return Err(Error::config(format!(
            "IOTEDGE_WORKLOADURI {workload_uri:?} must be unix:///path.sock or http://host:port"
        )));
    }
    let iothub_host_name = required("IOTEDGE_IOTHUBHOSTNAME");
    Ok(WorkloadEnvironment {
        gateway_host_name: get("IOTEDGE_GATEWAYHOSTNAME")
            .unwrap_or_else(|| iothub_host_name.clone()),
        iothub_host_name,
        device_id: required("IOTEDGE_DEVICEID"),
        module_id: required("IOTEDGE_MODULEID"),
        generation_id: required("IOTEDGE_MODULEGENERATIONID"),
        workload_uri,
        api_version: get("IOTEDGE_APIVERSION")
            .unwrap_or_else(|| DEFAULT_WORKLOAD_API_VERSION.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Result<EdgeEnvironment> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_lookup(&|name| map.get(name).cloned())
    }

    const WORKLOAD: [(&str, &str); 6] = [
        ("IOTEDGE_IOTHUBHOSTNAME", "myhub.azure-devices.net"),
        ("IOTEDGE_DEVICEID", "edge1"),
        ("IOTEDGE_MODULEID", "filter"),
        ("IOTEDGE_MODULEGENERATIONID", "gen1"),
        (
            "IOTEDGE_WORKLOADURI",
            "unix:///var/run/iotedge/workload.sock",
        ),
        ("IOTEDGE_AUTHSCHEME", "SASTOKEN"),
    ];

    #[test]
    fn workload_defaults_gateway_and_api_version() {
        let EdgeEnvironment::Workload(w) = env(&WORKLOAD).unwrap() else {
            panic!("expected the workload path");
        };
        assert_eq!(w.gateway_host_name, "myhub.azure-devices.net");
        assert_eq!(w.api_version, DEFAULT_WORKLOAD_API_VERSION);
    }

    #[test]
    fn connection_string_wins_and_edgehub_before_iothub() {
        let mut vars = WORKLOAD.to_vec();
        vars.push((
            "IotHubConnectionString",
            "HostName=b;DeviceId=d;ModuleId=m;SharedAccessKey=AAAA",
        ));
        vars.push((
            "EdgeHubConnectionString",
            "HostName=a;DeviceId=d;ModuleId=m;SharedAccessKey=AAAA",
        ));
        let EdgeEnvironment::ConnectionString {
            connection_string,
            ca_certificate_file,
        } = env(&vars).unwrap()
        else {
            panic!("expected the connection-string path");
        };
        assert_eq!(connection_string.host_name, "a");
        assert_eq!(ca_certificate_file, None);
    }

    #[test]
    fn errors_name_the_variable() {
        let mut no_module = WORKLOAD.to_vec();
        no_module.retain(|(k, _)| *k != "IOTEDGE_MODULEID");
        let mut bad_scheme = WORKLOAD.to_vec();
        bad_scheme[5] = ("IOTEDGE_AUTHSCHEME", "x509");
        let mut bad_uri = WORKLOAD.to_vec();
        bad_uri[4] = ("IOTEDGE_WORKLOADURI", "/var/run/workload.sock");
        let cases = [
            (no_module, "IOTEDGE_MODULEID"),
            (bad_scheme, "IOTEDGE_AUTHSCHEME"),
            (bad_uri, "IOTEDGE_WORKLOADURI"),
            (vec![], "EdgeHubConnectionString"),
            (
                vec![(
                    "EdgeHubConnectionString",
                    "HostName=a;DeviceId=d;SharedAccessKey=AAAA",
                )],
                "ModuleId",
            ),
        ];
        for (vars, name) in cases {
            let err = env(&vars).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert!(err.message().contains(name), "{}", err.message());
        }
    }
}
