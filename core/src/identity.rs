//! Who the client is and where it connects.

/// The module identity plus the gateway endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModuleIdentity {
    /// IoT Hub host name (in the username and the SAS audience).
    pub iothub_host: String,
    /// The edge device (edgeHub) host name the client connects to.
    pub gateway_host: String,
    /// Device id.
    pub device_id: String,
    /// Module id.
    pub module_id: String,
    /// MQTT over TLS port of the gateway.
    pub mqtt_port: u16,
    /// HTTPS port of the gateway.
    pub https_port: u16,
}

impl ModuleIdentity {
    /// `{hub}/devices/{d}/modules/{m}`.
    pub(crate) fn resource_uri(&self) -> String {
        crate::protocol::sas::resource_uri(
            &self.iothub_host,
            &self.device_id,
            Some(&self.module_id),
        )
    }

    /// `{d}/{m}`.
    pub(crate) fn client_id(&self) -> String {
        crate::protocol::mqtt_identity::client_id(&self.device_id, Some(&self.module_id))
    }
}
