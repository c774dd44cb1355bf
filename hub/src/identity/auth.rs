//! SAS authentication of MQTT CONNECTs and HTTP requests (protocol.md §3.2, §3.3).

use edgemodule::protocol::{mqtt_identity, sas};

use super::Identities;

/// A client whose credentials were accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedModule {
    /// Edge device id (canonical spelling).
    pub device_id: String,
    /// Module id (canonical spelling); empty for a child device.
    pub module_id: String,
    /// True for a child device of this hub (`edgemodule.childDevices`: a device identity,
    /// no module id); `device_id` is then the child's id.
    pub child_device: bool,
    /// `se` of the accepted token, Unix seconds.
    pub token_expiry: u64,
    /// `DeviceClientType` from the username, decoded.
    pub client_type: Option<String>,
    /// `model-id` from the username, decoded.
    pub model_id: Option<String>,
}

impl AuthenticatedModule {
    /// `{hub}/{d}/{m}` (`{hub}/{d}` for a child device): the identity used by the
    /// authorization policy (§9).
    pub fn identity(&self, hub: &str) -> String {
        format!("{hub}/{}", self.client_id())
    }

    /// `{d}/{m}` (`{d}` for a child device): the MQTT client id.
    pub fn client_id(&self) -> String {
        if self.child_device {
            self.device_id.clone()
        } else {
            format!("{}/{}", self.device_id, self.module_id)
        }
    }

    /// The module id, `None` for a child device.
    pub fn module(&self) -> Option<&str> {
        (!self.child_device).then_some(self.module_id.as_str())
    }
}

/// Why credentials were refused (an MQTT CONNECT gets CONNACK 5, HTTP gets 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(pub String);

impl Identities {
    /// Validates an MQTT CONNECT (protocol.md §3.2/§3.3): client id == "{d}/{m}", username
    /// parsed (both forms), token sr audience host = hub or gateway (case-insensitive),
    /// device/module match (case-insensitive), HMAC with primary then secondary key,
    /// not expired (5 min skew).
    pub fn authenticate_mqtt(
        &self,
        client_id: &str,
        username: &str,
        password: &str,
        now_unix: u64,
    ) -> Result<AuthenticatedModule, AuthError> {
        let user = mqtt_identity::parse_username(username)
            .map_err(|e| AuthError(format!("malformed username '{username}': {e}")))?;
        let Some(module_id) = user.module_id.as_deref() else {
            return self.authenticate_child_device(client_id, &user, password, now_unix);
        };
        let expected_client_id = format!("{}/{}", user.device_id, module_id);
        if client_id != expected_client_id {
            return Err(AuthError(format!(
                "client id '{client_id}' does not match the identity '{expected_client_id}' in the username"
            )));
        }
        let mut module = self.authenticate_token(&user.device_id, module_id, password, now_unix)?;
        module.client_type = user.client_type;
        module.model_id = user.model_id;
        Ok(module)
    }

    /// Validates a SAS token for module `module` (HTTP methods API).
    pub fn authenticate_token(
        &self,
        device_id: &str,
        module_id: &str,
        token: &str,
        now_unix: u64,
    ) -> Result<AuthenticatedModule, AuthError> {
        if device_id != self.device_id {
            return Err(AuthError(format!(
                "unknown device '{device_id}' (this hub is device '{}')",
                self.device_id
            )));
        }
        let Some((canonical_module, keys)) = self.find_module(module_id) else {
            return Err(AuthError(format!(
                "unknown module '{module_id}' on device '{device_id}'"
            )));
        };
        let parsed = verified_token(
            token,
            now_unix,
            |resource| self.check_audience(resource, device_id, module_id),
            [keys.primary_key.as_str(), keys.secondary_key.as_str()],
            &format!("module '{device_id}/{module_id}'"),
        )?;
        Ok(AuthenticatedModule {
            device_id: self.device_id.clone(),
            module_id: canonical_module.to_string(),
            child_device: false,
            token_expiry: parsed.expiry,
            client_type: None,
            model_id: None,
        })
    }

    /// A device CONNECT (username `{hub}/{d}/?api-version=…`): `{d}` must be a child device
    /// declared in the manifest, the client id must be `{d}`, and the token device-scoped
    /// (`{hub or gateway}/devices/{d}`) and signed with one of the child's keys.
    fn authenticate_child_device(
        &self,
        client_id: &str,
        user: &mqtt_identity::Username,
        token: &str,
        now_unix: u64,
    ) -> Result<AuthenticatedModule, AuthError> {
        let device_id = user.device_id.as_str();
        let Some((canonical, keys)) = self.child_devices.get_key_value(device_id) else {
            return Err(AuthError(format!(
                "device '{device_id}' is not a child device of this hub (declare it in the manifest's edgemodule.childDevices)"
            )));
        };
        if client_id != device_id {
            return Err(AuthError(format!(
                "client id '{client_id}' does not match the device '{device_id}' in the username"
            )));
        }
        let parsed = verified_token(
            token,
            now_unix,
            |resource| self.check_device_audience(resource, device_id),
            std::iter::once(keys.primary_key.as_str()).chain(keys.secondary_key.as_deref()),
            &format!("child device '{device_id}'"),
        )?;
        Ok(AuthenticatedModule {
            device_id: canonical.clone(),
            module_id: String::new(),
            child_device: true,
            token_expiry: parsed.expiry,
            client_type: user.client_type.clone(),
            model_id: user.model_id.clone(),
        })
    }

