//! Configuration helpers shared by the bindings.
//!
//! The core's connection-string builder uses the ports it is given (default 8883 / 443);
//! only the environment source reads `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT`.
//! Bindings apply the same overrides to connection-string clients too, so a module pointed
//! at `edgemodule-hub` behaves the same whichever way it was created.

use edgemodule::{ClientBuilder, Error, Result, HTTPS_PORT_VAR, MQTT_PORT_VAR};

/// The port in environment variable `var`: `None` when unset or empty, `CONFIG` when it is
/// not a port number.
pub fn port_from_env(var: &str) -> Result<Option<u16>> {
    port_from_value(var, std::env::var(var).ok())
}

fn port_from_value(var: &str, value: Option<String>) -> Result<Option<u16>> {
    let Some(value) = value.map(|v| v.trim().to_string()) else {
        return Ok(None);
    };
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u16>() {
        Ok(port) if port != 0 => Ok(Some(port)),
        _ => Err(Error::config(format!(
            "{var} {value:?} is not a port number"
        ))),
    }
}

/// Sets the gateway ports of a connection-string `builder`: explicit ports win, then
/// `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT`, else the core's defaults.
pub fn connection_string_ports(
    mut builder: ClientBuilder,
    mqtt_port: Option<u16>,
    https_port: Option<u16>,
) -> Result<ClientBuilder> {
    if let Some(port) = mqtt_port.map_or_else(|| port_from_env(MQTT_PORT_VAR), |p| Ok(Some(p)))? {
        builder = builder.mqtt_port(port);
    }
    if let Some(port) = https_port.map_or_else(|| port_from_env(HTTPS_PORT_VAR), |p| Ok(Some(p)))? {
        builder = builder.https_port(port);
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgemodule::ErrorKind;

    #[test]
    fn ports_parse_or_explain() {
        assert_eq!(port_from_value("P", None).unwrap(), None);
        assert_eq!(port_from_value("P", Some(" ".into())).unwrap(), None);
        assert_eq!(
            port_from_value("P", Some("18883".into())).unwrap(),
            Some(18883)
        );
        for bad in ["0", "x", "70000"] {
            let e = port_from_value("P", Some(bad.into())).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.message().contains('P'));
        }
    }
}
