//! Who the client is and where it connects.

/// The client identity (a module, or with [`ModuleIdentity::module_id`] `None` a device) plus
/// the gateway endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModuleIdentity {
    /// IoT Hub host name (in the username and the SAS audience).
    pub iothub_host: String,
    /// The host the client connects to: the edge device (edgeHub) host name, or for a device
    /// client without a gateway the IoT Hub itself.
    pub gateway_host: String,
    /// Device id.
    pub device_id: String,
    /// Module id; `None` for a device identity (`DeviceClient`).
    pub module_id: Option<String>,
    /// MQTT over TLS port of the gateway.
    pub mqtt_port: u16,
    /// HTTPS port of the gateway.
    pub https_port: u16,
}

impl ModuleIdentity {
    /// `{hub}/devices/{d}/modules/{m}`, or `{hub}/devices/{d}` for a device.
    pub(crate) fn resource_uri(&self) -> String {
        crate::protocol::sas::resource_uri(
            &self.iothub_host,
            &self.device_id,
            self.module_id.as_deref(),
        )
    }

    /// `{d}/{m}`, or `{d}` for a device.
    pub(crate) fn client_id(&self) -> String {
        crate::protocol::mqtt_identity::client_id(&self.device_id, self.module_id.as_deref())
    }

    /// The module id for log records (empty for a device identity).
    pub(crate) fn module_label(&self) -> &str {
        self.module_id.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(module_id: Option<&str>) -> ModuleIdentity {
        ModuleIdentity {
            iothub_host: "hub.example".into(),
            gateway_host: "gw".into(),
            device_id: "edge1".into(),
            module_id: module_id.map(str::to_string),
            mqtt_port: 8883,
            https_port: 443,
        }
    }

    #[test]
    fn module_and_device_identities() {
        let module = identity(Some("filter"));
        assert_eq!(module.client_id(), "edge1/filter");
        assert_eq!(
            module.resource_uri(),
            "hub.example/devices/edge1/modules/filter"
        );
        assert_eq!(module.module_label(), "filter");
        let device = identity(None);
        assert_eq!(device.client_id(), "edge1");
        assert_eq!(device.resource_uri(), "hub.example/devices/edge1");
        assert_eq!(device.module_label(), "");
    }
}
