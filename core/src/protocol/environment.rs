//! The IoT Edge module environment (protocol.md §1): `IOTEDGE_*` variables, or the
//! simulator pair `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`.

use crate::error::Result;
use crate::protocol::connection_string::ConnectionString;

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

/// Reads the environment through `lookup` (so tests need not touch the process environment).
/// Connection-string first (`EdgeHubConnectionString`, then `IotHubConnectionString`), else
/// the `IOTEDGE_*` set; `IOTEDGE_AUTHSCHEME`, when present, must be `sasToken`
/// (case-insensitive). A missing or malformed variable → `CONFIG` error that names it.
pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<EdgeEnvironment> {
    let _ = lookup;
    todo!()
}
