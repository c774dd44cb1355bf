//! Module identities of the edge device: keys, generation ids, and SAS authentication
//! (protocol.md §1.3, §3.2, §3.3); and the child devices the manifest declares (nested
//! edge), which authenticate as devices.
//!
//! Keys are created once and persisted in `{state_dir}/identities.json` (mode 0600), so
//! connection strings and tokens stay valid across hub restarts.

mod auth;
mod file;

use std::collections::BTreeMap;
use std::path::Path;

pub use auth::{AuthError, AuthenticatedModule};
use file::{IdentityFile, ModuleKeys};

/// The module identities of one edge device.
#[derive(Clone)]
pub struct Identities {
    device_id: String,
    iothub_host_name: String,
    gateway_host_name: String,
    modules: BTreeMap<String, ModuleKeys>,
    /// Child devices from the manifest (never persisted: the manifest holds their keys).
    child_devices: BTreeMap<String, ChildKeys>,
}

/// The keys of a child device.
#[derive(Clone)]
struct ChildKeys {
    primary_key: String,
    secondary_key: Option<String>,
}

impl std::fmt::Debug for Identities {
    // Keys are secrets: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("device_id", &self.device_id)
            .field("iothub_host_name", &self.iothub_host_name)
            .field("gateway_host_name", &self.gateway_host_name)
            .field("modules", &self.modules.keys().collect::<Vec<_>>())
            .field(
                "child_devices",
                &self.child_devices.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Identities {
    /// Keys persisted in {state_dir}/identities.json (created on first start, 0600), new
    /// modules get keys, removed ones are kept.
    pub fn load_or_create(
        state_dir: &Path,
        device_id: &str,
        iothub_host_name: &str,
        gateway_host_name: &str,
        modules: &[String],
    ) -> std::io::Result<Identities> {
        std::fs::create_dir_all(state_dir)?;
        let path = state_dir.join(file::FILE_NAME);
        let mut stored = IdentityFile::read(&path)?;
        let mut changed = stored.is_none();
        let stored = stored.get_or_insert_with(IdentityFile::default);
        for name in modules {
            if !stored.modules.contains_key(name) {
                stored.modules.insert(name.clone(), ModuleKeys::generate()?);
                changed = true;
            }
        }
        if changed {
            stored.write(&path)?;
        } else {
            file::restrict_permissions(&path)?;
        }
        Ok(Identities {
            device_id: device_id.to_string(),
            iothub_host_name: iothub_host_name.to_string(),
            gateway_host_name: gateway_host_name.to_string(),
            modules: stored.modules.clone(),
            child_devices: BTreeMap::new(),
        })
    }

    /// Accepts `devices` as child devices (their keys come from the manifest). A child may
    /// not have this hub's own device id.
    pub fn set_child_devices(
        &mut self,
        devices: &[crate::manifest::ChildDevice],
    ) -> Result<(), String> {
        if let Some(own) = devices.iter().find(|d| d.device_id == self.device_id) {
            return Err(format!(
                "child device '{}' has this hub's own device id; a child needs its own id",
                own.device_id
            ));
        }
        self.child_devices = devices
            .iter()
            .map(|d| {
                (
                    d.device_id.clone(),
                    ChildKeys {
                        primary_key: d.primary_key.clone(),
                        secondary_key: d.secondary_key.clone(),
                    },
                )
            })
            .collect();
        Ok(())
    }

    /// Ids of the child devices, sorted.
    pub fn child_devices(&self) -> Vec<String> {
        self.child_devices.keys().cloned().collect()
    }

    /// Edge device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// IoT Hub host name (`IOTEDGE_IOTHUBHOSTNAME`).
    pub fn iothub_host_name(&self) -> &str {
        &self.iothub_host_name
    }

    /// Gateway host name (`IOTEDGE_GATEWAYHOSTNAME`).
    pub fn gateway_host_name(&self) -> &str {
        &self.gateway_host_name
    }

    /// Primary key (base64) of a module.
    pub fn primary_key(&self, module: &str) -> Option<&str> {
        self.modules.get(module).map(|k| k.primary_key.as_str())
    }

    /// Secondary key (base64) of a module.
    pub fn secondary_key(&self, module: &str) -> Option<&str> {
        self.modules.get(module).map(|k| k.secondary_key.as_str())
    }

    /// Generation id of a module (`IOTEDGE_MODULEGENERATIONID`).
    pub fn generation_id(&self, module: &str) -> Option<&str> {
        self.modules.get(module).map(|k| k.generation_id.as_str())
    }

    /// Every known module name (including modules no longer in the manifest), sorted.
    pub fn modules(&self) -> Vec<String> {
        self.modules.keys().cloned().collect()
    }

    /// `HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`
    pub fn connection_string(&self, module: &str) -> Option<String> {
        let keys = self.modules.get(module)?;
        Some(format!(
            "HostName={};GatewayHostName={};DeviceId={};ModuleId={};SharedAccessKey={}",
            self.iothub_host_name, self.gateway_host_name, self.device_id, module, keys.primary_key
        ))
    }

    /// Sets a module's keys and generation id in memory (not persisted). For tests that need
    /// a known key, e.g. the protocol.md §3.3 worked example.
    pub fn insert_for_tests(
        &mut self,
        module: &str,
        primary_key: &str,
        secondary_key: &str,
        generation_id: &str,
    ) {
        self.modules.insert(
            module.to_string(),
            ModuleKeys {
                primary_key: primary_key.to_string(),
                secondary_key: secondary_key.to_string(),
                generation_id: generation_id.to_string(),
            },
        );
    }

    /// Keys of a module by exact name (IoT Hub ids are case-sensitive; only the token
    /// audience is compared case-insensitively).
    fn find_module(&self, module: &str) -> Option<(&str, &ModuleKeys)> {
        self.modules
            .get_key_value(module)
            .map(|(name, keys)| (name.as_str(), keys))
    }
}
