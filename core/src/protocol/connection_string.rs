//! Module connection strings: `HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`.

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::protocol::sas::KEY_BASE64;

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
///
/// Keys are case-sensitive; surrounding whitespace and empty segments (a trailing `;`) are
/// ignored; an empty value, a `SharedAccessKey` that is not base64, an `x509` other than
/// `true`/`false`, or two authentication methods at once are also `CONFIG` errors.
pub fn parse(s: &str) -> Result<ConnectionString> {
    let mut cs = ConnectionString::default();
    let (mut host_name, mut device_id, mut x509) = (None, None, None);
    for segment in s.split(';').map(str::trim).filter(|seg| !seg.is_empty()) {
        let (key, value) = segment.split_once('=').ok_or_else(|| {
            Error::config(format!(
                "connection string segment {:?} is not Key=Value",
                redact(segment)
            ))
        })?;
        let (key, value) = (key.trim(), value.trim());
        let slot = match key {
            "HostName" => &mut host_name,
            "DeviceId" => &mut device_id,
            "ModuleId" => &mut cs.module_id,
            "SharedAccessKey" => &mut cs.shared_access_key,
            "SharedAccessKeyName" => &mut cs.shared_access_key_name,
            "SharedAccessSignature" => &mut cs.shared_access_signature,
            "GatewayHostName" => &mut cs.gateway_host_name,
            "x509" => &mut x509,
            _ => {
                return Err(Error::config(format!(
                    "connection string has unknown key {key:?}"
                )))
            }
        };
        if value.is_empty() {
            return Err(Error::config(format!(
                "connection string key {key} has an empty value"
            )));
        }
        if slot.replace(value.to_string()).is_some() {
            return Err(Error::config(format!(
                "connection string key {key} appears more than once"
            )));
        }
    }
    cs.host_name =
        host_name.ok_or_else(|| Error::config("connection string is missing HostName"))?;
    cs.device_id =
        device_id.ok_or_else(|| Error::config("connection string is missing DeviceId"))?;
    cs.x509 = match x509.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(Error::config(
                "connection string key x509 must be 'true' or 'false'",
            ))
        }
    };
    check_authentication(&cs)?;
    Ok(cs)
}

fn check_authentication(cs: &ConnectionString) -> Result<()> {
    if let Some(key) = &cs.shared_access_key {
        if KEY_BASE64.decode(key).is_err() {
            return Err(Error::config(
                "connection string key SharedAccessKey is not valid base64",
            ));
        }
    }
    let methods = [
        cs.shared_access_key.is_some(),
        cs.shared_access_signature.is_some(),
        cs.x509,
    ];
    match methods.iter().filter(|m| **m).count() {
        0 => Err(Error::config(
            "connection string needs one of SharedAccessKey, SharedAccessSignature or x509=true",
        )),
        1 => Ok(()),
        _ => Err(Error::config(
            "connection string mixes SharedAccessKey, SharedAccessSignature and x509; keep one",
        )),
    }
}

/// Error messages must not leak a key pasted without `=`; show only its start.
fn redact(segment: &str) -> String {
    let shown: String = segment.chars().take(12).collect();
    if shown.len() < segment.len() {
        format!("{shown}…")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const MODULE: &str = "HostName=myhub.azure-devices.net;GatewayHostName=localhost;DeviceId=edge1;ModuleId=filter;SharedAccessKey=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn parses_a_module_string_keeping_padding() {
        let cs: ConnectionString = MODULE.parse().unwrap();
        assert_eq!(cs.host_name, "myhub.azure-devices.net");
        assert_eq!(cs.gateway_host_name.as_deref(), Some("localhost"));
        assert_eq!(cs.device_id, "edge1");
        assert_eq!(cs.module_id.as_deref(), Some("filter"));
        assert_eq!(
            cs.shared_access_key.as_deref(),
            Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
        );
        assert!(!cs.x509);
    }

    #[test]
    fn tolerates_whitespace_and_trailing_semicolon() {
        let cs = parse(&format!("  {MODULE};\n")).unwrap();
        assert_eq!(cs.device_id, "edge1");
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("DeviceId=d;SharedAccessKey=AAAA", "HostName"),
            ("HostName=h;SharedAccessKey=AAAA", "DeviceId"),
            ("HostName=h;DeviceId=d;Foo=1;SharedAccessKey=AAAA", "Foo"),
            (
                "HostName=h;DeviceId=d;DeviceId=e;SharedAccessKey=AAAA",
                "DeviceId",
            ),
            ("HostName=h;DeviceId=;SharedAccessKey=AAAA", "DeviceId"),
            (
                "HostName=h;DeviceId=d;SharedAccessKey=!!",
                "SharedAccessKey",
            ),
            ("HostName=h;DeviceId=d;x509=maybe", "x509"),
            ("HostName=h;DeviceId=d", "SharedAccessKey"),
        ];
        for (input, key) in cases {
            let err = parse(input).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{input}");
            assert!(err.message().contains(key), "{input}: {}", err.message());
        }
    }

    #[test]
    fn redacts_a_segment_without_equals() {
        let err = parse("HostName=h;DeviceId=d;MDEyMzQ1Njc4OWFiY2RlZjAx").unwrap_err();
        assert!(!err.message().contains("MDEyMzQ1Njc4OWFiY2RlZjAx"));
    }

    #[test]
    fn x509_and_signature_forms() {
        assert!(parse("HostName=h;DeviceId=d;x509=TRUE").unwrap().x509);
        let cs = parse(
            "HostName=h;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=a&sig=b&se=1",
        )
        .unwrap();
        assert_eq!(
            cs.shared_access_signature.as_deref(),
            Some("SharedAccessSignature sr=a&sig=b&se=1")
        );
        assert!(parse("HostName=h;DeviceId=d;x509=true;SharedAccessKey=AAAA").is_err());
    }
}
