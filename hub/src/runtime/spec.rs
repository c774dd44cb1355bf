//! What the runtime needs to know about each module of the deployment, read from its
//! `$edgeAgent` entry: desired `status`, `restartPolicy`, `startupOrder`, `settings.image`
//! and `createOptions` (joined from `createOptions`, `createOptions01`, … as edgeAgent
//! joins them), `env`, and the extension field `x-edgemodule` that declares a host command:
//!
//! ```json
//! "x-edgemodule": { "command": ["target/release/sensor", "--count", "10"], "workingDir": ".." }
//! ```
//!
//! `workingDir` is relative to the manifest's directory (default: that directory); a
//! relative program path (one with a `/`) is relative to `workingDir`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::create_options::{self, CreateOptions};
use super::policy::RestartPolicy;
use crate::manifest::{Manifest, ManifestError, ModuleSpec};

/// The extension field naming a module's host command.
pub const EXTENSION: &str = "x-edgemodule";
/// edgeAgent's default `startupOrder` (`uint.MaxValue`): modules without one start last.
pub const DEFAULT_STARTUP_ORDER: u32 = u32::MAX;

/// A module's desired status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredStatus {
    /// `running` (the default).
    Running,
    /// `stopped`: deployed but not started.
    Stopped,
}

impl DesiredStatus {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DesiredStatus::Running => "running",
            DesiredStatus::Stopped => "stopped",
        }
    }
}

/// A host command declared with `x-edgemodule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// Program and arguments; the program is resolved against `working_dir` when it is a
    /// relative path with a `/`.
    pub command: Vec<String>,
    /// Absolute working directory.
    pub working_dir: PathBuf,
}

/// One module as the runtime sees it.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Module name.
    pub name: String,
    /// `version` (reported back as is).
    pub version: String,
    /// `type` (reported back; `docker` in every manifest edgeAgent accepts).
    pub module_type: String,
    /// `status`.
    pub desired: DesiredStatus,
    /// `restartPolicy` (default `always`).
    pub restart_policy: RestartPolicy,
    /// `imagePullPolicy` as written (default `on-create`); the runtime never pulls.
    pub image_pull_policy: String,
    /// `startupOrder`.
    pub startup_order: u32,
    /// `settings.image`, with `:latest` added when it has no tag (as edgeAgent does).
    pub image: Option<String>,
    /// The joined `createOptions` text (reported back).
    pub create_options_text: String,
    /// What of `createOptions` applies locally.
    pub create_options: CreateOptions,
    /// The host command, if declared.
    pub process: Option<ProcessSpec>,
    /// The module's `env` from the manifest.
    pub env: BTreeMap<String, String>,
}

/// The run specs of every module, in start order (`startupOrder`, then name).
pub fn run_specs(manifest: &Manifest, base_dir: &Path) -> Result<Vec<RunSpec>, ManifestError> {
    let mut specs = manifest
        .modules
        .iter()
        .map(|module| run_spec(module, base_dir))
        .collect::<Result<Vec<_>, _>>()?;
    specs.sort_by(|a, b| (a.startup_order, &a.name).cmp(&(b.startup_order, &b.name)));
    Ok(specs)
}

