//! Each module's runtime state, and its `$edgeAgent` reported-properties shape:
//! `runtimeStatus`, `statusDescription`, `exitCode`, `lastStartTimeUtc`,
//! `lastExitTimeUtc`, `restartCount`, `lastRestartTimeUtc`, next to the desired fields
//! (`version`, `type`, `status`, `restartPolicy`, `settings`, `env`). Times never set
//! are reported as edgeAgent reports them, `0001-01-01T00:00:00Z` (`DateTime.MinValue`).

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::policy::RuntimeStatus;
use super::spec::RunSpec;

/// How a module is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAs {
    /// A podman container of `image`, named `container`.
    Container {
        /// The image reference.
        image: String,
        /// Its id (`sha256:…`), reported as `settings.imageHash`.
        image_id: String,
        /// The container name.
        container: String,
    },
    /// A host process.
    Process {
        /// Program and arguments.
        command: Vec<String>,
    },
    /// Not run, and why (no local image and no command, no podman, …).
    NotRunnable(String),
}

impl RunAs {
    /// `container`, `process` or `none`.
    pub fn kind(&self) -> &'static str {
        match self {
            RunAs::Container { .. } => "container",
            RunAs::Process { .. } => "process",
            RunAs::NotRunnable(_) => "none",
        }
    }
}

/// What changes while a module runs.
#[derive(Debug, Clone)]
pub struct ModuleState {
    /// `runtimeStatus`.
    pub status: RuntimeStatus,
    /// `statusDescription`.
    pub description: String,
    /// `exitCode` of the last exit (0 before any).
    pub exit_code: i64,
    /// `lastStartTimeUtc`.
    pub last_start: Option<OffsetDateTime>,
    /// `lastExitTimeUtc`.
    pub last_exit: Option<OffsetDateTime>,
    /// `restartCount`: restarts by the restart policy since the count was last cleared.
    pub restart_count: u32,
    /// `lastRestartTimeUtc`.
    pub last_restart: Option<OffsetDateTime>,
    /// Process id of the running module (the container's init process for containers).
    pub pid: Option<u32>,
    /// Starts since the hub started (first start included).
    pub starts: u64,
}

impl Default for ModuleState {
    fn default() -> Self {
        ModuleState {
            status: RuntimeStatus::Unknown,
            description: String::new(),
            exit_code: 0,
            last_start: None,
            last_exit: None,
            restart_count: 0,
            last_restart: None,
            pid: None,
            starts: 0,
        }
    }
}

/// edgeAgent's spelling of a time: RFC 3339 UTC, `DateTime.MinValue` when never set.
pub fn utc_text(time: Option<OffsetDateTime>) -> String {
    time.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string())
}

/// The module's entry under `modules` of the `$edgeAgent` reported properties, plus an
/// `x-edgemodule` object with what is local to this runtime (how it runs, its pid, its
/// log file).
pub fn reported(spec: &RunSpec, run_as: &RunAs, state: &ModuleState, log: &str) -> Value {
    let mut settings = Map::new();
    if let Some(image) = &spec.image {
        settings.insert("image".into(), json!(image));
    }
    if let RunAs::Container { image_id, .. } = run_as {
        settings.insert("imageHash".into(), json!(image_id));
    }
    settings.insert("createOptions".into(), json!(spec.create_options_text));
    let env: Map<String, Value> = spec
        .env
        .iter()
        .map(|(k, v)| (k.clone(), json!({ "value": v })))
        .collect();
    let mut local = json!({ "runAs": run_as.kind(), "starts": state.starts, "log": log });
    match run_as {
        RunAs::Container { container, .. } => local["container"] = json!(container),
        RunAs::Process { command } => local["command"] = json!(command),
        RunAs::NotRunnable(_) => {}
    }
    if let Some(pid) = state.pid {
        local["pid"] = json!(pid);
    }
    let mut entry = json!({
        "version": spec.version,
        "type": spec.module_type,
        "status": spec.desired.as_str(),
        "restartPolicy": spec.restart_policy.as_str(),
        "imagePullPolicy": spec.image_pull_policy,
        "settings": settings,
        "env": env,
        "runtimeStatus": state.status.as_str(),
        "statusDescription": state.description,
        "exitCode": state.exit_code,
        "lastStartTimeUtc": utc_text(state.last_start),
        "lastExitTimeUtc": utc_text(state.last_exit),
        "restartCount": state.restart_count,
        "lastRestartTimeUtc": utc_text(state.last_restart),
        "x-edgemodule": local,
    });
    if spec.startup_order != super::spec::DEFAULT_STARTUP_ORDER {
        entry["startupOrder"] = json!(spec.startup_order);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::policy::RestartPolicy;
    use crate::runtime::spec::{DesiredStatus, DEFAULT_STARTUP_ORDER};

    #[test]
    fn reported_entry_has_edge_agents_fields() {
        let spec = RunSpec {
            name: "filter".into(),
            version: "1.0".into(),
            module_type: "docker".into(),
            desired: DesiredStatus::Running,
            restart_policy: RestartPolicy::Always,
            image_pull_policy: "on-create".into(),
            startup_order: DEFAULT_STARTUP_ORDER,
            image: Some("localhost/filter:1".into()),
            create_options_text: "{}".into(),
            create_options: Default::default(),
            process: None,
            env: [("A".to_string(), "1".to_string())].into(),
        };
        let run_as = RunAs::Container {
            image: "localhost/filter:1".into(),
            image_id: "sha256:abc".into(),
            container: "filter-1".into(),
        };
        let start = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let state = ModuleState {
            status: RuntimeStatus::Running,
            description: "running".into(),
            last_start: Some(start),
            pid: Some(42),
            starts: 1,
            ..ModuleState::default()
        };
        let entry = reported(&spec, &run_as, &state, "/s/logs/filter.log");
        assert_eq!(entry["runtimeStatus"], "running");
        assert_eq!(entry["exitCode"], 0);
        assert_eq!(entry["restartCount"], 0);
        assert_eq!(entry["lastStartTimeUtc"], "2023-11-14T22:13:20Z");
        assert_eq!(entry["lastExitTimeUtc"], "0001-01-01T00:00:00Z");
        assert_eq!(entry["settings"]["imageHash"], "sha256:abc");
        assert_eq!(entry["env"]["A"]["value"], "1");
        assert_eq!(entry["x-edgemodule"]["runAs"], "container");
        assert_eq!(entry["x-edgemodule"]["pid"], 42);
        assert!(entry.get("startupOrder").is_none());
    }
}
