//! Where the parent is and who this hub is there: `serve --parent HOST[:PORT]`,
//! `--parent-ca PEM`, and the device credentials (a device connection string, or the key the
//! parent's manifest declares for this hub's device id).

use edgemodule::protocol::connection_string::{self, ConnectionString};

/// The MQTT-over-TLS port of an edge hub or IoT Hub.
pub const DEFAULT_PARENT_PORT: u16 = 8883;

/// The upstream connection of a child hub.
#[derive(Clone)]
pub struct ParentConfig {
    /// Host to connect to; also the name checked in the parent's TLS certificate.
    pub host: String,
    /// Its MQTT-over-TLS port.
    pub port: u16,
    /// PEM certificates that sign the parent's server certificate (for an `edgemodule-hub`
    /// parent: its `{state}/certs/ca.pem`).
    pub ca_pem: String,
    /// The device identity: `HostName` (the IoT Hub name put in the username and the SAS
    /// audience), `DeviceId`, and `SharedAccessKey` or `SharedAccessSignature`.
    pub credentials: ConnectionString,
}

impl std::fmt::Debug for ParentConfig {
    // The key is a secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParentConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("device_id", &self.credentials.device_id)
            .field("iothub", &self.credentials.host_name)
            .finish_non_exhaustive()
    }
}

impl ParentConfig {
    /// From a device connection string. `address` (`HOST[:PORT]`) is where to connect; without
    /// it, the string's `GatewayHostName`, else its `HostName` (IoT Hub itself), port 8883.
    pub fn from_connection_string(
        text: &str,
        address: Option<&str>,
        ca_pem: String,
    ) -> Result<ParentConfig, String> {
        let credentials = connection_string::parse(text)
            .map_err(|e| format!("the parent connection string: {}", e.message()))?;
        if let Some(module) = &credentials.module_id {
            return Err(format!(
                "the parent connection string names module '{module}'; a hub connects upstream as a device (no ModuleId)"
            ));
        }
        if credentials.x509 {
            return Err(
                "x509 parent connection strings are not supported; use SharedAccessKey".into(),
            );
        }
        let (host, port) = match address {
            Some(address) => parse_address(address)?,
            None => (
                credentials
                    .gateway_host_name
                    .clone()
                    .unwrap_or_else(|| credentials.host_name.clone()),
                DEFAULT_PARENT_PORT,
            ),
        };
        Ok(ParentConfig {
            host,
            port,
            ca_pem,
            credentials,
        })
    }

    /// From the key the parent's manifest declares for `device_id`
    /// (`edgemodule.childDevices.{device_id}.primaryKey`): the IoT Hub name in the token is
    /// the parent's host, which an `edgemodule-hub` parent accepts as its gateway name.
    pub fn from_key(
        address: &str,
        device_id: &str,
        key: &str,
        ca_pem: String,
    ) -> Result<ParentConfig, String> {
        let (host, port) = parse_address(address)?;
        let text = format!("HostName={host};DeviceId={device_id};SharedAccessKey={key}");
        let credentials = connection_string::parse(&text)
            .map_err(|e| format!("the parent key: {}", e.message()))?;
        Ok(ParentConfig {
            host,
            port,
            ca_pem,
            credentials,
        })
    }

    /// The device id this hub has at the parent.
    pub fn device_id(&self) -> &str {
        &self.credentials.device_id
    }

    /// `HOST:PORT`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The connection string the device client is built from: the credentials with
    /// `GatewayHostName` = the host to connect to.
    pub(crate) fn client_connection_string(&self) -> String {
        let c = &self.credentials;
        let mut text = format!("HostName={};DeviceId={}", c.host_name, c.device_id);
        if let Some(key) = &c.shared_access_key {
            text.push_str(&format!(";SharedAccessKey={key}"));
        }
        if let Some(name) = &c.shared_access_key_name {
            text.push_str(&format!(";SharedAccessKeyName={name}"));
        }
        if let Some(token) = &c.shared_access_signature {
            text.push_str(&format!(";SharedAccessSignature={token}"));
        }
        text.push_str(&format!(";GatewayHostName={}", self.host));
        text
    }
}

/// `HOST[:PORT]` (port 8883 by default; `[v6]:port` for IPv6 literals).
pub fn parse_address(address: &str) -> Result<(String, u16), String> {
    let address = address.trim();
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{address}': unclosed '[' in an IPv6 address"))?;
        match tail.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if tail.is_empty() => (host, None),
            None => return Err(format!("'{address}' is not HOST[:PORT]")),
        }
    } else {
        match address.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return Err(format!("'{address}': write IPv6 addresses as [ADDR]:PORT")),
            None => (address, None),
        }
    };
    if host.is_empty() {
        return Err(format!("'{address}' names no host"));
    }
    let port = match port {
        None => DEFAULT_PARENT_PORT,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("'{p}' in '{address}' is not a port (1-65535)"))?,
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn addresses() {
        assert_eq!(parse_address("parent").unwrap(), ("parent".into(), 8883));
        assert_eq!(
            parse_address("localhost:18883").unwrap(),
            ("localhost".into(), 18883)
        );
        assert_eq!(parse_address("[::1]:9").unwrap(), ("::1".into(), 9));
        assert_eq!(parse_address("[::1]").unwrap(), ("::1".into(), 8883));
        for bad in ["", ":1", "h:0", "h:x", "::1:5", "[::1", "[::1]x"] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn from_key_targets_the_parent() {
        let p = ParentConfig::from_key("localhost:1234", "middle", KEY, String::new()).unwrap();
        assert_eq!(p.address(), "localhost:1234");
        assert_eq!(p.device_id(), "middle");
        assert_eq!(
            p.client_connection_string(),
            format!("HostName=localhost;DeviceId=middle;SharedAccessKey={KEY};GatewayHostName=localhost")
        );
        assert!(!format!("{p:?}").contains(KEY));
    }

    #[test]
    fn from_connection_string() {
        let cs = format!("HostName=hub.azure-devices.net;DeviceId=d1;SharedAccessKey={KEY}");
        let direct = ParentConfig::from_connection_string(&cs, None, String::new()).unwrap();
        assert_eq!(direct.address(), "hub.azure-devices.net:8883");
        let via = ParentConfig::from_connection_string(&cs, Some("gw:1"), String::new()).unwrap();
        assert_eq!(via.address(), "gw:1");
        assert!(via
            .client_connection_string()
            .starts_with("HostName=hub.azure-devices.net;DeviceId=d1;"));
        let module = format!("{cs};ModuleId=m");
        assert!(
            ParentConfig::from_connection_string(&module, None, String::new())
                .unwrap_err()
                .contains("ModuleId")
        );
        assert!(ParentConfig::from_connection_string("HostName=h", None, String::new()).is_err());
    }
}