fn run_spec(module: &ModuleSpec, base_dir: &Path) -> Result<RunSpec, ManifestError> {
    let path = format!(
        "modulesContent.$edgeAgent.properties.desired.modules.{}",
        module.name
    );
    let empty = Map::new();
    let entry = match &module.agent {
        Value::Object(entry) => entry,
        Value::Null => &empty,
        _ => return Err(ManifestError::new(path, "must be an object")),
    };
    let text = |key: &str| -> Result<Option<String>, ManifestError> {
        match entry.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ManifestError::new(
                format!("{path}.{key}"),
                "must be a string",
            )),
        }
    };
    let desired = match text("status")?.as_deref() {
        None | Some("running") => DesiredStatus::Running,
        Some("stopped") => DesiredStatus::Stopped,
        Some(other) => {
            return Err(ManifestError::new(
                format!("{path}.status"),
                format!("'{other}' is not a module status (running or stopped)"),
            ))
        }
    };
    let restart_policy = match text("restartPolicy")? {
        None => RestartPolicy::Always,
        Some(policy) => RestartPolicy::parse(&policy).ok_or_else(|| {
            ManifestError::new(
                format!("{path}.restartPolicy"),
                format!(
                    "'{policy}' is not a restart policy (never, on-failure, on-unhealthy, always)"
                ),
            )
        })?,
    };
    let startup_order = match entry.get("startupOrder") {
        None | Some(Value::Null) => DEFAULT_STARTUP_ORDER,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                ManifestError::new(
                    format!("{path}.startupOrder"),
                    "must be an integer from 0 to 4294967295",
                )
            })?,
    };
    let settings_path = format!("{path}.settings");
    let settings = match entry.get("settings") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(settings)) => settings,
        Some(_) => return Err(ManifestError::new(settings_path, "must be an object")),
    };
    let image = match settings.get("image") {
        None | Some(Value::Null) => None,
        Some(Value::String(image)) if image.trim().is_empty() => None,
        Some(Value::String(image)) => Some(with_default_tag(image.trim())),
        Some(_) => {
            return Err(ManifestError::new(
                format!("{settings_path}.image"),
                "must be a string",
            ))
        }
    };
    let create_options_text = joined_create_options(settings, &settings_path)?;
    let create_options = create_options::parse(&create_options_text)
        .map_err(|e| ManifestError::new(format!("{settings_path}.createOptions"), e))?;
    let process = match entry.get(EXTENSION) {
        None | Some(Value::Null) => None,
        Some(ext) => Some(process_spec(ext, &format!("{path}.{EXTENSION}"), base_dir)?),
    };
    Ok(RunSpec {
        name: module.name.clone(),
        version: text("version")?.unwrap_or_default(),
        module_type: text("type")?.unwrap_or_else(|| "docker".into()),
        desired,
        restart_policy,
        image_pull_policy: text("imagePullPolicy")?.unwrap_or_else(|| "on-create".into()),
        startup_order,
        image,
        create_options_text,
        create_options,
        process,
        env: module.env.clone(),
    })
}

/// `createOptions` followed by `createOptions01`, `createOptions02`, … (twin values are
/// limited in length, so long options are split into numbered chunks).
fn joined_create_options(
    settings: &Map<String, Value>,
    path: &str,
) -> Result<String, ManifestError> {
    let mut joined = String::new();
    for index in 0..100 {
        let key = if index == 0 {
            "createOptions".to_string()
        } else {
            format!("createOptions{index:02}")
        };
        match settings.get(&key) {
            None => break,
            Some(Value::String(chunk)) => joined.push_str(chunk),
            // An object is accepted too (some tools write the options unstringified).
            Some(value @ Value::Object(_)) if index == 0 => joined.push_str(&value.to_string()),
            Some(_) => {
                return Err(ManifestError::new(
                    format!("{path}.{key}"),
                    "must be a string of JSON",
                ))
            }
        }
    }
    Ok(joined)
}

fn process_spec(ext: &Value, path: &str, base_dir: &Path) -> Result<ProcessSpec, ManifestError> {
    let Value::Object(ext) = ext else {
        return Err(ManifestError::new(path, "must be an object"));
    };
    let command: Vec<String> = match ext.get("command") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ManifestError::new(format!("{path}.command"), "must be an array of strings")
            })?,
        None => {
            return Err(ManifestError::new(
                format!("{path}.command"),
                "is required but missing",
            ))
        }
        Some(_) => {
            return Err(ManifestError::new(
                format!("{path}.command"),
                "must be an array of strings",
            ))
        }
    };
    if command.first().is_none_or(|program| program.is_empty()) {
        return Err(ManifestError::new(
            format!("{path}.command"),
            "must name a program",
        ));
    }
    let working_dir = match ext.get("workingDir") {
        None | Some(Value::Null) => base_dir.to_path_buf(),
        Some(Value::String(dir)) => base_dir.join(dir),
        Some(_) => {
            return Err(ManifestError::new(
                format!("{path}.workingDir"),
                "must be a string",
            ))
        }
    };
    if let Some(unknown) = ext
        .keys()
        .find(|k| !matches!(k.as_str(), "command" | "workingDir"))
    {
        return Err(ManifestError::new(
            format!("{path}.{unknown}"),
            "is not a known field (command, workingDir)",
        ));
    }
    Ok(ProcessSpec {
        command,
        working_dir,
    })
}

