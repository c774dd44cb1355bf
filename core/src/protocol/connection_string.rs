//! Module connection strings: `HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`.

use crate::error::Result;

/// A parsed IoT Hub device or module connection string (protocol.md §1.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionString {
    /// `HostName`: the IoT Hub host name (required).
    pub host_name: String,
    /// `DeviceId` (required).
    pub device_id: String,
    /// `ModuleId` (required for a module client).
    pub module_id: Option<String>,
    /// `SharedAccessKey`: base64 key used to sign SAS tokens locally.
    pub shared_access_key: Option<String>,
    /// `SharedAccessKeyName` (policy tokens only).
    pub shared_access_key_name: Option<String>,
    /// `SharedAccessSignature`: a ready-made token instead of a key.
    pub shared_access_signature: Option<String>,
    /// `GatewayHostName`: the edge device to connect to instead of `HostName`.
    pub gateway_host_name: Option<String>,
    /// `x509=true`: authenticate with a client certificate.
    pub x509: bool,
}

impl std::str::FromStr for ConnectionString {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<Self> {
        parse(s)
    }
}

/// Parses a connection string. `;` separates pairs, the first `=` separates key and value
/// (so base64 padding survives). Unknown or duplicate keys, a missing `HostName`/`DeviceId`,
/// or neither key, signature nor x509 → `CONFIG` error naming the key.
pub fn parse(s: &str) -> Result<ConnectionString> {
    todo!("{s}")
}