    /// What follows `{hub or gateway}/devices/` in `sr` (host case-insensitive), trailing `/`
    /// trimmed; `not_devices` says why when `sr` has no `/devices/`.
    fn audience_path<'r>(
        &self,
        resource: &'r str,
        not_devices: &str,
        wrong: &dyn Fn(&str) -> AuthError,
    ) -> Result<&'r str, AuthError> {
        let Some((host, rest)) = resource.split_once("/devices/") else {
            return Err(wrong(not_devices));
        };
        if !host.eq_ignore_ascii_case(&self.iothub_host_name)
            && !host.eq_ignore_ascii_case(&self.gateway_host_name)
        {
            return Err(wrong(&format!(
                "names host '{host}', which is neither the IoT Hub '{}' nor the gateway '{}'",
                self.iothub_host_name, self.gateway_host_name
            )));
        }
        Ok(rest.trim_end_matches('/'))
    }

    /// `sr` must be `{hub or gateway}/devices/{d}` (host and id case-insensitive).
    fn check_device_audience(&self, resource: &str, device_id: &str) -> Result<(), AuthError> {
        let wrong = |why: &str| {
            AuthError(format!(
                "SAS token audience '{resource}' {why} (expected '{}/devices/{device_id}')",
                self.iothub_host_name
            ))
        };
        let token_device = self.audience_path(resource, "is not a device resource", &wrong)?;
        if token_device.contains("/modules/") {
            return Err(wrong("is module-scoped; a device token is required"));
        }
        if !token_device.eq_ignore_ascii_case(device_id) {
            return Err(wrong(&format!("is for device '{token_device}'")));
        }
        Ok(())
    }

    /// `sr` must be `{hub or gateway}/devices/{d}/modules/{m}` for the connecting identity;
    /// host and ids compared case-insensitively, as edgeHub does.
    fn check_audience(
        &self,
        resource: &str,
        device_id: &str,
        module_id: &str,
    ) -> Result<(), AuthError> {
        let wrong = |why: &str| {
            AuthError(format!(
                "SAS token audience '{resource}' {why} (expected '{}/devices/{device_id}/modules/{module_id}')",
                self.iothub_host_name
            ))
        };
        let rest = self.audience_path(resource, "is not a device or module resource", &wrong)?;
        let Some((token_device, token_module)) = rest.split_once("/modules/") else {
            return Err(wrong("is device-scoped; a module token is required"));
        };
        if !token_device.eq_ignore_ascii_case(device_id) {
            return Err(wrong(&format!("is for device '{token_device}'")));
        }
        if !token_module.eq_ignore_ascii_case(module_id) {
            return Err(wrong(&format!("is for module '{token_module}'")));
        }
        Ok(())
    }
}

/// Checks a CONNECT's SAS token the same way for modules and child devices: present,
/// well-formed, for the right audience (`check_audience` gets its `sr`), not expired beyond
/// the allowed skew, and signed with one of `keys`. `owner` names the identity in the error.
fn verified_token<'k>(
    token: &str,
    now_unix: u64,
    check_audience: impl FnOnce(&str) -> Result<(), AuthError>,
    keys: impl IntoIterator<Item = &'k str>,
    owner: &str,
) -> Result<sas::SasToken, AuthError> {
    if token.is_empty() {
        return Err(AuthError("no SAS token given (empty password)".into()));
    }
    let parsed =
        sas::parse_token(token).map_err(|e| AuthError(format!("malformed SAS token: {e}")))?;
    check_audience(&parsed.resource)?;
    if sas::is_expired(&parsed, now_unix, sas::MAX_CLOCK_SKEW_SECS) {
        return Err(AuthError(format!(
            "SAS token expired at {} (now {now_unix}, allowed clock skew {} s)",
            parsed.expiry,
            sas::MAX_CLOCK_SKEW_SECS
        )));
    }
    if !keys
        .into_iter()
        .any(|key| sas::verify_signature(&parsed, key))
    {
        return Err(AuthError(format!(
            "SAS token signature does not match the keys of {owner}"
        )));
    }
    Ok(parsed)
}