/// `name` → `name:latest`; names with a tag or digest stay as they are.
fn with_default_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || image.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(modules: &str) -> Manifest {
        crate::manifest::parse(&format!(
            r#"{{"modulesContent":{{"$edgeAgent":{{"properties.desired":{{"modules":{modules}}}}},
               "$edgeHub":{{"properties.desired":{{"schemaVersion":"1.1","routes":{{}}}}}}}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn reads_the_edge_agent_fields_and_the_extension() {
        let m = manifest(
            r#"{"b":{"version":"1.0","type":"docker","status":"running","restartPolicy":"on-failure",
                  "startupOrder":2,
                  "settings":{"image":"localhost/b","createOptions":"{\"Env\":[\"X=1\"],",
                              "createOptions01":"\"HostConfig\":{\"Binds\":[\"/d:/d\"]}}"},
                  "env":{"K":{"value":"v"}}},
                "a":{"status":"stopped","restartPolicy":"never","startupOrder":1,
                  "settings":{"image":"localhost:5000/a:1.2"},
                  "x-edgemodule":{"command":["bin/a","--fast"],"workingDir":"sub"}},
                "c":{}}"#,
        );
        let specs = run_specs(&m, Path::new("/base")).unwrap();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b", "c"]);
        let (a, b, c) = (&specs[0], &specs[1], &specs[2]);
        assert_eq!(a.desired, DesiredStatus::Stopped);
        assert_eq!(a.restart_policy, RestartPolicy::Never);
        assert_eq!(a.image.as_deref(), Some("localhost:5000/a:1.2"));
        assert_eq!(
            a.process,
            Some(ProcessSpec {
                command: vec!["bin/a".into(), "--fast".into()],
                working_dir: PathBuf::from("/base/sub"),
            })
        );
        assert_eq!(b.image.as_deref(), Some("localhost/b:latest"));
        assert_eq!(b.restart_policy, RestartPolicy::OnFailure);
        assert_eq!(b.create_options.env, vec![("X".into(), "1".into())]);
        assert_eq!(b.create_options.binds, vec!["/d:/d".to_string()]);
        assert_eq!(b.env.get("K").map(String::as_str), Some("v"));
        assert_eq!(b.version, "1.0");
        assert_eq!(c.desired, DesiredStatus::Running);
        assert_eq!(c.restart_policy, RestartPolicy::Always);
        assert_eq!(c.startup_order, DEFAULT_STARTUP_ORDER);
        assert_eq!(c.image, None);
        assert_eq!(c.image_pull_policy, "on-create");
    }

    #[test]
    fn bad_fields_name_their_path() {
        let cases = [
            (r#"{"m":{"status":"paused"}}"#, "modules.m.status"),
            (
                r#"{"m":{"restartPolicy":"sometimes"}}"#,
                "modules.m.restartPolicy",
            ),
            (r#"{"m":{"startupOrder":-1}}"#, "modules.m.startupOrder"),
            (
                r#"{"m":{"settings":{"createOptions":"{"}}}"#,
                "settings.createOptions",
            ),
            (
                r#"{"m":{"x-edgemodule":{"command":[]}}}"#,
                "x-edgemodule.command",
            ),
            (
                r#"{"m":{"x-edgemodule":{"cmd":["a"]}}}"#,
                "x-edgemodule.command",
            ),
            (
                r#"{"m":{"x-edgemodule":{"command":["a"],"shell":true}}}"#,
                "x-edgemodule.shell",
            ),
        ];
        for (modules, path) in cases {
            let err = run_specs(&manifest(modules), Path::new("/")).unwrap_err();
            assert!(err.path.ends_with(path), "{modules}: {err}");
        }
    }

    #[test]
    fn images_get_the_latest_tag_only_without_one() {
        assert_eq!(with_default_tag("filter"), "filter:latest");
        assert_eq!(
            with_default_tag("localhost:5000/filter"),
            "localhost:5000/filter:latest"
        );
        assert_eq!(
            with_default_tag("localhost:5000/filter:1"),
            "localhost:5000/filter:1"
        );
        assert_eq!(with_default_tag("f@sha256:00"), "f@sha256:00");
    }
}
