//! The standard IoT Edge deployment manifest (`deployment.json`, protocol.md §8.4, §9):
//! modules from `$edgeAgent`, routes / store-and-forward / broker policy from `$edgeHub`,
//! and each module's desired properties.
//!
//! Every error names the JSON path it is about, e.g.
//! `modulesContent.$edgeHub.properties.desired.routes.r1: …`.

mod json;
mod parse;

use std::collections::BTreeMap;
use std::path::Path;

pub use parse::parse;

/// Default `storeAndForwardConfiguration.timeToLiveSecs` (edgeHub's default, 2 hours).
pub const DEFAULT_STORE_TTL_SECS: i64 = 7200;

/// Schema versions of `$edgeHub` desired properties this hub understands.
pub const SUPPORTED_SCHEMA_VERSIONS: &[&str] = &["1.0", "1.1", "1.2", "1.3"];

/// A parsed deployment manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// `$edgeHub` desired `schemaVersion`.
    pub schema_version: String,
    /// From modulesContent.$edgeAgent."properties.desired".modules, sorted by name.
    pub modules: Vec<ModuleSpec>,
    /// Parsed routes, in name order.
    pub routes: Vec<crate::routes::Route>,
    /// storeAndForwardConfiguration.timeToLiveSecs; <0 infinite; default 7200.
    pub store_ttl_secs: i64,
    /// storeAndForwardConfiguration.storeLimits.maxSizeBytes.
    pub store_max_size_bytes: Option<u64>,
    /// mqttBroker.authorizations; default: empty (deny all user topics).
    pub authorization: crate::authz::Policy,
}

/// One custom module of the deployment.
#[derive(Debug, Clone)]
pub struct ModuleSpec {
    /// Module name (= module id).
    pub name: String,
    /// modulesContent.{name}."properties.desired" (without `$version`), or `{}`.
    pub desired: serde_json::Value,
    /// The module's `env` settings (`{"KEY": {"value": …}}` → KEY → value).
    pub env: BTreeMap<String, String>,
    /// The module's entry under `$edgeAgent` modules as written (`status`,
    /// `restartPolicy`, `settings`, …), read by the module runtime (`crate::runtime`).
    pub agent: serde_json::Value,
}

/// A manifest problem, with the JSON path it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ManifestError {
    /// Where, e.g. `modulesContent.$edgeHub.properties.desired.routes.r1`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl ManifestError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ManifestError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Reads and parses a manifest file; I/O errors name the file.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ManifestError::new(path.display().to_string(), e.to_string()))?;
    parse(&text).map_err(|mut e| {
        if e.path.is_empty() {
            e.path = path.display().to_string();
        }
        e
    })
}

impl Manifest {
    /// The module named `name`, if deployed.
    pub fn module(&self, name: &str) -> Option<&ModuleSpec> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Names of all deployed modules, sorted.
    pub fn module_names(&self) -> Vec<String> {
        self.modules.iter().map(|m| m.name.clone()).collect()
    }

    /// Local-development defaults: no modules, `FROM /* INTO $upstream`, TTL 7200.
    /// (`appsettings_hub.json` uses the same route when no deployment is given.)
    pub fn empty() -> Manifest {
        parse(
            r#"{"modulesContent":{"$edgeAgent":{"properties.desired":{"modules":{}}},
                "$edgeHub":{"properties.desired":{"schemaVersion":"1.1",
                "routes":{"r1":"FROM /* INTO $upstream"}}}}}"#,
        )
        .unwrap_or_else(|_| Manifest {
            schema_version: "1.1".into(),
            modules: Vec::new(),
            routes: Vec::new(),
            store_ttl_secs: DEFAULT_STORE_TTL_SECS,
            store_max_size_bytes: None,
            authorization: crate::authz::Policy::default(),
        })
    }
}
